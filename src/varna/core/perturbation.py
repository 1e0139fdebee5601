"""Small numbers never reveal a person: the cell key method, the one place that decides what a
reader who may not open the cases sees of a count.

Every event has a random record key (Report.record_key, varna.core.record_keys, drawn when it
is stored). A figure counts a set of events; its cell key is the sum of their record keys modulo
the key range, read as a number u in [0, 1). The figure published is the true count plus an
adjustment looked up in the perturbation table by (count, u). So:

- the same events always give the same figure, on any page, export or PDF, whatever the
  period, filter or level that found them: asking again, or another way, tells nothing new;
- zero stays zero, and a count of 1 to k-1 (k = VARNA_SMALL_NUMBER_K) is never shown as
  itself: it is shown as 0, or as a figure from k up, so that on average it is the count;
- every figure moves by at most D = VARNA_MAX_ADJUSTMENT, never below k unless to 0, and a
  count of k or more is never shown as 0: the adjustment is unbiased and bounded, and no
  figure is negative.

Figures therefore need not add up (a table's rows are adjusted one by one, and its total once),
and rates, shares and differences are computed from the published figures. Readers who may
open the cases see exact figures (`Figure.exact`).

Within the small counts the table is laid out so that keys add up in the reader's favour: a
count n below k is shown as more than 0 when u < n/E (E the mean figure it is then shown as).
The key of a few events together is the sum of theirs, so when every part of a small total is
shown as more than 0, the total's key lies below its own bound and it is shown as more than 0
too: a total shown as 0 beside parts shown as more than 0, which would pin those parts at one
event each, does not happen. What the table cannot rule out, and no bounded table known to the
reader can, is a figure at the very edge of its range beside others at theirs: rare, but
not never (README, tests/test_stats_privacy.py).
"""

import math
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.translation import gettext as _

from varna.core.record_keys import RECORD_KEY_RANGE


def small() -> int:
    """k: counts from 1 to k-1 are never shown as themselves."""
    return int(getattr(settings, "VARNA_SMALL_NUMBER_K", 3))


def max_adjustment() -> int:
    """D: a figure is moved by at most this much."""
    return int(getattr(settings, "VARNA_MAX_ADJUSTMENT", 4))


@dataclass(frozen=True)
class Tally:
    """A true count and the sum of its events' record keys (both add up)."""

    count: int = 0
    key: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.count + other.count, self.key + other.key)

    def __sub__(self, other: "Tally") -> "Tally":
        return Tally(self.count - other.count, self.key - other.key)

    @property
    def cell_key(self) -> float:
        return (self.key % RECORD_KEY_RANGE) / RECORD_KEY_RANGE


def total(tallies: list[Tally]) -> Tally:
    return sum(tallies, Tally())


@cache
def outcomes(count: int, k: int, d: int) -> tuple[tuple[float, int], ...]:
    """The perturbation table's row for a count: (upper bound of u, figure shown), in order
    of u. A count is shown as a figure within d of it that is at least k, weighted linearly
    from the count itself and tilted so that the figure shown is on average the count; a
    count below k is shown as such a figure only when u < count/E, else as 0."""
    if count <= 0:
        return ((1.0, 0),)
    figures = list(range(max(k, count - d), count + d + 1))
    if count < k:
        # Shown (not 0) with probability count/E, with E the mean figure then: so the mean
        # is the count, and the chance grows with the count, which the keys make use of.
        mean = _small_mean(k, d)
        return (*_row(figures, mean, count / mean, d), (1.0, 0))
    if figures[0] == count:
        return ((1.0, count),)  # k itself: nothing below it may be shown
    return _row(figures, count, 1.0, d)


def _small_mean(k: int, d: int) -> float:
    """The mean figure a count below k is shown as, when it is not 0: the middle of what a
    count of 1 may show as (k to 1 + d)."""
    return (k + max(k, 1 + d)) / 2


def _row(figures: list[int], mean: float, share: float, d: int) -> tuple[tuple[float, int], ...]:
    """Figures weighted linearly from `mean` (1 at d + 1 away), tilted to have that mean,
    over the first `share` of the keys."""
    base = [d + 1 - abs(shown - mean) for shown in figures]
    tilt = _tilt(figures, base, mean)
    weights = [w * math.exp(tilt * (f - mean)) for f, w in zip(figures, base, strict=True)]
    whole = sum(weights)
    found, bound = [], 0.0
    for shown, weight in zip(figures, weights, strict=True):
        bound += share * weight / whole
        found.append((bound, shown))
    found[-1] = (share, found[-1][1])
    return tuple(found)


def _tilt(figures: list[int], weights: list[float], count: float) -> float:
    """The exponential tilt that makes the weighted mean of `figures` equal `count` (zero for
    a row symmetric about it), by bisection: the mean grows with the tilt."""

    def mean(tilt: float) -> float:
        tilted = [w * math.exp(tilt * (f - count)) for f, w in zip(figures, weights, strict=True)]
        return sum(f * w for f, w in zip(figures, tilted, strict=True)) / sum(tilted)

    low, high = -20.0, 20.0
    for _step in range(200):
        middle = (low + high) / 2
        if mean(middle) < count:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def publish(tally: Tally) -> int:
    """The figure shown for a true count with this key sum."""
    u = tally.cell_key
    for bound, shown in outcomes(tally.count, small(), max_adjustment()):
        if u < bound:
            return shown
    raise AssertionError("the table's row does not reach 1")  # pragma: no cover


def possible(shown: int, *, k: int | None = None, d: int | None = None) -> set[int]:
    """The true counts that can be shown as `shown`: what a reader who knows the table
    learns from one figure."""
    k, d = small() if k is None else k, max_adjustment() if d is None else d
    top = max(shown + d, k)
    return {
        count
        for count in range(top + 1)
        if any(figure == shown for _bound, figure in outcomes(count, k, d))
    }


@dataclass(frozen=True)
class Figure:
    """A count as shown: exact for a reader who may open the cases, adjusted otherwise."""

    value: int
    exact: bool = True

    def __str__(self) -> str:
        return str(self.value)


def figure(tally: Tally, *, reveal: bool) -> Figure:
    if reveal:
        return Figure(tally.count)
    return Figure(publish(tally), exact=False)


def change(current: Figure, previous: Figure) -> int:
    return current.value - previous.value


def rate(shown: Figure, employees: int | None, per: int = 100) -> float | None:
    """Events per `per` employees from the figure as shown; None where nobody is counted."""
    if not employees:
        return None
    return shown.value * per / employees


def share(part: Figure, whole: Figure) -> float | None:
    """The part's share of the whole in per cent, both as shown; None of nothing."""
    if not whole.value:
        return None
    return 100 * part.value / whole.value


def explanation() -> str:
    """What the page says about adjusted figures, in plain words."""
    return _(
        "To protect the people behind the figures, each figure is adjusted by a small random "
        "amount, at most %(most)s up or down, and a count below %(small)s is shown as 0 or as "
        "%(small)s or more. The same events always give the same figure, but figures can differ "
        "a little from the true ones and need not add up to the totals."
    ) % {"most": max_adjustment(), "small": small()}
