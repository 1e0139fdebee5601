"""The training forms: a manager's registration of completed courses."""

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.core import forms as base
from varna.orgs.models import User
from varna.training.models import Course

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseField(forms.ModelChoiceField[Course]):
    def label_from_instance(self, obj: Course) -> str:
        return obj.name


class StaffField(forms.ModelMultipleChoiceField[User]):
    """The unit's staff as check boxes, each named with where they work so that two people
    of the same name can be told apart."""

    default_error_messages = {
        "invalid_choice": _("Choose people from the list."),
        "invalid_pk_value": _("Choose people from the list."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workplaces: dict[int, str] = {}

    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.get_username()
        where = self.workplaces.get(obj.pk)
        return f"{name} ({where})" if where else name


class RegisterForm(base.Form):
    """Who completed which course on which day. The service checks each person again."""

    course = CourseField(label=_("Course"), queryset=Course.objects.none())
    completed_on = forms.DateField(label=_("Completed on"), widget=DATE)
    people = StaffField(
        label=_("Who completed it"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick everyone who took part. Someone already registered for the same "
            "course and day is not registered twice."
        ),
    )

    dates_up_to_today = ("completed_on",)

    def __init__(
        self,
        *args: Any,
        courses: QuerySet[Course],
        staff: QuerySet[User],
        workplaces: dict[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        people = self.fields["people"]
        people.queryset = staff  # type: ignore[attr-defined]
        people.workplaces = workplaces  # type: ignore[attr-defined]

    def clean_completed_on(self) -> date:
        day: date = self.cleaned_data["completed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("A course cannot be completed in the future."), code="future"
            )
        return day
