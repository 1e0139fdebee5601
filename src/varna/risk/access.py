"""Who may see and do what with risk assessments: the risk side of the one access layer.

- Managers of a unit's subtree read, make, change and approve its assessments and action plan.
- Safety representatives read them and confirm taking part or record disagreement.
- Every employee of a unit reads the plain summary of the assessment that holds for it.
- Event counts beside an assessment are shown in full only to those who may see the cases;
  for everyone else adjusted as the follow-up adjusts them.
Everyone else gets 404.
"""

from django.http import Http404

from varna.orgs import access
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit
from varna.risk.models import Assessment, PlanMeasure

access.register_scoped(Assessment, "unit__path")
access.register_scoped(PlanMeasure, "unit__path")


def get_assessment_for(user: AnyUser, code: str, action: Action = Action.VIEW_RISK) -> Assessment:
    """The assessment with this code if the user may do `action` on it; 404 otherwise."""
    assessment = (
        access.visible(user, action, Assessment.objects.select_related("unit"))
        .filter(code=code)
        .first()
    )
    if assessment is None:
        raise Http404
    return assessment


def may_manage(user: AnyUser, obj: Assessment | Unit) -> bool:
    return access.can(user, Action.MANAGE_RISK, obj)


def may_respond(user: AnyUser, assessment: Assessment) -> bool:
    """The safety representative of the unit, while the assessment is not superseded."""
    return assessment.status != Assessment.Status.SUPERSEDED and access.can(
        user, Action.CONFIRM_RISK, assessment
    )


def sees_events(user: AnyUser, unit: Unit) -> bool:
    """Whether the user may see the unit's cases, and so the event counts without hiding."""
    return access.can(user, Action.VIEW_CASE, unit)


def summary_units(user: AnyUser) -> list[Unit]:
    """The units whose summary the user is shown first: where they work."""
    from varna.orgs.selectors import employments_of

    return [employment.unit for employment in employments_of(user)]  # type: ignore[arg-type]
