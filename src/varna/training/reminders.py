"""Reminding managers of their staff's required training, once a day from the reminder worker
(varna.cases.reminders.tick calls `remind_managers` in its daily run).

A person needs attention when a required course is OVERDUE, or when their course runs out or
their grace as a new employee ends within WITHIN_DAYS. Each such person is the concern of the
managers nearest to them: the holders of the manager role on the unit of the employment through
which the requirement applies or, when it has none, on the nearest unit above that has any
(not every manager up to the top; a manager's own training goes to the managers above them).

A manager gets at most one notification a day, with counts only (people overdue, people due
within WITHIN_DAYS) and a link to the training page of their unit: no names, in the app or in
the e-mail. The rule against repeating it: after a reminder, the manager is not reminded again
for QUIET_DAYS days unless the situation got worse, that is more people are overdue or more
are due than the last reminder said (fewer is progress, not news). After QUIET_DAYS they are
reminded again as long as anyone still needs attention.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from varna.orgs import tree
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.models import Notification
from varna.training.coverage import Standing, Status, per_person, standings

WITHIN_DAYS = 30
QUIET_DAYS = 7


@dataclass
class _Concern:
    """What one manager is reminded of."""

    overdue: set[int] = field(default_factory=set)
    due: set[int] = field(default_factory=set)
    units: Counter[int] = field(default_factory=Counter)  # grant unit -> people through it

    def figures(self) -> dict[str, int]:
        return {
            "overdue": len(self.overdue),
            # Someone overdue on one course and due on another is counted once, as overdue.
            "due": len(self.due - self.overdue),
            "days": WITHIN_DAYS,
        }


def needs_attention(standing: Standing, today: date) -> bool:
    return standing.status == Status.OVERDUE or standing.due_within(today, WITHIN_DAYS)


def remind_managers(today: date) -> dict[int, list[int]]:
    """Notify the managers whose staff need attention (the rule in the module's text); returns
    the new notifications per manager, for the day's digest e-mail (varna.cases.reminders), so
    that a manager still gets at most one reminder e-mail a day."""
    made: dict[int, list[int]] = {}
    for municipality in Unit.objects.roots().order_by("path"):
        # One municipality at a time: its standings are all in memory at once.
        for notification in _remind_in(municipality, today):
            made.setdefault(notification.recipient_id, []).append(notification.pk)
    return made


def concerns(municipality: Unit, today: date) -> dict[int, _Concern]:
    """Manager id -> what they are to be reminded of, in the municipality."""
    found = [
        standing
        for standing in per_person(standings(Unit.objects.subtree_of(municipality), today))
        if needs_attention(standing, today)
    ]
    if not found:
        return {}
    managers: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for user_id, unit_id, path in (
        RoleGrant.objects.filter(
            tree.subtree_q(municipality.path, "unit__path"),
            role=Role.MANAGER,
            user__is_active=True,
        )
        .order_by("user_id")
        .values_list("user_id", "unit_id", "unit__path")
    ):
        managers[path].append((user_id, unit_id))
    paths = dict(
        Unit.objects.filter(pk__in={standing.unit_id for standing in found}).values_list(
            "pk", "path"
        )
    )
    result: dict[int, _Concern] = defaultdict(_Concern)
    for standing in found:
        path = paths[standing.unit_id]
        for cut in range(len(path), 0, -tree.SEGMENT):
            nearest = [
                (user_id, unit_id)
                for user_id, unit_id in managers.get(path[:cut], [])
                if user_id != standing.person_id
            ]
            if nearest:
                break
        for user_id, unit_id in nearest:
            concern = result[user_id]
            target = concern.overdue if standing.status == Status.OVERDUE else concern.due
            if standing.person_id not in concern.overdue | concern.due:
                concern.units[unit_id] += 1
            target.add(standing.person_id)
    return result


@transaction.atomic
def _remind_in(municipality: Unit, today: date) -> list[Notification]:
    found = concerns(municipality, today)
    if not found:
        return []
    # The last training reminder of each of these managers within the quiet days.
    since = today - timedelta(days=QUIET_DAYS - 1)
    last: dict[int, Notification] = {}
    for notification in Notification.objects.filter(
        recipient__in=list(found),
        topic=Notification.Topic.TRAINING,
        created_at__date__gte=since,
    ).order_by("recipient_id", "-created_at"):
        last.setdefault(notification.recipient_id, notification)
    made: list[Notification] = []
    for manager_id, concern in sorted(found.items()):
        figures = concern.figures()
        previous = last.get(manager_id)
        if previous is not None and not _worse(figures, previous, today):
            continue
        # The link leads to the unit of theirs where most of the people are.
        unit_id = min(concern.units, key=lambda pk: (-concern.units[pk], pk))
        made.append(
            Notification.objects.create(
                recipient_id=manager_id,
                unit_id=unit_id,
                figures=figures,
                kind=Notification.Kind.REMINDER,
                topic=Notification.Topic.TRAINING,
                reason=Role.MANAGER,
                in_digest=True,
            )
        )
    return made


def _worse(figures: dict[str, int], previous: Notification, today: date) -> bool:
    """Whether to remind again within the quiet days: never twice a day, otherwise only when
    more people are overdue or due than the previous reminder said."""
    if timezone.localdate(previous.created_at) >= today:
        return False
    before = previous.figures or {}
    return figures["overdue"] > before.get("overdue", 0) or figures["due"] > before.get("due", 0)


def mark_read(*, user: User, unit: Unit) -> int:
    """The user has looked at the training of `unit`: their training reminders about it or any
    unit in it are read (for the training page, as the year plan's activity page does)."""
    return Notification.objects.filter(
        tree.subtree_q(unit.path, "unit__path"),
        recipient=user,
        topic=Notification.Topic.TRAINING,
        read_at=None,
    ).update(read_at=timezone.now())


def daily_run(today: date, now: datetime) -> dict[int, list[int]]:
    """Training's part of the reminder worker's daily run (registered in apps.ready): today's
    reminders, with any made earlier today whose digest never went out (a failed run is run
    again, and `remind_managers` makes no second reminder on a day), for the day's digest."""
    made = remind_managers(today)
    start = timezone.make_aware(datetime.combine(today, time.min))
    waiting = Notification.objects.filter(
        topic=Notification.Topic.TRAINING,
        in_digest=True,
        email_status=Notification.Delivery.PENDING,
        created_at__gte=start,
    ).values_list("recipient_id", "pk")
    for recipient, pk in waiting:
        if pk not in made.setdefault(recipient, []):
            made[recipient].append(pk)
    return made
