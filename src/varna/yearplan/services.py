"""Writes for the year plan. Generating a year is idempotent (a unique constraint per template,
unit and period, and bulk inserts that skip what exists); each state change locks the activity,
checks its status, changes it and writes its history in one transaction; a refused step raises
ValidationError and changes nothing.
"""

import calendar as month_calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.cases import rules
from varna.cases.models import Reminder
from varna.orgs import tree
from varna.orgs.models import Employment, Role, Unit, User
from varna.risk.models import Assessment
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
    link, note = link.strip(), note.strip()
    _check_evidence(activity, assessment, link, note)
    _mark_done(
        activity,
        by=by,
        at=now or timezone.now(),
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
