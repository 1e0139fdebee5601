"""Follow-up periods: a month, a quarter, a year or the rolling twelve months, each compared
with the period of the same length just before it.

A period that is not over yet is compared over the same span: the rollup counts whole months,
so its months that are over are set against the same months of the period before (1 Jan–30
Nov this year against 1 Jan–30 Nov last year), and the rolling twelve months end with the last
whole month. Where no month of it is over, or where the reader may see only whole calendar
years (varna.stats.selectors), it is shown up to today and not compared until it is over.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KINDS = {
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
    "rolling": gettext_lazy("Rolling twelve months"),
}
LENGTHS = {"month": 1, "quarter": 3, "year": 12, "rolling": 12}
# Periods outside these years are not follow-up but a typing error.
FIRST_YEAR = 2000


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first day of the first month
    last: date  # the first day of the last month (before the end of a period cut short)
    # A period not over: the day its figures run to. It is not compared with the one before.
    until: date | None = None

    @property
    def months(self) -> list[date]:
        count = _month_index(self.last) - _month_index(self.first) + 1
        return [add_months(self.first, n) for n in range(count)]

    @property
    def end(self) -> date:
        """The day after the period."""
        return add_months(self.last, 1)

    @property
    def is_whole(self) -> bool:
        """Whether the period has all its months (one cut to its months that are over has not)."""
        return len(self.months) == LENGTHS[self.kind]

    @property
    def is_calendar_year(self) -> bool:
        return self.kind == "year" and self.is_whole

    @property
    def is_compared(self) -> bool:
        return self.until is None

    def previous(self) -> "Period":
        """The period before, over the same span: as many months, a period earlier."""
        length = LENGTHS[self.kind]
        return Period(self.kind, add_months(self.first, -length), add_months(self.last, -length))

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
        if not self.is_whole:
            return self.span
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.first.month - 1) // 3 + 1,
                "year": self.first.year,
            }
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first:%Y-%m} – {self.last:%Y-%m}"

    @property
    def param(self) -> str:
        """The month that names the period in the URL (its last month)."""
        return f"{self.last:%Y-%m}"


def period_of(kind: str, month: date, today: date | None = None) -> Period:
    """The period of `kind` that holds `month` (the rolling twelve months end with it); one
    that `today` falls in is marked as running up to that day (Period.until)."""
    month = month.replace(day=1)
    if kind == "month":
        period = Period(kind, month, month)
    elif kind == "quarter":
        first = date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
        period = Period(kind, first, add_months(first, 2))
    elif kind == "year":
        period = Period(kind, date(month.year, 1, 1), date(month.year, 12, 1))
    else:
        period = Period("rolling", add_months(month, -11), month)
    if today is not None and period.first <= today < period.end:
        return replace(period, until=today)
    return period


def comparable(period: Period, *, by_month: bool) -> Period:
    """The period as it is compared with the one before. A period not over is cut to its
    months that are over, the rolling twelve months moved back to end with the last of them,
    where the reader may see figures by month (`by_month`); otherwise, or where no month of
    it is over, it stays up to today and is not compared."""
    if period.until is None:
        return period
    current = period.until.replace(day=1)
    if not by_month or current == period.first:
        return period
    if period.kind == "rolling":
        return period_of("rolling", add_months(current, -1))
    return Period(period.kind, period.first, add_months(current, -1))


def default(today: date) -> Period:
    """The twelve months up to and including this one."""
    return period_of("rolling", today)
