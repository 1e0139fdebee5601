"""Small numbers across pages: a unit's table and the same table on the pages of the units
below it. An attacker who reads all of them at once, as linear constraints, works out no
small figure that any of them hides."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lp_attacker import Attacker, K
from varna.stats import suppression

OWN = "own"
KEYS = "abcd"

# (row, key) per event: rows x, y, z are units below, OWN the parent's own events.
events = st.lists(
    st.tuples(st.sampled_from(["x", "y", "z", OWN]), st.sampled_from(KEYS)), max_size=60
)


@settings(max_examples=400, deadline=None)
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
    attacker.read(
        "total", every, parent.total, total, withheld=parent.withheld, small_total=small_total
    )
    for key in KEYS:
        attacker.read(
            f"parent.{key}",
            [(r, key) for r in units],
            parent.tables["t"][key],
            table[key],
            withheld=parent.withheld,
            small_total=small_total,
        )
    for row in units:
        attacker.read(
            f"units.{row}",
            [(row, key) for key in KEYS],
            parent.tables["units"][row],
            units[row],
            withheld=parent.withheld,
            small_total=small_total,
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
