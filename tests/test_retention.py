"""Retention and destruction (varna.records.retention): the periods, the daily job, the pages.

Every test makes its own reports and cases through the services under a controlled clock in
2010-2014, long before any demo event (the demo's clocks start three years before today), and
passes the job's clock explicitly (`now=`): the demo is never due, so each test sees only what
it made. Attachment files go to an in-memory storage.
"""

import hashlib
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.cases import services as case_services
from varna.cases.models import ActorDetails, Case, CaseEvent
from varna.core.perturbation import Tally, publish
from varna.orgs.models import User
from varna.records import retention, tasks
from varna.records.models import DestructionBatch, DestructionRun, Kind, RetentionPeriod
from varna.reporting.models import Attachment, Draft, Notification, ReadLog, Report
from varna.reporting.services import record_read, save_draft, submit_report
from varna.stats import selectors
from varna.stats import services as stats_services
from varna.stats.figures import Chosen
from varna.stats.models import MonthlyCount, RetiredEvent, SubtreeMonthlyCount, SubtreeYearlyCount
from varna.stats.periods import period_of

SECRET = "Klienten sa att han vet var Sara bor"
BASIS = "Informationshanteringsplan för socialnämnden, dnr 2011/42"


# Helpers ----------------------------------------------------------------------------------


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An aware moment on the Swedish wall clock."""
    return timezone.make_aware(datetime(year, month, day, hour, minute))


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock that `timezone.now()` (and so every service and auto_now) reads."""

    def set_clock(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_clock


@pytest.fixture
def storage(monkeypatch) -> InMemoryStorage:
    store = InMemoryStorage()
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", store)
    return store


def attach(report: Report, part: str) -> Attachment:
    data = f"{part} {uuid.uuid4()}".encode()
    return Attachment.objects.create(
        report=report,
        part=part,
        file=ContentFile(data, name="x.png"),
        label="Skärmbild",
        content_type="image/png",
        extension=".png",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def make_case(
    cast,
    clock,
    at: datetime,
    *,
    closed: bool = True,
    not_unlawful: bool = False,
    actor: bool = False,
    files: tuple[str, ...] = (),
) -> Case:
    """A report by the employee at `at`, its case closed at the same moment unless `closed`
    is False (the shortest valid way: no measures, no police report)."""
    clock(at)
    forste = cast["forste"]
    report, _created = submit_report(
        reporter=cast["medarbetare"],
        data={
            "main_form": "threat",
            "occurred_on": timezone.localdate(),
            "unit": cast.unit("DEMO-FSE1A"),
            "description": SECRET,
        },
        idempotency_key=uuid.uuid4(),
    )
    case = Case.objects.get(pk=report.pk)
    if actor:
        case_services.save_actor(case, by=forste, data={"name": "Klienten", "description": SECRET})
    for part in files:
        attach(report, part)
    if closed and not_unlawful:
        case_services.close_not_unlawful(case, by=forste, reason="Ett överklagande av beslutet")
    elif closed:
        case_services.acknowledge(case, by=forste)
        case_services.save_investigation(
            case, by=forste, data={"what_happened": "Hot i receptionen", "recurrence_risk": "low"}
        )
        case_services.finish_investigation(case, by=forste)
        case_services.decide_measures(case, by=forste, no_measures_reason="Rutinen följdes")
        case_services.follow_up(case, by=forste, note="Medarbetaren mår bra")
        case_services.record_police(
            case,
            by=forste,
            data={"police_decision": "no_report", "police_no_report_reason": "Inget brott"},
        )
        case_services.close(case, by=forste, outcome="Avslutat")
    return Case.objects.get(pk=report.pk)


def plan(cast, **months: int) -> None:
    """Demo kommun's own periods for the given kinds, set on the real clock: later than the
    demo's plan, so they are the ones in force whatever the test's clock says."""
    for kind, count in months.items():
        retention.set_period(
            municipality=cast.unit("DEMO"),
            kind=kind,
            months=count,
            basis=BASIS,
            by=cast["admin"],
            now=datetime.now(UTC),
        )


def run(at: datetime) -> retention.RunResult:
    return retention.run_destruction(now=at)


def exists(case: Case) -> bool:
    return Report.objects.filter(pk=case.pk).exists()


def rollups() -> list[list[tuple]]:
    return [
        sorted(
            model.objects.values_list(
                *[field.attname for field in model._meta.concrete_fields if field.name != "id"]
            )
        )
        for model in (MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount)
    ]


def refused(call, code: str) -> ValidationError:
    with translation.override("en"), pytest.raises(ValidationError) as info:
        call()
    assert info.value.code == code or code in {
        error.code for errors in getattr(info.value, "error_dict", {}).values() for error in errors
    }, info.value
    return info.value


# 1. Periods -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_plan_the_installations_defaults_apply(cast, settings):
    settings.VARNA_RETENTION_DEFAULTS = {**settings.VARNA_RETENTION_DEFAULTS, "actor": 30}
    periods = retention.current_periods(cast.unit("GRANN"))
    assert list(periods) == retention.MUNICIPAL_KINDS
    assert periods[Kind.ACTOR].months == 30 and periods[Kind.ACTOR].rule is None
    assert list(retention.current_periods(None)) == [Kind.DRAFTS, Kind.SECURITY_LOG]


@pytest.mark.django_db
def test_a_new_period_is_added_and_the_earlier_ones_stay_as_its_history(cast):
    demo, admin = cast.unit("DEMO"), cast["admin"]
    cases_rule = retention.current_periods(demo)[Kind.CASES].rule
    first = retention.set_period(
        municipality=demo, kind="actor", months=24, basis="Plan 2011", by=admin
    )
    second = retention.set_period(
        municipality=demo, kind="actor", months=18, basis=f"  {BASIS}  ", by=admin
    )
    assert retention.current_periods(demo)[Kind.ACTOR].rule == second
    assert second.basis == BASIS and second.set_by == admin
    assert list(retention.history(demo, "actor"))[:2] == [second, first]
    # Another municipality and another kind are untouched.
    assert retention.current_periods(cast.unit("GRANN"))[Kind.ACTOR].rule is None
    assert retention.current_periods(demo)[Kind.CASES].rule == cases_rule
    logged = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RETENTION_CHANGED)
    assert logged.latest("pk").actor == admin
    assert logged.latest("pk").detail == {
        "municipality": "DEMO",
        "kind": "actor",
        "months": 18,
        "before": 24,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("months", "basis", "field", "code"),
    [
        (0, BASIS, "months", "too_short"),
        (-6, BASIS, "months", "too_short"),
        (12_000, BASIS, "months", "too_long"),  # 1,000 years
        (1_201, BASIS, "months", "too_long"),
        (None, BASIS, "months", "required"),
        (24, "", "basis", "required"),
        (24, "   ", "basis", "required"),
        (24, "x" * 301, "basis", "max_length"),
    ],
)
def test_a_bad_period_is_refused_with_a_message_and_nothing_stored(
    cast, months, basis, field, code
):
    periods, events = RetentionPeriod.objects.count(), SecurityEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        retention.set_period(
            municipality=cast.unit("DEMO"),
            kind="cases",
            months=months,
            basis=basis,
            by=cast["admin"],
        )
    [error] = info.value.error_dict[field]
    assert error.code == code
    assert RetentionPeriod.objects.count() == periods
    assert SecurityEvent.objects.count() == events


@pytest.mark.django_db
def test_one_hundred_years_and_one_month_are_the_limits(cast):
    for months in (1, 1_200):
        plan(cast, cases=months)
        assert retention.current_periods(cast.unit("DEMO"))[Kind.CASES].months == months


@pytest.mark.django_db
def test_drafts_and_the_security_log_have_one_rule_for_the_installation(cast):
    admin = cast["admin"]
    retention.set_period(municipality=None, kind="drafts", months=3, basis=BASIS, by=admin)
    assert retention.current_periods(None)[Kind.DRAFTS].months == 3
    for municipality, kind in [(cast.unit("DEMO"), "drafts"), (None, "cases")]:
        with pytest.raises(ValueError):
            retention.set_period(
                municipality=municipality, kind=kind, months=3, basis=BASIS, by=admin
            )
    with pytest.raises(ValueError):  # a plan is a whole municipality's
        retention.set_period(
            municipality=cast.unit("DEMO-ALF"), kind="cases", months=3, basis=BASIS, by=admin
        )


def test_the_cutoff_agrees_with_the_due_day_on_every_day_including_month_ends():
    for months in (1, 13, 24):
        for day in (date(2031, 1, 1) + timedelta(days=n) for n in range(0, 400, 1)):
            centre = day - timedelta(days=round(months * 30.44))
            limit = retention.cutoff(day, months)
            for offset in range(-4, 5):
                for hour, minute in ((0, 0), (23, 59)):
                    start = centre + timedelta(days=offset)
                    moment = local(start.year, start.month, start.day, hour, minute)
                    assert (retention.due_day(moment, months) <= day) == (moment < limit), (
                        months,
                        day,
                        moment,
                    )


# 2. The job: what goes when ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_actor_part_goes_first_then_the_attachments_then_the_case_each_on_its_day(
    cast, clock, storage, django_capture_on_commit_callbacks
):
    plan(cast, actor=12, attachments=24, cases=36)
    case = make_case(cast, clock, local(2011, 3, 15, 10), actor=True, files=("report", "actor"))
    names = dict(Attachment.objects.filter(report=case.pk).values_list("part", "file"))

    def left() -> tuple:
        return (
            ActorDetails.objects.filter(case=case.pk).exists(),
            sorted(Attachment.objects.filter(report=case.pk).values_list("part", flat=True)),
            sorted(part for part, name in names.items() if storage.exists(name)),
            exists(case),
        )

    whole = (True, ["actor", "report"], ["actor", "report"], True)
    with django_capture_on_commit_callbacks(execute=True):
        run(local(2012, 3, 14, 23, 59))
    assert left() == whole
    with django_capture_on_commit_callbacks(execute=True):
        run(local(2012, 3, 15, 0, 1))
    assert left() == (False, ["report"], ["report"], True)
    with django_capture_on_commit_callbacks(execute=True):
        run(local(2013, 3, 14, 23, 59))
    assert left() == (False, ["report"], ["report"], True)
    with django_capture_on_commit_callbacks(execute=True):
        run(local(2013, 3, 15, 0, 1))
    assert left() == (False, [], [], True)
    # The handler who opens the case finds a line saying where each part went.
    destroyed = CaseEvent.objects.filter(case=case.pk, kind=CaseEvent.Kind.DESTROYED)
    assert destroyed.count() == 2
    run(local(2014, 3, 14, 23, 59))
    assert exists(case)
    run(local(2014, 3, 15, 0, 1))
    assert not exists(case)
    assert not Case.objects.filter(pk=case.pk).exists()
    batches = DestructionBatch.objects.filter(municipality=cast.unit("DEMO")).exclude(
        kind="notifications"  # those of the new report, a year after they were sent
    )
    assert sorted(batches.values_list("run__day", "kind", "count")) == [
        (date(2012, 3, 15), "actor", 1),
        (date(2013, 3, 15), "attachments", 1),
        (date(2014, 3, 15), "cases", 1),
    ]


@pytest.mark.django_db
def test_a_case_whose_period_ends_first_takes_its_actor_part_and_files_along(cast, clock, storage):
    plan(cast, actor=36, attachments=60, cases=12)
    case = make_case(cast, clock, local(2011, 3, 15), actor=True, files=("actor",))
    run(local(2012, 3, 15, 1))
    assert not exists(case)
    assert not ActorDetails.objects.filter(case=case.pk).exists()
    assert not Attachment.objects.filter(report=case.pk).exists()


@pytest.mark.django_db
def test_a_case_found_not_to_be_unlawful_follows_its_own_period(cast, clock):
    plan(cast, not_unlawful=24, cases=120)
    lawful = make_case(cast, clock, local(2011, 3, 15), not_unlawful=True)
    unlawful = make_case(cast, clock, local(2011, 3, 15))
    run(local(2013, 3, 14, 23))
    assert exists(lawful) and exists(unlawful)
    result = run(local(2013, 3, 15, 1))
    assert not exists(lawful) and exists(unlawful)
    assert result.destroyed[("DEMO", "not_unlawful")] == 1
    assert ("DEMO", "cases") not in result.destroyed


@pytest.mark.django_db
def test_an_open_case_is_never_destroyed_but_its_notifications_and_reads_are(cast, clock):
    plan(cast, cases=1, not_unlawful=1, actor=1, attachments=1, notifications=1, read_log=1)
    case = make_case(cast, clock, local(2010, 3, 15), closed=False, actor=True)
    record_read(user=cast["forste"], report=case.report, part="case", role="manager")
    assert Notification.objects.filter(report=case.pk).exists()
    run(local(2014, 1, 1))
    assert exists(case) and ActorDetails.objects.filter(case=case.pk).exists()
    assert not Notification.objects.filter(report=case.pk).exists()
    assert not ReadLog.objects.filter(report=case.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "months", "due"),
    [
        ("notifications", 12, date(2012, 5, 10)),
        ("read_log", 36, date(2014, 5, 10)),
        ("drafts", 1, date(2011, 6, 10)),
        ("security_log", 24, date(2013, 5, 10)),
    ],
)
def test_logs_notifications_and_drafts_go_by_their_own_clock_on_the_day(
    cast, clock, kind, months, due
):
    made = local(2011, 5, 10, 9)
    clock(made)
    forste = cast["forste"]
    case = make_case(cast, clock, made, closed=False)
    record_read(user=forste, report=case.report, part="case", role="manager")
    draft = save_draft(user=forste, data={"description": "Halvfärdig"})
    event = record_security_event(kind=SecurityEvent.Kind.LOGIN, subject=forste)
    rows = {
        "notifications": Notification.objects.filter(report=case.pk),
        "read_log": ReadLog.objects.filter(report=case.pk),
        "drafts": Draft.objects.filter(pk=draft.pk),
        "security_log": SecurityEvent.objects.filter(pk=event.pk),
    }[kind]
    if kind in ("drafts", "security_log"):
        retention.set_period(municipality=None, kind=kind, months=months, basis=BASIS, by=forste)
    else:
        plan(cast, **{kind: months})
    count = rows.count()
    assert count
    before = due - timedelta(days=1)
    run(local(before.year, before.month, before.day, 23, 59))
    assert rows.count() == count
    result = run(local(due.year, due.month, due.day, 0, 30))
    assert rows.count() == 0
    assert exists(case)
    owner = "" if kind in ("drafts", "security_log") else "DEMO"
    assert result.destroyed[(owner, kind)] >= count


@pytest.mark.django_db
def test_notifications_that_belong_to_no_municipality_follow_the_installations_default(
    cast, clock, settings
):
    settings.VARNA_RETENTION_DEFAULTS = {**settings.VARNA_RETENTION_DEFAULTS, "notifications": 6}
    clock(local(2011, 2, 1))
    request = case_services.request_measures(
        by=cast["skyddsombud"], unit=cast.unit("DEMO-FSE1A"), demand="Larm i receptionen"
    )
    notes = Notification.objects.filter(report=None, activity=None, plan_measure=None)
    notes = notes.filter(created_at=local(2011, 2, 1))
    assert notes.exists() and request.pk
    run(local(2011, 7, 31))
    assert notes.exists()
    result = run(local(2011, 8, 1))
    assert not notes.exists()
    batch = DestructionBatch.objects.get(run__day=date(2011, 8, 1), kind="notifications")
    assert (batch.municipality, batch.months, batch.rule) == (None, 6, None)
    assert result.destroyed[("", "notifications")] == batch.count


# 3. Legal hold ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_under_legal_hold_is_kept_whole_until_the_hold_is_lifted(cast, clock, storage):
    plan(cast, actor=12, attachments=12, cases=12)
    case = make_case(cast, clock, local(2011, 3, 15), actor=True, files=("report", "actor"))
    clock(local(2011, 6, 1))
    case_services.set_hold(case, by=cast["forste"], reason="Polisens förundersökning K-123")
    run(local(2013, 1, 10))
    assert exists(case)
    assert ActorDetails.objects.filter(case=case.pk).exists()
    assert Attachment.objects.filter(report=case.pk).count() == 2
    clock(local(2013, 1, 10, 15))
    case_services.lift_hold(case, by=cast["forste"], reason="Domen har vunnit laga kraft")
    run(local(2013, 1, 11))
    assert not exists(case)


@pytest.mark.django_db
def test_destroying_a_held_case_directly_is_refused_and_changes_nothing(cast, clock, storage):
    plan(cast, actor=12, attachments=12, cases=12)
    case = make_case(cast, clock, local(2011, 3, 15), actor=True, files=("actor",))
    case_services.set_hold(case, by=cast["forste"], reason="Arbetsskadeärende hos FK")
    attachment = Attachment.objects.get(report=case.pk)
    now = local(2013, 1, 10)
    day = DestructionRun.objects.create(day=now.date(), started_at=now)
    retired = RetiredEvent.objects.count()
    for kind, ids in [
        (Kind.CASES, [case.pk]),
        (Kind.ACTOR, [case.pk]),
        (Kind.ATTACHMENTS, [attachment.pk]),
    ]:
        error = refused(
            lambda kind=kind, ids=ids: retention.destroy(
                run=day, municipality=cast.unit("DEMO"), kind=kind, ids=ids, now=now
            ),
            "on_hold",
        )
        assert case.report.number in error.messages[0]
    assert exists(case) and ActorDetails.objects.filter(case=case.pk).exists()
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert not DestructionBatch.objects.filter(run=day).exists()
    assert RetiredEvent.objects.count() == retired


@pytest.mark.django_db
def test_destroying_an_open_case_or_one_not_yet_due_is_refused(cast, clock):
    plan(cast, cases=12)
    open_case = make_case(cast, clock, local(2011, 3, 15), closed=False)
    closed = make_case(cast, clock, local(2011, 3, 15))
    now = local(2012, 3, 14)
    day = DestructionRun.objects.create(day=now.date(), started_at=now)
    demo = cast.unit("DEMO")

    def destroy(case: Case):
        return lambda: retention.destroy(
            run=day, municipality=demo, kind=Kind.CASES, ids=[case.pk], now=now
        )

    refused(destroy(open_case), "open")
    refused(destroy(closed), "not_due")
    # Due in Demo kommun a year later, but not another municipality's to destroy.
    later = local(2013, 1, 10)
    refused(
        lambda: retention.destroy(
            run=day, municipality=cast.unit("GRANN"), kind=Kind.CASES, ids=[closed.pk], now=later
        ),
        "not_due",
    )
    assert exists(open_case) and exists(closed)
    assert not DestructionBatch.objects.filter(run=day).exists()


# 4. Two workers, one destruction ------------------------------------------------------------


@pytest.mark.django_db
def test_two_workers_on_the_same_day_destroy_each_thing_once(cast, clock):
    case = make_case(cast, clock, local(2011, 3, 15), not_unlawful=True)
    retired = RetiredEvent.objects.count()
    first = run(local(2013, 3, 15, 2))
    second = run(local(2013, 3, 15, 2, 1))
    assert first.claimed and not second.claimed
    assert "another worker" in str(second)
    assert not exists(case)
    assert RetiredEvent.objects.count() == retired + 1
    assert DestructionRun.objects.filter(day=date(2013, 3, 15)).count() == 1
    assert DestructionBatch.objects.get(run__day=date(2013, 3, 15), kind="not_unlawful").count == 1
    assert DestructionRun.objects.get(day=date(2013, 3, 15)).finished_at == local(2013, 3, 15, 2)


@pytest.mark.django_db
def test_a_second_worker_starting_while_the_first_destroys_does_nothing(cast, clock, monkeypatch):
    case = make_case(cast, clock, local(2011, 3, 15), not_unlawful=True)
    original = retention._destroy_due
    seconds: list[retention.RunResult] = []

    def destroy_due(run_row, municipality, kind, now):
        if not seconds:  # the other worker starts in the middle of the first one's run
            seconds.append(run(local(2013, 3, 15, 2, 5)))
        return original(run_row, municipality, kind, now)

    monkeypatch.setattr(retention, "_destroy_due", destroy_due)
    first = run(local(2013, 3, 15, 2))
    assert first.claimed and [result.claimed for result in seconds] == [False]
    assert first.destroyed[("DEMO", "not_unlawful")] == 1
    assert not exists(case)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database is shared-cache: a second writer fails at once, "
    "so real threads cannot run there; the interleaving above covers SQLite.",
)
def test_two_threads_running_the_same_day_at_once_destroy_each_thing_once(
    django_db_setup, django_db_blocker, monkeypatch
):
    """Real concurrency needs committed rows both threads' connections see: this test commits
    its own security events (nothing of the demo is due in 2014) and removes what is left."""
    day = date(2014, 6, 2)
    with django_db_blocker.unblock():
        made = [
            record_security_event(kind=SecurityEvent.Kind.LOGIN_FAILED, username=f"test-{n}")
            for n in range(3)
        ]
        mine = SecurityEvent.objects.filter(pk__in=[event.pk for event in made])
        mine.update(created_at=local(2011, 1, 10))
        barrier = threading.Barrier(2, timeout=20)
        original = retention._claim

        def claim(on, now):
            barrier.wait()  # both try to claim the day at the same moment
            return original(on, now)

        monkeypatch.setattr(retention, "_claim", claim)
        results: list[retention.RunResult] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append(retention.run_destruction(now=local(2014, 6, 2, 2)))
            except BaseException as error:
                errors.append(error)
                barrier.abort()
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not errors, errors
            assert sorted(result.claimed for result in results) == [False, True]
            assert not mine.exists()
            [batch] = DestructionBatch.objects.filter(run__day=day)
            assert (batch.kind, batch.municipality, batch.count) == ("security_log", None, 3)
        finally:
            DestructionBatch.objects.filter(run__day=day).delete()
            DestructionRun.objects.filter(day=day).delete()
            mine.delete()


@pytest.mark.django_db
def test_runs_on_consecutive_days_do_not_destroy_twice(cast, clock):
    cases = [make_case(cast, clock, local(2011, 3, 15), not_unlawful=True) for _ in range(3)]
    retired = RetiredEvent.objects.count()
    first = run(local(2013, 3, 15, 2))
    second = run(local(2013, 3, 16, 2))
    assert first.claimed and second.claimed
    assert first.destroyed[("DEMO", "not_unlawful")] == 3
    assert ("DEMO", "not_unlawful") not in second.destroyed
    assert not any(exists(case) for case in cases)
    assert RetiredEvent.objects.count() == retired + 3
    assert not DestructionBatch.objects.filter(run__day=date(2013, 3, 16)).exists()


@pytest.mark.django_db
def test_the_job_works_in_chunks_and_logs_one_batch_per_kind(cast, clock, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    cases = [make_case(cast, clock, local(2011, 3, 15), not_unlawful=True) for _ in range(5)]
    run(local(2013, 3, 15, 2))
    assert not any(exists(case) for case in cases)
    batch = DestructionBatch.objects.get(run__day=date(2013, 3, 15), kind="not_unlawful")
    assert batch.count == 5


# 5. Files, batches, statistics -------------------------------------------------------------


@pytest.mark.django_db
def test_files_leave_the_storage_only_when_the_destruction_commits(
    cast, clock, storage, django_capture_on_commit_callbacks, monkeypatch
):
    plan(cast, attachments=12)
    case = make_case(cast, clock, local(2011, 3, 15), files=("report", "case"))
    names = list(Attachment.objects.filter(report=case.pk).values_list("file", flat=True))
    # A destruction that fails halfway keeps the rows and the files.
    real_create = DestructionBatch.objects.create

    def broken(**fields):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DestructionBatch.objects, "create", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        run(local(2012, 3, 15, 2))
    assert Attachment.objects.filter(report=case.pk).count() == 2
    assert all(storage.exists(name) for name in names)
    monkeypatch.setattr(DestructionBatch.objects, "create", real_create)
    with django_capture_on_commit_callbacks() as callbacks:
        run(local(2012, 3, 16, 2))
        assert not Attachment.objects.filter(report=case.pk).exists()
        assert all(storage.exists(name) for name in names)  # not before the commit
    for callback in callbacks:
        callback()
    assert not any(storage.exists(name) for name in names)


@pytest.mark.django_db
def test_a_destroyed_case_takes_all_its_files_along(
    cast, clock, storage, django_capture_on_commit_callbacks
):
    plan(cast, cases=12, attachments=60, actor=60)
    case = make_case(cast, clock, local(2011, 3, 15), files=("report", "actor", "case"))
    names = list(Attachment.objects.filter(report=case.pk).values_list("file", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        run(local(2012, 3, 15, 2))
    assert not exists(case)
    assert not any(storage.exists(name) for name in names)


@pytest.mark.django_db
def test_a_batch_says_kind_count_rule_and_time_and_nothing_of_the_content(cast, clock):
    plan(cast, not_unlawful=12)
    rule = retention.current_periods(cast.unit("DEMO"))[Kind.NOT_UNLAWFUL].rule
    for _ in range(2):
        make_case(cast, clock, local(2011, 3, 15), not_unlawful=True)
    save_draft(user=cast["forste"], data={"description": "Halvfärdig"})  # under the default
    at = local(2012, 3, 15, 2, 30)
    run(at)
    batch = DestructionBatch.objects.get(run__day=date(2012, 3, 15), kind="not_unlawful")
    assert (batch.municipality, batch.count, batch.months, batch.rule, batch.at) == (
        cast.unit("DEMO"),
        2,
        12,
        rule,
        at,
    )
    # The batch's columns are these and no more: nothing says which records, or what they said.
    assert {field.name for field in DestructionBatch._meta.concrete_fields} == {
        "id",
        "run",
        "municipality",
        "kind",
        "count",
        "months",
        "rule",
        "at",
    }
    default = DestructionBatch.objects.get(run__day=date(2012, 3, 15), kind="drafts")
    assert (default.municipality, default.rule, default.months) == (None, None, 1)


def follow_up(cast, who: str, year: int) -> dict[str, list[tuple]]:
    """Every figure of the follow-up of the year of the administration the test's events are
    in, as `who` sees it."""
    board = selectors.dashboard(
        cast[who], Chosen(period=period_of("year", date(year, 6, 1)), unit=cast.unit("DEMO-FSE"))
    )
    shown = {
        key: [(row.label, [cell.value for cell in row.cells]) for row in table.rows]
        for key, table in board.tables.items()
    }
    return {"total": [(board.total.value, board.total.exact, board.reveal)], **shown}


@pytest.mark.django_db
def test_destruction_leaves_the_statistics_as_they_were_and_equal_to_a_full_recount(
    cast, clock, storage
):
    plan(cast, cases=12, not_unlawful=12, actor=6)
    made = [
        make_case(cast, clock, local(2011, 1, 20), actor=True, files=("actor",)),
        make_case(cast, clock, local(2011, 2, 3)),
        make_case(cast, clock, local(2011, 2, 28), not_unlawful=True),
        make_case(cast, clock, local(2011, 4, 9), closed=False),
    ]
    keys = [case.report.record_key for case in made]
    stats_services.fold()
    before = rollups()
    adjusted, exact = follow_up(cast, "analytiker", 2011), follow_up(cast, "forvaltningschef", 2011)
    # The analyst sees the three events counted (not the one found not to be unlawful
    # influence) adjusted by their keys; the manager sees them exactly.
    counted = [keys[0], keys[1], keys[3]]
    assert adjusted["total"] == [(publish(Tally(3, sum(counted))), False, False)]
    assert exact["total"] == [(3, True, True)]
    result = run(local(2012, 3, 1))
    assert result.destroyed[("DEMO", "cases")] == 2
    assert result.destroyed[("DEMO", "not_unlawful")] == 1
    assert [exists(case) for case in made] == [False, False, False, True]
    # What the destroyed events counted for stays, with each one's record key.
    assert sorted(RetiredEvent.objects.values_list("record_key", flat=True)) == sorted(keys[:3])
    assert rollups() == before
    assert follow_up(cast, "analytiker", 2011) == adjusted
    stats_services.fold()
    assert rollups() == before
    stats_services.rebuild()
    assert rollups() == before
    assert follow_up(cast, "analytiker", 2011) == adjusted
    assert follow_up(cast, "forvaltningschef", 2011) == exact


# 6. The preview ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_shows_the_coming_90_days_per_kind_and_the_held_cases_apart(cast, clock):
    plan(cast, not_unlawful=24, actor=36, cases=120)
    make_case(cast, clock, local(2010, 1, 5), not_unlawful=True)  # due already: the next run
    make_case(cast, clock, local(2010, 2, 1), not_unlawful=True)
    make_case(cast, clock, local(2010, 2, 1), not_unlawful=True)
    make_case(cast, clock, local(2010, 5, 1), not_unlawful=True)  # after the 90 days
    held = make_case(cast, clock, local(2010, 3, 1), not_unlawful=True)
    case_services.set_hold(held, by=cast["forste"], reason="Tvist i arbetsdomstolen")
    make_case(cast, clock, local(2009, 2, 1), actor=True)  # the actor part only
    preview = retention.preview(cast.unit("DEMO"), now=local(2012, 1, 10))
    assert (preview.first, preview.last) == (date(2012, 1, 10), date(2012, 4, 9))
    kinds = {item.period.kind: item for item in preview.kinds}
    assert list(kinds) == retention.RUN_ORDER
    assert kinds[Kind.NOT_UNLAWFUL].days == [(date(2012, 1, 10), 1), (date(2012, 2, 1), 2)]
    assert kinds[Kind.NOT_UNLAWFUL].count == 3
    assert kinds[Kind.ACTOR].days == [(date(2012, 2, 1), 1)]
    assert kinds[Kind.CASES].days == []
    assert [(case.number, case.due_on) for case in preview.held] == [
        (held.report.number, date(2012, 3, 1))
    ]


@pytest.mark.django_db
def test_the_preview_matches_what_the_job_then_destroys(cast, clock, storage):
    plan(cast, not_unlawful=24, actor=12, attachments=18, cases=30)
    for at in (local(2010, 1, 20), local(2010, 3, 3), local(2010, 6, 30)):
        make_case(cast, clock, at, actor=True, files=("report", "actor"))
        make_case(cast, clock, at, not_unlawful=True, files=("report",))
    preview = retention.preview(cast.unit("DEMO"), now=local(2011, 12, 20), days=120)
    expected = {
        (day, str(item.period.kind)): count for item in preview.kinds for day, count in item.days
    }
    # The job on each of those days and on the day before each: what it destroys, when.
    due = {day for day, _kind in expected}
    days = sorted(due | {day - timedelta(days=1) for day in due if day > preview.first})
    destroyed: dict[tuple[date, str], int] = {}
    for day in days:
        result = run(local(day.year, day.month, day.day, 2))
        for (owner, kind), count in result.destroyed.items():
            if owner == "DEMO":
                destroyed[(day, kind)] = count
    assert destroyed == expected
    assert any(kind == "actor" for _day, kind in expected)


@pytest.mark.django_db
def test_the_installations_preview_has_drafts_the_security_log_and_unplaced_notifications(
    cast, clock
):
    clock(local(2011, 5, 10))
    save_draft(user=cast["forste"], data={"description": "Halvfärdig"})
    preview = retention.preview(None, now=local(2011, 6, 1))
    kinds = {item.period.kind: item for item in preview.kinds}
    assert list(kinds) == [Kind.DRAFTS, Kind.SECURITY_LOG, Kind.NOTIFICATIONS]
    assert kinds[Kind.DRAFTS].days == [(date(2011, 6, 10), 1)]
    assert preview.held == []


# 7. The task worker -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_nightly_run_is_scheduled_once_for_the_night_and_schedules_the_next(
    cast, monkeypatch, settings
):
    settings.VARNA_DESTRUCTION_HOUR = 2
    DBTaskResult.objects.all().delete()
    call_command("schedule_destruction", stdout=None)
    call_command("schedule_destruction", stdout=None)
    chain = DBTaskResult.objects.filter(task_path=tasks.run_destruction.module_path)
    started = chain.get()  # started once, however often the server starts
    assert started.run_after == tasks.next_run(timezone.now())  # at night, not at the start
    monkeypatch.setattr(
        retention,
        "run_destruction",
        lambda: retention.RunResult(day=date(2031, 3, 11), claimed=True),
    )
    assert tasks.run_destruction.call() == "2031-03-11: destroyed 0 in 0 batches"
    later = chain.exclude(pk=started.pk).get()
    assert later.run_after == tasks.next_run(timezone.now())
    assert tasks.next_run(local(2031, 3, 11, 23, 30)) == local(2031, 3, 12, 2, 0)
    assert tasks.next_run(local(2031, 3, 11, 1, 0)) == local(2031, 3, 11, 2, 0)
    assert tasks.next_run(local(2031, 3, 11, 2, 0)) == local(2031, 3, 12, 2, 0)


@pytest.mark.django_db
def test_destroy_due_runs_the_day_once_for_cron(cast, clock, capsys):
    clock(local(2015, 6, 1, 3))
    call_command("destroy_due")
    call_command("destroy_due")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2015-06-01: destroyed") and "another worker" in out[1]


# 8. The pages -----------------------------------------------------------------------------


def retention_url(code: str = "DEMO", page: str = "", **kwargs: str) -> str:
    return reverse(f"records:retention{page}", kwargs={"code": code, **kwargs})


@pytest.fixture
def superuser(cast) -> User:
    """Demo kommun's administrator made a superuser (an account with no role anywhere may not
    sign in at all)."""
    user = cast["admin"]
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.mark.django_db
def test_the_municipalitys_administrator_sees_its_periods_batches_and_preview(cast, clock):
    plan(cast, actor=18)
    make_case(cast, clock, local(2011, 3, 15), not_unlawful=True)
    run(local(2013, 3, 15, 2))
    client = cast.client("admin")
    page = client.get(retention_url())
    assert page.status_code == 200
    assert [period.kind for period, _url in page.context["periods"]] == retention.MUNICIPAL_KINDS
    assert BASIS in page.content.decode()
    assert [(b.kind, b.count) for b in page.context["batches"] if b.kind == "not_unlawful"] == [
        ("not_unlawful", 1)
    ]
    assert client.get(retention_url(page="_preview")).status_code == 200
    history = client.get(retention_url(page="_period", kind="actor"))
    assert history.status_code == 200
    assert history.context["history"][0].months == 18
    # Superusers only: the installation's kinds.
    assert not page.context["installation"]


@pytest.mark.django_db
def test_saving_a_period_adds_it_to_the_history_and_logs_it(cast):
    client = cast.client("admin")
    response = client.post(
        retention_url(page="_period", kind="read_log"), {"months": "48", "basis": BASIS}
    )
    assert response.status_code == 302 and response.url == retention_url()
    rule = retention.current_periods(cast.unit("DEMO"))[Kind.READ_LOG].rule
    assert (rule.months, rule.basis, rule.set_by) == (48, BASIS, cast["admin"])
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.RETENTION_CHANGED, actor=cast["admin"]
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("months", "basis", "field"),
    [
        ("0", BASIS, "months"),
        ("-3", BASIS, "months"),
        ("12000", BASIS, "months"),
        ("", BASIS, "months"),
        ("tolv", BASIS, "months"),
        ("24", "", "basis"),
    ],
)
def test_a_bad_period_on_the_page_keeps_what_was_typed(cast, months, basis, field):
    client = cast.client("admin")
    rules = RetentionPeriod.objects.count()
    response = client.post(
        retention_url(page="_period", kind="cases"), {"months": months, "basis": basis}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert form["months"].value() == months and form["basis"].value() == basis
    html = response.content.decode()
    assert 'id="error-summary"' in html
    if months:
        assert f'value="{months}"' in html
    assert RetentionPeriod.objects.count() == rules


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username",
    ["admin.grannby", "enhetschef", "forvaltningschef", "medarbetare", "skyddsombud", "analytiker"],
)
def test_everyone_but_the_municipalitys_administrators_gets_404(cast, username):
    client = cast.client(username)
    rules = RetentionPeriod.objects.count()
    for url in (
        retention_url(),
        retention_url(page="_preview"),
        retention_url(page="_period", kind="cases"),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            retention_url(page="_period", kind="cases"), {"months": "1", "basis": BASIS}
        ).status_code
        == 404
    )
    assert RetentionPeriod.objects.count() == rules


@pytest.mark.django_db
def test_the_administrator_gets_404_below_the_root_for_unknown_kinds_and_the_installation(
    cast,
):
    client = cast.client("admin")
    assert client.get(retention_url("GRANN")).status_code == 404
    assert client.get(retention_url("DEMO-ALF")).status_code == 404
    assert client.get(retention_url(page="_period", kind="drafts")).status_code == 404
    assert client.get(retention_url(page="_period", kind="nothing")).status_code == 404
    assert client.get(reverse("records:retention_installation")).status_code == 404
    assert client.get(reverse("records:retention_installation_preview")).status_code == 404


@pytest.mark.django_db
def test_a_superuser_keeps_the_installations_drafts_and_security_log(cast, superuser):
    client = cast.client(None)
    client.force_login(superuser, backend="varna.accounts.backends.VarnaBackend")
    page = client.get(reverse("records:retention_installation"))
    assert page.status_code == 200
    assert [period.kind for period, _url in page.context["periods"]] == [
        Kind.DRAFTS,
        Kind.SECURITY_LOG,
    ]
    assert client.get(reverse("records:retention_installation_preview")).status_code == 200
    url = reverse("records:retention_installation_period", kwargs={"kind": "security_log"})
    assert client.post(url, {"months": "36", "basis": BASIS}).status_code == 302
    assert retention.current_periods(None)[Kind.SECURITY_LOG].months == 36
    wrong = reverse("records:retention_installation_period", kwargs={"kind": "cases"})
    assert client.get(wrong).status_code == 404
    assert client.get(retention_url()).context["installation"]


@pytest.mark.django_db
def test_the_municipalitys_unit_page_links_to_retention_for_its_administrator(cast):
    link = retention_url()
    assert link in cast.client("admin").get(reverse("orgs:unit", args=["DEMO"])).content.decode()
    below = cast.client("admin").get(reverse("orgs:unit", args=["DEMO-ALF"])).content.decode()
    assert "/gallring/" not in below
    assert (
        link
        not in cast.client("analytiker").get(reverse("orgs:unit", args=["DEMO"])).content.decode()
    )
