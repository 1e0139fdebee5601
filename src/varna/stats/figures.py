"""What a follow-up page shows: the choice it was made for, and its tables of cells as shown
(exact, or adjusted by varna.core.perturbation). The selectors fill these; pages, exports,
charts and the committee report read them."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.utils.formats import number_format

from varna.core.perturbation import Figure
from varna.orgs.models import Unit
from varna.stats.periods import Period

OWN = "_own"  # the events of the unit itself, not of any unit shown below it
NOT_STATED = ""


@dataclass(frozen=True)
class Chosen:
    """What a dashboard shows: a subtree (None: everything the user follows) and a period,
    optionally narrowed to some forms and contexts (situations)."""

    period: Period
    unit: Unit | None = None
    forms: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    # The day the page is made on, not part of the URL: a period it falls in is not over
    # (varna.stats.periods). None: every period is taken as over.
    today: date | None = None

    def query(self, **changes: Any) -> str:
        """The URL query of this choice, with `changes` (e.g. unit="X") applied."""
        params: dict[str, Any] = {
            "unit": self.unit.code if self.unit else "",
            **self.period.params,
            "form": list(self.forms),
            "context": list(self.contexts),
        }
        params.update(changes)
        return urlencode({key: value for key, value in params.items() if value}, doseq=True)


@dataclass(frozen=True)
class Cell:
    """One figure as shown: its text, and its number for exports and charts (None for "–")."""

    text: str
    value: float | None = None

    def __str__(self) -> str:
        return self.text


@dataclass
class Row:
    label: str
    cells: list[Cell]
    link: str = ""  # the same dashboard for this unit
    cases_link: str = ""  # the unit's cases in the inbox, for those who may open them
    is_total: bool = False
    code: str = ""  # the unit's code, in a table of units


@dataclass
class Table:
    key: str
    caption: str
    label_header: str
    columns: list[str]
    rows: list[Row]
    note: str = ""


@dataclass
class HotSpot:
    unit: Unit
    count: int
    employees: int
    rate: float
    change: int | None
    link: str


@dataclass
class Dashboard:
    chosen: Chosen
    scope: list[Unit]
    title: str
    reveal: bool
    total: Figure
    previous: Figure
    change: int | None
    employees: int
    previous_employees: int
    rate: float | None
    previous_rate: float | None
    tables: dict[str, Table]
    hot_spots: list[HotSpot] = field(default_factory=list)
    rises: list[HotSpot] = field(default_factory=list)
    cases_link: str = ""
    ack_mean_hours: float | None = None
    # Reported, but found not to be unlawful influence: counted apart, and shown only where
    # the figures are exact (None otherwise).
    not_unlawful: int | None = None
    # Why the page shows something other than what was chosen.
    notes: list[str] = field(default_factory=list)
    # The tops of the subtrees the reader follows up.
    tops: list[Unit] = field(default_factory=list)
    # When the figures were last brought up to date, where new events wait to be counted
    # for more than a minute (varna.stats.services.fold); None when they are up to date.
    updated: datetime | None = None


def figure_cell(figure: Figure) -> Cell:
    return Cell(str(figure), figure.value)


def number_cell(value: float | None, digits: int = 1, *, suffix: str = "") -> Cell:
    if value is None:
        return Cell("–")
    return Cell(f"{number_format(value, digits)}{suffix}", round(value, digits))


def change_cell(value: int | None) -> Cell:
    if value is None:
        return Cell("–")
    return Cell(f"{value:+d}" if value else "0", value)
