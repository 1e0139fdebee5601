"""Small numbers never reveal a person: the one place that decides which figures are hidden.

Every read path that shows counts of events to someone who may not see those events (pages,
exports, the PDF) passes its figures through here. A count from fewer than k events (k =
`VARNA_SMALL_NUMBER_K`, 5 by default) is hidden as "<k" (primary suppression). Because a shown
total minus the shown parts gives the sum of the hidden parts, more parts are hidden until no
hidden part can be worked out from that sum (secondary suppression); if that is impossible, the
total is hidden too. Zero is shown: it says nobody was affected, which reveals no one, except
under a small total, where the number of parts with events would bound it.

A page shows several tables of the same events (by form, by place, by unit, by month): each
adds up to the same total, so `group` decides them together, and when one of them can only be
made safe by hiding the total, it withholds every figure of the group (one table that adds up
would give the total back). Derived figures (rates, shares, changes) are computed from the
figures as shown (`rate`, `change`), so a hidden count hides what is derived from it.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _


def threshold() -> int:
    return int(getattr(settings, "VARNA_SMALL_NUMBER_K", 5))


@dataclass(frozen=True)
class Figure:
    """A count as shown: `value` is None when it is hidden."""

    value: int | None
    # Hidden because it would let a small figure be worked out, not because it is small itself.
    secondary: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        if self.value is not None:
            return str(self.value)
        if self.secondary:
            return _("hidden")
        return f"<{threshold()}"


def shown(value: int) -> Figure:
    return Figure(value)


def _determined(hidden: dict[str, int], primary: set[str], total_hidden_sum: int, k: int) -> bool:
    """Whether any hidden part has only one value consistent with what the reader knows: each
    primary part lies in 1..k-1, each secondary one is at least k, and together they make
    `total_hidden_sum`."""
    if not hidden:
        return False
    bounds = {key: ((1, k - 1) if key in primary else (k, total_hidden_sum)) for key in hidden}
    for key, (low, high) in bounds.items():
        others_low = sum(b[0] for other, b in bounds.items() if other != key)
        others_high = sum(b[1] for other, b in bounds.items() if other != key)
        smallest = max(low, total_hidden_sum - others_high)
        largest = min(high, total_hidden_sum - others_low)
        if smallest >= largest:
            return True
    return False


def breakdown(
    counts: Mapping[str, int], *, reveal: bool = False, k: int | None = None
) -> tuple[dict[str, Figure], Figure]:
    """The parts and their total as they may be shown. With `reveal` (the reader may see the
    events themselves) every figure is shown as it is."""
    total = sum(counts.values())
    if reveal:
        return {key: Figure(value) for key, value in counts.items()}, Figure(total)
    k = threshold() if k is None else k
    if 0 < total < k:
        # Zeros too: four parts shown as "<5" and the rest as 0 would say the total is 4.
        return {key: Figure(None) for key in counts}, Figure(None)
    primary = {key for key, value in counts.items() if 0 < value < k}
    hidden = {key: counts[key] for key in primary}
    # The smallest shown parts are the cheapest to hide.
    candidates = sorted(
        (key for key, value in counts.items() if value >= k), key=lambda key: (counts[key], key)
    )
    while _determined(hidden, primary, sum(hidden.values()), k):
        if not candidates:
            return {
                key: Figure(None, secondary=key not in primary) if key in hidden else Figure(value)
                for key, value in counts.items()
            }, Figure(None, secondary=True)
        key = candidates.pop(0)
        hidden[key] = counts[key]
    figures = {
        key: Figure(None, secondary=key not in primary) if key in hidden else Figure(value)
        for key, value in counts.items()
    }
    return figures, Figure(total)


@dataclass(frozen=True)
class Group:
    """The figures of one group (see `group`): its total and its tables' parts as shown."""

    total: Figure
    tables: dict[str, dict[str, Figure]] = field(default_factory=dict)
    # Every figure is hidden: the group's tables could not be shown without revealing one.
    withheld: bool = False
    # Tables withheld on their own (every figure with events hidden) beside a shown total.
    given_up: frozenset[str] = frozenset()


def hidden_parts(total: Figure, keys: Iterable[str]) -> dict[str, Figure]:
    """Every part of a withheld table, hidden as its total is: "<k" under a small total,
    otherwise "hidden", with no bound on it. Zeros too: shown, they would say how many parts
    have events, and eight parts with events in a total of eight are one each."""
    return dict.fromkeys(keys, Figure(None, secondary=total.secondary))


def _withheld(
    total: int, tables: Mapping[str, Mapping[str, int]], k: int
) -> tuple[dict[str, dict[str, Figure]], Figure]:
    """Hide everything, the total too (but a total of nothing)."""
    hidden = Figure(None, secondary=total >= k)
    return {name: hidden_parts(hidden, parts) for name, parts in tables.items()}, (
        Figure(0) if total == 0 else hidden
    )


def group(
    total: int,
    tables: Mapping[str, Mapping[str, int]],
    *,
    overlapping: Mapping[str, Mapping[str, int]] | None = None,
    reveal: bool = False,
    withhold: bool = False,
    k: int | None = None,
) -> Group:
    """The figures of one page's events as they may be shown.

    Every table in `tables` splits the same `total` (its parts add up to it); a table in
    `overlapping` may count an event in more than one part (sub-forms, consequences), so it has
    no total of its own and is suppressed as if it had. `withhold` hides everything (a figure
    this group's total would reveal is hidden elsewhere)."""
    overlapping = overlapping or {}
    if reveal:
        every = {**tables, **overlapping}
        return Group(
            Figure(total),
            {
                name: {key: Figure(value) for key, value in parts.items()}
                for name, parts in every.items()
            },
        )
    k = threshold() if k is None else k
    for name, parts in tables.items():
        if sum(parts.values()) != total:
            raise ValueError(f"the parts of {name} do not add up to the total")
    shown: dict[str, dict[str, Figure]] = {}
    safe = not withhold and not 0 < total < k
    if safe:
        for name, parts in tables.items():
            figures, table_total = breakdown(parts, k=k)
            if table_total.hidden:
                safe = False
                break
            shown[name] = figures
    if not safe:
        hidden, hidden_total = _withheld(total, {**tables, **overlapping}, k)
        return Group(hidden_total, hidden, withheld=True)
    for name, parts in overlapping.items():
        shown[name] = breakdown(parts, k=k)[0]
    return Group(Figure(total), shown)


def change(current: Figure, previous: Figure) -> int | None:
    """The difference between two figures, or None when either is hidden."""
    if current.value is None or previous.value is None:
        return None
    return current.value - previous.value


def rate(figure: Figure, employees: int | None, per: int = 100) -> float | None:
    """Events per `per` employees, or None when the count is hidden or nobody is counted."""
    if figure.value is None or not employees:
        return None
    return figure.value * per / employees


def share(part: Figure, whole: Figure) -> float | None:
    """The part's share of the whole in per cent, or None when either is hidden."""
    if part.value is None or whole.value is None or not whole.value:
        return None
    return 100 * part.value / whole.value


# Linked tables: a unit's page and the pages of the units below it.
#
# A unit's table (say, by form) is the sum of the same table of every unit below it, and of
# the unit's own events. A reader who sees the parent's table and all but one child's can
# subtract, so each child's table is decided together with its siblings', under the parent's
# as already decided (top down: a child never changes what its parent shows). The reader is
# modelled as knowing a range for every figure: exact when shown, 1..k-1 for "<k", k and more
# for "hidden"; the events directly in the parent (and in units the reader may not open) are
# never shown per category, so any value. Every sum (a row, a column) narrows the ranges of
# its parts, round after round; wherever that leaves a small figure with one possible value,
# one more figure beside it is hidden, until none is left.

_UNBOUNDED = 10**12


def _range(figure: Figure, withheld: bool, k: int) -> tuple[int, int]:
    if figure.value is not None:
        return figure.value, figure.value
    if figure.secondary:
        return (0 if withheld else k), _UNBOUNDED
    return (0 if withheld else 1), k - 1


def _narrow(
    ranges: dict[Any, list[int]], sums: list[tuple[list[Any], Any]]
) -> dict[Any, list[int]]:
    """What the reader can tell of every figure from the sums (parts, whole) they know of."""
    ranges = {key: list(bounds) for key, bounds in ranges.items()}
    for _round in range(100):
        changed = False
        for parts, whole in sums:
            low = sum(ranges[part][0] for part in parts)
            high = sum(ranges[part][1] for part in parts)
            whole_range = ranges[whole]
            if low > whole_range[0] or high < whole_range[1]:
                whole_range[0], whole_range[1] = max(whole_range[0], low), min(whole_range[1], high)
                changed = True
            for part in parts:
                bounds = ranges[part]
                smallest = max(bounds[0], whole_range[0] - (high - bounds[1]))
                largest = min(bounds[1], whole_range[1] - (low - bounds[0]))
                if smallest != bounds[0] or largest != bounds[1]:
                    bounds[0], bounds[1] = smallest, largest
                    changed = True
        if not changed:
            break
    return ranges


def _widen(
    state: dict[tuple[str, str], Figure],
    rows: Mapping[str, Mapping[str, int]],
    keys: list[str],
    row: str,
    key: str,
    dark: set[str],
    given_up: set[str],
    unseen: frozenset[str],
) -> None:
    """Hide one more figure in the row or column of the exposed figure (row, key): the
    smallest with events; failing that, withhold the row's table; failing that, every row's."""

    def hideable(cell: tuple[str, str], figure: Figure) -> bool:
        return (
            not figure.hidden
            and rows[cell[0]].get(cell[1], 0) > 0
            and cell[0] not in dark | given_up
        )

    line = {(row, each) for each in keys} | {(other, key) for other in rows}
    beside = [cell for cell in line if cell in state and hideable(cell, state[cell])]
    if beside:
        chosen = min(beside, key=lambda cell: (rows[cell[0]].get(cell[1], 0), cell))
        state[chosen] = Figure(None, secondary=True)
        return
    rest = [row] if row not in dark | given_up | unseen else []
    if not rest:
        rest = [other for other in rows if other not in unseen | dark | given_up]
    for other in rest:
        given_up.add(other)
        for each in keys:
            state[(other, each)] = Figure(None, secondary=True)


def within(
    parent: Mapping[str, Figure],
    parent_whole: Figure | None,
    rows: Mapping[str, Mapping[str, int]],
    wholes: Mapping[str, Figure],
    *,
    parent_withheld: bool = False,
    unseen: frozenset[str] = frozenset(),
    overlapping: bool = False,
    k: int | None = None,
) -> tuple[dict[str, dict[str, Figure]], set[str]]:
    """One table of the units below a unit, as each of their pages may show it, and the rows
    whose table is withheld (every figure hidden, zeros too, with no bound on it).

    `parent` is the unit's own table as shown (its total `parent_whole`); `rows` the same table
    of each unit below it and `wholes` their totals as the unit's table of units shows them;
    rows in `unseen` (the unit's own events) are never shown per category. `overlapping`: an
    event may count in more than one part, so a row's parts have no known sum."""
    k = threshold() if k is None else k
    keys = list(parent)
    state: dict[tuple[str, str], Figure] = {}
    # Rows whose total the unit's table hides: their pages withhold every figure.
    dark = {row for row, whole in wholes.items() if whole.hidden and row not in unseen}
    # Rows whose table is withheld although their total is shown.
    given_up: set[str] = set()
    for row, counts in rows.items():
        if row in unseen:
            continue
        if row in dark:
            for key, figure in hidden_parts(wholes[row], keys).items():
                state[(row, key)] = figure
            continue
        figures, total = breakdown({key: counts.get(key, 0) for key in keys}, k=k)
        if total.hidden and not overlapping:
            # The table cannot be shown beside its total, which the unit's table shows.
            given_up.add(row)
            figures = {key: Figure(None, True) for key in counts}
        for key in keys:
            state[(row, key)] = figures.get(key, Figure(0))

    whole_of_parent = parent_whole if parent_whole is not None else Figure(None, True)
    fixed: dict[Any, list[int]] = {}
    for row in rows:
        if row in unseen:
            high = _range(wholes[row], False, k)[1] if row in wholes else _UNBOUNDED
            for key in keys:
                fixed[(row, key)] = [0, high]
        fixed[("whole", row)] = list(_range(wholes.get(row, Figure(None, True)), False, k))
    for key in keys:
        fixed[("parent", key)] = list(_range(parent[key], parent_withheld, k))
    fixed[("whole of parent",)] = list(_range(whole_of_parent, parent_withheld, k))

    sums: list[tuple[list[Any], Any]] = [
        ([(row, key) for row in rows], ("parent", key)) for key in keys
    ]
    # The table of units adds up to the parent's total, so the rows it hides have a known sum
    # between them, which bounds their cells together in every column, not one by one.
    sums.append(([("whole", row) for row in rows], ("whole of parent",)))
    # Every row whose total is hidden, those never shown per category too.
    covered = {row for row in rows if wholes.get(row, Figure(None, True)).hidden}
    if covered:
        for key in keys:
            fixed[("dark", key)] = [0, _UNBOUNDED]
            sums.append(([(row, key) for row in rows if row in covered], ("dark", key)))
            sums.append(
                (
                    [(row, key) for row in rows if row not in covered] + [("dark", key)],
                    ("parent", key),
                )
            )
        fixed[("dark",)] = [0, _UNBOUNDED]
        sums.append(([("whole", row) for row in rows if row in covered], ("dark",)))
        sums.append(
            (
                [("whole", row) for row in rows if row not in covered] + [("dark",)],
                ("whole of parent",),
            )
        )
        if not overlapping:
            sums.append(([("dark", key) for key in keys], ("dark",)))
    if not overlapping:
        sums += [([(row, key) for key in keys], ("whole", row)) for row in rows]
        sums.append(([("parent", key) for key in keys], ("whole of parent",)))
    while True:
        ranges = dict(fixed)
        for cell, figure in state.items():
            ranges[cell] = list(_range(figure, cell[0] in dark or cell[0] in given_up, k))
        known = _narrow(ranges, sums)
        # Small figures the reader must not work out: those hidden, and those of the unit's
        # own events, which no page shows.
        exposed = [
            cell
            for cell in [*state, *((row, key) for row in unseen if row in rows for key in keys)]
            if (cell not in state or state[cell].hidden)
            and 0 < rows[cell[0]].get(cell[1], 0) < k
            and known[cell][0] == known[cell][1]
        ]
        if not exposed:
            break
        # One more figure beside each exposed one, in a line not already widened this round.
        widened: set[Any] = set()
        hidden_before = sum(figure.hidden for figure in state.values()), len(given_up)
        for row, key in exposed:
            if ("row", row) in widened or ("column", key) in widened:
                continue
            widened |= {("row", row), ("column", key)}
            _widen(state, rows, keys, row, key, dark, given_up, unseen)
        if (sum(figure.hidden for figure in state.values()), len(given_up)) == hidden_before:
            break  # everything that could be hidden is
    result: dict[str, dict[str, Figure]] = defaultdict(dict)
    for (row, key), figure in state.items():
        result[row][key] = figure
    return dict(result), given_up
