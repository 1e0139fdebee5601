"""The demo year plan: last year's and this year's activities for every demo unit.

Most activities that are already due are done, with evidence: the yearly risk assessment by the
demo's approved risk assessment of the unit where there is one (the risk demo runs before this
step), the reviews of events at the workplace meetings and at the cooperation group's (FSG)
monthly meetings by a link to the minutes, the rest by a note. A few units fall behind (their
activities stay open, so the overview shows them overdue), and a few activities elsewhere are
late: about one in nine stays open, about one in seven of the rest is done after its due date.
Which ones is decided by a checksum of the activity's unit, template and period, not by a
random sequence, so loading twice gives the same plan and the second load changes nothing.
Everything goes through the services.
"""

import zlib
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from varna.orgs import selectors as org_selectors
from varna.orgs.models import Role, Unit, User
from varna.risk.models import Assessment
from varna.yearplan import services
from varna.yearplan.models import Activity, Kind

# Units that are behind this year: nothing due so far this year is done.
BEHIND = {"DEMO-FSE3", "DEMO-HEM", "GRANN-EB"}
# Of everything else already due, about one in this many is late.
LATE_ONE_IN = 9
# Of those done, about one in this many is done after its due date.
DONE_LATE_ONE_IN = 7
MINUTES = "https://intranat.demo.varna.example/{meeting}/{unit}/{day}"


def _checksum(activity: Activity) -> int:
    key = f"{activity.unit.code}|{activity.template.title}|{activity.period_start.isoformat()}"
    return zlib.crc32(key.encode())


def _stays_open(activity: Activity, this_year: int) -> bool:
    if activity.due_on.year == this_year and activity.unit.code in BEHIND:
        return True
    return _checksum(activity) % LATE_ONE_IN == 0


def _done_at(activity: Activity, now: datetime) -> datetime:
    """Some days before the due date (or, for a few, some days after it), in office hours;
    never in the future."""
    checksum = _checksum(activity)
    if checksum // LATE_ONE_IN % DONE_LATE_ONE_IN == 0:
        day = activity.due_on + timedelta(days=3 + checksum % 20)
    else:
        day = max(activity.due_on - timedelta(days=checksum % 20), activity.period_start)
    moment = timezone.make_aware(datetime.combine(day, time(10 + _checksum(activity) % 6, 0)))
    return min(moment, now - timedelta(hours=1))


@transaction.atomic
def load() -> bool:
    """Generate the demo's year plans and play the past forward; False when nothing changed."""
    today = timezone.localdate()
    now = timezone.now()
    # A test database emptied between tests loses what the data migration made.
    changed = services.ensure_default_templates()
    for root in Unit.objects.roots().filter(code__in=["DEMO", "GRANN"]):
        for year in (today.year - 1, today.year):
            changed += services.generate_year(root, year)
    approved: dict[int, list[Assessment]] = {}
    for assessment in Assessment.objects.filter(status=Assessment.Status.APPROVED).order_by(
        "assessed_on", "pk"
    ):
        approved.setdefault(assessment.unit_id, []).append(assessment)
    due = Activity.objects.filter(
        Q(unit__code__startswith="DEMO") | Q(unit__code__startswith="GRANN"),
        status=Activity.Status.OPEN,
        due_on__lt=today,
        due_on__gte=date(today.year - 1, 1, 1),
    ).select_related("unit", "template")
    managers: dict[int, User | None] = {}
    for activity in due.order_by("due_on", "pk"):
        if services.training_tally(activity, activity.due_on) is not None:
            # Ticked off by the demo's completed courses (loaded before) if they covered the
            # unit on the due date, never by a note.
            at = timezone.make_aware(datetime.combine(activity.due_on, time(7, 0)))
            ticked = services.record_training(activity.unit, today=activity.due_on, at=at)
            changed += ticked is not None
            continue
        if _stays_open(activity, today.year):
            continue
        if activity.unit_id not in managers:
            managers[activity.unit_id] = next(
                iter(org_selectors.nearest_holders(activity.unit, Role.MANAGER)), None
            )
        by = managers[activity.unit_id]
        if by is None:
            continue
        at = _done_at(activity, now)
        evidence: dict[str, Any] = {}
        if activity.kind == Kind.RISK_ASSESSMENT:
            fitting = [
                assessment
                for assessment in approved.get(activity.unit_id, [])
                if activity.period_start <= assessment.assessed_on <= activity.period_end
            ]
            if fitting:
                evidence["assessment"] = fitting[-1]
                at = max(at, fitting[-1].approved_at or at)
            else:
                evidence["note"] = "Riskbedömningen gjordes på papper och finns i diariet."
        elif activity.kind == Kind.EVENT_REVIEW:
            # The administration's reviews are the cooperation group's, the rest workplace
            # meetings'.
            meeting = "fsg" if activity.unit.kind == Unit.Kind.ADMINISTRATION else "apt"
            evidence["link"] = MINUTES.format(
                meeting=meeting, unit=activity.unit.code.lower(), day=at.date()
            )
        else:
            evidence["note"] = "Genomfört enligt planen."
        services.complete_activity(activity, by=by, now=min(at, now), **evidence)
        changed += 1
    return changed > 0
