"""Open a case for every report made before case handling existed, as received: it then
appears in its managers' inbox with its deadlines, and the reminders start."""

from typing import Any

from django.db import migrations
from django.utils import timezone


def open_cases(apps: Any, schema_editor: Any) -> None:
    from varna.cases import rules

    report_model = apps.get_model("reporting", "Report")
    case_model = apps.get_model("cases", "Case")
    event_model = apps.get_model("cases", "CaseEvent")
    reminder_model = apps.get_model("cases", "Reminder")
    waiting = report_model.objects.filter(case__isnull=True).order_by("pk")
    for report in waiting.iterator(chunk_size=500):
        opened = report.submitted_at
        reasons = rules.serious_reasons(report)
        acknowledge_due = rules.acknowledge_due(opened)
        notice_due = rules.end_of_day(timezone.localdate(opened)) if reasons else None
        case = case_model.objects.create(
            report=report,
            unit_id=report.unit_id,
            main_form=report.main_form,
            security_routed=report.route_to_security,
            opened_at=opened,
            acknowledge_due_at=acknowledge_due,
            serious_reasons=reasons,
            notice_due_at=notice_due,
            injury=rules.has_injury(report),
            next_due_at=min(due for due in (acknowledge_due, notice_due) if due),
        )
        event_model.objects.create(
            case=case,
            actor_id=report.reporter_id,
            kind="opened",
            at=opened,
            to_state="received",
            for_employee=True,
        )
        reminder_model.objects.create(kind="acknowledge", case=case, due_at=acknowledge_due)
        if notice_due:
            reminder_model.objects.create(kind="notice", case=case, due_at=notice_due)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(open_cases, migrations.RunPython.noop)]
