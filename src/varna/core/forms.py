"""What every form page does the same way.

Every form in Värna inherits `Form` or `ModelForm` from here. They hold the rules for what a
person types that are the same on every page, so a form follows them by being a form:

- Text must show something. Required text of only spaces or invisible characters (a zero-width
  space, a soft hyphen) is refused next to its field; optional text of them is kept as empty.
- A single checkbox counts only what a browser sends when it is ticked ("on"; "true" and "1"
  too); any other value is refused, never read as yes.
- A choice of rows (a person, a unit) refuses a key that is not a whole number a database key
  can be, with the field's own message, before the key reaches the database: far out of range
  it would otherwise be a server error in a multiple choice.
- A date lies between 2000-01-01 and the end of the year ten years ahead. A form names the
  dates that cannot lie ahead (`dates_up_to_today`) or behind (`dates_from_today`), or sets
  other bounds with `bound_dates` in its `__init__`. The date input's min and max are the same
  two bounds, and the message names them. A form's own checks of a date (`clean_<name>`) run
  first, so their more precise words win.
- A radio list has no blank choice: nothing is ticked until the person ticks something.

The rules work on the form's own copies of its fields, so a form needs only the base class;
a form that sets a date's bounds in its `__init__` does so after the defaults are set.
"""

from datetime import date, datetime
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.core.validators import has_visible_character, something_visible

EARLIEST_DATE = date(2000, 1, 1)
YEARS_AHEAD = 10
CHECKED = frozenset({"on", "true", "1"})
UNCHECKED = frozenset({"", "false"})
ANSWERED = CHECKED | UNCHECKED
KEY_MAX = 2**63 - 1  # the largest key a signed 64-bit column holds

_Model = TypeVar("_Model", bound=models.Model)


def bound_dates(
    field: forms.Field, *, earliest: date | None = None, latest: date | None = None
) -> None:
    """Let a date field take only the days from `earliest` to `latest` (by default 2000-01-01
    and the end of the year ten years ahead): the date input's min and max and the check on
    submit read the same two attributes."""
    if earliest is None:
        earliest = EARLIEST_DATE
    if latest is None:
        latest = date(timezone.localdate().year + YEARS_AHEAD, 12, 31)
    if isinstance(field, forms.DateTimeField):
        field.widget.attrs["min"] = f"{earliest.isoformat()}T00:00"
        field.widget.attrs["max"] = f"{latest.isoformat()}T23:59"
    else:
        field.widget.attrs["min"] = earliest.isoformat()
        field.widget.attrs["max"] = latest.isoformat()


def _check_bounds(field: forms.Field, value: date) -> None:
    day = value
    if isinstance(value, datetime):
        day = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    attrs = field.widget.attrs
    earliest = date.fromisoformat(str(attrs.get("min", EARLIEST_DATE.isoformat()))[:10])
    latest = date.fromisoformat(str(attrs.get("max", date.max.isoformat()))[:10])
    if not earliest <= day <= latest:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_out_of_bounds",
            params={"earliest": earliest.isoformat(), "latest": latest.isoformat()},
        )


def _refuse_impossible_keys(field: forms.ModelChoiceField[Any]) -> None:
    """Check every key of a choice of rows before Django looks it up. Django calls
    `validate_no_null_characters` on each key first, in the single and the multiple choice
    alike, so this check runs there too, after Django's own."""
    no_null_characters = field.validate_no_null_characters

    def check(value: Any) -> None:
        no_null_characters(value)
        model = field.queryset.model  # type: ignore[union-attr]
        if field.to_field_name or not isinstance(model._meta.pk, models.IntegerField):
            return
        if isinstance(value, model):
            return
        text = str(value)
        if (
            isinstance(value, bool)
            or not (text.isascii() and text.isdigit())
            or len(text) > len(str(KEY_MAX))
            or int(text) > KEY_MAX
        ):
            raise ValidationError(
                field.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )

    field.validate_no_null_characters = check  # type: ignore[method-assign]


class FieldRules(forms.BaseForm):
    """The rules in this module's docstring, for `Form` and `ModelForm` below."""

    dates_up_to_today: tuple[str, ...] = ()
    dates_from_today: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                _refuse_impossible_keys(field)
            elif isinstance(field, forms.ChoiceField) and isinstance(
                field.widget, forms.RadioSelect
            ):
                field.choices = [choice for choice in field.widget.choices if choice[0] != ""]
            elif isinstance(field, forms.DateField | forms.DateTimeField):
                bound_dates(
                    field,
                    earliest=today if name in self.dates_from_today else None,
                    latest=today if name in self.dates_up_to_today else None,
                )

    def _clean_fields(self) -> None:
        # After each field's own cleaning and `clean_<name>`, before the form's `clean()`.
        super()._clean_fields()  # type: ignore[misc]
        for name, field in self.fields.items():
            if name not in self.cleaned_data or field.disabled:
                continue
            value = self.cleaned_data[name]
            try:
                if isinstance(field, forms.CharField) and isinstance(value, str) and value:
                    if not has_visible_character(value):
                        if field.required:
                            something_visible(value)
                        self.cleaned_data[name] = field.empty_value
                elif isinstance(field, forms.BooleanField) and isinstance(
                    field.widget, forms.CheckboxInput
                ):
                    self._check_checkbox(name)
                elif isinstance(field, forms.DateField | forms.DateTimeField) and value:
                    _check_bounds(field, value)
            except ValidationError as error:
                self.add_error(name, error)

    def _check_checkbox(self, name: str) -> None:
        raw = self.data.get(self.add_prefix(name))
        if isinstance(raw, str) and raw.lower() not in ANSWERED:
            raise ValidationError(
                _("This box can only be ticked or left empty."), code="invalid_checkbox"
            )


class Form(FieldRules, forms.Form):
    """The base of every form in Värna."""


class ModelForm(FieldRules, forms.ModelForm[_Model]):
    """The base of every model form in Värna."""


def posted_action(request: HttpRequest, *allowed: str, name: str = "action") -> str:
    """The button a person pressed (`<button name="action" value="…">`), one of `allowed`.
    Any other value, or none, is a bad request (400): nothing is saved or sent on a guess."""
    action = request.POST.get(name, "")
    if action not in allowed:
        raise BadRequest(f"Unknown {name}: {action[:40]!r}")
    return action


def show_refusal(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on the form: next to the field it names, else above it, so
    the page comes back with the message where it belongs and everything typed in place."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
