"""Retention and destruction (gallring) by each municipality's information management plan.

A period per kind of information says how long it is kept, counted from its clock: a case,
its actor part and its attachments from when the case was closed (an open case is never
destroyed), notifications, read-log lines and security events from when they were made, an
unsent draft from when it was last saved. A municipality's own rule is the latest
RetentionPeriod row for it and the kind; without one, the installation's default
(settings.VARNA_RETENTION_DEFAULTS) applies. Drafts and the security log belong to people,
not units, and have one rule for the whole installation (municipality None).

Something is due on the local day its clock's day plus the period falls on (a case closed on
15 March 2030 and kept 24 months is destroyed by the run on 15 March 2032, not the day
before). A case under a legal hold is destroyed in no part until the hold is lifted.

The daily job (`run_destruction`) claims the day by inserting its DestructionRun row, so a
second worker does nothing, then destroys per municipality and kind in chunks, each chunk one
transaction that also adds its count to the run's DestructionBatch for that kind: the batch
says what kind, how many, under which rule and when, never what. The order within a
municipality is the actor part, attachments, then the cases: the actor part goes first when
its own, shorter, period ends. Destroying a report keeps its share of the follow-up
(`stats.services.retire`) and then deletes the report, which takes its case, timeline,
versions, notifications, read log and attachments with it; files leave the storage only once
the transaction has committed.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.cases.models import ActorDetails, Case, CaseEvent, State
from varna.orgs import tree
from varna.orgs.models import Unit, User
from varna.records.models import (
    INSTALLATION_KINDS,
    DestructionBatch,
    DestructionRun,
    Kind,
    RetentionPeriod,
)
from varna.reporting.models import Attachment, Draft, Notification, ReadLog, Report
from varna.stats import services as stats_services

logger = logging.getLogger(__name__)

MAX_MONTHS = 1_200  # 100 years: anything longer is a typing error, not a plan
BATCH = 500  # records per transaction in the daily job
PREVIEW_DAYS = 90

MUNICIPAL_KINDS = [kind for kind in Kind if kind not in INSTALLATION_KINDS]
# The order of a municipality's run: the actor part before the rest of its case.
RUN_ORDER = [
    Kind.ACTOR,
    Kind.ATTACHMENTS,
    Kind.NOT_UNLAWFUL,
    Kind.CASES,
    Kind.NOTIFICATIONS,
    Kind.READ_LOG,
]
CASE_KINDS = frozenset({Kind.CASES, Kind.NOT_UNLAWFUL, Kind.ACTOR, Kind.ATTACHMENTS})

CLOCKS = {
    Kind.CASES: _("when the case was closed"),
    Kind.NOT_UNLAWFUL: _("when the case was closed"),
    Kind.ACTOR: _("when the case was closed"),
    Kind.ATTACHMENTS: _("when the case was closed"),
    Kind.NOTIFICATIONS: _("when it was sent"),
    Kind.READ_LOG: _("when the part was read"),
    Kind.DRAFTS: _("when it was last saved"),
    Kind.SECURITY_LOG: _("when it happened"),
}

MESSAGES = {
    "months_required": _("Give how many months it is kept."),
    "too_short": _("A retention period is at least 1 month."),
    "too_long": _("A retention period is at most 100 years (1,200 months)."),
    "basis_required": _(
        "Give the basis in the information management plan: its name and the decision's "
        "reference number."
    ),
    "basis_too_long": _("The basis can be at most 300 characters."),
}


# Periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The rule in force for one kind: its months, and the row that set it (None: the
    installation's default)."""

    kind: Kind
    months: int
    rule: RetentionPeriod | None

    @property
    def clock(self) -> str:
        return str(CLOCKS[self.kind])


def kinds_for(municipality: Unit | None) -> list[Kind]:
    """The kinds with a rule of their own: per municipality, or the installation's."""
    if municipality is None:
        return [kind for kind in Kind if kind in INSTALLATION_KINDS]
    return MUNICIPAL_KINDS


def default_months(kind: str) -> int:
    return int(settings.VARNA_RETENTION_DEFAULTS[kind])


def _check_scope(municipality: Unit | None, kind: str) -> None:
    if municipality is not None and municipality.parent_id is not None:
        raise ValueError("retention periods are set for a whole municipality (a root unit)")
    if kind not in kinds_for(municipality):
        raise ValueError(
            f"{kind} has no period of its own for {municipality or 'the installation'}"
        )


def current_periods(municipality: Unit | None) -> dict[Kind, Period]:
    """The rule in force for each kind of the municipality (None: the installation's kinds)."""
    kinds = kinds_for(municipality)
    latest: dict[str, RetentionPeriod] = {}
    rows = RetentionPeriod.objects.filter(municipality=municipality, kind__in=kinds)
    for row in rows.select_related("set_by").order_by("kind", "-set_at", "-pk"):
        latest.setdefault(row.kind, row)
    return {
        kind: Period(kind, latest[kind].months, latest[kind])
        if kind in latest
        else Period(kind, default_months(kind), None)
        for kind in kinds
    }


def _period_for(municipality: Unit | None, kind: Kind) -> Period:
    # Notifications that lead to no unit (a request for measures without a case) have no
    # municipality to take a rule from: the installation's default applies.
    if municipality is None and kind not in INSTALLATION_KINDS:
        return Period(kind, default_months(kind), None)
    return current_periods(municipality)[kind]


def history(municipality: Unit | None, kind: str) -> QuerySet[RetentionPeriod]:
    """Every rule the kind has had, the one in force first."""
    _check_scope(municipality, kind)
    return (
        RetentionPeriod.objects.filter(municipality=municipality, kind=kind)
        .select_related("set_by")
        .order_by("-set_at", "-pk")
    )


@transaction.atomic
def set_period(
    *,
    municipality: Unit | None,
    kind: str,
    months: int | None,
    basis: str,
    by: User,
    now: datetime | None = None,
) -> RetentionPeriod:
    """A new rule for one kind, from the information management plan; the earlier rules stay
    as its history and the change goes to the security log."""
    _check_scope(municipality, kind)
    basis = (basis or "").strip()
    errors: dict[str, Any] = {}
    if months is None:
        errors["months"] = ValidationError(MESSAGES["months_required"], code="required")
    elif months < 1:
        errors["months"] = ValidationError(MESSAGES["too_short"], code="too_short")
    elif months > MAX_MONTHS:
        errors["months"] = ValidationError(MESSAGES["too_long"], code="too_long")
    if not basis:
        errors["basis"] = ValidationError(MESSAGES["basis_required"], code="required")
    elif len(basis) > 300:
        errors["basis"] = ValidationError(MESSAGES["basis_too_long"], code="max_length")
    if errors:
        raise ValidationError(errors)
    assert months is not None
    before = current_periods(municipality)[Kind(kind)]
    row = RetentionPeriod.objects.create(
        municipality=municipality,
        kind=kind,
        months=months,
        basis=basis,
        set_at=now or timezone.now(),
        set_by=by,
    )
    record_security_event(
        kind=SecurityEvent.Kind.RETENTION_CHANGED,
        actor=by,
        detail={
            "municipality": municipality.code if municipality else None,
            "kind": kind,
            "months": months,
            "before": before.months,
        },
    )
    return row


# When things are due ----------------------------------------------------------------------


def due_day(clock: datetime, months: int) -> date:
    """The local day on which something started at `clock` is due under a period of `months`."""
    return timezone.localdate(clock) + relativedelta(months=months)


def cutoff(day: date, months: int) -> datetime:
    """The first moment whose records are not yet due on `day`: due_day(t) <= day exactly
    when t < cutoff(day). Adding months shortens the month-ends (31 January + 1 month is 28
    February), so on the last day of a month everything from the whole earlier month is due."""
    last = day - relativedelta(months=months)
    if (day + timedelta(days=1)).day == 1:
        last = last + relativedelta(day=31)
    return timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))


def _closed_cases(municipality: Unit) -> QuerySet[Case]:
    return Case.objects.filter(
        tree.subtree_q(municipality.path, "unit__path"),
        state=State.CLOSED,
        closed_at__isnull=False,
    )


def _has_actor_part() -> Q:
    return Q(pk__in=ActorDetails.objects.values("case_id")) | Q(
        pk__in=Attachment.objects.filter(part=Attachment.Part.ACTOR).values("report_id")
    )


def _notifications_of(municipality: Unit | None) -> Q:
    """Notifications by the unit of what they are about: the report, else the year-plan
    activity, else the action-plan measure; None: those about none of them."""
    if municipality is None:
        return Q(report=None, activity=None, plan_measure=None)
    path = municipality.path
    return (
        tree.subtree_q(path, "report__unit__path")
        | (Q(report=None) & tree.subtree_q(path, "activity__unit__path"))
        | (Q(report=None, activity=None) & tree.subtree_q(path, "plan_measure__unit__path"))
    )


def due_records(kind: Kind, municipality: Unit | None, before: datetime) -> QuerySet[Any]:
    """The records of `kind` in the municipality whose clock is before `before`, leaving out
    every case under a legal hold (and its actor part and attachments)."""
    if kind in CASE_KINDS:
        assert municipality is not None
        cases = _closed_cases(municipality).filter(closed_at__lt=before, hold_since=None)
        if kind == Kind.CASES:
            return cases.filter(not_unlawful=False)
        if kind == Kind.NOT_UNLAWFUL:
            return cases.filter(not_unlawful=True)
        if kind == Kind.ACTOR:
            return cases.filter(_has_actor_part())
        return Attachment.objects.filter(report_id__in=cases.values("pk"))
    if kind == Kind.NOTIFICATIONS:
        return Notification.objects.filter(_notifications_of(municipality), created_at__lt=before)
    if kind == Kind.READ_LOG:
        assert municipality is not None
        return ReadLog.objects.filter(
            tree.subtree_q(municipality.path, "report__unit__path"), created_at__lt=before
        )
    if kind == Kind.DRAFTS:
        return Draft.objects.filter(updated_at__lt=before)
    return SecurityEvent.objects.filter(created_at__lt=before)


# Destroying -------------------------------------------------------------------------------


def _forget_files(names: Iterable[str]) -> None:
    """Delete the files from storage once the rows are gone for good (after the commit)."""
    names = [name for name in names if name]
    if not names:
        return
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]

    def delete() -> None:
        for name in names:
            try:
                storage.delete(name)
            except Exception:
                # The row is gone either way; a file left behind is found by its missing row.
                logger.exception("could not delete the destroyed attachment file %s", name)

    transaction.on_commit(delete)


def _destroy_reports(ids: list[int]) -> int:
    """Keep the reports' share of the follow-up, then delete them with everything on them."""
    reports = Report.objects.filter(pk__in=ids)
    files = list(Attachment.objects.filter(report_id__in=ids).values_list("file", flat=True))
    stats_services.retire(reports)
    reports.delete()
    _forget_files(files)
    return len(ids)


def _note_destroyed(case_ids: Iterable[int], what: Any) -> None:
    """A line on each case's timeline, so that a handler who opens it knows where it went."""
    at = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        note = str(what)
    CaseEvent.objects.bulk_create(
        CaseEvent(case_id=case_id, at=at, kind=CaseEvent.Kind.DESTROYED, note=note)
        for case_id in sorted(set(case_ids))
    )


def _destroy_actor_parts(ids: list[int]) -> int:
    actor_files = Attachment.objects.filter(report_id__in=ids, part=Attachment.Part.ACTOR)
    files = list(actor_files.values_list("file", flat=True))
    ActorDetails.objects.filter(case_id__in=ids).delete()
    actor_files.delete()
    _forget_files(files)
    _note_destroyed(ids, _("the part about who did it"))
    return len(ids)


def _destroy_attachments(ids: list[int]) -> int:
    rows = Attachment.objects.filter(pk__in=ids)
    files = list(rows.values_list("file", flat=True))
    cases = list(rows.values_list("report_id", flat=True))
    rows.delete()
    _forget_files(files)
    _note_destroyed(cases, _("attachments"))
    return len(ids)


def _destroy_rows(model: type[models.Model]) -> Callable[[list[int]], int]:
    def destroy(ids: list[int]) -> int:
        model._default_manager.filter(pk__in=ids).delete()
        return len(ids)

    return destroy


DESTROYERS: dict[Kind, Callable[[list[int]], int]] = {
    Kind.CASES: _destroy_reports,
    Kind.NOT_UNLAWFUL: _destroy_reports,
    Kind.ACTOR: _destroy_actor_parts,
    Kind.ATTACHMENTS: _destroy_attachments,
    Kind.NOTIFICATIONS: _destroy_rows(Notification),
    Kind.READ_LOG: _destroy_rows(ReadLog),
    Kind.DRAFTS: _destroy_rows(Draft),
    Kind.SECURITY_LOG: _destroy_rows(SecurityEvent),
}


def _refuse(kind: Kind, ids: set[int]) -> None:
    """Say why these records may not be destroyed now."""
    if kind in CASE_KINDS:
        case_ids = (
            set(Attachment.objects.filter(pk__in=ids).values_list("report_id", flat=True))
            if kind == Kind.ATTACHMENTS
            else ids
        )
        held = sorted(
            Case.objects.filter(pk__in=case_ids, hold_since__isnull=False).values_list(
                "report__number", flat=True
            )
        )
        if held:
            raise ValidationError(
                _(
                    "Kept under a legal hold: %(numbers)s. A case under a legal hold is not "
                    "destroyed, nor any part of it, until the hold is lifted."
                ),
                code="on_hold",
                params={"numbers": ", ".join(held)},
            )
        if Case.objects.filter(pk__in=case_ids).exclude(state=State.CLOSED).exists():
            raise ValidationError(_("An open case is never destroyed."), code="open")
    raise ValidationError(
        _("Not due for destruction under the retention plan, or already destroyed."),
        code="not_due",
    )


@transaction.atomic
def destroy(
    *,
    run: DestructionRun,
    municipality: Unit | None,
    kind: Kind,
    ids: list[int],
    now: datetime | None = None,
) -> int:
    """Destroy these records of one kind in one municipality because the plan says so, and
    add them to the run's batch for the kind. A case under a legal hold, an open case or
    anything not yet due is refused (ValidationError) and nothing at all is destroyed."""
    now = now or timezone.now()
    period = _period_for(municipality, kind)
    wanted = set(ids)
    due = due_records(kind, municipality, cutoff(timezone.localdate(now), period.months))
    # Locked (model rows, not values, so that only this table is locked): a legal hold set
    # at this moment waits for the destruction, or keeps the case out of it.
    locked = due.filter(pk__in=wanted).select_for_update(of=("self",)).only("pk")
    found = [row.pk for row in locked]
    if len(found) != len(wanted):
        _refuse(kind, wanted - set(found))
    if not found:
        return 0
    count = DESTROYERS[kind](found)
    batch = DestructionBatch.objects.filter(run=run, municipality=municipality, kind=kind).first()
    if batch is None:
        DestructionBatch.objects.create(
            run=run,
            municipality=municipality,
            kind=kind,
            count=count,
            months=period.months,
            rule=period.rule,
            at=now,
        )
    else:
        DestructionBatch.objects.filter(pk=batch.pk).update(count=F("count") + count)
    return count


@dataclass
class RunResult:
    day: date
    claimed: bool
    destroyed: Counter[tuple[str, str]] = field(default_factory=Counter)

    def __str__(self) -> str:
        if not self.claimed:
            return f"{self.day}: another worker has run the destruction already"
        return (
            f"{self.day}: destroyed {sum(self.destroyed.values())} in {len(self.destroyed)} batches"
        )


def _claim(day: date, now: datetime) -> DestructionRun | None:
    try:
        with transaction.atomic():
            return DestructionRun.objects.create(day=day, started_at=now)
    except IntegrityError:
        return None


def _destroy_due(run: DestructionRun, municipality: Unit | None, kind: Kind, now: datetime) -> int:
    """Everything of one kind in one municipality that is due today, a chunk at a time."""
    period = _period_for(municipality, kind)
    due = due_records(kind, municipality, cutoff(timezone.localdate(now), period.months))
    total = 0
    while ids := list(due.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        try:
            total += destroy(run=run, municipality=municipality, kind=kind, ids=ids, now=now)
        except ValidationError:
            # A hold or a longer period set while this ran: the next day's run sees it.
            logger.warning("destruction of %s stopped: the records changed under it", kind)
            break
    return total


def run_destruction(*, now: datetime | None = None) -> RunResult:
    """The daily job: claim the day (a second worker finds it claimed and does nothing),
    destroy everything due in every municipality and the installation, mark the run done."""
    clock_given = now is not None
    now = now or timezone.now()
    run = _claim(timezone.localdate(now), now)
    result = RunResult(day=timezone.localdate(now), claimed=run is not None)
    if run is None:
        return result
    work: list[tuple[Unit | None, Kind]] = [
        (municipality, kind)
        for municipality in Unit.objects.roots().order_by("path")
        for kind in RUN_ORDER
    ]
    work += [(None, Kind.DRAFTS), (None, Kind.SECURITY_LOG), (None, Kind.NOTIFICATIONS)]
    for municipality, kind in work:
        count = _destroy_due(run, municipality, kind, now)
        if count:
            result.destroyed[(municipality.code if municipality else "", kind)] += count
    run.finished_at = now if clock_given else timezone.now()
    run.save(update_fields=["finished_at"])
    return result


# The preview ------------------------------------------------------------------------------


@dataclass
class Upcoming:
    """What of one kind will be destroyed in the coming days: how many on which day."""

    period: Period
    days: list[tuple[date, int]]

    @property
    def count(self) -> int:
        return sum(count for _day, count in self.days)


@dataclass
class HeldCase:
    number: str
    hold_since: datetime
    due_on: date  # when the first part of it would otherwise be destroyed


@dataclass
class Preview:
    first: date
    last: date
    kinds: list[Upcoming]
    held: list[HeldCase]


def _case_months(periods: dict[Kind, Period], not_unlawful: bool) -> int:
    return periods[Kind.NOT_UNLAWFUL if not_unlawful else Kind.CASES].months


def _preview_days(
    kind: Kind, municipality: Unit | None, periods: dict[Kind, Period], last: date
) -> Counter[date]:
    """The day each record of `kind` that is due by `last` goes: an actor part or attachment
    whose case goes earlier goes with it (and counts as the case), an actor attachment goes
    with the actor part when that goes no later."""
    months = periods[kind].months
    rows = due_records(kind, municipality, cutoff(last, months))
    days: Counter[date] = Counter()
    if kind not in CASE_KINDS:
        clock = "updated_at" if kind == Kind.DRAFTS else "created_at"
        for moment in rows.values_list(clock, flat=True).iterator():
            days[due_day(moment, months)] += 1
        return days
    values: Iterable[tuple[datetime, bool, str]]
    if kind == Kind.ATTACHMENTS:
        values = rows.values_list("report__case__closed_at", "report__case__not_unlawful", "part")
    else:
        values = (
            (closed, not_unlawful, "")
            for closed, not_unlawful in rows.values_list("closed_at", "not_unlawful")
        )
    for closed_at, not_unlawful, part in values:
        day = due_day(closed_at, months)
        if kind in (Kind.ACTOR, Kind.ATTACHMENTS):
            if due_day(closed_at, _case_months(periods, not_unlawful)) < day:
                continue
            actor_day = due_day(closed_at, periods[Kind.ACTOR].months)
            if part == Attachment.Part.ACTOR and actor_day <= day:
                continue
        days[day] += 1
    return days


def _held(municipality: Unit, periods: dict[Kind, Period], last: date) -> list[HeldCase]:
    of_case = OuterRef("pk")
    held = (
        _closed_cases(municipality)
        .filter(hold_since__isnull=False)
        .annotate(
            actor_details=Exists(ActorDetails.objects.filter(case_id=of_case)),
            actor_files=Exists(
                Attachment.objects.filter(report_id=of_case, part=Attachment.Part.ACTOR)
            ),
            files=Exists(Attachment.objects.filter(report_id=of_case)),
        )
        .values_list(
            "report__number",
            "hold_since",
            "closed_at",
            "not_unlawful",
            "actor_details",
            "actor_files",
            "files",
        )
    )
    found = []
    for number, since, closed_at, not_unlawful, details, actor_files, files in held:
        assert since is not None and closed_at is not None  # filtered above
        months = [_case_months(periods, not_unlawful)]
        if details or actor_files:
            months.append(periods[Kind.ACTOR].months)
        if files:
            months.append(periods[Kind.ATTACHMENTS].months)
        first = min(due_day(closed_at, count) for count in months)
        if first <= last:
            found.append(HeldCase(number, since, first))
    return sorted(found, key=lambda item: (item.due_on, item.number))


def preview(
    municipality: Unit | None, *, days: int = PREVIEW_DAYS, now: datetime | None = None
) -> Preview:
    """What the job will destroy in the coming `days` days, per kind and day (anything already
    due goes on the next run, today); the cases kept under a legal hold apart."""
    today = timezone.localdate(now or timezone.now())
    last = today + timedelta(days=days)
    periods = current_periods(municipality)
    if municipality is None:
        # With the installation's own kinds: the notifications that belong to no municipality.
        kinds = [*periods, Kind.NOTIFICATIONS]
        periods[Kind.NOTIFICATIONS] = _period_for(None, Kind.NOTIFICATIONS)
    else:
        kinds = [kind for kind in RUN_ORDER if kind in periods]
    upcoming = []
    for kind in kinds:
        counted: Counter[date] = Counter()
        for day, count in _preview_days(kind, municipality, periods, last).items():
            counted[max(day, today)] += count
        upcoming.append(Upcoming(periods[kind], sorted(counted.items())))
    held = _held(municipality, periods, last) if municipality is not None else []
    return Preview(first=today, last=last, kinds=upcoming, held=held)


def recent_batches(municipality: Unit | None, limit: int = 50) -> QuerySet[DestructionBatch]:
    """The latest destruction batches of the municipality (None: the installation's)."""
    return (
        DestructionBatch.objects.filter(municipality=municipality)
        .select_related("rule")
        .order_by("-at", "kind")[:limit]
    )
