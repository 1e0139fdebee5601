"""A unit's sums over a period and the period before it, and the tables a page builds of them,
each cell a Tally (a true count and its events' key sum) for varna.core.perturbation."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Expression, QuerySet, Sum, Value, When

from varna.core.perturbation import Tally, total
from varna.reporting.taxonomy import Situation
from varna.stats.figures import NOT_STATED
from varna.stats.models import (
    ACTOR_COLUMNS,
    BELIEVED_COLUMNS,
    CONSEQUENCE_COLUMNS,
    COUNT_COLUMNS,
    KEY_COLUMNS,
    PLACE_COLUMNS,
    PURPOSE_COLUMNS,
    SITUATION_COLUMNS,
    SUBFORM_COLUMNS,
)
from varna.stats.periods import Period


def _zero() -> dict[str, Tally]:
    return defaultdict(Tally)


def _rest(whole: Tally, parts: dict[str, Tally]) -> Tally:
    """The events of `whole` in none of the parts (each event is in at most one)."""
    return whole - total(list(parts.values()))


@dataclass
class Sums:
    """Sums of one unit (or subtree) in a period (index 0) and the one before it (index 1)."""

    period: Period
    forms: list[str]
    columns: tuple[dict[str, Tally], dict[str, Tally]] = field(
        default_factory=lambda: (_zero(), _zero())
    )
    minutes: list[int] = field(default_factory=lambda: [0, 0])  # ack_minutes, summed
    by_form: tuple[dict[str, Tally], dict[str, Tally]] = field(
        default_factory=lambda: (_zero(), _zero())
    )
    by_month: tuple[dict[date, Tally], dict[date, Tally]] = field(init=False)
    by_situation: tuple[dict[str, Tally], dict[str, Tally]] = field(
        default_factory=lambda: (_zero(), _zero())
    )

    def __post_init__(self) -> None:
        previous = self.period.previous()
        self.by_month = (
            dict.fromkeys(self.period.months, Tally()),
            dict.fromkeys(previous.months, Tally()),
        )

    def total(self, index: int) -> Tally:
        return self.columns[index]["events"]

    def tables(self, index: int) -> dict[str, dict[str, Tally]]:
        """The tables that split the period's events, by name."""
        now = self.columns[index]
        whole = now["events"]
        places = {code: now[column] for column, code in PLACE_COLUMNS.items()}
        places[NOT_STATED] = _rest(whole, places)
        actors = {code: now[column] for column, code in ACTOR_COLUMNS.items()}
        actors[NOT_STATED] = _rest(whole, actors)
        believed = {code: now[column] for column, code in BELIEVED_COLUMNS.items()}
        believed[NOT_STATED] = _rest(whole, believed)
        police = {
            "employer": now["police_employer"],
            "employee": now["police_employee"],
            "none": now["police_none"],
        }
        police["undecided"] = _rest(whole, police)
        ack = {"in_time": now["ack_in_time"], "late": now["ack_late"]}
        ack["none"] = _rest(whole, ack)
        situations = {code: self.by_situation[index][code] for code in Situation.values}
        situations[NOT_STATED] = _rest(whole, situations)
        return {
            "form": {form: self.by_form[index][form] for form in self.forms},
            "month": {f"{month:%Y-%m}": count for month, count in self.by_month[index].items()},
            "place": places,
            "situation": situations,
            "actor": actors,
            "believed": believed,
            "ack": ack,
            "measures": {"with": now["with_measures"]},
            "police": police,
            "serious": {"serious": now["serious"]},
            "influenced": {"yes": now["influenced"]},
            "notice": {"in_time": now["serious_in_time"]},
            "subform": {column: now[column] for column in SUBFORM_COLUMNS},
            "consequence": {code: now[column] for column, code in CONSEQUENCE_COLUMNS.items()},
            "purpose": {code: now[column] for column, code in PURPOSE_COLUMNS.items()},
        }


def _tally(row: dict[str, Any], column: str) -> Tally:
    return Tally(row[column] or 0, row[KEY_COLUMNS[column]] or 0)


def read(
    source: QuerySet,
    period: Period,
    forms: list[str],
    *,
    subtree: bool,
    key: Expression | None = None,
    bucket: Callable[[str], str] = lambda found: found,
    spans: QuerySet | None = None,
) -> dict[str, Sums]:
    """The sums of rollup rows (`source`: of either rollup, over the period and the one before
    it), one Sums per `bucket` of the value of `key` (say, the unit below a parent), or all
    together under "" without a key. The database sums per period, form and month, so a few
    hundred rows come back rather than one per unit, month, form and situation. `spans`: the
    same rows summed over whole periods (the yearly subtree rollup), for all but the months."""
    found: dict[str, Sums] = {}

    def sums_of(row: dict[str, Any]) -> Sums:
        name = bucket(row["key"]) if key is not None else ""
        if name not in found:
            found[name] = Sums(period, forms)
        return found[name]

    def prepared(rows: QuerySet) -> QuerySet:
        rows = rows.filter(form__in=forms).annotate(
            index=Case(When(month__gte=period.first, then=Value(0)), default=Value(1))
        )
        return rows.annotate(key=key) if key is not None else rows

    events = {"n": Sum("events"), "k": Sum("events_key")}
    rows = prepared(source)
    group = ["key"] if key is not None else []
    for row in rows.values(*group, "index", "month").annotate(**events).order_by():
        months = sums_of(row).by_month[row["index"]]
        if row["month"] in months:
            months[row["month"]] += Tally(row["n"], row["k"])
    if spans is not None:
        rows = prepared(spans)
    for row in rows.values(*group, "index", "form").annotate(**events).order_by():
        sums_of(row).by_form[row["index"]][row["form"]] += Tally(row["n"], row["k"])
    columns = [*COUNT_COLUMNS, *(SITUATION_COLUMNS if subtree else [])]
    summed = [*columns, *(KEY_COLUMNS[c] for c in columns if c in KEY_COLUMNS)]
    aggregates = {f"s_{column}": Sum(column) for column in summed}
    for row in rows.values(*group, "index").annotate(**aggregates).order_by():
        values = {column: row[f"s_{column}"] for column in summed}
        sums = sums_of(row)
        index = row["index"]
        for column in COUNT_COLUMNS:
            if column in KEY_COLUMNS:
                sums.columns[index][column] += _tally(values, column)
        sums.minutes[index] += values["ack_minutes"] or 0
        if subtree:
            for column, code in SITUATION_COLUMNS.items():
                sums.by_situation[index][code] += _tally(values, column)
    if not subtree:
        grouped = rows.values(*group, "index", "situation").annotate(**events)
        for row in grouped.order_by():
            if row["situation"] in Situation.values:
                situations = sums_of(row).by_situation[row["index"]]
                situations[row["situation"]] += Tally(row["n"], row["k"])
    return found
