"""Figures of a unit below the reader's top, decided together with its parent's page.

A reader with several tops has a page of them all together, the level above them.

A unit's page and its parent's show the same tables, and the parent's table of units shows
the unit's total: each table of the units below a parent is decided with the parent's
(varna.stats.suppression.within), from the reader's top down to the page's unit, so that no
parent minus children gives a hidden figure back. The top's own page is decided on its own
(`decide`), exactly as every page was before; each level below costs one grouped query.
"""

from collections.abc import Callable

from django.db.models import F
from django.db.models.functions import Substr

from varna.orgs import tree
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit
from varna.stats import access, rollups, suppression
from varna.stats.figures import OWN, Chosen
from varna.stats.sums import OVERLAPPING, SPLITS, Sums, combined, read
from varna.stats.suppression import Figure, Group

Decided = tuple[Group, Group, Group]  # this period, the previous one, the notices


def decide(
    sums: Sums,
    units: tuple[dict[str, int], dict[str, int]],
    *,
    reveal: bool,
) -> Decided:
    """The figures of a page decided on its own: a top's, or any page for a reader who may
    see the events."""
    current, before = (
        suppression.group(
            sums.total(index),
            {**sums.tables(index), "units": units[index]},
            overlapping=sums.overlapping(index),
            reveal=reveal,
        )
        for index in (0, 1)
    )
    notices = suppression.group(
        sums.columns[0]["serious"],
        {"notice": sums.notices(0)},
        reveal=reveal,
        withhold=current.tables["serious"]["serious"].hidden,
    )
    return current, before, notices


def with_units(group: Group, parts: dict[str, int]) -> Group:
    """A decided group with the table of the units below its unit, which no other page
    shows per unit except their own (where it is their total)."""
    if group.withheld:
        figures = suppression.hidden_parts(group.total, parts)
        return Group(group.total, {**group.tables, "units": figures}, True, group.given_up)
    figures, total = suppression.breakdown(parts)
    given_up = group.given_up
    if total.hidden:
        figures = {key: Figure(None, True) for key in parts}
        given_up = given_up | {"units"}
    return Group(group.total, {**group.tables, "units": figures}, False, given_up)


def _below(parent: Decided, rows: dict[str, Sums]) -> dict[str, Decided]:
    """The figures of every unit below a parent (decided, with its table of units) as their
    own pages show them, without their tables of units."""
    tables: dict[tuple[str, int], dict[str, dict[str, Figure]]] = {
        (row, index): {} for row in rows for index in (0, 1)
    }
    given_up: dict[tuple[str, int], set[str]] = {key: set() for key in tables}
    for index in (0, 1):
        group = parent[index]
        every = {row: sums.tables(index) | sums.overlapping(index) for row, sums in rows.items()}
        for name in (*SPLITS, *OVERLAPPING):
            split = name in SPLITS
            figures, withheld = suppression.within(
                group.tables[name],
                group.total if split else None,
                {row: tables[name] for row, tables in every.items()},
                group.tables["units"],
                parent_withheld=group.withheld or name in group.given_up,
                unseen=frozenset({OWN}),
                overlapping=not split,
            )
            for row, shown in figures.items():
                tables[(row, index)][name] = shown
            for row in withheld:
                given_up[(row, index)].add(name)
    notices, notices_withheld = suppression.within(
        parent[2].tables["notice"],
        parent[2].total,
        {row: sums.notices(0) for row, sums in rows.items()},
        {row: tables[(row, 0)]["serious"]["serious"] for row in rows if row != OWN}
        | {OWN: Figure(None, True)},
        parent_withheld=parent[2].withheld,
        unseen=frozenset({OWN}),
    )
    found: dict[str, Decided] = {}
    for row in rows:
        if row == OWN:
            continue
        groups = []
        for index in (0, 1):
            total = parent[index].tables["units"][row]
            groups.append(
                Group(
                    total,
                    tables[(row, index)],
                    withheld=total.hidden,
                    given_up=frozenset(given_up[(row, index)]),
                )
            )
        serious = groups[0].tables["serious"]["serious"]
        found[row] = (
            groups[0],
            groups[1],
            Group(
                serious,
                {"notice": notices[row]},
                withheld=serious.hidden or row in notices_withheld,
            ),
        )
    return found


def _level(
    parent: Unit, chosen: Chosen, forms: list[str], follows: Callable[[Unit], bool]
) -> tuple[Sums, dict[str, Sums]]:
    """The sums of a parent's subtree and of each unit below it that the reader follows up
    (the rest, and the parent's own events, as OWN)."""
    period, previous = chosen.period, chosen.period.previous()
    shown = {
        child.path
        for child in Unit.objects.filter(parent=parent).order_by("path")
        if follows(child) and not rollups.left_out(chosen, child.path)
    }
    source = rollups.base([parent], previous.first, period.last, chosen, False)
    rows = {path: Sums(period, forms) for path in [*sorted(shown), OWN]}
    rows |= read(
        source,
        period,
        forms,
        subtree=False,
        key=Substr("unit__path", 1, len(parent.path) + tree.SEGMENT),
        bucket=lambda child: child if child in shown else OWN,
    )
    return combined(list(rows.values()), period, forms), rows


def _level_of_tops(
    tops: list[Unit], chosen: Chosen, forms: list[str]
) -> tuple[Sums, dict[str, Sums]]:
    """The sums of all the reader's tops together and of each: the level above them that
    the page of everything the reader follows shows."""
    period, previous = chosen.period, chosen.period.previous()
    tops = [top for top in tops if not rollups.left_out(chosen, top.path)]
    rows = {top.path: Sums(period, forms) for top in tops}
    for length in sorted({len(top.path) for top in tops}):
        same = [top for top in tops if len(top.path) == length]
        summed = rollups.subtree_base(same, previous.first, period.last, chosen, False)
        if summed is not None:
            spans = rollups.subtree_spans(same, chosen, False)
            rows |= read(summed, period, forms, subtree=True, key=F("unit__path"), spans=spans)
        else:
            source = rollups.base(same, previous.first, period.last, chosen, False)
            rows |= read(source, period, forms, subtree=False, key=Substr("unit__path", 1, length))
    return combined(list(rows.values()), period, forms), rows


def _units(rows: dict[str, Sums]) -> tuple[dict[str, int], dict[str, int]]:
    now = {path: sums.total(0) for path, sums in rows.items()}
    before = {path: sums.total(1) for path, sums in rows.items()}
    return now, before


def below_top(
    user: AnyUser,
    tops: list[Unit],
    unit: Unit,
    chosen: Chosen,
    forms: list[str],
    units: tuple[dict[str, int], dict[str, int]],
) -> Decided:
    """The figures of a unit below the reader's top, for a reader who may not see its
    events, with `tops` the tops the reader follows up and `units` the unit's own table of
    units (this period's, the previous one's)."""
    top_paths = {top.path for top in tops}
    paths = tree.ancestor_paths(unit.path)
    start = next(index for index, path in enumerate(paths) if path in top_paths)
    chain: list[Unit | None] = list(Unit.objects.filter(path__in=paths[start:-1]).order_by("path"))
    if len(tops) > 1:
        # The page of everything the reader follows is the level above the tops.
        chain.insert(0, None)
    follows = access.follow_up_check(user)
    decided: Decided | None = None
    for parent, child in zip(chain, [*chain[1:], unit], strict=True):
        assert child is not None
        if parent is None:
            total, rows = _level_of_tops(tops, chosen, forms)
        else:
            total, rows = _level(parent, chosen, forms, follows)
        parts = _units(rows)
        if decided is None:
            decided = decide(total, parts, reveal=False)
        else:
            decided = (
                with_units(decided[0], parts[0]),
                with_units(decided[1], parts[1]),
                decided[2],
            )
        found = _below(decided, rows)
        if child.path not in found:
            # Not shown on its parent's page (the reader does not follow it up there).
            raise LookupError(child.path)
        decided = found[child.path]
    assert decided is not None
    return with_units(decided[0], units[0]), with_units(decided[1], units[1]), decided[2]
