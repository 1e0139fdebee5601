"""The demo cases: every demo report handled as a municipality would, with valid timelines.

The demo is loaded once per test database (conftest); these tests only read it.
"""

import copy
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.db.models import Q
from django.utils import timezone

from varna.cases import selectors, services
from varna.cases.models import (
    OPEN_STATES,
    ActorDetails,
    Case,
    CaseEvent,
    Measure,
    PoliceDecision,
    Reminder,
    SafetyRequest,
    State,
)
from varna.cases.selectors import InboxFilter
from varna.reporting.models import Report
from varna.reporting.taxonomy import Form

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind


def _age(case: Case, today: date) -> int:
    return (today - timezone.localdate(case.opened_at)).days


def test_every_demo_report_has_exactly_one_case_with_the_reports_fields():
    reports = Report.objects.values_list(
        "pk", "unit_id", "main_form", "route_to_security", "submitted_at"
    )
    cases = {
        pk: rest
        for pk, *rest in Case.objects.values_list(
            "pk", "unit_id", "main_form", "security_routed", "opened_at"
        )
    }
    # The demo's volume is a real municipality's (varna.reporting.demo): some 560 events.
    assert len(reports) > 500
    assert not Report.objects.filter(case__isnull=True).exists()
    assert len(cases) == len(reports)
    for pk, unit, form, security, submitted in reports:
        assert cases[pk] == [unit, form, security, submitted], pk


def test_every_timeline_is_valid():
    now = timezone.now()
    cases = {
        pk: (state, opened, acknowledged, closed)
        for pk, state, opened, acknowledged, closed in Case.objects.values_list(
            "pk", "state", "opened_at", "acknowledged_at", "closed_at"
        )
    }
    timelines = defaultdict(list)
    for row in CaseEvent.objects.order_by("case", "at", "pk").values_list(
        "case", "pk", "at", "kind", "from_state", "to_state"
    ):
        timelines[row[0]].append(row[1:])
    assert timelines.keys() == cases.keys()

    for case_id, events in timelines.items():
        state, opened_at, acknowledged_at, closed_at = cases[case_id]
        _first_pk, first_at, first_kind, first_from, first_to = events[0]
        assert (first_kind, first_from, first_to, first_at) == (
            Kind.OPENED,
            "",
            State.RECEIVED,
            opened_at,
        ), case_id
        assert [kind for _pk, _at, kind, _f, _t in events].count(Kind.OPENED) == 1, case_id
        for _pk, at, kind, _from, _to in events:
            assert opened_at <= at <= now, (case_id, kind, at)

        steps = [event for event in events[1:] if event[4]]
        current = State.RECEIVED
        for _pk, _at, kind, from_state, to_state in steps:
            assert from_state == current, (case_id, kind, from_state, current)
            assert to_state in services.TRANSITIONS[from_state], (case_id, from_state, to_state)
            assert services.STEP_FROM.get(kind) == from_state, (case_id, kind, from_state)
            current = to_state
        assert current == state, case_id
        # The steps were recorded in the order they were taken.
        by_pk = sorted(steps)
        assert [at for _pk, at, *_rest in by_pk] == sorted(at for _pk, at, *_rest in by_pk)
        # The case's own timestamps are those of its steps.
        acks = [at for _pk, at, kind, *_rest in steps if kind == Kind.ACKNOWLEDGED]
        assert acknowledged_at == (acks[0] if acks else None), case_id
        closes = [at for _pk, at, kind, *_rest in steps if kind == Kind.CLOSED]
        assert closed_at == (closes[-1] if state == State.CLOSED else None), case_id


def test_no_reminder_waits_on_closed_work():
    waiting = Reminder.objects.filter(cancelled_at=None, claimed_at=None)
    assert waiting.exists()
    closed_work = (
        Q(case__state=State.CLOSED)
        | Q(measure__status__in=[Measure.Status.DONE, Measure.Status.CANCELLED])
        | Q(measure__case__state=State.CLOSED)
        | Q(support__followed_up_on__isnull=False)
        | Q(support__case__state=State.CLOSED)
        | Q(request__answered_on__isnull=False)
    )
    assert list(waiting.filter(closed_work).values_list("pk", "kind")) == []
    # And the open work does have its reminder: every received case waits for contact.
    received = set(Case.objects.filter(state=State.RECEIVED).values_list("pk", flat=True))
    reminded = set(waiting.filter(kind=Reminder.Kind.ACKNOWLEDGE).values_list("case_id", flat=True))
    assert received and received == reminded


def test_next_due_of_open_cases_is_what_refresh_due_computes():
    open_cases = list(Case.objects.filter(state__in=OPEN_STATES))
    assert len(open_cases) > 50
    for case in open_cases:
        fresh = copy.copy(case)
        services.refresh_due(fresh)
        assert case.next_due_at == fresh.next_due_at, (case.pk, case.state)
    assert any(case.next_due_at is not None for case in open_cases)


def test_closed_cases_could_be_closed_and_have_a_police_decision():
    closed = Case.objects.filter(state=State.CLOSED)
    assert closed.count() > 400
    # What `services.closing_problems` asks, for every closed case at once (three queries per
    # case would take most of this file's time) ...
    assert not closed.filter(police_decision="").exists()
    assert not Measure.objects.filter(
        case__state=State.CLOSED, status__in=[Measure.Status.PLANNED, Measure.Status.IN_PROGRESS]
    ).exists()
    with_measures = Measure.objects.exclude(status=Measure.Status.CANCELLED).values("case")
    assert not closed.filter(no_measures_reason="").exclude(pk__in=with_measures).exists()
    assert not [case.pk for case in closed.exclude(serious_reasons=[]) if case.notice_pending]
    assert not SafetyRequest.objects.filter(case__state=State.CLOSED, answered_on=None).exists()
    # ... and the function itself on every kind of closed case and every tenth of the rest.
    special = (
        closed.filter(
            Q(safety_requests__isnull=False)
            | Q(measures__status=Measure.Status.CANCELLED)
            | ~Q(no_measures_reason="")
            | ~Q(serious_reasons=[])
            | ~Q(police_decision=PoliceDecision.NO_REPORT)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    chosen = set(list(special)[::4]) | set(closed.values_list("pk", flat=True)[::10])
    assert len(chosen) > 60
    for case in closed.filter(pk__in=chosen):
        assert services.closing_problems(case) == [], case.pk


def test_old_cases_are_closed_and_recent_ones_spread_over_the_workflow():
    now = timezone.now()
    today = timezone.localdate(now)
    cases = list(Case.objects.only("state", "opened_at", "acknowledge_due_at"))
    old = [case for case in cases if _age(case, today) > 60]
    assert old and sum(case.state == State.CLOSED for case in old) / len(old) > 0.9

    recent = Counter(case.state for case in cases if _age(case, today) <= 30)
    total = sum(recent.values())
    assert total > 15
    assert len([state for state, count in recent.items() if count >= total * 0.05]) >= 4
    assert max(recent.values()) < total * 0.6
    assert recent[State.RECEIVED] and recent[State.CLOSED] < total / 2

    overdue = [
        case for case in cases if case.state == State.RECEIVED and case.acknowledge_due_at < now
    ]
    assert len(overdue) >= 3


def test_serious_cases_mostly_have_their_notice_sent_the_same_day():
    serious = Case.objects.exclude(serious_reasons=[])
    sent = list(serious.filter(notice_sent_at__isnull=False))
    same_day = [
        case
        for case in sent
        if timezone.localdate(case.notice_sent_at) == timezone.localdate(case.opened_at)
    ]
    assert len(same_day) >= 10 and len(same_day) / len(sent) > 0.7
    assert all(case.notice_sent_by_id and case.notice_reference for case in sent)
    # Late notices exist too, as do events assessed as not requiring one.
    assert len(same_day) < len(sent)
    assert serious.exclude(not_serious_reason="").exists()


def test_the_employer_files_police_reports_on_threats_and_violence():
    filed = Case.objects.filter(police_decision=PoliceDecision.EMPLOYER_FILES)
    forms = Counter(filed.values_list("main_form", flat=True))
    assert forms[Form.THREAT] >= 10 and forms[Form.VIOLENCE] >= 5
    assert not filed.filter(Q(police_filed_on=None) | Q(police_reference="")).exists()
    threats = Case.objects.filter(main_form=Form.THREAT).exclude(police_decision="")
    harassment = Case.objects.filter(main_form=Form.HARASSMENT).exclude(police_decision="")

    def share(cases) -> float:
        filed = cases.filter(police_decision=PoliceDecision.EMPLOYER_FILES).count()
        return filed / cases.count()

    assert share(threats) > 2 * share(harassment)


def test_forste_has_new_cases_one_of_them_possibly_serious(cast):
    new = list(selectors.inbox(cast["forste"], InboxFilter(view="new")))
    assert len(new) >= 3
    assert all(case.state == State.RECEIVED for case in new)
    assert any(case.serious_reasons for case in new)


def test_medarbetare_follows_a_case_in_progress_with_a_measure_for_them(cast):
    user = cast["medarbetare"]
    in_progress = Case.objects.filter(report__reporter=user, state__in=OPEN_STATES).exclude(
        state=State.RECEIVED
    )
    assert in_progress.exists()
    shown = {case.pk: list(selectors.employee_view(case)["measures"]) for case in in_progress}
    assert any(measures for measures in shown.values()), shown
    # The view shows only measures for the employee, and at least one is still being done.
    everything = [measure for measures in shown.values() for measure in measures]
    assert all(measure.scope == Measure.Scope.INDIVIDUAL for measure in everything)
    assert any(measure.is_open for measure in everything)


def test_the_actors_details_never_appear_in_the_timeline():
    details = ActorDetails.objects.values_list(*services.ACTOR_FIELDS)
    assert details.count() > 50
    secrets = {value for row in details for value in row if value}
    notes = "\n".join(CaseEvent.objects.exclude(note="").values_list("note", flat=True))
    assert notes
    assert [secret for secret in secrets if secret in notes] == []
