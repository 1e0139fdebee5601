"""Forms for the audits. Each is checked before a service runs, and the service's refusals
come back next to their fields, so nothing typed is lost."""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from varna.audits import selectors
from varna.audits.models import Audit, Measure, MeasureNote, Recommendation
from varna.audits.services import DUE_IN_PAST
from varna.cases.forms import DATE, PersonChoiceField
from varna.core import forms as base
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit

TEXT = forms.Textarea(attrs={"rows": 4})


class UnitChoiceField(forms.ModelChoiceField[Unit]):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


class AuditForm(base.ModelForm[Audit]):
    dates_up_to_today = ("reported_on",)

    class Meta:
        model = Audit
        fields = ["unit", "title", "reported_on", "auditors", "summary", "report_url"]
        field_classes = {"unit": UnitChoiceField}
        widgets = {"reported_on": DATE, "summary": TEXT}
        help_texts = {
            "unit": _("The committee or the part of the organisation the audit concerns."),
            "report_url": _("Starting with https://."),
        }

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.manageable_units(user)  # type: ignore[attr-defined]


class RecommendationForm(base.ModelForm[Recommendation]):
    class Meta:
        model = Recommendation
        fields = ["text"]
        widgets = {"text": TEXT}


class AnswerForm(base.ModelForm[Recommendation]):
    """The committee's answer as it decided it."""

    dates_up_to_today = ("answered_on",)

    class Meta:
        model = Recommendation
        fields = ["answer", "answered_on", "decision"]
        widgets = {"answer": TEXT, "answered_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank in the table until it is answered; required when it is.
        self.fields["answer"].required = True
        self.fields["answered_on"].required = True


class MeasureForm(base.ModelForm[Measure]):
    dates_from_today = ("due_on",)

    class Meta:
        model = Measure
        fields = ["text", "responsible", "due_on"]
        field_classes = {"responsible": PersonChoiceField}
        widgets = {"text": TEXT, "due_on": DATE}

    def __init__(self, *args: Any, audit: Audit, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["responsible"].queryset = selectors.employed_in_municipality(  # type: ignore[attr-defined]
            audit, today
        )

    def clean_due_on(self) -> date:
        # Before the bounds of the base form, so the message says why.
        due_on: date = self.cleaned_data["due_on"]
        if due_on < self.today:
            raise forms.ValidationError(DUE_IN_PAST, code="due_in_past")
        return due_on


class NoteForm(base.ModelForm[MeasureNote]):
    """A dated note on a measure: what was done, the evidence, the status after it."""

    class Meta:
        model = MeasureNote
        fields = ["text", "link", "status"]
        widgets = {"text": TEXT, "status": forms.RadioSelect}
        help_texts = {
            "text": _("What was done, or why it is not done yet."),
            "link": _("Starting with https://."),
        }

    def __init__(self, *args: Any, measure: Measure, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"status": measure.status})
        super().__init__(*args, **kwargs)
