"""Reads for case handling: the inbox and the parts of a case page."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from varna.cases.access import visible_cases
from varna.cases.models import OPEN_STATES, Case, CaseEvent, Measure, State
from varna.orgs import tree
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit
from varna.reporting.models import ReadLog

SORTS = {
    "due": ("next_due_at", "-opened_at"),
    "-opened": ("-opened_at",),
    "opened": ("opened_at",),
    "state": ("state", "next_due_at"),
}
PAGE_SIZE = 25


@dataclass(frozen=True)
class InboxFilter:
    view: str = "open"
    sort: str = "due"
    form: str = ""
    unit: Unit | None = None
    serious: bool = False
    number: str = ""


def inbox(user: AnyUser, chosen: InboxFilter, now: datetime | None = None) -> QuerySet[Case]:
    """The cases the user may open, narrowed and sorted as the inbox asks."""
    now = now or timezone.now()
    cases = visible_cases(user)
    match chosen.view:
        case "new":
            cases = cases.filter(state=State.RECEIVED)
        case "overdue":
            cases = cases.filter(state__in=OPEN_STATES, next_due_at__lt=now)
        case "mine":
            cases = cases.filter(state__in=OPEN_STATES, handler=user.pk)
        case "closed":
            cases = cases.filter(state=State.CLOSED)
        case "all":
            pass
        case _:
            cases = cases.filter(state__in=OPEN_STATES)
    if chosen.form:
        cases = cases.filter(main_form=chosen.form)
    if chosen.unit is not None:
        cases = cases.filter(tree.subtree_q(chosen.unit.path, "unit__path"))
    if chosen.serious:
        cases = cases.exclude(serious_reasons=[])
    if chosen.number:
        cases = cases.filter(report__number__startswith=chosen.number)
    order = SORTS.get(chosen.sort, SORTS["due"])
    return cases.select_related("report", "unit", "handler").order_by(*order, "pk")


def counts(user: AnyUser, now: datetime | None = None) -> dict[str, int]:
    """How many cases are new, overdue and waiting on the user: the inbox's headline."""
    now = now or timezone.now()
    open_cases = visible_cases(user).filter(state__in=OPEN_STATES)
    return {
        "new": open_cases.filter(state=State.RECEIVED).count(),
        "overdue": open_cases.filter(next_due_at__lt=now).count(),
        "mine": open_cases.filter(handler=user.pk).count(),
    }


def timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor")


def employee_view(case: Case) -> dict[str, object]:
    """What the reporter sees of their case: status, the steps taken, measures concerning them,
    and the support offered to them."""
    return {
        "case": case,
        "steps": case.events.filter(for_employee=True),
        "measures": case.measures.filter(scope=Measure.Scope.INDIVIDUAL).select_related("owner"),
        "supports": case.supports.all(),
    }


def read_log(case: Case) -> QuerySet[ReadLog]:
    return ReadLog.objects.filter(report=case.report_id).select_related("user")


def open_measures_of(user: AnyUser) -> QuerySet[Measure]:
    """Measures the user owns that are not yet done, in cases still open."""
    return (
        Measure.objects.filter(
            Q(owner=user.pk),
            status__in=[Measure.Status.PLANNED, Measure.Status.IN_PROGRESS],
        )
        .exclude(case__state=State.CLOSED)
        .select_related("case__report")
        .order_by("due_on")
    )
