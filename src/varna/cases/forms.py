"""The forms of the case page: one small form per step or part, each checked before a service
runs, so a refusal shows next to the field with everything typed still in place."""

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from varna.cases import rules
from varna.cases.models import (
    ActorDetails,
    Case,
    Cause,
    Measure,
    PoliceDecision,
    PoliceOutcome,
    Risk,
    SafetyRequest,
    Support,
)
from varna.core import forms as base
from varna.orgs import access, tree
from varna.orgs.access import Action
from varna.orgs.models import Role, Unit, User
from varna.reporting.taxonomy import Answer, Form

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 4}


class PersonChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


def _today() -> date:
    return timezone.localdate()


class NoteForm(base.Form):
    """A step that takes an optional note (contacting the employee)."""

    note = forms.CharField(
        label=_("How and when you contacted the employee (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=TEXT),
    )


class RequiredTextForm(base.Form):
    text = forms.CharField(max_length=5000, widget=forms.Textarea(attrs=TEXT))

    def __init__(self, *args: Any, label: str, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].help_text = help_text


class OptionalTextForm(RequiredTextForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False


class InvestigationForm(base.ModelForm[Case]):
    causes = forms.MultipleChoiceField(
        label=_("Why it could happen"),
        choices=Cause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    recurrence_risk = forms.ChoiceField(
        label=_("Risk that it happens again"),
        choices=Risk.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    decision_influenced = forms.ChoiceField(
        label=_("Was any decision influenced?"),
        choices=Answer.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Case
        fields = [
            "what_happened",
            "causes",
            "causes_other",
            "recurrence_risk",
            "decision_influenced",
        ]
        widgets = {"what_happened": forms.Textarea(attrs=TEXT)}
        help_texts = {
            "what_happened": _(
                "The course of events as the investigation found it. Do not write the actor's "
                "name here: that belongs in the part about the actor."
            ),
        }


def measure_owners(case: Case) -> QuerySet[User]:
    """Who can own a measure: the managers and security coordinators whose grants cover the
    unit, who can open the case to mark it done (never the person it happened to)."""
    return (
        User.objects.filter(
            role_grants__unit__path__in=tree.ancestor_paths(case.unit.path),
            role_grants__role__in=[Role.MANAGER, Role.SECURITY],
            is_active=True,
        )
        .exclude(pk=case.report.affected_id)
        .distinct()
        .order_by("first_name", "last_name")
    )


class MeasureForm(base.ModelForm[Measure]):
    dates_from_today = ("due_on",)
    owner = PersonChoiceField(label=_("Responsible"), queryset=User.objects.none())

    class Meta:
        model = Measure
        fields = ["scope", "kind", "what", "owner", "due_on"]
        widgets = {
            "scope": forms.RadioSelect,
            "what": forms.Textarea(attrs={"rows": 3}),
            "due_on": DATE,
        }

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = measure_owners(case)  # type: ignore[attr-defined]
        self.fields["owner"].error_messages["required"] = _(
            "Choose who is responsible for the measure."
        )

    def clean_due_on(self) -> date:
        due_on: date = self.cleaned_data["due_on"]
        if due_on < _today():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due_on


class MeasureUpdateForm(base.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=Measure.Status.choices)
    due_on = forms.DateField(label=_("Due date"), widget=DATE)
    follow_up = forms.CharField(
        label=_("Follow-up: did it work?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecideForm(base.Form):
    no_measures_reason = forms.CharField(
        label=_("If no measures are needed: why"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PoliceForm(base.ModelForm[Case]):
    dates_up_to_today = ("police_filed_on",)
    police_decision = forms.ChoiceField(
        label=_("Decision"), choices=PoliceDecision.choices, widget=forms.RadioSelect
    )
    police_outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *PoliceOutcome.choices], required=False
    )

    class Meta:
        model = Case
        fields = [
            "police_decision",
            "police_no_report_reason",
            "police_filed_on",
            "police_reference",
            "police_outcome",
        ]
        widgets = {
            "police_no_report_reason": forms.Textarea(attrs={"rows": 2}),
            "police_filed_on": DATE,
        }


class SeriousForm(base.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Why the event may be serious"),
        choices=rules.Serious.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class NoticeForm(base.Form):
    dates_up_to_today = ("sent_at",)
    sent_at = forms.DateTimeField(
        label=_("Sent"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reference = forms.CharField(
        label=_("Arbetsmiljöverket's reference"), required=False, max_length=40
    )


class InsuranceForm(base.ModelForm[Case]):
    dates_up_to_today = ("injury_report_on", "afa_informed_on")

    class Meta:
        model = Case
        fields = ["injury_report_on", "no_injury_report_reason", "afa_informed_on"]
        widgets = {
            "injury_report_on": DATE,
            "afa_informed_on": DATE,
            "no_injury_report_reason": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"injury_report_on": _("Work-injury report made on")}
        help_texts = {
            "no_injury_report_reason": _(
                "Only if no report is needed, for example because nobody was injured after all."
            )
        }


class SupportOfferForm(base.ModelForm[Support]):
    dates_up_to_today = ("offered_on",)

    class Meta:
        model = Support
        fields = ["kind", "offered_on", "note"]
        widgets = {"offered_on": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def clean_offered_on(self) -> date:
        offered_on: date = self.cleaned_data["offered_on"]
        if offered_on > _today():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return offered_on


class SupportUpdateForm(base.Form):
    dates_up_to_today = ("given_on", "followed_up_on")
    item = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=Support.Status.choices)
    given_on = forms.DateField(label=_("Given on"), required=False, widget=DATE)
    followed_up_on = forms.DateField(label=_("Follow-up contact made"), required=False, widget=DATE)


class ActorForm(base.ModelForm[ActorDetails]):
    class Meta:
        model = ActorDetails
        fields = ["name", "client_reference", "description", "threat_wording", "earlier_events"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "threat_wording": forms.Textarea(attrs={"rows": 3}),
        }


class PersonForm(base.Form):
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())

    def __init__(self, *args: Any, people: QuerySet[User], label: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people  # type: ignore[attr-defined]
        self.fields["user"].label = label


REQUEST_KIND_HELP = _(
    "Measures for a better work environment, or an investigation of a particular risk or "
    "problem (AML 6 kap. 6 a §)."
)
DEMAND_HELP = _(
    "The employer must confirm your request in writing at once and answer it without delay."
)
ANSWER_DUE_HELP = _(
    "If the answer is late or a refusal, you can ask Arbetsmiljöverket to step in; Värna "
    "prepares that request for you."
)


def _answer_due_initial() -> date:
    return rules.request_answer_due(timezone.now())


def _clean_answer_due_on(value: date) -> date:
    if value < _today():
        raise forms.ValidationError(_("The date cannot be in the past."))
    return value


class SafetyRequestForm(base.ModelForm[SafetyRequest]):
    dates_from_today = ("answer_due_on",)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    answer_due_on = forms.DateField(
        label=_("Answer wanted by"), widget=DATE, help_text=ANSWER_DUE_HELP
    )

    class Meta:
        model = SafetyRequest
        fields = ["unit", "kind", "demand", "answer_due_on"]
        widgets = {"kind": forms.RadioSelect, "demand": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"kind": REQUEST_KIND_HELP, "demand": DEMAND_HELP}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = access.units_for(  # type: ignore[attr-defined]
            user, Action.REQUEST_MEASURES
        ).active_on(_today())
        self.fields["answer_due_on"].initial = _answer_due_initial()

    def clean_answer_due_on(self) -> date:
        return _clean_answer_due_on(self.cleaned_data["answer_due_on"])


class CaseRequestForm(base.Form):
    dates_from_today = ("answer_due_on",)
    kind = forms.ChoiceField(
        label=_("What is requested"),
        choices=SafetyRequest.Kind.choices,
        initial=SafetyRequest.Kind.MEASURES,
        widget=forms.RadioSelect,
        help_text=REQUEST_KIND_HELP,
    )
    demand = forms.CharField(
        label=_("What is requested and why"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=DEMAND_HELP,
    )
    answer_due_on = forms.DateField(
        label=_("Answer wanted by"), widget=DATE, help_text=ANSWER_DUE_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer_due_on"].initial = _answer_due_initial()

    def clean_answer_due_on(self) -> date:
        return _clean_answer_due_on(self.cleaned_data["answer_due_on"])


class AuthorityForm(base.Form):
    """The safety representative records that they sent the request to Arbetsmiljöverket."""

    dates_up_to_today = ("sent_on",)
    sent_on = forms.DateField(label=_("Sent to Arbetsmiljöverket on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sent_on"].initial = _today()


class AnswerForm(base.ModelForm[SafetyRequest]):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=SafetyRequest.Decision.choices, widget=forms.RadioSelect
    )

    class Meta:
        model = SafetyRequest
        fields = ["decision", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = True


class InboxForm(base.Form):
    """The inbox's filters, read from the URL so a view can be shared; bad values fall back."""

    view = forms.ChoiceField(label=_("Show"), required=False, choices=[])
    form = forms.ChoiceField(label=_("Form"), required=False, choices=[])
    unit = forms.CharField(
        label=_("Unit code"),
        required=False,
        max_length=40,
        help_text=_("Narrows to the unit and everything below it."),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["view"].choices = [  # type: ignore[attr-defined]
            ("open", pgettext_lazy("cases", "All open")),
            ("new", pgettext_lazy("cases", "New")),
            ("overdue", pgettext_lazy("cases", "Overdue")),
            ("mine", pgettext_lazy("cases", "Waiting on me")),
            ("closed", pgettext_lazy("cases", "Closed")),
            ("all", pgettext_lazy("cases", "All")),
        ]
        self.fields["sort"].choices = [  # type: ignore[attr-defined]
            ("due", _("Deadline")),
            ("-opened", _("Newest first")),
            ("opened", _("Oldest first")),
            ("state", _("Status")),
        ]
        self.fields["form"].choices = [("", _("All forms")), *Form.choices]  # type: ignore[attr-defined]

    serious = forms.BooleanField(label=_("Only possibly serious events"), required=False)
    number = forms.CharField(label=_("Report number"), required=False, max_length=12)
