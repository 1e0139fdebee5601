"""Reads about reports that are more than a filter."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from varna.orgs.access import AnyUser
from varna.orgs.models import User
from varna.reporting import access
from varna.reporting.models import (
    Attachment,
    Notification,
    ReadLog,
    Report,
    ReportChange,
    field_choices,
    field_label,
)
from varna.reporting.services import ACTOR_FIELDS
from varna.reporting.taxonomy import (
    SUBFORM_CHOICES,
    Consequence,
    Form,
    Purpose,
    Target,
)

_SUBFORM_LABELS = dict(SUBFORM_CHOICES)

# What the report page shows of the report's handling (its status, the steps and measures the
# employee follows, a way into the case) is read by varna.cases, a layer above this one. It
# registers its reader here when it starts (CasesConfig.ready), so reporting never imports it.
CaseParts = Callable[[AnyUser, Report], dict[str, object]]
NO_CASE_PARTS: dict[str, object] = {
    "progress": None,
    "case_state": "",
    "opens_case": False,
    "may_complete": False,
    "not_unlawful": "",
}
_case_parts: list[CaseParts] = []


def register_case_parts(reader: CaseParts) -> None:
    """Set the reader of a report's case for the report page (one, replaced if set again)."""
    _case_parts[:] = [reader]


def case_parts(user: AnyUser, report: Report) -> dict[str, object]:
    """The report page's part about the report's case, for this reader."""
    return _case_parts[0](user, report) if _case_parts else dict(NO_CASE_PARTS)


def reports_of(user: User) -> QuerySet[Report]:
    """Reports the user made or that are about them, newest first."""
    return (
        (Report.objects.filter(reporter=user) | Report.objects.filter(affected=user))
        .select_related("unit", "case")
        .order_by("-submitted_at")
    )


def labels_for(report: Report) -> dict[str, list[str]]:
    """Human labels for the report's multi-valued answers."""
    return {
        "subforms": [str(_SUBFORM_LABELS.get(code, code)) for code in report.subforms],
        "other_forms": [
            str(Form(code).label) for code in report.other_forms if code in Form.values
        ],
        "consequences": [
            str(Consequence(code).label)
            for code in report.consequences
            if code in Consequence.values
        ],
        "targets": [str(Target(code).label) for code in report.targets if code in Target.values],
        "purposes": [
            str(Purpose(code).label) for code in report.purposes if code in Purpose.values
        ],
    }


def readers_of(report: Report) -> list[ReadLog]:
    """Who other than the reporter has opened the report: role and time, newest first."""
    return list(
        ReadLog.objects.filter(report=report)
        .exclude(user_id__in=[report.reporter_id, report.affected_id])
        .order_by("-created_at")[:50]
    )


def unread_count(user: User) -> int:
    """Notifications the user has not opened yet (shown in the menu)."""
    return Notification.objects.filter(recipient=user, read_at=None).count()


# Labels for the values of the report's multi-valued answers, by field.
_LIST_LABELS: dict[str, dict[str, Any]] = {
    "subforms": _SUBFORM_LABELS,
    "other_forms": dict(Form.choices),
    "consequences": dict(Consequence.choices),
    "targets": dict(Target.choices),
    "purposes": dict(Purpose.choices),
}


def _shown_value(field: str, value: Any) -> str:
    """A stored answer as a person reads it: the label of a code, yes or no, or not stated."""
    if value in ("", None, []):
        return _("not stated")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        labels = _LIST_LABELS.get(field, {})
        return ", ".join(str(labels.get(code, code)) for code in value)
    return field_choices(field).get(str(value), str(value))


def history(report: Report, *, sees_actor: bool) -> list[dict[str, Any]]:
    """The report's versions after it was sent, oldest first, each with its changed answers
    as labels (before and after); changes to the actor part only for those who see it."""
    rows = []
    for change in ReportChange.objects.filter(report=report).select_related("by"):
        fields = [
            {
                "label": field_label(item["field"]),
                "before": _shown_value(item["field"], item["before"]),
                "after": _shown_value(item["field"], item["after"]),
            }
            for item in change.fields
            if sees_actor or item["field"] not in ACTOR_FIELDS
        ]
        if fields or change.added_text or change.reason:
            rows.append({"change": change, "fields": fields})
    return rows


def additions(report: Report) -> list[ReportChange]:
    """Text added to the description after the report was sent, oldest first."""
    return list(
        ReportChange.objects.filter(report=report).exclude(added_text="").select_related("by")
    )


def report_attachments(user: AnyUser, report: Report) -> QuerySet[Attachment]:
    """The files on the report page for a user who may open the report: those of the report,
    and of the actor part for those who see it (never the case's own files)."""
    parts = [Attachment.Part.REPORT]
    if access.may_see_actor(user, report):
        parts.append(Attachment.Part.ACTOR)
    return Attachment.objects.filter(report=report, part__in=parts).select_related("uploaded_by")
