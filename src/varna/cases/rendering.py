"""The case pages' form widgets, written out in Python.

Django renders every widget through the form renderer's templates: a select is one template
plus an include per option and per attribute list, a radio list more still. The case page shows
a dozen forms and the inbox its filters on every request, and those template renders were the
larger part of the page's CPU. RENDERER writes the same markup as Django's widget templates
(django/forms/widgets/*.html, byte for byte, which tests/test_cases_views.py checks) straight
from the widget's context, and hands everything else (forms, error lists, other widgets, a
widget with options of its own) to the project's form renderer.
"""

from collections.abc import Callable
from typing import Any

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"


def _text(value: Any) -> str:
    """{{ value }}: escaped unless already safe."""
    return str(conditional_escape(value))


def _formatted(value: Any) -> str:
    """{{ value|stringformat:"s" }}: the filter keeps a safe value safe, else it is escaped."""
    formatted = "%s" % (str(value) if isinstance(value, tuple) else value)
    return formatted if isinstance(value, SafeData) else escape(formatted)


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html"""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    """input.html, which text.html, date.html, hidden.html … include (one more newline)."""
    html = f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
    if widget["value"] is not None:
        html += f' value="{_formatted(widget["value"])}"'
    return f"{html}{_attrs(widget['attrs'])}>\n\n"


def _textarea(widget: dict[str, Any]) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    opening = f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>'
    return f"{opening}\n{value}</textarea>\n"


def _select(widget: dict[str, Any]) -> str | None:
    html = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != WIDGETS + "select_option.html":
                return None
            html.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>\n")
    return "".join(html)


def _choices(option_template: str) -> Callable[[dict[str, Any]], str | None]:
    """multiple_input.html, as radio.html and checkbox_select.html include it."""

    def write(widget: dict[str, Any]) -> str | None:
        attrs = widget["attrs"]
        html = ["<div"]
        if attrs.get("id"):
            html.append(f' id="{_text(attrs["id"])}"')
        if attrs.get("class"):
            html.append(f' class="{_text(attrs["class"])}"')
        html.append(">")
        for group, options, _index in widget["optgroups"]:
            if group:
                html.append(f"\n  <div><label>{_text(group)}</label>")
            for option in options:
                if option["template_name"] != option_template:
                    return None
                html.append(f"<div>\n    {_option(option)}</div>")
            if group:
                html.append("\n  </div>")
        html.append("\n</div>\n\n")
        return "".join(html)

    return write


def _option(option: dict[str, Any]) -> str:
    """radio_option.html and checkbox_option.html: input_option.html and a newline."""
    html = _input(option)[:-1]  # input.html as included, with its own newline
    if option["wrap_label"]:
        label_for = option["attrs"].get("id")
        opening = f' for="{_text(label_for)}"' if label_for else ""
        html = f"<label{opening}>{html} {_text(option['label'])}</label>"
    return f"{html}\n\n"


WRITERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{
        f"{WIDGETS}{name}.html": _input
        for name in ["text", "number", "email", "date", "datetime", "hidden", "checkbox"]
    },
    WIDGETS + "textarea.html": _textarea,
    WIDGETS + "select.html": _select,
    WIDGETS + "radio.html": _choices(WIDGETS + "radio_option.html"),
    WIDGETS + "checkbox_select.html": _choices(WIDGETS + "checkbox_option.html"),
}


class WidgetRenderer(BaseRenderer):
    """A form renderer: the widgets in WRITERS in Python, the rest by the project's renderer
    (FORM_RENDERER), whose templates and settings it otherwise answers with."""

    @property
    def fallback(self) -> BaseRenderer:
        return get_default_renderer()  # type: ignore[no-any-return]

    def get_template(self, template_name: str) -> Any:
        return self.fallback.get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        write = WRITERS.get(template_name)
        html = write(context["widget"]) if write is not None else None
        if html is None:
            return str(self.fallback.render(template_name, context, request))
        return html.strip()  # as Django's renderers do

    # The templates a form or field renders itself with, and the bound field class.
    form_template_name = property(lambda self: self.fallback.form_template_name)  # type: ignore[assignment]
    formset_template_name = property(lambda self: self.fallback.formset_template_name)  # type: ignore[assignment]
    field_template_name = property(lambda self: self.fallback.field_template_name)  # type: ignore[assignment]
    bound_field_class = property(lambda self: self.fallback.bound_field_class)  # type: ignore[assignment]


RENDERER = WidgetRenderer()
