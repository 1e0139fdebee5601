import contextlib

from django.apps import AppConfig
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

# The inbox and the case page are what case handlers open first and most; compiling their
# templates is work for each process once, so it is done when the process starts rather than
# in someone's first request.
PAGE_TEMPLATES = [
    "base.html",
    "includes/field.html",
    "cases/inbox.html",
    "cases/case_detail.html",
    "cases/includes/step_form.html",
    "includes/step_form.html",
]


class CasesConfig(AppConfig):
    name = "varna.cases"
    verbose_name = _("Case handling")

    def ready(self) -> None:
        from varna.cases import access, receivers, selectors  # noqa: F401  (registers models and hooks)
        from varna.reporting.selectors import register_case_parts

        register_case_parts(selectors.report_page_parts)

        from varna.cases.models import State
        from varna.handbook import links

        links.register(links.CASE_STEP, _("Step of a case"), lambda: State.choices)

        compile_templates(PAGE_TEMPLATES)


def compile_templates(names: list[str]) -> None:
    """Put the templates in the template engine's cache. A broken one is left for its page to
    report, so that it cannot stop a process (a migration, the task worker) from starting."""
    from django.template.loader import get_template

    for name in names:
        with contextlib.suppress(TemplateDoesNotExist, TemplateSyntaxError):
            get_template(name)
