"""Small numbers across pages: a unit's table and the same table on the pages of the units
below it. An attacker who reads all of them at once, as linear constraints, works out no
small figure that any of them hides."""

import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lp_attacker import Attacker, K
from varna.orgs import tree
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.taxonomy import ActorRelation, Form, Place, Situation
from varna.stats import access, selectors, services, suppression
from varna.stats.figures import NOT_STATED, Chosen
from varna.stats.models import ACTOR_COLUMNS, PLACE_COLUMNS, MonthlyCount
from varna.stats.periods import period_of
from varna.stats.suppression import Figure

OWN = "own"
KEYS = "abcd"

# (row, key) per event: rows x, y, z are units below, OWN the parent's own events.
events = st.lists(
    st.tuples(st.sampled_from(["x", "y", "z", OWN]), st.sampled_from(KEYS)), max_size=60
)


# Derandomized: the same examples on every run, so that CI is repeatable; the suppressor's
# reasoning by ranges is weaker than this attacker's linear programs, and a new example that
# breaks it should be found on purpose (raise max_examples locally), not by chance in CI.
@settings(max_examples=400, deadline=None, derandomize=True)
@given(events)
def test_no_small_figure_can_be_worked_out_from_a_unit_and_the_units_below(rows):
    counts = Counter(rows)
    table = {key: sum(n for (row, k), n in counts.items() if k == key) for key in KEYS}
    units = {
        row: sum(n for (r, _k), n in counts.items() if r == row) for row in ["x", "y", "z", OWN]
    }
    total = len(rows)
    parent = suppression.group(total, {"t": table, "units": units}, k=K)
    children = {row: {key: counts[(row, key)] for key in KEYS} for row in units}
    shown, given_up = suppression.within(
        parent.tables["t"],
        parent.total,
        children,
        parent.tables["units"],
        parent_withheld=parent.withheld,
        unseen=frozenset({OWN}),
        k=K,
    )
    attacker = Attacker()
    small_total = parent.total.hidden and not parent.total.secondary
    every = [(row, key) for row in units for key in KEYS]

    def on_parent(label, unknowns, figure, true):
        attacker.read(
            label, unknowns, figure, true, withheld=parent.withheld, small_total=small_total
        )

    on_parent("total", every, parent.total, total)
    for key in KEYS:
        on_parent(f"parent.{key}", [(r, key) for r in units], parent.tables["t"][key], table[key])
    for row in units:
        on_parent(
            f"units.{row}", [(row, key) for key in KEYS], parent.tables["units"][row], units[row]
        )
    for row in "xyz":
        whole = parent.tables["units"][row]
        for key in KEYS:
            figure = shown[row][key]
            small = whole.hidden and not whole.secondary
            withheld = whole.hidden or row in given_up
            attacker.read(
                f"{row}.{key}",
                [(row, key)],
                figure,
                children[row][key],
                withheld=withheld,
                small_total=small,
            )
            if 0 < children[row][key] < K:
                assert figure.hidden
    for key in KEYS:
        attacker.secret(f"own.{key}", [(OWN, key)], children[OWN][key])
    assert attacker.worked_out() == []


# Every page at once ---------------------------------------------------------------------------

YEAR = date.today().year - 1
LABELS = {
    "form": {str(label): code for code, label in Form.choices},
    "place": {str(label): code for code, label in Place.choices},
    "situation": {str(label): code for code, label in Situation.choices},
    "actor": {str(label): code for code, label in ActorRelation.choices},
}


def fill(seed: int) -> list[Unit]:
    """Sparse random events in every unit of the demo municipality over two years, so that
    most figures are small."""
    rng = random.Random(seed)
    MonthlyCount.objects.all().delete()
    units = list(Unit.objects.filter(tree.subtree_q(Unit.objects.get(code="DEMO").path)))
    found: dict[tuple, dict[str, int]] = {}
    for unit in units:
        for _event in range(rng.randint(0, 14)):
            key = (
                unit.pk,
                date(rng.choice([YEAR - 1, YEAR]), rng.randint(1, 12), 1),
                rng.choice(Form.values),
                rng.choice([*Situation.values, ""]),
            )
            counts = found.setdefault(key, defaultdict(int))
            counts["events"] += 1
            place = rng.choice([*PLACE_COLUMNS, None])
            if place:
                counts[place] += 1
            actor = rng.choice([*ACTOR_COLUMNS, None])
            if actor:
                counts[actor] += 1
    MonthlyCount.objects.bulk_create(
        MonthlyCount(unit_id=unit, month=month, form=form, situation=situation, **counts)
        for (unit, month, form, situation), counts in found.items()
    )
    services.rebuild_subtrees()
    return units


def key_of(table: str, label: str) -> str:
    if table == "month":
        return label[5:]
    return LABELS[table].get(label, NOT_STATED)


def read_pages(attacker: Attacker, table: str, units: list[Unit], login) -> None:
    """Every figure of `table` (and the totals and tables of units) on every page the
    analyst can open, each a sum of unknowns (unit's own events, year, key). The events of
    the subtrees where the reader may open the cases are known to them one by one, and are
    not secret."""
    truth: dict[tuple[str, int, str], int] = defaultdict(int)
    for row in MonthlyCount.objects.filter(month__year__gte=YEAR - 1).select_related("unit"):
        for key, count in split(table, row).items():
            truth[(row.unit.path, row.month.year, key)] += count
    keys = sorted({key for (_path, _year, key) in truth} | set(LABELS.get(table, {}).values()))
    if table == "month":
        keys = [f"{month:02d}" for month in range(1, 13)]
    paths = [unit.path for unit in units]
    opens = access.opens_cases_check(login)
    known = {unit.path for unit in units if opens(unit)}

    def inside(path: str, exact: bool = True) -> list[str]:
        # A page that hides small numbers leaves out the subtrees the reader sees in full.
        return [
            other for other in paths if other.startswith(path) and (exact or other not in known)
        ]

    def atoms(owners: list[str], year: int, chosen: list[str]) -> list[tuple[str, int, str]]:
        return [(owner, year, key) for owner in owners for key in chosen]

    def true(unknowns) -> int:
        return sum(truth.get(unknown, 0) for unknown in unknowns)

    def read(label, unknowns, cell_, withheld):
        if cell_.value is not None:
            figure = Figure(int(cell_.value))
        else:
            figure = Figure(None, secondary=not cell_.text.startswith("<"))
        attacker.read(label, unknowns, figure, true(unknowns), withheld=withheld)

    tops = access.tops(login)
    everything = sorted({path for top in tops for path in inside(top.path)})
    pages: list[Unit | None] = [unit for unit in units if access.may_follow_up(login, unit)]
    if len(tops) > 1:
        pages.insert(0, None)
    for unit in pages:
        for year in (YEAR, YEAR - 1):
            chosen = Chosen(period=period_of("year", date(year, 12, 1)), unit=unit)
            board = selectors.dashboard(login, chosen)
            where = f"{unit.code if unit else 'all'} {year}"
            exact = board.reveal
            below = (
                inside(unit.path, exact)
                if unit
                else [path for path in everything if exact or path not in known]
            )
            for index, figure in enumerate((board.total, board.previous)):
                unknowns = atoms(below, year - index, keys)
                withheld = board.withheld if index == 0 else board.previous_withheld
                attacker.read(
                    f"{where} total {index}", unknowns, figure, true(unknowns), withheld=withheld
                )
            shown = board.tables[table]
            columns = {"form": (0, 1), "month": (0, 2)}.get(table, (0,))
            for row in shown.rows:
                if row.is_total:
                    continue
                key = key_of(table, row.label)
                for index, column in enumerate(columns):
                    read(
                        f"{where} {table} {row.label} {index}",
                        atoms(below, year - index, [key]),
                        row.cells[column],
                        shown.withheld[index],
                    )
            if "units" in board.tables:
                owners_left = set(below)
                children = [
                    row for row in board.tables["units"].rows if row.code and not row.is_total
                ]
                for row in children:
                    owners_left -= set(inside(Unit.objects.get(code=row.code).path, exact))
                for row in board.tables["units"].rows:
                    if row.is_total:
                        continue
                    owners = (
                        inside(Unit.objects.get(code=row.code).path, exact)
                        if row.code
                        else sorted(owners_left)
                    )
                    for index in (0, 1):
                        read(
                            f"{where} units {row.label} {index}",
                            atoms(owners, year - index, keys),
                            row.cells[index],
                            board.tables["units"].withheld[index],
                        )
    for (path, year, key), count in truth.items():
        if path in known:
            attacker.read(f"opened {path} {year} {key}", [(path, year, key)], Figure(count), count)
        else:
            attacker.secret(f"own {path} {year} {key}", [(path, year, key)], count)


def split(table: str, row: MonthlyCount) -> dict[str, int]:
    if table == "form":
        return {row.form: row.events}
    if table == "month":
        return {f"{row.month.month:02d}": row.events}
    if table == "situation":
        return {row.situation or NOT_STATED: row.events}
    columns = PLACE_COLUMNS if table == "place" else ACTOR_COLUMNS
    counts = {code: getattr(row, column) for column, code in columns.items()}
    counts[NOT_STATED] = row.events - sum(counts.values())
    return counts


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("table", ["form", "month", "place"])
def test_no_small_figure_can_be_worked_out_from_every_page_together(cast, seed, table):
    units = fill(seed)
    attacker = Attacker()
    read_pages(attacker, table, units, cast["analytiker"])
    assert attacker.secrets, "the data has no small figures to protect"
    assert attacker.worked_out() == []


@pytest.mark.parametrize("table", ["form", "place"])
def test_nor_by_a_reader_of_two_parts_with_the_page_of_both(cast, table):
    """The page of everything such a reader follows is one more level above their tops."""
    reader = User.objects.create(username="analytiker.tva")
    for code in ("DEMO-ALN", "DEMO-IFN"):
        RoleGrant.objects.create(user=reader, unit=cast.unit(code), role=Role.ANALYST)
    units = fill(3)
    attacker = Attacker()
    read_pages(attacker, table, units, reader)
    assert attacker.secrets, "the data has no small figures to protect"
    assert attacker.worked_out() == []


@pytest.mark.parametrize("table", ["form", "place"])
@pytest.mark.parametrize(
    ("follows", "manages", "seed"),
    [
        # A manager of one unit who follows up the whole municipality as an analyst.
        ("DEMO", "DEMO-FSE1", 4),
        # A manager of one part who follows up another: the page of both is the other's.
        ("DEMO-IFN", "DEMO-ALF", 5),
    ],
)
def test_nor_by_a_reader_who_opens_the_cases_of_some_units(cast, table, follows, manages, seed):
    """The events of the units whose cases the reader opens, known to them in full, subtract
    from nothing the other pages hide."""
    reader = User.objects.create(username="chef.och.analytiker")
    RoleGrant.objects.create(user=reader, unit=cast.unit(follows), role=Role.ANALYST)
    RoleGrant.objects.create(user=reader, unit=cast.unit(manages), role=Role.MANAGER)
    units = fill(seed)
    attacker = Attacker()
    read_pages(attacker, table, units, reader)
    assert attacker.secrets, "the data has no small figures to protect"
    assert attacker.worked_out() == []


@pytest.mark.parametrize("seed", [1, 5])
def test_hot_spots_show_a_unit_below_as_its_parents_page_does(cast, seed):
    """A unit two levels down in the hot spots or the rises has the figures its parent's
    table of units gives it, never one that page hides (a rise is this year less the last)."""
    units = fill(seed)
    reader = cast["analytiker"]
    checked = 0
    for unit in units:
        if not access.may_follow_up(reader, unit):
            continue
        chosen = Chosen(period=period_of("year", date(YEAR, 12, 1)), unit=unit)
        board = selectors.dashboard(reader, chosen)
        for spot in [*board.hot_spots, *board.rises]:
            if spot.unit.parent_id == unit.pk:
                continue  # one level down: this page's own table of units
            parent = selectors.dashboard(reader, replace(chosen, unit=spot.unit.parent))
            row = next(row for row in parent.tables["units"].rows if row.code == spot.unit.code)
            assert spot.count == row.cells[0].value
            if spot.change is not None:
                assert row.cells[1].value is not None
                assert spot.change == spot.count - row.cells[1].value
            checked += 1
    assert checked, "no unit two levels down among the hot spots"
