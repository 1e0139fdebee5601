from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from varna.core import forms as base
from varna.reporting.taxonomy import Form, Situation
from varna.stats import periods


class MonthField(forms.Field):
    """A month written YYYY-MM (what <input type="month"> sends), within sensible years."""

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            if len(text) > 7:
                raise ValueError
            year, month = (int(part) for part in text.split("-")[:2])
            parsed = date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-03.")) from None
        if not periods.FIRST_YEAR <= parsed.year <= date.today().year + 1:
            raise forms.ValidationError(
                _("Choose a month between %(first)s and next year.") % {"first": periods.FIRST_YEAR}
            )
        return parsed


class FilterForm(base.Form):
    """The dashboard's filter, read from the URL so that a view can be shared."""

    unit = forms.CharField(
        label=_("Unit code"),
        required=False,
        max_length=40,
        help_text=_("The unit and everything below it. Empty: everything you follow up."),
    )
    period = forms.ChoiceField(label=_("Period"), required=False, choices=[])
    start = MonthField(
        label=_("From the month"),
        required=False,
        help_text=_("For an own range of months: its first month (YYYY-MM)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2026-01"}),
    )
    month = MonthField(
        label=_("Ending with the month"),
        required=False,
        help_text=_(
            "YYYY-MM; for a quarter, tertial, half year or year, any month in it; for an own "
            "range, its last month."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2026-03"}),
    )
    form = forms.MultipleChoiceField(
        label=_("Forms"),
        required=False,
        choices=Form.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    context = forms.MultipleChoiceField(
        label=_("Authority exercise"),
        required=False,
        choices=[*Situation.choices, ("none", _("Not stated"))],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = list(periods.KINDS.items())  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """An own range needs its first month, not after its last (this month where none is
        given, as the dashboard reads it) and at most periods.MAX_MONTHS months long. The
        errors are on the first month, the field that makes the range wrong."""
        cleaned = super().clean() or {}
        if cleaned.get("period") != "custom" or "start" in self.errors:
            return cleaned
        start = cleaned.get("start")
        last = cleaned.get("month") or date.today().replace(day=1)
        if start is None:
            self.add_error("start", _("Choose the first month of the range."))
        elif "month" in self.errors:
            pass  # a last month not understood has its own error; the range cannot be checked
        elif start > last:
            self.add_error("start", _("The first month must not be after the last."))
        elif periods.months_between(start, last) > periods.MAX_MONTHS:
            self.add_error("start", _("Choose at most ten years."))
        return cleaned
