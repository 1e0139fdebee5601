"""Who may see and do what in the year plan: the year-plan side of the one access layer.

Managers, safety representatives, analysts and auditors see the year plan of their subtrees
(VIEW_YEARPLAN); only managers mark activities done or reopen them (MANAGE_YEARPLAN). HR and
committee members see only how well it is kept: the share of activities done on time per unit
(VIEW_YEARPLAN_COMPLIANCE, which everyone who sees the plan also has). The names of new
employees on introductions are shown only to those who see the unit's staff. Templates are
administered per municipality; the shared defaults only by the bootstrap account.
"""

from django.db.models import QuerySet
from django.http import Http404

from varna.orgs import access, tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit
from varna.yearplan.models import Activity, ActivityTemplate

access.register_scoped(Activity, "unit__path")
access.register_scoped(ActivityTemplate, "municipality__path")


def visible_activities(user: AnyUser, action: Action = Action.VIEW_YEARPLAN) -> QuerySet[Activity]:
    """The activities in the units where the user may do `action`."""
    return access.visible(user, action, Activity.objects.all())


def get_activity_for(user: AnyUser, code: str, action: Action = Action.VIEW_YEARPLAN) -> Activity:
    """The activity with this code if the user may do `action` on it; 404 otherwise."""
    activity = (
        visible_activities(user, action)
        .select_related("template", "unit", "done_by", "assessment", "employment__user")
        .filter(code=code)
        .first()
    )
    if activity is None:
        raise Http404
    return activity


def may_manage(user: AnyUser, activity: Activity) -> bool:
    return access.can(user, Action.MANAGE_YEARPLAN, activity)


def sees_names(user: AnyUser, unit: Unit) -> bool:
    """Whether the page may name the employee an introduction is for."""
    return access.can(user, Action.VIEW_STAFF, unit)


def yearplan_unit(user: AnyUser, code: str, action: Action = Action.VIEW_YEARPLAN) -> Unit | None:
    """The unit with this code if its year plan is in the user's scope, else None."""
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not access.can(user, action, unit):
        return None
    return unit


def top_units(user: AnyUser, action: Action = Action.VIEW_YEARPLAN) -> list[Unit]:
    """The tops of the user's year-plan scope, where the overview starts."""
    return list(Unit.objects.filter(path__in=access.scope_paths(user, action)))


def sees_plan(user: AnyUser, unit: Unit) -> bool:
    """Whether the user may open the unit's plan itself (its activities and evidence)."""
    return access.can(user, Action.VIEW_YEARPLAN, unit)


def templates_for_admin(user: AnyUser) -> QuerySet[ActivityTemplate]:
    """The templates an administrator sees: their municipalities' own and the shared ones."""
    own = access.visible(user, Action.ADMINISTER, ActivityTemplate.objects.all())
    if not access.is_root_administrator(user):
        return own
    return own | ActivityTemplate.objects.filter(municipality__isnull=True)


def may_administer_template(user: AnyUser, template: ActivityTemplate | None = None) -> bool:
    """Administrators of a whole municipality change its templates; the shared defaults are
    changed only by the bootstrap account (they hold for every municipality)."""
    if not access.is_root_administrator(user):
        return False
    if template is None or template.municipality_id is None:
        return template is None or access.administers_installation(user)
    return access.can(user, Action.ADMINISTER, template)


def municipalities_for_admin(user: AnyUser) -> QuerySet[Unit]:
    """The roots whose templates the user administers."""
    roots = [path for path in access.scope_paths(user, Action.ADMINISTER) if tree.depth(path) == 0]
    return Unit.objects.filter(path__in=roots)
