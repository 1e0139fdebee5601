"""Reminders to managers about their staff's training, made once a day by the reminder worker."""

from datetime import date, datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from varna.cases import reminders as case_reminders
from varna.cases.tasks import send_digest_email
from varna.orgs import services
from varna.orgs.models import Role, Unit, User
from varna.reporting.models import Notification
from varna.training import reminders
from varna.training.models import Completion, Course, Requirement

pytestmark = pytest.mark.django_db

# Today, as the worker passes it (the notices' own times are the wall clock's).
TODAY = timezone.localdate()
NAMES = {
    "trn.top": ("Tore", "Topp"),
    "trn.chef": ("Mona", "Mård"),
    "trn.forste": ("Frans", "Först"),
    "trn.ada": ("Ada", "Alm"),
    "trn.bo": ("Bo", "Berg"),
    "trn.cecilia": ("Cecilia", "Cederholm"),
    "trn.dan": ("Dan", "Dahl"),
}


def person(username: str, unit: Unit, *, role: str = Role.EMPLOYEE) -> User:
    first, last = NAMES[username]
    user = User.objects.create(
        username=username, first_name=first, last_name=last, email=f"{username}@example.se"
    )
    services.employ(user=user, unit=unit, start_date=date(2020, 1, 1))
    services.grant_role(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def town(db):
    """A small municipality of its own: a unit with a work group below it, a manager on each
    level, and staff whose basic course is overdue (Ada), valid (Bo) or runs out in 20 days
    (Cecilia)."""
    root = services.create_unit(code="TRN", name="Övningsby kommun", kind="kommun")
    unit = services.create_unit(code="TRN-E", name="Övningsenheten", kind="enhet", parent=root)
    group = services.create_unit(
        code="TRN-G", name="Övningsgruppen", kind="arbetsgrupp", parent=unit
    )
    course = Course.objects.create(
        municipality=root, code="grund", name="Grundkurs", validity_months=36
    )
    Requirement.objects.create(course=course, role=Role.EMPLOYEE, within_months=3)
    people = {
        "top": person("trn.top", root, role=Role.MANAGER),
        "unit_manager": person("trn.chef", unit, role=Role.MANAGER),
        "group_manager": person("trn.forste", group, role=Role.MANAGER),
        "ada": person("trn.ada", group),
        "bo": person("trn.bo", group),
        "cecilia": person("trn.cecilia", unit),
    }
    complete(people["bo"], course, TODAY - timedelta(days=100))
    complete(people["cecilia"], course, TODAY + timedelta(days=20) - relativedelta(months=36))
    return {"course": course, "unit": unit, "group": group, **people}


def complete(user: User, course: Course, day: date) -> None:
    Completion.objects.create(
        person=user, course=course, completed_on=day, source=Completion.Source.IMPORT
    )


def training_notices(*users: User):
    return Notification.objects.filter(
        recipient__in=users, topic=Notification.Topic.TRAINING
    ).order_by("pk")


def test_the_nearest_manager_gets_one_notice_with_counts_and_a_link(town):
    reminders.remind_managers(TODAY)

    [for_group] = training_notices(town["group_manager"])
    assert for_group.unit == town["group"]
    assert for_group.figures == {"overdue": 1, "due": 0, "days": 30}
    assert for_group.kind == Notification.Kind.REMINDER and for_group.in_digest
    [for_unit] = training_notices(town["unit_manager"])
    # Cecilia's course runs out within 30 days; Ada is the group's manager's concern, not hers.
    assert for_unit.unit == town["unit"]
    assert for_unit.figures == {"overdue": 0, "due": 1, "days": 30}
    # Not every manager up to the top.
    assert not training_notices(town["top"]).exists()

    page = town_client(town["group_manager"]).get(reverse("reporting:notifications"))
    text = page.content.decode()
    assert reverse("training:unit", args=["TRN-G"]) in text
    assert "Övningsgruppen" in text
    assert "Alm" not in text


def town_client(user: User):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="varna.accounts.backends.VarnaBackend")
    return client


def test_the_e_mail_has_counts_and_the_link_but_no_names(town):
    reminders.remind_managers(TODAY)
    [notice] = training_notices(town["group_manager"])

    send_digest_email.call(town["group_manager"].pk, [notice.pk])

    [message] = [m for m in mail.outbox if m.to == ["trn.forste@example.se"]]
    link = settings.VARNA_BASE_URL.rstrip("/") + reverse("training:unit", args=["TRN-G"])
    assert link in message.body
    assert "Övningsgruppen" in message.body
    assert "Ada" not in message.body and "Alm" not in message.body
    notice.refresh_from_db()
    assert notice.email_status == Notification.Delivery.SENT


def test_a_manager_is_not_reminded_again_of_the_same_situation_for_a_week(town):
    assert len(reminders.remind_managers(TODAY)) >= 2
    mine = (town["group_manager"], town["unit_manager"])

    reminders.remind_managers(TODAY)  # the worker ran twice the same day
    reminders.remind_managers(TODAY + timedelta(days=1))
    reminders.remind_managers(TODAY + timedelta(days=6))
    assert training_notices(*mine).count() == 2

    reminders.remind_managers(TODAY + timedelta(days=7))
    assert training_notices(*mine).count() == 4


def test_a_manager_is_reminded_the_next_day_when_it_got_worse(town):
    reminders.remind_managers(TODAY)
    person("trn.dan", town["group"])  # a second person without the course, long employed

    reminders.remind_managers(TODAY + timedelta(days=1))

    notices = list(training_notices(town["group_manager"]))
    assert [notice.figures["overdue"] for notice in notices] == [1, 2]
    # Cecilia's manager's situation did not change.
    assert training_notices(town["unit_manager"]).count() == 1


def test_progress_is_not_news(town):
    reminders.remind_managers(TODAY)
    complete(town["ada"], town["course"], TODAY)

    reminders.remind_managers(TODAY + timedelta(days=1))

    assert training_notices(town["group_manager"]).count() == 1


def test_no_notice_when_everyone_is_valid(town):
    for key in ("ada", "cecilia"):
        complete(town[key], town["course"], TODAY - timedelta(days=10))

    reminders.remind_managers(TODAY)

    people = [town[key] for key in ("top", "unit_manager", "group_manager")]
    assert not training_notices(*people).exists()


def test_a_managers_own_training_goes_to_the_manager_above(town):
    for key in ("ada", "cecilia"):
        complete(town[key], town["course"], TODAY - timedelta(days=10))
    # The group's manager is also an employee of the group, without the course.
    services.grant_role(user=town["group_manager"], unit=town["group"], role=Role.EMPLOYEE)

    reminders.remind_managers(TODAY)

    assert not training_notices(town["group_manager"]).exists()
    [notice] = training_notices(town["unit_manager"])
    assert notice.figures["overdue"] == 1 and notice.unit == town["unit"]


def test_reading_the_units_training_marks_the_notice_read(town):
    reminders.remind_managers(TODAY)

    assert reminders.mark_read(user=town["group_manager"], unit=town["group"]) == 1
    assert training_notices(town["group_manager"]).get().read_at is not None


def test_the_reminder_worker_reminds_in_its_daily_run(town):
    now = timezone.make_aware(datetime.combine(TODAY, time(settings.VARNA_DIGEST_HOUR, 5)))

    case_reminders.tick(now)
    case_reminders.tick(now + timedelta(hours=1))  # not the day's first run: no digest

    assert training_notices(town["group_manager"], town["unit_manager"]).count() == 2
    # The training notices ride in the day's one digest e-mail per person, not in their own.
    sent = [
        row.args_kwargs["args"]
        for row in DBTaskResult.objects.filter(task_path=send_digest_email.module_path)
    ]
    recipients = [person_pk for person_pk, _ids in sent]
    assert len(recipients) == len(set(recipients))
    assert {town["group_manager"].pk, town["unit_manager"].pk} <= set(recipients)
    for person_pk, ids in sent:
        assert set(training_notices(User(pk=person_pk)).values_list("pk", flat=True)) <= set(ids)


def test_the_demo_gives_the_reminders_and_the_follow_up_something_to_show(cast):
    from varna.training import demo
    from varna.training.coverage import Status, coverage_of_children, of_person

    assert demo.load() is False  # loaded once, with the rest of the demo
    shares = {
        row.unit.code: row.total.share
        for row in coverage_of_children(cast.unit("DEMO-ALF"), timezone.localdate())
    }
    assert shares["DEMO-FSE"] < 0.5 < 0.8 < shares["DEMO-AME"]
    own = {standing.status for standing in of_person(cast["medarbetare"].pk, timezone.localdate())}
    assert own == {Status.VALID, Status.EXPIRING}

    reminders.remind_managers(timezone.localdate())

    [notice] = training_notices(cast["forste"])
    assert notice.unit == cast.unit("DEMO-FSE1A") and notice.figures["overdue"] > 0
    assert not training_notices(cast["medarbetare"]).exists()


def training_notice_about(user: User, unit: Unit) -> Notification:
    return Notification.objects.create(
        recipient=user,
        unit=unit,
        figures={"overdue": 2, "due": 1, "days": 30},
        kind=Notification.Kind.REMINDER,
        topic=Notification.Topic.TRAINING,
        in_digest=True,
    )


def test_more_training_notices_cost_no_more_queries(town):
    """Each notice names its unit and links to it: the units come with the notices."""
    manager = town["unit_manager"]
    client = town_client(manager)
    training_notice_about(manager, town["unit"])

    def queries_for_the_list() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("reporting:notifications"))
        assert page.status_code == 200
        return len(queries), page.content.decode()

    queries_for_the_list()  # the first request of a session does some once-only work
    few, _text = queries_for_the_list()
    extra = [
        services.create_unit(
            code=f"TRN-X{n}", name=f"Extraenhet {n}", kind="enhet", parent=town["unit"].parent
        )
        for n in range(4)
    ]
    for unit in extra:
        training_notice_about(manager, unit)
    many, text = queries_for_the_list()

    assert many == few
    for unit in extra:
        assert unit.name in text
        assert reverse("training:unit", args=[unit.code]) in text


def test_more_training_notices_cost_no_more_queries_in_the_digest(town):
    manager = town["unit_manager"]
    first = training_notice_about(manager, town["unit"])
    with CaptureQueriesContext(connection) as one:
        send_digest_email.call(manager.pk, [first.pk])
    extra = [
        training_notice_about(
            manager,
            services.create_unit(
                code=f"TRN-Y{n}", name=f"Extra {n}", kind="enhet", parent=town["unit"].parent
            ),
        )
        for n in range(4)
    ]
    with CaptureQueriesContext(connection) as five:
        send_digest_email.call(manager.pk, [notice.pk for notice in extra])

    assert len(five) == len(one)
    [message] = [m for m in mail.outbox if "Extra 3" in m.body]
    assert all(f"Extra {n}" in message.body for n in range(4))
