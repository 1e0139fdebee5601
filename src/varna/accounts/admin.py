"""Administrators act on a person's sign-in from the person's page in the admin: send an
invitation to set a password, or end every session of someone who has left. The actions are
added to the people admin of varna.orgs (which stays free of sign-in), scoped as it is."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from varna.accounts import services
from varna.accounts.models import GroupRole
from varna.orgs.admin import ScopedAdmin
from varna.orgs.models import User


@admin.action(description=_("Send an invitation to choose a password"))
def send_invitation(model_admin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    sent, refused = 0, []
    for person in queryset:
        try:
            services.invite(person=person, by=request.user, request=request)  # type: ignore[arg-type]
            sent += 1
        except services.InvitationRefused as refusal:
            refused.append(f"{person} ({services.REFUSAL_TEXT.get(str(refusal), str(refusal))})")
    if sent:
        messages.success(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
        )
    if refused:
        messages.warning(request, _("Not sent: %(people)s.") % {"people": "; ".join(refused)})


@admin.action(description=_("End all sessions (log out everywhere)"))
def end_all_sessions(model_admin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    ended = sum(
        services.end_sessions(person=person, by=request.user, request=request)  # type: ignore[arg-type]
        for person in queryset
    )
    messages.success(
        request,
        ngettext("%(count)d session ended.", "%(count)d sessions ended.", ended) % {"count": ended},
    )


people_admin = admin.site.get_model_admin(User)
people_admin.actions = [*(people_admin.actions or []), send_invitation, end_all_sessions]


@admin.register(GroupRole)
class GroupRoleAdmin(ScopedAdmin):
    """Roles that follow groups at the identity provider, for the units one administers."""

    list_display = ["group", "role", "unit", "title", "updated_at"]
    list_filter = ["role"]
    search_fields = ["group", "unit__name", "unit__code"]

    def save_model(self, request: HttpRequest, obj: GroupRole, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.record_mapping_change(
            mapping=obj,
            change="changed" if change else "added",
            by=request.user,  # type: ignore[arg-type]
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: GroupRole) -> None:
        services.record_mapping_change(
            mapping=obj,
            change="removed",
            by=request.user,
            request=request,  # type: ignore[arg-type]
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GroupRole]) -> None:
        for mapping in queryset.select_related("unit"):
            self.delete_model(request, mapping)
