from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from varna.orgs import access, services
from varna.orgs.access import Action
from varna.orgs.models import Employment, Headcount, RoleGrant, Unit, User

# The browser's own date field: labelled, keyboard-friendly, and free of the admin's
# calendar shortcuts, whose accessible names do not match their visible text.
DATE_FIELDS = {
    models.DateField: {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
}


class ScopedAdminMixin:
    """Admin for a model under the access layer: rows outside the user's subtrees do not exist."""

    formfield_overrides = DATE_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.visible(request.user, Action.ADMINISTER, super().get_queryset(request))  # type: ignore[misc]

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.can(request.user, Action.ADMINISTER)
        return access.can(request.user, Action.ADMINISTER, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        raise Http404

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Unit:
            kwargs["queryset"] = access.units_for(request.user, Action.ADMINISTER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


# Stacked rather than tabular inlines: every field keeps its visible label.
class HeadcountInline(admin.StackedInline):
    model = Headcount
    extra = 1

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, Action.ADMINISTER)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ["indented_name", "code", "kind", "valid_from", "valid_to"]
    list_filter = ["kind", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code"]
    fields = [
        "code",
        "name",
        "kind",
        "parent",
        "valid_from",
        "valid_to",
        "street_address",
        "postal_code",
        "city",
    ]
    inlines = [HeadcountInline]
    list_per_page = 100

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, unit: Unit) -> str:
        return "\u2003" * unit.depth + unit.name

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        # Only an administrator of a whole municipality may make a new root: anyone else
        # could otherwise cut their subtree out of the municipality and out of others' sight.
        if "parent" in form.base_fields:
            form.base_fields["parent"].required = not access.is_root_administrator(request.user)
        return form

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        # Tree paths are maintained by the services, never by a plain save.
        if not change:
            created = services.create_unit(
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                parent=obj.parent,
                valid_from=obj.valid_from,
                valid_to=obj.valid_to,
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            obj._state.adding = False
            return
        if "parent" in form.changed_data:
            services.move_unit(
                unit=obj,
                new_parent=obj.parent,
                moved_by=request.user,  # type: ignore[arg-type]
                request=request,
            )
        Unit.objects.filter(pk=obj.pk).update(
            code=obj.code,
            name=obj.name,
            kind=obj.kind,
            valid_from=obj.valid_from,
            valid_to=obj.valid_to,
        )


@admin.register(Headcount)
class HeadcountAdmin(ScopedAdmin):
    list_display = ["unit", "year", "employees"]
    list_filter = ["year"]
    search_fields = ["unit__name", "unit__code"]
    raw_id_fields = ["unit"]


class EmploymentInline(admin.StackedInline):
    model = Employment
    extra = 0
    formfield_overrides = DATE_FIELDS
    fields = ["unit", "title", "start_date", "end_date"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.visible(request.user, Action.ADMINISTER, super().get_queryset(request))  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Unit:
            kwargs["queryset"] = access.units_for(request.user, Action.ADMINISTER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, Action.ADMINISTER)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    """People wholly inside the administrator's subtrees (see access.administered_people)."""

    list_display = ["username", "first_name", "last_name", "email", "employee_number", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "employee_number"]
    list_filter = ["is_active", "is_demo"]
    inlines = [EmploymentInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "email", "employee_number"]}),
        (_("Status"), {"fields": ["is_active", "is_demo", "last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined", "is_demo"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.administered_people(request.user)

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        if not access.can(request.user, Action.ADMINISTER):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()


@admin.register(RoleGrant)
class RoleGrantAdmin(ScopedAdmin):
    list_display = ["user", "role", "title", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "unit__name"]
    # Plain id fields with a lookup list: the autocomplete widget lacks accessible names,
    # and a select of every person or unit does not scale to a national installation.
    raw_id_fields = ["user", "unit"]
    fields = ["user", "role", "title", "unit"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A grant is given or taken away, never edited into another grant.
        return ["user", "role", "unit"] if obj else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # Only people wholly inside the administrator's subtrees, never the administrator.
            people = access.administered_people(request.user).exclude(pk=request.user.pk)
            kwargs["queryset"] = people
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: Any, change: bool) -> None:
        # The user field never offers the administrator, so grant_role's refusal of a
        # self-grant is a second line of defence here.
        if change:
            RoleGrant.objects.filter(pk=obj.pk).update(title=obj.title)
            return
        grant = services.grant_role(
            user=obj.user,
            unit=obj.unit,
            role=obj.role,
            title=obj.title,
            granted_by=request.user,  # type: ignore[arg-type]
            request=request,
        )
        obj.pk = grant.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: RoleGrant) -> None:
        services.revoke_role(grant=obj, revoked_by=request.user, request=request)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for grant in queryset.select_related("user", "unit"):
            self.delete_model(request, grant)
