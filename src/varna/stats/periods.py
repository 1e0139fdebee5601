"""Follow-up periods: a month, a quarter, a year or the rolling twelve months, each compared
with the period of the same length just before it."""

from dataclasses import dataclass
from datetime import date

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


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first day of the first month
    last: date  # the first day of the last month

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, n) for n in range(LENGTHS[self.kind])]

    @property
    def end(self) -> date:
        """The day after the period."""
        return add_months(self.last, 1)

    def previous(self) -> "Period":
        length = LENGTHS[self.kind]
        return Period(self.kind, add_months(self.first, -length), add_months(self.last, -length))

    @property
    def label(self) -> str:
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


def period_of(kind: str, month: date) -> Period:
    """The period of `kind` that holds `month` (the rolling twelve months end with it)."""
    month = month.replace(day=1)
    if kind == "month":
        return Period(kind, month, month)
    if kind == "quarter":
        first = date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, first, add_months(first, 2))
    if kind == "year":
        return Period(kind, date(month.year, 1, 1), date(month.year, 12, 1))
    return Period("rolling", add_months(month, -11), month)


def default(today: date) -> Period:
    """The twelve months up to and including this one."""
    return period_of("rolling", today)
