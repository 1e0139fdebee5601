"""Administrators keep their municipality's year-plan templates here; the access layer decides
which they see and change (varna.yearplan.access)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from varna.core import forms as base
from varna.orgs.models import Unit
from varna.yearplan import access
from varna.yearplan.models import ActivityTemplate


class TemplateForm(base.ModelForm):
    unit_kinds = forms.MultipleChoiceField(
        label=ActivityTemplate._meta.get_field("unit_kinds").verbose_name,
        help_text=ActivityTemplate._meta.get_field("unit_kinds").help_text,
        choices=Unit.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ActivityTemplate
        fields = [
            "municipality",
            "title",
            "description",
            "kind",
            "recurrence",
            "unit_kinds",
            "due_month",
            "weeks_from_start",
            "responsible_role",
            "is_active",
        ]


@admin.register(ActivityTemplate)
class ActivityTemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ["title", "municipality", "kind", "recurrence", "due_month", "is_active"]
    list_filter = ["kind", "recurrence", "is_active"]
    search_fields = ["title"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ActivityTemplate]:
        return access.templates_for_admin(request.user).select_related("municipality")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.may_administer_template(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_administer_template(request.user) and (
            obj is None or access.templates_for_admin(request.user).filter(pk=obj.pk).exists()
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.may_administer_template(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_administer_template(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A template that has activities is switched off instead (PROTECT keeps its history).
        if obj is not None and obj.activities.exists():
            return False
        return access.may_administer_template(request.user, obj)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        raise Http404

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "municipality":
            kwargs["queryset"] = access.municipalities_for_admin(request.user)
            kwargs["required"] = not request.user.is_superuser  # type: ignore[union-attr]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
