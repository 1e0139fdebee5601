"""Reads for the audits: the list with its counts, one audit with everything under it, and
who may be made responsible for a measure."""

from datetime import date

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from varna.audits import access
from varna.audits.models import Audit, Measure, Recommendation
from varna.orgs import access as org_access
from varna.orgs import tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit, User
from varna.reporting.models import Notification

_OPEN = ~Q(recommendations__measures__status=Measure.Status.DONE)


def audit_rows(user: AnyUser, today: date) -> QuerySet[Audit]:
    """The audits the user reads or keeps, each with how many recommendations it has and how
    many of its measures are open and overdue."""
    return (
        access.visible_audits(user)
        .select_related("unit")
        .annotate(
            recommendation_count=Count("recommendations", distinct=True),
            open_count=Count("recommendations__measures", filter=_OPEN, distinct=True),
            overdue_count=Count(
                "recommendations__measures",
                filter=_OPEN & Q(recommendations__measures__due_on__lt=today),
                distinct=True,
            ),
        )
        .order_by("-reported_on", "title")
    )


def measures_of(user: AnyUser) -> QuerySet[Measure]:
    """The measures the user is responsible for, open ones first, soonest due first."""
    if not user.is_authenticated:
        return Measure.objects.none()
    return (
        Measure.objects.filter(responsible=user.pk)
        .select_related("recommendation__audit")
        # Open ones (no done_on) first on both databases: PostgreSQL sorts NULLs last.
        .order_by(F("done_on").asc(nulls_first=True), "due_on", "pk")
    )


def recommendations_of(audit: Audit) -> QuerySet[Recommendation]:
    measures = Measure.objects.select_related("responsible").order_by("due_on", "pk")
    return audit.recommendations.prefetch_related(Prefetch("measures", queryset=measures))


def manageable_units(user: AnyUser) -> QuerySet[Unit]:
    """The units an audit may be recorded for by this user."""
    return org_access.units_for(user, Action.MANAGE_AUDIT).order_by("path")


def _municipality_q(audit: Audit, prefix: str) -> Q:
    return tree.subtree_q(audit.unit.path[: tree.SEGMENT], f"{prefix}__unit__path")


def _current_employment(today: date) -> Q:
    return Q(employments__end_date__isnull=True) | Q(employments__end_date__gte=today)


def employed_in_municipality(audit: Audit, today: date) -> QuerySet[User]:
    """Who may be chosen as responsible on the form: people employed now in the audit's
    municipality, by name."""
    return (
        User.objects.filter(
            _municipality_q(audit, "employments") & _current_employment(today), is_active=True
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def may_be_responsible(user: User, audit: Audit) -> bool:
    """Employed in, or holding a role in, the audit's municipality (an administrator or
    controller without an employment there can still be named in the decision)."""
    if not user.is_active:
        return False
    people = User.objects.filter(pk=user.pk)
    return (
        people.filter(
            _municipality_q(audit, "employments") & _current_employment(timezone.localdate())
        ).exists()
        or people.filter(_municipality_q(audit, "role_grants")).exists()
    )


def may_see_measure(user: AnyUser, measure: Measure) -> bool:
    """The responsible person, whoever reads or keeps the audit, and those the measure's
    reminders were passed on to (an escalation must lead somewhere they can read)."""
    return (
        access.may_update_measure(user, measure)
        or org_access.can(user, Action.VIEW_AUDIT, measure)
        or (
            user.is_authenticated
            and Notification.objects.filter(audit_measure=measure, recipient=user.pk).exists()
        )
    )
