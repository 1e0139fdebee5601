"""The administrators of a municipality keep its courses and their requirements here. A course
belongs to a whole municipality, so only an administrator of the municipality itself (its root)
sees and changes it; an administrator of a part of the tree does not."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from varna.core import forms as base
from varna.orgs import access
from varna.orgs.access import Action
from varna.training.models import Course, Requirement


class CourseForm(base.ModelForm[Course]):
    class Meta:
        model = Course
        fields = [
            "municipality",
            "code",
            "name",
            "name_en",
            "description",
            "validity_months",
            "is_active",
        ]


class RequirementForm(base.ModelForm[Requirement]):
    class Meta:
        model = Requirement
        fields = ["role", "unit_kind", "within_months"]


def _may_administer(request: HttpRequest, course: Course | None = None) -> bool:
    if course is None:
        return access.is_root_administrator(request.user)
    return access.can(request.user, Action.ADMINISTER, course)


# Stacked rather than tabular: every field keeps its visible label.
class RequirementInline(admin.StackedInline):
    model = Requirement
    form = RequirementForm
    extra = 1

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_administer(request, obj)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseForm
    inlines = [RequirementInline]
    list_display = ["name", "code", "municipality", "validity_months", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        courses = Course.objects.select_related("municipality")
        return access.visible(request.user, Action.ADMINISTER, courses)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_administer(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_administer(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_administer(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_administer(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A course someone has completed is switched off instead: the completions keep it.
        if obj is not None and obj.completions.exists():
            return False
        return _may_administer(request, obj)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        raise Http404

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "municipality":
            # Only the roots the user administers as a whole.
            kwargs["queryset"] = access.units_for(request.user, Action.ADMINISTER).filter(
                parent__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
