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

from collections.abc import Mapping
from dataclasses import dataclass, field

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


def _withheld(
    total: int, tables: Mapping[str, Mapping[str, int]], k: int
) -> tuple[dict[str, dict[str, Figure]], Figure]:
    """Hide everything. Under a small total every part reads "<k" (zeros too); otherwise every
    part with events reads "hidden", with no bound on it or on the hidden total."""
    if total < k:
        return {name: {key: Figure(None) for key in parts} for name, parts in tables.items()}, (
            Figure(total) if total == 0 else Figure(None)
        )
    return {
        name: {
            key: Figure(0) if value == 0 else Figure(None, secondary=True)
            for key, value in parts.items()
        }
        for name, parts in tables.items()
    }, Figure(None, secondary=True)


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
