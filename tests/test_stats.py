"""Follow-up: a reader who may open the cases sees a recount of the events; everyone else sees
the published figure (varna.core.perturbation) of the same events, for any period and filter,
and the same figure wherever those events are counted. The rollups change only when the task
worker folds, and then equal a rebuild. Bad filters never break a page or leak; exports and the
committee PDF."""

import csv
import importlib
import io
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db.models import Count, QuerySet, Sum
from django.test import TestCase
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook
from pypdf import PdfReader

from varna.cases import services as case_services
from varna.cases.models import Case, Measure
from varna.core import perturbation
from varna.core.perturbation import Tally
from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Headcount, Role, RoleGrant, Unit, User
from varna.reporting.models import ReadLog, Report
from varna.reporting.services import submit_report
from varna.reporting.taxonomy import Form
from varna.stats import committee, rollups, selectors, services
from varna.stats.figures import OWN, Chosen
from varna.stats.models import (
    KEY_COLUMNS,
    SITUATION_COLUMNS,
    SUBTREE_DEPTH,
    FoldState,
    MonthlyCount,
    PendingFold,
    ReportJob,
    SubtreeMonthlyCount,
    SubtreeYearlyCount,
)
from varna.stats.periods import add_months, period_of
from varna.stats.sums import read
from varna.stats.tasks import fold_rollups

DASHBOARD = reverse("stats:dashboard")
REPORT_FORM = reverse("reporting:new")
TODAY = date.today()
THIS_MONTH = TODAY.replace(day=1)
SECRET = "Beskrivningen som aldrig får följa med en export"
FORM_LABELS = {str(label): code for code, label in Form.choices}


def sv(message: str) -> str:
    with translation.override("sv"):
        return translation.gettext(message)


def month_param(months_back: int) -> str:
    """A month that is over, `months_back` before this one, as the URL writes it."""
    return f"{add_months(THIS_MONTH, -months_back):%Y-%m}"


def events(
    unit: Unit,
    first: date,
    end: date,
    *,
    forms: tuple[str, ...] | list[str] = (),
    contexts: tuple[str, ...] | list[str] = (),
) -> QuerySet[Report]:
    """The events of unlawful influence (not those found to be lawful) in the subtree, from
    `first` up to (not with) `end`, narrowed as a dashboard filter narrows them."""
    reports = Report.objects.filter(
        tree.subtree_q(unit.path, "unit__path"), occurred_on__gte=first, occurred_on__lt=end
    ).exclude(case__not_unlawful=True)
    if forms:
        reports = reports.filter(main_form__in=forms)
    if contexts:
        reports = reports.filter(situation__in=["" if c == "none" else c for c in contexts])
    return reports


def tally(reports: QuerySet[Report]) -> Tally:
    """The events' true count and the sum of their record keys, read from the database."""
    found = reports.aggregate(count=Count("pk"), key=Sum("record_key"))
    return Tally(found["count"], found["key"] or 0)


def published(reports: QuerySet[Report]) -> int:
    """What a reader who may not open the cases sees of these events (security-routed too)."""
    return perturbation.publish(tally(reports))


def board_for(cast, login, code, kind="year", month=None, start=None):
    chosen = Chosen(period=period_of(kind, month or TODAY, start=start), unit=cast.unit(code))
    return selectors.dashboard(cast[login], chosen)


def cell(board, table: str, label: str, column: int = 0):
    row = next(row for row in board.tables[table].rows if row.label == label)
    return row.cells[column].value


def figure_cells(board) -> list:
    """Every cell of the page that is a count of events (not a share, rate or difference)."""
    columns = {"form": (0, 1), "month": (0, 2), "units": (0, 1)}
    found = []
    for key, table in board.tables.items():
        for row in table.rows:
            found += [row.cells[index] for index in columns.get(key, (0,))]
    return found


# A manager's figures are a recount -----------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["month", "quarter", "tertial", "half", "year", "rolling", "custom"]
)
def test_a_managers_exact_figures_equal_a_recount_of_the_events(cast, kind):
    start = TODAY - timedelta(days=200) if kind == "custom" else None
    board = board_for(
        cast, "forvaltningschef", "DEMO-ALF", kind, TODAY - timedelta(days=40), start=start
    )
    period = board.chosen.period
    every = events(cast.unit("DEMO-ALF"), period.first, period.end)
    reports = list(every.filter(route_to_security=False).select_related("case"))
    before = events(cast.unit("DEMO-ALF"), period.previous().first, period.previous().end)
    assert board.reveal
    assert board.total.exact and board.total.value == len(reports)
    assert board.previous.value == before.filter(route_to_security=False).count()
    forms = Counter(report.main_form for report in reports)
    for row in board.tables["form"].rows[:-1]:
        assert row.cells[0].value == forms.get(FORM_LABELS[row.label], 0)
    months = Counter(f"{report.occurred_on:%Y-%m}" for report in reports)
    for row in board.tables["month"].rows:
        assert row.cells[0].value == months.get(row.label, 0)
    places = Counter(report.place for report in reports)
    for code, label in Report._meta.get_field("place").choices:
        assert cell(board, "place", str(label)) == places.get(code, 0)
    situations = Counter(report.situation for report in reports)
    for code, label in Report._meta.get_field("situation").choices:
        assert cell(board, "situation", str(label)) == situations.get(code, 0)
    cases = [report.case for report in reports]
    acknowledged = [c for c in cases if c.acknowledged_at]
    in_time = [c for c in acknowledged if c.acknowledged_at <= c.acknowledge_due_at]
    handling = [row.cells[0].value for row in board.tables["handling"].rows]
    assert handling[0:3] == [
        len(in_time),
        len(acknowledged) - len(in_time),
        len(cases) - len(acknowledged),
    ]
    with_measures = [c for c in cases if c.measures.exclude(status="cancelled").exists()]
    assert handling[3] == len(with_measures)
    police = Counter(c.police_decision for c in cases)
    assert handling[4:8] == [
        police["employer_files"],
        police["employee_with_help"],
        police["no_report"],
        len(cases) - police["employer_files"] - police["employee_with_help"] - police["no_report"],
    ]
    serious = [c for c in cases if c.serious_reasons]
    notified = [c for c in serious if c.notice_sent_at and c.notice_sent_at <= c.notice_due_at]
    assert handling[8:10] == [len(serious), len(notified)]
    assert handling[10] == sum(1 for c in cases if c.decision_influenced == "yes")
    for row in board.tables["units"].rows[:-1]:
        if row.code:
            below = events(cast.unit(row.code), period.first, period.end)
            assert row.cells[0].value == below.filter(route_to_security=False).count()


# Everyone else: the published figure of the same events, for any period and filter ------------


@pytest.mark.parametrize(
    ("login", "code", "query"),
    [
        ("analytiker", "DEMO", {"period": "month", "month": month_param(3)}),
        ("analytiker", "DEMO", {"period": "quarter", "month": month_param(7)}),
        ("analytiker", "DEMO-ALF", {"period": "tertial", "month": month_param(7)}),
        ("analytiker", "DEMO", {"period": "half", "month": month_param(7)}),
        ("analytiker", "DEMO", {"period": "year", "month": f"{TODAY.year - 1}-06"}),
        ("analytiker", "DEMO-ALN", {"period": "rolling", "month": month_param(2)}),
        (
            "analytiker",
            "DEMO-FSE",
            {"period": "custom", "start": month_param(9), "month": month_param(4)},
        ),
        (
            "analytiker",
            "DEMO-IFO",
            {"period": "quarter", "month": month_param(7), "form": ["threat", "violence"]},
        ),
        (
            "analytiker",
            "DEMO",
            {"period": "half", "month": month_param(7), "context": ["rejection", "none"]},
        ),
        ("namnd", "DEMO-ALN", {"period": "tertial", "month": month_param(7)}),
        (
            "namnd",
            "DEMO-ALF",
            {"period": "quarter", "month": month_param(7), "context": ["economic_assistance"]},
        ),
        (
            "revisor",
            "DEMO",
            {
                "period": "custom",
                "start": month_param(14),
                "month": month_param(3),
                "form": ["harassment"],
            },
        ),
    ],
)
def test_readers_who_may_not_open_the_cases_see_the_published_figures_of_any_period_and_filter(
    cast, login, code, query
):
    page = cast.client(login).get(DASHBOARD, {"unit": code, **query})
    assert page.status_code == 200
    board = page.context["board"]
    period, previous = board.chosen.period, board.chosen.period.previous()
    forms, contexts = tuple(query.get("form", ())), tuple(query.get("context", ()))
    start = date.fromisoformat(f"{query['start']}-01") if "start" in query else None
    asked = period_of(query["period"], date.fromisoformat(f"{query['month']}-01"), start=start)
    # Chosen as asked, nothing refused or narrowed, and no note about calendar years.
    assert not board.reveal and not board.total.exact
    assert board.chosen.unit.code == code
    assert (period.kind, period.first, period.last) == (asked.kind, asked.first, asked.last)
    assert (board.chosen.forms, board.chosen.contexts) == (forms, contexts)
    assert period.is_whole and period.is_compared
    assert not board.notes and not list(page.context["messages"])
    assert f"{board.title}, {period.label}</h1>" in page.text
    assert "kalenderår" not in page.text and "calendar year" not in page.text
    with translation.override("sv"):
        assert perturbation.explanation() in page.text
    unit = cast.unit(code)

    def expected(first: date, end: date, *, of: Unit = unit, only: tuple[str, ...] = ()) -> int:
        return published(events(of, first, end, forms=only or forms, contexts=contexts))

    assert board.total.value == expected(period.first, period.end)
    assert board.previous.value == expected(previous.first, previous.end)
    assert board.change == board.total.value - board.previous.value
    form_rows = board.tables["form"].rows[:-1]
    assert [FORM_LABELS[row.label] for row in form_rows] == list(forms or Form.values)
    for row in form_rows:
        only = (FORM_LABELS[row.label],)
        assert row.cells[0].value == expected(period.first, period.end, only=only)
        assert row.cells[1].value == expected(previous.first, previous.end, only=only)
    assert [row.label for row in board.tables["month"].rows] == [
        f"{month:%Y-%m}" for month in period.months
    ]
    for row, month in zip(board.tables["month"].rows, period.months, strict=True):
        assert row.cells[0].value == expected(month, add_months(month, 1))
    for row in board.tables["units"].rows if "units" in board.tables else []:
        if row.code:
            below = cast.unit(row.code)
            assert row.cells[0].value == expected(period.first, period.end, of=below)
            assert row.cells[1].value == expected(previous.first, previous.end, of=below)
    # Zero stays zero, and no count from 1 to k-1 is shown as itself.
    small = range(1, perturbation.small())
    assert board.total.value not in small
    assert all(shown.value not in small for shown in figure_cells(board))


def test_the_figures_of_readers_who_may_not_open_the_cases_count_the_events_sent_to_security(
    cast,
):
    """Exact figures count the cases the reader may open, so not those sent to security;
    published figures count every event (the adjustment protects them all)."""
    period = period_of("year", TODAY - timedelta(days=40))
    alf = cast.unit("DEMO-ALF")
    every = events(alf, period.first, period.end)
    routed = every.filter(route_to_security=True)
    assert routed.exists(), "the demo has events sent to security there"
    manager = board_for(cast, "forvaltningschef", "DEMO-ALF", "year", period.last)
    assert manager.reveal
    assert manager.total.value == every.count() - routed.count()
    # The true counts and keys behind the two: the line events, or all of them.
    chosen = Chosen(period=period, unit=alf)
    for reveal, counted in [(True, every.filter(route_to_security=False)), (False, every)]:
        rows = rollups.base([alf], period.first, period.last, chosen, reveal)
        assert read(rows, period, list(Form.values), subtree=False)[""].total(0) == tally(counted)
    for login, code in [("hr", "DEMO-ALF"), ("sakerhet", "DEMO"), ("analytiker", "DEMO")]:
        unit = cast.unit(code)
        board = selectors.dashboard(cast[login], Chosen(period=period, unit=unit))
        assert not board.reveal and not board.notes, login
        assert board.total.value == published(events(unit, period.first, period.end)), login
        # Every unit's employees count: nothing is left out.
        assert (
            board.employees
            == Headcount.objects.filter(
                tree.subtree_q(unit.path, "unit__path"), year=period.last.year
            ).aggregate(total=Sum("employees"))["total"]
        )
    # Security handle the corruption cases themselves, and follow them up like the rest.
    board = board_for(cast, "sakerhet", "DEMO", "year", period.last)
    corruption = events(cast.unit("DEMO"), period.first, period.end, forms=["corruption"])
    assert corruption.exists()
    assert cell(board, "form", str(Form.CORRUPTION.label)) == published(corruption)


def test_a_manager_of_one_unit_who_analyses_the_municipality_sees_both_pages_whole(cast):
    """The municipality's page counts everything, the unit the reader manages too (published);
    the unit's own page is exact. Nothing is left out and no page says so."""
    reader = User.objects.create(username="chef.och.analytiker")
    RoleGrant.objects.create(user=reader, unit=cast.unit("DEMO"), role=Role.ANALYST)
    RoleGrant.objects.create(user=reader, unit=cast.unit("DEMO-FSE1"), role=Role.MANAGER)
    period = period_of("year", TODAY - timedelta(days=40))
    demo, fse1 = cast.unit("DEMO"), cast.unit("DEMO-FSE1")
    board = selectors.dashboard(reader, Chosen(period=period, unit=demo))
    assert not board.reveal and not board.notes
    assert board.total.value == published(events(demo, period.first, period.end))
    assert (
        board.employees
        == Headcount.objects.filter(
            tree.subtree_q(demo.path, "unit__path"), year=period.last.year
        ).aggregate(total=Sum("employees"))["total"]
    )
    # So are the measures of the committee report: counted like events, by their event's key.
    measures = Measure.objects.filter(
        tree.subtree_q(demo.path, "case__unit__path"),
        case__report__occurred_on__gte=period.first,
        case__report__occurred_on__lt=period.end,
    ).exclude(status=Measure.Status.CANCELLED)
    measures = measures.exclude(case__not_unlawful=True)
    assert measures.filter(tree.subtree_q(fse1.path, "case__unit__path")).exists()
    key = measures.aggregate(key=Sum("case__report__record_key"))["key"] or 0
    table = committee.measure_tables(reader, board)[0]
    assert table.rows[-1].cells[0].value == perturbation.publish(Tally(measures.count(), key))
    own = selectors.dashboard(reader, Chosen(period=period, unit=fse1))
    assert own.reveal and not own.notes
    line = events(fse1, period.first, period.end).filter(route_to_security=False)
    assert line.exists() and own.total.value == line.count()
    beside = selectors.dashboard(reader, Chosen(period=period, unit=cast.unit("DEMO-IFO")))
    assert not beside.reveal and not beside.notes
    assert beside.total.value == published(events(cast.unit("DEMO-IFO"), period.first, period.end))


def test_the_average_contact_time_is_only_shown_with_exact_figures(cast):
    """A mean of one or two durations would be those durations, and whether it is shown would
    say how many there are: readers who may not open the cases never get it."""
    unit, month = cast.unit("DEMO-OFK"), add_months(THIS_MONTH, -60)
    shows = next(key for key in range(0, 2**31, 2**20) if perturbation.publish(Tally(1, key)) != 0)
    for late in (False, True):
        made = report(cast, unit="DEMO-OFK")
        case = Case.objects.get(report=made)
        at = case.acknowledge_due_at + (timedelta(days=1) if late else -timedelta(minutes=1))
        case_services.acknowledge(case, by=cast["admin"], now=at)
        Report.objects.filter(pk=made.pk).update(occurred_on=month, record_key=shows)
        services.mark(Report.objects.get(pk=made.pk), moved_from=(unit.pk, TODAY))
    services.fold()
    board = board_for(cast, "analytiker", "DEMO-OFK", "month", month)
    in_time, late = (row.cells[0].value for row in board.tables["handling"].rows[:2])
    assert in_time and late
    assert board.ack_mean_hours is None
    for login in ("analytiker", "namnd", "revisor"):
        for kind in ("month", "year"):
            assert board_for(cast, login, "DEMO", kind, month).ack_mean_hours is None
    exact = board_for(cast, "chef.ofk", "DEMO-OFK", "month", month)
    assert exact.reveal and exact.ack_mean_hours is not None


def test_rates_and_differences_are_computed_from_the_published_figures(cast):
    board = board_for(cast, "analytiker", "DEMO-ALF", "quarter", add_months(THIS_MONTH, -7))
    rows = [row for row in board.tables["units"].rows if row.code]
    assert rows
    for row in rows:
        now, then, difference, employees, rate = row.cells
        assert difference.value == now.value - then.value
        if employees.value:
            assert rate.value == round(now.value * 100 / employees.value, 1)
        else:
            assert rate.value is None
    if board.employees:
        assert board.rate == board.total.value * 100 / board.employees


# The same events give the same figure everywhere ----------------------------------------------


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_same_events_give_the_same_published_figure_on_every_page_and_export(cast):
    client = cast.client("analytiker")
    quarter = {"period": "quarter", "month": month_param(7)}

    def board(**query):
        return client.get(DASHBOARD, {**quarter, **query}).context["board"]

    # A unit's total on its own page, its row in its parent's table, and that table's exports.
    fse, alf = board(unit="DEMO-FSE"), board(unit="DEMO-ALF")
    row = next(row for row in alf.tables["units"].rows if row.code == "DEMO-FSE")
    assert (row.cells[0].value, row.cells[1].value) == (fse.total.value, fse.previous.value)
    query = {"unit": "DEMO-ALF", **quarter}
    in_csv = csv_rows(client.get(reverse("stats:export", args=["units", "csv"]), query))
    in_xlsx = xlsx_rows(client.get(reverse("stats:export", args=["units", "xlsx"]), query))
    name = cast.unit("DEMO-FSE").name
    assert next(line for line in in_csv if line[0] == name)[1:3] == [
        str(fse.total.value),
        str(fse.previous.value),
    ]
    assert next(line for line in in_xlsx if line[0] == name)[1:3] == [
        fse.total.value,
        fse.previous.value,
    ]
    # A committee: its own page reads the subtree rollup, its row in the municipality's table
    # the base rollup; a committee member sees the same figure as the analyst.
    aln, demo = board(unit="DEMO-ALN"), board(unit="DEMO")
    row = next(row for row in demo.tables["units"].rows if row.code == "DEMO-ALN")
    member = cast.client("namnd").get(DASHBOARD, {"unit": "DEMO-ALN", **quarter})
    assert row.cells[0].value == aln.total.value == member.context["board"].total.value
    # A month on its own, as a row of its quarter, and as a row of its year.
    year = board(unit="DEMO", period="year")
    for month in demo.chosen.period.months:
        alone = board(unit="DEMO", period="month", month=f"{month:%Y-%m}")
        label = f"{month:%Y-%m}"
        assert alone.total.value == cell(demo, "month", label) == cell(year, "month", label)
    # A calendar year (its forms read from the yearly rollup) and its months as an own range.
    last = TODAY.year - 1
    calendar = board(unit="DEMO", period="year", month=f"{last}-06")
    own_range = board(unit="DEMO", period="custom", start=f"{last}-01", month=f"{last}-12")
    assert calendar.chosen.period.is_calendar_year and own_range.chosen.period.kind == "custom"
    for key in ["form", "month", "units", "situation", "handling"]:
        assert [[c.value for c in row.cells] for row in calendar.tables[key].rows] == [
            [c.value for c in row.cells] for row in own_range.tables[key].rows
        ], key
    # A page narrowed to one form, and that form's row on the page of every form.
    threats = board(unit="DEMO", form="threat")
    assert threats.total.value == cell(demo, "form", str(Form.THREAT.label))
    # A hot spot, and the unit's own page.
    assert demo.hot_spots
    for spot in demo.hot_spots:
        assert spot.count == board(unit=spot.unit.code).total.value, spot.unit.code


# The rollups: folded off the write path, and then equal to a rebuild ------------------------


def rollup_tables() -> list[list[tuple]]:
    """The three rollups' rows, every count and key column, without their ids."""
    return [
        sorted(
            model.objects.values_list(
                *[field.attname for field in model._meta.concrete_fields if field.name != "id"]
            )
        )
        for model in (MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount)
    ]


def assert_as_a_rebuild_counts():
    folded = rollup_tables()
    assert all(folded)
    services.rebuild()
    assert rollup_tables() == folded


def run_worker():
    """Run the queued tasks, as `db_worker` does, inside the test's transaction."""
    while row := DBTaskResult.objects.ready().order_by("enqueued_at").first():
        row.claim("test")
        args = row.args_kwargs
        row.set_successful(row.task.call(*args["args"], **args["kwargs"]))


def report(cast, unit: str = "DEMO-FSE1A", **fields) -> Report:
    data = {
        "main_form": "violence",
        "occurred_on": TODAY,
        "unit": cast.unit(unit),
        "description": SECRET,
        "place": "home_visit",
        **fields,
    }
    made, _created = submit_report(
        reporter=cast["medarbetare"], data=data, idempotency_key=uuid.uuid4()
    )
    return made


def exact(cast, code: str, login: str = "forvaltningschef"):
    return board_for(cast, login, code, "month", TODAY)


def test_a_report_sent_through_the_form_counts_once_the_worker_has_folded_it(cast):
    before = rollup_tables()
    shown = exact(cast, "DEMO-FSE1")
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "main_form": "threat",
        "occurred_on": TODAY.isoformat(),
        "unit": str(cast.unit("DEMO-FSE1A").pk),
        "description": SECRET,
        "action": "submit",
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = cast.client("medarbetare").post(REPORT_FORM, data)
    assert response.status_code == 302
    made = Report.objects.get(description=SECRET)
    # Only the report's own rows and a note to fold its unit's month: the rollups wait.
    assert rollup_tables() == before
    assert exact(cast, "DEMO-FSE1").total.value == shown.total.value
    assert PendingFold.objects.filter(unit=made.unit, month=THIS_MONTH, subtree=False).exists()
    # One fold, a moment later, takes the events of a busy moment together.
    waiting = DBTaskResult.objects.filter(task_path=fold_rollups.module_path, status="READY")
    assert waiting.count() == 1 and waiting.get().run_after > timezone.now()
    waiting.update(run_after=timezone.now())
    run_worker()
    assert not PendingFold.objects.exists()
    after = exact(cast, "DEMO-FSE1")
    assert after.total.value == shown.total.value + 1
    assert cell(after, "form", str(Form.THREAT.label)) == (
        cell(shown, "form", str(Form.THREAT.label)) + 1
    )
    assert_as_a_rebuild_counts()


def test_new_reports_are_folded_into_both_rollups_exactly_as_a_rebuild_counts_them(cast):
    """New rows and existing ones, a report sent to security, a situation, and a month a year
    back."""
    before = rollup_tables()
    made = [
        report(cast),
        report(cast, situation="rejection", consequences=["fear", "sick_leave"]),
        report(cast, unit="DEMO-MOT", main_form="corruption", route_to_security=True),
        report(cast, occurred_on=THIS_MONTH - timedelta(days=400)),
    ]
    assert rollup_tables() == before
    pending = set(PendingFold.objects.values_list("unit_id", "month"))
    assert {(r.unit_id, r.occurred_on.replace(day=1)) for r in made} <= pending
    waiting = PendingFold.objects.count()
    assert waiting >= len(made)
    assert services.fold() == waiting
    assert not PendingFold.objects.exists()
    assert rollup_tables() != before
    assert_as_a_rebuild_counts()
    # The analyst's figure of the month now counts them, security-routed and all.
    board = board_for(cast, "analytiker", "DEMO", "month", TODAY)
    assert board.total.value == published(
        events(cast.unit("DEMO"), THIS_MONTH, board.chosen.period.end)
    )


def test_handling_a_case_counts_after_the_fold(cast):
    made = report(cast)
    services.fold()
    before = exact(cast, "DEMO-FSE1")
    case = Case.objects.get(report=made)
    case_services.acknowledge(case, by=cast["forste"])
    case_services.record_police(
        Case.objects.get(pk=case.pk), by=cast["forste"], data={"police_decision": "employer_files"}
    )
    was = [row.cells[0].value for row in before.tables["handling"].rows]
    waiting = [row.cells[0].value for row in exact(cast, "DEMO-FSE1").tables["handling"].rows]
    assert waiting == was
    assert PendingFold.objects.filter(unit=made.unit, month=THIS_MONTH).exists()
    services.fold()
    now = [row.cells[0].value for row in exact(cast, "DEMO-FSE1").tables["handling"].rows]
    assert now[0] + now[1] == was[0] + was[1] + 1
    assert now[2] == was[2] - 1
    assert now[4] == was[4] + 1
    assert_as_a_rebuild_counts()


def test_a_unit_moved_in_the_tree_counts_in_its_new_committee_after_the_fold(cast):
    """The committees' pages read the subtree rollup: they follow the move once folded."""
    reader = User.objects.create(username="kommunchef")
    RoleGrant.objects.create(user=reader, unit=cast.unit("DEMO"), role=Role.MANAGER)
    period = period_of("year", TODAY)

    def total(code: str) -> int:
        board = selectors.dashboard(reader, Chosen(period=period, unit=cast.unit(code)))
        assert board.reveal
        return board.total.value

    moving = cast.unit("DEMO-FSE3")
    count = total("DEMO-FSE3")
    assert count > 0
    before = {code: total(code) for code in ["DEMO", "DEMO-ALN", "DEMO-IFN"]}
    org_services.move_unit(unit=moving, new_parent=cast.unit("DEMO-IFO"))
    assert PendingFold.objects.filter(subtree=True).exists()
    assert {code: total(code) for code in before} == before
    services.fold()
    assert not PendingFold.objects.exists()
    assert total("DEMO") == before["DEMO"]
    assert total("DEMO-ALN") == before["DEMO-ALN"] - count
    assert total("DEMO-IFN") == before["DEMO-IFN"] + count
    assert_as_a_rebuild_counts()
    # An analyst's figure of the committee is the published figure of its events now.
    analyst = board_for(cast, "analytiker", "DEMO-IFN", "year", TODAY)
    assert analyst.total.value == published(events(cast.unit("DEMO-IFN"), period.first, period.end))


def test_an_event_moved_to_another_unit_and_month_is_recounted_in_both_after_the_fold(cast):
    made = report(cast)
    services.fold()
    before_1, before_2 = exact(cast, "DEMO-FSE1").total.value, exact(cast, "DEMO-FSE2").total.value
    moved_from = (made.unit_id, made.occurred_on)
    Report.objects.filter(pk=made.pk).update(unit=cast.unit("DEMO-FSE2A"))
    services.mark(Report.objects.get(pk=made.pk), moved_from=moved_from)
    assert exact(cast, "DEMO-FSE1").total.value == before_1
    services.fold()
    assert exact(cast, "DEMO-FSE1").total.value == before_1 - 1
    assert exact(cast, "DEMO-FSE2").total.value == before_2 + 1
    # And to another unit higher up and two months back: both subtree rollups follow.
    earlier = TODAY - timedelta(days=62)
    Report.objects.filter(pk=made.pk).update(unit=cast.unit("DEMO-AME"), occurred_on=earlier)
    services.mark(Report.objects.get(pk=made.pk), moved_from=(cast.unit("DEMO-FSE2A").pk, TODAY))
    services.fold()
    assert exact(cast, "DEMO-FSE2").total.value == before_2
    assert_subtrees_are_the_sum_of_the_base_rollup()
    assert_as_a_rebuild_counts()


def test_the_page_says_when_the_figures_were_updated_while_events_wait_over_a_minute(cast):
    client = cast.client("forvaltningschef")
    note = sv("Figures updated %(time)s: the events reported since then are being counted.")
    prefix = note.split("%(time)s")[0].strip()
    assert prefix

    def page():
        response = client.get(DASHBOARD)
        return response.context["board"], response.text

    board, text = page()
    assert board.updated is None and prefix not in text
    now = timezone.now()
    folded_at = now - timedelta(minutes=5)
    FoldState.objects.update_or_create(pk=1, defaults={"folded_at": folded_at})
    unit = cast.unit("DEMO-FSE1A")
    PendingFold.objects.create(unit=unit, month=THIS_MONTH, created_at=now - timedelta(seconds=20))
    board, text = page()
    assert board.updated is None and prefix not in text
    PendingFold.objects.create(unit=unit, month=THIS_MONTH, created_at=now - timedelta(minutes=3))
    board, text = page()
    assert board.updated == folded_at
    with translation.override("sv"):
        time = dateformat.format(timezone.localtime(folded_at), "j M H:i")
    assert note % {"time": time} in text
    # The analyst's page says so too.
    analyst = cast.client("analytiker").get(DASHBOARD)
    assert analyst.context["board"].updated == folded_at and prefix in analyst.text
    services.fold()
    board, text = page()
    assert board.updated is None and prefix not in text


def assert_subtrees_are_the_sum_of_the_base_rollup():
    """Recounted by hand: each subtree row is the base rows of its subtree summed, with the
    events per situation; each yearly row the monthly rows of its year."""
    ids = dict(Unit.objects.values_list("path", "pk"))
    expected: dict[tuple, Counter] = defaultdict(Counter)
    situation_column = {code: column for column, code in SITUATION_COLUMNS.items()}
    for row in MonthlyCount.objects.values(
        *services.BASE_COLUMNS, "unit__path", "month", "form", "situation", "security_routed"
    ):
        counts = Counter({column: row[column] for column in services.BASE_COLUMNS})
        if row["situation"] in situation_column:
            column = situation_column[row["situation"]]
            counts[column] += row["events"]
            counts[KEY_COLUMNS[column]] += row["events_key"]
        for top in tree.ancestor_paths(row["unit__path"])[: SUBTREE_DEPTH + 1]:
            expected[(ids[top], row["month"], row["form"], row["security_routed"])] += counts

    def stored(model) -> dict[tuple, Counter]:
        found = {}
        for row in model.objects.values():
            row.pop("id")
            key = (
                row.pop("unit_id"),
                row.pop("month"),
                row.pop("form"),
                row.pop("security_routed"),
            )
            found[key] = Counter(row)
        return found

    monthly = stored(SubtreeMonthlyCount)
    assert monthly and monthly == dict(expected)
    years: dict[tuple, Counter] = defaultdict(Counter)
    for (unit_id, month, form, routed), counts in monthly.items():
        years[(unit_id, date(month.year, 1, 1), form, routed)] += counts
    assert stored(SubtreeYearlyCount) == dict(years)


def test_the_subtree_rollups_are_the_sum_of_the_base_rollup(cast):
    assert_subtrees_are_the_sum_of_the_base_rollup()


def test_the_subtree_rollups_follow_units_moved_up_and_down_the_tree_once_folded(cast):
    org_services.move_unit(unit=cast.unit("DEMO-FSE3"), new_parent=cast.unit("DEMO-AME"))
    services.fold()
    assert_subtrees_are_the_sum_of_the_base_rollup()
    # A unit below a root becomes a root, and a root's child goes deeper.
    org_services.move_unit(unit=cast.unit("DEMO-FSE"), new_parent=None)
    services.fold()
    assert_subtrees_are_the_sum_of_the_base_rollup()
    org_services.move_unit(unit=cast.unit("DEMO-ALF"), new_parent=cast.unit("DEMO-FSE"))
    services.fold()
    assert_subtrees_are_the_sum_of_the_base_rollup()
    assert_as_a_rebuild_counts()
    assert_subtrees_are_the_sum_of_the_base_rollup()


def test_units_from_the_subtree_rollup_equal_a_recount_of_the_events(cast):
    root = cast.unit("DEMO")
    chosen = Chosen(period=period_of("year", TODAY - timedelta(days=40)))
    forms = list(Form.values)
    found = rollups.by_unit_from_subtrees([root], len(root.path), chosen, False, forms)
    assert found
    for index, period in enumerate([chosen.period, chosen.period.previous()]):
        every = events(root, period.first, period.end)
        for (child, below), counts in found.items():
            assert child == root.path
            if below == root.path:
                expected = tally(every.filter(unit=root))
            else:
                expected = tally(every.filter(unit__path__startswith=below))
            assert counts[index] == expected
        assert perturbation.total([counts[index] for counts in found.values()]) == tally(every)


@pytest.mark.parametrize("reveal", [False, True])
def test_a_years_sums_from_the_yearly_rollup_are_those_of_its_months(cast, reveal):
    root = cast.unit("DEMO")
    chosen = Chosen(period=period_of("year", TODAY - timedelta(days=40)))
    period, previous = chosen.period, chosen.period.previous()
    forms = list(Form.values)
    months = rollups.subtree_base([root], previous.first, period.last, chosen, reveal)
    spans = rollups.subtree_spans([root], chosen, reveal)
    assert months is not None and spans is not None and spans.exists()
    by_months = read(months, period, forms, subtree=True)[""]
    by_years = read(months, period, forms, subtree=True, spans=spans)[""]
    for index in (0, 1):
        assert by_years.total(index).count > 0
        assert by_years.tables(index) == by_months.tables(index)
    # Only a calendar year is read in whole years.
    rolling = Chosen(period=period_of("rolling", TODAY))
    assert rollups.subtree_spans([root], rolling, reveal) is None


def test_the_migration_to_record_keys_leaves_every_month_to_be_folded_as_a_rebuild_would(cast):
    """Migration 0007 fills the new key sums by leaving every unit and month with events to
    the worker's fold."""
    migration = importlib.import_module("varna.stats.migrations.0007_record_keys_and_fold")
    rebuilt = rollup_tables()
    keys = [column for column in KEY_COLUMNS.values() if not column.startswith("sit_")]
    MonthlyCount.objects.update(**dict.fromkeys(keys, 0))
    SubtreeMonthlyCount.objects.update(**dict.fromkeys(KEY_COLUMNS.values(), 0))
    SubtreeYearlyCount.objects.update(**dict.fromkeys(KEY_COLUMNS.values(), 0))
    assert rollup_tables() != rebuilt
    migration.fold_everything_again(apps, None)
    assert PendingFold.objects.exists()
    services.fold()
    assert rollup_tables() == rebuilt


# Access and bad input ------------------------------------------------------------------------


def test_the_committee_sees_its_namnd_and_forvaltning_but_no_unit_below(cast):
    client = cast.client("namnd")
    page = client.get(DASHBOARD, {"unit": "DEMO-ALF"})
    board = page.context["board"]
    assert board.chosen.unit.code == "DEMO-ALF"
    assert "units" not in board.tables  # nothing below förvaltning level
    assert not board.reveal
    assert all(spot.unit.kind in {"namnd", "forvaltning"} for spot in board.hot_spots)
    below = client.get(DASHBOARD, {"unit": "DEMO-FSE1"})
    assert below.context["board"].chosen.unit.code == "DEMO-ALN"
    assert sv("There is no unit with that code in the part of the organisation you follow up.") in [
        str(message) for message in below.context["messages"]
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"unit": "NO-SUCH-UNIT"},
        {"unit": "GRANN-EB"},
        {"month": "1066-10"},
        {"month": "2026-13"},
        {"month": "x" * 500},
        {"period": "century"},
        {"form": "murder"},
        {"context": ["rejection", "<script>"]},
        {"unit": "DEMO", "period": "year", "month": "9999-01"},
        {"period": "custom", "start": "2026-13"},
        {"period": "custom", "start": month_param(1), "month": month_param(3)},
    ],
)
def test_bad_filters_give_a_message_and_only_the_users_own_figures(cast, query):
    response = cast.client("enhetschef").get(DASHBOARD, query)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.chosen.unit.code == "DEMO-FSE1"
    assert list(response.context["messages"])
    assert "<script>" not in response.text


def test_someone_without_follow_up_gets_404(cast):
    assert cast.client("medarbetare").get(DASHBOARD).status_code == 404
    assert cast.client("admin").get(DASHBOARD).status_code == 404
    assert (
        cast.client("medarbetare").get(reverse("stats:export", args=["form", "csv"])).status_code
        == 404
    )


def test_drilling_down_links_to_the_units_below_and_their_cases(cast):
    page = cast.client("forvaltningschef").get(DASHBOARD, {"period": "year"})
    rows = page.context["board"].tables["units"].rows
    linked = [row for row in rows if row.link]
    assert linked
    assert all("unit=" in row.link and "period=year" in row.link for row in linked)
    assert all(row.cases_link.startswith(reverse("cases:inbox")) for row in linked)
    assert "view=all" in linked[0].cases_link
    # An analyst drills down with any period too, and sees no links to cases.
    page = cast.client("analytiker").get(
        DASHBOARD, {"period": "tertial", "month": month_param(7), "form": "threat"}
    )
    rows = page.context["board"].tables["units"].rows
    assert not any(row.cases_link for row in rows)
    linked = [row for row in rows if row.link]
    assert linked and all(
        "period=tertial" in row.link and "form=threat" in row.link for row in linked
    )
    child = cast.client("analytiker").get(DASHBOARD + linked[0].link).context["board"]
    assert child.chosen.unit.code == linked[0].code
    assert child.total.value == linked[0].cells[0].value


# Exports --------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["analytiker", "forvaltningschef"])
def test_a_table_exports_as_csv_and_xlsx_with_the_figures_the_page_shows(cast, login):
    client = cast.client(login)
    query = {"unit": "DEMO-ALF", "period": "tertial", "month": month_param(7)}
    board = client.get(DASHBOARD, query).context["board"]
    for key in ["units", "form", "month", "handling"]:
        table = board.tables[key]
        expected = [
            [row.label, *(c.value if c.value is not None else c.text for c in row.cells)]
            for row in table.rows
        ]
        in_csv = csv_rows(client.get(reverse("stats:export", args=[key, "csv"]), query))
        assert in_csv[0] == [table.label_header, *table.columns]
        assert in_csv[1:] == [[str(value) for value in line] for line in expected]
        in_xlsx = xlsx_rows(client.get(reverse("stats:export", args=[key, "xlsx"]), query))
        assert in_xlsx[1:] == expected


def test_an_unknown_table_is_404(cast):
    client = cast.client("analytiker")
    assert client.get(reverse("stats:export", args=["actors2", "csv"])).status_code == 404
    assert client.get(reverse("stats:export", args=["form", "pdf"])).status_code == 404


def test_the_case_export_is_for_managers_logged_and_without_descriptions(cast):
    report(cast)
    client = cast.client("enhetschef")
    before = ReadLog.objects.filter(part=services.EXPORT_PART).count()
    response = client.get(reverse("stats:export_cases"), {"period": "month"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) > 1
    assert SECRET not in text
    assert ReadLog.objects.filter(part=services.EXPORT_PART).count() == before + len(rows) - 1
    assert cast.client("analytiker").get(reverse("stats:export_cases")).status_code == 404
    assert cast.client("skyddsombud").get(reverse("stats:export_cases")).status_code == 404


# The committee report -----------------------------------------------------------------------


def test_the_committee_report_for_a_tertial_is_built_in_the_background_with_its_charts(cast):
    client = cast.client("namnd")
    query = {"period": "tertial", "month": month_param(7)}
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("stats:report_new"), query)
    job = ReportJob.objects.get(code=response["Location"].rstrip("/").split("/")[-1])
    waiting = client.get(response["Location"])
    assert "data-progress-poll" in waiting.text and "progress.js" in waiting.text
    run_worker()
    done = client.get(response["Location"])
    assert "data-progress-poll" not in done.text
    pdf = client.get(reverse("stats:report_pdf", args=[job.code]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    board = client.get(DASHBOARD, query).context["board"]
    assert board.chosen.period.kind == "tertial" and not board.reveal
    assert "Arbetslivsnämnden" in text
    assert board.chosen.period.label in text and board.chosen.period.label in job.title
    assert sv("Events by form") in text
    assert sv("Risk assessments") in text
    # Another person's report is not there for anyone else.
    assert cast.client("analytiker").get(response["Location"]).status_code == 404


def test_every_page_has_one_h1_and_tables_with_captions(cast):
    for login in ["forvaltningschef", "analytiker", "namnd"]:
        page = cast.client(login).get(DASHBOARD).text
        assert page.count("<h1") == 1
        assert page.count("<table") == page.count("<caption")
        assert 'role="img"' in page and "<title" in page


def test_own_events_of_a_unit_count_in_its_table(cast):
    board = board_for(cast, "forvaltningschef", "DEMO-ALF", "year")
    parts = sum(row.cells[0].value or 0 for row in board.tables["units"].rows[:-1])
    assert parts == board.total.value
    assert OWN == "_own"


def test_timezone_is_local(cast):
    assert timezone.localdate() == TODAY


def test_a_committee_moved_deep_into_the_tree_loses_its_subtree_rows(cast):
    """A top with subtree rows put below another unit keeps none (it is too deep for them),
    and its old and new tops count its events, as a rebuild counts them."""
    moving = cast.unit("DEMO-IFN")
    assert moving.depth <= SUBTREE_DEPTH
    assert SubtreeMonthlyCount.objects.filter(unit=moving).exists()
    org_services.move_unit(unit=moving, new_parent=cast.unit("DEMO-FSE"))
    services.fold()
    assert not SubtreeMonthlyCount.objects.filter(unit=moving).exists()
    assert not SubtreeYearlyCount.objects.filter(unit=moving).exists()
    assert_as_a_rebuild_counts()


def test_every_unit_below_is_listed_whether_or_not_it_had_events(cast):
    """Listed only where it had events, a unit would say so beside figures that may show 0."""
    parent = cast.unit("DEMO-VOF")
    month = add_months(THIS_MONTH, -40)
    expected = sorted(
        unit.name
        for unit in Unit.objects.filter(parent=parent, valid_from__lte=month)
        if unit.valid_to is None or unit.valid_to >= add_months(month, -1)
    )
    quiet = Report.objects.filter(
        unit__parent=parent, occurred_on__gte=month, occurred_on__lt=add_months(month, 1)
    )
    quiet.update(occurred_on=add_months(month, -24))  # a month without events anywhere below
    services.rebuild()
    board = board_for(cast, "analytiker", "DEMO-VOF", "month", month)
    table = board.tables.get("units")
    assert table is not None
    assert sorted(row.label for row in table.rows if row.code) == expected
