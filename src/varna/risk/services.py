"""Writes for risk assessments and action plans. Each service checks its rule, changes the rows
and writes the assessment's history in one transaction; a refused step raises ValidationError
(naming the field where there is one) and stores nothing.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.orgs.models import Unit, User
from varna.risk.models import (
    AHEAD_YEARS,
    FOLLOW_UP_YEARS,
    SCALE,
    Assessment,
    AssessmentEvent,
    Level,
    Participant,
    PlanMeasure,
    Risk,
    RiskSituation,
    assessment_date_errors,
)

Kind = AssessmentEvent.Kind
Status = Assessment.Status
# Risks at these levels cannot be signed off without a measure in the action plan.
NEEDS_MEASURE = {Level.HIGH, Level.VERY_HIGH}
RISK_FIELDS = ("situation", "description", "likelihood", "consequence", "protections")


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _event(
    assessment: Assessment, by: User | None, kind: str, at: datetime, note: str = ""
) -> None:
    AssessmentEvent.objects.create(assessment=assessment, actor=by, kind=kind, at=at, note=note)


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("unit").get(pk=assessment.pk)


def _draft_only(assessment: Assessment) -> None:
    if assessment.status != Status.DRAFT:
        raise ValidationError(
            _("An approved assessment cannot be changed. Start a new assessment instead."),
            code="not_draft",
        )


def default_next_due(assessed_on: date) -> date:
    return assessed_on + relativedelta(months=settings.VARNA_RISK_ASSESSMENT_MONTHS)


def _check_dates(assessed_on: date, next_due_on: date) -> None:
    errors = assessment_date_errors(assessed_on, next_due_on, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)


def _set_participants(assessment: Assessment, participants: Iterable[tuple[User, str]]) -> None:
    assessment.participants.all().delete()
    seen: set[int] = set()
    rows = []
    for user, capacity in participants:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Participant(assessment=assessment, user=user, capacity=capacity))
    Participant.objects.bulk_create(rows)


@transaction.atomic
def start_assessment(
    *,
    unit: Unit,
    by: User,
    assessed_on: date,
    next_due_on: date | None = None,
    occasion: str = Assessment.Occasion.YEARLY,
    participants: Iterable[tuple[User, str]] = (),
    other_participants: str = "",
    conclusion: str = "",
    now: datetime | None = None,
) -> Assessment:
    """Start a draft assessment of the unit; the manager leading it takes part as manager."""
    at = _now(now)
    next_due_on = next_due_on or default_next_due(assessed_on)
    _check_dates(assessed_on, next_due_on)
    assessment = Assessment.objects.create(
        unit=unit,
        assessed_on=assessed_on,
        next_due_on=next_due_on,
        occasion=occasion,
        other_participants=other_participants,
        conclusion=conclusion,
        created_by=by,
    )
    _set_participants(assessment, [(by, Participant.Capacity.MANAGER), *participants])
    _event(assessment, by, Kind.CREATED, at)
    return assessment


@transaction.atomic
def update_assessment(
    assessment: Assessment,
    *,
    by: User,
    assessed_on: date,
    next_due_on: date,
    occasion: str,
    participants: Iterable[tuple[User, str]],
    other_participants: str = "",
    conclusion: str = "",
    now: datetime | None = None,
) -> Assessment:
    """Change a draft's date, occasion, participants or conclusion."""
    assessment = _locked(assessment)
    _draft_only(assessment)
    _check_dates(assessed_on, next_due_on)
    early = assessment.measures.filter(due_on__lt=assessed_on).first()
    if early is not None:
        raise ValidationError(
            {"assessed_on": [_("A measure in the plan is due before this date.")]}
        )
    assessment.assessed_on = assessed_on
    assessment.next_due_on = next_due_on
    assessment.occasion = occasion
    assessment.other_participants = other_participants
    assessment.conclusion = conclusion
    assessment.save()
    _set_participants(assessment, participants)
    _event(assessment, by, Kind.CHANGED, _now(now))
    return assessment


def _clean_risk(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data.get(name) for name in RISK_FIELDS}
    errors: dict[str, list[str]] = {}
    low, high = SCALE
    for name in ("likelihood", "consequence"):
        value = values[name]
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = [
                _("Choose a value from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
    if values["situation"] not in RiskSituation.values:
        errors["situation"] = [_("Choose a situation from the list.")]
    elif values["situation"] == RiskSituation.OTHER and not (values["description"] or "").strip():
        errors["description"] = [_("Describe the situation, since it is not in the list.")]
    if errors:
        raise ValidationError(errors)
    values["description"] = (values["description"] or "").strip()
    values["protections"] = (values["protections"] or "").strip()
    return values


@transaction.atomic
def add_risk(
    assessment: Assessment, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> Risk:
    """Add a risky situation, rated 1–4 for likelihood and consequence, to a draft."""
    assessment = _locked(assessment)
    _draft_only(assessment)
    risk = Risk.objects.create(assessment=assessment, **_clean_risk(data))
    _event(assessment, by, Kind.RISK_ADDED, _now(now), note=risk.title)
    return risk


@transaction.atomic
def update_risk(risk: Risk, *, by: User, data: dict[str, Any], now: datetime | None = None) -> Risk:
    assessment = _locked(risk.assessment)
    _draft_only(assessment)
    for name, value in _clean_risk(data).items():
        setattr(risk, name, value)
    risk.save()
    _event(assessment, by, Kind.RISK_CHANGED, _now(now), note=risk.title)
    return risk


@transaction.atomic
def remove_risk(risk: Risk, *, by: User, now: datetime | None = None) -> None:
    assessment = _locked(risk.assessment)
    _draft_only(assessment)
    title = risk.title
    risk.delete()
    _event(assessment, by, Kind.RISK_REMOVED, _now(now), note=title)


def _clean_measure(
    data: dict[str, Any], *, assessment: Assessment | None, unit: Unit
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    what = (data.get("what") or "").strip()
    owner = data.get("owner")
    due_on = data.get("due_on")
    risk = data.get("risk")
    follow_up_on = data.get("follow_up_on")
    if not what:
        errors["what"] = [_("Say what is to be done.")]
    if not isinstance(owner, User) or not owner.is_active:
        errors["owner"] = [_("Choose who is responsible for the measure.")]
    latest_due = timezone.localdate() + relativedelta(years=AHEAD_YEARS)
    if not isinstance(due_on, date):
        errors["due_on"] = [_("Give the date by which it is to be done.")]
    elif assessment is not None and due_on < assessment.assessed_on:
        errors["due_on"] = [
            _("The measure cannot be due before the assessment (%(date)s).")
            % {"date": assessment.assessed_on.isoformat()}
        ]
    elif due_on > latest_due:
        errors["due_on"] = [
            _("The measure must be due within five years, by %(latest)s at the latest.")
            % {"latest": latest_due.isoformat()}
        ]
    if follow_up_on is not None and isinstance(due_on, date):
        latest_follow_up = due_on + relativedelta(years=FOLLOW_UP_YEARS)
        if follow_up_on < due_on:
            errors["follow_up_on"] = [_("Follow the measure up on or after its due date.")]
        elif follow_up_on > latest_follow_up:
            errors["follow_up_on"] = [
                _(
                    "Follow the measure up within a year of its due date, by %(latest)s at "
                    "the latest."
                )
                % {"latest": latest_follow_up.isoformat()}
            ]
    if risk is not None and (assessment is None or risk.assessment_id != assessment.pk):
        errors["risk"] = [_("Choose one of this assessment's risks.")]
    if errors:
        raise ValidationError(errors)
    return {
        "what": what,
        "owner": owner,
        "due_on": due_on,
        "risk": risk,
        "follow_up_on": follow_up_on,
        "unit": unit,
    }


def _remind_measure(measure: PlanMeasure) -> None:
    """An open measure reminds its owner when it is overdue (the cases' reminder worker)."""
    from varna.cases import rules
    from varna.cases.models import Reminder

    Reminder.objects.filter(plan_measure=measure, cancelled_at=None, claimed_at=None).update(
        cancelled_at=timezone.now()
    )
    if measure.is_open:
        Reminder.objects.create(
            kind=Reminder.Kind.PLAN_MEASURE,
            plan_measure=measure,
            due_at=rules.end_of_day(measure.due_on),
        )


@transaction.atomic
def add_measure(
    assessment: Assessment, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> PlanMeasure:
    """Add a measure (what, who, by when) to the assessment's action plan. A plan keeps
    growing after sign-off; only a superseded assessment takes no more."""
    assessment = _locked(assessment)
    if assessment.status == Status.SUPERSEDED:
        raise ValidationError(
            _("This assessment has been superseded. Add the measure to the current one."),
            code="superseded",
        )
    values = _clean_measure(data, assessment=assessment, unit=assessment.unit)
    measure = PlanMeasure.objects.create(assessment=assessment, **values)
    _remind_measure(measure)
    _event(assessment, by, Kind.MEASURE_ADDED, _now(now), note=measure.what[:200])
    return measure


@transaction.atomic
def update_measure(
    measure: PlanMeasure,
    *,
    by: User,
    status: str,
    follow_up: str = "",
    done_on: date | None = None,
    now: datetime | None = None,
) -> PlanMeasure:
    """Record progress on an action-plan measure, and its follow-up."""
    at = _now(now)
    measure = PlanMeasure.objects.select_for_update().get(pk=measure.pk)
    if status not in PlanMeasure.Status.values:
        raise ValidationError({"status": [_("Choose a status from the list.")]})
    if status == PlanMeasure.Status.DONE:
        done_on = done_on or timezone.localdate(at)
        if done_on > timezone.localdate(at):
            raise ValidationError({"done_on": [_("A measure cannot be done in the future.")]})
        assessment = measure.assessment
        if assessment is not None and done_on < assessment.assessed_on:
            raise ValidationError(
                {
                    "done_on": [
                        _("A measure cannot be done before its assessment (%(date)s).")
                        % {"date": assessment.assessed_on.isoformat()}
                    ]
                }
            )
    else:
        done_on = None
    measure.status = status
    measure.done_on = done_on
    measure.follow_up = follow_up.strip()
    measure.save()
    _remind_measure(measure)
    if measure.assessment is not None:
        _event(
            measure.assessment,
            by,
            Kind.MEASURE_CHANGED,
            at,
            note=f"{measure.what[:120]}: {measure.get_status_display()}",
        )
    return measure


@transaction.atomic
def approve(
    assessment: Assessment,
    *,
    by: User,
    no_safety_rep_reason: str = "",
    now: datetime | None = None,
) -> Assessment:
    """The manager signs the assessment off; it supersedes the unit's previous one and ticks
    off the year plan. Assessing risks is a joint task (AFS 2023:1): a safety representative
    must have taken part, or the manager records why none could."""
    at = _now(now)
    assessment = _locked(assessment)
    _draft_only(assessment)
    risks = list(assessment.risks.prefetch_related("measures"))
    if not risks:
        raise ValidationError(_("Add at least one risk before approving."), code="no_risks")
    unmeasured = [
        risk.title for risk in risks if risk.level in NEEDS_MEASURE and not risk.measures.all()
    ]
    if unmeasured:
        raise ValidationError(
            _("These high risks need a measure in the action plan: %(risks)s.")
            % {"risks": ", ".join(unmeasured)},
            code="high_risk_without_measure",
        )
    with_safety_rep = assessment.participants.filter(
        capacity=Participant.Capacity.SAFETY_REP
    ).exists()
    no_safety_rep_reason = "" if with_safety_rep else no_safety_rep_reason.strip()
    if not with_safety_rep and not no_safety_rep_reason:
        raise ValidationError(
            {
                "no_safety_rep_reason": [
                    _(
                        "A safety representative must take part in the assessment. Add them "
                        "to who took part, or say why none could."
                    )
                ]
            },
            code="no_safety_rep",
        )
    previous = list(
        Assessment.objects.select_for_update()
        .filter(unit=assessment.unit, status=Status.APPROVED)
        .exclude(pk=assessment.pk)
    )
    assessment.status = Status.APPROVED
    assessment.approved_by = by
    assessment.approved_at = at
    assessment.no_safety_rep_reason = no_safety_rep_reason
    assessment.save()
    _event(assessment, by, Kind.APPROVED, at, note=no_safety_rep_reason)
    for old in previous:
        old.status = Status.SUPERSEDED
        old.superseded_by = assessment
        old.save()
        _event(old, by, Kind.SUPERSEDED, at, note=assessment.assessed_on.isoformat())
    from varna.yearplan import services as yearplan

    yearplan.record_assessment(assessment, by=by, at=at)
    return assessment


@transaction.atomic
def respond(
    assessment: Assessment,
    *,
    by: User,
    response: str,
    note: str = "",
    now: datetime | None = None,
) -> Assessment:
    """The safety representative confirms taking part, or records disagreement and why."""
    at = _now(now)
    assessment = _locked(assessment)
    if assessment.status == Status.SUPERSEDED:
        raise ValidationError(
            _("This assessment has been superseded by a newer one."), code="superseded"
        )
    if response not in Assessment.Response.values:
        raise ValidationError({"response": [_("Choose whether you agree.")]})
    note = note.strip()
    if response == Assessment.Response.DISAGREES and not note:
        raise ValidationError({"note": [_("Say what you disagree with.")]})
    assessment.safety_rep = by
    assessment.safety_rep_response = response
    assessment.safety_rep_note = note
    assessment.safety_rep_at = at
    assessment.save()
    if not assessment.participants.filter(user=by).exists():
        Participant.objects.create(
            assessment=assessment, user=by, capacity=Participant.Capacity.SAFETY_REP
        )
    kind = Kind.CONFIRMED if response == Assessment.Response.CONFIRMED else Kind.DISAGREED
    _event(assessment, by, kind, at, note=note)
    return assessment
