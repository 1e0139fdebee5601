"""The year plan's forms: the overview's filter and the activity page's two steps."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from varna.core import forms as base
from varna.risk.models import Assessment
from varna.yearplan.models import Activity

TEXT = {"rows": 4}
FIRST_YEAR, YEARS_AHEAD = 2000, 5


class FilterForm(base.Form):
    """The overview's choice of unit and year, read from the address (`?enhet=&ar=`)."""

    enhet = forms.CharField(
        label=_("Unit code"),
        required=False,
        max_length=40,
        help_text=_("Leave empty for your whole part of the organisation."),
    )
    ar = forms.IntegerField(label=_("Year"), required=False)

    def __init__(self, *args: Any, this_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.this_year = this_year
        self.fields["ar"].widget.attrs.update(
            {"min": FIRST_YEAR, "max": this_year + YEARS_AHEAD, "inputmode": "numeric"}
        )

    def clean_ar(self) -> int | None:
        year = self.cleaned_data["ar"]
        if year is not None and not FIRST_YEAR <= year <= self.this_year + YEARS_AHEAD:
            raise forms.ValidationError(
                _("Choose a year from %(first)s to %(last)s."),
                params={"first": FIRST_YEAR, "last": self.this_year + YEARS_AHEAD},
            )
        return year


class AssessmentChoiceField(forms.ModelChoiceField[Assessment]):
    def label_from_instance(self, obj: Assessment) -> str:
        return str(
            _("Risk assessment of %(day)s (%(occasion)s)")
            % {"day": obj.assessed_on.isoformat(), "occasion": obj.get_occasion_display()}
        )


class CompleteForm(base.Form):
    """Marking an activity done: at least one kind of evidence (the service checks which)."""

    assessment = AssessmentChoiceField(
        label=_("The unit's approved risk assessment"),
        queryset=Assessment.objects.none(),
        required=False,
        empty_label=_("(none)"),
    )
    link = forms.CharField(
        label=_("Link to the minutes"),
        required=False,
        max_length=500,
        help_text=_(
            "For example the minutes of the workplace meeting or of the cooperation group, "
            "starting with https://."
        ),
        widget=forms.URLInput(),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        help_text=_("What was done, when and with whom, if there is no assessment or minutes."),
        widget=forms.Textarea(attrs=TEXT),
    )

    def __init__(self, *args: Any, activity: Activity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessment"].queryset = Assessment.objects.filter(  # type: ignore[attr-defined]
            unit=activity.unit_id, status=Assessment.Status.APPROVED
        ).order_by("-assessed_on", "-pk")


class ReopenForm(base.Form):
    reason = forms.CharField(
        label=_("Why it is reopened"),
        max_length=2000,
        help_text=_("For example: the minutes did not cover the review."),
        widget=forms.Textarea(attrs=TEXT),
    )
