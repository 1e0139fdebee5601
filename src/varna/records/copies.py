"""A copy of a case for a request for an official document (begäran om allmän handling).

The handler makes it so that the registrar does not start the secrecy review from a blank page:
the whole report and case, with the passages that are usually secret marked, each with its
category (DOMAIN §10): the part about who did it, health data, and the employee's identity and
contact details. The marking is a starting point for the review, never its decision: free text
(the description, notes) is not searched, and the registrar reads everything before deciding.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from varna.cases import services as case_services
from varna.cases.models import ActorDetails, Case, CaseEvent, Cause, Measure
from varna.cases.rules import INJURY_CONSEQUENCES, Serious
from varna.records.answers import ACTOR_ANSWERS, REPORT_ANSWERS, answers, field_label
from varna.records.printing import render_pdf
from varna.reporting.models import Attachment, Report
from varna.reporting.selectors import additions, history
from varna.reporting.services import ACTOR_FIELDS
from varna.reporting.taxonomy import KiaType


class Secrecy(models.TextChoices):
    """Why a passage is marked for the secrecy review."""

    ACTOR = "actor", gettext_lazy("About who did it")
    HEALTH = "health", gettext_lazy("Health data")
    IDENTITY = "identity", gettext_lazy("The employee's identity and contact details")


Marks = tuple[Secrecy, ...]


@dataclass(frozen=True)
class Line:
    label: str
    text: str
    marks: Marks = ()
    anchor: str = ""  # set when marked: the summary links to it


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line]
    marks: Marks = ()  # the whole section is marked
    empty: str = ""  # shown when there are no lines

    @property
    def anchor(self) -> str:
        return f"section-{self.key}"


@dataclass(frozen=True)
class Passage:
    """One entry of the summary box: where a marked passage is and why."""

    anchor: str
    section: str
    label: str
    marks: Marks


@dataclass
class RecordsCopy:
    case: Case
    made_at: datetime
    sections: list[Section] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


HEALTH_REASONS = {Serious.INJURY, Serious.SHOCK, Serious.SEVERAL_INJURED}


def build(case: Case) -> RecordsCopy:
    """The report and case in full, with every usually secret passage marked and listed."""
    report = case.report
    sections = [
        _case_section(case),
        _report_section(report),
        _actor_section(case),
        _history_section(report),
        _investigation_section(case),
        _measures_section(case),
        _police_section(case),
        _serious_section(case),
        _injury_section(case),
        _support_section(case),
        _requests_section(case),
        _attachments_section(report),
        _timeline_section(case),
    ]
    copy = RecordsCopy(case=case, made_at=timezone.now())
    for section in sections:
        if section.marks:
            copy.passages.append(Passage(section.anchor, section.title, "", section.marks))
        for index, line in enumerate(section.lines):
            if line.marks and not section.marks:
                anchor = f"{section.anchor}-{index + 1}"
                section.lines[index] = replace(line, anchor=anchor)
                copy.passages.append(Passage(anchor, section.title, line.label, line.marks))
        copy.sections.append(section)
    return copy


def to_pdf(copy: RecordsCopy) -> bytes:
    return render_pdf("records/records_copy.html", {"copy": copy})


# Formatting -------------------------------------------------------------------------------


def _at(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _lines(pairs: Iterable[tuple[Any, Any]]) -> list[Line]:
    """Lines for the labelled values that are filled in."""
    return [Line(str(label), str(text)) for label, text in pairs if text not in ("", None)]


def _marks(*found: Secrecy | None) -> Marks:
    return tuple(dict.fromkeys(mark for mark in found if mark is not None))


def _answer_marks(name: str, value: Any) -> Marks:
    """Which categories an answer of the report falls in, given its value."""
    if name in ACTOR_FIELDS:
        return (Secrecy.ACTOR,)
    if name == "consequences" and INJURY_CONSEQUENCES & set(value or []):
        return (Secrecy.HEALTH,)
    if name == "kia_type" and value == KiaType.ACCIDENT:
        return (Secrecy.HEALTH,)  # an accident means someone was injured
    if name == "wants_occupational_health" and value:
        return (Secrecy.HEALTH,)
    if name == "workplace_address_only" and value:
        return (Secrecy.IDENTITY,)
    return ()


# Sections ---------------------------------------------------------------------------------


def _case_section(case: Case) -> Section:
    report = case.report
    lines = _lines(
        [
            (_("Report number"), report.number),
            (_("Unit"), case.unit.name),
            (_("Received"), _at(case.opened_at)),
            (_("Status"), case.get_state_display()),
            (_("Handler"), _name(case.handler) or _("Nobody yet")),
            (_("Closed"), _at(case.closed_at)),
            (_("Outcome told to the employee"), case.outcome),
            (_("Not unlawful influence"), case.not_unlawful_reason if case.not_unlawful else ""),
            (
                _("Legal hold"),
                f"{_at(case.hold_since)}: {case.hold_reason}" if case.on_hold else "",
            ),
            (
                _("Security coordinator or investigator"),
                ", ".join(_name(item.user) for item in case.assignments.select_related("user")),
            ),
        ]
    )
    affected = report.affected
    contact = f"{_name(affected)}, {affected.email}" if affected.email else _name(affected)
    lines.append(Line(_("The employee"), contact, (Secrecy.IDENTITY,)))
    if report.reporter_id != report.affected_id:
        lines.append(Line(_("Reported by"), _name(report.reporter), (Secrecy.IDENTITY,)))
    return Section("case", _("The case"), lines)


def _report_section(report: Report) -> Section:
    lines = [
        Line(answer.question, answer.text, _answer_marks(answer.field, answer.value))
        for answer in answers(report, REPORT_ANSWERS)
        if answer.value not in ("", None, [])
    ]
    lines.append(Line(_("Description"), report.description))
    lines += [
        Line(_("Added %(at)s") % {"at": _at(change.at)}, change.added_text)
        for change in additions(report)
    ]
    return Section("report", _("The report"), lines)


def _actor_section(case: Case) -> Section:
    lines = [
        Line(answer.question, answer.text)
        for answer in answers(case.report, ACTOR_ANSWERS)
        if answer.value not in ("", None)
    ]
    details = ActorDetails.objects.filter(case=case).first()
    if details is not None:
        lines += _lines(
            (field_label(ActorDetails, name), getattr(details, name))
            for name in case_services.ACTOR_FIELDS
        )
    files = case.report.attachments.filter(part=Attachment.Part.ACTOR)
    lines += [_attachment_line(item) for item in files]
    return Section(
        "actor",
        _("Who did it"),
        lines,
        marks=(Secrecy.ACTOR,) if lines else (),
        empty=_("Nothing is recorded about who did it."),
    )


def _history_section(report: Report) -> Section:
    lines = []
    for row in history(report, sees_actor=True):
        change = row["change"]
        parts = [f"{item['label']}: {item['before']} → {item['after']}" for item in row["fields"]]
        if change.added_text:
            # The text itself is under the report, where it is reviewed once.
            parts.append(_("Text added to the description (shown under the report)."))
        if change.reason:
            parts.append(_("Reason: %(text)s") % {"text": change.reason})
        marks = _marks(
            *(
                mark
                for item in change.fields
                for value in (item["before"], item["after"])
                for mark in _answer_marks(item["field"], value)
            )
        )
        label = _("Version %(version)s, %(at)s, %(kind)s") % {
            "version": change.version,
            "at": _at(change.at),
            "kind": change.get_kind_display(),
        }
        lines.append(Line(label, "; ".join(parts), marks))
    return Section(
        "history",
        _("Changes after the report was sent"),
        lines,
        empty=_("The report has not been changed since it was sent."),
    )


def _investigation_section(case: Case) -> Section:
    causes = [str(Cause(code).label) for code in case.causes if code in Cause.values]
    if case.causes_other:
        causes.append(case.causes_other)
    return Section(
        "investigation",
        _("Investigation"),
        _lines(
            [
                (_("What happened"), case.what_happened),
                (_("Why it could happen"), ", ".join(causes)),
                (_("Risk that it happens again"), case.get_recurrence_risk_display()),
                (_("A decision was influenced"), case.get_decision_influenced_display()),
                (_("Why no measures are needed"), case.no_measures_reason),
                (_("Follow-up"), case.follow_up_note),
            ]
        ),
        empty=_("Not investigated."),
    )


def _measure_marks(measure: Measure) -> Marks:
    if measure.kind == Measure.Kind.PROTECTED_ADDRESS:
        return (Secrecy.IDENTITY,)
    if measure.concerns_employee and measure.kind == Measure.Kind.SUPPORT:
        return (Secrecy.HEALTH,)
    return ()


def _measures_section(case: Case) -> Section:
    lines = []
    for measure in case.measures.select_related("owner"):
        text = _("%(what)s. %(status)s, due %(due)s, responsible %(owner)s.") % {
            "what": measure.what,
            "status": measure.get_status_display(),
            "due": _day(measure.due_on),
            "owner": _name(measure.owner),
        }
        if measure.done_on:
            text += " " + _("Done %(day)s.") % {"day": _day(measure.done_on)}
        if measure.follow_up:
            text += " " + _("Follow-up: %(text)s") % {"text": measure.follow_up}
        label = f"{measure.get_kind_display()} ({measure.get_scope_display()})"
        lines.append(Line(label, text, _measure_marks(measure)))
    return Section("measures", _("Measures"), lines, empty=_("No measures."))


def _police_section(case: Case) -> Section:
    return Section(
        "police",
        _("Police report"),
        _lines(
            [
                (_("Decision"), case.get_police_decision_display()),
                (_("Why no police report"), case.police_no_report_reason),
                (_("Filed on"), _day(case.police_filed_on)),
                (_("Police reference number"), case.police_reference),
                (_("Outcome"), case.get_police_outcome_display()),
            ]
        ),
        empty=_("No decision recorded."),
    )


def _serious_section(case: Case) -> Section:
    reasons = [Serious(code) for code in case.serious_reasons if code in Serious.values]
    lines = []
    if reasons:
        marks = (Secrecy.HEALTH,) if HEALTH_REASONS & set(reasons) else ()
        text = ", ".join(str(reason.label) for reason in reasons)
        lines.append(Line(_("Why it may be serious"), text, marks))
    notice = ""
    if case.notice_sent_at:
        notice = _("Sent %(at)s by %(name)s") % {
            "at": _at(case.notice_sent_at),
            "name": _name(case.notice_sent_by),
        }
        if case.notice_reference:
            notice += f", {case.notice_reference}"
    lines += _lines(
        [
            (_("Notice to Arbetsmiljöverket"), notice),
            (_("Why no notice is needed"), case.not_serious_reason),
        ]
    )
    return Section("serious", _("Serious event"), lines, empty=_("Not marked as possibly serious."))


def _injury_section(case: Case) -> Section:
    lines = _lines(
        [
            (_("Work-injury report to Försäkringskassan"), _day(case.injury_report_on)),
            (_("Employee told about AFA insurance"), _day(case.afa_informed_on)),
        ]
    )
    if case.injury:
        lines.insert(0, Line(_("Someone was injured"), _("yes")))
    return Section(
        "injury",
        _("Work injury and insurance"),
        lines,
        marks=(Secrecy.HEALTH,) if lines else (),
        empty=_("No injury is recorded."),
    )


def _support_section(case: Case) -> Section:
    lines = []
    for support in case.supports.all():
        parts = [
            f"{support.get_status_display()}.",
            _("Offered on %(day)s.") % {"day": _day(support.offered_on)},
        ]
        if support.given_on:
            parts.append(_("Given on %(day)s.") % {"day": _day(support.given_on)})
        if support.followed_up_on:
            parts.append(_("Followed up on %(day)s.") % {"day": _day(support.followed_up_on)})
        if support.note:
            parts.append(support.note)
        lines.append(Line(str(support.get_kind_display()), " ".join(parts)))
    return Section(
        "support",
        _("Support for the employee"),
        lines,
        marks=(Secrecy.HEALTH,) if lines else (),
        empty=_("No support recorded."),
    )


def _requests_section(case: Case) -> Section:
    lines = []
    for item in case.safety_requests.select_related("requested_by"):
        text = f"{item.get_kind_display()}: {item.demand}"
        if item.confirmed_at is not None:
            text += " " + _("Receipt confirmed in writing %(at)s.") % {"at": _at(item.confirmed_at)}
        if item.is_answered:
            text += " " + _("Answer %(day)s (%(decision)s): %(answer)s") % {
                "day": _day(item.answered_on),
                "decision": item.get_decision_display(),
                "answer": item.answer,
            }
        if item.authority_sent_on is not None:
            text += " " + _("Sent to Arbetsmiljöverket %(day)s.") % {
                "day": _day(item.authority_sent_on)
            }
        label = f"{item.created_at:%Y-%m-%d}, {_name(item.requested_by)}"
        lines.append(Line(label, text))
    return Section(
        "requests",
        _("Requests from the safety representative"),
        lines,
        empty=_("No formal requests."),
    )


def _attachment_line(item: Attachment) -> Line:
    text = _("Attachment (%(part)s), added %(at)s, %(size)s; the file is not part of this copy.")
    values = {
        "part": item.get_part_display(),
        "at": _at(item.created_at),
        "size": filesizeformat(item.size),
    }
    return Line(item.label, text % values)


def _attachments_section(report: Report) -> Section:
    files = report.attachments.exclude(part=Attachment.Part.ACTOR)
    return Section(
        "attachments",
        _("Attachments"),
        [_attachment_line(item) for item in files],
        empty=_("No attachments."),
    )


def _event_marks(event: CaseEvent, employees: set[int]) -> Marks:
    health = event.kind in {CaseEvent.Kind.SUPPORT, CaseEvent.Kind.INSURANCE}
    # A line written by the employee names them (they reported, added to the report).
    named = event.actor_id in employees
    return _marks(Secrecy.HEALTH if health else None, Secrecy.IDENTITY if named else None)


def _timeline_section(case: Case) -> Section:
    employees = {case.report.reporter_id, case.report.affected_id}
    lines = []
    for event in case.events.select_related("actor"):
        text = str(event.get_kind_display())
        if event.actor:
            text += f" – {_name(event.actor)}"
        if event.note:
            text += f": {event.note}"
        lines.append(Line(_at(event.at), text, _event_marks(event, employees)))
    return Section("timeline", _("Timeline"), lines)
