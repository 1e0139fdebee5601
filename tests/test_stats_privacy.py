"""The follow-up's disclosure control (varna.core.perturbation), tested as its own rules and
against an attacker who knows the perturbation table. The pages publish exactly
`publish(Tally(count, key sum))` of each figure's events (tests/test_stats.py checks that
through the URLs), so the attacker here reads figures made the same way from generated worlds:
every period, form filter, level and table a reader may open."""

import random
from itertools import combinations, product

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lp_attacker import Attacker
from varna.core import perturbation
from varna.core.perturbation import Tally, outcomes, possible, publish
from varna.core.record_keys import RECORD_KEY_RANGE


def shown_for(count: int, u: float) -> int:
    return publish(Tally(count, int(u * RECORD_KEY_RANGE)))


def test_zero_stays_zero_and_no_small_count_is_ever_shown():
    k, d = perturbation.small(), perturbation.max_adjustment()
    rng = random.Random(16)
    for count in range(0, 400):
        for _ in range(200):
            shown = shown_for(count, rng.random())
            if count == 0:
                assert shown == 0
            assert not 0 < shown < k, (count, shown)
            assert shown >= 0
            assert abs(shown - count) <= d, (count, shown)


def test_every_row_of_the_table_is_unbiased_and_covers_every_key():
    for count in range(0, 400):
        row = outcomes(count, perturbation.small(), perturbation.max_adjustment())
        assert row[-1][0] == 1.0
        bounds = [bound for bound, _shown in row]
        assert bounds == sorted(bounds)
        previous, mean = 0.0, 0.0
        for bound, shown in row:
            mean += (bound - previous) * shown
            previous = bound
        assert abs(mean - count) < 1e-9, count


def test_over_many_cells_the_adjustment_averages_zero():
    rng = random.Random(2026)
    adjustments = []
    for _ in range(200_000):
        count = rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 7, 10, 25, 100])
        key = rng.randrange(RECORD_KEY_RANGE * 5)
        adjustments.append(publish(Tally(count, key)) - count)
    mean = sum(adjustments) / len(adjustments)
    assert abs(mean) < 0.02, mean


@given(
    keys=st.lists(st.integers(0, RECORD_KEY_RANGE - 1), min_size=1, max_size=30),
    data=st.data(),
)
def test_the_same_events_always_give_the_same_figure(keys, data):
    """However a page finds a set of events (as one row, or as the sum of rollup rows that
    split it any way), its figure is the same."""
    whole = publish(Tally(len(keys), sum(keys)))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(keys)), max_size=5)))
    parts, start = [], 0
    for cut in [*cuts, len(keys)]:
        parts.append(Tally(cut - start, sum(keys[start:cut])))
        start = cut
    assert publish(perturbation.total(parts)) == whole
    shuffled = data.draw(st.permutations(keys))
    assert publish(Tally(len(shuffled), sum(shuffled))) == whole


def test_no_figure_on_its_own_says_a_small_count():
    """Whatever one figure shows, it fits several true counts, and never exactly one count
    from 1 to k-1."""
    k = perturbation.small()
    for shown in range(0, 300):
        found = possible(shown)
        if not found:
            continue
        assert len(found) >= 2, shown
        small = found & set(range(1, k))
        assert len(small) != 1 or len(found) > 1
        assert 0 not in found or shown == 0


@override_settings(VARNA_SMALL_NUMBER_K=5, VARNA_MAX_ADJUSTMENT=6)
def test_the_parameters_come_from_the_settings():
    assert perturbation.small() == 5 and perturbation.max_adjustment() == 6
    for count in range(1, 5):
        assert {shown for _bound, shown in outcomes(count, 5, 6)} <= {0, 5, 6, 7, 8, 9, 10}
    assert "5" in perturbation.explanation()


# The attacker -------------------------------------------------------------------------------

# A municipality (M) with two administrations (A, B), units below them, and events directly in A:
# every level a reader may follow up.
PARENTS = {"M": None, "A": "M", "B": "M", "A1": "A", "A2": "A", "B1": "B"}
MONTHS = 4
FORMS = ("threat", "harassment", "violence")
PLACES = ("phone", "")
SITUATIONS = ("home_visit",)


def _subtree(unit: str) -> set[str]:
    found = {unit}
    for child, parent in PARENTS.items():
        if parent == unit:
            found |= _subtree(child)
    return found


Event = tuple[str, int, str, str, str, int]  # unit, month, form, place, situation, record key
Atom = tuple[str, int, str, str, str]

ATOMS: list[Atom] = [
    (unit, month, form, place, situation)
    for unit in PARENTS
    for month in range(MONTHS)
    for form in FORMS
    for place in PLACES
    for situation in SITUATIONS
]


Cell = tuple[frozenset, frozenset, frozenset, frozenset, frozenset]  # the atoms' values


def _pages() -> dict[Cell, str]:
    """Every figure of every page: each unit, each span of months (a month, quarter, tertial,
    half year and any own range are all spans), each form filter and situation filter, and on
    each page its total and its tables by form, month, unit below, place and situation."""
    found: dict[Cell, str] = {}
    spans = [frozenset(range(first, end)) for first, end in combinations(range(MONTHS + 1), 2)]
    every_form = [frozenset(FORMS), *(frozenset([form]) for form in FORMS)]
    every_situation = [frozenset(SITUATIONS)]
    places, one = frozenset(PLACES), frozenset
    for unit in PARENTS:
        inside = frozenset(_subtree(unit))
        children = [child for child, parent in PARENTS.items() if parent == unit]
        for span in spans:
            for forms in every_form:
                for situations in every_situation:
                    page = (inside, span, forms, places, situations)
                    name = f"{unit} {sorted(span)} {sorted(forms)} {sorted(situations)}"
                    found.setdefault(page, name)
                    tables = [
                        *(
                            (f"form {f}", (inside, span, one([f]), places, situations))
                            for f in forms
                        ),
                        *(
                            (f"month {m}", (inside, one([m]), forms, places, situations))
                            for m in span
                        ),
                        *(
                            (f"place {x}", (inside, span, forms, one([x]), situations))
                            for x in places
                        ),
                        *(
                            (f"sit {x}", (inside, span, forms, places, one([x])))
                            for x in situations
                        ),
                        *(
                            (f"unit {c}", (frozenset(_subtree(c)), span, forms, places, situations))
                            for c in children
                        ),
                    ]
                    for label, cell in tables:
                        found.setdefault(cell, f"{name}: {label}")
    return found


def _cells() -> dict[frozenset[int], str]:
    """The distinct figures a reader can see, each as the set of atoms it sums."""
    index = {atom: number for number, atom in enumerate(ATOMS)}
    cells: dict[frozenset[int], str] = {}
    for values, name in _pages().items():
        atoms = frozenset(index[atom] for atom in product(*values))
        cells.setdefault(atoms, name)
    return cells


CELLS: dict[frozenset[int], str] | None = None


def attack(events: list[Event]) -> tuple[list[tuple[str, int]], int]:
    """What the attacker works out from every figure of every page of these events, and how
    many small figures there were."""
    global CELLS
    if CELLS is None:
        CELLS = _cells()
    index = {atom: number for number, atom in enumerate(ATOMS)}
    by_atom: dict[int, list[Event]] = {}
    for event in events:
        by_atom.setdefault(index[event[:5]], []).append(event)
    attacker = Attacker()
    small = 0
    for atoms, name in CELLS.items():
        members = [event for atom in atoms for event in by_atom.get(atom, [])]
        true = Tally(len(members), sum(event[5] for event in members))
        attacker.read(name, atoms, publish(true), true.count)
        small += 0 < true.count < perturbation.small()
    return attacker.worked_out(), small


events_strategy = st.lists(
    st.tuples(
        st.sampled_from(["A", "A1", "A2", "B1"]),
        st.integers(0, MONTHS - 1),
        st.sampled_from(FORMS),
        st.sampled_from(PLACES),
        st.sampled_from(SITUATIONS),
    ),
    min_size=1,
    max_size=14,
)


def _world(events: list[tuple[str, int, str, str, str]], seed: int) -> list[Event]:
    """The events with record keys drawn as Värna draws them: uniformly, unknown to anyone."""
    rng = random.Random(seed)
    return [(*event, rng.randrange(RECORD_KEY_RANGE)) for event in events]


# The share of small figures the attacker may work out in the generated worlds.
PINNED_SHARE_AT_MOST = 0.02


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(worlds=st.lists(st.tuples(events_strategy, st.integers(0, 2**32)), min_size=5, max_size=5))
def test_an_attacker_who_knows_the_table_seldom_works_out_a_small_count(worlds):
    """Every figure of every page of a municipality, read together as a linear program by
    someone who knows the perturbation table, in generated worlds. No bounded table known to
    the reader can rule out that figures at the edges of their ranges pin a small count
    (README); this one keeps it rare. Over 100 such worlds the attacker worked out 76 of
    19,560 small figures (0.4 %, in 3 worlds); the bound fails if a change makes it markedly
    more common."""
    pinned, small = [], 0
    for events, seed in worlds:
        found, figures = attack(_world(events, seed))
        pinned += found
        small += figures
    assert small > 0
    assert len(pinned) <= PINNED_SHARE_AT_MOST * small, pinned


@given(
    parts=st.lists(
        st.lists(st.integers(0, RECORD_KEY_RANGE - 1), min_size=1, max_size=2),
        min_size=2,
        max_size=3,
    )
)
def test_small_parts_shown_as_more_than_zero_never_make_a_total_shown_as_zero(parts):
    """Were a small total shown as 0 (so at most k-1) beside parts shown as more than 0 (so at
    least 1 each), the parts could be pinned; the table's layout over the keys rules it out."""
    k = perturbation.small()
    tallies = [Tally(len(keys), sum(keys)) for keys in parts]
    whole = perturbation.total(tallies)
    if whole.count >= k or not all(publish(tally) for tally in tallies):
        return
    assert publish(whole) != 0
