"""Case handling listens to reporting: every new report opens its case in the same transaction."""

from typing import Any

from django.dispatch import receiver

from varna.cases import services
from varna.reporting.models import Report
from varna.reporting.signals import report_submitted


@receiver(report_submitted, sender=Report, dispatch_uid="cases.open_case")
def open_case(sender: type[Report], report: Report, **kwargs: Any) -> None:
    services.open_case(report)
