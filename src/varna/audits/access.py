"""Who sees and who keeps the audits: the audit side of the one access layer.

Auditors (revisorer) read every audit in their scope, committee members their committee's
(an audit of the nämnd or of a unit below it), analysts those of the part they follow up
(VIEW_AUDIT). Administrators record audits, recommendations, the committee's answers and the
measures decided (MANAGE_AUDIT). The person responsible for a measure adds notes and changes
its status, wherever they sit. Nothing here is about events or people beyond the names of
those responsible.
"""

from django.db.models import QuerySet
from django.http import Http404

from varna.audits.models import Audit, Measure, Recommendation
from varna.orgs import access
from varna.orgs.access import Action, AnyUser

access.register_scoped(Audit, "unit__path")
access.register_scoped(Recommendation, "audit__unit__path")
access.register_scoped(Measure, "recommendation__audit__unit__path")


def visible_audits(user: AnyUser) -> QuerySet[Audit]:
    """The audits the user reads or keeps."""
    return access.visible(user, Action.VIEW_AUDIT, Audit.objects.all()) | access.visible(
        user, Action.MANAGE_AUDIT, Audit.objects.all()
    )


def get_audit_for(user: AnyUser, code: str, action: Action = Action.VIEW_AUDIT) -> Audit:
    """The audit with this code if the user may do `action` on it (keepers also read); 404."""
    audit = Audit.objects.select_related("unit").filter(code=code).first()
    if audit is None:
        raise Http404
    allowed = access.can(user, action, audit) or (
        action == Action.VIEW_AUDIT and access.can(user, Action.MANAGE_AUDIT, audit)
    )
    if not allowed:
        raise Http404
    return audit


def may_manage(user: AnyUser, audit: Audit) -> bool:
    return access.can(user, Action.MANAGE_AUDIT, audit)


def may_update_measure(user: AnyUser, measure: Measure) -> bool:
    """The responsible person, or those who keep the audit, note progress on a measure."""
    return measure.responsible_id == getattr(user, "pk", None) or access.can(
        user, Action.MANAGE_AUDIT, measure
    )
