"""Writes for case handling. Each service locks the case, checks the rule, changes it and writes
its timeline event in one transaction; a refused step raises ValidationError and changes nothing.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.cases import rules
from varna.cases.models import (
    ActorDetails,
    Assignment,
    Case,
    CaseEvent,
    Measure,
    PoliceDecision,
    Reminder,
    SafetyRequest,
    State,
    Support,
)
from varna.orgs import access, selectors, tree
from varna.orgs.access import Action
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting import services as reporting_services
from varna.reporting.models import Notification, Report, ReportChange, field_label
from varna.reporting.tasks import send_notification_email
from varna.stats import services as stats_services

Kind = CaseEvent.Kind
# The managers are told of a request at once; a reminder follows if it is still unanswered.
REQUEST_REMINDER_HOURS = 4

# The only steps a case can take; anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    State.RECEIVED: {State.ACKNOWLEDGED},
    State.ACKNOWLEDGED: {State.INVESTIGATED},
    State.INVESTIGATED: {State.MEASURES_DECIDED},
    State.MEASURES_DECIDED: {State.FOLLOWED_UP},
    State.FOLLOWED_UP: {State.CLOSED},
    State.CLOSED: {State.ACKNOWLEDGED},  # reopened
}


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _locked(case: Case) -> Case:
    """The case row locked for this transaction, fresh from the database."""
    return Case.objects.select_for_update().select_related("report", "unit").get(pk=case.pk)


def _event(
    case: Case,
    by: User | None,
    kind: str,
    at: datetime,
    *,
    note: str = "",
    for_employee: bool = False,
    from_state: str = "",
    to_state: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=by,
        kind=kind,
        at=at,
        note=note,
        for_employee=for_employee,
        from_state=from_state,
        to_state=to_state,
    )


# The state each step starts from: acknowledging is not a way to reopen, nor reopening a way
# to acknowledge.
STEP_FROM: dict[str, str] = {
    Kind.ACKNOWLEDGED: State.RECEIVED,
    Kind.INVESTIGATED: State.ACKNOWLEDGED,
    Kind.MEASURES_DECIDED: State.INVESTIGATED,
    Kind.FOLLOWED_UP: State.MEASURES_DECIDED,
    Kind.CLOSED: State.FOLLOWED_UP,
    Kind.REOPENED: State.CLOSED,
}


def _move(case: Case, by: User, to: State, kind: str, at: datetime, note: str = "") -> None:
    if to not in TRANSITIONS[case.state] or STEP_FROM.get(kind) != case.state:
        raise ValidationError(
            _("A case that is “%(state)s” cannot become “%(to)s”."),
            code="invalid_transition",
            params={"state": case.get_state_display(), "to": to.label},
        )
    _event(case, by, kind, at, note=note, for_employee=True, from_state=case.state, to_state=to)
    case.state = to


def _not_closed(case: Case) -> None:
    if case.state == State.CLOSED:
        raise ValidationError(_("The case is closed. Reopen it first."), code="closed")


def _remind(kind: str, due_at: datetime, **refs: Any) -> Reminder:
    return Reminder.objects.create(kind=kind, due_at=due_at, **refs)


def _cancel(at: datetime, **refs: Any) -> None:
    Reminder.objects.filter(cancelled_at=None, **refs).update(cancelled_at=at)


def refresh_due(case: Case) -> None:
    """Store the case's earliest open deadline, which the inbox sorts on."""
    deadlines: list[datetime] = []
    if case.state == State.RECEIVED:
        deadlines.append(case.acknowledge_due_at)
    if case.notice_pending and case.notice_due_at:
        deadlines.append(case.notice_due_at)
    if case.injury_report_pending and case.injury_report_due_at:
        deadlines.append(case.injury_report_due_at)
    if case.state != State.CLOSED:
        first_measure = (
            case.measures.filter(status__in=[Measure.Status.PLANNED, Measure.Status.IN_PROGRESS])
            .order_by("due_on")
            .values_list("due_on", flat=True)
            .first()
        )
        if first_measure:
            deadlines.append(rules.end_of_day(first_measure))
        first_follow_up = (
            case.supports.filter(follow_up_due_on__isnull=False, followed_up_on=None)
            .order_by("follow_up_due_on")
            .values_list("follow_up_due_on", flat=True)
            .first()
        )
        if first_follow_up:
            deadlines.append(rules.end_of_day(first_follow_up))
    # A request's receipt is due at once; once confirmed, its answer by the date asked for.
    for made_at, confirmed_at, answer_due_on in case.safety_requests.filter(
        answered_on=None
    ).values_list("created_at", "confirmed_at", "answer_due_on"):
        if confirmed_at is None or answer_due_on is None:
            deadlines.append(made_at)
        else:
            deadlines.append(rules.end_of_day(answer_due_on))
    case.next_due_at = min(deadlines) if deadlines else None


# Opening ----------------------------------------------------------------------------------


def open_case(report: Report) -> Case:
    """Open the case of a new report (called inside the report's own transaction)."""
    opened = report.submitted_at
    role = Role.SECURITY if report.route_to_security else Role.MANAGER
    # The nearest holder who is not the person it happened to: a manager's own event is
    # handled from above.
    handler = next(
        (
            user
            for level in selectors.holders_by_level(report.unit, role)
            for user in level
            if user.pk != report.affected_id
        ),
        None,
    )
    reasons = rules.serious_reasons(report)
    case = Case(
        report=report,
        unit=report.unit,
        main_form=report.main_form,
        security_routed=report.route_to_security,
        opened_at=opened,
        handler=handler,
        acknowledge_due_at=rules.acknowledge_due(opened),
        serious_reasons=reasons,
        notice_due_at=rules.end_of_day(timezone.localdate(opened)) if reasons else None,
        injury=rules.has_injury(report),
    )
    if case.injury:
        case.injury_report_due_at = rules.injury_report_due(opened)
    refresh_due(case)
    case.save(force_insert=True)
    _event(case, report.reporter, Kind.OPENED, opened, for_employee=True, to_state=State.RECEIVED)
    _remind(Reminder.Kind.ACKNOWLEDGE, case.acknowledge_due_at, case=case)
    if reasons:
        _remind_notice(case, opened)
    if case.injury_report_due_at is not None:
        _remind(Reminder.Kind.INJURY_REPORT, case.injury_report_due_at, case=case)
    if SECURITY_REASONS & set(reasons):
        _assign_security(case, opened)
    return case


def _remind_notice(case: Case, at: datetime) -> None:
    """A notice that is due today: remind within two hours, by the end of the day at the latest."""
    assert case.notice_due_at is not None
    _remind(Reminder.Kind.NOTICE, min(at + timedelta(hours=2), case.notice_due_at), case=case)


# The workflow -----------------------------------------------------------------------------


@transaction.atomic
def acknowledge(case: Case, *, by: User, note: str = "", now: datetime | None = None) -> Case:
    """The manager has contacted the employee."""
    at = _now(now)
    case = _locked(case)
    _move(case, by, State.ACKNOWLEDGED, Kind.ACKNOWLEDGED, at, note)
    case.acknowledged_at = at
    _cancel(at, case=case, kind=Reminder.Kind.ACKNOWLEDGE)
    return _save(case)


INVESTIGATION_FIELDS = [
    "what_happened",
    "causes",
    "causes_other",
    "recurrence_risk",
    "decision_influenced",
]


@transaction.atomic
def save_investigation(
    case: Case, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> Case:
    """Record what happened, why it could happen, the risk of recurrence, any influence."""
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    for field in INVESTIGATION_FIELDS:
        if field in data:
            setattr(case, field, data[field])
    _event(case, by, Kind.INVESTIGATION_SAVED, at)
    return _save(case)


@transaction.atomic
def finish_investigation(case: Case, *, by: User, now: datetime | None = None) -> Case:
    at = _now(now)
    case = _locked(case)
    if case.state == State.ACKNOWLEDGED and not (case.what_happened and case.recurrence_risk):
        raise ValidationError(
            _("Describe what happened and the risk that it happens again first."),
            code="investigation_incomplete",
        )
    _move(case, by, State.INVESTIGATED, Kind.INVESTIGATED, at)
    return _save(case)


def _has_measures(case: Case) -> bool:
    return case.measures.exclude(status=Measure.Status.CANCELLED).exists()


@transaction.atomic
def decide_measures(
    case: Case, *, by: User, no_measures_reason: str = "", now: datetime | None = None
) -> Case:
    """Measures are decided, or it is recorded why none are needed."""
    at = _now(now)
    case = _locked(case)
    reason = no_measures_reason.strip()
    if case.state == State.INVESTIGATED and not _has_measures(case) and not reason:
        raise ValidationError(
            _("Add at least one measure, or write why no measures are needed."),
            code="no_measures",
        )
    _move(case, by, State.MEASURES_DECIDED, Kind.MEASURES_DECIDED, at)
    if reason:
        case.no_measures_reason = reason
        _event(case, by, Kind.NO_MEASURES, at, note=reason, for_employee=True)
    return _save(case)


@transaction.atomic
def follow_up(case: Case, *, by: User, note: str, now: datetime | None = None) -> Case:
    """The measures have been followed up: did they work, is more needed."""
    at = _now(now)
    case = _locked(case)
    note = note.strip()
    if not note:
        raise ValidationError(_("Write how the measures were followed up."), code="required")
    _move(case, by, State.FOLLOWED_UP, Kind.FOLLOWED_UP, at, note)
    case.follow_up_note = note
    return _save(case)


def closing_problems(case: Case) -> list[str]:
    """What still stands in the way of closing the case (empty when it may be closed)."""
    problems = []
    if not _has_measures(case) and not case.no_measures_reason:
        problems.append(_("Decide measures, or record why none are needed."))
    if case.measures.filter(
        status__in=[Measure.Status.PLANNED, Measure.Status.IN_PROGRESS]
    ).exists():
        problems.append(_("Every measure must be done or cancelled."))
    if not case.police_decision:
        problems.append(_("Record the decision on a police report."))
    if case.notice_pending:
        problems.append(_("Record the notice to Arbetsmiljöverket, or why none is needed."))
    if case.injury_report_pending:
        problems.append(
            _("Record the work-injury report to Försäkringskassan, or why none is needed.")
        )
    if case.safety_requests.filter(answered_on=None).exists():
        problems.append(_("Answer the safety representative's request."))
    return problems


@transaction.atomic
def close(case: Case, *, by: User, outcome: str = "", now: datetime | None = None) -> Case:
    """Close the case; the outcome is what the employee is told."""
    at = _now(now)
    case = _locked(case)
    problems = closing_problems(case) if case.state == State.FOLLOWED_UP else []
    if problems:
        raise ValidationError(problems, code="cannot_close")
    _move(case, by, State.CLOSED, Kind.CLOSED, at, outcome.strip())
    case.closed_at = at
    case.outcome = outcome.strip()
    _cancel(at, case=case)
    _cancel(at, measure__case=case)
    _cancel(at, support__case=case)
    return _save(case)


@transaction.atomic
def reopen(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    at = _now(now)
    case = _locked(case)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Write why the case is reopened."), code="required")
    _move(case, by, State.ACKNOWLEDGED, Kind.REOPENED, at, reason)
    case.closed_at = None
    # Reopened, an event found not to be unlawful influence counts as reported again.
    case.not_unlawful = False
    case.not_unlawful_reason = ""
    return _save(case)


def _save(case: Case) -> Case:
    refresh_due(case)
    case.save()
    # The follow-up figures count handling (contact, measures, police, notices) per event.
    stats_services.count_case(case)
    return case


# Measures ---------------------------------------------------------------------------------


def _check_owner(owner: User | None, case: Case) -> None:
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": _("Choose who is responsible for the measure.")})


@transaction.atomic
def add_measure(
    case: Case, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> Measure:
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    _check_owner(data.get("owner"), case)
    measure = Measure.objects.create(case=case, **data)
    _event(
        case,
        by,
        Kind.MEASURE_ADDED,
        at,
        note=str(measure.get_kind_display()),
        for_employee=measure.concerns_employee,
    )
    _remind(Reminder.Kind.MEASURE, rules.end_of_day(measure.due_on), measure=measure)
    _save(case)
    return measure


@transaction.atomic
def update_measure(
    measure: Measure, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> Measure:
    """Change a measure's status, due date or follow-up; done measures stop reminding."""
    at = _now(now)
    case = _locked(measure.case)
    _not_closed(case)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    old_due, was_open = measure.due_on, measure.is_open
    if "owner" in data:
        _check_owner(data["owner"], case)
    new_due = data.get("due_on", old_due)
    if new_due != old_due and new_due < timezone.localdate(at):
        raise ValidationError({"due_on": _("The due date cannot be in the past.")})
    for field, value in data.items():
        setattr(measure, field, value)
    if measure.status == Measure.Status.DONE and measure.done_on is None:
        measure.done_on = timezone.localdate(at)
    if measure.is_open:
        measure.done_on = None
    measure.save()
    if not measure.is_open or measure.due_on != old_due:
        _cancel(at, measure=measure)
    if measure.is_open and (measure.due_on != old_due or not was_open):
        _remind(Reminder.Kind.MEASURE, rules.end_of_day(measure.due_on), measure=measure)
    _event(
        case,
        by,
        Kind.MEASURE_CHANGED,
        at,
        note=f"{measure.get_kind_display()}: {measure.get_status_display()}",
        for_employee=measure.concerns_employee,
    )
    _save(case)
    return measure


# Police, authorities ----------------------------------------------------------------------


POLICE_FIELDS = [
    "police_decision",
    "police_no_report_reason",
    "police_filed_on",
    "police_reference",
    "police_outcome",
]


@transaction.atomic
def record_police(
    case: Case, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> Case:
    """The decision on a police report, and later its date, reference and outcome."""
    at = _now(now)
    case = _locked(case)
    # The rules apply to the case as it will be, not only to the fields sent now.
    merged = {field: getattr(case, field) for field in POLICE_FIELDS} | {
        field: value for field, value in data.items() if field in POLICE_FIELDS
    }
    decision = merged["police_decision"]
    errors: dict[str, str] = {}
    if (
        decision == PoliceDecision.NO_REPORT
        and not (merged["police_no_report_reason"] or "").strip()
    ):
        errors["police_no_report_reason"] = _("Write why no police report is made.")
    if decision == PoliceDecision.NO_REPORT and (
        merged["police_filed_on"] or merged["police_reference"]
    ):
        errors["police_decision"] = _("A report that was filed cannot also be “no report”.")
    filed_on = merged["police_filed_on"]
    if filed_on and filed_on > timezone.localdate(at):
        errors["police_filed_on"] = _("The date a report was filed cannot be in the future.")
    if merged["police_reference"] and not filed_on:
        errors["police_filed_on"] = _("Give the date the report was filed.")
    if errors:
        raise ValidationError(errors)
    for field in POLICE_FIELDS:
        setattr(case, field, merged[field])
    if case.police_decision != PoliceDecision.NO_REPORT:
        case.police_no_report_reason = ""
    _event(
        case, by, Kind.POLICE, at, note=str(case.get_police_decision_display()), for_employee=True
    )
    return _save(case)


@transaction.atomic
def flag_serious(
    case: Case, *, by: User, reasons: Iterable[str], now: datetime | None = None
) -> Case:
    """The handler judges the event possibly serious for a reason the report did not show."""
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    added = [reason for reason in reasons if reason not in case.serious_reasons]
    if not added:
        raise ValidationError(_("Choose why the event may be serious."), code="required")
    _add_serious(case, by, added, at)
    return _save(case)


def _add_serious(case: Case, by: User, added: list[str], at: datetime) -> None:
    """Mark the case possibly serious for the `added` reasons: the notice is due today."""
    case.serious_reasons = [*case.serious_reasons, *added]
    if case.notice_sent_at is None and (case.notice_due_at is None or case.not_serious_reason):
        # A deadline that is already running keeps its date (an overdue notice stays overdue).
        case.notice_due_at = rules.end_of_day(timezone.localdate(at))
        _cancel(at, case=case, kind=Reminder.Kind.NOTICE)
        _remind_notice(case, at)
    case.not_serious_reason = ""
    if SECURITY_REASONS & set(added):
        _assign_security(case, at)
    labels = ", ".join(str(rules.Serious(reason).label) for reason in added)
    _event(case, by, Kind.SERIOUS_FLAGGED, at, note=labels)


@transaction.atomic
def record_notice(
    case: Case,
    *,
    by: User,
    sent_at: datetime,
    reference: str = "",
    now: datetime | None = None,
) -> Case:
    """Who sent the notice to Arbetsmiljöverket, when, and their reference."""
    at = _now(now)
    case = _locked(case)
    if not case.is_serious:
        raise ValidationError(_("The event is not marked as possibly serious."), code="invalid")
    if sent_at > at + timedelta(minutes=5):
        raise ValidationError(
            {"sent_at": _("The time the notice was sent cannot be in the future.")}
        )
    if timezone.localdate(sent_at) < case.report.occurred_on:
        raise ValidationError({"sent_at": _("The notice cannot have been sent before the event.")})
    case.notice_sent_at = sent_at
    case.notice_sent_by = by
    case.notice_reference = reference.strip()
    case.not_serious_reason = ""
    _cancel(at, case=case, kind=Reminder.Kind.NOTICE)
    _event(case, by, Kind.NOTICE_SENT, at, note=case.notice_reference)
    return _save(case)


@transaction.atomic
def record_not_serious(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """The handler assessed that the event does not need a notice, and why."""
    at = _now(now)
    case = _locked(case)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why no notice is needed.")})
    if case.notice_sent_at is not None:
        raise ValidationError(_("The notice has already been sent."), code="invalid")
    case.not_serious_reason = reason
    _cancel(at, case=case, kind=Reminder.Kind.NOTICE)
    _event(case, by, Kind.NOT_SERIOUS, at, note=reason)
    return _save(case)


@transaction.atomic
def record_insurance(
    case: Case,
    *,
    by: User,
    injury_report_on: date | None,
    afa_informed_on: date | None,
    no_injury_report_reason: str = "",
    now: datetime | None = None,
) -> Case:
    """The work-injury report to Försäkringskassan (made, or why none is needed) and the AFA
    reminder to the employee. Recording either makes the case one with an injury."""
    at = _now(now)
    case = _locked(case)
    today = timezone.localdate(at)
    reason = no_injury_report_reason.strip()
    errors = {
        field: _("The date cannot be in the future.")
        for field, value in (
            ("injury_report_on", injury_report_on),
            ("afa_informed_on", afa_informed_on),
        )
        if value and value > today
    }
    if injury_report_on and injury_report_on < case.report.occurred_on:
        errors["injury_report_on"] = _("The report cannot have been made before the event.")
    if injury_report_on and reason:
        errors["no_injury_report_reason"] = _(
            "A work-injury report that was made cannot also be not needed."
        )
    if errors:
        raise ValidationError(errors)
    case.injury = True
    case.injury_report_on = injury_report_on
    case.afa_informed_on = afa_informed_on
    case.no_injury_report_reason = reason
    _keep_injury_report_due(case, at)
    _event(case, by, Kind.INSURANCE, at, note=reason)
    return _save(case)


def _keep_injury_report_due(case: Case, at: datetime) -> None:
    """While an injury's work-injury report is pending, it has a deadline and a reminder (a
    deadline already running keeps its date); once made or found not needed, neither."""
    waiting = Reminder.objects.filter(
        case=case, kind=Reminder.Kind.INJURY_REPORT, cancelled_at=None, claimed_at=None
    )
    if not case.injury_report_pending:
        waiting.update(cancelled_at=at)
        return
    if case.injury_report_due_at is None:
        case.injury_report_due_at = rules.injury_report_due(at)
    if not waiting.exists():
        _remind(Reminder.Kind.INJURY_REPORT, max(case.injury_report_due_at, at), case=case)


# Support ----------------------------------------------------------------------------------


@transaction.atomic
def offer_support(
    case: Case,
    *,
    by: User,
    kind: str,
    offered_on: date,
    note: str = "",
    now: datetime | None = None,
) -> Support:
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    support = Support.objects.create(case=case, kind=kind, offered_on=offered_on, note=note)
    _event(
        case,
        by,
        Kind.SUPPORT,
        at,
        note=_("Offered: %(kind)s") % {"kind": support.get_kind_display()},
    )
    _save(case)
    return support


@transaction.atomic
def update_support(
    support: Support,
    *,
    by: User,
    status: str,
    given_on: date | None = None,
    followed_up_on: date | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Support:
    """Accepted, declined or given; given support gets a follow-up contact one to two weeks
    later, reminded like any deadline."""
    at = _now(now)
    case = _locked(support.case)
    _not_closed(case)
    support = Support.objects.select_for_update().get(pk=support.pk)
    today = timezone.localdate(at)
    if status == Support.Status.GIVEN and given_on is None:
        given_on = support.given_on or today
    for field, value in (("given_on", given_on), ("followed_up_on", followed_up_on)):
        if value and value > today:
            raise ValidationError({field: _("The date cannot be in the future.")})
        if value and value < support.offered_on:
            raise ValidationError({field: _("The date cannot be before the support was offered.")})
    support.status = status
    support.given_on = given_on if status == Support.Status.GIVEN else None
    if support.given_on is None and support.follow_up_due_on is not None:
        # No longer given (declined after all): no follow-up contact to remind.
        support.follow_up_due_on = None
        _cancel(at, support=support)
    if note is not None:
        support.note = note
    if support.given_on and support.follow_up_due_on is None:
        support.follow_up_due_on = support.given_on + timedelta(
            days=settings.VARNA_SUPPORT_FOLLOW_UP_DAYS
        )
        _remind(
            Reminder.Kind.SUPPORT_FOLLOW_UP,
            rules.start_of_day(support.follow_up_due_on),
            support=support,
        )
    if followed_up_on:
        support.followed_up_on = followed_up_on
        _cancel(at, support=support)
    support.save()
    _event(
        case,
        by,
        Kind.SUPPORT,
        at,
        note=f"{support.get_kind_display()}: {support.get_status_display()}",
    )
    _save(case)
    return support


# The actor, comments, people --------------------------------------------------------------

ACTOR_FIELDS = ["name", "client_reference", "description", "threat_wording", "earlier_events"]


@transaction.atomic
def save_actor(
    case: Case, *, by: User, data: dict[str, Any], now: datetime | None = None
) -> ActorDetails:
    """The personal data about who did it: the timeline records that it changed, not what."""
    at = _now(now)
    case = _locked(case)
    details, _created = ActorDetails.objects.update_or_create(
        case=case, defaults={field: data.get(field, "") for field in ACTOR_FIELDS}
    )
    _event(case, by, Kind.ACTOR, at)
    return details


@transaction.atomic
def comment(case: Case, *, by: User, text: str, now: datetime | None = None) -> CaseEvent:
    at = _now(now)
    case = _locked(case)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    return _event(case, by, Kind.COMMENT, at, note=text)


@transaction.atomic
def assign(case: Case, *, by: User, user: User, now: datetime | None = None) -> Assignment:
    """Give the case to a security coordinator or investigator whose grant covers its unit."""
    at = _now(now)
    case = _locked(case)
    grant = (
        RoleGrant.objects.filter(
            user=user,
            role__in=[Role.SECURITY, Role.INVESTIGATOR],
            unit__path__in=tree.ancestor_paths(case.unit.path),
        )
        .order_by("-role")  # security before investigator for someone who is both
        .first()
    )
    if grant is None or not user.is_active:
        raise ValidationError(
            {"user": _("Only a security coordinator or investigator for this unit can be chosen.")}
        )
    return _assign(case, by, user, grant.role, at)


def _assign(case: Case, by: User | None, user: User, role: str, at: datetime) -> Assignment:
    assignment, created = Assignment.objects.get_or_create(
        case=case, user=user, defaults={"role": role, "assigned_by": by}
    )
    if created:
        _event(case, by, Kind.ASSIGNED, at, note=f"{user.get_full_name()} ({Role(role).label})")
        notification = Notification.objects.create(
            recipient=user,
            report=case.report,
            kind=Notification.Kind.ASSIGNED,
            reason=role,
            topic=Notification.Topic.ASSIGNED,
        )
        send_notification_email.enqueue(notification.pk)
    return assignment


def _tell_handlers(case: Case, by: User) -> None:
    """Tell whoever handles the case that the employee added to their report: its handler, or
    while it has none, the managers (or security) who were told of the report."""
    if case.handler_id is not None:
        people: list[tuple[User, str]] = [(case.handler, Role.MANAGER)]  # type: ignore[list-item]
    else:
        people = [
            (user, role)
            for user, role in reporting_services.recipients_for(case.report)
            if role != Role.SAFETY_REP
        ]
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                report=case.report,
                kind=Notification.Kind.REPORT_COMPLETED,
                reason=role,
            )
            for user, role in people
            if user.pk != by.pk
        ]
    )
    for notification in notifications:
        send_notification_email.enqueue(notification.pk)


def is_employee(case: Case, user: User) -> bool:
    """Whether `user` is the employee of the case: who reported it or whom it is about."""
    return user.pk in (case.report.reporter_id, case.report.affected_id)


@transaction.atomic
def record_attachment(
    case: Case, *, by: User, label: str, now: datetime | None = None
) -> CaseEvent:
    """The timeline line for a file added to the report or case; when the employee added it,
    the handler is told. A closed case takes no new files."""
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    from_employee = is_employee(case, by)
    event = _event(case, by, Kind.ATTACHMENT, at, note=label, for_employee=from_employee)
    if from_employee:
        _tell_handlers(case, by)
    return event


# Serious threats go to security as well as to the line (DOMAIN: security handles them).
SECURITY_REASONS = {rules.Serious.THREAT_TO_LIFE, rules.Serious.WEAPON}


def _assign_security(case: Case, at: datetime) -> None:
    """Give a serious threat to the nearest security coordinators, unless it is about them."""
    if case.security_routed:
        return
    for user in selectors.nearest_holders(case.unit, Role.SECURITY):
        if user.pk != case.report.affected_id:
            _assign(case, None, user, Role.SECURITY, at)


@transaction.atomic
def set_handler(case: Case, *, by: User, user: User, now: datetime | None = None) -> Case:
    """Hand the case to another manager whose grant covers the unit (a deputy, a manager above)."""
    at = _now(now)
    case = _locked(case)
    if case.security_routed:
        allowed = access.can(user, Action.VIEW_SECURITY_REPORT, case)
        message = _("Only a security coordinator for this unit can handle the case.")
    else:
        allowed = access.can(user, Action.HANDLE_CASE, case)
        message = _("Only a manager of this unit can handle the case.")
    if not user.is_active or not allowed or user.pk == case.report.affected_id:
        raise ValidationError({"user": message})
    case.handler = user
    _event(case, by, Kind.HANDLER, at, note=user.get_full_name())
    return _save(case)


# The safety representative's request (AML 6 kap. 6 a §) ------------------------------------


# How far ahead a safety representative can set the answer's date.
REQUEST_ANSWER_MAX_DAYS = 365


@transaction.atomic
def request_measures(
    *,
    by: User,
    unit: Unit,
    demand: str,
    case: Case | None = None,
    kind: str = SafetyRequest.Kind.MEASURES,
    answer_due_on: date | None = None,
    now: datetime | None = None,
) -> SafetyRequest:
    """Record a formal request for measures or for an investigation. The employer must
    confirm it in writing at once and answer by `answer_due_on` (by default
    rules.request_answer_due), so the managers are told at once and it counts as overdue
    until its receipt is confirmed."""
    at = _now(now)
    demand = demand.strip()
    if not demand:
        raise ValidationError({"demand": _("Write what you request and why.")})
    today = timezone.localdate(at)
    if answer_due_on is None:
        answer_due_on = rules.request_answer_due(at)
    if answer_due_on < today:
        raise ValidationError({"answer_due_on": _("The date cannot be in the past.")})
    if answer_due_on > today + timedelta(days=REQUEST_ANSWER_MAX_DAYS):
        raise ValidationError(
            {"answer_due_on": _("Ask for the answer within a year at the latest.")}
        )
    if case is not None:
        case = _locked(case)
        unit = case.unit
        if case.security_routed:
            # Sent to security: the safety representative does not see it, and the line
            # must not learn of it through a request.
            raise ValidationError(
                _("Requests cannot be made on cases handled by the security coordinator.")
            )
        _not_closed(case)
    if not access.can(by, Action.REQUEST_MEASURES, unit):
        raise ValidationError({"unit": _("You are not a safety representative for this unit.")})
    request = SafetyRequest.objects.create(
        unit=unit,
        case=case,
        requested_by=by,
        kind=kind,
        demand=demand,
        answer_due_on=answer_due_on,
    )
    if case is not None:
        _event(case, by, Kind.REQUEST, at, note=f"{request.get_kind_display()}: {demand}")
        _save(case)
    _remind(
        Reminder.Kind.SAFETY_REQUEST,
        at + timedelta(hours=REQUEST_REMINDER_HOURS),
        request=request,
    )
    if case is not None and case.handler is not None:
        managers = [case.handler]
    else:
        managers = selectors.nearest_holders(unit, Role.MANAGER)
    affected = case.report.affected_id if case is not None else None
    managers = [user for user in managers if user.pk not in {by.pk, affected}]
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                report=case.report if case else None,
                kind=Notification.Kind.SAFETY_REQUEST,
                reason=Role.MANAGER,
                topic=Reminder.Kind.SAFETY_REQUEST,
            )
            for user in managers
        ]
    )
    for notification in notifications:
        send_notification_email.enqueue(notification.pk)
    return request


@transaction.atomic
def confirm_request(
    request: SafetyRequest, *, by: User, now: datetime | None = None
) -> SafetyRequest:
    """The employer's written receipt of the request, which the law asks for at once; the
    answer is then due by the date the safety representative asked for."""
    at = _now(now)
    request = SafetyRequest.objects.select_for_update().get(pk=request.pk)
    if request.is_confirmed or request.is_answered:
        raise ValidationError(_("The receipt has already been confirmed."), code="confirmed")
    if not access.can(by, Action.HANDLE_CASE, request):
        raise ValidationError(_("Only a manager of the unit can confirm."), code="forbidden")
    request.confirmed_at = at
    request.confirmed_by = by
    request.save()
    _cancel(at, request=request)
    if request.answer_due_on is not None:
        answer_due = max(rules.end_of_day(request.answer_due_on), at)
        _remind(Reminder.Kind.SAFETY_REQUEST, answer_due, request=request)
    if request.case is not None:
        case = _locked(request.case)
        _event(case, by, Kind.REQUEST_CONFIRMED, at, note=request.get_kind_display())
        _save(case)
    return request


@transaction.atomic
def answer_request(
    request: SafetyRequest,
    *,
    by: User,
    decision: str,
    answer: str,
    now: datetime | None = None,
) -> SafetyRequest:
    """The employer's written answer; written, it also confirms the receipt if nobody had."""
    at = _now(now)
    request = SafetyRequest.objects.select_for_update().get(pk=request.pk)
    answer = answer.strip()
    if request.is_answered:
        raise ValidationError(_("The request has already been answered."), code="answered")
    if not answer:
        raise ValidationError({"answer": _("Write the employer's answer.")})
    if not access.can(by, Action.HANDLE_CASE, request):
        raise ValidationError(_("Only a manager of the unit can answer."), code="forbidden")
    request.answer = answer
    request.decision = decision
    request.answered_on = timezone.localdate(at)
    request.answered_by = by
    if request.confirmed_at is None:
        request.confirmed_at, request.confirmed_by = at, by
    request.save()
    _cancel(at, request=request)
    if request.case is not None:
        case = _locked(request.case)
        _event(case, by, Kind.REQUEST_ANSWERED, at, note=answer)
        _save(case)
    return request


@transaction.atomic
def record_request_to_authority(
    request: SafetyRequest, *, by: User, sent_on: date, now: datetime | None = None
) -> SafetyRequest:
    """The safety representative asked Arbetsmiljöverket to step in (AML 6 kap. 6 a §), which
    they can once the answer is late or a refusal."""
    at = _now(now)
    request = SafetyRequest.objects.select_for_update().get(pk=request.pk)
    today = timezone.localdate(at)
    if request.authority_sent_on is not None:
        raise ValidationError(
            _("It is already recorded that the request went to Arbetsmiljöverket."),
            code="recorded",
        )
    if not request.may_go_to_authority(today):
        raise ValidationError(
            _("Arbetsmiljöverket can be asked once the answer is late or the request is refused."),
            code="too_early",
        )
    if not access.can(by, Action.REQUEST_MEASURES, request):
        raise ValidationError(
            _("Only a safety representative of the unit can record this."), code="forbidden"
        )
    if sent_on > today:
        raise ValidationError({"sent_on": _("The date cannot be in the future.")})
    if sent_on < timezone.localdate(request.created_at):
        raise ValidationError({"sent_on": _("The date cannot be before the request was made.")})
    request.authority_sent_on = sent_on
    request.authority_sent_by = by
    request.save()
    if request.case is not None:
        case = _locked(request.case)
        _event(case, by, Kind.REQUEST_TO_AUTHORITY, at, note=f"{sent_on:%Y-%m-%d}")
        _save(case)
    return request


# The record: completing, correcting and reclassifying a sent report -----------------------


def _follow_report(case: Case, by: User, at: datetime) -> None:
    """After the report changed: what the rules derive from it (an injury, new reasons to
    treat it as serious) follows, and the case's copy of the form."""
    report = case.report
    case.main_form = report.main_form
    if not case.injury and rules.has_injury(report):
        case.injury = True
        _keep_injury_report_due(case, at)
    added = [
        reason for reason in rules.serious_reasons(report) if reason not in case.serious_reasons
    ]
    if added and case.notice_sent_at is None:
        _add_serious(case, by, added, at)


def _change_summary(change: ReportChange) -> str:
    """The changed parts by name for the timeline (the values stay in the report history)."""
    labels = [field_label(item["field"]) for item in change.fields]
    if change.added_text:
        labels.append(str(_("an addition to the description")))
    return ", ".join(labels)


@transaction.atomic
def complete_report(
    case: Case,
    *,
    by: User,
    data: dict[str, Any],
    version: int,
    addition: str = "",
    now: datetime | None = None,
) -> ReportChange:
    """The employee (while the case is open) or the handler completes or corrects the optional
    parts of the report and adds to its description; the handler is told when the employee
    did it. `data` holds COMPLETABLE_FIELDS only."""
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    unknown = set(data) - set(reporting_services.COMPLETABLE_FIELDS)
    if unknown:
        raise ValueError(f"not completable: {sorted(unknown)}")
    from_employee = is_employee(case, by)
    report, change = reporting_services.change_report(
        report=case.report,
        by=by,
        kind=ReportChange.Kind.COMPLETED if from_employee else ReportChange.Kind.CORRECTED,
        data=data,
        version=version,
        added_text=addition,
        at=at,
    )
    case.report = report
    kind = Kind.REPORT_COMPLETED if from_employee else Kind.REPORT_CORRECTED
    _event(case, by, kind, at, note=_change_summary(change), for_employee=True)
    _follow_report(case, by, at)
    if from_employee:
        _tell_handlers(case, by)
    _save(case)
    return change


@transaction.atomic
def reclassify(
    case: Case,
    *,
    by: User,
    data: dict[str, Any],
    serious: bool,
    reason: str,
    version: int,
    now: datetime | None = None,
) -> ReportChange:
    """The handler changes the form, sub-forms and KIA type, and whether the event is possibly
    serious, with a reason kept in the history; the follow-up counts it anew."""
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why the event is reclassified.")})
    unknown = set(data) - set(reporting_services.CLASSIFICATION_FIELDS)
    if unknown:
        raise ValueError(f"not a classification: {sorted(unknown)}")
    unflag = case.is_serious and not serious
    if unflag and case.notice_sent_at is not None:
        raise ValidationError(
            {"serious": _("The notice to Arbetsmiljöverket has been sent; it stays on record.")}
        )
    try:
        report, change = reporting_services.change_report(
            report=case.report,
            by=by,
            kind=ReportChange.Kind.RECLASSIFIED,
            data=data,
            version=version,
            reason=reason,
            at=at,
        )
    except ValidationError as error:
        if getattr(error, "code", None) != "unchanged" or serious == case.is_serious:
            raise
        # Only the serious flag changed: a version of its own, with the reason.
        report, change = reporting_services.change_report(
            report=case.report,
            by=by,
            kind=ReportChange.Kind.RECLASSIFIED,
            data={},
            version=version,
            reason=reason,
            at=at,
            allow_empty=True,
        )
    case.report = report
    if unflag:
        case.serious_reasons = []
        case.notice_due_at = None
        case.not_serious_reason = reason
        _cancel(at, case=case, kind=Reminder.Kind.NOTICE)
        _event(case, by, Kind.NOT_SERIOUS, at, note=reason)
    elif serious and not case.is_serious:
        reasons = rules.serious_reasons(report) or [rules.Serious.OTHER.value]
        _add_serious(case, by, reasons, at)
    summary = _change_summary(change)
    _event(case, by, Kind.RECLASSIFIED, at, note=f"{summary}: {reason}" if summary else reason)
    _follow_report(case, by, at)
    _save(case)
    return change


@transaction.atomic
def close_not_unlawful(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """Close the case as lawful influence (an appeal, a complaint, criticism): the reason is
    what the employee is told; the event is counted apart from unlawful influence."""
    at = _now(now)
    case = _locked(case)
    _not_closed(case)
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Write why it is not unlawful influence; the employee is told this.")}
        )
    if case.injury_report_pending:
        # An injury at work is a work injury whatever the event turns out to be.
        raise ValidationError(
            _("Record the work-injury report to Försäkringskassan, or why none is needed.")
        )
    _event(
        case,
        by,
        Kind.NOT_UNLAWFUL,
        at,
        note=reason,
        for_employee=True,
        from_state=case.state,
        to_state=State.CLOSED,
    )
    case.state = State.CLOSED
    case.closed_at = at
    case.not_unlawful = True
    case.not_unlawful_reason = reason
    case.outcome = reason
    _cancel(at, case=case)
    _cancel(at, measure__case=case)
    _cancel(at, support__case=case)
    report = case.report
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=person,
                report=report,
                kind=Notification.Kind.NOT_UNLAWFUL,
                reason="reporter",
            )
            for person in {report.reporter_id, report.affected_id}
            if person != by.pk
        ]
    )
    for notification in notifications:
        send_notification_email.enqueue(notification.pk)
    return _save(case)


# Legal hold -------------------------------------------------------------------------------


@transaction.atomic
def set_hold(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """Keep the case from destruction under the retention plan (a police investigation, a
    court case, a work-injury claim) until the hold is lifted."""
    at = _now(now)
    case = _locked(case)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why the case must be kept.")})
    if case.on_hold:
        raise ValidationError(_("The case is already kept under a legal hold."), code="invalid")
    case.hold_since, case.hold_by, case.hold_reason = at, by, reason
    _event(case, by, Kind.HOLD_SET, at, note=reason)
    case.save(update_fields=["hold_since", "hold_by", "hold_reason", "updated_at"])
    return case


@transaction.atomic
def lift_hold(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    at = _now(now)
    case = _locked(case)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write why the hold is lifted.")})
    if not case.on_hold:
        raise ValidationError(_("The case is not under a legal hold."), code="invalid")
    case.hold_since, case.hold_by, case.hold_reason = None, None, ""
    _event(case, by, Kind.HOLD_LIFTED, at, note=reason)
    case.save(update_fields=["hold_since", "hold_by", "hold_reason", "updated_at"])
    return case
