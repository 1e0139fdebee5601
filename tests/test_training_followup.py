"""Where to aim the next course (issue 17, item 9): the follow-up sets each unit's events per
100 employees, as the dashboard shows them to the reader (exact, or adjusted by
varna.core.perturbation), beside the share of the training required of its staff that is
valid, and flags the units with a high rate and low coverage.

Each test makes its own course and switches the demo's courses off: the basic course is
required of all staff of Demo kommun; everyone in Arbetsmarknadsenheten holds it, nobody in
Försörjningsenheten does.
"""

import csv
import io
from datetime import date

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from varna.orgs import tree
from varna.orgs.models import Employment, Unit
from varna.stats import selectors
from varna.training import coverage
from varna.training.models import Completion, Course, Requirement

DASHBOARD = reverse("stats:dashboard")


@pytest.fixture
def course(cast) -> Course:
    Course.objects.update(is_active=False)
    made = Course.objects.create(
        municipality=cast.unit("DEMO"), code="grund-uppf", name="Grundkurs", validity_months=36
    )
    Requirement.objects.create(course=made, within_months=3)
    people = set(
        Employment.objects.filter(
            tree.subtree_q(cast.unit("DEMO-AME").path, "unit__path")
        ).values_list("user_id", flat=True)
    )
    Completion.objects.bulk_create(
        [
            Completion(
                person_id=person, course=made, completed_on=date(2026, 1, 15), source="import"
            )
            for person in people
        ]
    )
    return made


def dashboard(client, code: str):
    response = client.get(DASHBOARD, {"unit": code})
    assert response.status_code == 200
    return response


def shown_rates(board) -> dict[str, tuple[str, float | None]]:
    """Each unit's rate per 100 employees as the dashboard's table of units shows it."""
    return {
        row.code: (row.cells[4].text, row.cells[4].value)
        for row in board.tables["units"].rows
        if row.code
    }


def share_of(code: str) -> float | None:
    return coverage.coverage(Unit.objects.get(code=code), timezone.localdate()).total.share


def unrounded_rate(board, code: str) -> float | None:
    row = next(row for row in board.tables["units"].rows if row.code == code)
    events, employees = row.cells[0].value, row.cells[3].value
    return events * 100 / employees if employees else None


def check_flags(board, table, target: int) -> list[str]:
    """The flag is set exactly where the rate is above the whole's and coverage below the
    target; returns the flagged units."""
    flagged = []
    for row in table.rows:
        rate, share = unrounded_rate(board, row.code), share_of(row.code)
        expected = (
            rate is not None
            and board.rate is not None
            and share is not None
            and rate > board.rate
            and share * 100 < target
        )
        assert bool(row.cells[2].text) == expected, row.label
        if expected:
            flagged.append(row.code)
    return flagged


@pytest.mark.parametrize("login", ["forvaltningschef", "analytiker"])
def test_the_table_shows_each_units_rate_as_the_dashboard_does_and_its_coverage(
    cast, course, login
):
    response = dashboard(cast.client(login), "DEMO-ALF")
    board, table = response.context["board"], response.context["training"]
    # The manager may open the cases and sees exact figures; the analyst adjusted ones.
    assert board.reveal is (login == "forvaltningschef")
    assert table is not None and table.key == "training"
    rates = shown_rates(board)
    assert {row.code for row in table.rows} == set(rates)
    for row in table.rows:
        # The rate exactly as the table of units shows it to this reader.
        assert (row.cells[0].text, row.cells[0].value) == rates[row.code]
    by_code = {row.code: row for row in table.rows}
    # Coverage is a recount: all of Arbetsmarknadsenheten, none of Försörjningsenheten.
    assert share_of("DEMO-AME") == 1 and by_code["DEMO-AME"].cells[1].value == 100
    assert share_of("DEMO-FSE") == 0 and by_code["DEMO-FSE"].cells[1].value == 0
    # Highest rate first; units without employees last.
    values = [row.cells[0].value for row in table.rows]
    known = [value for value in values if value is not None]
    assert known == sorted(known, reverse=True)
    assert values[: len(known)] == known
    check_flags(board, table, 80)
    page = response.text
    assert 'id="training-caption"' in page and table.caption in page
    assert page.count("<h1") == 1


def test_the_flag_follows_the_rate_of_the_whole_and_the_target(cast, course):
    client = cast.client("forvaltningschef")
    board = dashboard(client, "DEMO-ALF").context["board"]
    above = [
        code
        for code in shown_rates(board)
        if (unrounded_rate(board, code) or 0) > (board.rate or 0) and share_of(code) is not None
    ]
    assert above, "some unit below has a rate above the whole's"
    with override_settings(VARNA_TRAINING_COVERAGE_TARGET=101):
        table = dashboard(client, "DEMO-ALF").context["training"]
        # Every unit with a higher rate is short of a target nobody reaches.
        assert sorted(check_flags(board, table, 101)) == sorted(above)
    with override_settings(VARNA_TRAINING_COVERAGE_TARGET=0):
        table = dashboard(client, "DEMO-ALF").context["training"]
        assert check_flags(board, table, 0) == []
        assert not any(row.cells[2].text for row in table.rows)


def test_coverage_is_read_in_one_pass_for_the_units_listed(cast, course, monkeypatch):
    """The units one level down, and the several tops of a reader who follows more than one
    subtree, are read together: one pass over the staff's standings per page."""
    calls = []
    real = coverage.standings

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage, "standings", counted)
    today = timezone.localdate()
    board = dashboard(cast.client("forvaltningschef"), "DEMO-ALF").context["board"]
    calls.clear()
    selectors.training_table(board, today)
    assert len(calls) == 1

    # HR follows two förvaltningar: the page without a unit lists both tops.
    response = cast.client("hr").get(DASHBOARD)
    board, table = response.context["board"], response.context["training"]
    assert board.chosen.unit is None and len(board.scope) == 2
    calls.clear()
    again = selectors.training_table(board, today)
    assert len(calls) == 1 and again is not None
    for row in table.rows:
        assert row.cells[1].value == round(share_of(row.code) * 100)


def test_no_training_required_means_no_table(cast, course):
    Requirement.objects.filter(course=course).delete()
    response = dashboard(cast.client("forvaltningschef"), "DEMO-ALF")
    assert response.context["training"] is None
    assert 'id="training-caption"' not in response.text


@pytest.mark.parametrize("login", ["namnd", "analytiker"])
def test_readers_who_may_not_open_cases_see_shares_and_no_names(cast, course, login):
    response = dashboard(cast.client(login), "DEMO-ALN" if login == "namnd" else "DEMO-ALF")
    board, table = response.context["board"], response.context["training"]
    assert not board.reveal and table is not None
    staff_names = Employment.objects.filter(unit__code="DEMO-AME").values_list(
        "user__last_name", flat=True
    )
    for row in table.rows:
        assert row.cells[1].text.endswith("%") or row.cells[1].text == "–"
    # Nobody's name appears in the table's text.
    text = " ".join(str(cell) for row in table.rows for cell in row.cells)
    assert not any(name and name in text for name in staff_names)


def test_the_table_downloads_with_the_figures_the_page_shows(cast, course):
    client = cast.client("analytiker")
    table = dashboard(client, "DEMO-ALF").context["training"]
    response = client.get(reverse("stats:export", args=["training", "csv"]), {"unit": "DEMO-ALF"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == table.label_header
    assert [row[0] for row in rows[1:]] == [row.label for row in table.rows]
    for written, row in zip(rows[1:], table.rows, strict=True):
        rate = row.cells[0].value
        assert written[1] == ("–" if rate is None else str(rate))
    # Without training required there is no such table to download.
    Requirement.objects.filter(course=course).delete()
    missing = client.get(reverse("stats:export", args=["training", "csv"]), {"unit": "DEMO-ALF"})
    assert missing.status_code == 404
