"""The year plan and training (issue 17, items 8 and 9): the yearly training activity is ticked
off by the completed courses of the unit's staff, not by a note; the introduction of a new
employee lists the courses required of them and the handbook sections marked for it.

Each test makes its own course and requirement and switches the demo's courses off, and works
on next year's plan (the demo holds last year's and this year's), so nothing here depends on
which demo courses, completions or activities there are.
"""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from varna.cases import reminders
from varna.cases.models import Reminder
from varna.handbook.models import Section, SectionVersion
from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Employment, Unit, User
from varna.training import coverage
from varna.training.models import Completion, Course, Requirement
from varna.training.signals import completions_added
from varna.yearplan import services
from varna.yearplan.defaults import DEFAULTS
from varna.yearplan.models import Activity, ActivityEvent, ActivityTemplate, Kind

NEXT = timezone.localdate().year + 1
IN_PERIOD = date(NEXT, 3, 2)
TRAINING_TITLE = "Repetitionsutbildning i bemötande och säkerhet"


@pytest.fixture
def course(cast) -> Course:
    """The only active course: the basic course, required of all staff of Demo kommun within
    three months of starting, valid for three years."""
    Course.objects.update(is_active=False)
    made = Course.objects.create(
        municipality=cast.unit("DEMO"),
        code="grund-test",
        name="Grundkurs i hot och våld (test)",
        name_en="Basic course on threats and violence (test)",
        validity_months=36,
    )
    Requirement.objects.create(course=made, within_months=3)
    return made


def staff(unit: Unit, day: date) -> list[int]:
    """The people employed in the unit's subtree on `day`, as coverage counts them."""
    return sorted(
        set(
            Employment.objects.filter(tree.subtree_q(unit.path, "unit__path"))
            .exclude(start_date__gt=day)
            .exclude(end_date__lt=day)
            .values_list("user_id", flat=True)
        )
    )


def complete(course: Course, people: list[int], on: date) -> None:
    Completion.objects.bulk_create(
        [
            Completion(person_id=person, course=course, completed_on=on, source="manager")
            for person in people
        ]
    )


def training_activity(code: str) -> Activity:
    """Next year's default training activity of the unit (generated if missing)."""
    unit = Unit.objects.get(code=code)
    services.generate_year(unit, NEXT)
    return Activity.objects.get(
        unit=unit, template__title=TRAINING_TITLE, template__municipality=None, due_on__year=NEXT
    )


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(6, 0)))


# Ticked off by real completions ----------------------------------------------------------------


def test_the_activity_is_ticked_off_when_every_required_course_is_valid(cast, course):
    activity = training_activity("DEMO-FSE1")
    people = staff(cast.unit("DEMO-FSE1"), IN_PERIOD)
    assert len(people) > 3  # the work group below the enhet counts too
    # One completed long ago still runs out in the period ("expiring"), which is valid too.
    complete(course, people[:1], date(NEXT - 3, 4, 1))
    complete(course, people[1:], date(NEXT - 1, 1, 10))
    total = coverage.coverage(cast.unit("DEMO-FSE1"), IN_PERIOD).total
    assert (total.staff, total.covered, total.expiring) == (len(people), len(people), 1)

    ticked = services.record_training(cast.unit("DEMO-FSE1"), today=IN_PERIOD, at=at(IN_PERIOD))

    assert ticked is not None and ticked.pk == activity.pk
    activity.refresh_from_db()
    assert activity.is_done and activity.done_by is None and activity.done_at == at(IN_PERIOD)
    [event] = activity.events.all()
    assert (event.kind, event.actor) == (ActivityEvent.Kind.TRAINING, None)
    # The note says how many, in the installation's language whatever the request's.
    assert str(len(people)) in event.note and IN_PERIOD.isoformat() in event.note
    assert activity.note == event.note
    # Its reminder is dropped, and a second run does not tick it again (it may tick an
    # earlier year's activity still open, late).
    assert not Reminder.objects.filter(activity=activity, cancelled_at=None).exists()
    again = services.record_training(cast.unit("DEMO-FSE1"), today=IN_PERIOD, at=at(IN_PERIOD))
    assert again is None or again.due_on < activity.period_start
    assert activity.events.count() == 1


def test_one_person_overdue_keeps_the_activity_open(cast, course):
    activity = training_activity("DEMO-FSE1")
    people = staff(cast.unit("DEMO-FSE1"), IN_PERIOD)
    complete(course, people[1:], date(NEXT - 1, 1, 10))
    total = coverage.coverage(cast.unit("DEMO-FSE1"), IN_PERIOD).total
    assert total.overdue == 1 and total.covered == len(people) - 1

    assert (
        services.record_training(cast.unit("DEMO-FSE1"), today=IN_PERIOD, at=at(IN_PERIOD)) is None
    )
    activity.refresh_from_db()
    assert not activity.is_done and not activity.events.exists()

    # Their completion arrives: the next day's run ticks it off.
    complete(course, people[:1], IN_PERIOD)
    assert services.tick_training(IN_PERIOD, at=at(IN_PERIOD)) >= 1
    activity.refresh_from_db()
    assert activity.is_done


def test_a_unit_with_nobody_required_is_not_ticked_by_an_empty_coverage(cast, course):
    """All valid of nothing is not all valid: a unit without staff is never ticked off."""
    Requirement.objects.filter(course=course).update(unit_kind="namnd")
    activity = training_activity("DEMO-FSE1")
    assert coverage.coverage(cast.unit("DEMO-FSE1"), IN_PERIOD).total.staff == 0
    assert (
        services.record_training(cast.unit("DEMO-FSE1"), today=IN_PERIOD, at=at(IN_PERIOD)) is None
    )
    activity.refresh_from_db()
    assert not activity.is_done


def test_before_the_period_nothing_is_ticked_and_after_it_the_overdue_one_is_late(cast, course):
    activity = training_activity("DEMO-FSE1")
    people = staff(cast.unit("DEMO-FSE1"), IN_PERIOD)
    complete(course, people, date(NEXT - 1, 1, 10))
    before = date(NEXT - 1, 12, 30)
    services.record_training(cast.unit("DEMO-FSE1"), today=before, at=at(before))
    activity.refresh_from_db()
    assert not activity.is_done
    # After the period the activity is overdue; once nobody is overdue it is ticked, late.
    after = date(NEXT + 1, 1, 5)
    assert coverage.coverage(cast.unit("DEMO-FSE1"), after).total.share == 1
    # One a run, the earliest overdue first (the demo's earlier years may still be open).
    ticked = []
    for _run in range(5):
        done = services.record_training(cast.unit("DEMO-FSE1"), today=after, at=at(after))
        if done is None:
            break
        ticked.append(done.due_on)
    assert ticked == sorted(ticked) and activity.due_on in ticked
    activity.refresh_from_db()
    assert activity.is_done and activity.done_at == at(after) and activity.due_on < after


def test_a_new_employee_within_their_grace_does_not_hold_the_activity_up(cast, course):
    activity = training_activity("DEMO-FSE1")
    people = staff(cast.unit("DEMO-FSE1"), IN_PERIOD)
    complete(course, people[1:], date(NEXT - 1, 1, 10))
    Employment.objects.filter(user_id=people[0]).update(start_date=IN_PERIOD - timedelta(days=20))
    total = coverage.coverage(cast.unit("DEMO-FSE1"), IN_PERIOD).total
    assert (total.new, total.overdue) == (1, 0)

    ticked = services.record_training(cast.unit("DEMO-FSE1"), today=IN_PERIOD, at=at(IN_PERIOD))

    assert ticked is not None
    activity.refresh_from_db()
    assert activity.is_done and "nyanställda" in activity.note


def test_the_signal_after_registering_ticks_off_the_activity_above_the_work_group(cast, course):
    """Training sends completions_added with the units where the people work; the year plan
    ticks off the enhet's activity above the work group."""
    activity = training_activity("DEMO-FSE1")
    other = training_activity("DEMO-FSE2")
    # Everyone in both enheter holds the course: only the units named are looked at.
    people = staff(cast.unit("DEMO-FSE"), IN_PERIOD)
    complete(course, people, date(NEXT - 1, 1, 10))
    assert coverage.coverage(cast.unit("DEMO-FSE2"), IN_PERIOD).total.share == 1

    completions_added.send(sender=Completion, units=[cast.unit("DEMO-FSE1A")], today=IN_PERIOD)

    activity.refresh_from_db()
    assert activity.is_done
    assert activity.events.get().kind == ActivityEvent.Kind.TRAINING
    other.refresh_from_db()
    assert not other.is_done


def test_registering_the_last_completions_ticks_off_this_years_activity(cast, course):
    """Through the training service, as a manager registers: its signal reaches the year plan,
    which ticks off the unit's activity of this year the same day."""
    from varna.training.services import register_completions

    today = timezone.localdate()
    unit = cast.unit("DEMO-FSE1")
    services.generate_year(unit, today.year)
    activity = Activity.objects.get(
        unit=unit,
        template__title=TRAINING_TITLE,
        template__municipality=None,
        due_on__year=today.year,
    )
    if activity.is_done:
        services.reopen_activity(activity, by=cast["enhetschef"], reason="Test från början.")
    people = staff(unit, today)
    complete(course, people[1:], date(today.year - 1, 6, 1))
    assert services.tick_training(today) == 0  # one person still lacks it

    register_completions(
        course=course,
        people=User.objects.filter(pk=people[0]),
        completed_on=today,
        by=cast["enhetschef"],
    )

    activity.refresh_from_db()
    assert activity.is_done and activity.done_by is None
    assert activity.events.last().kind == ActivityEvent.Kind.TRAINING


def test_the_daily_reminder_run_ticks_training(cast, course, monkeypatch):
    """The worker's daily run calls tick_training with its day."""
    Reminder.objects.filter(claimed_at=None, cancelled_at=None).update(cancelled_at=timezone.now())
    called = []
    monkeypatch.setattr(
        services, "tick_training", lambda today, *, at=None: called.append(today) or 0
    )
    monkeypatch.setattr(services, "keep_generated", lambda today: 0)
    now = timezone.make_aware(datetime.combine(timezone.localdate(), time(23, 0)))
    reminders.tick(now)
    assert called == [timezone.localdate(now)]


# Marking done by hand ------------------------------------------------------------------------


def test_marking_a_training_activity_done_by_hand_is_refused_where_training_is_required(
    cast, course
):
    activity = training_activity("DEMO-FSE1")
    client = cast.client("enhetschef")
    url = reverse("yearplan:activity", args=[activity.code])
    response = client.get(url)
    # The page shows the coverage and where to register, not the form.
    assert 'name="step" value="done"' not in response.text
    assert reverse("training:unit", args=["DEMO-FSE1"]) in response.text
    total = coverage.coverage(cast.unit("DEMO-FSE1"), timezone.localdate()).total
    assert total.staff and response.context["training"] == total
    assert 'id="training-title"' in response.text
    assert 'class="notice"' not in response.text  # the period is still running
    # Who may not see the unit's training gets the coverage but no link.
    rep = cast.client("skyddsombud").get(url)
    assert rep.context["training"] == total
    assert reverse("training:unit", args=["DEMO-FSE1"]) not in rep.text

    response = client.post(url, {"step": "done", "note": "Alla gick kursen på APT."})
    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert str(message) == services.by_training_message()
    activity.refresh_from_db()
    assert not activity.is_done and not activity.events.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(ValidationError) as refused:
        services.complete_activity(activity, by=cast["enhetschef"], note="Gjort.")
    assert refused.value.code == "training"


def test_last_years_activity_is_ticked_late_by_the_daily_run_once_nobody_is_overdue(cast, course):
    """The period is over and someone was overdue: no note can tick it off, completions can."""
    today = timezone.localdate()
    unit = cast.unit("DEMO-FSE1")
    services.generate_year(unit, today.year - 1)
    activity = Activity.objects.get(
        unit=unit,
        template__title=TRAINING_TITLE,
        template__municipality=None,
        due_on__year=today.year - 1,
    )
    if activity.is_done:
        services.reopen_activity(activity, by=cast["enhetschef"], reason="Test från början.")
    response = cast.client("enhetschef").get(reverse("yearplan:activity", args=[activity.code]))
    assert response.context["training"] is not None
    assert 'name="step" value="done"' not in response.text
    if response.context["training"].overdue:
        assert 'class="notice"' in response.text
    complete(course, staff(unit, today), today)
    # One activity a run: this year's first (its period holds today), then last year's, late.
    for _day in range(3):
        services.tick_training(today)
    activity.refresh_from_db()
    assert activity.is_done


def test_without_requirements_the_training_activity_is_marked_done_by_hand(cast, course):
    Requirement.objects.filter(course=course).update(unit_kind="namnd")
    activity = training_activity("DEMO-FSE1")
    client = cast.client("enhetschef")
    url = reverse("yearplan:activity", args=[activity.code])
    assert 'name="step" value="done"' in client.get(url).text
    response = client.post(url, {"step": "done", "note": "Utbildningsdag i maj."})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.is_done and activity.done_by == cast["enhetschef"]
    assert activity.events.get().kind == ActivityEvent.Kind.DONE


def test_the_default_training_text_says_it_is_ticked_off_by_completions(cast):
    import importlib

    migration = importlib.import_module(
        "varna.yearplan.migrations.0007_training_ticked_by_completions"
    )
    [fields] = [fields for fields in DEFAULTS if fields["title"] == TRAINING_TITLE]
    assert fields["description"] == migration.NEW_DESCRIPTION
    assert "bockas av automatiskt" in fields["description"]
    template = ActivityTemplate.objects.get(municipality=None, title=TRAINING_TITLE)
    assert template.description == fields["description"]


# The introduction checklist -----------------------------------------------------------------


def section(cast, slug: str, title: str, *, introduction: bool, published: bool = True) -> Section:
    made = Section.objects.create(
        municipality=cast.unit("DEMO"),
        slug=slug,
        kind=Section.Kind.ROUTINE,
        in_introduction=introduction,
    )
    version = SectionVersion.objects.create(
        section=made,
        status="published" if published else "draft",
        number=1 if published else None,
        title=title,
        body=f"# {title}",
        html=f"<h1>{title}</h1>",
        published_at=timezone.now() if published else None,
    )
    if published:
        made.current = version
        made.save()
    return made


def test_the_introduction_lists_the_required_courses_and_the_handbook_sections(cast, course):
    newcomer = User.objects.create(username="ny.introduktion", first_name="Nyis", last_name="Test")
    start = date(NEXT, 3, 2)
    org_services.employ(user=newcomer, unit=cast.unit("DEMO-FSE1A"), start_date=start)
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = Activity.objects.get(employment__user=newcomer, kind=Kind.INTRODUCTION)
    kept = section(cast, "intro-larm-test", "Larm och hot i receptionen", introduction=True)
    section(cast, "inte-intro-test", "Något annat helt", introduction=False)
    section(cast, "utkast-intro-test", "Ett utkast bara", introduction=True, published=False)

    page = cast.client("enhetschef").get(reverse("yearplan:activity", args=[activity.code])).text

    assert course.name in page
    # Still to come: due three months after the first day.
    assert date(NEXT, 6, 2).isoformat() in page
    assert "Larm och hot i receptionen" in page
    assert reverse("handbook:section", args=["DEMO", kept.slug]) in page
    assert "Något annat helt" not in page and "Ett utkast bara" not in page

    # The safety representative sees what the introduction covers, not where the person stands.
    rep = cast.client("skyddsombud").get(reverse("yearplan:activity", args=[activity.code]))
    assert rep.status_code == 200
    assert course.name in rep.text and "Larm och hot i receptionen" in rep.text
    assert date(NEXT, 6, 2).isoformat() not in rep.text


def test_an_introduction_with_nothing_required_says_so(cast, course):
    Requirement.objects.filter(course=course).update(unit_kind="namnd")
    newcomer = User.objects.create(username="ny.ingenting", first_name="Nyis", last_name="Tom")
    org_services.employ(user=newcomer, unit=cast.unit("DEMO-FSE1A"), start_date=date(NEXT, 2, 1))
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    activity = Activity.objects.get(employment__user=newcomer, kind=Kind.INTRODUCTION)
    page = cast.client("enhetschef").get(reverse("yearplan:activity", args=[activity.code])).text
    assert course.name not in page
    assert page.count("<h1") == 1
    assert 'id="introduction-title"' in page


def test_the_demo_shows_a_training_activity_ticked_off_by_completions(cast):
    from varna.yearplan.models import Activity, ActivityEvent

    ticked = Activity.objects.filter(
        unit__code="DEMO-SAK", kind="training", status=Activity.Status.DONE
    )
    assert ticked.exists()
    assert set(
        ActivityEvent.objects.filter(activity__in=ticked).values_list("kind", flat=True)
    ) == {ActivityEvent.Kind.TRAINING}
