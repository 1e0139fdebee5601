"""Reads of the rollups for a dashboard: the base rollup per unit and month, and the subtree
rollups per municipality (and the units just below), plus the headcounts. Each returns true
counts with their key sums (Tally); varna.stats.selectors decides what is shown."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.db.models.lookups import In

from varna.core.perturbation import Tally
from varna.orgs import tree
from varna.orgs.models import Headcount, Unit
from varna.stats.figures import NOT_STATED, OWN, Chosen
from varna.stats.models import (
    SUBTREE_DEPTH,
    MonthlyCount,
    SubtreeMonthlyCount,
    SubtreeYearlyCount,
)
from varna.stats.periods import add_months

Pair = tuple[Tally, Tally]  # this period's events and the previous one's


def _by_period(first: date) -> dict[str, Sum]:
    """Events and their key sums, this period (from `first`) and the one before."""
    now, before = Q(month__gte=first), Q(month__lt=first)
    return {
        "now": Sum("events", filter=now),
        "now_key": Sum("events_key", filter=now),
        "before": Sum("events", filter=before),
        "before_key": Sum("events_key", filter=before),
    }


def _pair(row: Any) -> Pair:
    return (
        Tally(row["now"] or 0, row["now_key"] or 0),
        Tally(row["before"] or 0, row["before_key"] or 0),
    )


def _paths_q(paths: Iterable[str], lookup: str) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= tree.subtree_q(path, lookup)
    return query


def scope_q(units: list[Unit], lookup: str = "unit__path") -> Q:
    return _paths_q((unit.path for unit in units), lookup)


def without_gap(rows: QuerySet, chosen: Chosen) -> QuerySet:
    """The rows without the months between the previous period and the chosen one: a period
    cut to its months that are over is compared with the same months of the one before."""
    previous = chosen.period.previous()
    if add_months(previous.last, 1) == chosen.period.first:
        return rows
    return rows.exclude(month__gt=previous.last, month__lt=chosen.period.first)


def base(scope: list[Unit], first: date, last: date, chosen: Chosen, reveal: bool) -> QuerySet:
    rows = MonthlyCount.objects.filter(scope_q(scope), month__gte=first, month__lte=last)
    rows = without_gap(rows, chosen)
    if chosen.contexts:
        rows = rows.filter(
            situation__in=[NOT_STATED if c == "none" else c for c in chosen.contexts]
        )
    if reveal:
        # Exact figures count only the cases the reader may open: not those sent to security.
        rows = rows.filter(security_routed=False)
    return rows


def in_tops(tops: list[Unit], lookup: str = "unit__path") -> Any:
    """A filter on the subtrees of these tops, all of one depth: one range (on the index) for
    one top; for many, the path's prefix among theirs, a hash look-up per row instead of a
    comparison per top (the country is 290 ranges)."""
    if len(tops) == 1:
        return tree.subtree_q(tops[0].path, lookup)
    return In(Substr(lookup, 1, len(tops[0].path)), [top.path for top in tops])


def subtree_base(
    units: list[Unit],
    first: date,
    last: date,
    chosen: Chosen,
    reveal: bool,
    model: type[SubtreeMonthlyCount] | type[SubtreeYearlyCount] = SubtreeMonthlyCount,
) -> QuerySet | None:
    """The subtree rollup rows of these units (`model`: per month, or per calendar year with
    its rows dated January) from `first` to `last`, or None where it cannot answer (a unit
    too deep for it, or a filter on situations it does not key on). The units must not nest (a
    scope never does: access.tops), or their sums would count events twice."""
    if chosen.contexts or any(unit.depth > SUBTREE_DEPTH for unit in units):
        return None
    rows = model.objects.filter(
        unit__in=[unit.pk for unit in units], month__gte=first, month__lte=last
    )
    rows = without_gap(rows, chosen)
    return rows.filter(security_routed=False) if reveal else rows


def _subtree_model(chosen: Chosen) -> type[SubtreeMonthlyCount] | type[SubtreeYearlyCount]:
    """The yearly subtree rollup for a calendar year (and the one before it), else the monthly."""
    return SubtreeYearlyCount if chosen.period.is_calendar_year else SubtreeMonthlyCount


def subtree_spans(units: list[Unit], chosen: Chosen, reveal: bool) -> QuerySet | None:
    """`subtree_base` of the chosen period and the one before it in rows of whole years where
    the period is a calendar year (every row then lies in one of the two), or None."""
    if _subtree_model(chosen) is not SubtreeYearlyCount:
        return None
    first, last = chosen.period.previous().first, chosen.period.last
    return subtree_base(units, first, last, chosen, reveal, SubtreeYearlyCount)


def by_unit_from_subtrees(
    tops: list[Unit], child: int, chosen: Chosen, reveal: bool, forms: list[str]
) -> dict[tuple[str, str], Pair] | None:
    """`_by_unit` for tops whose units shown (`child` long) and the units below those are
    all in the subtree rollup: a unit below counts its subtree; the unit shown its own
    events, which are its subtree less those of the units below it."""
    grandchild = child + tree.SEGMENT
    if chosen.contexts or grandchild // tree.SEGMENT - 1 > SUBTREE_DEPTH:
        return None
    period, previous = chosen.period, chosen.period.previous()
    rows = _subtree_model(chosen).objects.filter(
        in_tops(tops),
        unit__depth__in=[child // tree.SEGMENT - 1, grandchild // tree.SEGMENT - 1],
        month__gte=previous.first,
        month__lte=period.last,
        form__in=forms,
    )
    rows = without_gap(rows, chosen)
    if reveal:
        rows = rows.filter(security_routed=False)
    grouped = rows.values("unit__path").annotate(**_by_period(period.first)).order_by()
    found: dict[tuple[str, str], Pair] = {}
    none = (Tally(), Tally())
    for row in grouped:
        path = row["unit__path"]
        counts = _pair(row)
        if len(path) == child:
            own = found.get((path, path), none)
            found[(path, path)] = (own[0] + counts[0], own[1] + counts[1])
        else:
            found[(path[:child], path)] = counts
            own = found.get((path[:child], path[:child]), none)
            found[(path[:child], path[:child])] = (own[0] - counts[0], own[1] - counts[1])
    return found


def by_unit(
    scope: list[Unit], virtual: bool, chosen: Chosen, reveal: bool, forms: list[str]
) -> dict[tuple[str, str], Pair]:
    """Events of the current and the previous period per (unit shown, unit below it), where
    `unit shown` is a path one level down (or the top itself for its own events)."""
    period, previous = chosen.period, chosen.period.previous()
    found: dict[tuple[str, str], Pair] = {}
    for length in sorted({len(unit.path) for unit in scope}):
        tops = [unit for unit in scope if len(unit.path) == length]
        child = length if virtual else length + tree.SEGMENT
        summed = by_unit_from_subtrees(tops, child, chosen, reveal, forms)
        if summed is not None:
            found.update(summed)
            continue
        rows = (
            base(tops, previous.first, period.last, chosen, reveal)
            .filter(form__in=forms)
            .annotate(
                child=Substr("unit__path", 1, child),
                grandchild=Substr("unit__path", 1, child + tree.SEGMENT),
            )
            .values("child", "grandchild")
            .annotate(**_by_period(period.first))
            .order_by()
        )
        for row in rows:
            found[(row["child"], row["grandchild"])] = _pair(row)
    return found


def headcounts(
    scope: list[Unit], virtual: bool, year: int, other_years: set[int]
) -> dict[tuple[int, str], int]:
    """Employees per (year, path) for the units one and two levels down and the tops in
    `year`; in `other_years` (the previous period's) only the tops, all that is shown of them."""
    found: dict[tuple[int, str], int] = defaultdict(int)
    for length in sorted({len(unit.path) for unit in scope}):
        tops = [unit for unit in scope if len(unit.path) == length]
        child = length if virtual else length + tree.SEGMENT
        rows = (
            Headcount.objects.filter(in_tops(tops), year=year)
            .annotate(
                child=Substr("unit__path", 1, child),
                grandchild=Substr("unit__path", 1, child + tree.SEGMENT),
                top=Substr("unit__path", 1, length),
            )
            .values("year", "top", "child", "grandchild")
            .annotate(employees=Sum("employees"))
            .order_by()
        )
        for row in rows:
            found[(row["year"], "top:" + row["top"])] += row["employees"]
            found[(row["year"], row["child"])] += row["employees"]
            if row["grandchild"] != row["child"]:
                found[(row["year"], row["grandchild"])] += row["employees"]
        if other_years - {year}:
            before = (
                Headcount.objects.filter(in_tops(tops), year__in=other_years - {year})
                .annotate(top=Substr("unit__path", 1, length))
                .values("year", "top")
                .annotate(employees=Sum("employees"))
                .order_by()
            )
            for total in before:
                found[(total["year"], "top:" + total["top"])] += total["employees"]
    return found


def unit_parts(
    pairs: dict[tuple[str, str], Pair],
    shown_paths: list[str],
    top_paths: set[str],
    index: int,
) -> dict[str, Tally]:
    """The events per shown unit, the rest (the top's own events, and units the reader may
    not drill into) as OWN."""
    parts = dict.fromkeys(shown_paths, Tally())
    parts[OWN] = Tally()
    for (child, _grandchild), counts in pairs.items():
        key = child if child in parts and child not in top_paths else OWN
        parts[key] += counts[index]
    return parts


def sub_parts(
    below: dict[str, Pair], parent: str, shown: list[str], index: int
) -> dict[str, Tally]:
    """The events of `parent`'s units below it (`below`: its pairs, by the unit below), the
    rest as OWN."""
    parts = dict.fromkeys(shown, Tally())
    parts[OWN] = Tally()
    for grandchild, counts in below.items():
        parts[grandchild if grandchild in parts and grandchild != parent else OWN] += counts[index]
    return parts
