"""Värna's admin site: the administratör role's tool for the org tree, people and roles.

Access goes through varna.orgs.access like everything else: only users who may administer
somewhere get in, each sees only the subtrees they administer, and everyone else gets 404.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from varna.orgs.access import Action, can


class VarnaAdminSite(admin.AdminSite):
    site_header = _("Värna administration")
    site_title = _("Värna administration")
    index_title = _("Organisation, people and roles")
    # Unknown admin addresses are plain 404s, for everyone alike.
    final_catch_all_view = False

    # Other apps' admin pages read tables that our access layer does not scope (login
    # attempts, queued tasks, unused auth groups): they stay out of this site.
    # allauth's tables (e-mail addresses, linked provider accounts, second factors, sessions)
    # are not scoped either; administrators act on people through the scoped person pages.
    excluded_apps = frozenset(
        {"axes", "django_tasks_database", "auth", "account", "socialaccount", "mfa", "usersessions"}
    )

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        models = (
            model_or_iterable
            if isinstance(model_or_iterable, (list, tuple))
            else [model_or_iterable]
        )
        kept = [model for model in models if model._meta.app_label not in self.excluded_apps]
        if kept:
            super().register(kept, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and can(request.user, Action.ADMINISTER)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        wrapped = super().admin_view(view, cacheable)

        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise Http404
            return wrapped(request, *args, **kwargs)

        return inner

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One login page for the whole application.
        return redirect_to_login(request.GET.get("next", "/admin/"))
