"""Writes to the organisation tree, people and roles. Paths and grants change only here."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.http import HttpRequest
from django.utils.translation import gettext as _

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.orgs import tree
from varna.orgs.access import forget_roles
from varna.orgs.models import Employment, Headcount, Role, RoleGrant, Unit, User
from varna.orgs.signals import units_moved


@transaction.atomic
def create_unit(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Unit:
    """Add a unit under `parent` (or as a new root) and give it its tree path."""
    if parent is not None and tree.depth(parent.path) + 1 >= tree.MAX_DEPTH:
        raise ValidationError(_("The organisation tree cannot be deeper than this."))
    unit = Unit(code=code, name=name, kind=kind, parent=parent, path=f"new:{code}")
    if valid_from is not None:
        unit.valid_from = valid_from
    unit.valid_to = valid_to
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = tree.child_path(parent.path if parent else "", unit.pk)
    unit.depth = tree.depth(unit.path)
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def move_unit(
    *,
    unit: Unit,
    new_parent: Unit | None,
    moved_by: User | None = None,
    request: HttpRequest | None = None,
) -> Unit:
    """Put `unit` and its whole subtree under `new_parent`, rewriting their paths in one update."""
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValidationError(_("A unit cannot be moved below itself."))
    old_path = unit.path
    new_path = tree.child_path(new_parent.path if new_parent else "", unit.pk)
    if new_path == old_path:
        return unit
    Unit.objects.filter(tree.subtree_q(old_path)).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (len(new_path) - len(old_path)) // tree.SEGMENT,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    units_moved.send(sender=Unit, moves=[(old_path, new_path)])
    # Moving a subtree moves who may see it: it belongs in the security log.
    record_security_event(
        kind=SecurityEvent.Kind.UNIT_MOVED,
        request=request,
        actor=moved_by,
        detail={"unit": unit.code, "new_parent": new_parent.code if new_parent else None},
    )
    unit.refresh_from_db()
    return unit


@transaction.atomic
def close_unit(*, unit: Unit, valid_to: date, closed_by: User | None = None) -> Unit:
    """Close a unit (and what is below it and still open) on `valid_to`; history stays."""
    if valid_to < unit.valid_from:
        raise ValidationError({"valid_to": _("A unit cannot close before it opened.")})
    Unit.objects.filter(tree.subtree_q(unit.path), valid_to__isnull=True).update(valid_to=valid_to)
    Unit.objects.filter(tree.subtree_q(unit.path), valid_to__gt=valid_to).update(valid_to=valid_to)
    record_security_event(
        kind=SecurityEvent.Kind.UNIT_CLOSED,
        actor=closed_by,
        detail={"unit": unit.code, "valid_to": valid_to.isoformat()},
    )
    unit.refresh_from_db()
    return unit


def set_headcount(*, unit: Unit, year: int, employees: int) -> Headcount:
    """Record how many people a unit employs in a year (replacing an earlier figure)."""
    if employees < 0:
        raise ValidationError({"employees": _("A headcount cannot be negative.")})
    headcount, _created = Headcount.objects.update_or_create(
        unit=unit, year=year, defaults={"employees": employees}
    )
    return headcount


def employ(
    *, user: User, unit: Unit, title: str = "", start_date: date | None = None
) -> Employment:
    """Record that `user` works in `unit` (updating the title if already so)."""
    employment, _created = Employment.objects.update_or_create(
        user=user, unit=unit, defaults={"title": title, "start_date": start_date}
    )
    return employment


@transaction.atomic
def grant_role(
    *,
    user: User,
    unit: Unit,
    role: Role | str,
    title: str = "",
    granted_by: User | None = None,
    request: HttpRequest | None = None,
    from_group: str = "",
) -> RoleGrant:
    """Give `user` a role on `unit` and its subtree, and log it in the security log.
    `from_group` names the identity provider's group the role comes from, if it does.

    Nobody grants a role to themselves: an administrator could otherwise make themselves a
    reader of reports, and administering is not reading.
    """
    if granted_by is not None and granted_by.pk == user.pk:
        raise ValidationError({"user": _("You cannot give a role to yourself.")})
    role = Role(role)
    grant, created = RoleGrant.objects.get_or_create(
        user=user,
        unit=unit,
        role=role,
        defaults={"title": title, "is_from_group": bool(from_group)},
    )
    if not created and title and grant.title != title:
        grant.title = title
        grant.save(update_fields=["title", "updated_at"])
    if created:
        record_security_event(
            kind=SecurityEvent.Kind.ROLE_GRANTED,
            request=request,
            actor=granted_by,
            subject=user,
            detail={"role": role.value, "unit": unit.code}
            | ({"group": from_group} if from_group else {}),
        )
    forget_roles(user)
    return grant


@transaction.atomic
def revoke_role(
    *, grant: RoleGrant, revoked_by: User | None = None, request: HttpRequest | None = None
) -> None:
    """Take a role away and log it in the security log."""
    record_security_event(
        kind=SecurityEvent.Kind.ROLE_REVOKED,
        request=request,
        actor=revoked_by,
        subject=grant.user,
        detail={"role": grant.role, "unit": grant.unit.code},
    )
    grant.delete()
    forget_roles(grant.user)
