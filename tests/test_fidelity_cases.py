"""Issue 15 on case handling: the safety representative's request under AML 6 kap. 6 a §
(written receipt, investigation, the step to Arbetsmiljöverket), the work-injury report to
Försäkringskassan, the inbox's deadline order, refused workflow steps, and the completion
view's place among the layers."""

import ast
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from varna.cases import reminders, rules, selectors, services
from varna.cases.models import Case, CaseEvent, Reminder, SafetyRequest, State
from varna.cases.selectors import InboxFilter
from varna.reporting.models import Notification
from varna.reporting.services import submit_report

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind
SECRET = "Klienten sa att han vet var Sara bor"
DEMAND = "Larmknapp i besöksrummet och två handläggare vid avslagsbesked."


def swedish(msgid: str, **params: object) -> str:
    """The Swedish a page shows for `msgid` (the English until it is translated)."""
    with translation.override("sv"):
        text = translation.gettext(msgid)
    return text % params if params else text


def new_case(cast, **fields) -> Case:
    data = {
        "main_form": "harassment",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": SECRET,
        **fields,
    }
    report, _created = submit_report(
        reporter=cast["medarbetare"], data=data, idempotency_key=uuid.uuid4()
    )
    return Case.objects.select_related("report", "unit").get(report=report)


def snapshot(case: Case) -> tuple:
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        list(CaseEvent.objects.filter(case=case).values().order_by("pk")),
        list(Reminder.objects.filter(case=case).values().order_by("pk")),
        list(SafetyRequest.objects.filter(case=case).values().order_by("pk")),
    )


def followed_up(case: Case, by) -> Case:
    """Take a case to "followed up" with every other closing condition met."""
    services.acknowledge(case, by=by)
    services.save_investigation(
        case, by=by, data={"what_happened": "Hot i receptionen", "recurrence_risk": "low"}
    )
    services.finish_investigation(case, by=by)
    services.decide_measures(case, by=by, no_measures_reason="Rutinen följdes redan")
    services.follow_up(case, by=by, note="Medarbetaren mår bra")
    services.record_police(
        case, by=by, data={"police_decision": "no_report", "police_no_report_reason": "Inget"}
    )
    return Case.objects.get(pk=case.pk)


# Point 13: the inbox by deadline ----------------------------------------------------------


def test_the_inbox_by_deadline_shows_overdue_cases_first_and_cases_without_one_last(cast):
    forste = cast["forste"]
    # One case without any deadline (contacted, nothing else open) ...
    quiet = new_case(cast)
    services.acknowledge(quiet, by=forste)
    assert Case.objects.get(pk=quiet.pk).next_due_at is None
    # ... and one overdue: a request whose written receipt was due at once.
    waiting = new_case(cast)
    services.request_measures(by=cast["skyddsombud"], unit=waiting.unit, case=waiting, demand="x")
    now = timezone.now() + timedelta(minutes=1)

    order = list(
        selectors.inbox(forste, InboxFilter(sort="due"), now).values_list("next_due_at", flat=True)
    )
    dated = [due for due in order if due is not None]
    assert None in order and dated[0] < now
    assert order == [*sorted(dated), *[None] * (len(order) - len(dated))]

    response = cast.client("forste").get("/arenden/", {"sort": "due"})
    rows = response.context["rows"]
    assert rows[0].due and rows[0].overdue


# Point 22: a workflow step that is no longer possible -------------------------------------


def test_deciding_a_case_already_decided_says_so_and_changes_nothing(cast):
    forste = cast["forste"]
    case = new_case(cast)
    services.acknowledge(case, by=forste)
    services.save_investigation(
        case, by=forste, data={"what_happened": "Hot", "recurrence_risk": "low"}
    )
    services.finish_investigation(case, by=forste)
    services.decide_measures(case, by=forste, no_measures_reason="Inget behov")
    before = snapshot(case)

    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/decide/", {"no_measures_reason": "Igen"}, follow=True
    )
    assert response.status_code == 200
    assert swedish("That step cannot be taken now. The page shows why.") in (
        response.content.decode()
    )
    assert snapshot(case) == before
    assert Case.objects.get(pk=case.pk).state == State.MEASURES_DECIDED


# Point 6: the work-injury report to Försäkringskassan -------------------------------------


def test_an_injury_gives_the_work_injury_report_a_deadline_and_a_reminder(cast):
    case = new_case(cast, consequences=["sick_leave"])
    assert case.injury and not case.is_serious
    due = rules.injury_report_due(case.opened_at)
    assert case.injury_report_due_at == due
    assert case.next_due_at == min(due, case.acknowledge_due_at)
    reminder = Reminder.objects.get(case=case, kind=Reminder.Kind.INJURY_REPORT)
    assert reminder.due_at == due

    Reminder.objects.exclude(pk=reminder.pk).update(cancelled_at=timezone.now())
    reminders.run(due + timedelta(minutes=1))
    told = Notification.objects.filter(report=case.report, topic=Reminder.Kind.INJURY_REPORT)
    assert list(told.values_list("recipient", flat=True)) == [case.handler_id]

    # Recorded as made, it stops reminding and is no longer a deadline.
    services.record_insurance(
        case, by=cast["forste"], injury_report_on=timezone.localdate(), afa_informed_on=None
    )
    case = Case.objects.get(pk=case.pk)
    assert not case.injury_report_pending
    assert not Reminder.objects.filter(
        case=case, kind=Reminder.Kind.INJURY_REPORT, cancelled_at=None, claimed_at=None
    ).exists()
    assert case.next_due_at == case.acknowledge_due_at


def test_an_injury_recorded_later_starts_the_deadline(cast):
    case = new_case(cast)
    assert not case.injury and case.injury_report_due_at is None
    at = timezone.now()
    services.record_insurance(
        case, by=cast["forste"], injury_report_on=None, afa_informed_on=None, now=at
    )
    case = Case.objects.get(pk=case.pk)
    assert case.injury_report_pending
    assert case.injury_report_due_at == rules.injury_report_due(at)
    assert Reminder.objects.filter(case=case, kind=Reminder.Kind.INJURY_REPORT).count() == 1


def test_a_case_with_an_injury_closes_only_with_the_work_injury_report_recorded(cast):
    forste = cast["forste"]
    case = followed_up(new_case(cast, consequences=["sick_leave"]), forste)
    problem = swedish("Record the work-injury report to Försäkringskassan, or why none is needed.")
    assert problem in services.closing_problems(case)
    before = snapshot(case)
    response = cast.client("forste").post(f"/arenden/{case.code}/steg/close/", {"text": ""})
    assert problem in response.content.decode()
    assert snapshot(case) == before

    # A date and "not needed" at once is refused next to the field, and nothing changes.
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/insurance/",
        {"injury_report_on": timezone.localdate().isoformat(), "no_injury_report_reason": "x"},
    )
    assert "no_injury_report_reason" in response.context["forms"]["insurance"].errors
    assert snapshot(case) == before

    reason = "Medarbetaren var sjukskriven av annat skäl; ingen arbetsskada."
    cast.client("forste").post(
        f"/arenden/{case.code}/steg/insurance/", {"no_injury_report_reason": reason}
    )
    case = Case.objects.get(pk=case.pk)
    assert case.no_injury_report_reason == reason and not case.injury_report_pending
    assert services.closing_problems(case) == []
    services.close(case, by=forste)
    assert Case.objects.get(pk=case.pk).state == State.CLOSED


# Point 1: the safety representative's request (AML 6 kap. 6 a §) ---------------------------


def test_the_employer_confirms_a_request_in_writing_and_the_safety_rep_sees_it(cast):
    case = new_case(cast)
    services.acknowledge(case, by=cast["forste"])  # the request is then the only deadline
    due = timezone.localdate() + timedelta(days=14)
    response = cast.client("skyddsombud").post(
        f"/arenden/{case.code}/steg/request/",
        {"kind": "investigation", "demand": DEMAND, "answer_due_on": due.isoformat()},
    )
    assert response.status_code == 302
    item = SafetyRequest.objects.get(case=case)
    assert (item.kind, item.answer_due_on, item.confirmed_at) == ("investigation", due, None)
    # The receipt is due at once.
    assert Case.objects.get(pk=case.pk).next_due_at == item.created_at

    forste = cast["forste"]
    page = cast.client("forste").get(f"/begaran/{item.code}/").content.decode()
    assert 'id="confirm-form"' in page
    response = cast.client("forste").post(f"/begaran/{item.code}/", {"step": "confirm"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.confirmed_at is not None and item.confirmed_by == forste
    assert case.events.filter(kind=Kind.REQUEST_CONFIRMED, actor=forste).exists()
    # Now the answer is what is due, by the date asked for, and reminded then.
    assert Case.objects.get(pk=case.pk).next_due_at == rules.end_of_day(due)
    waiting = Reminder.objects.filter(request=item, cancelled_at=None)
    assert list(waiting.values_list("due_at", flat=True)) == [rules.end_of_day(due)]

    confirmed = swedish(
        "Confirmed %(at)s by %(name)s",
        at=f"{timezone.localtime(item.confirmed_at):%Y-%m-%d %H:%M}",
        name=forste.get_full_name(),
    )
    for url in (f"/begaran/{item.code}/", f"/arenden/{case.code}/"):
        assert confirmed in cast.client("skyddsombud").get(url).content.decode(), url

    # A second receipt is refused and changes nothing.
    before = snapshot(case)
    response = cast.client("forste").post(f"/begaran/{item.code}/", {"step": "confirm"})
    assert response.status_code == 302
    assert snapshot(case) == before


def test_a_request_for_an_investigation_can_be_made_on_a_unit(cast):
    unit = cast.unit("DEMO-FSE1A")
    due = timezone.localdate() + timedelta(days=7)
    response = cast.client("skyddsombud").post(
        "/begaran/ny/",
        {
            "unit": unit.pk,
            "kind": "investigation",
            "demand": "Undersök riskerna vid hembesök.",
            "answer_due_on": due.isoformat(),
        },
    )
    assert response.status_code == 302
    item = SafetyRequest.objects.get(requested_by=cast["skyddsombud"], unit=unit, case=None)
    assert (item.kind, item.answer_due_on) == (SafetyRequest.Kind.INVESTIGATION, due)
    listed = cast.client("forste").get("/begaran/").content.decode()
    assert swedish("Request for an investigation") in listed


def test_a_late_answer_lets_the_safety_rep_turn_to_arbetsmiljoverket(cast):
    rep = cast["skyddsombud"]
    case = new_case(cast)
    asked = timezone.now() - timedelta(days=10)
    due = timezone.localdate(asked) + timedelta(days=3)
    item = services.request_measures(
        by=rep, unit=case.unit, case=case, demand=DEMAND, answer_due_on=due, now=asked
    )
    services.confirm_request(item, by=cast["forste"], now=asked + timedelta(hours=1))
    item.refresh_from_db()
    assert item.is_late(timezone.localdate()) and item.may_go_to_authority(timezone.localdate())

    url = f"/begaran/{item.code}/arbetsmiljoverket/"
    draft = cast.client("skyddsombud").get(url)
    assert draft.status_code == 200
    text = draft.content.decode()
    assert DEMAND in text and case.unit.name in text
    assert swedish("No answer by %(due)s", due=f"{due:%Y-%m-%d}") in text
    # Nothing about the employee or the event.
    assert SECRET not in text and case.report.affected.get_full_name() not in text
    # The handlers read it too; a manager elsewhere and the employee do not.
    assert cast.client("forste").get(url).status_code == 200
    assert cast.client("chef2").get(url).status_code == 404
    assert cast.client("medarbetare").get(url).status_code == 404

    # The manager cannot record the safety representative's step.
    before = snapshot(case)
    today = timezone.localdate().isoformat()
    cast.client("forste").post(f"/begaran/{item.code}/", {"step": "authority", "sent_on": today})
    assert snapshot(case) == before

    response = cast.client("skyddsombud").post(
        f"/begaran/{item.code}/", {"step": "authority", "sent_on": today}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.authority_sent_on, item.authority_sent_by) == (timezone.localdate(), rep)
    assert case.events.filter(kind=Kind.REQUEST_TO_AUTHORITY, actor=rep).exists()


def test_a_refusal_opens_the_way_to_arbetsmiljoverket_but_an_open_request_does_not(cast):
    rep = cast["skyddsombud"]
    case = new_case(cast)
    item = services.request_measures(by=rep, unit=case.unit, case=case, demand=DEMAND)
    url = f"/begaran/{item.code}/arbetsmiljoverket/"
    assert cast.client("skyddsombud").get(url).status_code == 404
    with pytest.raises(ValidationError) as info:
        services.record_request_to_authority(item, by=rep, sent_on=timezone.localdate())
    assert getattr(info.value, "code", None) == "too_early"
    assert SafetyRequest.objects.get(pk=item.pk).authority_sent_on is None

    answer = "Vi har inte budget för larm i år."
    services.answer_request(item, by=cast["forste"], decision="rejected", answer=answer)
    item.refresh_from_db()
    # The written answer is also the written receipt.
    assert item.confirmed_at is not None and item.confirmed_by == cast["forste"]
    page = cast.client("skyddsombud").get(f"/begaran/{item.code}/").content.decode()
    assert url in page and 'id="authority-form"' in page
    text = cast.client("skyddsombud").get(url).content.decode()
    assert answer in text and SECRET not in text


# Review: the completion view belongs to cases ---------------------------------------------


def test_completing_a_report_keeps_its_address_and_reporting_imports_nothing_from_cases(cast):
    case = new_case(cast)
    path = f"/rapporter/{case.code}/komplettera/"
    assert reverse("cases:complete_report", args=[case.code]) == path
    assert cast.client("medarbetare").get(path).status_code == 200
    # The report page still links there and shows the case's status, read through cases.
    page = cast.client("medarbetare").get(f"/rapporter/{case.code}/").content.decode()
    assert path in page and case.get_state_display() in page
    reporting = Path(services.__file__).parents[1] / "reporting"
    imported = set()
    for source in reporting.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
    assert not {name for name in imported if name.startswith("varna.cases")}


def test_the_demo_closes_no_case_with_its_work_injury_report_pending():
    closed_injuries = Case.objects.filter(state=State.CLOSED, injury=True)
    assert closed_injuries.exists()
    assert not [case.pk for case in closed_injuries if case.injury_report_pending]
    pending = [case for case in Case.objects.filter(injury=True) if case.injury_report_pending]
    assert all(case.injury_report_due_at for case in pending)


def test_closing_as_not_unlawful_also_waits_for_the_work_injury_report(cast):
    case = new_case(cast, consequences=["injury"])
    assert case.injury_report_pending
    before = snapshot(case)
    with pytest.raises(ValidationError):
        services.close_not_unlawful(case, by=cast["forste"], reason="Ett överklagande.")
    assert snapshot(case) == before


def migration_step():
    """The data step of cases migration 0006, to run on rows as they stood before it."""
    import importlib

    from django.apps import apps

    step = importlib.import_module(
        "varna.cases.migrations.0006_request_receipt_injury_report"
    ).start_open_deadlines
    return step, apps


def test_the_migration_dates_open_requests_and_injury_reports(cast):
    step, apps = migration_step()
    case = new_case(cast, consequences=["injury"])
    Case.objects.filter(pk=case.pk).update(injury_report_due_at=None)
    Reminder.objects.filter(case=case, kind=Reminder.Kind.INJURY_REPORT).delete()
    request = services.request_measures(
        by=cast["skyddsombud"], unit=case.unit, case=case, demand="Larm i receptionen."
    )
    SafetyRequest.objects.filter(pk=request.pk).update(answer_due_on=None)

    step(apps, None)

    case = Case.objects.get(pk=case.pk)
    assert case.injury_report_due_at is not None
    assert case.next_due_at is not None and case.next_due_at <= case.injury_report_due_at
    assert Reminder.objects.filter(
        case=case, kind=Reminder.Kind.INJURY_REPORT, cancelled_at=None
    ).exists()
    request = SafetyRequest.objects.get(pk=request.pk)
    assert request.answer_due_on == timezone.localdate(request.created_at)
    assert request.is_late(timezone.localdate() + timedelta(days=1))


def test_the_public_records_copy_shows_the_requests_kind_receipt_and_arbetsmiljoverket(cast):
    case = new_case(cast)
    request = services.request_measures(
        by=cast["skyddsombud"], unit=case.unit, case=case, demand="Larm i receptionen."
    )
    services.confirm_request(request, by=cast["forste"])
    services.answer_request(
        request, by=cast["forste"], answer="Inte i år.", decision=SafetyRequest.Decision.REJECTED
    )
    services.record_request_to_authority(
        SafetyRequest.objects.get(pk=request.pk),
        by=cast["skyddsombud"],
        sent_on=timezone.localdate(),
    )
    page = cast.client("forste").get(f"/utlamnande/{case.code}/").content.decode()
    assert swedish("Request for measures") + ": Larm i receptionen." in page
    assert swedish("Receipt confirmed in writing %(at)s.", at="").strip(" .") in page
    assert swedish("Sent to Arbetsmiljöverket %(day)s.", day="").strip(" .") in page
