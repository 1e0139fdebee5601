import copy
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from varna.core import forms as base
from varna.orgs.models import User
from varna.reporting import services
from varna.reporting.access import colleagues_of, reporting_units
from varna.reporting.models import DESCRIPTION_MAX, Report
from varna.reporting.taxonomy import (
    ACCIDENT_CONSEQUENCES,
    NEVER_RISK_ONLY_FORMS,
    SUBFORM_CHOICES,
    ActorRelation,
    Answer,
    Consequence,
    Form,
    KiaType,
    Place,
    Purpose,
    Situation,
    Target,
    TimeOfDay,
)

OLDEST_EVENT = timedelta(days=365 * 10)
BLANK = [("", _("Not answered"))]


def _radio(choices: Any, label: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, required=False, widget=forms.RadioSelect, **kwargs
    )


def _checkboxes(choices: Any, label: Any, **kwargs: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, **kwargs
    )


def keep_chosen_forms(cleaned: dict[str, Any]) -> None:
    """The further forms without the main one, and only the kinds of the forms chosen: ticks
    left in the groups of forms that were not chosen in the end do not count."""
    main = cleaned.get("main_form")
    if main:
        cleaned["other_forms"] = [f for f in cleaned.get("other_forms", []) if f != main]
        chosen = {main, *cleaned["other_forms"]}
        cleaned["subforms"] = [
            code for code in cleaned.get("subforms", []) if code.split(".")[0] in chosen
        ]


class ReportForm(base.Form):
    """The report form. Only the form of event, the date, the unit and the description are
    required; everything else can be completed later by the reporter or the handler."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    affected = forms.ModelChoiceField(
        label=_("Who did it happen to?"),
        queryset=None,
        required=False,
        empty_label=_("Me"),
        error_messages={
            "invalid_choice": _("You cannot report on behalf of that person. Choose from the list.")
        },
    )
    main_form = forms.ChoiceField(
        label=_("What happened?"),
        choices=Form.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened.")},
    )
    subforms = _checkboxes(SUBFORM_CHOICES, _("What kind? (optional)"))
    other_forms = _checkboxes(Form.choices, _("Did something else happen as well?"))
    occurred_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date it happened."),
            "invalid": _("Enter the date as year-month-day, for example 2026-03-14."),
        },
    )
    time_of_day = _radio(TimeOfDay.choices, _("Approximate time"))
    unit = forms.ModelChoiceField(
        label=_("Unit where it happened"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Choose the unit where it happened."),
            "invalid_choice": _("You cannot report to that unit. Choose one from the list."),
        },
    )
    place = _radio(Place.choices, _("Where did it happen?"))
    situation = forms.ChoiceField(
        label=_("Which part of your work did it concern?"),
        choices=BLANK + list(Situation.choices),
        required=False,
    )
    decision_delivered = _radio(Answer.choices, _("Was a decision being delivered at the time?"))
    actor_relation = forms.ChoiceField(
        label=_("Who did it?"), choices=BLANK + list(ActorRelation.choices), required=False
    )
    actor_count = forms.IntegerField(
        label=_("How many were they?"),
        required=False,
        min_value=1,
        max_value=500,
        error_messages={
            "min_value": _("Enter at least 1, or leave the field empty."),
            "max_value": _("Enter at most 500, or leave the field empty."),
            "invalid": _("Enter a whole number, for example 1."),
        },
    )
    actor_known = _radio(Answer.choices, _("Is the person known from earlier events?"))
    consequences = _checkboxes(Consequence.choices, _("What were the consequences?"))
    targets = _checkboxes(Target.choices, _("Who or what was it aimed at?"))
    purpose_to_influence = _radio(
        Answer.choices, _("Do you believe the purpose was to influence your work or a decision?")
    )
    purposes = _checkboxes(
        Purpose.choices,
        _("What do you think they wanted? (optional)"),
        help_text=_("Choose all that fit."),
    )
    felt_pressed = _radio(Answer.choices, _("Did you feel pressed to change a decision?"))
    decision_changed = _radio(Answer.choices, _("Was any decision in fact changed?"))
    wants_police_report = forms.BooleanField(
        label=_("I want the employer to report it to the police"), required=False
    )
    wants_manager_talk = forms.BooleanField(label=_("A talk with my manager"), required=False)
    wants_occupational_health = forms.BooleanField(
        label=_("Support from occupational health"), required=False
    )
    workplace_address_only = forms.BooleanField(
        label=_("Contact me through my workplace address only"), required=False
    )
    route_to_security = forms.BooleanField(
        label=_("Send this corruption report to the security coordinator instead of my manager"),
        help_text=_("Choose this if your manager may be involved."),
        required=False,
    )
    description = forms.CharField(
        label=_("Describe what happened"),
        help_text=_(
            "What was said or done, by whom (role, not name), and what you did. "
            "Do not write home addresses, identity numbers or details of a client's case; "
            "refer to a case by its number."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": DESCRIPTION_MAX}),
        max_length=DESCRIPTION_MAX,
        error_messages={
            "required": _("Describe briefly what happened."),
            "max_length": _(
                "The description can be at most %(limit_value)d characters; it is now "
                "%(show_value)d. Shorten it, or attach the rest later."
            ),
        },
    )
    kia_type = forms.ChoiceField(
        label=_("Type of event in the work-environment record"),
        choices=[("", _("Set by rule")), *KiaType.choices],
        required=False,
        help_text=_(
            "Left as it is, an injury makes it an accident (olycksfall); an improper offer "
            "alone, or harassment that did no harm, a risk observation; anything else a near "
            "miss (tillbud)."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = reporting_units(user).order_by("path")
        # A queryset, not a list: a submit checks the one person chosen, and only showing the
        # form lists everyone.
        self.fields["affected"].queryset = colleagues_of(user)
        today = date.today()
        base.bound_dates(self.fields["occurred_on"], earliest=today - OLDEST_EVENT, latest=today)

    def clean_occurred_on(self) -> date:
        day: date = self.cleaned_data["occurred_on"]
        today = date.today()
        if day > today:
            raise forms.ValidationError(
                _("The date cannot be in the future. Enter the day it happened.")
            )
        if day < today - OLDEST_EVENT:
            raise forms.ValidationError(
                _("Events more than ten years old cannot be reported here.")
            )
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        main = cleaned.get("main_form")
        keep_chosen_forms(cleaned)
        self._check_kia_type(cleaned)
        routed = main == Form.CORRUPTION and cleaned.get("route_to_security")
        if (
            routed
            and cleaned.get("unit")
            and not services.security_coordinators_for(cleaned["unit"])
        ):
            self.add_error(
                "route_to_security",
                _(
                    "There is no security coordinator for this unit, so the report would "
                    "reach nobody. Untick this to send it to your manager, or use the "
                    "whistleblowing channel."
                ),
            )
        _check_consequences(self, cleaned)
        _check_purposes(self, cleaned)
        return cleaned

    def _check_kia_type(self, cleaned: dict[str, Any]) -> None:
        """Threats and violence are always at least a tillbud; an injury makes an olycksfall."""
        chosen = cleaned.get("kia_type")
        if not chosen:
            return
        injured = bool(ACCIDENT_CONSEQUENCES & set(cleaned.get("consequences") or []))
        if injured and chosen != KiaType.ACCIDENT:
            self.add_error(
                "kia_type",
                _(
                    "Someone was injured, so this is an accident (olycksfall). Choose that, or "
                    "leave it to be set by rule."
                ),
            )
        elif chosen == KiaType.RISK and _threat_or_violence(cleaned):
            self.add_error(
                "kia_type",
                _(
                    "A threat or violence is at least a near miss (tillbud), never only a risk "
                    "observation."
                ),
            )

    def report_data(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for submit_report."""
        data = dict(self.cleaned_data)
        data.pop("idempotency_key")
        return data


def _threat_or_violence(cleaned: dict[str, Any]) -> bool:
    """Whether the main form or a further one is a threat or violence (after keep_chosen_forms)."""
    chosen = {cleaned.get("main_form"), *(cleaned.get("other_forms") or [])}
    return bool(NEVER_RISK_ONLY_FORMS & chosen)


def _check_consequences(form: forms.Form, cleaned: dict[str, Any]) -> None:
    consequences = cleaned.get("consequences") or []
    if "none" in consequences and len(consequences) > 1:
        form.add_error("consequences", _("“None” cannot be chosen together with a consequence."))


def _check_purposes(form: forms.Form, cleaned: dict[str, Any]) -> None:
    purposes = cleaned.get("purposes") or []
    if Purpose.UNKNOWN in purposes and len(purposes) > 1:
        form.add_error(
            "purposes",
            _("“%(unknown)s” cannot be chosen together with a purpose.")
            % {"unknown": Purpose.UNKNOWN.label},
        )


class CompletionForm(base.Form):
    """Complete or correct the optional parts of a sent report, and add to its description.

    The fields are the report form's own; the actor part only for those who may see it."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, report: Report, sees_actor: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        for name in services.COMPLETABLE_FIELDS:
            if name in services.ACTOR_FIELDS and not sees_actor:
                continue
            self.fields[name] = copy.deepcopy(ReportForm.base_fields[name])
            self.initial.setdefault(name, getattr(report, name))
        self.fields["addition"] = forms.CharField(
            label=_("Add to the description (optional)"),
            help_text=_(
                "Added below the description with today's date and your name; the text "
                "already sent is kept as it is. Do not write home addresses or identity numbers."
            ),
            required=False,
            max_length=services.ADDITION_MAX,
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.ADDITION_MAX}),
        )
        self.initial.setdefault("version", report.version)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_consequences(self, cleaned)
        _check_purposes(self, cleaned)
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The answers as the report stores them (an empty choice as "", no count as None)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in services.COMPLETABLE_FIELDS
        }


class ReclassifyForm(base.Form):
    """The handler's reclassification: the form, sub-forms, KIA type and the serious flag."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    main_form = copy.deepcopy(ReportForm.base_fields["main_form"])
    other_forms = copy.deepcopy(ReportForm.base_fields["other_forms"])
    subforms = copy.deepcopy(ReportForm.base_fields["subforms"])
    kia_type = forms.ChoiceField(
        label=_("Type of event in the work-environment record"), choices=KiaType.choices
    )
    serious = forms.BooleanField(
        label=_("Possibly serious: Arbetsmiljöverket must be told the same day"), required=False
    )
    reason = forms.CharField(
        label=_("Why the event is reclassified"),
        help_text=_("Kept in the report's history, which the employee can read."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write why the event is reclassified.")},
    )

    def __init__(self, *args: Any, report: Report, serious: bool, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "version": report.version,
                "main_form": report.main_form,
                "other_forms": report.other_forms,
                "subforms": report.subforms,
                "kia_type": report.kia_type,
                "serious": serious,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["main_form"].label = _("Form of unlawful influence")
        self.fields["subforms"].label = _("Kinds")
        self.fields["other_forms"].label = _("Further forms")
        self.report = report

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        keep_chosen_forms(cleaned)
        kia_type = cleaned.get("kia_type")
        injured = bool(ACCIDENT_CONSEQUENCES & set(self.report.consequences))
        if kia_type and injured and kia_type != KiaType.ACCIDENT:
            self.add_error(
                "kia_type",
                _(
                    "The report says someone was injured, so this is an accident (olycksfall). "
                    "If that is wrong, correct the consequences first."
                ),
            )
        elif kia_type == KiaType.RISK and _threat_or_violence(cleaned):
            self.add_error(
                "kia_type",
                _(
                    "A threat or violence is at least a near miss (tillbud), never only a risk "
                    "observation."
                ),
            )
        return cleaned

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in services.CLASSIFICATION_FIELDS}
