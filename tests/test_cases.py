"""Case handling (varna.cases): opening, the workflow, rules, reminders and escalation, access.

Every test makes its own reports through `reporting.services.submit_report`, which opens the
case through its signal, so nothing here depends on which demo cases exist. Reminder tests first
set aside every other pending reminder (inside the test's transaction) and always pass the clock
explicitly (`now=`); nothing sleeps.
"""

import threading
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from varna.cases import reminders, rules, selectors, services
from varna.cases.access import Capacity, capacity, visible_cases, visible_requests
from varna.cases.models import (
    Assignment,
    Case,
    CaseEvent,
    DigestRun,
    Measure,
    Reminder,
    SafetyRequest,
    State,
    Support,
)
from varna.cases.tasks import send_digest_email
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.models import Notification, Report
from varna.reporting.services import submit_report
from varna.reporting.tasks import send_notification_email

Kind = CaseEvent.Kind
SECRET = "Klienten sa att han vet var Sara bor och att hon ska akta sig"


# Helpers ----------------------------------------------------------------------------------


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An aware moment on the Swedish wall clock."""
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def evening(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


def make_report(cast, *, by: str = "medarbetare", unit: str = "DEMO-FSE1A", **fields) -> Report:
    data = {
        "main_form": "threat",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit(unit),
        "description": SECRET,
        **fields,
    }
    report, created = submit_report(reporter=cast[by], data=data, idempotency_key=uuid.uuid4())
    assert created
    return report


def open_case(cast, **fields) -> Case:
    return Case.objects.get(report=make_report(cast, **fields))


def fresh(case: Case) -> Case:
    return Case.objects.select_related("report", "unit", "handler").get(pk=case.pk)


def snapshot(case: Case) -> tuple:
    """Everything a case service may write, to prove a refused step changed nothing."""
    related = Q(case=case) | Q(measure__case=case) | Q(support__case=case) | Q(request__case=case)
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        list(CaseEvent.objects.filter(case=case).values().order_by("pk")),
        list(Reminder.objects.filter(related).values().order_by("pk")),
        list(Measure.objects.filter(case=case).values().order_by("pk")),
        list(Support.objects.filter(case=case).values().order_by("pk")),
        list(SafetyRequest.objects.filter(case=case).values().order_by("pk")),
        list(Assignment.objects.filter(case=case).values().order_by("pk")),
        Notification.objects.filter(report=case.report_id).count(),
    )


def refused(case: Case, call, *, field: str | None = None, text: str | None = None):
    """`call` raises ValidationError (checked in English) and the case is exactly as before."""
    before = snapshot(case)
    with translation.override("en"), pytest.raises(ValidationError) as info:
        call()
    error = info.value
    if field is not None:
        assert field in error.message_dict, error.message_dict
    if text is not None:
        assert any(text in message for message in error.messages), error.messages
    assert snapshot(case) == before
    return error


def one_new_event(case: Case, call) -> CaseEvent:
    """Run a service step and return the single timeline event it wrote."""
    seen = set(case.events.values_list("pk", flat=True))
    call()
    new = list(CaseEvent.objects.filter(case=case).exclude(pk__in=seen))
    assert len(new) == 1, [event.kind for event in new]
    return new[0]


def advance(case: Case, to: State, *, by: User) -> Case:
    """Take a case the shortest valid way to `to` (no measures, police: no report)."""
    order = [State.ACKNOWLEDGED, State.INVESTIGATED, State.MEASURES_DECIDED, State.FOLLOWED_UP]
    for state in order[: order.index(to) + 1]:
        if state == State.ACKNOWLEDGED:
            services.acknowledge(case, by=by)
        elif state == State.INVESTIGATED:
            services.save_investigation(
                case, by=by, data={"what_happened": "Hot i receptionen", "recurrence_risk": "high"}
            )
            services.finish_investigation(case, by=by)
        elif state == State.MEASURES_DECIDED:
            services.decide_measures(case, by=by, no_measures_reason="Rutinen följdes redan")
        else:
            services.follow_up(case, by=by, note="Medarbetaren mår bra")
    return fresh(case)


def police_no_report(case: Case, by: User) -> None:
    services.record_police(
        case,
        by=by,
        data={"police_decision": "no_report", "police_no_report_reason": "Inget brott"},
    )


def measure_data(owner: User, due_on: date, **extra) -> dict:
    return {
        "scope": Measure.Scope.INDIVIDUAL,
        "kind": Measure.Kind.ESCORT,
        "what": "Två handläggare på nästa möte",
        "owner": owner,
        "due_on": due_on,
        **extra,
    }


def notes(case: Case, **filters) -> list[tuple[str, str, str]]:
    """(recipient, kind, topic) of the case's reminder notifications, oldest first."""
    rows = Notification.objects.filter(
        report=case.report_id,
        kind__in=[Notification.Kind.REMINDER, Notification.Kind.ESCALATION],
        **filters,
    ).order_by("created_at", "pk")
    return [(n.recipient.username, n.kind, n.topic) for n in rows.select_related("recipient")]


def run_tasks(task) -> int:
    """Run the queued tasks of one kind that are due, as `db_worker` does, inside the test's
    transaction (the real worker closes its database connection, which the test still needs)."""
    count = 0
    rows = DBTaskResult.objects.ready().filter(task_path=task.module_path)
    while row := rows.order_by("enqueued_at").first():
        row.claim("test")
        args = row.args_kwargs
        row.set_successful(row.task.call(*args["args"], **args["kwargs"]))
        count += 1
    return count


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock that `timezone.now()` (and so submit_report) reads."""

    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_clock


@pytest.fixture
def quiet(db):
    """Only this test's deadlines count: the demo's pending reminders and queued tasks are set
    aside inside the test's transaction (rolled back afterwards)."""
    Reminder.objects.filter(claimed_at=None, cancelled_at=None).update(cancelled_at=timezone.now())
    DBTaskResult.objects.all().delete()
    mail.outbox.clear()


# 1. Opening -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_report_opens_exactly_one_case_for_the_nearest_manager(cast):
    before = Case.objects.count()
    report = make_report(cast)
    assert Case.objects.count() == before + 1
    case = Case.objects.get(report=report)
    assert case.state == State.RECEIVED
    assert case.handler == cast["forste"]
    assert (case.unit, case.main_form, case.security_routed) == (report.unit, "threat", False)
    assert case.opened_at == report.submitted_at
    assert case.acknowledge_due_at == rules.acknowledge_due(report.submitted_at)
    assert case.next_due_at == case.acknowledge_due_at
    assert case.serious_reasons == [] and case.notice_due_at is None and not case.injury
    [event] = case.events.all()
    assert (event.kind, event.actor, event.from_state, event.to_state) == (
        Kind.OPENED,
        cast["medarbetare"],
        "",
        State.RECEIVED,
    )
    assert event.for_employee
    [reminder] = Reminder.objects.filter(case=case)
    assert (reminder.kind, reminder.level, reminder.due_at) == (
        Reminder.Kind.ACKNOWLEDGE,
        0,
        case.acknowledge_due_at,
    )
    assert reminder.claimed_at is None and reminder.cancelled_at is None


@pytest.mark.django_db
def test_the_case_is_opened_in_the_reports_transaction(cast, monkeypatch):
    def broken(report):
        raise RuntimeError("case table unavailable")

    monkeypatch.setattr(services, "open_case", broken)
    key = uuid.uuid4()
    data = {
        "main_form": "threat",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": SECRET,
    }
    notifications = Notification.objects.count()
    with pytest.raises(RuntimeError):
        submit_report(reporter=cast["medarbetare"], data=data, idempotency_key=key)
    # No report without its case, and nobody told of a report that does not exist.
    assert not Report.objects.filter(idempotency_key=key).exists()
    assert Notification.objects.count() == notifications


@pytest.mark.django_db
def test_sending_the_same_report_twice_opens_one_case(cast):
    key = uuid.uuid4()
    data = {
        "main_form": "threat",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": SECRET,
    }
    first, created = submit_report(reporter=cast["medarbetare"], data=data, idempotency_key=key)
    again, created_again = submit_report(
        reporter=cast["medarbetare"], data=data, idempotency_key=key
    )
    assert created and not created_again and first == again
    assert Case.objects.filter(report=first).count() == 1
    assert CaseEvent.objects.filter(case=first.pk, kind=Kind.OPENED).count() == 1
    assert Reminder.objects.filter(case=first.pk).count() == 1


@pytest.mark.parametrize(
    ("submitted", "due_on"),
    [
        ((2026, 3, 11, 9, 0), date(2026, 3, 12)),  # Wednesday: Thursday evening
        ((2026, 3, 13, 16, 30), date(2026, 3, 16)),  # Friday afternoon: Monday evening
        ((2026, 3, 14, 10, 0), date(2026, 3, 16)),  # Saturday: Monday evening
        ((2026, 5, 13, 10, 0), date(2026, 5, 15)),  # before Ascension Day: skips Thursday
        ((2026, 4, 2, 15, 0), date(2026, 4, 7)),  # Maundy Thursday: Good Friday to Easter Monday
        ((2026, 12, 31, 23, 30), date(2027, 1, 4)),  # New Year's Eve, late: over New Year's Day
    ],
)
@pytest.mark.django_db
def test_contact_is_due_by_the_end_of_the_next_working_day(cast, clock, submitted, due_on):
    moment = local(*submitted)
    clock(moment)
    case = open_case(cast, occurred_on=moment.date())
    assert case.opened_at == moment
    assert case.acknowledge_due_at == evening(due_on)
    assert timezone.localtime(case.acknowledge_due_at).time() == time(23, 59)
    assert Reminder.objects.get(case=case, kind=Reminder.Kind.ACKNOWLEDGE).due_at == evening(due_on)


@pytest.mark.parametrize(
    ("fields", "reasons", "injury"),
    [
        ({"main_form": "violence"}, ["violence"], False),
        ({"main_form": "threat", "subforms": ["threat.direct"]}, ["threat_to_life"], False),
        ({"main_form": "harassment", "consequences": ["injury"]}, ["injury"], True),
        (
            {"main_form": "threat", "other_forms": ["violence"], "consequences": ["shock"]},
            ["violence", "shock"],
            True,
        ),
        (
            {"main_form": "harassment", "kia_type": "allvarligt_tillbud"},
            ["serious_near_miss"],
            False,
        ),
    ],
)
@pytest.mark.django_db
def test_a_possibly_serious_event_must_be_notified_the_same_day(
    cast, clock, fields, reasons, injury
):
    clock(local(2026, 3, 11, 9, 0))
    case = open_case(cast, **fields)
    assert case.serious_reasons == reasons
    assert case.is_serious and case.notice_pending
    assert case.injury is injury
    assert case.notice_due_at == evening(date(2026, 3, 11))
    # The inbox sorts on the earliest deadline: the notice today, before the contact tomorrow.
    assert case.next_due_at == case.notice_due_at < case.acknowledge_due_at
    notice = Reminder.objects.get(case=case, kind=Reminder.Kind.NOTICE)
    assert notice.due_at == local(2026, 3, 11, 11, 0)  # reminded within two hours
    assert Reminder.objects.filter(case=case, kind=Reminder.Kind.ACKNOWLEDGE).count() == 1


@pytest.mark.django_db
def test_a_serious_event_reported_late_in_the_evening_is_reminded_before_midnight(cast, clock):
    clock(local(2026, 3, 11, 22, 45))
    case = open_case(cast, main_form="violence")
    notice = Reminder.objects.get(case=case, kind=Reminder.Kind.NOTICE)
    assert notice.due_at == case.notice_due_at == evening(date(2026, 3, 11))


@pytest.mark.django_db
def test_a_threat_that_is_not_serious_gets_no_notice_deadline(cast):
    case = open_case(cast, main_form="threat", subforms=["threat.veiled"], consequences=["fear"])
    assert case.serious_reasons == [] and not case.notice_pending
    assert not Reminder.objects.filter(case=case, kind=Reminder.Kind.NOTICE).exists()


@pytest.mark.django_db
def test_corruption_sent_to_security_is_handled_by_security(cast):
    case = open_case(cast, main_form="corruption", route_to_security=True)
    assert case.security_routed and case.handler == cast["sakerhet"]
    assert Reminder.objects.filter(case=case, kind=Reminder.Kind.ACKNOWLEDGE).count() == 1
    # Corruption kept in the line is the line manager's.
    line = open_case(cast, main_form="corruption")
    assert not line.security_routed and line.handler == cast["forste"]


@pytest.mark.django_db
def test_a_managers_own_report_is_handled_by_the_manager_above(cast):
    case = open_case(cast, by="forste")  # the only manager of Grupp 1A
    assert case.handler == cast["enhetschef"]


# 2. The workflow --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_takes_a_case_through_every_step_with_one_timeline_event_each(cast):
    forste = cast["forste"]
    case = open_case(cast)
    today = timezone.localdate()

    def expect(event, kind, from_state="", to_state=""):
        assert (event.kind, event.actor, event.from_state, event.to_state) == (
            kind,
            forste,
            from_state,
            to_state,
        )

    event = one_new_event(case, lambda: services.acknowledge(case, by=forste, note="Ringde Sara"))
    expect(event, Kind.ACKNOWLEDGED, State.RECEIVED, State.ACKNOWLEDGED)
    assert event.note == "Ringde Sara" and event.for_employee
    case = fresh(case)
    assert case.state == State.ACKNOWLEDGED and case.acknowledged_at == event.at
    assert Reminder.objects.get(case=case, kind=Reminder.Kind.ACKNOWLEDGE).cancelled_at
    assert case.next_due_at is None

    investigation = {
        "what_happened": "Sökande hotade efter avslag",
        "causes": ["unprepared_decision", "no_alarm"],
        "recurrence_risk": "high",
        "decision_influenced": "no",
    }
    event = one_new_event(
        case, lambda: services.save_investigation(case, by=forste, data=investigation)
    )
    expect(event, Kind.INVESTIGATION_SAVED)
    assert not event.for_employee
    event = one_new_event(case, lambda: services.finish_investigation(case, by=forste))
    expect(event, Kind.INVESTIGATED, State.ACKNOWLEDGED, State.INVESTIGATED)
    case = fresh(case)
    assert case.causes == ["unprepared_decision", "no_alarm"] and case.recurrence_risk == "high"

    measures = []
    event = one_new_event(
        case,
        lambda: measures.append(
            services.add_measure(
                case, by=forste, data=measure_data(forste, today + timedelta(days=7))
            )
        ),
    )
    expect(event, Kind.MEASURE_ADDED)
    assert event.for_employee  # an individual measure concerns the employee
    [measure] = measures
    [measure_reminder] = Reminder.objects.filter(measure=measure)
    assert measure_reminder.kind == Reminder.Kind.MEASURE
    assert measure_reminder.due_at == evening(today + timedelta(days=7))
    assert fresh(case).next_due_at == evening(today + timedelta(days=7))

    event = one_new_event(case, lambda: services.decide_measures(case, by=forste))
    expect(event, Kind.MEASURES_DECIDED, State.INVESTIGATED, State.MEASURES_DECIDED)
    event = one_new_event(
        case,
        lambda: services.update_measure(measure, by=forste, data={"status": Measure.Status.DONE}),
    )
    expect(event, Kind.MEASURE_CHANGED)
    measure.refresh_from_db()
    assert measure.done_on == today
    measure_reminder.refresh_from_db()
    assert measure_reminder.cancelled_at is not None

    event = one_new_event(
        case, lambda: services.follow_up(case, by=forste, note="  Fungerar bra  ")
    )
    expect(event, Kind.FOLLOWED_UP, State.MEASURES_DECIDED, State.FOLLOWED_UP)
    assert fresh(case).follow_up_note == "Fungerar bra"

    police = {
        "police_decision": "employer_files",
        "police_filed_on": today,
        "police_reference": "5000-K123456-26",
        "police_outcome": "pending",
    }
    event = one_new_event(case, lambda: services.record_police(case, by=forste, data=police))
    expect(event, Kind.POLICE)

    event = one_new_event(
        case, lambda: services.close(case, by=forste, outcome="Ni får sällskap på möten")
    )
    expect(event, Kind.CLOSED, State.FOLLOWED_UP, State.CLOSED)
    case = fresh(case)
    assert case.state == State.CLOSED and case.closed_at == event.at
    assert case.outcome == "Ni får sällskap på möten" and case.next_due_at is None
    assert case.police_reference == "5000-K123456-26"
    related = Q(case=case) | Q(measure__case=case)
    assert not Reminder.objects.filter(related, cancelled_at=None, claimed_at=None).exists()

    refused(case, lambda: services.reopen(case, by=forste, reason="   "), text="reopened")
    event = one_new_event(
        case, lambda: services.reopen(case, by=forste, reason="Nytt hot i helgen")
    )
    expect(event, Kind.REOPENED, State.CLOSED, State.ACKNOWLEDGED)
    assert event.note == "Nytt hot i helgen"
    case = fresh(case)
    assert case.state == State.ACKNOWLEDGED and case.closed_at is None

    # The employee follows the status steps and the measure concerning them, nothing else.
    view = selectors.employee_view(case)
    assert [step.kind for step in view["steps"]] == [
        Kind.OPENED,
        Kind.ACKNOWLEDGED,
        Kind.INVESTIGATED,
        Kind.MEASURE_ADDED,
        Kind.MEASURES_DECIDED,
        Kind.MEASURE_CHANGED,
        Kind.FOLLOWED_UP,
        Kind.POLICE,
        Kind.CLOSED,
        Kind.REOPENED,
    ]
    assert list(view["measures"]) == [measure]


@pytest.mark.django_db
def test_deciding_that_no_measures_are_needed_records_why(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.INVESTIGATED, by=forste)
    services.decide_measures(case, by=forste, no_measures_reason="  Engångshändelse  ")
    case = fresh(case)
    assert case.state == State.MEASURES_DECIDED
    assert case.no_measures_reason == "Engångshändelse"
    kinds = list(case.events.order_by("pk").values_list("kind", "note"))[-2:]
    assert kinds == [(Kind.MEASURES_DECIDED, ""), (Kind.NO_MEASURES, "Engångshändelse")]


@pytest.mark.django_db
def test_moving_a_measures_due_date_moves_its_reminder(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.ACKNOWLEDGED, by=forste)
    today = timezone.localdate()
    measure = services.add_measure(case, by=forste, data=measure_data(forste, today))
    [old] = Reminder.objects.filter(measure=measure)
    later = today + timedelta(days=14)
    services.update_measure(
        measure, by=forste, data={"due_on": later, "status": Measure.Status.IN_PROGRESS}
    )
    old.refresh_from_db()
    assert old.cancelled_at is not None
    [new] = Reminder.objects.filter(measure=measure, cancelled_at=None)
    assert new.due_at == evening(later) == fresh(case).next_due_at
    refused(
        case,
        lambda: services.update_measure(measure, by=forste, data={"owner": None}),
        field="owner",
    )


@pytest.mark.django_db
def test_the_timeline_says_the_actor_changed_but_not_what_they_are_called(cast):
    forste = cast["forste"]
    case = open_case(cast)
    event = one_new_event(
        case,
        lambda: services.save_actor(
            case,
            by=forste,
            data={"name": "Kalle Klient", "threat_wording": "Jag vet var du bor"},
        ),
    )
    assert (event.kind, event.actor, event.note, event.for_employee) == (
        Kind.ACTOR,
        forste,
        "",
        False,
    )
    assert case.actor.name == "Kalle Klient"
    refused(case, lambda: services.comment(case, by=forste, text="  "), field="text")
    event = one_new_event(case, lambda: services.comment(case, by=forste, text="Ringer i morgon"))
    assert (event.kind, event.note, event.for_employee) == (Kind.COMMENT, "Ringer i morgon", False)


# 3. Refused steps -------------------------------------------------------------------------


@pytest.mark.django_db
def test_steps_out_of_order_are_refused_and_change_nothing(cast):
    forste = cast["forste"]
    case = open_case(cast)
    for call in (
        lambda: services.close(case, by=forste),
        lambda: services.finish_investigation(case, by=forste),
        lambda: services.decide_measures(case, by=forste, no_measures_reason="x"),
        lambda: services.follow_up(case, by=forste, note="x"),
    ):
        assert refused(case, call).code == "invalid_transition"
    services.acknowledge(case, by=forste)
    for call in (
        lambda: services.acknowledge(case, by=forste),
        lambda: services.reopen(case, by=forste, reason="x"),
        lambda: services.close(case, by=forste),
        lambda: services.decide_measures(case, by=forste, no_measures_reason="x"),
    ):
        assert refused(case, call).code == "invalid_transition"
    refused(case, lambda: services.follow_up(case, by=forste, note="   "), text="followed up")


@pytest.mark.django_db
def test_acknowledging_a_closed_case_does_not_reopen_it(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.FOLLOWED_UP, by=forste)
    police_no_report(case, forste)
    services.close(case, by=forste)
    refused(case, lambda: services.acknowledge(case, by=forste))


@pytest.mark.django_db
def test_a_case_that_was_never_closed_cannot_be_reopened(cast):
    case = open_case(cast)
    refused(case, lambda: services.reopen(case, by=cast["forste"], reason="Fel knapp"))


@pytest.mark.django_db
def test_the_investigation_cannot_finish_without_what_happened_and_the_risk(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.ACKNOWLEDGED, by=forste)
    assert refused(case, lambda: services.finish_investigation(case, by=forste)).code == (
        "investigation_incomplete"
    )
    services.save_investigation(case, by=forste, data={"what_happened": "Hot"})
    refused(case, lambda: services.finish_investigation(case, by=forste))
    services.save_investigation(case, by=forste, data={"recurrence_risk": "low"})
    services.finish_investigation(case, by=forste)
    assert fresh(case).state == State.INVESTIGATED


@pytest.mark.django_db
def test_measures_must_be_decided_or_declined_with_a_reason(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.INVESTIGATED, by=forste)
    assert refused(case, lambda: services.decide_measures(case, by=forste)).code == "no_measures"
    refused(case, lambda: services.decide_measures(case, by=forste, no_measures_reason="  "))
    measure = services.add_measure(case, by=forste, data=measure_data(forste, timezone.localdate()))
    services.update_measure(measure, by=forste, data={"status": Measure.Status.CANCELLED})
    # A cancelled measure is no measure.
    refused(case, lambda: services.decide_measures(case, by=forste))
    refused(
        case,
        lambda: services.add_measure(
            case, by=forste, data=measure_data(None, timezone.localdate())
        ),
        field="owner",
    )


@pytest.mark.django_db
def test_a_case_cannot_close_while_a_measure_is_open(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.FOLLOWED_UP, by=forste)
    police_no_report(case, forste)
    measure = services.add_measure(case, by=forste, data=measure_data(forste, timezone.localdate()))
    refused(case, lambda: services.close(case, by=forste), text="Every measure")
    services.update_measure(measure, by=forste, data={"status": Measure.Status.IN_PROGRESS})
    refused(case, lambda: services.close(case, by=forste), text="Every measure")
    services.update_measure(measure, by=forste, data={"status": Measure.Status.DONE})
    services.close(case, by=forste)
    assert fresh(case).state == State.CLOSED


@pytest.mark.django_db
def test_a_case_cannot_close_without_a_police_decision(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.FOLLOWED_UP, by=forste)
    error = refused(case, lambda: services.close(case, by=forste), text="police report")
    assert len(error.messages) == 1
    police_no_report(case, forste)
    services.close(case, by=forste)
    assert fresh(case).state == State.CLOSED


@pytest.mark.django_db
def test_a_case_cannot_close_while_the_notice_to_arbetsmiljoverket_is_pending(cast):
    forste = cast["forste"]
    case = advance(open_case(cast, main_form="violence"), State.FOLLOWED_UP, by=forste)
    police_no_report(case, forste)
    refused(case, lambda: services.close(case, by=forste), text="Arbetsmiljöverket")
    services.record_not_serious(case, by=forste, reason="Ett lätt knuff, ingen skada")
    services.close(case, by=forste)
    assert fresh(case).state == State.CLOSED


@pytest.mark.django_db
def test_a_case_cannot_close_with_an_unanswered_safety_request(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.FOLLOWED_UP, by=forste)
    police_no_report(case, forste)
    request = services.request_measures(
        by=cast["skyddsombud"], unit=case.unit, case=case, demand="Larm i receptionen"
    )
    refused(case, lambda: services.close(case, by=forste), text="safety representative's request")
    services.answer_request(
        request, by=forste, decision=SafetyRequest.Decision.ACCEPTED, answer="Larm beställt"
    )
    services.close(case, by=forste)
    assert fresh(case).state == State.CLOSED


@pytest.mark.django_db
def test_a_closed_case_takes_no_more_work_until_reopened(cast):
    forste = cast["forste"]
    case = advance(open_case(cast), State.FOLLOWED_UP, by=forste)
    police_no_report(case, forste)
    services.close(case, by=forste)
    today = timezone.localdate()
    for call in (
        lambda: services.add_measure(case, by=forste, data=measure_data(forste, today)),
        lambda: services.save_investigation(case, by=forste, data={"what_happened": "x"}),
        lambda: services.offer_support(case, by=forste, kind="defusing", offered_on=today),
        lambda: services.flag_serious(case, by=forste, reasons=["shock"]),
    ):
        assert refused(case, call).code == "closed"


# 4. Police, notice, insurance, support, people, requests ----------------------------------


@pytest.mark.django_db
def test_police_decision_rules(cast):
    forste = cast["forste"]
    case = open_case(cast)
    today = timezone.localdate()

    def record(**data):
        return lambda: services.record_police(case, by=forste, data=data)

    refused(case, record(police_decision="no_report"), field="police_no_report_reason")
    refused(
        case,
        record(police_decision="no_report", police_no_report_reason="   "),
        field="police_no_report_reason",
    )
    refused(
        case,
        record(police_decision="employer_files", police_filed_on=today + timedelta(days=1)),
        field="police_filed_on",
    )
    refused(
        case,
        record(police_decision="employer_files", police_reference="5000-K1-26"),
        field="police_filed_on",
    )
    refused(
        case,
        record(police_decision="no_report", police_no_report_reason="x", police_filed_on=today),
        field="police_decision",
    )

    record(police_decision="no_report", police_no_report_reason="Den anställda avstår")()
    case = fresh(case)
    assert case.police_decision == "no_report"
    assert case.police_no_report_reason == "Den anställda avstår"
    record(
        police_decision="employee_with_help",
        police_filed_on=today,
        police_reference="5000-K2-26",
    )()
    case = fresh(case)
    assert case.police_decision == "employee_with_help" and case.police_filed_on == today
    assert case.police_no_report_reason == ""  # a reason for no report is dropped
    assert list(case.events.filter(kind=Kind.POLICE).values_list("actor", flat=True)) == [
        forste.pk,
        forste.pk,
    ]


@pytest.mark.django_db
def test_a_filed_police_report_cannot_later_become_no_report(cast):
    forste = cast["forste"]
    case = open_case(cast)
    services.record_police(
        case,
        by=forste,
        data={
            "police_decision": "employer_files",
            "police_filed_on": timezone.localdate(),
            "police_reference": "5000-K3-26",
        },
    )
    refused(
        case,
        lambda: services.record_police(
            case,
            by=forste,
            data={"police_decision": "no_report", "police_no_report_reason": "Ångrade sig"},
        ),
    )


@pytest.mark.django_db
def test_recording_the_notice_stops_its_reminder(cast):
    forste = cast["forste"]
    # The event the day before: just after midnight, ten minutes ago is yesterday.
    yesterday = timezone.localdate() - timedelta(days=1)
    case = open_case(cast, main_form="violence", occurred_on=yesterday)
    now = timezone.now()
    refused(
        case,
        lambda: services.record_notice(case, by=forste, sent_at=now + timedelta(hours=1)),
        field="sent_at",
    )
    event = one_new_event(
        case,
        lambda: services.record_notice(
            case, by=forste, sent_at=now - timedelta(minutes=10), reference=" AV 2026/4711 "
        ),
    )
    assert (event.kind, event.actor, event.note) == (Kind.NOTICE_SENT, forste, "AV 2026/4711")
    case = fresh(case)
    assert case.notice_sent_at == now - timedelta(minutes=10) and case.notice_sent_by == forste
    assert case.notice_reference == "AV 2026/4711" and not case.notice_pending
    assert Reminder.objects.get(case=case, kind=Reminder.Kind.NOTICE).cancelled_at is not None
    assert case.next_due_at == case.acknowledge_due_at
    refused(case, lambda: services.record_not_serious(case, by=forste, reason="x"))


@pytest.mark.django_db
def test_assessing_an_event_as_not_serious_stops_the_notice_reminder(cast):
    forste = cast["forste"]
    case = open_case(cast, main_form="threat", subforms=["threat.direct"])
    refused(case, lambda: services.record_not_serious(case, by=forste, reason="  "), field="reason")
    event = one_new_event(
        case,
        lambda: services.record_not_serious(case, by=forste, reason="Skämtsamt, ingen avsikt"),
    )
    assert (event.kind, event.note) == (Kind.NOT_SERIOUS, "Skämtsamt, ingen avsikt")
    case = fresh(case)
    assert not case.notice_pending and case.next_due_at == case.acknowledge_due_at
    assert Reminder.objects.get(case=case, kind=Reminder.Kind.NOTICE).cancelled_at is not None


@pytest.mark.django_db
def test_a_notice_needs_an_event_marked_serious_and_the_handler_can_mark_one(cast, clock):
    forste = cast["forste"]
    clock(local(2026, 3, 11, 15, 0))
    case = open_case(cast)
    refused(case, lambda: services.record_notice(case, by=forste, sent_at=timezone.now()))
    refused(case, lambda: services.flag_serious(case, by=forste, reasons=[]))
    event = one_new_event(
        case, lambda: services.flag_serious(case, by=forste, reasons=["shock", "several_injured"])
    )
    assert event.kind == Kind.SERIOUS_FLAGGED
    case = fresh(case)
    assert case.serious_reasons == ["shock", "several_injured"] and case.notice_pending
    assert case.notice_due_at == evening(date(2026, 3, 11)) == case.next_due_at
    notice = Reminder.objects.get(case=case, kind=Reminder.Kind.NOTICE)
    assert notice.due_at == local(2026, 3, 11, 17, 0)
    refused(case, lambda: services.flag_serious(case, by=forste, reasons=["shock"]))


@pytest.mark.django_db
def test_a_serious_threat_goes_to_security_as_well(cast):
    """A threat to life at once, a weapon when the handler marks it: the nearest security
    coordinator is assigned, told, and can open the case; the line keeps handling it."""
    threat = open_case(cast, main_form="threat", subforms=["threat.direct"])
    sakerhet = cast["sakerhet"]
    assert list(threat.assignments.values_list("user__username", "role")) == [
        ("sakerhet", "security")
    ]
    assert capacity(sakerhet, threat) == Capacity.SECURITY
    assert visible_cases(sakerhet).filter(pk=threat.pk).exists()
    assert capacity(cast["forste"], threat) == Capacity.MANAGER
    told = Notification.objects.get(recipient=sakerhet, report=threat.report)
    assert told.kind == Notification.Kind.ASSIGNED

    plain = open_case(cast, main_form="harassment")
    assert capacity(sakerhet, plain) is None
    services.flag_serious(plain, by=cast["forste"], reasons=["weapon"])
    assert capacity(sakerhet, fresh(plain)) == Capacity.SECURITY


@pytest.mark.django_db
def test_insurance_dates_cannot_be_in_the_future(cast):
    forste = cast["forste"]
    case = open_case(cast, main_form="violence", consequences=["injury"])
    assert case.injury
    today = timezone.localdate()
    refused(
        case,
        lambda: services.record_insurance(
            case, by=forste, injury_report_on=today + timedelta(days=1), afa_informed_on=None
        ),
        field="injury_report_on",
    )
    refused(
        case,
        lambda: services.record_insurance(
            case, by=forste, injury_report_on=today, afa_informed_on=today + timedelta(days=2)
        ),
        field="afa_informed_on",
    )
    event = one_new_event(
        case,
        lambda: services.record_insurance(
            case,
            by=forste,
            injury_report_on=today,
            afa_informed_on=today - timedelta(days=1),
        ),
    )
    assert (event.kind, event.actor) == (Kind.INSURANCE, forste)
    case = fresh(case)
    assert (case.injury_report_on, case.afa_informed_on) == (today, today - timedelta(days=1))


@pytest.mark.django_db
def test_given_support_gets_a_reminded_follow_up_contact(cast, quiet, settings):
    settings.VARNA_SUPPORT_FOLLOW_UP_DAYS = 7
    forste = cast["forste"]
    case = open_case(cast)
    today = timezone.localdate()
    support = services.offer_support(
        case, by=forste, kind=Support.Kind.DEFUSING, offered_on=today - timedelta(days=3)
    )
    assert support.status == Support.Status.OFFERED and support.follow_up_due_on is None
    refused(
        case,
        lambda: services.update_support(
            support, by=forste, status="given", given_on=today + timedelta(days=1)
        ),
        field="given_on",
    )
    refused(
        case,
        lambda: services.update_support(
            support, by=forste, status="given", given_on=today - timedelta(days=4)
        ),
        field="given_on",
    )
    given_on = today - timedelta(days=2)
    event = one_new_event(
        case,
        lambda: services.update_support(support, by=forste, status="given", given_on=given_on),
    )
    assert (event.kind, event.actor) == (Kind.SUPPORT, forste)
    support.refresh_from_db()
    assert support.given_on == given_on
    assert support.follow_up_due_on == given_on + timedelta(days=7)
    [reminder] = Reminder.objects.filter(support=support)
    assert reminder.kind == Reminder.Kind.SUPPORT_FOLLOW_UP
    assert reminder.due_at == rules.start_of_day(support.follow_up_due_on)
    assert fresh(case).next_due_at == min(
        case.acknowledge_due_at, evening(support.follow_up_due_on)
    )

    # Its day comes: the handler is reminded, and tomorrow the manager above.
    services.acknowledge(case, by=forste)
    reminders.run(reminder.due_at)
    assert notes(case) == [("forste", "reminder", "support_follow_up")]
    level1 = Reminder.objects.get(support=support, level=1)
    assert level1.cancelled_at is None

    services.update_support(
        support, by=forste, status="given", given_on=given_on, followed_up_on=today
    )
    support.refresh_from_db()
    level1.refresh_from_db()
    assert support.followed_up_on == today and level1.cancelled_at is not None
    assert fresh(case).next_due_at is None
    assert reminders.run(level1.due_at).claimed == 0
    assert len(notes(case)) == 1


@pytest.mark.django_db
def test_recording_the_follow_up_keeps_the_date_support_was_given(cast):
    forste = cast["forste"]
    case = open_case(cast)
    today = timezone.localdate()
    support = services.offer_support(
        case, by=forste, kind=Support.Kind.MANAGER_TALK, offered_on=today - timedelta(days=12)
    )
    services.update_support(support, by=forste, status="given", given_on=today - timedelta(days=11))
    services.update_support(support, by=forste, status="given", followed_up_on=today)
    support.refresh_from_db()
    assert support.given_on == today - timedelta(days=11)


@pytest.mark.django_db
def test_only_security_or_investigators_covering_the_unit_can_be_assigned(cast):
    forste = cast["forste"]
    case = open_case(cast)
    other_branch = open_case(cast, by="skyddsombud.ifo", unit="DEMO-BOU")
    for username in ("forste", "hr", "skyddsombud", "analytiker", "medarbetare"):
        refused(
            case, lambda u=username: services.assign(case, by=forste, user=cast[u]), field="user"
        )
    # The investigator's grant is on Arbetslivsförvaltningen only.
    refused(
        other_branch,
        lambda: services.assign(other_branch, by=cast["chef.bou"], user=cast["utredare"]),
        field="user",
    )
    event = one_new_event(case, lambda: services.assign(case, by=forste, user=cast["utredare"]))
    assert (event.kind, event.actor) == (Kind.ASSIGNED, forste)
    assert "Fatima Ali" in event.note
    services.assign(case, by=forste, user=cast["sakerhet"])
    assert set(Assignment.objects.filter(case=case).values_list("user__username", "role")) == {
        ("utredare", Role.INVESTIGATOR),
        ("sakerhet", Role.SECURITY),
    }
    # Assigning again keeps one assignment.
    services.assign(case, by=forste, user=cast["utredare"])
    assert Assignment.objects.filter(case=case, user=cast["utredare"]).count() == 1


@pytest.mark.django_db
def test_only_managers_covering_the_unit_can_handle_the_case(cast):
    forste = cast["forste"]
    case = open_case(cast)
    for username in ("chef.mottagning", "skyddsombud", "hr", "sakerhet", "chef.grannby"):
        refused(
            case,
            lambda u=username: services.set_handler(case, by=forste, user=cast[u]),
            field="user",
        )
    event = one_new_event(
        case, lambda: services.set_handler(case, by=forste, user=cast["enhetschef"])
    )
    assert (event.kind, event.actor, event.note) == (Kind.HANDLER, forste, "Karin Holm")
    assert fresh(case).handler == cast["enhetschef"]
    services.set_handler(case, by=forste, user=cast["forvaltningschef"])
    assert fresh(case).handler == cast["forvaltningschef"]


@pytest.mark.django_db
def test_a_case_sent_to_security_cannot_be_handed_to_the_line_manager(cast):
    case = open_case(cast, main_form="corruption", route_to_security=True)
    assert capacity(cast["forste"], case) is None
    refused(
        case,
        lambda: services.set_handler(case, by=cast["sakerhet"], user=cast["forste"]),
        field="user",
    )


@pytest.mark.django_db
def test_an_unconfirmed_safety_request_is_overdue_at_once_until_answered(cast):
    forste, rep = cast["forste"], cast["skyddsombud"]
    case = advance(open_case(cast), State.ACKNOWLEDGED, by=forste)
    assert fresh(case).next_due_at is None
    refused(
        case,
        lambda: services.request_measures(by=rep, unit=case.unit, case=case, demand="  "),
        field="demand",
    )
    refused(
        case,
        lambda: services.request_measures(
            by=cast["medarbetare"], unit=case.unit, case=case, demand="Larm"
        ),
        field="unit",
    )
    tasks_before = DBTaskResult.objects.filter(
        task_path=send_notification_email.module_path
    ).count()
    overdue_before = selectors.counts(forste)["overdue"]
    request = services.request_measures(
        by=rep, unit=case.unit, case=case, demand="Överfallslarm i besöksrummen"
    )
    now = timezone.now()
    case = fresh(case)
    assert case.next_due_at == request.created_at <= now
    assert case in selectors.inbox(forste, selectors.InboxFilter(view="overdue"), now=now)
    assert selectors.counts(forste, now=now)["overdue"] == overdue_before + 1
    event = case.events.order_by("pk").last()
    assert (event.kind, event.actor, event.note) == (
        Kind.REQUEST,
        rep,
        f"{request.get_kind_display()}: Överfallslarm i besöksrummen",
    )
    [reminder] = Reminder.objects.filter(request=request)
    # The managers are told at once; the reminder follows if it stays unanswered.
    assert reminder.kind == Reminder.Kind.SAFETY_REQUEST
    expected = request.created_at + timedelta(hours=services.REQUEST_REMINDER_HOURS)
    assert abs(reminder.due_at - expected) < timedelta(seconds=5)
    told = Notification.objects.filter(kind=Notification.Kind.SAFETY_REQUEST, report=case.report)
    assert list(told.values_list("recipient__username", flat=True)) == ["forste"]
    assert (
        DBTaskResult.objects.filter(task_path=send_notification_email.module_path).count()
        == tasks_before + 1
    )

    refused(
        case,
        lambda: services.answer_request(request, by=forste, decision="accepted", answer=" "),
        field="answer",
    )
    refused(
        case,
        lambda: services.answer_request(
            request, by=cast["chef.mottagning"], decision="accepted", answer="Ja"
        ),
    )
    refused(
        case,
        lambda: services.answer_request(request, by=rep, decision="accepted", answer="Ja"),
    )
    services.answer_request(
        request, by=forste, decision=SafetyRequest.Decision.PARTLY, answer="Larm i rum 1"
    )
    request.refresh_from_db()
    reminder.refresh_from_db()
    assert request.is_answered and request.answered_by == forste
    assert request.answered_on == timezone.localdate() and request.decision == "partly"
    assert reminder.cancelled_at is not None
    case = fresh(case)
    assert case.next_due_at is None
    assert case.events.order_by("pk").last().kind == Kind.REQUEST_ANSWERED
    assert case not in selectors.inbox(forste, selectors.InboxFilter(view="overdue"))
    refused(
        case,
        lambda: services.answer_request(request, by=forste, decision="accepted", answer="Igen"),
    )


@pytest.mark.django_db
def test_a_safety_request_about_the_unit_needs_no_case(cast):
    rep = cast["skyddsombud"]
    unit = cast.unit("DEMO-FSE2A")
    request = services.request_measures(by=rep, unit=unit, demand="Bemanna receptionen")
    assert request.case is None and request.unit == unit
    told = Notification.objects.filter(kind=Notification.Kind.SAFETY_REQUEST, report=None)
    assert set(
        told.filter(created_at__gte=request.created_at).values_list(
            "recipient__username", flat=True
        )
    ) == {"forste2"}
    services.answer_request(request, by=cast["chef2"], decision="rejected", answer="Nej, för att")
    request.refresh_from_db()
    assert request.is_answered and request.answered_by == cast["chef2"]


@pytest.mark.django_db
def test_a_safety_request_on_a_case_outside_the_representatives_units_is_refused(cast):
    case = open_case(cast, by="skyddsombud.ifo", unit="DEMO-MOT")
    refused(
        case,
        lambda: services.request_measures(
            by=cast["skyddsombud"], unit=cast.unit("DEMO-FSE1A"), case=case, demand="Larm"
        ),
    )


@pytest.mark.django_db
def test_a_safety_request_on_a_case_sent_to_security_is_refused(cast):
    """The safety representative cannot see such a case, and the line must not learn of it."""
    case = open_case(cast, main_form="corruption", route_to_security=True)
    with pytest.raises(ValidationError):
        services.request_measures(
            by=cast["skyddsombud"], unit=case.unit, case=case, demand="Hot mot handläggaren"
        )
    assert not SafetyRequest.objects.filter(case=case).exists()
    assert not Notification.objects.filter(
        kind=Notification.Kind.SAFETY_REQUEST, report=case.report
    ).exists()


# 5. Reminders and escalation --------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_is_reminded_before_the_deadline(cast, quiet):
    case = open_case(cast)
    result = reminders.run(case.acknowledge_due_at - timedelta(minutes=1))
    assert (result.claimed, result.notified) == (0, 0)
    assert notes(case) == []
    assert Reminder.objects.get(case=case).claimed_at is None


@pytest.mark.django_db
def test_an_unmet_deadline_reminds_the_handler_then_climbs_the_tree(cast, quiet):
    case = open_case(cast)
    due = case.acknowledge_due_at
    result = reminders.run(due)
    assert (result.claimed, result.notified, result.escalations) == (1, 1, 0)
    assert notes(case) == [("forste", "reminder", "acknowledge")]
    level0 = Reminder.objects.get(case=case, level=0)
    assert level0.claimed_at == due and level0.claimed_by
    # Running again at the same moment sends nothing more.
    assert reminders.run(due).claimed == 0

    moment = due
    for level, manager in enumerate(["enhetschef", "avdelningschef", "forvaltningschef"], 1):
        row = Reminder.objects.get(case=case, level=level)
        # Early on the next working day, so that its digest carries the escalation.
        next_day = rules.add_working_days(moment, 1).date()
        assert row.due_at == rules.start_of_day(next_day) == rules.escalation_due(moment)
        assert reminders.run(row.due_at - timedelta(minutes=1)).claimed == 0
        moment = row.due_at
        before = len(notes(case))
        result = reminders.run(moment)
        assert (result.notified, result.escalations) == (1, 1)
        assert notes(case)[before:] == [(manager, "escalation", "acknowledge")]

    # Nobody above the förvaltningschef manages this branch: the chain ends.
    top = Reminder.objects.get(case=case, level=4)
    result = reminders.run(top.due_at)
    assert (result.claimed, result.notified) == (1, 0)
    assert not Reminder.objects.filter(case=case, level=5).exists()
    assert len(notes(case)) == 4


@pytest.mark.django_db
def test_escalation_starts_above_a_handler_higher_up(cast, quiet):
    case = open_case(cast)
    services.set_handler(case, by=cast["forste"], user=cast["enhetschef"])
    reminders.run(case.acknowledge_due_at)
    level1 = Reminder.objects.get(case=case, level=1)
    reminders.run(level1.due_at)
    assert notes(case) == [
        ("enhetschef", "reminder", "acknowledge"),
        ("avdelningschef", "escalation", "acknowledge"),
    ]


@pytest.mark.django_db
def test_a_case_sent_to_security_is_reminded_to_security_only(cast, quiet):
    case = open_case(cast, main_form="corruption", route_to_security=True)
    reminders.run(case.acknowledge_due_at)
    level1 = Reminder.objects.get(case=case, level=1)
    result = reminders.run(level1.due_at)
    # Security sits on the root: there is nobody to escalate to, and never the line.
    assert result.notified == 0
    assert notes(case) == [("sakerhet", "reminder", "acknowledge")]


@pytest.mark.django_db
def test_acknowledging_cancels_the_pending_escalation(cast, quiet):
    forste = cast["forste"]
    case = open_case(cast)
    reminders.run(case.acknowledge_due_at)
    level1 = Reminder.objects.get(case=case, level=1)
    acknowledged = case.acknowledge_due_at + timedelta(hours=8)
    services.acknowledge(case, by=forste, now=acknowledged)
    level1.refresh_from_db()
    assert level1.cancelled_at == acknowledged
    assert reminders.run(level1.due_at + timedelta(days=3)).claimed == 0
    assert notes(case) == [("forste", "reminder", "acknowledge")]


@pytest.mark.django_db
def test_a_stale_row_whose_deadline_was_met_sends_nothing(cast, quiet):
    forste = cast["forste"]
    case = open_case(cast)
    services.acknowledge(case, by=forste)
    # A row left pending although its deadline is met (e.g. written before the fix of a bug).
    stale = Reminder.objects.create(
        kind=Reminder.Kind.ACKNOWLEDGE, case=case, level=1, due_at=case.acknowledge_due_at
    )
    measure = services.add_measure(case, by=forste, data=measure_data(forste, timezone.localdate()))
    Measure.objects.filter(pk=measure.pk).update(status=Measure.Status.DONE)
    now = evening(timezone.localdate()) + timedelta(days=5)
    result = reminders.run(now)
    assert (result.claimed, result.notified, result.escalations) == (2, 0, 0)
    stale.refresh_from_db()
    assert stale.cancelled_at == now
    assert Reminder.objects.get(measure=measure).cancelled_at == now
    assert notes(case) == []
    assert Reminder.objects.filter(Q(case=case) | Q(measure=measure)).count() == 3


@pytest.mark.django_db
def test_an_overdue_measure_reminds_its_owner(cast, quiet):
    forste = cast["forste"]
    case = advance(open_case(cast), State.ACKNOWLEDGED, by=forste)
    measure = services.add_measure(
        case, by=forste, data=measure_data(cast["enhetschef"], timezone.localdate())
    )
    reminders.run(evening(measure.due_on))
    assert notes(case) == [("enhetschef", "reminder", "measure")]
    level1 = Reminder.objects.get(measure=measure, level=1)
    reminders.run(level1.due_at)
    # The owner is the enhetschef: the next level up is the avdelningschef.
    assert notes(case)[1:] == [("avdelningschef", "escalation", "measure")]


@pytest.mark.django_db
def test_an_employees_overdue_measure_first_goes_to_the_nearest_manager(cast, quiet):
    forste = cast["forste"]
    case = advance(open_case(cast), State.ACKNOWLEDGED, by=forste)
    measure = services.add_measure(
        case, by=forste, data=measure_data(cast["medarbetare"], timezone.localdate())
    )
    reminders.run(evening(measure.due_on))
    reminders.run(Reminder.objects.get(measure=measure, level=1).due_at)
    assert notes(case) == [
        ("medarbetare", "reminder", "measure"),
        ("forste", "escalation", "measure"),
    ]


@pytest.mark.django_db
def test_several_due_items_make_one_digest_email_without_details(cast, quiet):
    first = open_case(cast)
    second = open_case(cast, main_form="harassment")
    third = open_case(cast, by="skyddsombud", unit="DEMO-FSE2A")  # handled by forste2
    assert third.handler == cast["forste2"]
    now = max(case.acknowledge_due_at for case in (first, second, third))
    single = DBTaskResult.objects.filter(task_path=send_notification_email.module_path)
    single_before = single.count()  # the new-report e-mails
    result = reminders.run(now, worker="digest-worker")
    forste = cast["forste"]
    by_person = dict(result.digests)
    assert set(by_person) == {forste.pk, cast["forste2"].pk}
    assert len(by_person[forste.pk]) == 2
    # Reminders go in the digest, not in one e-mail each.
    assert single.count() == single_before
    digests = DBTaskResult.objects.filter(task_path=send_digest_email.module_path)
    assert digests.count() == 2
    [mine] = [row for row in digests if row.args_kwargs["args"][0] == forste.pk]
    assert sorted(mine.args_kwargs["args"][1]) == sorted(by_person[forste.pk])

    assert run_tasks(send_digest_email) == 2
    [message] = [m for m in mail.outbox if m.to == [forste.email]]
    assert first.report.number in message.body and second.report.number in message.body
    assert third.report.number not in message.body
    assert SECRET not in message.body and "vet var Sara bor" not in message.body
    assert SECRET not in message.subject and "2" in message.subject
    assert "/notiser/" in message.body
    sent = Notification.objects.filter(pk__in=by_person[forste.pk])
    assert set(sent.values_list("email_status", "in_digest")) == {("sent", True)}
    # Running the queue again sends nothing twice.
    assert run_tasks(send_digest_email) == 0
    assert len([m for m in mail.outbox if m.to == [forste.email]]) == 1


@pytest.mark.django_db
def test_a_digest_to_someone_without_an_address_is_marked_failed(cast, quiet):
    case = open_case(cast)
    User.objects.filter(username="forste").update(email="")
    result = reminders.run(case.acknowledge_due_at)
    [(person, ids)] = result.digests
    assert person == cast["forste"].pk
    run_tasks(send_digest_email)
    assert mail.outbox == []
    assert set(
        Notification.objects.filter(pk__in=ids).values_list("email_status", "email_error")
    ) == {("failed", "no e-mail address")}


@pytest.mark.django_db
def test_the_hourly_run_schedules_the_next_one(cast, quiet):
    from django.core.management import call_command

    from varna.cases.tasks import run_reminders

    call_command("schedule_reminders", stdout=None)
    call_command("schedule_reminders", stdout=None)
    chain = DBTaskResult.objects.filter(task_path=run_reminders.module_path)
    started = chain.get()  # started once, however often the server starts
    before = timezone.now()
    assert run_reminders.call() == "claimed 0, notified 0"
    later = chain.exclude(pk=started.pk).get()
    assert before + timedelta(minutes=59) < later.run_after <= timezone.now() + timedelta(hours=1)


@pytest.mark.django_db
def test_the_digest_day_is_claimed_once(db, settings):
    settings.VARNA_DIGEST_HOUR = 7
    assert not reminders.claim_digest_day(local(2031, 3, 11, 6, 59), "a")
    assert reminders.claim_digest_day(local(2031, 3, 11, 7, 0), "a")
    assert not reminders.claim_digest_day(local(2031, 3, 11, 7, 0), "b")
    assert not reminders.claim_digest_day(local(2031, 3, 11, 18, 0), "a")
    assert DigestRun.objects.get(day=date(2031, 3, 11)).worker == "a"
    assert reminders.claim_digest_day(local(2031, 3, 12, 7, 30), "b")


@pytest.mark.django_db
def test_urgent_reminders_go_out_at_once_and_the_rest_with_the_morning_digest(
    cast, quiet, settings
):
    settings.VARNA_DIGEST_HOUR = 7
    case = open_case(cast, main_form="violence")  # a notice due today and contact tomorrow
    DBTaskResult.objects.all().delete()  # the new-report e-mails
    day_after = timezone.localdate(case.acknowledge_due_at) + timedelta(days=1)
    at = lambda hour: timezone.make_aware(datetime.combine(day_after, time(hour, 0)))  # noqa: E731

    early = reminders.tick(at(6))
    assert early.digests == []
    assert notes(case) == [("forste", "reminder", "notice")]
    assert not Notification.objects.get(report=case.report, topic="notice").in_digest
    assert Reminder.objects.get(case=case, kind="acknowledge", level=0).claimed_at is None
    assert run_tasks(send_notification_email) >= 1
    urgent = [m for m in mail.outbox if m.to == [cast["forste"].email]]
    assert len(urgent) == 1 and SECRET not in urgent[0].body

    morning = reminders.tick(at(7))
    persons = [person for person, _ids in morning.digests]
    assert len(persons) == len(set(persons)) and cast["forste"].pk in persons
    # The day's reminders of the other apps (the demo's training and its overdue audit
    # measure) ride in the same digests.
    others = [pk for person, ids in morning.digests if person != cast["forste"].pk for pk in ids]
    assert set(Notification.objects.filter(pk__in=others).values_list("topic", flat=True)) <= {
        Notification.Topic.TRAINING,
        Notification.Topic.AUDIT_MEASURE,
    }
    assert notes(case)[1:] == [("forste", "reminder", "acknowledge")]

    later = reminders.tick(at(9))  # the day's digest is taken: only urgent kinds
    assert later.digests == []
    claimed = Reminder.objects.filter(case=case, claimed_at=at(9))
    # The unmet notice climbs within hours; the acknowledgement waits for tomorrow's digest.
    assert {(row.kind, row.level) for row in claimed} == {("notice", 1)}


# 6. Two workers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_workers_racing_for_the_same_rows_send_each_reminder_once(cast, quiet, monkeypatch):
    cases = [open_case(cast), open_case(cast, main_form="harassment")]
    now = max(case.acknowledge_due_at for case in cases)
    rows = set(Reminder.objects.filter(case__in=cases).values_list("pk", flat=True))

    # Both workers look before either claims: they see the same rows.
    seen_by_a = reminders.due_ids(now, urgent_only=False)
    seen_by_b = reminders.due_ids(now, urgent_only=False)
    assert seen_by_a == seen_by_b and set(seen_by_a) == rows
    assert set(reminders.claim(seen_by_a, worker="A", now=now)) == rows
    assert reminders.claim(seen_by_b, worker="B", now=now) == []
    assert set(Reminder.objects.filter(pk__in=rows).values_list("claimed_by", flat=True)) == {"A"}

    # The same interleaving through whole runs: each worker uses the list it saw first.
    Reminder.objects.filter(pk__in=rows).update(claimed_at=None, claimed_by="")
    stale = reminders.due_ids(now, urgent_only=False)
    monkeypatch.setattr(reminders, "due_ids", lambda now, urgent_only: list(stale))
    first = reminders.run(now, worker="A")
    second = reminders.run(now, worker="B")
    assert (first.claimed, first.notified) == (2, 2)
    assert (second.claimed, second.notified, second.digests) == (0, 0, [])
    for case in cases:
        assert notes(case) == [("forste", "reminder", "acknowledge")]
        assert Reminder.objects.filter(case=case, level=1).count() == 1


@pytest.mark.django_db
def test_a_run_that_fails_midway_leaves_its_rows_for_the_next_run(cast, quiet, monkeypatch):
    case = open_case(cast)

    def broken(reminder):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reminders, "recipients", broken)
    with pytest.raises(RuntimeError):
        reminders.run(case.acknowledge_due_at)
    monkeypatch.undo()
    reminders.run(case.acknowledge_due_at + timedelta(hours=1))
    assert notes(case) == [("forste", "reminder", "acknowledge")]


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database is shared-cache: a second writer gets "
    "'database table is locked' at once (the busy timeout does not apply), so real threads "
    "cannot run there; the deterministic interleaving above covers SQLite.",
)
def test_two_threads_running_reminders_at_once_notify_each_row_once(
    django_db_setup, django_db_blocker, monkeypatch
):
    """Real concurrency needs committed rows that both threads' connections see. This test
    commits its own report and removes it afterwards, instead of `django_db(transaction=True)`,
    whose flush would empty the demo the whole session shares (reloading it would double the
    file's run time). Its rows are deleted again, and the demo's reminders are never touched."""
    with django_db_blocker.unblock():
        reporter = User.objects.get(username="medarbetare")
        unit = Unit.objects.get(code="DEMO-FSE1A")
        started = timezone.now()
        reports = [
            submit_report(
                reporter=reporter,
                data={
                    "main_form": "threat",
                    "occurred_on": timezone.localdate(),
                    "unit": unit,
                    "description": SECRET,
                },
                idempotency_key=uuid.uuid4(),
            )[0]
            for _ in range(3)
        ]
        try:
            pks = [report.pk for report in reports]
            mine = set(Reminder.objects.filter(case__in=pks).values_list("pk", flat=True))
            now = max(Case.objects.filter(pk__in=pks).values_list("acknowledge_due_at", flat=True))
            barrier = threading.Barrier(2, timeout=20)
            original = reminders.due_ids

            def due_ids(now, *, urgent_only):
                # Only this test's rows (the demo's stay untouched), and both threads have
                # looked before either claims.
                ids = [pk for pk in original(now, urgent_only=urgent_only) if pk in mine]
                barrier.wait()
                return ids

            monkeypatch.setattr(reminders, "due_ids", due_ids)
            results: dict[str, reminders.RunResult] = {}
            errors: list[BaseException] = []

            def work(name: str) -> None:
                try:
                    results[name] = reminders.run(now, worker=name)
                except BaseException as error:
                    errors.append(error)
                    barrier.abort()
                finally:
                    connection.close()

            threads = [threading.Thread(target=work, args=(name,)) for name in ("A", "B")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not errors, errors
            assert results["A"].claimed + results["B"].claimed == 3
            assert results["A"].notified + results["B"].notified == 3
            claimed = Reminder.objects.filter(pk__in=mine)
            assert set(claimed.values_list("claimed_by", flat=True)) <= {"A", "B"}
            assert not claimed.filter(claimed_at=None).exists()
            for report in reports:
                assert list(
                    Notification.objects.filter(
                        report=report, kind=Notification.Kind.REMINDER
                    ).values_list("recipient__username", flat=True)
                ) == ["forste"]
                assert Reminder.objects.filter(case=report.pk, level=1).count() == 1
        finally:
            Report.objects.filter(pk__in=[report.pk for report in reports]).delete()
            DBTaskResult.objects.filter(enqueued_at__gte=started).filter(
                task_path__in=[send_notification_email.module_path, send_digest_email.module_path]
            ).delete()


# 7. Access --------------------------------------------------------------------------------

M, S, SR, HR = Capacity.MANAGER, Capacity.SECURITY, Capacity.SAFETY_REP, Capacity.HR
# username: capacity on (a line threat, corruption sent to security, corruption kept in line)
CAPACITIES = {
    "forste": (M, None, M),
    "enhetschef": (M, None, M),
    "forvaltningschef": (M, None, M),
    "skyddsombud": (SR, None, SR),
    "hr": (HR, None, HR),
    "sakerhet": (None, S, S),
    "utredare": (None, None, None),  # only what is assigned to them
    "medarbetare": (None, None, None),  # the reporter follows the report page instead
    "analytiker": (None, None, None),
    "revisor": (None, None, None),
    "admin": (None, None, None),
    "chef.mottagning": (None, None, None),  # another branch
    "kommundirektor": (None, None, None),  # a manager, but not above Grupp 1A
    "skyddsombud.ifo": (None, None, None),
    "chef.grannby": (None, None, None),  # another municipality
    "admin.grannby": (None, None, None),
}


@pytest.mark.django_db
def test_capacity_per_role_and_visible_cases_agree(cast):
    cases = (
        open_case(cast),
        open_case(cast, main_form="corruption", route_to_security=True),
        open_case(cast, main_form="corruption"),
    )
    pks = [case.pk for case in cases]
    wrong = []
    for username, expected in CAPACITIES.items():
        user = cast[username]
        visible = set(visible_cases(user).filter(pk__in=pks).values_list("pk", flat=True))
        got = tuple(capacity(user, case) for case in cases)
        if got != expected:
            wrong.append((username, "capacity", got))
        if visible != {case.pk for case, role in zip(cases, expected, strict=True) if role}:
            wrong.append((username, "visible_cases", visible))
    assert wrong == []


@pytest.mark.django_db
def test_assignment_lets_security_and_investigators_in(cast):
    forste = cast["forste"]
    line = open_case(cast)
    routed = open_case(cast, main_form="corruption", route_to_security=True)
    services.assign(line, by=forste, user=cast["sakerhet"])
    services.assign(line, by=forste, user=cast["utredare"])
    services.assign(routed, by=cast["sakerhet"], user=cast["utredare"])
    expected = {
        ("sakerhet", line.pk): Capacity.SECURITY,
        ("utredare", line.pk): Capacity.INVESTIGATOR,
        ("utredare", routed.pk): Capacity.INVESTIGATOR,
        ("forste", line.pk): Capacity.MANAGER,  # the line manager still handles it
        ("forste", routed.pk): None,
        ("hr", routed.pk): None,
    }
    for (username, pk), role in expected.items():
        user = cast[username]
        case = Case.objects.get(pk=pk)
        assert capacity(user, case) == role, (username, pk)
        assert visible_cases(user).filter(pk=pk).exists() == (role is not None), (username, pk)
    # Nobody else's assignment counts.
    other = open_case(cast)
    assert capacity(cast["utredare"], other) is None
    assert not visible_cases(cast["utredare"]).filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_an_assignment_ends_with_the_investigators_role(cast):
    case = open_case(cast)
    utredare = cast["utredare"]
    services.assign(case, by=cast["forste"], user=utredare)
    RoleGrant.objects.filter(user=utredare, role=Role.INVESTIGATOR).delete()
    utredare = cast["utredare"]
    assert not visible_cases(utredare).filter(pk=case.pk).exists()
    assert capacity(utredare, case) is None


@pytest.mark.django_db
def test_safety_requests_are_seen_by_the_units_managers_and_representatives(cast):
    rep = cast["skyddsombud"]
    line = open_case(cast)
    on_unit = services.request_measures(by=rep, unit=cast.unit("DEMO-FSE1A"), demand="Larm")
    on_case = services.request_measures(by=rep, unit=line.unit, case=line, demand="Sällskap")
    elsewhere = services.request_measures(
        by=cast["skyddsombud.ifo"], unit=cast.unit("DEMO-MOT"), demand="Väktare"
    )
    mine = [on_unit, on_case, elsewhere]
    expected = {
        "forste": {on_unit, on_case},
        "enhetschef": {on_unit, on_case},
        "forvaltningschef": {on_unit, on_case},
        "skyddsombud": {on_unit, on_case},
        "skyddsombud.ifo": {elsewhere},
        "chef.mottagning": {elsewhere},
        "chef.ifo": {elsewhere},
        "chef2": set(),
        "hr": set(),
        "utredare": set(),
        "analytiker": set(),
        "admin": set(),
        "medarbetare": set(),
        "chef.grannby": set(),
    }
    for username, requests in expected.items():
        seen = set(visible_requests(cast[username]).filter(pk__in=[r.pk for r in mine]))
        assert seen == requests, username
