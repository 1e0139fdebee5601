"""Reads about reports that are more than a filter."""

from django.db.models import QuerySet

from varna.orgs.models import User
from varna.reporting.models import Notification, ReadLog, Report
from varna.reporting.taxonomy import (
    SUBFORM_CHOICES,
    Consequence,
    Form,
    Target,
)

_SUBFORM_LABELS = dict(SUBFORM_CHOICES)


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
