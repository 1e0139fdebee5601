"""Small numbers never reveal a person: the one place that decides which figures are hidden.

Every read path that shows counts of events to someone who may not see those events (pages,
exports, the PDF) passes its figures through here. A count from fewer than k events (k =
`VARNA_SMALL_NUMBER_K`, 5 by default) is hidden as "<k" (primary suppression). Because a shown
total minus the shown parts gives the sum of the hidden parts, more parts are hidden until no
hidden part can be worked out from that sum (secondary suppression); if that is impossible, the
total is hidden too. Zero is shown: it says nobody was affected, which reveals no one.
"""

from collections.abc import Mapping
from dataclasses import dataclass

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
        return {
            key: Figure(value) if value == 0 else Figure(None) for key, value in counts.items()
        }, Figure(None)
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
