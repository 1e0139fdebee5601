"""The demo events: about 560 believable reports in Demo kommun, numbered like real ones."""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from varna.orgs.models import Employment, Unit
from varna.reporting import demo, services
from varna.reporting.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(cast):
    """The demo reports; loaded here (inside the test's transaction) if setup has not."""
    demo.load()
    return Report.objects.filter(unit__code__startswith="DEMO")


def test_demo_adds_about_560_reports_to_demo_kommun_and_a_few_to_grannby(events):
    assert 500 <= events.count() <= 620
    assert 0 < Report.objects.filter(unit__code__startswith="GRANN").count() < 100


def test_loading_the_demo_again_adds_nothing(events):
    before = events.count()
    assert demo.load() is False
    assert events.count() == before


def test_most_events_happen_in_forsorjningsenheten_and_the_unit_before_it(events, cast):
    fse = Unit.objects.subtree_of(cast.unit("DEMO-FSE")) | Unit.objects.filter(code="DEMO-EKB")
    assert events.filter(unit__in=fse).count() > events.count() / 2


def test_events_belong_to_units_that_existed_on_the_day(events):
    for report in events.select_related("unit"):
        assert report.unit.is_active(report.occurred_on), (report.number, report.unit.code)
    units = Counter(events.values_list("unit__code", flat=True))
    vard_och_omsorg = sum(units[code] for code in ["DEMO-BIS", "DEMO-LSS", "DEMO-HEM", "DEMO-SOL"])
    assert units["DEMO-BOU"] > units["DEMO-OFK"] > vard_och_omsorg / 2


def test_harassment_and_threats_are_the_majority_and_corruption_is_rare(events):
    forms = Counter(events.values_list("main_form", flat=True))
    total = sum(forms.values())
    assert (forms["harassment"] + forms["threat"]) / total > 0.75
    assert forms["harassment"] > forms["threat"] > forms["violence"]
    assert 0 < forms["corruption"] / total < 0.05


def test_injury_only_follows_violence_and_about_a_fifth_want_a_police_report(events):
    injured = [form for form, found in events.values_list("main_form", "consequences")
               if "injury" in found]  # fmt: skip
    assert injured and set(injured) == {"violence"}
    assert 0.12 < events.filter(wants_police_report=True).count() / events.count() < 0.3


def test_events_are_fewer_in_july_than_in_october(events):
    months = Counter(day.month for day in events.values_list("occurred_on", flat=True))
    assert months[7] * 2 < months[10]


def test_no_demo_event_is_dated_or_sent_in_the_future(events):
    now = timezone.now()
    today = timezone.localdate(now)
    assert not events.filter(occurred_on__gte=today).exists()
    assert not events.filter(submitted_at__gt=now).exists()
    for occurred_on, submitted_at in events.values_list("occurred_on", "submitted_at"):
        sent_on = timezone.localdate(submitted_at)
        assert occurred_on <= sent_on <= occurred_on + timedelta(days=3)
    assert events.order_by("occurred_on").first().occurred_on >= today - timedelta(days=3 * 366)


def test_the_people_reporting_work_in_the_unit_of_the_event(events):
    employed = set(Employment.objects.values_list("user_id", "unit_id"))
    rows = events.exclude(unit__code="DEMO-EKB").values_list(
        "reporter_id", "affected_id", "unit_id"
    )
    assert all((reporter, unit) in employed and (affected, unit) in employed
               for reporter, affected, unit in rows)  # fmt: skip
    # Before 2025 the same people worked in the unit Försörjningsenheten replaced.
    fse_staff = set(
        Employment.objects.filter(unit__code__startswith="DEMO-FSE").values_list(
            "user_id", flat=True
        )
    )
    earlier = events.filter(unit__code="DEMO-EKB").values_list("reporter_id", flat=True)
    assert earlier and set(earlier) <= fse_staff
    assert any(reporter != affected for reporter, affected, _unit in rows)


def test_numbers_are_unique_and_sequential_per_year_in_submitted_order(events):
    by_year = defaultdict(list)
    # Demo kommun and Grannby share one sequence per year, as real reports do.
    everything = Report.objects.order_by("submitted_at")
    for number in everything.values_list("number", flat=True):
        year, sequence = number.split("-")
        by_year[int(year)].append(int(sequence))
    assert len(by_year) >= 3
    for year, sequences in by_year.items():
        assert sequences == list(range(sequences[0], sequences[0] + len(sequences))), year


def test_next_number_continues_after_the_demo_numbers(events):
    this_year = timezone.localdate().year
    last = max(
        int(number.split("-")[1])
        for number in Report.objects.filter(number__startswith=f"{this_year}-").values_list(
            "number", flat=True
        )
    )
    with transaction.atomic():
        assert services.next_number(this_year) == f"{this_year}-{last + 1:04d}"


def test_old_events_are_closed_and_recent_ones_still_open(events):
    today = timezone.localdate()
    old = events.filter(occurred_on__lt=today - timedelta(days=90))
    assert old.filter(case__state="closed").count() / old.count() > 0.9
    recent = events.filter(occurred_on__gte=today - timedelta(days=14))
    assert recent.exists() and not recent.filter(case__state="closed").exists()
