"""Reminders and escalation, driven by `Reminder` rows with due times: the deadlines of cases,
of the SAM year plan's activities and of the risk assessments' action-plan measures.

A run takes the rows that are due, claims them with one conditional UPDATE (only rows nobody
has claimed), and for each claimed row that is still relevant puts a notification in the
responsible person's inbox and adds the next level's row: a deadline that stays unmet goes one
level further up the tree each working day. E-mail goes out once a day as a digest per person;
only what cannot wait (a notice to Arbetsmiljöverket due today, an unanswered request for
measures) is e-mailed at once.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from varna.cases import rules
from varna.cases.models import Case, DigestRun, Reminder, State
from varna.orgs.models import Role, Unit, User
from varna.orgs.selectors import holders_by_level
from varna.reporting.models import Notification, Report
from varna.reporting.tasks import send_notification_email

URGENT = {Reminder.Kind.NOTICE, Reminder.Kind.SAFETY_REQUEST}
DailyTask = Callable[[date, datetime], dict[int, list[int]] | None]
_DAILY: list[DailyTask] = []
BATCH = 500
# A notice to Arbetsmiljöverket is due the same day: it goes up the tree within hours.
NOTICE_ESCALATION = timedelta(hours=3)


@dataclass
class RunResult:
    claimed: int = 0
    notified: int = 0
    escalations: int = 0
    digests: list[tuple[int, list[int]]] = field(default_factory=list)


def due_ids(now: datetime, *, urgent_only: bool) -> list[int]:
    """Rows whose time has come and that nobody has claimed or cancelled."""
    rows = Reminder.objects.filter(due_at__lte=now, claimed_at=None, cancelled_at=None)
    if urgent_only:
        rows = rows.filter(kind__in=URGENT)
    return list(rows.order_by("due_at").values_list("pk", flat=True)[:BATCH])


def claim(ids: list[int], *, worker: str, now: datetime) -> list[int]:
    """Take the rows for this worker. The condition `claimed_at IS NULL` is checked by the
    database row by row, so when two workers race for a row exactly one of them gets it."""
    Reminder.objects.filter(pk__in=ids, claimed_at=None, cancelled_at=None).update(
        claimed_at=now, claimed_by=worker
    )
    return list(Reminder.objects.filter(pk__in=ids, claimed_by=worker).values_list("pk", flat=True))


def _still_due(reminder: Reminder) -> bool:
    case = reminder.case
    match reminder.kind:
        case Reminder.Kind.ACKNOWLEDGE:
            return case is not None and case.state == State.RECEIVED
        case Reminder.Kind.NOTICE:
            return case is not None and case.notice_pending
        case Reminder.Kind.INJURY_REPORT:
            return case is not None and case.injury_report_pending and case.state != State.CLOSED
        case Reminder.Kind.MEASURE:
            measure = reminder.measure
            return measure is not None and measure.is_open and measure.case.state != State.CLOSED
        case Reminder.Kind.SUPPORT_FOLLOW_UP:
            support = reminder.support
            return (
                support is not None
                and support.followed_up_on is None
                and support.case.state != State.CLOSED
            )
        case Reminder.Kind.SAFETY_REQUEST:
            return reminder.request is not None and not reminder.request.is_answered
        case Reminder.Kind.ACTIVITY:
            return reminder.activity is not None and not reminder.activity.is_done
        case Reminder.Kind.PLAN_MEASURE:
            return reminder.plan_measure is not None and reminder.plan_measure.is_open
    return False


def _unit_and_case(reminder: Reminder) -> tuple[Unit, Case | None]:
    if reminder.case is not None:
        return reminder.case.unit, reminder.case
    if reminder.measure is not None:
        return reminder.measure.case.unit, reminder.measure.case
    if reminder.support is not None:
        return reminder.support.case.unit, reminder.support.case
    # The year plan's activities and the action plans' measures belong to a unit, not a case.
    if reminder.activity is not None:
        return reminder.activity.unit, None
    if reminder.plan_measure is not None:
        return reminder.plan_measure.unit, None
    assert reminder.request is not None
    return reminder.request.unit, reminder.request.case


def recipients(reminder: Reminder) -> list[User]:
    """Who a reminder goes to: at level 0 the person responsible (the case's handler, the
    measure's owner, the holders of the activity's role nearest its unit), otherwise the
    managers that many levels further up the tree."""
    unit, case = _unit_and_case(reminder)
    role = Role.SECURITY if case is not None and case.security_routed else Role.MANAGER
    levels = holders_by_level(unit, role)
    if case is not None:
        # Nobody is reminded about a case about themselves.
        levels = [
            [person for person in level if person.pk != case.report.affected_id] for level in levels
        ]
        levels = [level for level in levels if level]
    activity = reminder.activity
    if reminder.level == 0:
        if activity is not None:
            return (holders_by_level(unit, activity.responsible_role) or [[]])[0]
        if reminder.plan_measure is not None:
            return [reminder.plan_measure.owner]
        if reminder.measure is not None:
            return [reminder.measure.owner]
        if case is not None and case.handler is not None and reminder.request is None:
            return [case.handler]
        return levels[0] if levels else []
    # Escalation goes to the managers above whoever was reminded first: above the responsible
    # person's own level when they are a manager, the nearest managers when the responsible
    # person is not one, and the level above the nearest when those were reminded first.
    responsible = None if reminder.request is not None or case is None else case.handler
    if reminder.measure is not None:
        responsible = reminder.measure.owner
    if reminder.plan_measure is not None:
        responsible = reminder.plan_measure.owner
    if activity is not None:
        # The nearest managers were reminded first when the activity is a manager's; the
        # managers above come next. Another role's activity climbs from the nearest managers.
        target = reminder.level if activity.responsible_role == Role.MANAGER else reminder.level - 1
        return levels[target] if target < len(levels) else []
    if responsible is None:
        target = reminder.level
    else:
        target = reminder.level - 1
        for index, people in enumerate(levels):
            if any(person.pk == responsible.pk for person in people):
                target = index + reminder.level
                break
    return levels[target] if target < len(levels) else []


def run(
    now: datetime | None = None,
    *,
    worker: str | None = None,
    digest: bool = True,
    also: dict[int, list[int]] | None = None,
) -> RunResult:
    """Process what is due. With `digest`, every kind is processed and each person gets one
    e-mail listing all their new reminders (and the notifications in `also`, made for the day
    by others, such as the training reminders); without it, only the urgent kinds, e-mailed at
    once."""
    also = dict(also or {})
    now = now or timezone.now()
    worker = worker or uuid.uuid4().hex
    total = RunResult()
    while True:
        with transaction.atomic():
            # Claim and work in one transaction: a run that fails leaves its rows unclaimed
            # for the next run, and a second worker waits on the claimed rows, then skips them.
            result = _run(now, worker, digest, also)
        also = {}
        total.claimed += result.claimed
        total.notified += result.notified
        total.escalations += result.escalations
        total.digests += result.digests
        if result.claimed < BATCH:
            return total


def _run(now: datetime, worker: str, digest: bool, also: dict[int, list[int]]) -> RunResult:
    result = RunResult()
    ids = claim(due_ids(now, urgent_only=not digest), worker=worker, now=now)
    result.claimed = len(ids)
    per_person: dict[int, list[int]] = defaultdict(list)
    for person_pk, notification_ids in also.items():
        per_person[person_pk] += notification_ids
    immediate: list[int] = []
    rows = Reminder.objects.filter(pk__in=ids).select_related(
        "case__unit",
        "case__handler",
        "case__report",
        "measure__owner",
        "measure__case__unit",
        "measure__case__handler",
        "measure__case__report",
        "support__case__unit",
        "support__case__handler",
        "support__case__report",
        "request__unit",
        "request__case__report",
        "request__case__unit",
        "request__case__handler",
        "activity__unit",
        "plan_measure__unit",
        "plan_measure__owner",
    )
    for reminder in rows:
        if not _still_due(reminder):
            Reminder.objects.filter(pk=reminder.pk).update(cancelled_at=now)
            continue
        people = recipients(reminder)
        _unit, case = _unit_and_case(reminder)
        report: Report | None = case.report if case is not None else None
        for person in people:
            notification = Notification.objects.create(
                recipient=person,
                report=report,
                activity=reminder.activity,
                plan_measure=reminder.plan_measure,
                kind=(
                    Notification.Kind.REMINDER
                    if reminder.level == 0
                    else Notification.Kind.ESCALATION
                ),
                reason=(
                    reminder.activity.responsible_role
                    if reminder.activity is not None and reminder.level == 0
                    else Role.MANAGER
                ),
                topic=reminder.kind,
                in_digest=digest,
            )
            result.notified += 1
            if digest:
                per_person[person.pk].append(notification.pk)
            else:
                immediate.append(notification.pk)
        if people:
            # The next level, in case this one does not act either.
            Reminder.objects.create(
                kind=reminder.kind,
                case=reminder.case,
                measure=reminder.measure,
                support=reminder.support,
                request=reminder.request,
                activity=reminder.activity,
                plan_measure=reminder.plan_measure,
                level=reminder.level + 1,
                due_at=(
                    now + NOTICE_ESCALATION
                    if reminder.kind == Reminder.Kind.NOTICE
                    else rules.escalation_due(now)
                ),
            )
            result.escalations += reminder.level > 0
    from varna.cases.tasks import send_digest_email

    for person_pk, notification_ids in per_person.items():
        send_digest_email.enqueue(person_pk, notification_ids)
        result.digests.append((person_pk, notification_ids))
    for notification_id in immediate:
        send_notification_email.enqueue(notification_id)
    return result


def claim_digest_day(now: datetime, worker: str) -> bool:
    """Whether this run sends today's digest: the first run at or after the digest hour inserts
    the day's row; every other run, on any worker, fails to and sends only urgent reminders."""
    local = timezone.localtime(now)
    if local.hour < settings.VARNA_DIGEST_HOUR:
        return False
    try:
        with transaction.atomic():
            DigestRun.objects.create(day=local.date(), worker=worker)
    except IntegrityError:
        return False
    return True


def on_daily_run(task: DailyTask) -> DailyTask:
    """Run `task(today, now)` once a day, in the day's first run, before the digest goes out.
    The apps above register their daily work here when they start (their AppConfig.ready):
    the year plan generates and ticks off activities, training reminds managers. A task may
    return notifications per person ({person pk: [notification pks]}) to send in that person's
    digest, so that nobody gets more than one reminder e-mail a day. A task must be safe to run
    twice on a day: when the digest run fails, the next run runs the day's tasks again."""
    if task not in _DAILY:
        _DAILY.append(task)
    return task


def tick(now: datetime | None = None) -> RunResult:
    """One run of the background worker: the digest once a day, urgent reminders every time.
    If the digest run fails, the day's claim is given back so that the next run sends it.
    The day's first run also runs the daily tasks of the apps above (`on_daily_run`)."""
    now = now or timezone.now()
    worker = uuid.uuid4().hex
    digest = claim_digest_day(now, worker)
    try:
        also: dict[int, list[int]] = defaultdict(list)
        if digest:
            today = timezone.localdate(now)
            for task in _DAILY:
                for person_pk, notification_ids in (task(today, now) or {}).items():
                    also[person_pk] += notification_ids
        result = run(now, worker=worker, digest=digest, also=also)
    except Exception:
        if digest:
            DigestRun.objects.filter(day=timezone.localdate(now), worker=worker).delete()
        raise
    return result
