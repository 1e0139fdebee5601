"""Writes for reporting: drafts, submitting a report, notifying the people who must know."""

import secrets
import uuid
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from varna.orgs import tree
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.models import Draft, Notification, Report, ReportSequence
from varna.reporting.taxonomy import Form, kia_type_by_rule

DRAFT_FIELDS_MAX = 60  # a draft holds the form's own fields, nothing posted beyond them


def _clean_draft_data(data: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in list(data.items())[:DRAFT_FIELDS_MAX]:
        if key in {"csrfmiddlewaretoken", "action"}:
            continue
        kept[str(key)[:60]] = (
            [str(item)[:25_000] for item in value]
            if isinstance(value, list)
            else str(value)[:25_000]
        )
    return kept


def save_draft(*, user: User, data: dict[str, Any]) -> Draft:
    """Keep what the user has typed so far; one draft per user, replaced on every save."""
    draft, _created = Draft.objects.update_or_create(
        user=user, defaults={"data": _clean_draft_data(data)}
    )
    return draft


def save_unclaimed_draft(*, token: str | None, data: dict[str, Any]) -> Draft:
    """Keep a form posted after the session ended, under a token the browser holds."""
    token = token or secrets.token_urlsafe(32)
    draft, _created = Draft.objects.update_or_create(
        claim_token=token, user=None, defaults={"data": _clean_draft_data(data)}
    )
    return draft


@transaction.atomic
def claim_draft(*, user: User, token: str) -> Draft | None:
    """Give the draft typed before logging in again to the user who is now logged in."""
    unclaimed = Draft.objects.select_for_update().filter(claim_token=token, user=None).first()
    if unclaimed is None:
        return None
    data = unclaimed.data
    unclaimed.delete()
    return save_draft(user=user, data=data)


def discard_draft(*, user: User) -> None:
    Draft.objects.filter(user=user).delete()


def draft_for(user: User) -> Draft:
    """The user's draft, created empty (with a fresh idempotency key) when there is none."""
    draft, _created = Draft.objects.get_or_create(user=user, defaults={"data": {}})
    return draft


def next_number(year: int) -> str:
    """The next human report number of the year, e.g. 2026-0042; call inside a transaction."""
    ReportSequence.objects.get_or_create(year=year)
    ReportSequence.objects.filter(year=year).update(last=F("last") + 1)
    last = ReportSequence.objects.select_for_update().get(year=year).last
    return f"{year}-{last:04d}"


def submit_report(
    *, reporter: User, data: dict[str, Any], idempotency_key: uuid.UUID
) -> tuple[Report, bool]:
    """Store a report once per idempotency key and notify who must know.

    Returns the report and whether it was created now; a repeated submit (double click, a
    retry after a network error) returns the report made the first time.
    """
    existing = Report.objects.filter(idempotency_key=idempotency_key, reporter=reporter).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report = _create_report(reporter=reporter, data=data, idempotency_key=idempotency_key)
    except IntegrityError:
        # The same key arrived twice at the same moment; the other request stored it.
        return Report.objects.get(idempotency_key=idempotency_key, reporter=reporter), False
    return report, True


def _create_report(*, reporter: User, data: dict[str, Any], idempotency_key: uuid.UUID) -> Report:
    now = timezone.now()
    fields = dict(data)
    affected = fields.pop("affected", None) or reporter
    kia_type = fields.pop("kia_type", "") or kia_type_by_rule(
        consequences=fields.get("consequences", [])
    )
    if fields.get("main_form") != Form.CORRUPTION:
        fields["route_to_security"] = False
    report = Report.objects.create(
        number=next_number(timezone.localdate(now).year),
        reporter=reporter,
        affected=affected,
        idempotency_key=idempotency_key,
        kia_type=kia_type,
        submitted_at=now,
        **fields,
    )
    Draft.objects.filter(user=reporter).delete()
    notifications = [
        Notification(recipient=user, report=report, kind=Notification.Kind.NEW_REPORT, reason=role)
        for user, role in recipients_for(report)
    ]
    Notification.objects.bulk_create(notifications)
    ids = list(Notification.objects.filter(report=report).values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue_emails(ids))
    return report


def _enqueue_emails(ids: list[int]) -> None:
    from varna.reporting.tasks import send_notification_email

    for pk in ids:
        send_notification_email.enqueue(pk)


def _nearest(unit: Unit, role: Role) -> list[tuple[User, str]]:
    """Holders of `role` on the unit nearest to `unit` (itself, then upwards) that has any."""
    grants = (
        RoleGrant.objects.filter(unit__path__in=tree.ancestor_paths(unit.path), role=role)
        .select_related("user", "unit")
        .filter(user__is_active=True)
        .order_by("-unit__depth")
    )
    found: list[tuple[User, str]] = []
    depth = None
    for grant in grants:
        if depth is not None and grant.unit.depth != depth:
            break
        depth = grant.unit.depth
        found.append((grant.user, role.value))
    return found


def recipients_for(report: Report) -> list[tuple[User, str]]:
    """Who is told of a new report: the nearest managers and safety representatives, or for a
    corruption report sent to security, the nearest security coordinators alone.
    The reporter is never told of their own report, and nobody is told twice."""
    if report.route_to_security:
        # The line manager may be involved: only security is told, and only security can open it.
        people = _nearest(report.unit, Role.SECURITY)
    else:
        people = _nearest(report.unit, Role.MANAGER) + _nearest(report.unit, Role.SAFETY_REP)
    seen: set[int] = {report.reporter_id}
    recipients = []
    for user, role in people:
        if user.pk not in seen:
            seen.add(user.pk)
            recipients.append((user, role))
    return recipients


def mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=timezone.now())


def today() -> date:
    return timezone.localdate()
