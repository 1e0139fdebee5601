"""Reads for case handling: the inbox and the parts of a case page."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from varna.cases.access import SEES_ACTOR, SEES_CONTENT, Capacity, capacity, visible_cases
from varna.cases.models import OPEN_STATES, Case, CaseEvent, Measure, State
from varna.orgs import tree
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit
from varna.reporting import access as report_access
from varna.reporting.models import Attachment, ReadLog, Report
from varna.reporting.selectors import NO_CASE_PARTS
from varna.reporting.taxonomy import Form

# The workflow's order, for sorting by status.
STATE_ORDER = models.Case(
    *[models.When(state=state, then=models.Value(index)) for index, state in enumerate(State)],
    output_field=models.IntegerField(),
)
# The earliest deadline first (the overdue ones), cases without a deadline last: said outright,
# since SQLite puts NULLs first and PostgreSQL last (which its index on next_due_at keeps).
DUE_FIRST = F("next_due_at").asc(nulls_last=True)
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (DUE_FIRST, "-opened_at"),
    "-opened": ("-opened_at",),
    "opened": ("opened_at",),
    "state": (STATE_ORDER, DUE_FIRST),
}
PAGE_SIZE = 25
# Counting stops here: "more than 10,000 cases" says enough, and an exact count of 100,000
# rows would cost more than the rest of the page.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at COUNT_CAP (then `capped` is true)."""

    capped = False

    @cached_property
    def count(self) -> int:
        # Unordered: how many of the first COUNT_CAP + 1 rows there are does not depend on
        # their order, and without one the database may read the cheapest index that
        # answers the filter rather than walk the list's sort order.
        counted = self.object_list.order_by()[: COUNT_CAP + 1].count()  # type: ignore[attr-defined]
        if counted > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return int(counted)

    def page(self, number: Any) -> Page[Any]:
        """A full page even at the cap (the count no longer marks where the rows end)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list[bottom : bottom + self.per_page]  # type: ignore[index]
        return Page(rows, number, self)


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
    return cases.order_by(*order, "pk")


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox, ready to show: read as plain values, labels and dates worked
    out once here rather than per row and choice in the template."""

    number: str
    link: str
    opened_at: datetime
    opened: str
    unit: str
    form: str
    state: str
    serious: bool
    due: str
    overdue: bool
    handler: str


ROW_FIELDS = [
    "pk",
    "report__code",
    "report__number",
    "unit__name",
    "main_form",
    "state",
    "opened_at",
    "next_due_at",
    "serious_reasons",
    "handler__first_name",
    "handler__last_name",
]


def inbox_page(
    user: AnyUser, chosen: InboxFilter, page_number: Any, now: datetime | None = None
) -> tuple[Page[Any], list[InboxRow]]:
    """One page of the inbox. The page is chosen on primary keys alone (an index-only walk,
    even deep into 100,000 cases), then only its rows are read."""
    now = now or timezone.now()
    keys = inbox(user, chosen, now).values_list("pk", flat=True)
    page = CappedPaginator(keys, PAGE_SIZE).get_page(page_number)
    ids = list(page.object_list)
    by_id = {row["pk"]: row for row in Case.objects.filter(pk__in=ids).values(*ROW_FIELDS)}
    forms = {code: str(label) for code, label in Form.choices}
    states = {code: str(label) for code, label in State.choices}
    link = reverse("cases:detail", args=["-code-"])
    rows = []
    for pk in ids:
        row = by_id.get(pk)
        if row is None:
            continue
        due = row["next_due_at"] if row["state"] != State.CLOSED else None
        handler = f"{row['handler__first_name']} {row['handler__last_name']}".strip()
        rows.append(
            InboxRow(
                number=row["report__number"],
                link=link.replace("-code-", row["report__code"]),
                opened_at=row["opened_at"],
                opened=f"{timezone.localtime(row['opened_at']):%Y-%m-%d}",
                unit=row["unit__name"],
                form=forms.get(row["main_form"], row["main_form"]),
                state=states.get(row["state"], row["state"]),
                serious=bool(row["serious_reasons"]),
                due=f"{timezone.localtime(due):%Y-%m-%d %H:%M}" if due else "",
                overdue=bool(due and due < now),
                handler=handler,
            )
        )
    return page, rows


def counts(user: AnyUser, now: datetime | None = None) -> dict[str, int]:
    """How many cases are new, overdue and waiting on the user: the inbox's headline."""
    now = now or timezone.now()
    return (
        visible_cases(user)
        .filter(state__in=OPEN_STATES)
        .aggregate(
            new=Count("pk", filter=Q(state=State.RECEIVED)),
            overdue=Count("pk", filter=Q(next_due_at__lt=now)),
            mine=Count("pk", filter=Q(handler=user.pk)),
        )
    )


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


def report_page_parts(user: AnyUser, report: Report) -> dict[str, object]:
    """What the report page (varna.reporting) shows of the report's case to `user`: the status
    to the employee, the steps and measures to the person it happened to (a colleague who
    reported on their behalf sees the status only), a way into the case for those who open
    it, whether the report can still be completed (the form's promise: while the case is
    open), and why it was closed as not unlawful influence."""
    case = Case.objects.filter(report=report).prefetch_related("assignments").first()
    if case is None:
        return dict(NO_CASE_PARTS)
    own = report_access.is_own(user, report)
    return {
        "progress": employee_view(case) if user.pk == report.affected_id else None,
        "case_state": case.get_state_display() if own else "",
        "opens_case": capacity(user, case) is not None,
        "may_complete": own and case.state != State.CLOSED,
        "not_unlawful": case.not_unlawful_reason if own and case.not_unlawful else "",
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


def case_attachments(user: AnyUser, case: Case, capacity: Capacity) -> QuerySet[Attachment]:
    """The files on the case page for a user reading it in `capacity`: those who read the
    handling see the report's and the case's files, the handlers also the actor part's; HR
    (support and injury only) sees none."""
    parts = []
    if capacity in SEES_CONTENT:
        parts += [Attachment.Part.REPORT, Attachment.Part.CASE]
    if capacity in SEES_ACTOR:
        parts.append(Attachment.Part.ACTOR)
    return Attachment.objects.filter(report=case.report_id, part__in=parts).select_related(
        "uploaded_by"
    )
