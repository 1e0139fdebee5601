"""Small numbers: an attacker who knows the rules tries to work out hidden figures from
everything a group of tables shows, and fails.

The attacker reads each figure as a range: a shown figure is exact; "<5" is 1–4 (0–4 under a
small total, where zeros are hidden too); "hidden" is at least 5 (at least 1 when a whole group
is withheld, where it says nothing more). Every table of a group adds up to the same total, so
a hidden figure is worked out exactly when only one value fits all the tables at once.
"""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from varna.stats import suppression
from varna.stats.suppression import Figure

K = 5
BIG = 10_000


def ranges(figures: dict[str, Figure], total: Figure, withheld: bool) -> dict[str, tuple[int, int]]:
    small_total = total.hidden and not total.secondary
    found = {}
    for key, figure in figures.items():
        if figure.value is not None:
            found[key] = (figure.value, figure.value)
        elif figure.secondary:
            found[key] = (0, BIG) if withheld else (K, BIG)
        else:
            found[key] = (0, K - 1) if small_total else (1, K - 1)
    return found


def possible_values(
    group: suppression.Group, tables: list[str]
) -> dict[tuple[str, str], tuple[int, int]]:
    """For every hidden figure, the smallest and largest value that fit what the group shows
    (every value between fits too: the ranges are intervals)."""
    total = group.total
    if total.value is not None:
        totals = range(total.value, total.value + 1)
    elif total.secondary:
        totals = range(K if not group.withheld else 1, 200)
    else:
        totals = range(1, K)
    cells = {name: ranges(group.tables[name], total, group.withheld) for name in tables}
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for candidate in totals:
        # The total is possible when every table's ranges can add up to it.
        if not all(
            sum(low for low, _ in parts.values())
            <= candidate
            <= sum(high for _, high in parts.values())
            for parts in cells.values()
        ):
            continue
        for name, parts in cells.items():
            for key, (low, high) in parts.items():
                if low == high and group.tables[name][key].value is not None:
                    continue
                others_low = sum(r[0] for other, r in parts.items() if other != key)
                others_high = sum(r[1] for other, r in parts.items() if other != key)
                smallest = max(low, candidate - others_high)
                largest = min(high, candidate - others_low)
                if smallest > largest:
                    continue
                seen = found.get((name, key), (smallest, largest))
                found[(name, key)] = (min(seen[0], smallest), max(seen[1], largest))
    return found


events = st.lists(
    st.tuples(st.sampled_from("abcd"), st.sampled_from("pqrs"), st.sampled_from("xyz")),
    max_size=40,
)


@settings(max_examples=600, deadline=None)
@given(events, st.booleans())
def test_no_hidden_figure_can_be_worked_out_from_a_group(rows, withhold):
    tables = {
        "form": Counter(row[0] for row in rows),
        "place": Counter(row[1] for row in rows),
        "unit": Counter(row[2] for row in rows),
    }
    tables = {
        name: {key: counts.get(key, 0) for key in keys}
        for (name, counts), keys in zip(tables.items(), ["abcd", "pqrs", "xyz"], strict=True)
    }
    group = suppression.group(len(rows), tables, withhold=withhold, k=K)
    for name, parts in tables.items():
        for key, value in parts.items():
            figure = group.tables[name][key]
            assert figure.value in {None, value}
            if 0 < value < K:
                assert figure.hidden, "a small figure is shown"
    for (name, key), (low, high) in possible_values(group, list(tables)).items():
        true = tables[name][key]
        assert low <= true <= high, "the attacker's model is wrong"
        assert low < high, f"{name}.{key} = {true} can be worked out"
    if group.total.hidden:
        assert all(f.value in {None, 0} for parts in group.tables.values() for f in parts.values())


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 30), min_size=1))
def test_one_table_never_shows_a_small_figure_or_lets_one_be_worked_out(counts):
    figures, total = suppression.breakdown(counts, k=K)
    group = suppression.Group(total, {"t": figures}, withheld=total.hidden)
    for key, figure in figures.items():
        if 0 < counts[key] < K:
            assert figure.hidden
    if total.hidden:
        return
    for (_name, key), (low, high) in possible_values(group, ["t"]).items():
        assert low < high, f"{key} = {counts[key]} can be worked out"


def test_a_small_total_hides_its_zeros_too():
    figures, total = suppression.breakdown({"a": 1, "b": 1, "c": 1, "d": 1, "e": 0}, k=K)
    assert total.hidden
    assert all(figure.hidden for figure in figures.values())


def test_derived_figures_of_a_hidden_count_are_hidden():
    hidden, shown = Figure(None), Figure(12)
    assert suppression.rate(hidden, 40) is None
    assert suppression.change(hidden, shown) is None
    assert suppression.change(shown, hidden) is None
    assert suppression.share(hidden, shown) is None
    assert suppression.rate(shown, 40) == 30


def test_readers_who_may_see_the_cases_get_every_figure():
    group = suppression.group(3, {"form": {"a": 2, "b": 1}}, reveal=True)
    assert group.total.value == 3
    assert group.tables["form"]["b"].value == 1


def test_the_attacker_finds_what_primary_suppression_alone_would_leave():
    naive = suppression.Group(Figure(13), {"t": {"a": Figure(10), "b": Figure(None)}})
    assert possible_values(naive, ["t"])[("t", "b")] == (3, 3)
