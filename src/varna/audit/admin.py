from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from varna.audit.models import SecurityEvent
from varna.orgs import access
from varna.orgs.access import Action


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The security log: searchable by administrators of a whole municipality, never editable."""

    list_display = ["created_at", "kind", "username", "actor", "ip_address", "detail"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"
    list_per_page = 100

    def get_urls(self) -> list[Any]:
        # A log is read, never added to or deleted from by hand: those pages do not exist.
        keep = {"changelist", "change"}
        return [
            url for url in super().get_urls() if url.name and url.name.rsplit("_", 1)[-1] in keep
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Events about people in the administrator's subtrees, and failed logins under names
        # that match no account.
        employed = access.scope_q(
            request.user, Action.ADMINISTER, "subject__employments__unit__path"
        )
        granted = access.scope_q(
            request.user, Action.ADMINISTER, "subject__role_grants__unit__path"
        )
        return (
            super()
            .get_queryset(request)
            .filter(employed | granted | Q(subject__isnull=True))
            .distinct()
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_root_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_root_administrator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        raise Http404
