"""Writes for training: registering completed courses, and taking one back.

A completion is one person's course on one day; registering the same person, course and day
again adds nothing (the unique constraint, and a look at what exists first), so a manager or an
import can send the same list twice. Every person in a registration is checked before anything
is stored: one refusal stores nothing and names every person refused. Once something is
stored, `completions_added` tells the apps above (the year plan) which units gained.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.orgs import access, tree
from varna.orgs.access import Action
from varna.orgs.models import Employment, Unit, User
from varna.training.models import Completion, Course
from varna.training.signals import completions_added


def _refusals(*, course: Course, people: list[User], completed_on: date, by: User) -> list[str]:
    """Why each refused person cannot be registered for `course` on `completed_on`, by `by`."""
    municipality = course.municipality
    ids = [person.pk for person in people]
    # Employments that had not ended by the day of the course: the person worked there then
    # (or started later, which the start check below answers with its own words).
    current = Q(end_date__isnull=True) | Q(end_date__gte=completed_on)
    scoped = list(
        access.visible(by, Action.REGISTER_TRAINING, Employment.objects.filter(user__in=ids))
        .filter(current)
        .values_list("user_id", "unit__path")
    )
    in_scope = {user_id for user_id, _path in scoped}
    in_scope_here = {user_id for user_id, path in scoped if path.startswith(municipality.path)}
    starts: dict[int, list[date | None]] = defaultdict(list)
    for user_id, start in Employment.objects.filter(
        tree.subtree_q(municipality.path, "unit__path"), user__in=ids
    ).values_list("user_id", "start_date"):
        starts[user_id].append(start)
    refusals: list[str] = []
    for person in people:
        name = str(person)
        # Scope first: nobody learns where a person outside it works.
        if person.pk not in in_scope:
            refusals.append(
                _("%(name)s is not employed in your part of the organisation.") % {"name": name}
            )
        elif person.pk not in starts:
            refusals.append(
                _("%(name)s is not employed in %(municipality)s, whose course %(course)s this is.")
                % {"name": name, "municipality": municipality.name, "course": course.name}
            )
        elif person.pk not in in_scope_here:
            refusals.append(
                _("%(name)s is not employed in your part of the organisation.") % {"name": name}
            )
        elif None not in starts[person.pk]:
            # The earliest start in the municipality; an employment whose start is unknown may
            # be earlier than any, so then the date is not checked.
            first = min(day for day in starts[person.pk] if day is not None)
            if completed_on < first:
                refusals.append(
                    _(
                        "%(name)s started on %(start)s: the course cannot have been completed "
                        "before that."
                    )
                    % {"name": name, "start": first.isoformat()}
                )
    return refusals


def register_completions(
    *,
    course: Course,
    people: Iterable[User],
    completed_on: date,
    by: User,
    source: str = Completion.Source.MANAGER,
) -> int:
    """Register that `people` completed `course` on `completed_on`; returns how many new rows
    were stored (a person already registered for that course and day is skipped). Raises
    ValidationError and stores nothing if the date or any person is refused."""
    unique = {person.pk: person for person in people}
    chosen = sorted(unique.values(), key=lambda person: (person.last_name, person.first_name))
    if completed_on > timezone.localdate():
        raise ValidationError(
            {"completed_on": _("A course cannot be completed in the future.")},
            code="future",
        )
    with transaction.atomic():
        refusals = _refusals(course=course, people=chosen, completed_on=completed_on, by=by)
        if refusals:
            raise ValidationError({"people": refusals}, code="refused")
        existing = set(
            Completion.objects.filter(
                course=course, completed_on=completed_on, person__in=unique
            ).values_list("person_id", flat=True)
        )
        new = [
            Completion(
                person=person,
                course=course,
                completed_on=completed_on,
                source=source,
                registered_by=by,
            )
            for person in chosen
            if person.pk not in existing
        ]
        # A registration of the same rows at the same moment is skipped by the constraint.
        Completion.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        # After the rows are stored, as the import does: the year plan ticks off a unit's
        # training activity when its staff are covered (varna.training.signals).
        units = Unit.objects.filter(
            tree.subtree_q(course.municipality.path),
            employments__user__in=[completion.person_id for completion in new],
        ).distinct()
        completions_added.send(sender=Completion, units=list(units))
    return len(new)


def registered_recently(*, registrar: User, unit: Unit, days: int = 90) -> list[Completion]:
    """The completions managers registered in the last `days` for the staff of `unit`'s
    subtree, newest first: what the unit's page offers to withdraw."""
    since = timezone.now() - timedelta(days=days)
    people = Employment.objects.filter(tree.subtree_q(unit.path, "unit__path")).values("user")
    return list(
        Completion.objects.filter(
            source=Completion.Source.MANAGER, created_at__gte=since, person__in=people
        )
        .select_related("person", "course", "registered_by")
        .order_by("-created_at", "pk")[:50]
    )


@transaction.atomic
def withdraw_completion(*, completion: Completion, unit: Unit, by: User) -> None:
    """Take back a completion registered by mistake (a wrong person, course or day). Only one
    registered by a manager: an imported one would come back with the learning platform's next
    export, so it is corrected there. The registrar must be able to register for the person
    in `unit`'s subtree, as when it was registered."""
    in_scope = Employment.objects.filter(
        tree.subtree_q(unit.path, "unit__path"), user_id=completion.person_id
    ).exists()
    if not in_scope or not access.can(by, Action.REGISTER_TRAINING, unit):
        raise PermissionDenied
    if completion.source != Completion.Source.MANAGER:
        raise ValidationError(
            _(
                "This course was imported from the learning platform: correct it there, or "
                "the next import brings it back."
            ),
            code="imported",
        )
    completion.delete()
