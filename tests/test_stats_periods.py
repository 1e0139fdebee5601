"""Follow-up periods (varna.stats.periods) and the dashboard filter's own range of months
(varna.stats.forms.FilterForm). Plain unit tests: no database."""

from datetime import date

import pytest
from django.utils import translation

from varna.stats import periods
from varna.stats.forms import FilterForm
from varna.stats.periods import Period, comparable, period_of


def month(text: str) -> date:
    year, number = text.split("-")
    return date(int(year), int(number), 1)


@pytest.mark.parametrize(
    ("kind", "chosen", "first", "last", "before_first", "before_last"),
    [
        ("month", "2026-03", "2026-03", "2026-03", "2026-02", "2026-02"),
        ("quarter", "2026-05", "2026-04", "2026-06", "2026-01", "2026-03"),
        ("tertial", "2026-06", "2026-05", "2026-08", "2026-01", "2026-04"),
        ("tertial", "2026-02", "2026-01", "2026-04", "2025-09", "2025-12"),
        ("half", "2026-03", "2026-01", "2026-06", "2025-07", "2025-12"),
        ("half", "2026-11", "2026-07", "2026-12", "2026-01", "2026-06"),
        ("year", "2026-07", "2026-01", "2026-12", "2025-01", "2025-12"),
        ("rolling", "2026-03", "2025-04", "2026-03", "2024-04", "2025-03"),
    ],
)
def test_each_kind_and_the_period_before(kind, chosen, first, last, before_first, before_last):
    period = period_of(kind, month(chosen))
    assert (period.kind, period.first, period.last) == (kind, month(first), month(last))
    assert period.is_whole and period.until is None
    assert period.length == periods.LENGTHS[kind] == len(period.months)
    before = period.previous()
    assert (before.kind, before.first, before.last) == (
        kind,
        month(before_first),
        month(before_last),
    )
    assert before.length == period.length and before.end == period.first


@pytest.mark.parametrize(
    ("chosen", "tertial"),
    [
        ("2026-01", 1),
        ("2026-04", 1),
        ("2026-05", 2),
        ("2026-08", 2),
        ("2026-09", 3),
        ("2026-12", 3),
    ],
)
def test_tertial_boundaries(chosen, tertial):
    period = period_of("tertial", month(chosen))
    assert period.first == date(2026, (tertial - 1) * 4 + 1, 1)
    assert len(period.months) == 4
    with translation.override("en"):
        assert period.label == f"Tertial {tertial} 2026"


@pytest.mark.parametrize(
    ("chosen", "half"), [("2026-01", 1), ("2026-06", 1), ("2026-07", 2), ("2026-12", 2)]
)
def test_half_year_boundaries(chosen, half):
    period = period_of("half", month(chosen))
    assert period.first == date(2026, (half - 1) * 6 + 1, 1)
    assert len(period.months) == 6
    with translation.override("en"):
        assert period.label == f"Half {half} 2026"


def test_kinds_in_order_with_labels():
    assert list(periods.KINDS) == [
        "month",
        "quarter",
        "tertial",
        "half",
        "year",
        "rolling",
        "custom",
    ]
    with translation.override("en"):
        assert str(periods.KINDS["tertial"]) == "Tertial"
        assert str(periods.KINDS["half"]) == "Half year"
        assert str(periods.KINDS["custom"]) == "Own range of months"
    assert "custom" not in periods.LENGTHS


def test_own_range_and_the_range_before_across_a_year_boundary():
    period = period_of("custom", month("2026-02"), start=month("2025-11"))
    assert (period.first, period.last, period.length) == (month("2025-11"), month("2026-02"), 4)
    assert period.is_whole
    before = period.previous()
    assert (before.kind, before.first, before.last) == (
        "custom",
        month("2025-07"),
        month("2025-10"),
    )
    assert before.length == 4 and before.end == period.first
    assert before.previous().last == month("2025-06")


def test_own_range_of_one_month_by_default():
    period = period_of("custom", date(2026, 3, 17))
    assert (period.first, period.last, period.length) == (month("2026-03"), month("2026-03"), 1)
    assert period.previous().first == month("2026-02")


def test_own_range_given_backwards_is_read_the_right_way_round():
    period = period_of("custom", month("2025-11"), start=month("2026-02"))
    assert period == period_of("custom", month("2026-02"), start=month("2025-11"))


def test_own_range_keeps_its_last_120_months():
    period = period_of("custom", month("2026-12"), start=month("2005-01"))
    assert period.length == periods.MAX_MONTHS == len(period.months)
    assert (period.first, period.last) == (month("2017-01"), month("2026-12"))
    exactly = period_of("custom", month("2026-12"), start=month("2017-01"))
    assert exactly == period


@pytest.mark.parametrize(
    ("kind", "chosen", "start"),
    [
        ("month", "2026-03", None),
        ("quarter", "2026-05", None),
        ("tertial", "2026-10", None),
        ("half", "2026-08", None),
        ("year", "2026-02", None),
        ("rolling", "2026-03", None),
        ("custom", "2026-02", "2025-05"),
        ("custom", "2026-02", "2026-02"),
    ],
)
def test_params_name_the_period(kind, chosen, start):
    period = period_of(kind, month(chosen), start=month(start) if start else None)
    params = period.params
    assert params["period"] == kind
    assert params["month"] == period.param == f"{period.last:%Y-%m}"
    assert ("start" in params) == (kind == "custom")
    back = period_of(
        params["period"],
        month(params["month"]),
        start=month(params["start"]) if "start" in params else None,
    )
    assert back == period


def test_params_name_an_own_range_cut_short_as_chosen():
    today = date(2026, 3, 15)
    chosen = period_of("custom", month("2026-05"), today, start=month("2026-01"))
    cut = comparable(chosen)
    assert cut.last == month("2026-02")
    assert cut.params == {"period": "custom", "month": "2026-05", "start": "2026-01"}
    assert cut.param == "2026-02"


@pytest.mark.parametrize(
    ("kind", "chosen", "first", "last", "before_first", "before_last"),
    [
        ("tertial", "2026-07", "2026-05", "2026-06", "2026-01", "2026-02"),
        ("half", "2026-09", "2026-07", "2026-08", "2026-01", "2026-02"),
        ("year", "2026-09", "2026-01", "2026-08", "2025-01", "2025-08"),
    ],
)
def test_a_running_period_is_cut_to_its_months_that_are_over(
    kind, chosen, first, last, before_first, before_last
):
    today = date(2026, int(chosen[5:]), 10)
    running = period_of(kind, month(chosen), today)
    assert running.until == today and not running.is_compared
    cut = comparable(running)
    assert (cut.kind, cut.first, cut.last, cut.until) == (kind, month(first), month(last), None)
    assert not cut.is_whole and cut.is_compared
    assert not cut.is_calendar_year
    before = cut.previous()
    assert (before.first, before.last) == (month(before_first), month(before_last))
    with translation.override("en"):
        assert cut.label == cut.span
        assert cut.comparison == f"{cut.span} compared with {before.span}"


def test_a_running_own_range_is_cut_and_set_against_the_same_months_before():
    today = date(2026, 3, 15)
    running = period_of("custom", month("2026-05"), today, start=month("2025-12"))
    assert running.until == today
    cut = comparable(running)
    assert (cut.first, cut.last, cut.length) == (month("2025-12"), month("2026-02"), 6)
    assert not cut.is_whole and cut.is_compared
    before = cut.previous()
    # The range before is the six months before it; its first three are compared.
    assert (before.first, before.last) == (month("2025-06"), month("2025-08"))


def test_a_period_with_no_month_over_stays_up_to_today():
    today = date(2026, 5, 20)
    for running in (
        period_of("tertial", today, today),
        period_of("custom", month("2026-08"), today, start=month("2026-05")),
    ):
        assert comparable(running) == running
        assert not running.is_compared and running.comparison == ""
    with translation.override("en"):
        assert period_of("tertial", today, today).label == "Tertial 2 2026 up to 20 may"


def test_rolling_running_is_moved_back():
    today = date(2026, 3, 15)
    cut = comparable(period_of("rolling", today, today))
    assert cut == period_of("rolling", month("2026-02"))
    assert cut.is_whole


def test_a_period_over_is_left_as_it_is():
    period = period_of("custom", month("2025-05"), date(2026, 3, 15), start=month("2025-01"))
    assert period.until is None
    assert comparable(period) is period
    assert comparable(period_of("year", month("2024-01"))).is_calendar_year


def test_labels():
    with translation.override("en"):
        assert period_of("month", month("2026-03")).label == "2026-03"
        assert period_of("quarter", month("2026-05")).label == "Q2 2026"
        assert period_of("year", month("2026-05")).label == "2026"
        assert period_of("rolling", month("2026-03")).label == "2025-04 – 2026-03"
        own = period_of("custom", month("2026-05"), start=month("2026-01"))
        assert own.label == own.span == "1 jan–31 may 2026"
        across = period_of("custom", month("2026-02"), start=month("2025-11"))
        assert across.label == "1 nov 2025–28 feb 2026"
        running = period_of("custom", month("2026-05"), date(2026, 3, 15), start=month("2026-01"))
        assert running.label == "1 jan–31 may 2026 up to 15 mar"
        assert running.span == "1 jan–15 mar 2026"


def test_default_is_the_rolling_twelve_months():
    today = date(2026, 3, 15)
    assert periods.default(today) == period_of("rolling", today)


def test_a_period_made_by_hand_knows_its_length():
    assert Period("custom", month("2026-01"), month("2026-03")).length == 3
    assert Period("half", month("2026-01"), month("2026-03")).length == 6


def errors(data: dict[str, str]) -> dict[str, list[str]]:
    with translation.override("en"):
        form = FilterForm(data)
        form.is_valid()
        return {
            name: [str(message) for message in messages] for name, messages in form.errors.items()
        }


def test_filter_takes_an_own_range():
    form = FilterForm({"period": "custom", "start": "2025-11", "month": "2026-02"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start"] == month("2025-11")
    assert FilterForm({"period": "custom", "start": "2017-01", "month": "2026-12"}).is_valid()


def test_filter_takes_every_kind():
    for kind in periods.KINDS:
        if kind != "custom":
            assert FilterForm({"period": kind, "month": "2026-02"}).is_valid(), kind


def test_filter_own_range_needs_its_first_month():
    assert errors({"period": "custom", "month": "2026-02"}) == {
        "start": ["Choose the first month of the range."]
    }


def test_filter_own_range_first_month_not_after_the_last():
    assert errors({"period": "custom", "start": "2026-03", "month": "2026-02"}) == {
        "start": ["The first month must not be after the last."]
    }


def test_filter_own_range_at_most_ten_years():
    assert errors({"period": "custom", "start": "2016-12", "month": "2026-12"}) == {
        "start": ["Choose at most ten years."]
    }


def test_filter_start_keeps_the_month_bounds():
    assert "start" in errors({"period": "custom", "start": "1999-12", "month": "2026-02"})
    assert "start" in errors({"period": "custom", "start": "2026-13", "month": "2026-02"})


def test_filter_start_is_ignored_for_other_kinds():
    assert errors({"period": "year", "start": "2026-03", "month": "2026-02"}) == {}
