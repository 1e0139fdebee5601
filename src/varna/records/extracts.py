"""The register extract (GDPR art. 15): what Värna holds about one person, made by an
administrator on the person's request, as JSON and as a PDF with the same content.

It gathers the person as a user (account, employments, roles, notifications, security log,
unsent drafts), as reporter and as affected employee (their reports, the handling that concerns
them, when and in which capacity each report was read) and as handler (the cases, without their
content). It leaves out other people's data: who else reported or was affected, who read, and
the whole part about who did it (its answers, `ActorDetails`, its attachments, its fields in
report versions and drafts). The extract is a plain dict with stable keys; dates and times stay
Python objects until `to_json` writes them in ISO 8601.
"""

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.cases.models import Case, CaseEvent, Measure
from varna.orgs import access, tree
from varna.orgs.models import Unit, User
from varna.records.answers import REPORT_ANSWERS, answers, field_label
from varna.records.printing import render_pdf
from varna.reporting.models import (
    Attachment,
    Draft,
    Notification,
    ReadLog,
    Report,
    ReportChange,
)
from varna.reporting.services import ACTOR_FIELDS, record_read

FORMAT = "varna.register_extract/1"
READ_PART = "register_extract"
READ_ROLE = "admin"
SEARCH_WORDS = 5
# Timeline lines whose note the employee reads on their report page too.
EMPLOYEE_NOTES = {
    CaseEvent.Kind.MEASURE_ADDED,
    CaseEvent.Kind.MEASURE_CHANGED,
    CaseEvent.Kind.POLICE,
    CaseEvent.Kind.NO_MEASURES,
    CaseEvent.Kind.NOT_UNLAWFUL,
}


@dataclass(frozen=True)
class Extract:
    person: User
    data: dict[str, Any]
    report_ids: list[int]  # the reports whose content is in the extract (for the read log)


def find_people(admin: User, query: str) -> QuerySet[User]:
    """People the administrator may make an extract of whose name, user name or e-mail holds
    every word of `query`; nobody outside the units they administer."""
    people = access.administered_people(admin)
    for word in query.split()[:SEARCH_WORDS]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    return people.order_by("last_name", "first_name", "username")


def build(person: User) -> Extract:
    """Everything Värna holds about `person`, without other people's data or the actor part."""
    reports = list(
        Report.objects.filter(Q(reporter=person) | Q(affected=person))
        .select_related("unit")
        .order_by("submitted_at", "pk")
    )
    data = {
        "format": FORMAT,
        "made_at": timezone.now(),
        "about": _about(person),
        "account": _account(person),
        "employments": _employments(person),
        "roles": _roles(person),
        "reports": [_report(report, person) for report in reports],
        "cases_handled": _cases_handled(person),
        "report_versions": _versions(person),
        "notifications": _notifications(person),
        "security_log": _security_log(person),
        "drafts": _drafts(person),
    }
    return Extract(person=person, data=data, report_ids=[report.pk for report in reports])


def _about(person: User) -> dict[str, Any]:
    """Art. 15's other answers: who holds the data, why, on what basis, who gets it, how long."""
    paths = {
        path[: tree.SEGMENT]
        for path in Unit.objects.filter(
            Q(employments__user=person) | Q(role_grants__user=person)
        ).values_list("path", flat=True)
    }
    roots = Unit.objects.filter(path__in=paths).order_by("name").values_list("name", flat=True)
    return {
        "controllers": list(roots),
        "purposes": _(
            "Handling reports of unlawful influence against staff: the employer's "
            "work-environment duties, support to the employee, police reports, notices to "
            "authorities and follow-up."
        ),
        "legal_basis": _(
            "Legal obligation (the Work Environment Act) and tasks in the public interest; "
            "not consent."
        ),
        "recipients": _(
            "Within the municipality, those whose roles give them access (managers, safety "
            "representatives, HR, security); outside it only when the law requires, for "
            "example the police, Arbetsmiljöverket or Försäkringskassan."
        ),
        "retention": _(
            "As long as the municipality's information management plan says for each kind of "
            "information; then destroyed, with only anonymous statistics kept."
        ),
        "rights": _(
            "You may ask for wrong data to be corrected, for processing to be restricted, and "
            "complain to the Swedish Authority for Privacy Protection (IMY). Reports are "
            "official documents and are kept as the law requires."
        ),
    }


def _choice(obj: Any, field: str) -> dict[str, Any]:
    """A coded value and its label, under the field's name and the name with `_text`."""
    return {
        field: getattr(obj, field),
        f"{field}_text": str(getattr(obj, f"get_{field}_display")()),
    }


def _account(person: User) -> dict[str, Any]:
    return {
        "name": person.get_full_name(),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "username": person.get_username(),
        "email": person.email,
        "employee_number": person.employee_number or "",
        "created_at": person.date_joined,
        "last_login": person.last_login,
        "is_active": person.is_active,
    }


def _employments(person: User) -> list[dict[str, Any]]:
    return [
        {
            "unit": employment.unit.name,
            "title": employment.title,
            "start_date": employment.start_date,
            "end_date": employment.end_date,
        }
        for employment in person.employments.select_related("unit").order_by("unit__path")
    ]


def _roles(person: User) -> list[dict[str, Any]]:
    return [
        {
            **_choice(grant, "role"),
            "unit": grant.unit.name,
            "title": grant.title,
            "granted_at": grant.created_at,
            "from_group": grant.is_from_group,
        }
        for grant in person.role_grants.select_related("unit").order_by("unit__path", "role")
    ]


def _report(report: Report, person: User) -> dict[str, Any]:
    about_you = report.affected_id == person.pk
    case = Case.objects.filter(report=report).first()
    return {
        "number": report.number,
        "made_by_you": report.reporter_id == person.pk,
        "about_you": about_you,
        "unit": report.unit.name,
        "submitted_at": report.submitted_at,
        "answers": [asdict(answer) for answer in answers(report, REPORT_ANSWERS)],
        "description": report.description,
        "additions": [
            {"at": change.at, "text": change.added_text}
            for change in report.changes.exclude(added_text="").order_by("version")
        ],
        "case": _case(case, about_you) if case is not None else None,
        "attachments": [
            {
                **_choice(attachment, "part"),
                "label": attachment.label,
                "added_at": attachment.created_at,
            }
            for attachment in report.attachments.exclude(part=Attachment.Part.ACTOR)
        ],
        # When and in which capacity the report was read; never by whom.
        "reads": [
            {
                "at": read.created_at,
                "capacity": read.role,
                "capacity_text": read.get_role_label(),
                "part": read.part,
                "part_text": read.get_part_label(),
            }
            for read in ReadLog.objects.filter(report=report).order_by("created_at", "pk")
        ],
    }


def _case(case: Case, about_you: bool) -> dict[str, Any]:
    """The handling as the employee follows it: the status for whoever reported; the steps,
    measures and support only for the person it happened to."""
    found: dict[str, Any] = {
        **_choice(case, "state"),
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "not_unlawful": case.not_unlawful,
        "not_unlawful_reason": case.not_unlawful_reason,
        "outcome": "",
        "timeline_for_you": [],
        "measures_for_you": [],
        "support_for_you": [],
    }
    if not about_you:
        return found
    found["outcome"] = case.outcome
    found["timeline_for_you"] = [
        {
            "at": event.at,
            **_choice(event, "kind"),
            "note": event.note if event.kind in EMPLOYEE_NOTES else "",
        }
        for event in case.events.filter(for_employee=True)
    ]
    found["measures_for_you"] = [
        {
            **_choice(measure, "kind"),
            "what": measure.what,
            **_choice(measure, "status"),
            "due_on": measure.due_on,
            "done_on": measure.done_on,
        }
        for measure in case.measures.filter(scope=Measure.Scope.INDIVIDUAL)
    ]
    found["support_for_you"] = [
        {
            **_choice(support, "kind"),
            **_choice(support, "status"),
            "offered_on": support.offered_on,
            "given_on": support.given_on,
            "follow_up_due_on": support.follow_up_due_on,
            "followed_up_on": support.followed_up_on,
            "note": support.note,
        }
        for support in case.supports.all()
    ]
    return found


def _cases_handled(person: User) -> list[dict[str, Any]]:
    """Cases the person handles or took part in handling: number, unit, dates and state, not
    their content (it is about other people)."""
    handler = set(Case.objects.filter(handler=person).values_list("pk", flat=True))
    assigned = set(Case.objects.filter(assignments__user=person).values_list("pk", flat=True))
    wrote = set(Case.objects.filter(events__actor=person).values_list("pk", flat=True))
    cases = (
        Case.objects.filter(pk__in=handler | assigned | wrote)
        .exclude(Q(report__reporter=person) | Q(report__affected=person))
        .select_related("report", "unit")
        .order_by("opened_at", "pk")
    )
    return [
        {
            "number": case.report.number,
            "unit": case.unit.name,
            "opened_at": case.opened_at,
            "closed_at": case.closed_at,
            **_choice(case, "state"),
            "is_handler": case.pk in handler,
            "is_assigned": case.pk in assigned,
            "in_timeline": case.pk in wrote,
        }
        for case in cases
    ]


def _versions(person: User) -> list[dict[str, Any]]:
    """Report versions the person made: on their own reports with the values, on others'
    (as handler) which answers changed; the actor part's answers never."""
    found = []
    for change in (
        ReportChange.objects.filter(by=person).select_related("report").order_by("at", "pk")
    ):
        own = person.pk in (change.report.reporter_id, change.report.affected_id)
        fields = [item for item in change.fields if item["field"] not in ACTOR_FIELDS]
        found.append(
            {
                "report": change.report.number,
                "version": change.version,
                "at": change.at,
                **_choice(change, "kind"),
                "own_report": own,
                "fields": [item["field"] for item in fields],
                "fields_text": [field_label(Report, item["field"]) for item in fields],
                "changes": fields if own else [],
                "added_text": change.added_text if own else "",
                "reason": change.reason if own else "",
            }
        )
    return found


def _notifications(person: User) -> list[dict[str, Any]]:
    return [
        {
            "at": notification.created_at,
            **_choice(notification, "kind"),
            "topic": notification.topic,
            "topic_text": str(notification.get_topic_display()) if notification.topic else "",
            "report": notification.report.number if notification.report else None,
            "read_at": notification.read_at,
            **_choice(notification, "email_status"),
        }
        for notification in Notification.objects.filter(recipient=person)
        .select_related("report")
        .order_by("created_at", "pk")
    ]


def _security_log(person: User) -> list[dict[str, Any]]:
    """Sign-ins and other account events about the person (also failed ones under their user
    name), without who else took part."""
    events = SecurityEvent.objects.filter(
        Q(subject=person) | Q(subject=None, username=person.get_username())
    ).order_by("created_at", "pk")
    return [
        {"at": event.created_at, **_choice(event, "kind"), "ip_address": event.ip_address}
        for event in events
    ]


# What a draft may hold besides the report's answers (not the colleague chosen, nor the
# part about who did it).
DRAFT_KEYS = [*REPORT_ANSWERS, "description"]


def _draft_text(value: Any) -> str:
    """A draft holds what the form posted: text, or a list of the codes ticked."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _drafts(person: User) -> list[dict[str, Any]]:
    drafts = Draft.objects.filter(Q(user=person) | Q(user=None, meant_for=person))
    return [
        {
            "saved_at": draft.updated_at,
            "answers": [
                {
                    "field": key,
                    "question": field_label(Report, key),
                    "value": draft.data[key],
                    "text": _draft_text(draft.data[key]),
                }
                for key in DRAFT_KEYS
                if key in draft.data
            ],
        }
        for draft in drafts.order_by("updated_at", "pk")
    ]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # lazy translations, Decimal and the like


def to_json(extract: Extract) -> bytes:
    return json.dumps(extract.data, default=_json_value, ensure_ascii=False, indent=2).encode()


def to_pdf(extract: Extract) -> bytes:
    return render_pdf("records/extract_print.html", {"extract": extract.data})


@transaction.atomic
def record_extract(
    *, admin: User, extract: Extract, fmt: str, request: HttpRequest | None = None
) -> None:
    """Log a register extract: one security-log line (who made it, of whom, in which format)
    and a read-log row per report whose content it holds."""
    record_security_event(
        kind=SecurityEvent.Kind.REGISTER_EXTRACT,
        request=request,
        actor=admin,
        subject=extract.person,
        detail={"format": fmt, "reports": len(extract.report_ids)},
    )
    for report in Report.objects.filter(pk__in=extract.report_ids):
        record_read(user=admin, report=report, part=READ_PART, role=READ_ROLE)
