"""A report's answers as a person reads them, for the register extract and the copy for a
public-records request: the field, the question, the stored value and its readable text."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from varna.reporting.models import Report
from varna.reporting.selectors import labels_for

# The report's own answers, in the order of the form; the part about who did it apart.
REPORT_ANSWERS = [
    "main_form",
    "subforms",
    "other_forms",
    "occurred_on",
    "time_of_day",
    "place",
    "situation",
    "decision_delivered",
    "targets",
    "consequences",
    "purpose_to_influence",
    "purposes",
    "felt_pressed",
    "decision_changed",
    "kia_type",
    "wants_police_report",
    "wants_manager_talk",
    "wants_occupational_health",
    "workplace_address_only",
    "route_to_security",
]
ACTOR_ANSWERS = ["actor_relation", "actor_count", "actor_known"]


@dataclass(frozen=True)
class Answer:
    field: str  # the report's own field name: a stable key
    question: str
    value: Any  # as stored: a code, a list of codes, a yes/no, a date or a number
    text: str  # as a person reads it


def field_label(model: type[models.Model], name: str) -> str:
    """The label of a model's field, capitalised, as a question or a heading."""
    return capfirst(str(model._meta.get_field(name).verbose_name))  # type: ignore[union-attr]


def answers(report: Report, fields: list[str]) -> list[Answer]:
    """The report's current answers to `fields`, each with its question and readable text."""
    lists = labels_for(report)
    found = []
    for name in fields:
        field = Report._meta.get_field(name)
        value = getattr(report, name)
        if value in ("", None, []):
            text = _("not answered")
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif name in lists:
            text = ", ".join(lists[name])
        elif isinstance(value, date):
            text = value.isoformat()
        else:
            text = str(dict(field.flatchoices).get(value, value))  # type: ignore[union-attr]
        found.append(Answer(name, field_label(Report, name), value, text))
    return found
