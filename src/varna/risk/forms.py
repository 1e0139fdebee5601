"""Forms for risk assessments: each checked before a service runs, so a refusal shows next to
its field with everything typed still in place."""

from typing import Any

from dateutil.relativedelta import relativedelta
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.cases.forms import DATE, PersonChoiceField
from varna.core import forms as base
from varna.orgs import tree
from varna.orgs.models import Role, Unit, User
from varna.risk.models import (
    AHEAD_MONTHS,
    AHEAD_YEARS,
    EARLIEST,
    FOLLOW_UP_YEARS,
    Assessment,
    Consequence,
    Likelihood,
    Participant,
    PlanMeasure,
    Risk,
    RiskSituation,
)

SCALE_MESSAGE = _("Choose a value from 1 to 4.")


def people_of(unit: Unit) -> QuerySet[User]:
    """Who can take part in the unit's assessment or own a measure: its staff (the whole
    subtree) and the managers and safety representatives whose grants cover it."""
    today = timezone.localdate()
    staff = Q(
        employments__unit__path__gte=unit.path,
        employments__unit__path__lt=tree.successor(unit.path),
    ) & (Q(employments__end_date__isnull=True) | Q(employments__end_date__gte=today))
    above = Q(
        role_grants__unit__path__in=tree.ancestor_paths(unit.path),
        role_grants__role__in=[Role.MANAGER, Role.SAFETY_REP],
    )
    return (
        User.objects.filter(staff | above, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def capacity_of(user: User, unit: Unit) -> str:
    """The capacity in which someone takes part: their role over the unit, else employee."""
    roles = set(
        user.role_grants.filter(unit__path__in=tree.ancestor_paths(unit.path)).values_list(
            "role", flat=True
        )
    )
    if Role.MANAGER in roles:
        return Participant.Capacity.MANAGER
    if Role.SAFETY_REP in roles:
        return Participant.Capacity.SAFETY_REP
    return Participant.Capacity.EMPLOYEE


class PeopleField(forms.ModelMultipleChoiceField[User]):
    """People ticked in a list. A value that is no one in the list, or cannot be an id at all
    (the base form refuses those before the database is asked), gets one plain message."""

    default_error_messages = {
        "invalid_choice": _("Choose people from the list."),
        "invalid_pk_value": _("Choose people from the list."),
    }

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class AssessmentForm(base.ModelForm[Assessment]):
    participants = PeopleField(
        label=_("Who took part"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The manager, the safety representative and employees of the unit."),
    )
    next_due_on = forms.DateField(
        label=_("Next assessment due"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty for one year after this assessment."),
    )

    class Meta:
        model = Assessment
        fields = [
            "assessed_on",
            "occasion",
            "participants",
            "other_participants",
            "next_due_on",
            "conclusion",
        ]
        widgets = {
            "assessed_on": DATE,
            "occasion": forms.RadioSelect,
            "conclusion": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, unit: Unit, by: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.fields["participants"].queryset = people_of(unit).exclude(pk=by.pk)  # type: ignore[attr-defined]
        today = timezone.localdate()
        self.fields["assessed_on"].initial = today
        base.bound_dates(
            self.fields["assessed_on"],
            earliest=EARLIEST,
            latest=today + relativedelta(months=AHEAD_MONTHS),
        )
        if self.instance.pk:
            self.initial["participants"] = [
                participant.user_id for participant in self.instance.participants.all()
            ]

    def participant_list(self, by: User) -> list[tuple[User, str]]:
        people = [by, *self.cleaned_data["participants"]]
        return [(person, capacity_of(person, self.unit)) for person in people]


class ScaleField(forms.TypedChoiceField):
    def __init__(self, *, label: Any, choices: Any) -> None:
        super().__init__(
            label=label,
            choices=choices,
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": SCALE_MESSAGE, "required": SCALE_MESSAGE},
        )


class RiskForm(base.ModelForm[Risk]):
    item = forms.IntegerField(widget=forms.HiddenInput, required=False)
    likelihood = ScaleField(label=_("Likelihood (1–4)"), choices=Likelihood.choices)
    consequence = ScaleField(label=_("Consequence (1–4)"), choices=Consequence.choices)

    class Meta:
        model = Risk
        fields = ["item", "situation", "description", "likelihood", "consequence", "protections"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "protections": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["situation"].choices = [("", "–"), *RiskSituation.choices]
        self.fields["situation"].error_messages["required"] = _("Choose a situation from the list.")


class MeasureForm(base.ModelForm[PlanMeasure]):
    owner = PersonChoiceField(label=_("Who is responsible"), queryset=User.objects.none())
    risk = forms.ModelChoiceField(
        label=_("For the risk"),
        queryset=Risk.objects.none(),
        required=False,
        empty_label=_("The unit in general"),
    )

    class Meta:
        model = PlanMeasure
        fields = ["what", "risk", "owner", "due_on", "follow_up_on"]
        widgets = {
            "what": forms.Textarea(attrs={"rows": 2}),
            "due_on": DATE,
            "follow_up_on": DATE,
        }

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people_of(assessment.unit)  # type: ignore[attr-defined]
        self.fields["owner"].error_messages["required"] = _(
            "Choose who is responsible for the measure."
        )
        self.fields["risk"].queryset = assessment.risks.all()  # type: ignore[attr-defined]
        self.fields["risk"].label_from_instance = lambda risk: risk.title  # type: ignore[attr-defined]
        self.fields["what"].error_messages["required"] = _("Say what is to be done.")
        self.fields["due_on"].error_messages["required"] = _(
            "Give the date by which it is to be done."
        )
        latest = timezone.localdate() + relativedelta(years=AHEAD_YEARS)
        base.bound_dates(self.fields["due_on"], earliest=assessment.assessed_on, latest=latest)
        base.bound_dates(
            self.fields["follow_up_on"],
            earliest=assessment.assessed_on,
            latest=latest + relativedelta(years=FOLLOW_UP_YEARS),
        )


class MeasureUpdateForm(base.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=PlanMeasure.Status.choices)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE)
    follow_up = forms.CharField(
        label=_("Follow-up: did it work?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Not in the future; the service names the assessment's date as the earliest.
        base.bound_dates(self.fields["done_on"], earliest=EARLIEST, latest=timezone.localdate())


class ApproveForm(base.Form):
    """Approving: when no safety representative is among those who took part, the manager
    says why none could (the service refuses approval without either)."""

    no_safety_rep_reason = forms.CharField(
        label=_("Why no safety representative took part"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "No safety representative is among those who took part. The assessment is made "
            "together with the safety representative; if none could take part, say why, for "
            "example that the unit has no safety representative."
        ),
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if assessment.has_safety_rep:
            del self.fields["no_safety_rep_reason"]


class RespondForm(base.Form):
    response = forms.ChoiceField(
        label=_("Your response as safety representative"),
        choices=Assessment.Response.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you agree.")},
    )
    note = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed if you disagree: say what you disagree with."),
    )
