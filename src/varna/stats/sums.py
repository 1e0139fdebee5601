"""A unit's sums over a period and the period before it, and the tables a page builds of them
(before suppression). The page's own unit and, for linked suppression, the units beside it on
their parent's page are summed the same way, so their tables add up."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Expression, QuerySet, Sum, Value, When

from varna.reporting.taxonomy import Form, Situation
from varna.stats import rollups
from varna.stats.figures import NOT_STATED
from varna.stats.models import (
    ACTOR_COLUMNS,
    BELIEVED_COLUMNS,
    CONSEQUENCE_COLUMNS,
    COUNT_COLUMNS,
    PLACE_COLUMNS,
    PURPOSE_COLUMNS,
    SITUATION_COLUMNS,
    SUBFORM_COLUMNS,
)
from varna.stats.periods import Period

# Every column a page reads, summed per month, form (and situation).
COLUMNS = ["events", *COUNT_COLUMNS[1:]]
# The tables that split the events of a period: each adds up to its total.
SPLITS = (
    "form",
    "month",
    "place",
    "situation",
    "actor",
    "believed",
    "ack",
    "measures",
    "police",
    "serious",
    "influenced",
)
# Tables where an event can count in more than one row.
OVERLAPPING = ("subform", "consequence", "purpose")


def _zero() -> dict[str, int]:
    return defaultdict(int)


@dataclass
class Sums:
    """Sums of one unit (or subtree) in a period (index 0) and the one before it (index 1)."""

    period: Period
    forms: list[str]
    columns: tuple[dict[str, int], dict[str, int]] = field(
        default_factory=lambda: (_zero(), _zero())
    )
    by_form: tuple[dict[str, int], dict[str, int]] = field(
        default_factory=lambda: (dict.fromkeys(Form.values, 0), dict.fromkeys(Form.values, 0))
    )
    by_month: tuple[dict[date, int], dict[date, int]] = field(init=False)
    by_situation: tuple[dict[str, int], dict[str, int]] = field(
        default_factory=lambda: (
            dict.fromkeys([*Situation.values, NOT_STATED], 0),
            dict.fromkeys([*Situation.values, NOT_STATED], 0),
        )
    )

    def __post_init__(self) -> None:
        previous = self.period.previous()
        self.by_month = (dict.fromkeys(self.period.months, 0), dict.fromkeys(previous.months, 0))

    def total(self, index: int) -> int:
        return self.columns[index]["events"]

    def tables(self, index: int) -> dict[str, dict[str, int]]:
        """The tables that split the period's events, by name (see SPLITS)."""
        now = self.columns[index]
        total = now["events"]
        places = {code: now[column] for column, code in PLACE_COLUMNS.items()}
        places[NOT_STATED] = total - sum(places.values())
        actors = {code: now[column] for column, code in ACTOR_COLUMNS.items()}
        actors[NOT_STATED] = total - sum(actors.values())
        believed = {code: now[column] for column, code in BELIEVED_COLUMNS.items()}
        believed[NOT_STATED] = total - sum(believed.values())
        acknowledged = now["ack_in_time"] + now["ack_late"]
        police = {
            "employer": now["police_employer"],
            "employee": now["police_employee"],
            "none": now["police_none"],
        }
        police["undecided"] = total - sum(police.values())
        return {
            "form": {form: self.by_form[index][form] for form in self.forms},
            "month": {f"{month:%Y-%m}": count for month, count in self.by_month[index].items()},
            "place": places,
            "situation": dict(self.by_situation[index]),
            "actor": actors,
            "believed": believed,
            "ack": {
                "in_time": now["ack_in_time"],
                "late": now["ack_late"],
                "none": total - acknowledged,
            },
            "measures": {"with": now["with_measures"], "without": total - now["with_measures"]},
            "police": police,
            "serious": {"serious": now["serious"], "other": total - now["serious"]},
            "influenced": {"yes": now["influenced"], "other": total - now["influenced"]},
        }

    def overlapping(self, index: int) -> dict[str, dict[str, int]]:
        now = self.columns[index]
        return {
            "subform": {column: now[column] for column in SUBFORM_COLUMNS},
            "consequence": {code: now[column] for column, code in CONSEQUENCE_COLUMNS.items()},
            "purpose": {code: now[column] for column, code in PURPOSE_COLUMNS.items()},
        }

    def notices(self, index: int) -> dict[str, int]:
        """The serious events by whether Arbetsmiljöverket was notified in time."""
        now = self.columns[index]
        return {"in_time": now["serious_in_time"], "late": now["serious"] - now["serious_in_time"]}


def combined(parts: list[Sums], period: Period, forms: list[str]) -> Sums:
    """The sums of several units together."""
    total = Sums(period, forms)
    for part in parts:
        for index in (0, 1):
            for mine, theirs in (
                (total.columns[index], part.columns[index]),
                (total.by_form[index], part.by_form[index]),
                (total.by_month[index], part.by_month[index]),
                (total.by_situation[index], part.by_situation[index]),
            ):
                for name, count in theirs.items():
                    mine[name] += count  # type: ignore[index]
    return total


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

    rows = prepared(source)
    group = ["key"] if key is not None else []
    if key is None and spans is None:
        # One row per month and form.
        for row in rows.values("index", "month", "form").annotate(events=Sum("events")).order_by():
            sums = sums_of(row)
            sums.by_form[row["index"]][row["form"]] += row["events"]
            months = sums.by_month[row["index"]]
            if row["month"] in months:
                months[row["month"]] += row["events"]
    else:
        # By month apart: times the keys, months by forms would be many rows.
        by_month = rows.values(*group, "index", "month").annotate(events=Sum("events"))
        for row in by_month.order_by():
            months = sums_of(row).by_month[row["index"]]
            if row["month"] in months:
                months[row["month"]] += row["events"]
        if spans is not None:
            rows = prepared(spans)
        by_form = rows.values(*group, "index", "form").annotate(events=Sum("events"))
        for row in by_form.order_by():
            sums_of(row).by_form[row["index"]][row["form"]] += row["events"]
    columns = [*COLUMNS, *(SITUATION_COLUMNS if subtree else [])]
    for row in rows.values(*group, "index").annotate(**rollups.sums(columns)).order_by():
        sums = sums_of(row)
        summed = sums.columns[row["index"]]
        for column in COLUMNS:
            summed[column] += row[column] or 0
        if subtree:
            situations = sums.by_situation[row["index"]]
            for situation, count in rollups.situations(row, True):
                situations[situation] += count
    if not subtree:
        grouped = rows.values(*group, "index", "situation").annotate(events=Sum("events"))
        for row in grouped.order_by():
            situations = sums_of(row).by_situation[row["index"]]
            situation = row["situation"] if row["situation"] in situations else NOT_STATED
            situations[situation] += row["events"]
    return found
