"""Writes for reporting: drafts, submitting a report, notifying the people who must know."""

import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.orgs import tree
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.models import (
    DESCRIPTION_MAX,
    Draft,
    Notification,
    ReadLog,
    Report,
    ReportChange,
    ReportSequence,
)
from varna.reporting.signals import report_submitted
from varna.reporting.tasks import send_notification_email
from varna.reporting.taxonomy import Form, kia_type_by_rule
from varna.stats import services as stats_services

UNCLAIMED_DRAFT_AGE = timedelta(days=1)
DRAFT_FIELDS_MAX = 60
DRAFT_VALUE_MAX = 200  # a draft holds the form's own fields, nothing posted beyond them


def _clean_draft_data(data: dict[str, Any]) -> dict[str, Any]:
    """Keep only what the form can hold: its own fields, at most as long as the form allows."""
    kept: dict[str, Any] = {}
    for key, value in list(data.items())[:DRAFT_FIELDS_MAX]:
        if key in {"csrfmiddlewaretoken", "action"}:
            continue
        limit = DESCRIPTION_MAX if key == "description" else DRAFT_VALUE_MAX
        if isinstance(value, list):
            kept[str(key)[:60]] = [str(item)[:DRAFT_VALUE_MAX] for item in value[:60]]
        else:
            kept[str(key)[:60]] = str(value)[:limit]
    return kept


def save_draft(*, user: User, data: dict[str, Any]) -> Draft:
    """Keep what the user has typed so far; one draft per user, replaced on every save."""
    draft, _created = Draft.objects.update_or_create(
        user=user, defaults={"data": _clean_draft_data(data)}
    )
    return draft


def save_unclaimed_draft(*, token: str | None, meant_for: User, data: dict[str, Any]) -> Draft:
    """Keep a form posted after `meant_for`'s session ended, under a token the browser holds."""
    token = token or secrets.token_urlsafe(32)
    # Unclaimed drafts live as long as the browser cookie that can claim them.
    Draft.objects.filter(user=None, updated_at__lt=timezone.now() - UNCLAIMED_DRAFT_AGE).delete()
    draft, _created = Draft.objects.update_or_create(
        claim_token=token,
        user=None,
        defaults={"data": _clean_draft_data(data), "meant_for": meant_for},
    )
    return draft


@transaction.atomic
def claim_draft(*, user: User, token: str) -> Draft | None:
    """Give the draft typed before logging in again to the user who is now logged in."""
    unclaimed = Draft.objects.select_for_update().filter(claim_token=token, user=None).first()
    if unclaimed is None:
        return None
    data, owner = unclaimed.data, unclaimed.meant_for_id
    unclaimed.delete()
    if owner != user.pk:
        return None  # someone else's words: removed, never shown
    return save_draft(user=user, data=data)


def is_submitted(user: User, key: str | None) -> bool:
    """Whether the user has already sent a report with this idempotency key."""
    try:
        parsed = uuid.UUID(str(key))
    except ValueError:
        return False
    return Report.objects.filter(reporter=user, idempotency_key=parsed).exists()


def discard_draft(*, user: User) -> None:
    Draft.objects.filter(user=user).delete()


def draft_for(user: User) -> Draft:
    """The user's draft, created empty (with a fresh idempotency key) when there is none."""
    draft, _created = Draft.objects.get_or_create(user=user, defaults={"data": {}})
    return draft


def next_number(year: int) -> str:
    """The next human report number of the year, e.g. 2026-0042; call inside a transaction.

    One UPDATE ... RETURNING: the year's row stays locked until the transaction commits, so
    numbers never repeat; keep what follows it in the transaction short.
    """
    table = ReportSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last",  # noqa: S608
            [year],
        )
        row = cursor.fetchone()
    if row is None:
        ReportSequence.objects.get_or_create(year=year)
        return next_number(year)
    return f"{year}-{row[0]:04d}"


def submit_report(
    *, reporter: User, data: dict[str, Any], idempotency_key: uuid.UUID
) -> tuple[Report, bool]:
    """Store a report once per idempotency key and notify who must know.

    Returns the report and whether it was created now; a repeated submit (double click, a
    retry after a network error) returns the report made the first time.
    """
    existing = Report.objects.filter(idempotency_key=idempotency_key, reporter=reporter).first()
    if existing is not None:
        if _same_event(existing, data):
            return existing, False
        # The same form sent again with other content (a second tab, the Back button): a
        # new report, not a silent loss of the second one.
        idempotency_key = uuid.uuid4()
    report = _build_report(reporter=reporter, data=data, idempotency_key=idempotency_key)
    # Reads first, outside the transaction that holds the year's number row.
    recipients = recipients_for(report)
    try:
        with transaction.atomic():
            # Two sends of the same form by one person queue here, and the second finds the
            # first one's report instead of failing on the unique key. NO KEY UPDATE: the
            # lock must not block other reports that merely refer to this person (a foreign
            # key takes KEY SHARE), or two reports naming each other's people deadlock.
            User.objects.select_for_update(no_key=True).filter(pk=reporter.pk).exists()
            existing = Report.objects.filter(
                idempotency_key=idempotency_key, reporter=reporter
            ).first()
            if existing is not None:
                return existing, False
            _store(report, recipients)
    except IntegrityError:
        # The unique key still decides if the lock above was not enough.
        existing = Report.objects.filter(idempotency_key=idempotency_key, reporter=reporter).first()
        if existing is None:
            raise
        return existing, False
    return report, True


def _same_event(report: Report, data: dict[str, Any]) -> bool:
    """Whether `data` is the report as already stored (a repeated send of the same form)."""
    return (
        report.description == data.get("description")
        and report.main_form == data.get("main_form")
        and report.occurred_on == data.get("occurred_on")
        and report.unit_id == getattr(data.get("unit"), "pk", None)
    )


def _build_report(*, reporter: User, data: dict[str, Any], idempotency_key: uuid.UUID) -> Report:
    fields = dict(data)
    affected = fields.pop("affected", None) or reporter
    kia_type = fields.pop("kia_type", "") or kia_type_by_rule(
        consequences=fields.get("consequences", []),
        forms=[fields.get("main_form", ""), *fields.get("other_forms", [])],
    )
    if fields.get("main_form") != Form.CORRUPTION:
        fields["route_to_security"] = False
    return Report(
        reporter=reporter,
        affected=affected,
        idempotency_key=idempotency_key,
        kia_type=kia_type,
        **fields,
    )


def _store(report: Report, recipients: list[tuple[User, str]]) -> None:
    """Number and save the report, its notifications and their e-mail tasks, all at once: a
    crash leaves either everything or nothing, never a report whose e-mails are not queued."""
    report.submitted_at = timezone.now()
    report.number = next_number(timezone.localdate(report.submitted_at).year)
    report.save(force_insert=True)
    Draft.objects.filter(user=report.reporter).delete()
    report_submitted.send(sender=Report, report=report)
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, report=report, kind=Notification.Kind.NEW_REPORT, reason=role
            )
            for user, role in recipients
        ]
    )
    # bulk_create returns primary keys on PostgreSQL and SQLite alike.
    for notification in notifications:
        send_notification_email.enqueue(notification.pk)
    # The event and its case, opened just now, are left for the task worker to fold into the
    # follow-up figures: one row, no lock on anything but its own.
    stats_services.mark(report)


def _nearest(unit: Unit, *roles: Role) -> list[tuple[User, str]]:
    """For each role, its holders on the unit nearest to `unit` (itself, then upwards) that
    has any; one query for all the roles."""
    grants = (
        RoleGrant.objects.filter(unit__path__in=tree.ancestor_paths(unit.path), role__in=roles)
        .select_related("user", "unit")
        .filter(user__is_active=True)
        .order_by("-unit__depth")
    )
    found: list[tuple[User, str]] = []
    depth_of: dict[str, int] = {}
    for grant in grants:
        if depth_of.setdefault(grant.role, grant.unit.depth) == grant.unit.depth:
            found.append((grant.user, grant.role))
    return found


def security_coordinators_for(unit: Unit) -> list[tuple[User, str]]:
    """The security coordinators nearest to `unit` (none where no one holds that role)."""
    return _nearest(unit, Role.SECURITY)


def recipients_for(report: Report) -> list[tuple[User, str]]:
    """Who is told of a new report: the nearest managers and safety representatives, or for a
    corruption report sent to security, the nearest security coordinators alone.
    The reporter is never told of their own report, and nobody is told twice."""
    if report.route_to_security:
        # The line manager may be involved: only security is told, and only security can open it.
        people = _nearest(report.unit, Role.SECURITY)
    else:
        people = _nearest(report.unit, Role.MANAGER, Role.SAFETY_REP)
    seen: set[int] = {report.reporter_id}
    recipients = []
    for user, role in people:
        if user.pk not in seen:
            seen.add(user.pk)
            recipients.append((user, role))
    return recipients


def record_read(*, user: User, report: Report, part: str, role: str) -> None:
    """Log that `user` opened `part` of the report, and mark their notifications of it read."""
    ReadLog.objects.create(user=user, report=report, part=part, role=role)
    Notification.objects.filter(recipient=user, report=report, read_at=None).update(
        read_at=timezone.now()
    )


# Completing and correcting a sent report --------------------------------------------------

# The optional parts of a report that the employee and the handler may complete or change.
COMPLETABLE_FIELDS = [
    "time_of_day",
    "place",
    "situation",
    "decision_delivered",
    "actor_relation",
    "actor_count",
    "actor_known",
    "consequences",
    "targets",
    "purpose_to_influence",
    "purposes",
    "felt_pressed",
    "decision_changed",
    "wants_police_report",
    "wants_manager_talk",
    "wants_occupational_health",
    "workplace_address_only",
]
ACTOR_FIELDS = frozenset({"actor_relation", "actor_count", "actor_known"})
# What the handler may reclassify, with a reason.
CLASSIFICATION_FIELDS = ["main_form", "other_forms", "subforms", "kia_type"]
ADDITION_MAX = 5_000


def _comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


@transaction.atomic
def change_report(
    *,
    report: Report,
    by: User,
    kind: str,
    data: dict[str, Any],
    version: int,
    added_text: str = "",
    reason: str = "",
    at: Any = None,
    allow_empty: bool = False,
) -> tuple[Report, ReportChange]:
    """Change fields of a sent report as one new version, kept in its history.

    `data` holds only fields the caller may change (COMPLETABLE_FIELDS or
    CLASSIFICATION_FIELDS); `added_text` is added to the description, whose text as sent is
    never overwritten. `version` is the version the person started from: if someone saved
    in between, nothing is stored and ValidationError(code="stale") says so."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.version != version:
        raise ValidationError(
            _(
                "Someone else changed the report while you were editing it. Nothing was "
                "saved. Your changes are still in the form: look at the history, then save "
                "again."
            ),
            code="stale",
        )
    changed = []
    for field, after in data.items():
        before = getattr(locked, field)
        if _comparable(before) != _comparable(after):
            changed.append({"field": field, "before": before, "after": after})
            setattr(locked, field, after)
    added_text = added_text.strip()
    if len(added_text) > ADDITION_MAX:
        raise ValidationError(
            {"addition": _("The addition can be at most %(limit)d characters.")},
            params={"limit": ADDITION_MAX},
        )
    if not changed and not added_text and not allow_empty:
        raise ValidationError(_("Nothing was changed."), code="unchanged")
    locked.version += 1
    locked.save(update_fields=[*(item["field"] for item in changed), "version", "updated_at"])
    change = ReportChange.objects.create(
        report=locked,
        version=locked.version,
        at=at or timezone.now(),
        by=by,
        kind=kind,
        fields=changed,
        added_text=added_text,
        reason=reason.strip(),
        touches_actor=any(item["field"] in ACTOR_FIELDS for item in changed),
    )
    return locked, change
