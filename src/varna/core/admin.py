from typing import Any

from django.http import Http404, HttpRequest


class ReadOnlyAdminMixin:
    """For records written only by the application (logs, deliveries): a list and a detail
    page, no add, change or delete pages at all, and 404 for what the user cannot see."""

    def get_urls(self) -> list[Any]:
        keep = {"changelist", "change"}
        urls = super().get_urls()  # type: ignore[misc]
        return [url for url in urls if url.name and url.name.rsplit("_", 1)[-1] in keep]

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
