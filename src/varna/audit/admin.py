from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from varna.audit.models import SecurityEvent
from varna.audit.selectors import visible_security_events
from varna.core.admin import ReadOnlyAdminMixin
from varna.orgs import access


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The security log: searchable by administrators of a whole municipality, never editable."""

    list_display = ["created_at", "kind", "username", "actor", "ip_address", "detail"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible_security_events(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_root_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_root_administrator(request.user)
