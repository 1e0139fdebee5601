"""Reads for follow-up: a dashboard's figures for a subtree and period, from the rollup.

A dashboard is a handful of grouped queries on `MonthlyCount` joined with the unit range of
the subtree (by month, form and situation; by the units one and two levels down) and one on
the headcounts. Every figure then goes through varna.stats.suppression before anything is
shown, exported or printed: one period's tables as one group, the previous period's as another.

Pages over whole municipalities (or more) read the subtree rollup instead, which has the same
figures summed per subtree: the country's ~600,000 base rows of two years are ~40,000 there.
It has no situation in its key, so a page narrowed to some situations reads the base rollup.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from varna.cases.models import PoliceDecision
from varna.orgs import tree
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit
from varna.reporting.taxonomy import SUBFORMS, ActorRelation, Consequence, Form, Place, Situation
from varna.stats import access, periods, rollups, suppression
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
from varna.stats.models import (
    ACTOR_COLUMNS,
    CONSEQUENCE_COLUMNS,
    COUNT_COLUMNS,
    PLACE_COLUMNS,
    SITUATION_COLUMNS,
    SUBFORM_COLUMNS,
)
from varna.stats.suppression import Figure

HOT_SPOTS = 5


def _parent_hides(user: AnyUser, unit: Unit, chosen: Chosen, forms: list[str]) -> tuple[bool, bool]:
    """Whether the unit's figure (current, previous period) is hidden in its parent's table of
    units: then its own page must not show it either, or the parent minus its other units
    would give a hidden figure back."""
    parent = unit.parent
    if parent is None or not access.may_follow_up(user, parent):
        return False, False
    pairs = rollups.by_unit([parent], False, chosen, False, forms)
    children = [
        child
        for child in Unit.objects.filter(parent=parent).order_by("path")
        if access.may_follow_up(user, child)
    ]
    paths = [child.path for child in children]
    hidden = []
    for index in (0, 1):
        figures, _total = suppression.breakdown(rollups.unit_parts(pairs, paths, set(), index))
        hidden.append(figures.get(unit.path, Figure(None)).hidden)
    return hidden[0], hidden[1]


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
        period=periods.period_of(clean.get("period") or "rolling", clean.get("month") or today),
        unit=unit,
        forms=tuple(clean.get("form") or ()),
        contexts=tuple(clean.get("context") or ()),
    )
    return chosen, form, problems


def dashboard(user: AnyUser, chosen: Chosen) -> Dashboard:
    """The figures of the chosen subtree and period as this user may see them."""
    if chosen.unit is None:
        tops = access.tops(user)
        if len(tops) == 1:
            chosen = replace(chosen, unit=tops[0])
    virtual = chosen.unit is None
    scope = tops if chosen.unit is None else [chosen.unit]
    reveal = access.reveals(user, scope)
    period, previous = chosen.period, chosen.period.previous()
    forms = list(chosen.forms) or list(Form.values)
    top_paths = {unit.path for unit in scope}

    # By month, form and situation, every column: the headline, the time series, the
    # categories and the handling figures all come from these rows.
    columns = ["events", *COUNT_COLUMNS[1:]]
    summed = rollups.subtree_base(scope, previous.first, period.last, chosen, reveal)
    if summed is not None:
        rows = list(
            summed.values("month", "form")
            .annotate(**rollups.sums([*columns, *SITUATION_COLUMNS]))
            .order_by()
        )
    else:
        rows = list(
            rollups.base(scope, previous.first, period.last, chosen, reveal)
            .values("month", "form", "situation")
            .annotate(**rollups.sums(columns))
            .order_by()
        )
    now: dict[str, int] = defaultdict(int)
    by_form_now: dict[str, int] = dict.fromkeys(Form.values, 0)
    by_form_before: dict[str, int] = dict.fromkeys(Form.values, 0)
    by_month_now = dict.fromkeys(period.months, 0)
    by_month_before = dict.fromkeys(previous.months, 0)
    by_situation: dict[str, int] = dict.fromkeys([*Situation.values, NOT_STATED], 0)
    for row in rows:
        is_now = row["month"] >= period.first
        (by_form_now if is_now else by_form_before)[row["form"]] += row["events"]
        if row["form"] not in forms:
            continue
        if is_now:
            by_month_now[row["month"]] += row["events"]
            for situation, count in rollups.situations(row, summed is not None):
                by_situation[situation if situation in by_situation else NOT_STATED] += count
            for column in columns:
                now[column] += row[column] or 0
        else:
            by_month_before[row["month"]] += row["events"]
    total = now["events"]
    total_before = sum(by_month_before.values())

    # Units one and two levels down.
    pairs = rollups.by_unit(scope, virtual, chosen, reveal, forms)
    paths = {child for child, _ in pairs} | {grandchild for _, grandchild in pairs}
    units = {
        unit.path: unit for unit in Unit.objects.filter(path__in=paths | top_paths).order_by("path")
    }
    follows = access.follow_up_check(user)
    if virtual:
        children = sorted(top_paths)
    else:
        children = sorted(
            path
            for path, unit in units.items()
            if len(path) == len(scope[0].path) + tree.SEGMENT and follows(unit)
        )
    heads = rollups.headcounts(scope, virtual, period.last.year, {previous.last.year})

    # Whether a figure that this page's total would give back is hidden elsewhere: in the
    # parent's table of units, or among the forms when the page is narrowed to some.
    withhold_now = withhold_before = False
    if not reveal:
        if chosen.unit is not None and chosen.unit.path not in {
            top.path for top in access.tops(user)
        }:
            withhold_now, withhold_before = _parent_hides(user, chosen.unit, chosen, forms)
        if chosen.forms and set(chosen.forms) != set(Form.values):
            for counts, flag in ((by_form_now, "now"), (by_form_before, "before")):
                figures, _total = suppression.breakdown(counts)
                if any(figures[form].hidden for form in chosen.forms):
                    if flag == "now":
                        withhold_now = True
                    else:
                        withhold_before = True

    unit_now = rollups.unit_parts(pairs, children, set() if virtual else top_paths, 0)
    unit_before = rollups.unit_parts(pairs, children, set() if virtual else top_paths, 1)
    if virtual:
        unit_now.pop(OWN)
        unit_before.pop(OWN)

    places = {code: now[column] for column, code in PLACE_COLUMNS.items()}
    places[NOT_STATED] = total - sum(places.values())
    actors = {code: now[column] for column, code in ACTOR_COLUMNS.items()}
    actors[NOT_STATED] = total - sum(actors.values())
    acknowledged = now["ack_in_time"] + now["ack_late"]
    police = {
        "employer": now["police_employer"],
        "employee": now["police_employee"],
        "none": now["police_none"],
    }
    police["undecided"] = total - sum(police.values())
    current = suppression.group(
        total,
        {
            "form": {form: by_form_now[form] for form in forms},
            "month": {f"{month:%Y-%m}": count for month, count in by_month_now.items()},
            "units": unit_now,
            "place": places,
            "situation": by_situation,
            "actor": actors,
            "ack": {
                "in_time": now["ack_in_time"],
                "late": now["ack_late"],
                "none": total - acknowledged,
            },
            "measures": {"with": now["with_measures"], "without": total - now["with_measures"]},
            "police": police,
            "serious": {"serious": now["serious"], "other": total - now["serious"]},
            "influenced": {"yes": now["influenced"], "other": total - now["influenced"]},
        },
        overlapping={
            "subform": {column: now[column] for column in SUBFORM_COLUMNS},
            "consequence": {code: now[column] for column, code in CONSEQUENCE_COLUMNS.items()},
        },
        reveal=reveal,
        withhold=withhold_now,
    )
    before = suppression.group(
        total_before,
        {
            "form": {form: by_form_before[form] for form in forms},
            "month": {f"{month:%Y-%m}": count for month, count in by_month_before.items()},
            "units": unit_before,
        },
        reveal=reveal,
        withhold=withhold_before,
    )
    serious = current.tables["serious"]["serious"]
    notices = suppression.group(
        now["serious"],
        {
            "notice": {
                "in_time": now["serious_in_time"],
                "late": now["serious"] - now["serious_in_time"],
            }
        },
        reveal=reveal,
        withhold=serious.hidden,
    )

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
        total=current.total,
        previous=before.total,
        change=suppression.change(current.total, before.total),
        employees=employees,
        previous_employees=employees_before,
        rate=suppression.rate(current.total, employees),
        previous_rate=suppression.rate(before.total, employees_before),
        withheld=current.withheld,
        previous_withheld=before.withheld,
        tables={},
    )
    if reveal or (acknowledged >= suppression.threshold() and not current.withheld):
        board.ack_mean_hours = now["ack_minutes"] / 60 / acknowledged if acknowledged else None
    if chosen.unit is not None and access.opens_cases(user, chosen.unit):
        board.cases_link = _inbox_link(chosen.unit, forms[0] if len(forms) == 1 else "")
    _tables(board, user, current, before, notices, units, children, heads, forms)
    _hot_spots(board, user, pairs, units, children, heads, current, before, top_paths, virtual)
    return board


def _tables(
    board: Dashboard,
    user: AnyUser,
    current: suppression.Group,
    before: suppression.Group,
    notices: suppression.Group,
    units: dict[str, Unit],
    children: list[str],
    heads: dict[tuple[int, str], int],
    forms: list[str],
) -> None:
    chosen = board.chosen
    period, previous = chosen.period, chosen.period.previous()
    compare = [period.label, previous.label, _("Difference")]
    total_row = Row(
        _("All events"),
        [figure_cell(board.total), figure_cell(board.previous), change_cell(board.change)],
        is_total=True,
    )
    labels = dict(Form.choices)
    form_rows = []
    for form in forms:
        now, then = current.tables["form"][form], before.tables["form"][form]
        link = ""
        if chosen.unit is not None and access.opens_cases(user, chosen.unit):
            link = _inbox_link(chosen.unit, form)
        form_rows.append(
            Row(
                str(labels[form]),
                [figure_cell(now), figure_cell(then), change_cell(suppression.change(now, then))],
                cases_link=link,
            )
        )
    board.tables["form"] = Table(
        "form", _("Events by form"), _("Form"), compare, [*form_rows, total_row]
    )

    month_rows = []
    for (label, now), (previous_label, then) in zip(
        current.tables["month"].items(), before.tables["month"].items(), strict=True
    ):
        month_rows.append(Row(label, [figure_cell(now), Cell(previous_label), figure_cell(then)]))
    board.tables["month"] = Table(
        "month",
        _("Events by month"),
        _("Month"),
        [_("Events"), _("Month of the previous period"), _("Events then")],
        month_rows,
    )

    unit_rows = []
    opens = access.opens_cases_check(user)
    for path in [*children, OWN]:
        if path not in current.tables["units"]:
            continue
        now, then = current.tables["units"][path], before.tables["units"][path]
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
                    change_cell(suppression.change(now, then)),
                    Cell(str(employees) if employees else "–", employees or None),
                    number_cell(suppression.rate(now, employees)),
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

    def shares(key: str, labels: dict[str, str], caption: str, header: str, note: str = "") -> None:
        rows = [
            Row(
                label,
                [
                    figure_cell(current.tables[key][code]),
                    number_cell(
                        suppression.share(current.tables[key][code], board.total), 0, suffix=" %"
                    ),
                ],
            )
            for code, label in labels.items()
            if code in current.tables[key]
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
    rows = [
        Row(
            label,
            [
                figure_cell(current.tables[key][code]),
                number_cell(
                    suppression.share(current.tables[key][code], board.total), 0, suffix=" %"
                ),
            ],
        )
        for key, code, label in handling
    ]
    in_time = notices.tables["notice"]["in_time"]
    rows.insert(
        9,
        Row(
            _("… of which notified in time"),
            [
                figure_cell(in_time),
                number_cell(suppression.share(in_time, notices.total), 0, suffix=" %"),
            ],
        ),
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
    pairs: dict[tuple[str, str], tuple[int, int]],
    units: dict[str, Unit],
    children: list[str],
    heads: dict[tuple[int, str], int],
    current: suppression.Group,
    before: suppression.Group,
    top_paths: set[str],
    virtual: bool,
) -> None:
    """Units one and two levels down with the highest rates and the steepest rises, from the
    figures as shown (a unit below is taken from its own unit's table, suppressed as there)."""
    period = board.chosen.period
    k = suppression.threshold()
    candidates: list[tuple[Unit, Figure, Figure]] = []
    follows = access.follow_up_check(user)
    shown = set(children)
    below_of: dict[str, list[str]] = defaultdict(list)
    for other, unit in units.items():
        if other[: -tree.SEGMENT] in shown and follows(unit):
            below_of[other[: -tree.SEGMENT]].append(other)
    # Each shown unit's pairs, grouped once rather than searched for among all of them.
    pairs_of: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for (child, grandchild), counts in pairs.items():
        pairs_of[child][grandchild] = counts
    for path in children:
        now, then = current.tables["units"].get(path), before.tables["units"].get(path)
        if now is None or then is None:
            continue
        candidates.append((units[path], now, then))
        if now.hidden:
            continue
        below = sorted(below_of[path])
        if not below:
            continue
        figures_now, _total = suppression.breakdown(
            rollups.sub_parts(pairs_of[path], path, below, 0), reveal=board.reveal
        )
        figures_then, _total = suppression.breakdown(
            rollups.sub_parts(pairs_of[path], path, below, 1), reveal=board.reveal
        )
        for other in below:
            candidates.append((units[other], figures_now[other], figures_then[other]))
    spots = []
    for unit, now, then in candidates:
        employees = heads.get((period.last.year, unit.path), 0)
        if now.value is None or not employees or (now.value < k and not board.reveal):
            continue
        spots.append(
            HotSpot(
                unit=unit,
                count=now.value,
                employees=employees,
                rate=now.value * 100 / employees,
                change=suppression.change(now, then),
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
