"""A unit's sums over a period and the period before it, and the tables a page builds of them
(before suppression). The page's own unit and, for linked suppression, the units beside it on
their parent's page are summed the same way, so their tables add up."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from varna.reporting.taxonomy import Form, Situation
from varna.stats import rollups
from varna.stats.figures import NOT_STATED
from varna.stats.models import (
    ACTOR_COLUMNS,
    CONSEQUENCE_COLUMNS,
    COUNT_COLUMNS,
    PLACE_COLUMNS,
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
    "ack",
    "measures",
    "police",
    "serious",
    "influenced",
)
# Tables where an event can count in more than one row.
OVERLAPPING = ("subform", "consequence")


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

    def add(self, row: dict[str, Any], subtree: bool, *, columns: bool = True) -> None:
        """One grouped row of either rollup (by month and form, and situation in the base);
        without `columns`, only its events (the columns are summed elsewhere)."""
        index = 0 if row["month"] >= self.period.first else 1
        self.by_form[index][row["form"]] += row["events"]
        if row["form"] not in self.forms:
            return
        if row["month"] in self.by_month[index]:
            self.by_month[index][row["month"]] += row["events"]
        situations = self.by_situation[index]
        for situation, count in rollups.situations(row, subtree):
            situations[situation if situation in situations else NOT_STATED] += count
        if columns:
            summed = self.columns[index]
            for column in COLUMNS:
                summed[column] += row[column] or 0

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
        }

    def notices(self, index: int) -> dict[str, int]:
        """The serious events by whether Arbetsmiljöverket was notified in time."""
        now = self.columns[index]
        return {"in_time": now["serious_in_time"], "late": now["serious"] - now["serious_in_time"]}
