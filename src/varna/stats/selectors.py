"""Reads for follow-up: a dashboard's figures for a subtree and period, from the rollups.

A dashboard is a handful of grouped queries on `MonthlyCount` joined with the unit range of
the subtree (by month, form and situation; by the units one and two levels down) and one on
the headcounts. Each figure is a true count with its events' key sum, and is shown exactly to a
reader who may open every case counted, adjusted by varna.core.perturbation to anyone else:
any period, filter and level, for every reader who follows the unit up.

Pages over whole municipalities (or more) read the subtree rollup instead, which has the same
figures summed per subtree: the country's ~600,000 base rows of two years are ~40,000 there.
It has no situation in its key, so a page narrowed to some situations reads the base rollup.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from varna.cases.models import PoliceDecision
from varna.core import perturbation
from varna.core.perturbation import Figure, Tally
from varna.orgs import access as org_access
from varna.orgs import tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit
from varna.reporting.taxonomy import (
    SUBFORMS,
    ActorRelation,
    Answer,
    Consequence,
    Form,
    Place,
    Purpose,
    Situation,
)
from varna.stats import access, periods, rollups
from varna.stats.figures import (
    NOT_STATED,
    OWN,
    Cell,
    Chosen,
    Dashboard,
    HotSpot,
    Row,
    Table,
    change_cell,
    figure_cell,
    number_cell,
)
from varna.stats.models import FoldState, PendingFold
from varna.stats.sums import Sums, read
from varna.training import coverage
from varna.training import selectors as training_selectors

HOT_SPOTS = 5


def _inbox_link(unit: Unit | None, form: str = "") -> str:
    params = {"view": "all"}
    if unit is not None:
        params["unit"] = unit.code
    if form:
        params["form"] = form
    return f"{reverse('cases:inbox')}?{urlencode(params)}"


def parse(user: AnyUser, data: Any, today: date) -> tuple[Chosen, Any, list[str]]:
    """The dashboard filter from a query (the URL, or a stored report's), the form that shows
    it, and what was not understood and left out. A unit outside the user's part of the tree
    is treated like one that does not exist: the page says so and shows the user's own scope."""
    from varna.stats.forms import FilterForm

    form = FilterForm(data)
    form.is_valid()
    clean = form.cleaned_data
    problems = []
    if form.errors:
        problems.append(_("Some filters were not understood and are not used."))
    unit = None
    code = (clean.get("unit") or "").strip()
    if code:
        unit = access.unit_for(user, code)
        if unit is None:
            problems.append(
                _("There is no unit with that code in the part of the organisation you follow up.")
            )
    chosen = Chosen(
        period=periods.period_of(
            clean.get("period") or "rolling",
            clean.get("month") or today,
            today,
            start=clean.get("start"),
        ),
        today=today,
        unit=unit,
        # Each once: a filter repeated a thousand times is still the same filter.
        forms=tuple(dict.fromkeys(clean.get("form") or ())),
        contexts=tuple(dict.fromkeys(clean.get("context") or ())),
    )
    return chosen, form, problems


def _comparison_notes(period: periods.Period) -> list[str]:
    """Why a period not over is shown as it is."""
    if period.is_compared:
        return []
    whole = replace(period, until=None)
    values = {"period": whole.label, "previous": whole.previous().label}
    return [
        _(
            "No comparison until the first month of %(period)s is over: periods are "
            "compared over the same whole months. Shown: the events so far, and "
            "%(previous)s in full."
        )
        % values
    ]


FRESH_FOR = timedelta(minutes=1)


def updated(now: datetime) -> datetime | None:
    """When the figures were last brought up to date, if new events have waited to be
    counted for more than a minute (varna.stats.services.fold); None if they are up to date."""
    oldest = PendingFold.objects.order_by("created_at").values_list("created_at", flat=True)
    first = oldest.first()
    if first is None or now - first <= FRESH_FOR:
        return None
    folded = FoldState.objects.filter(pk=1).values_list("folded_at", flat=True).first()
    return folded or first


def dashboard(user: AnyUser, chosen: Chosen) -> Dashboard:
    """The figures of the chosen subtree and period as this user may see them: exact where
    they may open every case counted, adjusted (varna.core.perturbation) otherwise."""
    tops = access.tops(user)
    if chosen.unit is None and len(tops) == 1:
        chosen = replace(chosen, unit=tops[0])
    virtual = chosen.unit is None
    scope = tops if chosen.unit is None else [chosen.unit]
    reveal = access.reveals(user, scope)
    # Part of a period beside the whole of the one before is no comparison (varna.stats.periods).
    chosen = replace(chosen, period=periods.comparable(chosen.period))
    notes = _comparison_notes(chosen.period)
    period, previous = chosen.period, chosen.period.previous()
    forms = list(chosen.forms) or list(Form.values)
    top_paths = {unit.path for unit in scope}

    def show(tally: Tally) -> Figure:
        return perturbation.figure(tally, reveal=reveal)

    # Every column by period, and the events by form, month and situation: the headline, the
    # time series, the categories and the handling figures all come from these sums.
    summed = rollups.subtree_base(scope, previous.first, period.last, chosen, reveal)
    source = (
        summed
        if summed is not None
        else rollups.base(scope, previous.first, period.last, chosen, reveal)
    )
    spans = rollups.subtree_spans(scope, chosen, reveal)
    sums = read(source, period, forms, subtree=summed is not None, spans=spans).get("") or Sums(
        period, forms
    )

    # Units one and two levels down.
    pairs = rollups.by_unit(scope, virtual, chosen, reveal, forms)
    paths = {child for child, _ in pairs} | {grandchild for _, grandchild in pairs}
    # What the tables, the hot spots and the access checks read of a unit: the country's
    # page has some 2,000 of them.
    found = Unit.objects.filter(path__in=paths | top_paths).only("path", "code", "name", "kind")
    units = {unit.path: unit for unit in found.order_by("path")}
    follows = access.follow_up_check(user)
    if virtual:
        children = sorted(top_paths)
    else:
        # Every unit below that existed in the two periods, with events or not: a unit listed
        # only where it has events would say so beside figures that may show 0.
        below = (
            Unit.objects.filter(parent=scope[0], valid_from__lte=period.end)
            .exclude(valid_to__lt=previous.first)
            .only("path", "code", "name", "kind")
        )
        shown = [unit for unit in below if follows(unit)]
        units.update({unit.path: unit for unit in shown})
        children = sorted(unit.path for unit in shown)
    heads = rollups.headcounts(scope, virtual, period.last.year, {previous.last.year})

    total, before = show(sums.total(0)), show(sums.total(1))
    employees = sum(heads.get((period.last.year, "top:" + unit.path), 0) for unit in scope)
    employees_before = sum(heads.get((previous.last.year, "top:" + unit.path), 0) for unit in scope)
    title = (
        chosen.unit.name
        if chosen.unit is not None
        else (scope[0].name if len(scope) == 1 else _("Everything you follow up"))
    )
    board = Dashboard(
        chosen=chosen,
        scope=scope,
        title=title,
        reveal=reveal,
        total=total,
        previous=before,
        change=_difference(period, total, before),
        employees=employees,
        previous_employees=employees_before,
        rate=perturbation.rate(total, employees),
        previous_rate=perturbation.rate(before, employees_before),
        tables={},
        tops=tops,
        notes=notes,
        updated=updated(timezone.now()),
    )
    now = sums.columns[0]
    if reveal:
        board.not_unlawful = now["not_unlawful"].count
    acknowledged = (now["ack_in_time"] + now["ack_late"]).count
    # Only where the figures are exact: a mean of one or two durations would be those
    # durations, and whether it is shown would tell how many there are.
    if reveal and acknowledged:
        board.ack_mean_hours = sums.minutes[0] / 60 / acknowledged
    if chosen.unit is not None and access.opens_cases(user, chosen.unit):
        board.cases_link = _inbox_link(chosen.unit, forms[0] if len(forms) == 1 else "")
    unit_now = rollups.unit_parts(pairs, children, set() if virtual else top_paths, 0)
    unit_before = rollups.unit_parts(pairs, children, set() if virtual else top_paths, 1)
    if virtual:
        unit_now.pop(OWN)
        unit_before.pop(OWN)
    _tables(board, user, sums, (unit_now, unit_before), show, units, children, heads, forms)
    _hot_spots(board, user, pairs, units, children, heads, show)
    return board


def _difference(period: periods.Period, now: Figure, then: Figure) -> int | None:
    """The change from the period before, where the two are compared (see periods)."""
    return perturbation.change(now, then) if period.is_compared else None


def _tables(
    board: Dashboard,
    user: AnyUser,
    sums: Sums,
    unit_parts: tuple[dict[str, Tally], dict[str, Tally]],
    show: Callable[[Tally], Figure],
    units: dict[str, Unit],
    children: list[str],
    heads: dict[tuple[int, str], int],
    forms: list[str],
) -> None:
    chosen = board.chosen
    period, previous = chosen.period, chosen.period.previous()
    current, before = sums.tables(0), sums.tables(1)
    compare = [period.label, previous.label, _("Difference")]
    total_row = Row(
        _("All events"),
        [figure_cell(board.total), figure_cell(board.previous), change_cell(board.change)],
        is_total=True,
    )
    labels = dict(Form.choices)
    form_rows = []
    for form in forms:
        now, then = show(current["form"][form]), show(before["form"][form])
        link = ""
        if chosen.unit is not None and access.opens_cases(user, chosen.unit):
            link = _inbox_link(chosen.unit, form)
        form_rows.append(
            Row(
                str(labels[form]),
                [figure_cell(now), figure_cell(then), change_cell(_difference(period, now, then))],
                cases_link=link,
            )
        )
    board.tables["form"] = Table(
        "form", _("Events by form"), _("Form"), compare, [*form_rows, total_row]
    )

    month_rows = []
    for (label, this), (previous_label, that) in zip(
        current["month"].items(), before["month"].items(), strict=True
    ):
        month_rows.append(
            Row(label, [figure_cell(show(this)), Cell(previous_label), figure_cell(show(that))])
        )
    board.tables["month"] = Table(
        "month",
        _("Events by month"),
        _("Month"),
        [_("Events"), _("Month of the previous period"), _("Events then")],
        month_rows,
        period.comparison,
    )

    unit_rows = []
    opens = access.opens_cases_check(user)
    for path in [*children, OWN]:
        if path not in unit_parts[0]:
            continue
        now, then = show(unit_parts[0][path]), show(unit_parts[1][path])
        if path == OWN:
            if now.value == 0 and then.value == 0:
                continue
            label = _("Directly in %(unit)s, or in units not shown") % {"unit": board.title}
            link = cases = ""
            employees = 0
        else:
            unit = units[path]
            label = unit.name
            link = "?" + chosen.query(unit=unit.code)
            cases = _inbox_link(unit) if opens(unit) else ""
            employees = heads.get((period.last.year, path), 0)
        unit_rows.append(
            Row(
                label,
                [
                    figure_cell(now),
                    figure_cell(then),
                    change_cell(_difference(period, now, then)),
                    Cell(str(employees) if employees else "–", employees or None),
                    number_cell(perturbation.rate(now, employees)),
                ],
                link=link,
                cases_link=cases,
                code="" if path == OWN else units[path].code,
            )
        )
    if unit_rows and children:
        board.tables["units"] = Table(
            "units",
            _("Events by unit"),
            _("Unit"),
            [*compare, _("Employees"), _("Per 100 employees")],
            [
                *unit_rows,
                Row(
                    _("All events"),
                    [
                        *total_row.cells,
                        Cell(str(board.employees), board.employees),
                        number_cell(board.rate),
                    ],
                    is_total=True,
                ),
            ],
        )

    share_header = [period.label, _("Share")]

    def share_row(label: str, tally: Tally, whole: Figure) -> Row:
        shown = show(tally)
        return Row(
            label,
            [figure_cell(shown), number_cell(perturbation.share(shown, whole), 0, suffix=" %")],
        )

    def shares(key: str, labels: dict[str, str], caption: str, header: str, note: str = "") -> None:
        rows = [
            share_row(label, current[key][code], board.total)
            for code, label in labels.items()
            if code in current[key]
        ]
        board.tables[key] = Table(key, caption, header, share_header, rows, note)

    not_stated = _("Not stated")
    shares(
        "situation",
        {**{code: str(label) for code, label in Situation.choices}, NOT_STATED: not_stated},
        _("Events by authority exercise"),
        _("Situation"),
    )
    shares(
        "place",
        {**{code: str(label) for code, label in Place.choices}, NOT_STATED: not_stated},
        _("Events by place or channel"),
        _("Place"),
    )
    shares(
        "actor",
        {**{code: str(label) for code, label in ActorRelation.choices}, NOT_STATED: not_stated},
        _("Events by who did it"),
        _("Relation"),
    )
    shares(
        "believed",
        {**{code: str(label) for code, label in Answer.choices}, NOT_STATED: not_stated},
        _("Events by whether the employee believed the purpose was to influence their work"),
        _("Answer"),
    )
    several = _("An event can count in more than one row.")
    subform_labels = {
        f"sub_{form}_{code}": f"{Form(form).label}: {label}"
        for form, items in SUBFORMS.items()
        if form in forms
        for code, label in items
    }
    shares("subform", subform_labels, _("Events by kind"), _("Kind"), several)
    shares(
        "consequence",
        {code: str(label) for code, label in Consequence.choices},
        _("Events by consequence"),
        _("Consequence"),
        several,
    )
    shares(
        "purpose",
        {code: str(label) for code, label in Purpose.choices},
        _("Events by what the employee believes the person wanted"),
        _("Purpose"),
        several,
    )

    handling = [
        ("ack", "in_time", _("The employee was contacted in time")),
        ("ack", "late", _("The employee was contacted late")),
        ("ack", "none", _("The employee has not been contacted")),
        ("measures", "with", _("Measures decided")),
        ("police", "employer", str(PoliceDecision.EMPLOYER_FILES.label)),
        ("police", "employee", str(PoliceDecision.EMPLOYEE_WITH_HELP.label)),
        ("police", "none", str(PoliceDecision.NO_REPORT.label)),
        ("police", "undecided", _("No decision on a police report yet")),
        ("serious", "serious", _("Serious events (notice to Arbetsmiljöverket)")),
        ("influenced", "yes", _("A decision was influenced")),
    ]
    rows = [share_row(label, current[key][code], board.total) for key, code, label in handling]
    serious = show(current["serious"]["serious"])
    rows.insert(
        9, share_row(_("… of which notified in time"), current["notice"]["in_time"], serious)
    )
    board.tables["handling"] = Table(
        "handling",
        _("Handling"),
        _("Step"),
        share_header,
        rows,
        _("The share of notices in time is of the serious events; the others of all events."),
    )


def _hot_spots(
    board: Dashboard,
    user: AnyUser,
    pairs: dict[tuple[str, str], rollups.Pair],
    units: dict[str, Unit],
    children: list[str],
    heads: dict[tuple[int, str], int],
    show: Callable[[Tally], Figure],
) -> None:
    """Units one and two levels down with the highest rates and the steepest rises, from the
    figures as shown (a unit below with its figure as its own page shows it)."""
    period = board.chosen.period
    follows = access.follow_up_check(user)
    shown = set(children)
    # Each unit's events: a shown unit's subtree, a unit below it its own subtree.
    counts: dict[str, list[Tally]] = defaultdict(lambda: [Tally(), Tally()])
    for (child, grandchild), (this, that) in pairs.items():
        if child not in shown:
            continue
        counts[child][0] += this
        counts[child][1] += that
        if grandchild != child:
            counts[grandchild][0] += this
            counts[grandchild][1] += that
    spots = []
    for path, (now_tally, then_tally) in counts.items():
        unit = units.get(path)
        employees = heads.get((period.last.year, path), 0)
        if unit is None or not employees or (path not in shown and not follows(unit)):
            continue
        now, then = show(now_tally), show(then_tally)
        if not now.value:
            continue
        spots.append(
            HotSpot(
                unit=unit,
                count=now.value,
                employees=employees,
                rate=now.value * 100 / employees,
                change=_difference(period, now, then),
                link="",
            )
        )
    board.hot_spots = sorted(spots, key=lambda spot: (-spot.rate, spot.unit.path))[:HOT_SPOTS]
    rising = [spot for spot in spots if spot.change is not None and spot.change > 0]
    board.rises = sorted(rising, key=lambda spot: (-(spot.change or 0), spot.unit.path))[:HOT_SPOTS]
    # Links only for the few shown: a query string for each of thousands of candidates cost
    # more than the rest of the hot spots together.
    for spot in [*board.hot_spots, *board.rises]:
        spot.link = "?" + board.chosen.query(unit=spot.unit.code)


# Where to aim the next course -------------------------------------------------------------

# How long the coverage of the units listed is kept: it is keyed by the day and by
# varna.training.selectors.coverage_version, so a change shows at once; this only bounds it.
AIM_KEPT_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Covered:
    """The training required of one listed unit's staff: how many people, how many (person,
    requirement) pairs and how many of those are valid. What the table keeps for the day."""

    path: str
    people: int
    required: int
    valid: int

    @property
    def share(self) -> float | None:
        return self.valid / self.required if self.required else None


@dataclass(frozen=True)
class ShareCell(Cell):
    """A share of valid training; where it is not shown, a dash and, for a screen reader,
    why (`hidden`)."""

    hidden: str = ""


def _covered(found: coverage.UnitCoverage) -> Covered:
    total = found.total
    return Covered(found.unit.path, found.people, total.staff, total.covered)


def _coverage_of_tops(tops: list[Unit], today: date) -> dict[str, Covered]:
    """The training coverage of each top's subtree (a page over several tops), read in one
    pass over them all as varna.training.coverage.coverage_of_children reads one unit's."""
    paths = {unit.path for unit in tops}
    within = Q()
    for path in paths:
        within |= tree.subtree_q(path)
    units = Unit.objects.filter(within)
    path_of = dict(units.values_list("pk", "path"))
    grouped: dict[str, list[coverage.Standing]] = defaultdict(list)
    for standing in coverage.standings(units, today):
        top = next(p for p in tree.ancestor_paths(path_of[standing.unit_id]) if p in paths)
        grouped[top].append(standing)
    return {
        unit.code: _covered(coverage.summary(unit, grouped.get(unit.path, ()), today))
        for unit in tops
    }


def _coverage_listed(board: Dashboard, today: date) -> dict[str, Covered]:
    """The coverage of each unit the page lists (the units below the chosen one, or the tops
    of a page over several), by code, in one pass over their staff."""
    if board.chosen.unit is None:
        return _coverage_of_tops(board.scope, today)
    return {
        found.unit.code: _covered(found)
        for found in coverage.coverage_of_children(board.chosen.unit, today)
    }


def _coverage_kept(board: Dashboard, today: date) -> dict[str, Covered]:
    """`_coverage_listed`, kept for the day in the cache for every reader of the same units:
    a municipality of 20,000 staff takes about half a second to work out, its key a few
    aggregates (bench/training.py). Readers differ only in what they are shown of it."""
    chosen = board.chosen.unit
    listed = (
        ("below", chosen.path)
        if chosen is not None
        else ("tops", *sorted(u.path for u in board.scope))
    )
    version = training_selectors.coverage_version(listed[1:])
    digest = hashlib.sha256(repr((today.isoformat(), listed, version)).encode()).hexdigest()
    key = f"varna:stats:aim:{digest}"
    found = cache.get(key)
    if found is None:
        found = _coverage_listed(board, today)
        cache.set(key, found, AIM_KEPT_SECONDS)
    return found


def training_table(
    board: Dashboard, today: date, *, reader: AnyUser | None = None, kept: bool = False
) -> Table | None:
    """Where to aim the next course: the units of the page's table of units, each with its
    events per 100 employees as that table shows them to this reader (from the figures as
    shown) and the share of the training required of its staff that is valid `today`,
    highest rate first. A unit is flagged when its rate is above the whole page's and less
    than VARNA_TRAINING_COVERAGE_TARGET per cent of its training is valid. Only shares, no
    names; and to a reader who may not see the unit's training (VIEW_TRAINING; anyone when
    `reader` is None), no share of fewer than VARNA_SMALL_NUMBER_K people, which could tell
    who lacks a course. `kept`: the coverage may come from the cache (see _coverage_kept).
    None when there are no units below, when they lie in more than one municipality (a page
    over several would read every employee of them all), or no training is required of their
    staff."""
    units_table = board.tables.get("units")
    rows = [row for row in units_table.rows if row.code] if units_table else []
    if not rows:
        return None
    # Within one municipality, where its courses are required: a page over several (a region
    # or the country) would read every employee of them all.
    if board.chosen.unit is None and len({u.path[: tree.SEGMENT] for u in board.scope}) > 1:
        return None
    by_code = _coverage_kept(board, today) if kept else _coverage_listed(board, today)
    if all((found := by_code.get(row.code)) is None or found.share is None for row in rows):
        return None
    sees_training = set(
        org_access.scope_paths(reader, Action.VIEW_TRAINING) if reader is not None else ()
    )
    small = perturbation.small()
    target = settings.VARNA_TRAINING_COVERAGE_TARGET
    too_few = _("too few to show")
    listed = []
    withheld = False
    for row in rows:
        events, employees = row.cells[0].value, row.cells[3].value
        # The same rate as the table of units, before rounding (perturbation.rate).
        rate = events * 100 / employees if events is not None and employees else None
        found = by_code.get(row.code)
        share = found.share if found is not None else None
        cell: Cell = number_cell(None if share is None else share * 100, 0, suffix=" %")
        if (
            found is not None
            and share is not None
            and found.people < small
            and not any(path in sees_training for path in tree.ancestor_paths(found.path))
        ):
            # Neither the share nor the flag that follows from it.
            share, cell, withheld = None, ShareCell("–", hidden=too_few), True
        flagged = (
            rate is not None
            and board.rate is not None
            and share is not None
            and rate > board.rate
            and share * 100 < target
        )
        listed.append((rate, row, cell, flagged))
    listed.sort(key=lambda item: (item[0] is None, -(item[0] or 0), item[1].label))
    flag = _("High rate, low coverage")
    # Rounded as the key figures round it (number_format alone would cut it).
    whole = "–" if board.rate is None else number_format(round(board.rate, 1), 1)
    note = _(
        "Valid training is the share of the courses required of the unit's staff that "
        "they hold today; the events are those of the chosen period. A unit is flagged "
        "when its events per 100 employees are above the rate of the whole (%(rate)s, as "
        "in the key figures) and less than %(target)s %% of its required training is "
        "valid: there the next course may do the most good. A dash means that no course "
        "is required of the staff, or that the unit has no employees counted."
    ) % {"rate": whole, "target": target}
    if withheld:
        note += " " + _(
            "Where fewer than %(k)s people are required to hold a course, the share is not "
            "shown: it could tell who lacks it."
        ) % {"k": small}
    return Table(
        "training",
        _("Where to aim the next course: events per 100 employees and valid training"),
        _("Unit"),
        [_("Per 100 employees"), _("Valid training"), _("Flag")],
        [
            Row(
                row.label,
                [row.cells[4], cell, Cell(flag if flagged else "")],
                link=row.link,
                code=row.code,
            )
            for _rate, row, cell, flagged in listed
        ],
        note,
    )
