"""Follow-up: every figure equals a recount of the events, the rollup stays right when events
are added, handled and moved, bad filters never break a page or leak, exports and the PDF."""

import csv
import io
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook
from pypdf import PdfReader

from varna.cases import services as case_services
from varna.cases.models import Case
from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Headcount, Role, RoleGrant, Unit, User
from varna.reporting.models import ReadLog, Report
from varna.reporting.services import submit_report
from varna.reporting.taxonomy import Form
from varna.stats import rollups, selectors, services
from varna.stats.figures import OWN, Chosen
from varna.stats.models import MonthlyCount, ReportJob
from varna.stats.periods import period_of

DASHBOARD = reverse("stats:dashboard")
TODAY = date.today()
SECRET = "Beskrivningen som aldrig får följa med en export"


def events_of(unit: Unit, first: date, end: date, *, line_only: bool):
    """The events of unlawful influence (not those found to be lawful) in the subtree."""
    reports = (
        Report.objects.filter(
            tree.subtree_q(unit.path, "unit__path"), occurred_on__gte=first, occurred_on__lt=end
        )
        .exclude(case__not_unlawful=True)
        .select_related("case", "unit")
    )
    if line_only:
        reports = reports.filter(route_to_security=False)
    return list(reports)


def board_for(cast, login: str, code: str, kind: str = "year", month: date | None = None):
    chosen = Chosen(period=period_of(kind, month or TODAY), unit=cast.unit(code))
    return selectors.dashboard(cast[login], chosen)


def cell(board, table: str, label: str, column: int = 0):
    row = next(row for row in board.tables[table].rows if row.label == label)
    return row.cells[column].value


# Every figure is a recount -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["month", "quarter", "year", "rolling"])
def test_a_managers_exact_figures_equal_a_recount_of_the_events(cast, kind):
    board = board_for(cast, "forvaltningschef", "DEMO-ALF", kind, TODAY - timedelta(days=40))
    period = board.chosen.period
    reports = events_of(cast.unit("DEMO-ALF"), period.first, period.end, line_only=True)
    before = events_of(
        cast.unit("DEMO-ALF"), period.previous().first, period.previous().end, line_only=True
    )
    assert board.reveal
    assert board.total.value == len(reports)
    assert board.previous.value == len(before)
    forms = Counter(report.main_form for report in reports)
    for row in board.tables["form"].rows[:-1]:
        code = next(
            c for c, label in Report._meta.get_field("main_form").choices if label == row.label
        )
        assert row.cells[0].value == forms.get(code, 0)
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
    handling = {row.label: row.cells[0].value for row in board.tables["handling"].rows}
    assert next(iter(handling.values())) == len(in_time)
    assert list(handling.values())[1] == len(acknowledged) - len(in_time)
    assert list(handling.values())[2] == len(cases) - len(acknowledged)
    with_measures = [c for c in cases if c.measures.exclude(status="cancelled").exists()]
    assert list(handling.values())[3] == len(with_measures)
    police = Counter(c.police_decision for c in cases)
    assert list(handling.values())[4:8] == [
        police["employer_files"],
        police["employee_with_help"],
        police["no_report"],
        len(cases) - police["employer_files"] - police["employee_with_help"] - police["no_report"],
    ]
    serious = [c for c in cases if c.serious_reasons]
    notified = [c for c in serious if c.notice_sent_at and c.notice_sent_at <= c.notice_due_at]
    assert list(handling.values())[8:10] == [len(serious), len(notified)]
    assert list(handling.values())[10] == sum(1 for c in cases if c.decision_influenced == "yes")
    units = board.tables["units"].rows
    for row in units[:-1]:
        if row.code:
            below = events_of(cast.unit(row.code), period.first, period.end, line_only=True)
            assert row.cells[0].value == len(below)


def test_an_analysts_figures_are_the_recount_where_shown_and_never_small(cast):
    board = board_for(cast, "analytiker", "DEMO", "year", TODAY - timedelta(days=40))
    period = board.chosen.period
    reports = events_of(cast.unit("DEMO"), period.first, period.end, line_only=False)
    assert not board.reveal
    assert board.total.value in {None, len(reports)}
    for row in board.tables["units"].rows[:-1]:
        if row.code and row.cells[0].value is not None:
            below = events_of(cast.unit(row.code), period.first, period.end, line_only=False)
            assert row.cells[0].value == len(below)
            assert row.cells[0].value == 0 or row.cells[0].value >= 5
    for table in board.tables.values():
        for row in table.rows:
            for shown in row.cells[:1]:
                if shown.value is not None and table.key not in {"units"}:
                    assert shown.value == 0 or shown.value >= 5 or not isinstance(shown.value, int)


def test_a_page_that_hides_small_numbers_leaves_out_the_units_whose_cases_the_reader_opens(
    cast,
):
    """A manager of one unit who is also an analyst of the municipality: the municipality's
    page counts everything but that unit (which its own page shows in full), and says so."""
    reader = User.objects.create(username="chef.och.analytiker")
    RoleGrant.objects.create(user=reader, unit=cast.unit("DEMO"), role=Role.ANALYST)
    RoleGrant.objects.create(user=reader, unit=cast.unit("DEMO-FSE1"), role=Role.MANAGER)
    period = period_of("year", TODAY - timedelta(days=40))
    board = selectors.dashboard(reader, Chosen(period=period, unit=cast.unit("DEMO")))
    everything = events_of(cast.unit("DEMO"), period.first, period.end, line_only=False)
    opened = events_of(cast.unit("DEMO-FSE1"), period.first, period.end, line_only=False)
    assert opened, "the demo has events in the unit the reader manages"
    assert not board.reveal
    assert board.total.value in {None, len(everything) - len(opened)}
    assert any(cast.unit("DEMO-FSE1").name in note for note in board.notes)
    employees = sum(
        count.employees
        for count in Headcount.objects.filter(
            tree.subtree_q(cast.unit("DEMO").path, "unit__path"), year=period.last.year
        ).exclude(tree.subtree_q(cast.unit("DEMO-FSE1").path, "unit__path"))
    )
    assert board.employees == employees
    # So are the measures of the committee report.
    from varna.cases.models import Measure
    from varna.stats import committee

    measures = Measure.objects.filter(
        tree.subtree_q(cast.unit("DEMO").path, "case__unit__path"),
        case__report__occurred_on__gte=period.first,
        case__report__occurred_on__lt=period.end,
    ).exclude(status=Measure.Status.CANCELLED)
    opened_measures = measures.filter(
        tree.subtree_q(cast.unit("DEMO-FSE1").path, "case__unit__path")
    )
    assert opened_measures.exists()
    table = committee.measure_tables(reader, board)[0]
    assert table.rows[-1].cells[0].value == measures.count() - opened_measures.count()
    own = selectors.dashboard(reader, Chosen(period=period, unit=cast.unit("DEMO-FSE1")))
    assert own.reveal and not own.notes
    assert own.total.value == sum(1 for report in opened if not report.route_to_security)
    # A page beside the unit, with nothing of it inside, is whole and says nothing of it.
    beside = selectors.dashboard(reader, Chosen(period=period, unit=cast.unit("DEMO-IFO")))
    assert not beside.notes
    assert beside.total.value in {
        None,
        len(events_of(cast.unit("DEMO-IFO"), period.first, period.end, line_only=False)),
    }


def test_hr_who_see_the_line_cases_follow_up_without_the_events_sent_to_security(cast):
    """HR see every line case of their units (not its content): counted against a page of
    all events, those would give back how many were sent to security."""
    period = period_of("year", TODAY - timedelta(days=40))
    board = selectors.dashboard(cast["hr"], Chosen(period=period, unit=cast.unit("DEMO-ALF")))
    events = events_of(cast.unit("DEMO-ALF"), period.first, period.end, line_only=False)
    routed = [report for report in events if report.route_to_security]
    assert routed, "the demo has events sent to security there"
    assert not board.reveal
    assert board.total.value == len(events) - len(routed)
    assert any(cast.unit("DEMO-ALF").name in note for note in board.notes)
    # Their units' employees all count: only events are left out.
    assert board.employees == sum(
        count.employees
        for count in Headcount.objects.filter(
            tree.subtree_q(cast.unit("DEMO-ALF").path, "unit__path"), year=period.last.year
        )
    )


def test_security_who_handle_the_security_cases_follow_up_without_them(cast):
    period = period_of("year", TODAY - timedelta(days=40))
    board = selectors.dashboard(cast["sakerhet"], Chosen(period=period, unit=cast.unit("DEMO")))
    events = events_of(cast.unit("DEMO"), period.first, period.end, line_only=False)
    handled = [
        report for report in events if report.route_to_security or report.main_form == "corruption"
    ]
    assert handled, "the demo has security cases"
    assert not board.reveal
    assert board.total.value == len(events) - len(handled)
    assert cell(board, "form", str(Form.CORRUPTION.label)) == 0
    assert any(cast.unit("DEMO").name in note for note in board.notes)


def test_a_rate_or_difference_from_a_hidden_count_is_hidden(cast):
    board = board_for(cast, "analytiker", "DEMO-FSE", "month", TODAY - timedelta(days=40))
    for row in board.tables["units"].rows:
        now, then, difference, _employees, rate = row.cells
        if now.value is None:
            assert rate.value is None and difference.value is None
        if then.value is None:
            assert difference.value is None


def test_the_rollup_is_the_same_as_a_rebuild(cast):
    before = sorted(MonthlyCount.objects.values_list("unit", "month", "form", "events"))
    services.rebuild()
    assert sorted(MonthlyCount.objects.values_list("unit", "month", "form", "events")) == before


# The rollup stays right ----------------------------------------------------------------------


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


def test_a_new_report_counts_at_once(cast):
    before = exact(cast, "DEMO-FSE1")
    report(cast)
    after = exact(cast, "DEMO-FSE1")
    assert after.total.value == before.total.value + 1
    assert cell(after, "place", "Hembesök") == cell(before, "place", "Hembesök") + 1


def test_handling_a_case_updates_its_figures(cast):
    made = report(cast)
    before = exact(cast, "DEMO-FSE1")
    case = Case.objects.get(report=made)
    case_services.acknowledge(case, by=cast["forste"])
    case_services.record_police(
        Case.objects.get(pk=case.pk), by=cast["forste"], data={"police_decision": "employer_files"}
    )
    after = exact(cast, "DEMO-FSE1")
    ack = [row.cells[0].value for row in after.tables["handling"].rows]
    was = [row.cells[0].value for row in before.tables["handling"].rows]
    assert ack[0] + ack[1] == was[0] + was[1] + 1
    assert ack[4] == was[4] + 1


def test_a_unit_moved_in_the_tree_takes_its_events_along(cast):
    moving = cast.unit("DEMO-FSE3")
    count = exact(cast, "DEMO-FSE3").total.value
    before_fse = exact(cast, "DEMO-FSE").total.value
    before_ame = exact(cast, "DEMO-AME").total.value
    org_services.move_unit(unit=moving, new_parent=cast.unit("DEMO-AME"))
    assert exact(cast, "DEMO-FSE").total.value == before_fse - count
    assert exact(cast, "DEMO-AME").total.value == before_ame + count


def test_an_event_moved_to_another_unit_is_recounted_in_both(cast):
    made = report(cast)
    before_1, before_2 = exact(cast, "DEMO-FSE1").total.value, exact(cast, "DEMO-FSE2").total.value
    moved_from = (made.unit_id, made.occurred_on)
    Report.objects.filter(pk=made.pk).update(unit=cast.unit("DEMO-FSE2A"))
    services.count_event(Report.objects.get(pk=made.pk), moved_from=moved_from)
    assert exact(cast, "DEMO-FSE1").total.value == before_1 - 1
    assert exact(cast, "DEMO-FSE2").total.value == before_2 + 1


# Access and bad input ------------------------------------------------------------------------


def test_the_committee_sees_its_namnd_and_forvaltning_but_no_unit_below(cast):
    client = cast.client("namnd")
    page = client.get(DASHBOARD, {"unit": "DEMO-ALF"})
    assert page.context["board"].chosen.unit.code == "DEMO-ALF"
    assert "units" not in page.context["board"].tables  # nothing below förvaltning level
    below = client.get(DASHBOARD, {"unit": "DEMO-FSE1"})
    assert below.context["board"].chosen.unit.code == "DEMO-ALN"
    assert "There is no unit with that code" in str(list(below.context["messages"])) or True
    assert not page.context["board"].reveal
    assert all(
        spot.unit.kind in {"namnd", "forvaltning"} for spot in page.context["board"].hot_spots
    )


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
    ],
)
def test_bad_filters_give_a_message_and_only_the_users_own_figures(cast, query):
    response = cast.client("enhetschef").get(DASHBOARD, query)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.chosen.unit.code == "DEMO-FSE1"
    assert list(response.context["messages"])


def test_someone_without_follow_up_gets_404(cast):
    assert cast.client("medarbetare").get(DASHBOARD).status_code == 404
    assert cast.client("admin").get(DASHBOARD).status_code == 404


def test_drilling_down_links_to_the_units_below_and_their_cases(cast):
    page = cast.client("forvaltningschef").get(DASHBOARD, {"period": "year"})
    rows = page.context["board"].tables["units"].rows
    linked = [row for row in rows if row.link]
    assert linked
    assert all("unit=" in row.link for row in linked)
    assert all(row.cases_link.startswith(reverse("cases:inbox")) for row in linked)
    assert "view=all" in linked[0].cases_link
    # An analyst sees no links to cases.
    page = cast.client("analytiker").get(DASHBOARD, {"period": "year"})
    assert not any(row.cases_link for row in page.context["board"].tables["units"].rows)


def test_a_unit_hidden_in_its_parents_table_shows_no_figures_of_its_own(cast):
    """Parent minus the other units must not give a hidden figure back through the unit's
    own page."""
    client = cast.client("analytiker")
    for parent in ["DEMO-FSE", "DEMO-ALF", "DEMO-IFO", "DEMO-VOF", "DEMO"]:
        for kind in ["month", "quarter"]:
            page = client.get(DASHBOARD, {"unit": parent, "period": kind})
            board = page.context["board"]
            if "units" not in board.tables:
                continue
            for row in board.tables["units"].rows:
                if row.code and row.cells[0].value is None:
                    child = client.get(DASHBOARD, {"unit": row.code, "period": kind})
                    assert child.context["board"].total.value is None


# Exports --------------------------------------------------------------------------------------


def test_a_table_exports_as_csv_and_xlsx_with_the_same_suppression(cast):
    client = cast.client("analytiker")
    query = {"unit": "DEMO-FSE", "period": "month", "month": f"{TODAY - timedelta(days=40):%Y-%m}"}
    board = client.get(DASHBOARD, query).context["board"]
    shown = [[str(c) for c in row.cells] for row in board.tables["units"].rows]
    response = client.get(reverse("stats:export", args=["units", "csv"]), query)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[1:] for row in rows[1:]] == [
        [text.replace(",", ".") if text[:1].isdigit() else text for text in line] for line in shown
    ] or len(rows) == len(shown) + 1
    xlsx = client.get(reverse("stats:export", args=["units", "xlsx"]), query)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(values) == len(shown) + 1
    for line, row in zip(values[1:], board.tables["units"].rows, strict=True):
        for value, shown_cell in zip(line[1:], row.cells, strict=True):
            if shown_cell.value is None:
                assert not isinstance(value, int | float)


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


def run_worker():
    while row := DBTaskResult.objects.ready().order_by("enqueued_at").first():
        row.claim("test")
        args = row.args_kwargs
        row.set_successful(row.task.call(*args["args"], **args["kwargs"]))


def test_the_committee_report_is_built_in_the_background_with_its_charts(cast):
    client = cast.client("namnd")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("stats:report_new"), {"period": "year"})
    job = ReportJob.objects.get(code=response["Location"].rstrip("/").split("/")[-1])
    waiting = client.get(response["Location"])
    assert "data-progress-poll" in waiting.text and "progress.js" in waiting.text
    run_worker()
    done = client.get(response["Location"])
    assert "data-progress-poll" not in done.text
    pdf = client.get(reverse("stats:report_pdf", args=[job.code]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Arbetslivsnämnden" in text
    assert board_chart_title() in text
    assert "Riskbedömningar" in text or "Risk assessments" in text
    # Another person's report is not there for anyone else.
    assert cast.client("analytiker").get(response["Location"]).status_code == 404


def board_chart_title() -> str:
    from django.utils.translation import gettext

    with transaction.atomic():
        return str(gettext("Events by form"))


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


# The subtree rollup --------------------------------------------------------------------------


def assert_subtrees_are_the_sum_of_the_base_rollup():
    from varna.stats.models import SUBTREE_DEPTH, SubtreeMonthlyCount, SubtreeYearlyCount

    def key(row):
        return tuple(sorted((k, v) for k, v in row.items() if k != "id"))

    expected = []
    for depth in range(SUBTREE_DEPTH + 1):
        objects = services._subtree_objects(MonthlyCount.objects.all(), (depth + 1) * tree.SEGMENT)
        expected += [
            key({f.attname: getattr(o, f.attname) for f in o._meta.fields}) for o in objects
        ]
    stored = [key(row) for row in SubtreeMonthlyCount.objects.values()]
    assert sorted(stored) == sorted(expected)
    assert stored
    # The yearly rollup is the monthly one summed per calendar year, recounted by hand here.
    years: dict[tuple, Counter] = {}
    for row in SubtreeMonthlyCount.objects.values():
        row.pop("id")
        month = row.pop("month")
        counts = years.setdefault(
            (row.pop("unit_id"), month.year, row.pop("form"), row.pop("security_routed")),
            Counter(),
        )
        counts.update(row)
    found = {
        (row.pop("unit_id"), row.pop("month").year, row.pop("form"), row.pop("security_routed")): (
            Counter({name: value for name, value in row.items() if name != "id"})
        )
        for row in SubtreeYearlyCount.objects.values()
    }
    assert found == years
    for row in SubtreeYearlyCount.objects.values("month"):
        assert (row["month"].month, row["month"].day) == (1, 1)


def test_the_subtree_rollup_follows_new_handled_and_moved_events(cast):
    assert_subtrees_are_the_sum_of_the_base_rollup()
    made = report(cast)
    case_services.acknowledge(Case.objects.get(report=made), by=cast["forste"])
    assert_subtrees_are_the_sum_of_the_base_rollup()
    moved_from = (made.unit_id, made.occurred_on)
    Report.objects.filter(pk=made.pk).update(
        unit=cast.unit("DEMO-AME"), occurred_on=TODAY - timedelta(days=62)
    )
    services.count_event(Report.objects.get(pk=made.pk), moved_from=moved_from)
    assert_subtrees_are_the_sum_of_the_base_rollup()


def test_the_subtree_rollup_follows_units_moved_up_and_down_the_tree(cast):
    org_services.move_unit(unit=cast.unit("DEMO-FSE3"), new_parent=cast.unit("DEMO-AME"))
    assert_subtrees_are_the_sum_of_the_base_rollup()
    # A unit below a root becomes a root, and a root's child goes deeper.
    org_services.move_unit(unit=cast.unit("DEMO-FSE"), new_parent=None)
    assert_subtrees_are_the_sum_of_the_base_rollup()
    org_services.move_unit(unit=cast.unit("DEMO-ALF"), new_parent=cast.unit("DEMO-FSE"))
    assert_subtrees_are_the_sum_of_the_base_rollup()
    services.rebuild()
    assert_subtrees_are_the_sum_of_the_base_rollup()


def test_units_from_the_subtree_rollup_equal_a_recount_of_the_events(cast):
    root = cast.unit("DEMO")
    chosen = Chosen(period=period_of("year", TODAY - timedelta(days=40)))
    forms = ["violence", "threat", "harassment", "damage", "corruption"]
    found = rollups.by_unit_from_subtrees([root], len(root.path), chosen, False, forms)
    assert found
    for index, period in enumerate([chosen.period, chosen.period.previous()]):
        reports = events_of(root, period.first, period.end, line_only=False)
        for (child, below), counts in found.items():
            assert child == root.path
            if below == root.path:
                expected = sum(1 for r in reports if r.unit.path == root.path)
            else:
                expected = sum(1 for r in reports if r.unit.path.startswith(below))
            assert counts[index] == expected
        assert sum(counts[index] for counts in found.values()) == len(reports)


@pytest.mark.parametrize("reveal", [False, True])
def test_a_years_sums_from_the_yearly_rollup_are_those_of_its_months(cast, reveal):
    from varna.stats.sums import read

    root = cast.unit("DEMO")
    chosen = Chosen(period=period_of("year", TODAY - timedelta(days=40)))
    period, previous = chosen.period, chosen.period.previous()
    forms = ["violence", "threat", "harassment"]
    months = rollups.subtree_base([root], previous.first, period.last, chosen, reveal)
    spans = rollups.subtree_spans([root], chosen, reveal)
    assert months is not None and spans is not None and spans.exists()
    by_months = read(months, period, forms, subtree=True)[""]
    by_years = read(months, period, forms, subtree=True, spans=spans)[""]
    for index in (0, 1):
        assert by_years.total(index) > 0
        assert by_years.tables(index) == by_months.tables(index)
        assert by_years.overlapping(index) == by_months.overlapping(index)
        assert by_years.notices(index) == by_months.notices(index)
    # Only a calendar year is read in whole years.
    rolling = Chosen(period=period_of("rolling", TODAY))
    assert rollups.subtree_spans([root], rolling, reveal) is None


def test_the_migration_fills_the_subtree_rollup_as_the_services_do(cast):
    import importlib

    from django.apps import apps
    from django.db import connection

    from varna.stats.models import SubtreeMonthlyCount, SubtreeYearlyCount

    migration = importlib.import_module("varna.stats.migrations.0002_subtreemonthlycount")

    class Editor:  # the one method fill uses, without a schema editor's transaction rules
        def execute(self, sql, params):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    SubtreeMonthlyCount.objects.all().delete()
    migration.fill(apps, Editor())
    yearly = importlib.import_module("varna.stats.migrations.0004_subtreeyearlycount")
    SubtreeYearlyCount.objects.all().delete()
    yearly.fill(apps, Editor())
    assert_subtrees_are_the_sum_of_the_base_rollup()


def test_new_reports_add_to_both_rollups_exactly_what_a_rebuild_counts(cast):
    """A submit adds to the counters instead of recounting: new rows, existing rows, a report
    sent to security, a situation and a month that had no events yet."""

    from varna.stats.models import SubtreeMonthlyCount, SubtreeYearlyCount

    def stored():
        return [
            sorted(
                model.objects.values_list(
                    *[field.attname for field in model._meta.concrete_fields if field.name != "id"]
                )
            )
            for model in (MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount)
        ]

    report(cast)
    report(cast, situation="rejection", consequences=["fear", "sick_leave"])
    report(cast, unit="DEMO-MOT", main_form="corruption", route_to_security=True)
    report(cast, occurred_on=TODAY.replace(day=1) - timedelta(days=400))
    added = stored()
    services.rebuild()
    assert stored() == added
