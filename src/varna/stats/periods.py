"""Follow-up periods: a month, a quarter, a tertial (four months), a half year, a year, the
rolling twelve months or an own range of whole months, each compared with the period of the
same length just before it.

A period that is not over yet is compared over the same span: the rollup counts whole months,
so its months that are over are set against the same months of the period before (1 Jan–30
Nov this year against 1 Jan–30 Nov last year), and the rolling twelve months end with the last
whole month. An own range that runs into this month is cut the same way and set against the
same months of the range of its length just before it. Where no month of a period is over, it
is shown up to today and not compared until it is over. Every reader may choose every kind.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KINDS = {
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "tertial": gettext_lazy("Tertial"),
    "half": gettext_lazy("Half year"),
    "year": gettext_lazy("Year"),
    "rolling": gettext_lazy("Rolling twelve months"),
    "custom": gettext_lazy("Own range of months"),
}
# The months of each kind of fixed length; an own range ("custom") has the length chosen.
LENGTHS = {"month": 1, "quarter": 3, "tertial": 4, "half": 6, "year": 12, "rolling": 12}
# Periods outside these years are not follow-up but a typing error.
FIRST_YEAR = 2000
# An own range is at most ten years: longer, its months no longer fit a page or a chart.
MAX_MONTHS = 120


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def months_between(first: date, last: date) -> int:
    """How many months from `first` to `last`, both counted (first-of-month dates)."""
    return _month_index(last) - _month_index(first) + 1


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first day of the first month
    last: date  # the first day of the last month (before the end of a period cut short)
    # A period not over: the day its figures run to. It is not compared with the one before.
    until: date | None = None
    # The months of the whole period, also once it is cut to its months that are over. Left
    # 0, it is the kind's length, or for an own range the months from first to last.
    length: int = 0

    def __post_init__(self) -> None:
        if not self.length:
            length = LENGTHS.get(self.kind) or months_between(self.first, self.last)
            object.__setattr__(self, "length", length)

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, n) for n in range(months_between(self.first, self.last))]

    @property
    def end(self) -> date:
        """The day after the period."""
        return add_months(self.last, 1)

    @property
    def is_whole(self) -> bool:
        """Whether the period has all its months (one cut to its months that are over has not)."""
        return len(self.months) == self.length

    @property
    def is_calendar_year(self) -> bool:
        return self.kind == "year" and self.is_whole

    @property
    def is_compared(self) -> bool:
        return self.until is None

    def previous(self) -> "Period":
        """The period before, over the same span: as many months, a whole period earlier (for
        an own range, as many months earlier as it has when whole)."""
        return Period(
            self.kind,
            add_months(self.first, -self.length),
            add_months(self.last, -self.length),
            length=self.length,
        )

    @property
    def span(self) -> str:
        """The days the figures cover, e.g. "1 jan–30 nov 2026"."""
        last = self.until or self.end - timedelta(days=1)
        if self.first.year == last.year:
            return f"{date_format(self.first, 'j b')}–{date_format(last, 'j b Y')}"
        return f"{date_format(self.first, 'j b Y')}–{date_format(last, 'j b Y')}"

    @property
    def comparison(self) -> str:
        """What is set against what, e.g. "1 jan–30 nov 2026 compared with 1 jan–30 nov 2025";
        empty for a period not compared."""
        if not self.is_compared:
            return ""
        return _("%(period)s compared with %(previous)s") % {
            "period": self.span,
            "previous": self.previous().span,
        }

    @property
    def label(self) -> str:
        if self.until is not None:
            return _("%(period)s up to %(day)s") % {
                "period": replace(self, until=None).label,
                "day": date_format(self.until, "j b"),
            }
        if not self.is_whole or self.kind == "custom":
            return self.span
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.first.month - 1) // 3 + 1,
                "year": self.first.year,
            }
        if self.kind == "tertial":
            return _("Tertial %(tertial)s %(year)s") % {
                "tertial": (self.first.month - 1) // 4 + 1,
                "year": self.first.year,
            }
        if self.kind == "half":
            return _("Half %(half)s %(year)s") % {
                "half": (self.first.month - 1) // 6 + 1,
                "year": self.first.year,
            }
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first:%Y-%m} – {self.last:%Y-%m}"

    @property
    def param(self) -> str:
        """The month that names the period in the URL (its last month)."""
        return f"{self.last:%Y-%m}"

    @property
    def params(self) -> dict[str, str]:
        """The URL parameters that name the period, read back by `period_of`: its kind and
        last month, and for an own range its first month. An own range cut to its months that
        are over is named as chosen (its last month when whole), as a cut year is named by a
        month in it, so that a shared link shows the same range once it is over."""
        if self.kind != "custom":
            return {"period": self.kind, "month": self.param}
        last = add_months(self.first, self.length - 1)
        return {"period": self.kind, "month": f"{last:%Y-%m}", "start": f"{self.first:%Y-%m}"}


def period_of(
    kind: str, month: date, today: date | None = None, *, start: date | None = None
) -> Period:
    """The period of `kind` that holds `month` (the rolling twelve months and an own range end
    with it; an own range starts with `start`, by default the same month); one that `today`
    falls in is marked as running up to that day (Period.until).

    The form checks an own range (varna.stats.forms); here a range given backwards is read
    the right way round, and one longer than MAX_MONTHS keeps its last months."""
    month = month.replace(day=1)
    if kind == "month":
        period = Period(kind, month, month)
    elif kind in ("quarter", "tertial", "half"):
        length = LENGTHS[kind]
        first = date(month.year, (month.month - 1) // length * length + 1, 1)
        period = Period(kind, first, add_months(first, length - 1))
    elif kind == "year":
        period = Period(kind, date(month.year, 1, 1), date(month.year, 12, 1))
    elif kind == "custom":
        first = month if start is None else start.replace(day=1)
        first, last = min(first, month), max(first, month)
        first = max(first, add_months(last, 1 - MAX_MONTHS))
        period = Period(kind, first, last)
    else:
        period = Period("rolling", add_months(month, -11), month)
    if today is not None and period.first <= today < period.end:
        return replace(period, until=today)
    return period


def comparable(period: Period) -> Period:
    """The period as it is compared with the one before. A period not over is cut to its
    months that are over (an own range too), the rolling twelve months moved back to end
    with the last of them; where no month of it is over, it stays up to today and is not
    compared."""
    if period.until is None:
        return period
    current = period.until.replace(day=1)
    if current == period.first:
        return period
    if period.kind == "rolling":
        return period_of("rolling", add_months(current, -1))
    return Period(period.kind, period.first, add_months(current, -1), length=period.length)


def default(today: date) -> Period:
    """The twelve months up to and including this one."""
    return period_of("rolling", today)
