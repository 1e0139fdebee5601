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
from varna.stats import access, linked, periods, rollups, suppression
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
from varna.stats.sums import Sums, read
from varna.stats.suppression import Figure

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
            clean.get("period") or "rolling", clean.get("month") or today, today
        ),
        today=today,
        unit=unit,
        # Each once: a filter repeated a thousand times is still the same filter.
        forms=tuple(dict.fromkeys(clean.get("form") or ())),
        contexts=tuple(dict.fromkeys(clean.get("context") or ())),
    )
    return chosen, form, problems


def _as_published(chosen: Chosen) -> tuple[Chosen, list[str]]:
    """The choice as it may be shown to a reader who may not see the events, and why it
    differs. Calendar years do not overlap, and a page narrowed to some forms or contexts
    would cut every table a second way: a month beside its year, or one form's places beside
    all forms', would let a hidden figure be subtracted out, so only whole years of all
    events are shown (and the previous year beside them)."""
    notes = []
    if chosen.period.kind != "year":
        chosen = replace(chosen, period=periods.period_of("year", chosen.period.last, chosen.today))
        notes.append(
            _(
                "Without access to the cases, follow-up is by calendar year: shorter or "
                "overlapping periods side by side would reveal small numbers. Shown: %(year)s."
            )
            % {"year": chosen.period.label}
        )
    if chosen.forms or chosen.contexts:
        chosen = replace(chosen, forms=(), contexts=())
        notes.append(
            _(
                "Without access to the cases, the figures cover every form and context: "
                "narrowed, they would reveal small numbers."
            )
        )
    return chosen, notes


def _without_known(user: AnyUser, tops: list[Unit], chosen: Chosen) -> Chosen:
    """The choice without what the reader knows one by one, for a page that hides small
    numbers: beside it, a hidden figure would be the page's figure less what they know. Where
    they may open the cases (a manager, a safety representative), every event is left out,
    and the unit's own page shows them in full; where they see only the line cases (HR), the
    events sent to security, which a count of those cases would give back; where they handle
    the security cases, those. Left out from the reader's tops down, so that linked pages
    stay linked."""

    def inside(action: Action) -> tuple[str, ...]:
        return tuple(
            path
            for path in access.opened_paths(user, action)
            if any(path.startswith(top.path) for top in tops)
        )

    return replace(
        chosen,
        excluded=inside(Action.VIEW_CASE),
        excluded_routed=inside(Action.VIEW_SUPPORT),
        excluded_security=inside(Action.VIEW_SECURITY_REPORT),
    )


def _comparison_notes(period: periods.Period, reveal: bool) -> list[str]:
    """Why a period not over is shown as it is."""
    if period.is_compared:
        return []
    whole = periods.period_of(period.kind, period.last)
    values = {"period": whole.label, "previous": whole.previous().label}
    if reveal:
        return [
            _(
                "No comparison until the first month of %(period)s is over: periods are "
                "compared over the same whole months. Shown: the events so far, and "
                "%(previous)s in full."
            )
            % values
        ]
    return [
        _(
            "No comparison until %(period)s is over: without access to the cases, only whole "
            "calendar years are compared, since part of a year beside the whole would reveal "
            "small numbers. Shown: the events so far, and %(previous)s in full."
        )
        % values
    ]


def _left_out_notes(chosen: Chosen, scope: list[Unit]) -> list[str]:
    def names(paths: tuple[str, ...]) -> str:
        inside = [path for path in paths if any(path.startswith(unit.path) for unit in scope)]
        found = Unit.objects.filter(path__in=inside).order_by("path")
        return ", ".join(unit.name for unit in found)

    notes = []
    if units := names(chosen.excluded):
        notes.append(
            _(
                "The figures leave out %(units)s: you may open those cases, and their own "
                "pages show them in full. Beside them, these figures would reveal small numbers."
            )
            % {"units": units}
        )
    if units := names(chosen.excluded_routed):
        notes.append(
            _(
                "The figures leave out the events sent to security in %(units)s: beside the "
                "cases you may open there, they would reveal small numbers."
            )
            % {"units": units}
        )
    if units := names(chosen.excluded_security):
        notes.append(
            _(
                "The figures leave out the security cases (sent to security, and corruption) "
                "in %(units)s, which you may open one by one: beside them, these figures "
                "would reveal small numbers."
            )
            % {"units": units}
        )
    return notes


def dashboard(user: AnyUser, chosen: Chosen) -> Dashboard:
    """The figures of the chosen subtree and period as this user may see them."""
    tops = access.tops(user)
    if chosen.unit is None and len(tops) == 1:
        chosen = replace(chosen, unit=tops[0])
    virtual = chosen.unit is None
    scope = tops if chosen.unit is None else [chosen.unit]
    reveal = access.reveals(user, scope)
    notes: list[str] = []
    if not reveal:
        chosen, notes = _as_published(chosen)
        chosen = _without_known(user, tops, chosen)
        notes += _left_out_notes(chosen, scope)
    # Part of a period beside the whole of the one before is no comparison (varna.stats.periods).
    chosen = replace(chosen, period=periods.comparable(chosen.period, by_month=reveal))
    notes += _comparison_notes(chosen.period, reveal)
    period, previous = chosen.period, chosen.period.previous()
    forms = list(chosen.forms) or list(Form.values)
    top_paths = {unit.path for unit in scope}

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
    now = sums.columns[0]
    acknowledged = now["ack_in_time"] + now["ack_late"]

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
        children = sorted(
            path
            for path, unit in units.items()
            if len(path) == len(scope[0].path) + tree.SEGMENT and follows(unit)
        )
    children = [path for path in children if not rollups.left_out(chosen, path)]
    heads = rollups.headcounts(scope, virtual, period.last.year, {previous.last.year}, chosen)

    unit_now = rollups.unit_parts(pairs, children, set() if virtual else top_paths, 0)
    unit_before = rollups.unit_parts(pairs, children, set() if virtual else top_paths, 1)
    if virtual:
        unit_now.pop(OWN)
        unit_before.pop(OWN)
    # A unit below the reader's top is decided with its parent's page (see varna.stats.linked).
    below = (
        not reveal
        and chosen.unit is not None
        and (len(tops) > 1 or chosen.unit.path not in {top.path for top in tops})
    )
    if below:
        assert chosen.unit is not None
        current, before, notices = linked.below_top(
            user, tops, chosen.unit, chosen, forms, (unit_now, unit_before)
        )
    else:
        current, before, notices = linked.decide(sums, (unit_now, unit_before), reveal=reveal)

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
        change=_difference(chosen.period, current.total, before.total),
        employees=employees,
        previous_employees=employees_before,
        rate=suppression.rate(current.total, employees),
        previous_rate=suppression.rate(before.total, employees_before),
        withheld=current.withheld,
        previous_withheld=before.withheld,
        tables={},
        tops=tops,
        notes=notes,
    )
    if reveal:
        board.not_unlawful = now["not_unlawful"]
    ack = current.tables["ack"]
    if reveal or (
        acknowledged >= suppression.threshold()
        and not current.withheld
        and not ack["in_time"].hidden
        and not ack["late"].hidden
    ):
        board.ack_mean_hours = now["ack_minutes"] / 60 / acknowledged if acknowledged else None
    if chosen.unit is not None and access.opens_cases(user, chosen.unit):
        board.cases_link = _inbox_link(chosen.unit, forms[0] if len(forms) == 1 else "")
    _tables(board, user, current, before, notices, units, children, heads, forms)
    _hot_spots(board, user, pairs, units, children, heads, current, before, top_paths, virtual)
    withheld = current.given_up | before.given_up | notices_given_up(notices, current)
    for table in board.tables.values():
        names = HANDLING_TABLES if table.key == "handling" else {table.key}
        table.withheld = (
            current.withheld or bool(current.given_up & names),
            before.withheld or bool(before.given_up & names),
        )
        if withheld & names:
            table.note = " ".join(
                filter(
                    None,
                    [
                        table.note,
                        _(
                            "Some figures of this table are withheld: beside the figures of "
                            "other pages they would reveal small numbers."
                        ),
                    ],
                )
            )
    return board


def _difference(period: periods.Period, now: Figure, then: Figure) -> int | None:
    """The change from the period before, where the two are compared (see periods)."""
    return suppression.change(now, then) if period.is_compared else None


HANDLING_TABLES = frozenset({"ack", "measures", "police", "serious", "influenced", "notice"})


def notices_given_up(notices: suppression.Group, current: suppression.Group) -> set[str]:
    """The notice table counts as withheld where its serious events are shown but not it."""
    if notices.withheld and not current.tables["serious"]["serious"].hidden:
        return {"notice"}
    return set()


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
                [
                    figure_cell(now),
                    figure_cell(then),
                    change_cell(_difference(period, now, then)),
                ],
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
        period.comparison,
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
                    change_cell(_difference(period, now, then)),
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
        # As the unit's own page shows its table of units (varna.stats.linked.with_units):
        # nothing of a period whose total is hidden here, nor of a table that cannot be shown.
        shown_of = []
        for index, total in enumerate((now, then)):
            parts = rollups.sub_parts(pairs_of[path], path, below, index)
            figures, table_total = suppression.breakdown(parts, reveal=board.reveal)
            if total.hidden or table_total.hidden:
                figures = suppression.hidden_parts(Figure(None, secondary=True), parts)
            shown_of.append(figures)
        figures_now, figures_then = shown_of
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
