"""Writes for the year plan. Generating a year is idempotent (a unique constraint per template,
unit and period, and bulk inserts that skip what exists); each state change locks the activity,
checks its status, changes it and writes its history in one transaction; a refused step raises
ValidationError and changes nothing.
"""

import calendar as month_calendar
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from varna.cases import rules
from varna.cases.models import Reminder
from varna.orgs import tree
from varna.orgs.models import Employment, Role, Unit, User
from varna.risk.models import Assessment
from varna.training import coverage
from varna.training.models import Requirement
from varna.yearplan.defaults import DEFAULTS
from varna.yearplan.models import Activity, ActivityEvent, ActivityTemplate, Kind, Recurrence

Period = tuple[date, date, date]  # start, end, due


def _month_end(year: int, month: int) -> date:
    return date(year, month, month_calendar.monthrange(year, month)[1])


def periods(template: ActivityTemplate, year: int) -> Iterator[Period]:
    """The periods of `year` in which a unit carries out the template (not introductions)."""
    match template.recurrence:
        case Recurrence.YEARLY:
            yield date(year, 1, 1), date(year, 12, 31), _month_end(year, template.due_month or 12)
        case Recurrence.QUARTERLY:
            for first in (1, 4, 7, 10):
                end = _month_end(year, first + 2)
                yield date(year, first, 1), end, end
        case Recurrence.MONTHLY:
            for month in range(1, 13):
                end = _month_end(year, month)
                yield date(year, month, 1), end, end


def introduction_due(template: ActivityTemplate, start: date) -> date:
    return start + timedelta(weeks=template.weeks_from_start or 4)


def _active_during(unit: Unit, start: date, end: date) -> bool:
    return unit.valid_from <= end and (unit.valid_to is None or unit.valid_to >= start)


def generate_year(unit: Unit, year: int) -> int:
    """Create the activities of `year` for the unit's whole subtree that do not exist yet, with
    their reminders; returns how many were created (running it twice creates nothing more)."""
    root_path = unit.path[: tree.SEGMENT]
    templates = list(
        ActivityTemplate.objects.filter(is_active=True).filter(
            Q(municipality__isnull=True) | Q(municipality__path=root_path)
        )
    )
    if not templates:
        return 0
    first, last = date(year, 1, 1), date(year, 12, 31)
    units = [
        candidate
        for candidate in Unit.objects.subtree_of(unit).filter(valid_from__lte=last)
        if _active_during(candidate, first, last)
    ]
    existing: set[tuple[int, int, date, int | None]] = set(
        Activity.objects.filter(
            tree.subtree_q(unit.path, "unit__path"), period_start__gte=first, period_start__lte=last
        ).values_list("template_id", "unit_id", "period_start", "employment_id")
    )
    new: list[Activity] = []

    def add(template: ActivityTemplate, where: Unit, period: Period, employment_id: int | None):
        start, end, due = period
        key = (template.pk, where.pk, start, employment_id)
        if key in existing:
            return
        existing.add(key)
        new.append(
            Activity(
                template=template,
                unit=where,
                employment_id=employment_id,
                kind=template.kind,
                period_start=start,
                period_end=end,
                due_on=due,
                responsible_role=template.responsible_role,
            )
        )

    by_pk = {candidate.pk: candidate for candidate in units}
    for template in templates:
        if template.recurrence == Recurrence.PER_EMPLOYEE:
            starts = Employment.objects.filter(
                unit__in=[pk for pk, where in by_pk.items() if template.applies_to(where)],
                start_date__gte=first,
                start_date__lte=last,
            ).filter(Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")))
            for employment_id, unit_id, start in starts.values_list("pk", "unit_id", "start_date"):
                assert start is not None  # filtered on above
                due = introduction_due(template, start)
                add(template, by_pk[unit_id], (start, due, due), employment_id)
            continue
        for where in units:
            if not template.applies_to(where):
                continue
            for period in periods(template, year):
                if _active_during(where, period[0], period[1]) and period[2] >= where.valid_from:
                    add(template, where, period, None)
    return _insert(new)


@transaction.atomic
def _insert(new: list[Activity]) -> int:
    Activity.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    # Codes are made before the insert: those found now are the rows this call created (a
    # concurrent run's rows for the same periods were skipped by the constraint).
    created = list(
        Activity.objects.filter(code__in=[activity.code for activity in new]).values_list(
            "pk", "due_on"
        )
    )
    Reminder.objects.bulk_create(
        [
            Reminder(kind=Reminder.Kind.ACTIVITY, activity_id=pk, due_at=rules.end_of_day(due))
            for pk, due in created
        ],
        batch_size=500,
    )
    return len(created)


def ensure_default_templates() -> int:
    """Put back the default year plan's templates that are missing; returns how many."""
    made = 0
    for fields in DEFAULTS:
        _template, created = ActivityTemplate.objects.get_or_create(
            municipality=None,
            title=fields["title"],
            defaults={**fields, "responsible_role": Role.MANAGER},
        )
        made += created
    return made


def generate_all(year: int) -> int:
    """Generate `year` for every municipality."""
    return sum(generate_year(root, year) for root in Unit.objects.roots())


def keep_generated(today: date) -> int:
    """Called once a day by the reminder worker: this year's plan (new units, new employees'
    introductions) and, from December, next year's, so that the plan is there before it starts."""
    made = generate_all(today.year)
    if today.month == 12:
        made += generate_all(today.year + 1)
    return made


# State changes ---------------------------------------------------------------------------


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)


def _check_evidence(
    activity: Activity, assessment: Assessment | None, link: str, note: str
) -> None:
    if assessment is None and not link and not note:
        raise ValidationError(
            {
                "note": _(
                    "Give the evidence that it was done: choose a risk assessment, give a link "
                    "to the minutes or write a note."
                )
            },
            code="no_evidence",
        )
    if assessment is not None and (
        assessment.unit_id != activity.unit_id or assessment.status != Assessment.Status.APPROVED
    ):
        raise ValidationError(
            {"assessment": _("Choose an approved risk assessment of this unit.")},
            code="wrong_assessment",
        )
    if link:
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError:
            raise ValidationError(
                {"link": _("Give the whole address of the minutes, starting with https://.")},
                code="bad_link",
            ) from None


def _mark_done(
    activity: Activity,
    *,
    by: User | None,
    at: datetime,
    kind: str,
    assessment: Assessment | None,
    link: str,
    note: str,
) -> None:
    activity.status = Activity.Status.DONE
    activity.done_at, activity.done_by = at, by
    activity.assessment, activity.minutes_url, activity.note = assessment, link, note
    activity.save()
    # The history keeps the evidence even if the activity is reopened later.
    ActivityEvent.objects.create(
        activity=activity, actor=by, kind=kind, at=at, note=note, link=link, assessment=assessment
    )
    Reminder.objects.filter(activity=activity, cancelled_at=None).update(cancelled_at=at)


@transaction.atomic
def complete_activity(
    activity: Activity,
    *,
    by: User,
    assessment: Assessment | None = None,
    link: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Activity:
    """Mark the activity done with its evidence: an approved risk assessment of the unit, a
    link to the minutes, or a note (at least one)."""
    activity = _locked(activity)
    if activity.is_done:
        raise ValidationError(_("The activity is already marked done."), code="done")
    at = now or timezone.now()
    if training_tally(activity, timezone.localdate(at)) is not None:
        raise ValidationError(by_training_message(), code="training")
    link, note = link.strip(), note.strip()
    _check_evidence(activity, assessment, link, note)
    _mark_done(
        activity,
        by=by,
        at=at,
        kind=ActivityEvent.Kind.DONE,
        assessment=assessment,
        link=link,
        note=note,
    )
    return activity


@transaction.atomic
def record_assessment(assessment: Assessment, *, by: User, at: datetime) -> Activity | None:
    """Tick off the unit's open risk-assessment activity with an approved assessment: the one
    whose period holds `assessment.assessed_on`, else the earliest overdue one; None if there
    is neither. Call it after the assessment is stored as approved."""
    open_ones = Activity.objects.filter(
        unit=assessment.unit_id, kind=Kind.RISK_ASSESSMENT, status=Activity.Status.OPEN
    )
    found = (
        open_ones.filter(
            period_start__lte=assessment.assessed_on, period_end__gte=assessment.assessed_on
        )
        .order_by("due_on", "pk")
        .first()
    ) or open_ones.filter(due_on__lt=timezone.localdate(at)).order_by("due_on", "pk").first()
    if found is None:
        return None
    activity = _locked(found)
    _check_evidence(activity, assessment, "", "")
    _mark_done(
        activity,
        by=by,
        at=at,
        kind=ActivityEvent.Kind.ASSESSMENT,
        assessment=assessment,
        link="",
        note="",
    )
    return activity


# Training: the yearly training activity is ticked off by the completions themselves ------


def by_training_message() -> str:
    """Why a training activity is not marked done by hand (the service and the page say it)."""
    return _(
        "This activity is ticked off by the unit's completed training, not by hand: it is "
        "marked done on the day nobody on the unit's staff is overdue with a required course. "
        "Register the completed courses instead."
    )


def _by_training(activity: Activity) -> bool:
    return (
        activity.kind == Kind.TRAINING
        and activity.employment_id is None
        and activity.template.recurrence == Recurrence.YEARLY
    )


def training_tally(activity: Activity, today: date) -> coverage.Tally | None:
    """The standings of the unit's staff together (every person and required course once) if
    the activity is ticked off by completed training: a yearly training activity of a unit
    where some course is required of someone. None where it is marked done by hand (another
    kind of activity, or nothing required of the unit's staff)."""
    if not _by_training(activity):
        return None
    total = coverage.coverage(activity.unit, today).total
    return total if total.staff else None


def _open_training(today: date) -> QuerySet[Activity]:
    """The open yearly training activities whose period holds `today` or is over (those are
    overdue: they are ticked off late when the training is in place)."""
    return Activity.objects.filter(
        kind=Kind.TRAINING,
        employment=None,
        template__recurrence=Recurrence.YEARLY,
        status=Activity.Status.OPEN,
        period_start__lte=today,
    )


def _training_note(total: coverage.Tally, today: date) -> str:
    # Stored as data, so in the installation's language whoever's request set it off.
    figures = {"valid": total.covered, "staff": total.staff, "day": today.isoformat()}
    with translation.override(settings.LANGUAGE_CODE):
        if total.new:
            return (
                _(
                    "%(valid)s of %(staff)s courses required of the unit's staff are valid on "
                    "%(day)s; the others are new employees' still within their time to take them."
                )
                % figures
            )
        return (
            _("%(valid)s of %(staff)s courses required of the unit's staff are valid on %(day)s.")
            % figures
        )


@transaction.atomic
def record_training(unit: Unit, *, today: date, at: datetime) -> Activity | None:
    """Tick off the unit's open yearly training activity (the one whose period holds `today`,
    else the earliest overdue one) if, today, nobody on the unit's staff (its whole subtree) is
    overdue with a required course and something is required: every course is valid, or is
    a new employee's still within their months to take it. The note says how many. None if
    there is no such activity or someone is overdue. By nobody: the system did it, on the
    completions' evidence."""
    open_ones = _open_training(today).filter(unit=unit)
    found = (
        open_ones.filter(period_end__gte=today).order_by("due_on", "pk").first()
        or open_ones.order_by("due_on", "pk").first()
    )
    if found is None:
        return None
    activity = _locked(found)
    if activity.is_done:  # ticked off meanwhile by another run
        return None
    total = coverage.coverage(unit, today).total
    if not total.staff or total.overdue:
        return None
    _mark_done(
        activity,
        by=None,
        at=at,
        kind=ActivityEvent.Kind.TRAINING,
        assessment=None,
        link="",
        note=_training_note(total, today),
    )
    return activity


def _record_for(units: QuerySet[Unit], today: date, at: datetime | None) -> int:
    """record_training for those of `units` with an open training activity today, in
    municipalities that require some course; returns how many were ticked off."""
    required = set(
        Requirement.objects.filter(course__is_active=True).values_list(
            "course__municipality__path", flat=True
        )
    )
    if not required:
        return 0
    candidates = units.filter(pk__in=_open_training(today).values("unit")).order_by("path")
    at = at or timezone.now()
    ticked = 0
    for unit in candidates:
        if unit.path[: tree.SEGMENT] in required:
            ticked += record_training(unit, today=today, at=at) is not None
    return ticked


def tick_training(today: date, *, at: datetime | None = None) -> int:
    """Called once a day by the reminder worker: completions age (a course runs out, a new
    employee's grace ends) and people come and go, so a unit may reach full coverage on a
    day nobody registers anything."""
    return _record_for(Unit.objects.all(), today, at)


def daily_run(today: date, now: datetime) -> None:
    """The year plan's part of the reminder worker's daily run (registered in apps.ready):
    this year's plan, and the training activities that completions have ticked off."""
    keep_generated(today)
    tick_training(today, at=now)


def training_changed(units: Iterable[Unit], today: date, *, at: datetime | None = None) -> int:
    """After completions are stored for people employed in `units`: tick off the training
    activities of those units and the units above them (the activity is usually the
    enhet's, the people may work in a group below it)."""
    paths = {path for unit in units for path in tree.ancestor_paths(unit.path)}
    if not paths:
        return 0
    return _record_for(Unit.objects.filter(path__in=paths), today, at)


def on_completions_added(sender: Any, *, units: Iterable[Unit], **kwargs: Any) -> None:
    """Receiver of varna.training.signals.completions_added (connected in apps.ready)."""
    training_changed(units, kwargs.get("today") or timezone.localdate())


@transaction.atomic
def reopen_activity(
    activity: Activity, *, by: User, reason: str, now: datetime | None = None
) -> Activity:
    """Undo "done" (the evidence did not hold): the activity is open again and reminded."""
    activity = _locked(activity)
    if not activity.is_done:
        raise ValidationError(_("The activity is not marked done."), code="not_done")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the activity is reopened.")}, code="reason")
    at = now or timezone.now()
    activity.status = Activity.Status.OPEN
    activity.done_at = activity.done_by = activity.assessment = None
    activity.minutes_url = activity.note = ""
    activity.save()
    ActivityEvent.objects.create(
        activity=activity, actor=by, kind=ActivityEvent.Kind.REOPENED, at=at, note=reason
    )
    Reminder.objects.create(
        kind=Reminder.Kind.ACTIVITY,
        activity=activity,
        due_at=max(rules.end_of_day(activity.due_on), at),
    )
    return activity
