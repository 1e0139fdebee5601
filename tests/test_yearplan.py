"""The SAM year plan (varna.yearplan): generation, evidence, access, the overview's roll-up,
reminders and escalation.

Tests that need a clean plan generate next year (the demo holds last year and this year) with
their own template, so nothing here depends on which demo activities are done. Reminder tests
set aside every other pending reminder first and pass the clock explicitly.
"""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from varna.cases import reminders, rules
from varna.cases.models import Reminder
from varna.cases.tasks import send_digest_email
from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Unit, User
from varna.reporting.models import Notification
from varna.risk import services as risk_services
from varna.risk.models import Assessment
from varna.yearplan import selectors, services
from varna.yearplan.models import Activity, ActivityEvent, ActivityTemplate, Kind, Recurrence

NEXT = timezone.localdate().year + 1


def template(**fields) -> ActivityTemplate:
    values = {
        "municipality": Unit.objects.get(code="DEMO"),
        "title": "Testaktivitet",
        "description": "Gör det här.",
        "kind": Kind.OTHER,
        "recurrence": Recurrence.MONTHLY,
        "unit_kinds": ["enhet"],
        **fields,
    }
    return ActivityTemplate.objects.create(**values)


def activity_of(tpl: ActivityTemplate, code: str, month: int = 1) -> Activity:
    return Activity.objects.get(template=tpl, unit__code=code, due_on__month=month)


def approved_assessment(cast, code: str, by: str, assessed_on: date) -> Assessment:
    assessment = risk_services.start_assessment(
        unit=cast.unit(code),
        by=cast[by],
        assessed_on=assessed_on,
        participants=[(cast["skyddsombud"], "safety_rep")],
    )
    risk_services.add_risk(
        assessment,
        by=cast[by],
        data={"situation": "reception", "likelihood": 1, "consequence": 1},
    )
    return risk_services.approve(assessment, by=cast[by])


def page(client, activity: Activity):
    return client.get(reverse("yearplan:activity", args=[activity.code]))


def post(client, activity: Activity, **data):
    return client.post(reverse("yearplan:activity", args=[activity.code]), data)


@pytest.fixture
def quiet(db):
    """Only this test's deadlines count (set aside inside the test's transaction)."""
    Reminder.objects.filter(claimed_at=None, cancelled_at=None).update(cancelled_at=timezone.now())
    DBTaskResult.objects.all().delete()
    mail.outbox.clear()


# 1. Generation ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_recurrence_makes_its_periods_once_and_running_twice_makes_nothing(cast):
    yearly = template(title="Årlig", recurrence=Recurrence.YEARLY, due_month=5)
    quarterly = template(title="Kvartal", recurrence=Recurrence.QUARTERLY)
    monthly = template(title="Månad", recurrence=Recurrence.MONTHLY)
    elsewhere = template(title="Grannby", municipality=cast.unit("GRANN"))
    unit = cast.unit("DEMO-ALF")
    created = services.generate_year(unit, NEXT)
    assert created > 0
    assert services.generate_year(unit, NEXT) == 0

    units = set(
        Unit.objects.subtree_of(unit).filter(kind="enhet").values_list("code", flat=True)
    ) - {"DEMO-EKB"}  # closed since 2024
    for tpl, count in ((yearly, 1), (quarterly, 4), (monthly, 12)):
        made = Activity.objects.filter(template=tpl)
        assert set(made.values_list("unit__code", flat=True)) == units
        assert made.count() == count * len(units)
    assert [a.due_on for a in Activity.objects.filter(template=yearly, unit__code="DEMO-FSE1")] == [
        date(NEXT, 5, 31)
    ]
    assert [
        a.due_on for a in Activity.objects.filter(template=quarterly, unit__code="DEMO-FSE1")
    ] == [date(NEXT, 3, 31), date(NEXT, 6, 30), date(NEXT, 9, 30), date(NEXT, 12, 31)]
    assert activity_of(monthly, "DEMO-FSE1", 2).due_on == date(NEXT, 2, 28 + (NEXT % 4 == 0))
    assert not Activity.objects.filter(template=elsewhere).exists()
    # Each activity has its reminder, at the end of its due day.
    january = activity_of(monthly, "DEMO-FSE1")
    [reminder] = Reminder.objects.filter(activity=january)
    assert (reminder.kind, reminder.level, reminder.due_at) == (
        Reminder.Kind.ACTIVITY,
        0,
        rules.end_of_day(january.due_on),
    )


@pytest.mark.django_db
def test_an_introduction_is_due_weeks_after_each_new_employments_start(cast):
    intro = template(
        title="Intro",
        kind=Kind.INTRODUCTION,
        recurrence=Recurrence.PER_EMPLOYEE,
        unit_kinds=[],
        weeks_from_start=6,
    )
    newcomer = User.objects.create(username="ny.medarbetare", first_name="Ny", last_name="Anställd")
    start = date(NEXT, 3, 2)
    employment = org_services.employ(user=newcomer, unit=cast.unit("DEMO-FSE1A"), start_date=start)
    services.generate_year(cast.unit("DEMO"), NEXT)
    [activity] = Activity.objects.filter(template=intro)
    assert activity.employment == employment
    assert activity.unit.code == "DEMO-FSE1A"
    assert activity.due_on == start + timedelta(weeks=6)
    # Nobody employed earlier gets one, and a second run adds nothing.
    assert services.generate_year(cast.unit("DEMO"), NEXT) == 0


@pytest.mark.django_db
def test_the_default_plan_exists_without_typing(cast):
    kinds = set(
        ActivityTemplate.objects.filter(municipality=None, is_active=True).values_list(
            "kind", flat=True
        )
    )
    assert {Kind.RISK_ASSESSMENT, Kind.EVENT_REVIEW, Kind.SAM_FOLLOW_UP, Kind.INTRODUCTION} <= kinds
    this_year = timezone.localdate().year
    assert Activity.objects.filter(
        unit__code="GRANN-EB", kind=Kind.RISK_ASSESSMENT, due_on__year=this_year
    ).exists()


# 2. Marking done --------------------------------------------------------------------------


@pytest.mark.django_db
def test_marking_done_without_evidence_shows_the_message_next_to_the_field(cast):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    client = cast.client("enhetschef")
    with translation.override("en"):
        response = post(client, activity, step="done", note="   ", link="")
    assert response.status_code == 200
    form = response.context["complete_form"]
    assert "note" in form.errors
    assert 'id="id_note_error"' in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.OPEN
    assert not activity.events.exists()
    assert Reminder.objects.get(activity=activity).cancelled_at is None


@pytest.mark.django_db
def test_a_bad_link_is_refused_and_what_was_typed_is_kept(cast):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    response = post(
        cast.client("enhetschef"), activity, step="done", link="javascript:alert(1)", note="APT"
    )
    assert response.status_code == 200
    assert "link" in response.context["complete_form"].errors
    assert "APT" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.OPEN


@pytest.mark.django_db
@pytest.mark.parametrize("evidence", ["note", "link"])
def test_marking_done_with_a_note_or_minutes_records_who_and_when(cast, evidence):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    value = (
        "Gick igenom händelserna på APT" if evidence == "note" else "https://intra.example/apt/1"
    )
    client = cast.client("enhetschef")
    response = post(client, activity, step="done", **{evidence: value})
    assert response.status_code == 302
    assert response["Location"] == reverse("yearplan:activity", args=[activity.code])
    activity.refresh_from_db()
    assert activity.status == Activity.Status.DONE
    assert activity.done_by == cast["enhetschef"]
    assert (activity.note if evidence == "note" else activity.minutes_url) == value
    [event] = activity.events.all()
    assert (event.kind, event.actor) == (ActivityEvent.Kind.DONE, cast["enhetschef"])
    assert Reminder.objects.get(activity=activity).cancelled_at is not None
    shown = page(client, activity).content.decode()
    assert "Karin Holm" in shown and "reopen" in shown


@pytest.mark.django_db
def test_marking_done_with_the_units_approved_assessment(cast):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    assessment = approved_assessment(cast, "DEMO-FSE1", "enhetschef", timezone.localdate())
    other = approved_assessment(cast, "DEMO-FSE2", "chef2", timezone.localdate())
    client = cast.client("enhetschef")
    # The select offers only this unit's approved assessments.
    response = post(client, activity, step="done", assessment=other.pk)
    assert response.status_code == 200
    assert "assessment" in response.context["complete_form"].errors
    response = post(client, activity, step="done", assessment=assessment.pk)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.assessment == assessment and activity.is_done


@pytest.mark.django_db
def test_a_done_activity_is_reopened_with_a_reason_and_reminded_again(cast):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    services.complete_activity(activity, by=cast["enhetschef"], note="Klart")
    client = cast.client("enhetschef")
    response = post(client, activity, step="reopen", reason="")
    assert response.status_code == 200 and "reason" in response.context["reopen_form"].errors
    response = post(client, activity, step="reopen", reason="Fel enhet")
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == Activity.Status.OPEN and activity.note == ""
    assert [e.kind for e in activity.events.all()] == ["done", "reopened"]
    assert Reminder.objects.filter(activity=activity, cancelled_at=None).count() == 1
    shown = page(client, activity).content.decode()
    assert "Fel enhet" in shown and "Klart" in shown  # the history keeps the evidence


@pytest.mark.django_db
def test_approving_a_risk_assessment_ticks_off_the_units_yearly_assessment(cast):
    # Försörjningsstöd 3 is behind in the demo: this year's risk assessment is still open.
    this_year = timezone.localdate().year
    open_one = Activity.objects.get(
        unit__code="DEMO-FSE3",
        kind=Kind.RISK_ASSESSMENT,
        due_on__year=this_year,
        status=Activity.Status.OPEN,
    )
    assessment = approved_assessment(cast, "DEMO-FSE3", "chef3", timezone.localdate())
    open_one.refresh_from_db()
    assert open_one.is_done and open_one.assessment == assessment
    assert open_one.done_by == cast["chef3"]
    [event] = open_one.events.all()
    assert event.kind == ActivityEvent.Kind.ASSESSMENT
    # Nothing left to tick off: a second assessment changes nothing.
    assert services.record_assessment(assessment, by=cast["chef3"], at=timezone.now()) is None


# 3. Access ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_of_other_unit_gets_404(cast):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    client = cast.client("chef.mottagning")
    assert page(client, activity).status_code == 404
    assert post(client, activity, step="done", note="x").status_code == 404
    url = reverse("yearplan:unit", args=["DEMO-FSE1"])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_analyst_sees_the_overview_but_cannot_mark_done(cast):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    client = cast.client("analytiker")
    assert client.get(reverse("yearplan:overview")).status_code == 200
    assert client.get(reverse("yearplan:unit", args=["DEMO-FSE1"])).status_code == 200
    response = page(client, activity)
    assert response.status_code == 200
    assert response.context["complete_form"] is None
    assert post(client, activity, step="done", note="x").status_code == 404
    activity.refresh_from_db()
    assert not activity.is_done


@pytest.mark.django_db
def test_an_employee_without_a_year_plan_role_gets_404(cast):
    client = cast.client("medarbetare")
    assert client.get(reverse("yearplan:overview")).status_code == 404
    assert client.get(reverse("yearplan:unit", args=["DEMO-FSE1A"])).status_code == 404
    assert b"arsplan" not in client.get(reverse("home:start")).content


@pytest.mark.django_db
def test_the_start_page_lists_a_managers_overdue_activities(cast):
    behind = Activity.objects.filter(
        unit__code="DEMO-FSE3", status=Activity.Status.OPEN, due_on__lt=timezone.localdate()
    ).first()
    response = cast.client("chef3").get(reverse("home:start"))
    assert reverse("yearplan:activity", args=[behind.code]) in response.content.decode()


# 4. The overview -------------------------------------------------------------------------


def brute_force(user_unit: Unit, year: int, today: date) -> dict[tuple[str, int], tuple]:
    """(row unit code, month) -> (done, due, overdue), recounted one activity at a time."""
    children = {child.path: child.code for child in user_unit.children.all()}
    counts: dict[tuple[str, int], list[int]] = {}
    for activity in Activity.objects.filter(due_on__year=year).select_related("unit"):
        path = activity.unit.path
        if not path.startswith(user_unit.path):
            continue
        row = (
            user_unit.code if path == user_unit.path else children[path[: len(user_unit.path) + 8]]
        )
        cell = counts.setdefault((row, activity.due_on.month), [0, 0, 0])
        if activity.is_done:
            cell[0] += 1
        elif activity.due_on < today:
            cell[2] += 1
        else:
            cell[1] += 1
    return {key: tuple(value) for key, value in counts.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "code"), [("forvaltningschef", "DEMO-ALF"), ("analytiker", "DEMO")]
)
def test_the_overview_counts_equal_a_recount_of_every_activity(cast, who, code):
    today = timezone.localdate()
    year = today.year
    response = cast.client(who).get(reverse("yearplan:overview"), {"enhet": code, "ar": year})
    assert response.status_code == 200
    shown = {
        (row.unit.code, month): (cell.done, cell.due, cell.overdue)
        for row in response.context["rows"]
        for month, cell in enumerate(row.months, 1)
        if cell.total
    }
    assert shown == brute_force(cast.unit(code), year, today)
    assert shown  # the demo has a plan
    assert any(row.overdue for row in response.context["rows"])  # and someone is behind


@pytest.mark.django_db
def test_the_overview_reads_in_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    user = cast["analytiker"]
    with django_assert_max_num_queries(5):
        rows = selectors.overview(user, cast.unit("DEMO"), timezone.localdate().year, date.today())
        assert sum(row.total for row in rows) > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"enhet": "FINNS-INTE"},
        {"enhet": "DEMO-MOT"},  # another branch
        {"enhet": "x" * 500},
        {"ar": "99999"},
        {"ar": "-3"},
        {"ar": "tjugo"},
        {"ar": "2026.5", "enhet": "DEMO-FSE1"},
        {"enhet": "DEMO-FSE1\x00"},
    ],
)
def test_bad_filter_input_gives_a_message_and_an_in_scope_result(cast, query):
    client = cast.client("enhetschef")
    response = client.get(reverse("yearplan:overview"), query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["unit"].code == "DEMO-FSE1"
    assert response.context["year"] == timezone.localdate().year
    response = client.get(reverse("yearplan:unit", args=["DEMO-FSE1"]), {"ar": query.get("ar", "")})
    assert response.status_code == 200


# 5. Reminders ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_overdue_activity_reminds_the_manager_then_the_manager_above(cast, quiet):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    due = rules.end_of_day(activity.due_on)
    assert reminders.run(due - timedelta(minutes=1)).claimed == 0

    result = reminders.run(due)
    assert (result.claimed, result.notified) == (1, 1)
    [note] = Notification.objects.filter(activity=activity)
    assert (note.recipient, note.kind, note.topic) == (
        cast["enhetschef"],
        Notification.Kind.REMINDER,
        Notification.Topic.ACTIVITY,
    )
    assert note.report is None

    level1 = Reminder.objects.get(activity=activity, level=1)
    assert level1.due_at == rules.escalation_due(due)
    reminders.run(level1.due_at)
    escalated = Notification.objects.get(activity=activity, kind=Notification.Kind.ESCALATION)
    assert escalated.recipient == cast["avdelningschef"]

    # The notification list and the digest link to the activity and say nothing more.
    listing = cast.client("enhetschef").get(reverse("reporting:notifications"))
    assert reverse("yearplan:activity", args=[activity.code]) in listing.content.decode()
    send_digest_email.call(cast["enhetschef"].pk, [note.pk])
    [message] = mail.outbox
    assert reverse("yearplan:activity", args=[activity.code]) in message.body
    assert tpl.description not in message.body

    # Done: the next level is cancelled and nobody else is reminded.
    services.complete_activity(activity, by=cast["enhetschef"], note="Klart")
    level2 = Reminder.objects.get(activity=activity, level=2)
    assert level2.cancelled_at is not None
    assert reminders.run(level2.due_at).claimed == 0


@pytest.mark.django_db
def test_a_done_activitys_reminder_is_dropped_when_it_comes_due(cast, quiet):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    reminder = Reminder.objects.get(activity=activity)
    # Marked done behind the worker's back (the row was claimed before the cancel).
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.DONE)
    result = reminders.run(reminder.due_at)
    assert (result.claimed, result.notified) == (1, 0)
    assert not Notification.objects.filter(activity=activity).exists()


@pytest.mark.django_db
def test_two_workers_claim_an_activitys_reminder_once(cast, quiet):
    tpl = template()
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = activity_of(tpl, "DEMO-FSE1")
    now = rules.end_of_day(activity.due_on)
    rows = set(Reminder.objects.filter(activity=activity).values_list("pk", flat=True))
    seen_by_a = reminders.due_ids(now, urgent_only=False)
    seen_by_b = reminders.due_ids(now, urgent_only=False)
    assert seen_by_a == seen_by_b and set(seen_by_a) == rows
    assert set(reminders.claim(seen_by_a, worker="A", now=now)) == rows
    assert reminders.claim(seen_by_b, worker="B", now=now) == []


@pytest.mark.django_db
def test_the_overview_of_the_whole_subtree_of_a_root_uses_tree_paths(cast):
    # Rows are the root's children; each child's path is one segment longer than the root's.
    rows = selectors.overview(
        cast["analytiker"], cast.unit("DEMO"), timezone.localdate().year, timezone.localdate()
    )
    assert all(
        row.own or len(row.unit.path) == len(cast.unit("DEMO").path) + tree.SEGMENT for row in rows
    )


def test_the_daily_reminder_run_generates_the_year_plan_for_new_units(cast):
    from datetime import datetime

    from varna.yearplan.models import Activity

    parent = cast.unit("DEMO-IFO")
    unit = org_services.create_unit(code="DEMO-NY", name="Ny enhet", kind="enhet", parent=parent)
    assert not Activity.objects.filter(unit=unit).exists()
    morning = timezone.make_aware(datetime(date.today().year, 12, 1, 8))
    reminders.tick(morning)
    assert Activity.objects.filter(unit=unit, due_on__year=morning.year).exists()
    # From December, next year's plan is made too.
    assert Activity.objects.filter(unit=unit, due_on__year=morning.year + 1).exists()
