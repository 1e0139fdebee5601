"""Reminding those responsible for the measures that answer an audit, once a day from the
reminder worker (registered in apps.ready through varna.cases.reminders.on_daily_run).

An open measure past its due date reminds its responsible person, and does so again every
QUIET_DAYS days for as long as it stays open: a committee's measure runs for months, and a daily
reminder would be noise nobody reads. When it is more than ESCALATE_AFTER_DAYS days overdue,
the managers nearest the audited unit are told as well, on the same weekly rhythm (an
escalation), so that a measure nobody acts on reaches someone who can act. Where no manager
is left above the responsible person, the administrators who keep the audit are told.

Which managers: the holders of the manager role on the audited unit or the nearest unit above
it that has any; when the responsible person is one of them, the level above. An audit of a
committee (nämnd) usually finds no manager on or above it (a nämnd and the kommun have no line
managers), so then the escalation goes to the top managers inside the audited part, the heads
of the administrations that answer to the committee. The responsible person is never their own
escalation.

The rule against repeating looks at the notifications already made for the measure and the
person: none of the same kind within the quiet days, and never two on a day, so the worker
may run the day's tasks twice.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from varna.audits.models import Measure
from varna.orgs import tree
from varna.orgs.models import Role, RoleGrant, User
from varna.orgs.selectors import holders_by_level
from varna.reporting.models import Notification

QUIET_DAYS = 7
ESCALATE_AFTER_DAYS = 30
RESPONSIBLE = "responsible"  # the `reason` of a reminder to the measure's responsible person


def overdue(today: date) -> list[Measure]:
    """Open measures whose due date has passed."""
    return list(
        Measure.objects.exclude(status=Measure.Status.DONE)
        .filter(due_on__lt=today)
        .select_related("responsible", "recommendation__audit__unit")
        .order_by("due_on", "pk")
    )


def escalation_to(measure: Measure) -> list[User]:
    """The managers an overdue measure escalates to (the rule in the module's text)."""
    unit = measure.recommendation.audit.unit
    responsible_id = measure.responsible_id
    levels = holders_by_level(unit, Role.MANAGER)
    if levels:
        target = 0
        for index, people in enumerate(levels):
            if any(person.pk == responsible_id for person in people):
                target = index + 1
                break
        found = levels[target] if target < len(levels) else []
    else:
        grants = list(
            RoleGrant.objects.filter(
                tree.subtree_q(unit.path, "unit__path"),
                role=Role.MANAGER,
                user__is_active=True,
            )
            .select_related("user", "unit")
            .order_by("unit__depth", "user_id")
        )
        top = grants[0].unit.depth if grants else None
        found = [grant.user for grant in grants if grant.unit.depth == top]
    unique = {person.pk: person for person in found if person.pk != responsible_id}
    if not unique:
        # No manager above the responsible person: those who keep the audit (its
        # administrators, nearest the audited unit first) can still act on it.
        for keepers in holders_by_level(unit, Role.ADMIN):
            unique = {person.pk: person for person in keepers if person.pk != responsible_id}
            if unique:
                break
    return list(unique.values())


def _recently(measures: list[Measure], today: date) -> set[tuple[int, int, str]]:
    """(measure, person, kind) of the audit reminders made within the quiet days up to today."""
    since = timezone.make_aware(datetime.combine(today - timedelta(days=QUIET_DAYS - 1), time.min))
    return set(
        Notification.objects.filter(
            audit_measure__in=[measure.pk for measure in measures],
            topic=Notification.Topic.AUDIT_MEASURE,
            created_at__gte=since,
        ).values_list("audit_measure_id", "recipient_id", "kind")
    )


@transaction.atomic
def remind(today: date) -> dict[int, list[int]]:
    """Make today's reminders and escalations; returns the new notifications per person."""
    measures = overdue(today)
    if not measures:
        return {}
    recent = _recently(measures, today)
    made: dict[int, list[int]] = defaultdict(list)

    def notify(measure: Measure, person: User, kind: str, reason: str) -> None:
        if not person.is_active or (measure.pk, person.pk, kind) in recent:
            return
        notification = Notification.objects.create(
            recipient=person,
            audit_measure=measure,
            kind=kind,
            topic=Notification.Topic.AUDIT_MEASURE,
            reason=reason,
            in_digest=True,
        )
        recent.add((measure.pk, person.pk, kind))
        made[person.pk].append(notification.pk)

    for measure in measures:
        notify(measure, measure.responsible, Notification.Kind.REMINDER, RESPONSIBLE)
        if (today - measure.due_on).days > ESCALATE_AFTER_DAYS:
            for manager in escalation_to(measure):
                notify(measure, manager, Notification.Kind.ESCALATION, Role.MANAGER)
    return dict(made)


def daily_run(today: date, now: datetime) -> dict[int, list[int]]:
    """The audits' part of the reminder worker's daily run: today's reminders, with any made
    earlier today whose digest never went out (a failed run is run again, and `remind` makes
    no second one on a day), for the day's digest."""
    made = remind(today)
    start = timezone.make_aware(datetime.combine(today, time.min))
    waiting = Notification.objects.filter(
        topic=Notification.Topic.AUDIT_MEASURE,
        in_digest=True,
        email_status=Notification.Delivery.PENDING,
        created_at__gte=start,
    ).values_list("recipient_id", "pk")
    for recipient, pk in waiting:
        if pk not in made.setdefault(recipient, []):
            made[recipient].append(pk)
    return made
