"""Every URL pattern x every demo role x (own part of the tree, another branch).

A URL pattern missing from MATRIX fails `test_every_url_pattern_is_in_the_matrix`, so no view
can be added without deciding who may reach it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from varna.accounts.models import GroupRole
from varna.audit.models import SecurityEvent
from varna.audits.models import Audit, Recommendation
from varna.audits.models import Measure as AuditMeasure
from varna.cases import services as case_services
from varna.cases.models import Case, SafetyRequest
from varna.handbook.models import Section
from varna.orgs import tree
from varna.orgs.demo import LOGINS
from varna.orgs.models import Employment, Headcount, RoleGrant, Unit
from varna.reporting.models import Attachment, Notification, ReadLog, Report, new_code
from varna.risk import services as risk_services
from varna.stats.models import ReportJob
from varna.training.models import Completion, Course
from varna.yearplan import services as yearplan_services
from varna.yearplan.models import Activity, ActivityTemplate

ANONYMOUS = "anonymous"
ROLES = [login.username for login in LOGINS] + [ANONYMOUS]

# For each demo login: a unit inside what they may see, and one in another branch of the tree.
PLACES = {
    "medarbetare": ("DEMO-FSE1A", "DEMO-FSE2A"),
    "forste": ("DEMO-FSE1A", "DEMO-FSE2A"),
    "enhetschef": ("DEMO-FSE1", "DEMO-MOT"),
    "forvaltningschef": ("DEMO-ALF", "DEMO-IFO"),
    "chef.mottagning": ("DEMO-MOT", "DEMO-FSE1"),
    "skyddsombud": ("DEMO-ALF", "DEMO-VOF"),
    "hr": ("DEMO-ALF", "DEMO-VOF"),
    "sakerhet": ("DEMO", "GRANN"),
    "redaktor": ("DEMO-FSE2A", "GRANN"),
    "utredare": ("DEMO-ALF", "DEMO-IFO"),
    "analytiker": ("DEMO", "GRANN"),
    "revisor": ("DEMO", "GRANN"),
    "admin": ("DEMO", "GRANN"),
    "chef.grannby": ("GRANN-EB", "DEMO-FSE1A"),
    "namnd": ("DEMO-ALN", "DEMO-IFN"),
    ANONYMOUS: ("DEMO", "GRANN"),
}


def in_subtree(model: type, code: str, lookup: str = "unit__path") -> Any:
    unit = Unit.objects.get(code=code)
    return model.objects.filter(tree.subtree_q(unit.path, lookup)).order_by("pk").first()


def security_event_in(code: str) -> SecurityEvent:
    employment = in_subtree(Employment, code)
    return SecurityEvent.objects.create(
        kind=SecurityEvent.Kind.LOGIN, subject=employment.user, username="x"
    )


def report_in(code: str, *, security: bool = False) -> Report:
    """A report of an event in the subtree of `code`, made by someone who is none of the cast."""
    unit = Unit.objects.get(code=code)
    cast = [login.username for login in LOGINS]
    candidates = Report.objects.filter(tree.subtree_q(unit.path, "unit__path"))
    candidates = candidates.exclude(reporter__username__in=cast).exclude(
        affected__username__in=cast
    )
    if security:
        return candidates.filter(route_to_security=True).first() or _routed_copy(candidates.first())
    # Not a case given to the security coordinator for its nature (a threat to life): its
    # access is the security route's, checked above.
    line = candidates.filter(route_to_security=False).exclude(main_form="corruption")
    return line.filter(case__assignments__isnull=True).first()


def _routed_copy(report: Report) -> Report:
    report.pk = None
    report.code = new_code()
    report.number = f"X-{report.number}"
    report.idempotency_key = uuid.uuid4()
    report.main_form = "corruption"
    report.route_to_security = True
    report.save()
    case_services.open_case(report)
    return report


def case_code_in(code: str, *, security: bool = False) -> str:
    report = report_in(code, security=security)
    assert Case.objects.filter(report=report).exists()
    return str(report.code)


def request_in(code: str) -> SafetyRequest:
    unit = Unit.objects.get(code=code)
    cast = [login.username for login in LOGINS]
    requester = (
        Employment.objects.filter(tree.subtree_q(unit.path, "unit__path"))
        .exclude(user__username__in=cast)
        .order_by("pk")
        .first()
    )
    assert requester is not None
    return SafetyRequest.objects.create(
        unit=unit, requested_by=requester.user, demand="Larm i receptionen"
    )


def late_request_in(code: str) -> SafetyRequest:
    """A request in the unit whose answer is late: the step to Arbetsmiljöverket is open."""
    request = request_in(code)
    request.answer_due_on = timezone.localdate() - timedelta(days=1)
    request.save(update_fields=["answer_due_on"])
    return request


def read_in(code: str) -> ReadLog:
    report = report_in(code)
    return ReadLog.objects.create(user=report.reporter, report=report, part="case", role="manager")


def attachment_in(code: str, part: str = "report") -> str:
    """A file in `part` of a line report of the subtree of `code`, stored as the service does."""
    attachment = Attachment(
        report=report_in(code),
        part=part,
        label="brev.pdf",
        content_type="application/pdf",
        extension=".pdf",
        size=9,
        sha256=uuid.uuid4().hex * 2,
    )
    attachment.file.save("brev.pdf", ContentFile(b"%PDF-1.4\n"))
    return str(attachment.code)


def notification_in(code: str) -> Notification:
    report = report_in(code)
    return Notification.objects.create(
        recipient=report.reporter, report=report, kind=Notification.Kind.NEW_REPORT
    )


def draft_in(code: str) -> str:
    """A fresh draft risk assessment of the unit `code`, started by its nearest manager."""
    unit = Unit.objects.get(code=code)
    manager = RoleGrant.objects.filter(
        unit__path__in=tree.ancestor_paths(unit.path), role="manager"
    ).first()
    by = manager.user if manager else Employment.objects.order_by("pk").first().user
    assessment = risk_services.start_assessment(unit=unit, by=by, assessed_on=date.today())
    return str(assessment.code)


def report_job_in(code: str) -> str:
    """A committee report of the unit `code`, asked for by someone who is none of the cast
    (a report is its owner's alone)."""
    cast = [login.username for login in LOGINS]
    owner = (
        Employment.objects.filter(tree.subtree_q(Unit.objects.get(code=code).path, "unit__path"))
        .exclude(user__username__in=cast)
        .order_by("pk")
        .first()
        .user
    )
    job = ReportJob.objects.create(
        owner=owner, query=f"unit={code}", title="x", status="done", pdf=b"%PDF-1.7"
    )
    return str(job.code)


def template_in(code: str) -> ActivityTemplate:
    """A year-plan template of the municipality that `code` lies in."""
    root = Unit.objects.get(path=Unit.objects.get(code=code).path[: tree.SEGMENT])
    return ActivityTemplate.objects.create(
        municipality=root,
        title=f"Matris {uuid.uuid4().hex[:6]}",
        description="x",
        kind="other",
        recurrence="yearly",
        due_month=6,
    )


def municipality_code(code: str) -> str:
    return Unit.objects.get(path=Unit.objects.get(code=code).path[: tree.SEGMENT]).code


def handbook_section(code: str) -> dict[str, Any]:
    """A default section of the handbook of the municipality `code` lies in."""
    return {"code": municipality_code(code), "slug": "stod"}


def handbook_version(code: str) -> dict[str, Any]:
    """The published version of that section (publishing it again is refused)."""
    section = Section.objects.get(municipality__code=municipality_code(code), slug="stod")
    return handbook_section(code) | {"pk": section.current_id}


def course_in(code: str) -> Course:
    """A course of the municipality that `code` lies in."""
    root = Unit.objects.get(path=Unit.objects.get(code=code).path[: tree.SEGMENT])
    return Course.objects.create(
        municipality=root, code=f"matris-{uuid.uuid4().hex[:6]}", name="Matriskurs"
    )


def completion_in(code: str) -> dict[str, Any]:
    """A completed course of someone employed in the subtree of `code` (imported, so taking
    it back is refused with a message: the page is reached, nothing is removed)."""
    employment = in_subtree(Employment, code)
    completion = Completion.objects.create(
        person=employment.user,
        course=course_in(code),
        completed_on=date(2025, 1, 15),
        source=Completion.Source.IMPORT,
    )
    return {"code": code, "pk": completion.pk}


def audit_in(code: str) -> dict[str, Any]:
    """An audit of the unit `code` with one recommendation and one measure, whose responsible
    person is none of the cast."""
    unit = Unit.objects.get(code=code)
    audit = Audit.objects.create(
        unit=unit, title="Matrisgranskning", reported_on=date(2025, 5, 1), auditors="Revisorerna"
    )
    recommendation = Recommendation.objects.create(audit=audit, number=1, text="Gör så.")
    cast = [login.username for login in LOGINS]
    responsible = (
        Employment.objects.filter(tree.subtree_q(unit.path[: tree.SEGMENT], "unit__path"))
        .exclude(user__username__in=cast)
        .order_by("pk")
        .first()
        .user
    )
    measure = AuditMeasure.objects.create(
        recommendation=recommendation,
        text="Åtgärd",
        responsible=responsible,
        due_on=date.today() + timedelta(days=30),
    )
    return {"code": audit.code, "number": 1, "pk": measure.pk}


def recommendation_of(parts: dict[str, Any]) -> dict[str, Any]:
    return {"code": parts["code"], "number": parts["number"]}


def activity_in(code: str) -> str:
    """An activity of the unit `code` itself (a fresh template, generated for a later year)."""
    unit = Unit.objects.get(code=code)
    tpl = template_in(code)
    tpl.unit_kinds = [unit.kind]
    tpl.save()
    yearplan_services.generate_year(unit, date.today().year + 2)
    return str(Activity.objects.get(template=tpl, unit=unit).code)


OBJECTS: dict[str, Callable[[str], Any]] = {
    "unit": lambda code: Unit.objects.get(code=code),
    "headcount": lambda code: in_subtree(Headcount, code),
    "rolegrant": lambda code: in_subtree(RoleGrant, code),
    "grouprole": lambda code: GroupRole.objects.get_or_create(
        group=f"grupp-{code}", role="hr", unit=Unit.objects.get(code=code)
    )[0],
    "user": lambda code: in_subtree(Employment, code).user,
    "securityevent": security_event_in,
    "notification": notification_in,
    "readlog": read_in,
    "activitytemplate": template_in,
    "course": course_in,
}

# Who reads an ordinary report (not corruption, not sent to security) in their own subtree.
REPORT_READERS = {
    "forste",
    "enhetschef",
    "forvaltningschef",
    "chef.mottagning",
    "chef.grannby",
    "skyddsombud",
}
# Who reads a report sent to security in their own subtree.
SECURITY_READERS = {"sakerhet"}
MANAGERS = {"forste", "enhetschef", "forvaltningschef", "chef.mottagning", "chef.grannby"}
# Who opens a line case: its managers, the safety representative, HR (support parts).
CASE_READERS = REPORT_READERS | {"hr"}
# Who reads a unit's risk assessments in full.
RISK_READERS = MANAGERS | {"skyddsombud"}
# Who sees the year plan (compliance): managers, safety representatives, analysts, auditors.
YEARPLAN_VIEWERS = MANAGERS | {"skyddsombud", "analytiker", "revisor"}
# Who sees how well the year plan is kept (the share done on time): also HR and the committee.
YEARPLAN_COMPLIANCE_VIEWERS = YEARPLAN_VIEWERS | {"hr", "namnd"}
# Who has case work anywhere (the inbox): managers, safety representatives, HR, security.
CASE_WORKERS = MANAGERS | {"skyddsombud", "hr", "sakerhet"}
# Who sees and registers the training of the staff of their subtree: managers and HR.
TRAINING_KEEPERS = MANAGERS | {"hr"}
# Who reads the audits of their part of the tree, and who keeps them.
AUDIT_KEEPERS = {"admin"}
AUDIT_READERS = {"revisor", "analytiker", "namnd"} | AUDIT_KEEPERS
# The list is also open to those responsible for a measure (the demo's audit names these).
AUDIT_LIST = AUDIT_READERS | {"forvaltningschef", "enhetschef"}
# Who follows up figures (exact for those who may open the cases, adjusted by
# varna.core.perturbation for the others); the committee member at nämnd and förvaltning level.
STATS_VIEWERS = MANAGERS | {"skyddsombud", "hr", "sakerhet", "analytiker", "revisor", "namnd"}


def anywhere(who: set[str], ok: int = 200) -> Callable[[str, str], int]:
    """Pages that list only what the user may see: open to `who` wherever they are."""

    def expect(role: str, where: str) -> int:
        if role == ANONYMOUS:
            return 302
        return ok if role in who else 404

    return expect


def readers(who: set[str], ok: int = 200) -> Callable[[str, str], int]:
    def expect(role: str, where: str) -> int:
        if role == ANONYMOUS:
            return 302
        return ok if where == "own" and role in who else 404

    return expect


def logged_in_only(ok: int, anonymous: int = 302) -> Callable[[str, str], int]:
    return lambda role, where: anonymous if role == ANONYMOUS else ok


def scoped(ok: int = 200) -> Callable[[str, str], int]:
    def expect(role: str, where: str) -> int:
        if role == ANONYMOUS:
            return 302
        return ok if where == "own" else 404

    return expect


def administrator(ok: int = 200, *, object_scoped: bool) -> Callable[[str, str], int]:
    def expect(role: str, where: str) -> int:
        if role == ANONYMOUS:
            return 302
        if role != "admin":
            return 404
        return ok if where == "own" or not object_scoped else 404

    return expect


def handbook_readers(ok: int = 200) -> Callable[[str, str], int]:
    """Everyone with a role in a municipality reads its handbook, wherever their role lies."""

    def expect(role: str, where: str) -> int:
        if role == ANONYMOUS:
            return 302
        own, other = (code.split("-")[0] for code in PLACES[role])
        return ok if where == "own" or own == other else 404

    return expect


def handbook_editors(ok: int = 200) -> Callable[[str, str], int]:
    def expect(role: str, where: str) -> int:
        if role == ANONYMOUS:
            return 302
        return ok if role == "redaktor" and where == "own" else 404

    return expect


@dataclass
class Route:
    expect: Callable[[str, str], int]
    method: str = "get"
    kwargs: Callable[[str], dict[str, Any]] | None = None
    query: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    url_name: str = ""  # when one URL pattern has several rows (a second kind of object)


def admin_model_routes(app: str, model: str, *, read_only: bool = False) -> dict[str, Route]:
    def obj(code: str) -> dict[str, Any]:
        return {"object_id": OBJECTS[model](code).pk}

    routes = {
        f"admin:{app}_{model}_changelist": Route(administrator(object_scoped=False)),
        f"admin:{app}_{model}_change": Route(administrator(object_scoped=True), kwargs=obj),
    }
    if not read_only:
        routes |= {
            # The old-style address redirects to the change page, which does the scoping.
            f"admin/{app}/{model}/<path:object_id>/": Route(
                administrator(302, object_scoped=False), kwargs=obj
            ),
            f"admin:{app}_{model}_add": Route(administrator(object_scoped=False)),
            f"admin:{app}_{model}_history": Route(administrator(object_scoped=True), kwargs=obj),
            f"admin:{app}_{model}_delete": Route(administrator(object_scoped=True), kwargs=obj),
        }
    return routes


MATRIX: dict[str, Route] = {
    "home:start": Route(logged_in_only(200)),
    "health": Route(lambda role, where: 200),
    "accounts:login": Route(lambda role, where: 200 if role == ANONYMOUS else 302),
    "accounts:logout": Route(lambda role, where: 302, method="post"),
    "accounts:keep_alive": Route(logged_in_only(204, anonymous=401), method="post"),
    "accounts:security": Route(logged_in_only(200)),
    "accounts:end_sessions": Route(lambda role, where: 302, method="post"),
    # An unknown invitation link is gone for everyone; choosing a password needs one.
    "accounts:invitation": Route(lambda role, where: 410, kwargs=lambda code: {"token": "x"}),
    "accounts:set_password": Route(lambda role, where: 404),
    # allauth's pages under /konto/: the same login and logout, password reset for anyone,
    # the rest for the signed-in person about their own account only.
    "account_login": Route(lambda role, where: 200 if role == ANONYMOUS else 302),
    "account_logout": Route(lambda role, where: 302, method="post"),
    "account_inactive": Route(lambda role, where: 200),
    "account_reset_password": Route(lambda role, where: 200),
    "account_reset_password_done": Route(lambda role, where: 200),
    "account_reset_password_from_key": Route(
        lambda role, where: 200, kwargs=lambda code: {"uidb36": "x", "key": "y"}
    ),
    "account_reset_password_from_key_done": Route(lambda role, where: 200),
    "account_change_password": Route(logged_in_only(200)),
    # Everyone in the cast has a password, so choosing one leads to changing it.
    "account_set_password": Route(lambda role, where: 302),
    "account_reauthenticate": Route(logged_in_only(200)),
    "usersessions_list": Route(logged_in_only(200)),
    "mfa_index": Route(logged_in_only(200)),
    # Only during a sign-in that waits for the second factor; otherwise back to the start.
    "mfa_authenticate": Route(lambda role, where: 302),
    "mfa_reauthenticate": Route(lambda role, where: 302),
    # Adding a factor asks for the password again first (the cast signed in long ago).
    "mfa_activate_totp": Route(lambda role, where: 302),
    "mfa_deactivate_totp": Route(logged_in_only(404)),
    "mfa_view_recovery_codes": Route(logged_in_only(404)),
    "mfa_generate_recovery_codes": Route(lambda role, where: 302),
    "mfa_download_recovery_codes": Route(logged_in_only(404)),
    "mfa_list_webauthn": Route(logged_in_only(200)),
    "mfa_add_webauthn": Route(lambda role, where: 302),
    "mfa_reauthenticate_webauthn": Route(lambda role, where: 302),
    # Another person's passkey is out of reach (reauthentication comes first, then 404).
    "mfa_remove_webauthn": Route(lambda role, where: 302, kwargs=lambda code: {"pk": 1}),
    "mfa_edit_webauthn": Route(lambda role, where: 302, kwargs=lambda code: {"pk": 1}),
    # No identity provider is configured in the matrix: single sign-on is not found.
    "openid_connect_login": Route(
        lambda role, where: 404, method="post", kwargs=lambda code: {"provider_id": "kommun"}
    ),
    "openid_connect_callback": Route(
        lambda role, where: 404, kwargs=lambda code: {"provider_id": "kommun"}
    ),
    "socialaccount_login_error": Route(lambda role, where: 401),
    "socialaccount_login_cancelled": Route(lambda role, where: 200),
    "saml_acs": Route(
        lambda role, where: 302, method="post", kwargs=lambda code: {"organization_slug": "kommun"}
    ),
    "saml_finish_acs": Route(
        lambda role, where: 404, kwargs=lambda code: {"organization_slug": "kommun"}
    ),
    "saml_sls": Route(lambda role, where: 404, kwargs=lambda code: {"organization_slug": "kommun"}),
    "saml_metadata": Route(
        lambda role, where: 404, kwargs=lambda code: {"organization_slug": "kommun"}
    ),
    "saml_login": Route(
        lambda role, where: 404, kwargs=lambda code: {"organization_slug": "kommun"}
    ),
    "set_language": Route(lambda role, where: 302, method="post", data={"language": "en"}),
    "orgs:overview": Route(logged_in_only(200)),
    "orgs:unit": Route(scoped(), kwargs=lambda code: {"code": code}),
    "reporting:new": Route(logged_in_only(200)),
    # Without a session the draft is kept only for a browser that had the form open while
    # logged in (a signed cookie); a stranger stores nothing.
    "reporting:draft": Route(
        lambda role, where: 401 if role == ANONYMOUS else 204,
        method="post",
        data={"description": "x"},
    ),
    "reporting:mine": Route(logged_in_only(200)),
    "reporting:notifications": Route(logged_in_only(200)),
    "reporting:guidance": Route(logged_in_only(302), kwargs=lambda code: {"slug": "stod"}),
    "reporting:detail": Route(
        readers(REPORT_READERS), kwargs=lambda code: {"code": report_in(code).code}
    ),
    "reporting:receipt": Route(readers(set()), kwargs=lambda code: {"code": report_in(code).code}),
    # Completing a sent report: its employee and its handlers (none of the cast made these).
    "cases:complete_report": Route(
        readers(MANAGERS), kwargs=lambda code: {"code": report_in(code).code}
    ),
    "reporting:detail (security)": Route(
        readers(SECURITY_READERS),
        kwargs=lambda code: {"code": report_in(code, security=True).code},
        url_name="reporting:detail",
    ),
    "cases:inbox": Route(anywhere(CASE_WORKERS)),
    "cases:detail": Route(readers(CASE_READERS), kwargs=lambda code: {"code": case_code_in(code)}),
    "cases:detail (security)": Route(
        readers(SECURITY_READERS),
        kwargs=lambda code: {"code": case_code_in(code, security=True)},
        url_name="cases:detail",
    ),
    "cases:police_draft": Route(
        readers(MANAGERS), kwargs=lambda code: {"code": case_code_in(code)}
    ),
    # A comment: managers and the safety representative of the unit; a success redirects.
    "cases:step": Route(
        readers(MANAGERS | {"skyddsombud"}, 302),
        method="post",
        kwargs=lambda code: {"code": case_code_in(code), "step": "comment"},
        data={"text": "Vi behöver larm i receptionen."},
    ),
    # Handling steps are for handlers only: a safety representative gets 404, not a form.
    "cases:step (handler)": Route(
        readers(MANAGERS),
        method="post",
        kwargs=lambda code: {"code": case_code_in(code), "step": "police"},
        data={"police_decision": "no_report"},
        url_name="cases:step",
    ),
    "cases:requests": Route(anywhere(MANAGERS | {"skyddsombud"})),
    "cases:request_new": Route(anywhere({"skyddsombud"})),
    "cases:request": Route(
        readers(MANAGERS | {"skyddsombud"}), kwargs=lambda code: {"code": request_in(code).code}
    ),
    # The prefilled request to Arbetsmiljöverket: the request's readers, once it is late.
    "cases:request_authority": Route(
        readers(MANAGERS | {"skyddsombud"}),
        kwargs=lambda code: {"code": late_request_in(code).code},
    ),
    # Attachments: the report's handlers add (without a file, the form comes back with a
    # message); each part is downloaded by those who see that part.
    "records:attachment_add": Route(
        readers(MANAGERS, 302),
        method="post",
        kwargs=lambda code: {"code": case_code_in(code)},
        data={"back": "case"},
    ),
    "records:attachment": Route(
        readers(REPORT_READERS), kwargs=lambda code: {"code": attachment_in(code)}
    ),
    "records:attachment (actor)": Route(
        readers(MANAGERS),
        kwargs=lambda code: {"code": attachment_in(code, "actor")},
        url_name="records:attachment",
    ),
    "records:attachment (case)": Route(
        readers(MANAGERS | {"skyddsombud"}),
        kwargs=lambda code: {"code": attachment_in(code, "case")},
        url_name="records:attachment",
    ),
    # Risk assessments: managers keep them, safety representatives take part, every employee
    # reads the summary of their own unit.
    "risk:index": Route(logged_in_only(200)),
    "risk:unit": Route(readers(RISK_READERS), kwargs=lambda code: {"code": code}),
    "risk:summary": Route(scoped(), kwargs=lambda code: {"code": code}),
    "risk:new": Route(readers(MANAGERS), kwargs=lambda code: {"code": code}),
    "risk:detail": Route(readers(RISK_READERS), kwargs=lambda code: {"code": draft_in(code)}),
    "risk:print": Route(readers(RISK_READERS), kwargs=lambda code: {"code": draft_in(code)}),
    "risk:pdf": Route(readers(RISK_READERS), kwargs=lambda code: {"code": draft_in(code)}),
    "risk:step": Route(
        readers(MANAGERS, 302),
        method="post",
        kwargs=lambda code: {"code": draft_in(code), "name": "risk"},
        data={"situation": "reception", "likelihood": "2", "consequence": "3"},
    ),
    "risk:step (respond)": Route(
        readers({"skyddsombud"}, 302),
        method="post",
        kwargs=lambda code: {"code": draft_in(code), "name": "respond"},
        data={"response": "confirmed"},
        url_name="risk:step",
    ),
    # The year plan: compliance for its viewers, marking done for the unit's managers only.
    "handbook:index": Route(logged_in_only(302)),
    "handbook:contents": Route(
        handbook_readers(), kwargs=lambda code: {"code": municipality_code(code)}
    ),
    "handbook:search": Route(
        handbook_readers(),
        kwargs=lambda code: {"code": municipality_code(code)},
        query={"q": "stöd"},
    ),
    "handbook:print_all": Route(
        handbook_readers(), kwargs=lambda code: {"code": municipality_code(code)}
    ),
    "handbook:pdf_all": Route(
        handbook_readers(), kwargs=lambda code: {"code": municipality_code(code)}
    ),
    "handbook:new": Route(
        handbook_editors(), kwargs=lambda code: {"code": municipality_code(code)}
    ),
    "handbook:section": Route(handbook_readers(), kwargs=handbook_section),
    "handbook:print": Route(handbook_readers(), kwargs=handbook_section),
    "handbook:pdf": Route(handbook_readers(), kwargs=handbook_section),
    "handbook:history": Route(handbook_readers(), kwargs=handbook_section),
    "handbook:edit": Route(handbook_editors(), kwargs=handbook_section),
    "handbook:version": Route(handbook_readers(), kwargs=handbook_version),
    # Publishing a version already published is refused: back to its page with the message.
    "handbook:publish": Route(handbook_editors(302), method="post", kwargs=handbook_version),
    "audits:list": Route(anywhere(AUDIT_LIST)),
    "audits:new": Route(anywhere(AUDIT_KEEPERS)),
    "audits:detail": Route(
        readers(AUDIT_READERS), kwargs=lambda code: {"code": audit_in(code)["code"]}
    ),
    "audits:edit": Route(
        readers(AUDIT_KEEPERS), kwargs=lambda code: {"code": audit_in(code)["code"]}
    ),
    "audits:recommendation_new": Route(
        readers(AUDIT_KEEPERS), kwargs=lambda code: {"code": audit_in(code)["code"]}
    ),
    "audits:recommendation": Route(
        readers(AUDIT_READERS), kwargs=lambda code: recommendation_of(audit_in(code))
    ),
    "audits:measure_new": Route(
        readers(AUDIT_KEEPERS), kwargs=lambda code: recommendation_of(audit_in(code))
    ),
    "audits:measure": Route(
        readers(AUDIT_READERS), kwargs=lambda code: {"pk": audit_in(code)["pk"]}
    ),
    "training:mine": Route(logged_in_only(200)),
    "training:unit": Route(readers(TRAINING_KEEPERS), kwargs=lambda code: {"code": code}),
    "training:register": Route(readers(TRAINING_KEEPERS), kwargs=lambda code: {"code": code}),
    "training:withdraw": Route(readers(TRAINING_KEEPERS, 302), method="post", kwargs=completion_in),
    "yearplan:overview": Route(anywhere(YEARPLAN_VIEWERS)),
    "yearplan:compliance": Route(anywhere(YEARPLAN_COMPLIANCE_VIEWERS)),
    "yearplan:compliance (other unit)": Route(
        anywhere(YEARPLAN_COMPLIANCE_VIEWERS),
        query={"enhet": "GRANN-EB"},
        url_name="yearplan:compliance",
    ),
    "yearplan:unit": Route(readers(YEARPLAN_VIEWERS), kwargs=lambda code: {"code": code}),
    "yearplan:activity": Route(
        readers(YEARPLAN_VIEWERS), kwargs=lambda code: {"code": activity_in(code)}
    ),
    "yearplan:activity (done)": Route(
        readers(MANAGERS, 302),
        method="post",
        kwargs=lambda code: {"code": activity_in(code)},
        data={"step": "done", "note": "Genomfört på APT"},
        url_name="yearplan:activity",
    ),
    # Follow-up: every page lists only the user's own part of the tree (another unit in the
    # URL gets a message, not its figures); the case export is for managers; a committee
    # report is its owner's alone.
    "stats:dashboard": Route(anywhere(STATS_VIEWERS)),
    "stats:dashboard (other unit)": Route(
        anywhere(STATS_VIEWERS), query={"unit": "GRANN-EB"}, url_name="stats:dashboard"
    ),
    "stats:export": Route(
        anywhere(STATS_VIEWERS), kwargs=lambda code: {"table": "form", "fmt": "csv"}
    ),
    "stats:export_cases": Route(anywhere(MANAGERS)),
    "stats:report_new": Route(anywhere(STATS_VIEWERS, 302), method="post", data={"period": "year"}),
    "stats:report": Route(readers(set()), kwargs=lambda code: {"code": report_job_in(code)}),
    "stats:report_pdf": Route(readers(set()), kwargs=lambda code: {"code": report_job_in(code)}),
    # Register extracts: administrators, of people placed only in what they administer. A copy
    # for a public-records request: the case's handlers only.
    "records:extracts": Route(administrator(object_scoped=False)),
    "records:extract_json": Route(
        administrator(object_scoped=True),
        kwargs=lambda code: {"username": OBJECTS["user"](code).username},
    ),
    "records:extract_pdf": Route(
        administrator(object_scoped=True),
        kwargs=lambda code: {"username": OBJECTS["user"](code).username},
    ),
    "records:records_copy": Route(
        readers(MANAGERS), kwargs=lambda code: {"code": case_code_in(code)}
    ),
    "records:records_copy (security)": Route(
        readers(SECURITY_READERS),
        kwargs=lambda code: {"code": case_code_in(code, security=True)},
        url_name="records:records_copy",
    ),
    "records:records_copy_pdf": Route(
        readers(MANAGERS), kwargs=lambda code: {"code": case_code_in(code)}
    ),
    # Retention and destruction: the administrators of the whole municipality (a unit below
    # the root is 404 too); the installation's own kinds for superusers, of whom the cast has
    # none.
    "records:retention": Route(
        administrator(object_scoped=True), kwargs=lambda code: {"code": code}
    ),
    "records:retention_preview": Route(
        administrator(object_scoped=True), kwargs=lambda code: {"code": code}
    ),
    "records:retention_period": Route(
        administrator(object_scoped=True), kwargs=lambda code: {"code": code, "kind": "cases"}
    ),
    "records:retention_period (save)": Route(
        administrator(302, object_scoped=True),
        method="post",
        kwargs=lambda code: {"code": code, "kind": "cases"},
        data={"months": "120", "basis": "Informationshanteringsplan, dnr 2026/14"},
        url_name="records:retention_period",
    ),
    "records:privacy": Route(logged_in_only(200)),
    "records:retention_installation": Route(logged_in_only(404)),
    "records:retention_installation_preview": Route(logged_in_only(404)),
    "records:retention_installation_period": Route(
        logged_in_only(404), kwargs=lambda code: {"kind": "drafts"}
    ),
    "admin:index": Route(administrator(object_scoped=False)),
    "admin:login": Route(lambda role, where: 302),
    "admin:logout": Route(administrator(302, object_scoped=False), method="post"),
    "admin:password_change": Route(administrator(object_scoped=False)),
    "admin:password_change_done": Route(administrator(object_scoped=False)),
    "admin:jsi18n": Route(administrator(object_scoped=False)),
    "admin:autocomplete": Route(
        administrator(object_scoped=False),
        query={"app_label": "orgs", "model_name": "rolegrant", "field_name": "unit", "term": "a"},
    ),
    "admin:view_on_site": Route(
        administrator(404, object_scoped=False),
        kwargs=lambda code: {"content_type_id": 1, "object_id": Unit.objects.get(code=code).pk},
    ),
    "admin:app_list": Route(
        administrator(object_scoped=False), kwargs=lambda code: {"app_label": "orgs"}
    ),
    "admin:auth_user_password_change": Route(
        administrator(object_scoped=True), kwargs=lambda code: {"id": OBJECTS["user"](code).pk}
    ),
    **admin_model_routes("orgs", "unit"),
    **admin_model_routes("orgs", "headcount"),
    **admin_model_routes("orgs", "user"),
    **admin_model_routes("orgs", "rolegrant"),
    **admin_model_routes("accounts", "grouprole"),
    **admin_model_routes("audit", "securityevent", read_only=True),
    **admin_model_routes("reporting", "notification", read_only=True),
    **admin_model_routes("reporting", "readlog", read_only=True),
    **admin_model_routes("yearplan", "activitytemplate"),
    **admin_model_routes("training", "course"),
}


def url_patterns(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> list[str]:
    """Every URL pattern as `namespace:name`, or its route when it has no name."""
    found: list[str] = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            found += url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                found.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)
            else:
                found.append(prefix + str(pattern.pattern))
    return found


def test_every_url_pattern_is_in_the_matrix():
    patterns = url_patterns()
    assert len(patterns) == len(set(patterns)), "two URL patterns share a name"
    assert sorted(set(patterns) - {route.url_name or key for key, route in MATRIX.items()}) == [], (
        "URL patterns without an access rule"
    )
    covered = {route.url_name or key for key, route in MATRIX.items()}
    assert sorted(covered - set(patterns)) == [], "rules for URL patterns that do not exist"


def build_url(key: str, route: Route, code: str) -> str:
    kwargs = route.kwargs(code) if route.kwargs else {}
    if not key.startswith("admin/"):
        return reverse(route.url_name or key, kwargs=kwargs)
    url = "/" + key
    for name, value in kwargs.items():
        url = url.replace(f"<path:{name}>", str(value))
    return url


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(MATRIX))
def test_access_matrix(key, role, cast):
    route = MATRIX[key]
    client = cast.client(None if role == ANONYMOUS else role)
    failures = []
    for where, code in zip(("own", "other"), PLACES[role], strict=True):
        url = build_url(key, route, code)
        if route.method == "get":
            response = client.get(url, route.query)
        else:
            response = client.post(url, route.data)
        expected = route.expect(role, where)
        if response.status_code != expected:
            failures.append(f"{where} {url}: got {response.status_code}, expected {expected}")
        if route.method == "post":  # logging out or switching language changes the client
            client = cast.client(None if role == ANONYMOUS else role)
    assert not failures, f"{role} on {key}: " + "; ".join(failures)
