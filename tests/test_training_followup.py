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
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Employment, Unit, User
from varna.stats import selectors
from varna.stats.figures import Cell
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


# --- small numbers: a share of one or two people is not shown to those who may not see them --


@pytest.fixture
def few(cast, course) -> Unit:
    """Ett litet team under Arbetslivsförvaltningen: one person fewer than the small-number
    limit, each held to the course twice (all staff, and staff of an enhet), so that the pairs
    counted reach the limit while the people do not; one of them holds the course."""
    unit = org_services.create_unit(
        code="DEMO-LITEN", name="Litet team", kind="enhet", parent=cast.unit("DEMO-ALF")
    )
    Requirement.objects.create(course=course, unit_kind="enhet", within_months=3)
    for number in range(settings.VARNA_SMALL_NUMBER_K - 1):
        someone = User.objects.create_user(f"liten{number}", last_name=f"Litensson{number}")
        org_services.employ(user=someone, unit=unit, start_date=date(2020, 1, 1))
        if number == 0:
            Completion.objects.create(
                person=someone, course=course, completed_on=date(2026, 1, 15), source="import"
            )
    return unit


def row_of(table, code: str):
    return next(row for row in table.rows if row.code == code)


def test_a_share_of_too_few_people_is_a_dash_to_those_who_may_not_see_their_training(cast, few):
    found = coverage.coverage(few, timezone.localdate())
    small = settings.VARNA_SMALL_NUMBER_K
    # The pairs counted reach the limit; the people, who are what a share tells about, do not.
    assert found.people == small - 1 and found.total.staff >= small

    # The manager of the förvaltning follows its training up: the share as it is.
    manager = dashboard(cast.client("forvaltningschef"), "DEMO-ALF").context["training"]
    exact = round(found.total.share * 100)
    assert row_of(manager, "DEMO-LITEN").cells[1].value == exact
    assert gettext("too few to show") not in str(row_of(manager, "DEMO-LITEN").cells[1])

    # The analyst follows up the figures, not who has which course: a dash, with words for a
    # screen reader, and a note that says why.
    response = dashboard(cast.client("analytiker"), "DEMO-ALF")
    table = response.context["training"]
    cell = row_of(table, "DEMO-LITEN").cells[1]
    assert (cell.text, cell.value) == ("–", None)
    assert cell.hidden == gettext("too few to show")
    page = response.text
    assert (
        f'<span aria-hidden="true">–</span><span class="visually-hidden">{cell.hidden}</span>'
        in page
    )
    assert str(small) in table.note and table.note in page.replace("&#x27;", "'")
    # Larger units keep their shares.
    assert row_of(table, "DEMO-AME").cells[1].value == 100
    # The download shows what the page shows.
    export = cast.client("analytiker").get(
        reverse("stats:export", args=["training", "csv"]), {"unit": "DEMO-ALF"}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert next(row for row in rows if row[0] == "Litet team")[2] == "–"
    assert str(exact) not in next(row for row in rows if row[0] == "Litet team")[1:]

    # One more person makes enough people to show the share to everyone.
    third = User.objects.create_user("liten-tre", last_name="Litensson")
    org_services.employ(user=third, unit=few, start_date=date(2020, 1, 1))
    table = dashboard(cast.client("analytiker"), "DEMO-ALF").context["training"]
    shown = coverage.coverage(few, timezone.localdate())
    assert shown.people == small
    assert row_of(table, "DEMO-LITEN").cells[1].value == round(shown.total.share * 100)
    assert not getattr(row_of(table, "DEMO-LITEN").cells[1], "hidden", "")


def test_a_withheld_share_raises_no_flag(cast, few):
    """A flag on a unit whose share is withheld would tell that the share is low."""
    board = dashboard(cast.client("analytiker"), "DEMO-ALF").context["board"]
    row = row_of(board.tables["units"], "DEMO-LITEN")
    # Far more events per employee than the whole: flagged if its share were read.
    row.cells[0], row.cells[3] = Cell("50", 50), Cell("2", 2)
    today = timezone.localdate()
    with override_settings(VARNA_TRAINING_COVERAGE_TARGET=101):
        hidden = selectors.training_table(board, today, reader=cast["analytiker"])
        seen = selectors.training_table(board, today, reader=cast["forvaltningschef"])
    assert row_of(hidden, "DEMO-LITEN").cells[2].text == ""
    assert row_of(seen, "DEMO-LITEN").cells[2].text != ""
    # Without a reader nothing small is shown.
    assert selectors.training_table(board, today).rows == hidden.rows


# --- kept for the day, and changed at once --------------------------------------------------


def test_the_coverage_is_kept_between_pages_and_a_change_shows_at_once(cast, course, monkeypatch):
    calls = []
    real = coverage.standings

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage, "standings", counted)
    manager = cast.client("forvaltningschef")
    first = dashboard(manager, "DEMO-ALF").context["training"]
    assert len(calls) == 1 and row_of(first, "DEMO-FSE").cells[1].value == 0
    # The same units again, by the same reader or another: nothing worked out anew.
    dashboard(manager, "DEMO-ALF")
    dashboard(cast.client("analytiker"), "DEMO-ALF")
    assert len(calls) == 1

    # A course registered in Försörjningsenheten shows on the next page.
    someone = (
        Employment.objects.filter(tree.subtree_q(cast.unit("DEMO-FSE").path, "unit__path"))
        .order_by("pk")
        .first()
        .user
    )
    added = Completion.objects.create(
        person=someone, course=course, completed_on=date(2026, 2, 1), source="manager"
    )
    after = dashboard(manager, "DEMO-ALF").context["training"]
    assert len(calls) == 2
    assert row_of(after, "DEMO-FSE").cells[1].value == round(share_of("DEMO-FSE") * 100) > 0
    # Taken back: the rows are those of the first page again, and so is what it showed.
    added.delete()
    again = dashboard(manager, "DEMO-ALF").context["training"]
    assert row_of(again, "DEMO-FSE").cells[1].value == 0
    assert [row.cells for row in again.rows] == [row.cells for row in first.rows]


def test_a_page_over_several_municipalities_has_no_training_table(cast, course):
    """Courses are required per municipality; a page over several would read all their staff."""
    from django.test import Client

    from varna.orgs import services as org_services
    from varna.orgs.models import Role, User

    # A demo account: the analyst role would otherwise first be asked to set up a second factor.
    reader = User.objects.create(username="regionanalytiker", is_demo=True)
    for code in ("DEMO", "GRANN"):
        org_services.grant_role(user=reader, unit=cast.unit(code), role=Role.ANALYST)
    client = Client()
    client.force_login(reader, backend="varna.accounts.backends.VarnaBackend")

    response = client.get(reverse("stats:dashboard"))

    assert response.status_code == 200 and response.context["board"].chosen.unit is None
    assert response.context["training"] is None
    # Within one of them the table is there.
    assert dashboard(client, "DEMO").context["training"] is not None
