"""Writes for the audits. Each service checks who may do it first (PermissionDenied), then
the rules of what is recorded (ValidationError, keyed by field so the page shows the refusal
next to it), and changes nothing when it refuses. Numbers and status changes lock their row,
so two people saving at once cannot take the same number or lose a note's status.
"""

from datetime import date, datetime

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from varna.audits import access, selectors
from varna.audits.models import Audit, Measure, MeasureNote, Recommendation
from varna.core.validators import has_visible_character
from varna.orgs import access as org_access
from varna.orgs import tree
from varna.orgs.access import Action
from varna.orgs.models import Unit, User

# Shared with the form, which gives the same words before the service is asked.
DUE_IN_PAST = gettext_lazy("A new measure cannot be due in the past: choose today or a later day.")
_WEB = URLValidator(schemes=["https", "http"])


def _web_address(field: str, value: str) -> None:
    if not value:
        return
    try:
        _WEB(value)
    except ValidationError:
        raise ValidationError(
            {field: _("Give the whole address, starting with https://.")}, code="bad_link"
        ) from None


def _required(field: str, value: str) -> None:
    if not value or not has_visible_character(value):
        # Django's own words, the same as a form gives for an empty field.
        message = forms.Field.default_error_messages["required"]
        raise ValidationError({field: message}, code="required")


def _check_audit(
    *, unit: Unit, title: str, reported_on: date, auditors: str, report_url: str, by: User
) -> None:
    if not org_access.can(by, Action.MANAGE_AUDIT, unit):
        raise PermissionDenied
    _required("title", title)
    _required("auditors", auditors)
    if reported_on > timezone.localdate():
        raise ValidationError(
            {"reported_on": _("The audit report's date cannot lie ahead.")}, code="future"
        )
    _web_address("report_url", report_url)


@transaction.atomic
def create_audit(
    *,
    unit: Unit,
    title: str,
    reported_on: date,
    auditors: str,
    summary: str = "",
    report_url: str = "",
    by: User,
) -> Audit:
    _check_audit(
        unit=unit,
        title=title,
        reported_on=reported_on,
        auditors=auditors,
        report_url=report_url,
        by=by,
    )
    return Audit.objects.create(
        unit=unit,
        title=title,
        reported_on=reported_on,
        auditors=auditors,
        summary=summary,
        report_url=report_url,
    )


@transaction.atomic
def update_audit(
    *,
    audit: Audit,
    unit: Unit,
    title: str,
    reported_on: date,
    auditors: str,
    summary: str = "",
    report_url: str = "",
    by: User,
) -> Audit:
    audit = Audit.objects.select_for_update().select_related("unit").get(pk=audit.pk)
    # Keeping the audit where it was is needed as well as keeping it where it goes, so nobody
    # moves an audit out of someone else's part of the tree.
    if not access.may_manage(by, audit):
        raise PermissionDenied
    _check_audit(
        unit=unit,
        title=title,
        reported_on=reported_on,
        auditors=auditors,
        report_url=report_url,
        by=by,
    )
    # The measures' responsible people were chosen within the municipality; another
    # municipality's audit would name people who are not its own.
    if (
        unit.path[: tree.SEGMENT] != audit.unit.path[: tree.SEGMENT]
        and Measure.objects.filter(recommendation__audit=audit).exists()
    ):
        raise ValidationError(
            {"unit": _("An audit with measures stays in its municipality.")},
            code="other_municipality",
        )
    answered = Recommendation.objects.filter(audit=audit, answered_on__lt=reported_on)
    if answered.exists():
        raise ValidationError(
            {"reported_on": _("A recommendation was answered before this date.")},
            code="after_answer",
        )
    audit.unit = unit
    audit.title = title
    audit.reported_on = reported_on
    audit.auditors = auditors
    audit.summary = summary
    audit.report_url = report_url
    audit.save()
    return audit


@transaction.atomic
def add_recommendation(*, audit: Audit, text: str, by: User) -> Recommendation:
    """The audit's next recommendation, numbered after the last one."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if not access.may_manage(by, audit):
        raise PermissionDenied
    _required("text", text)
    last = audit.recommendations.aggregate(last=Max("number"))["last"] or 0
    return Recommendation.objects.create(audit=audit, number=last + 1, text=text)


@transaction.atomic
def answer_recommendation(
    *,
    recommendation: Recommendation,
    answer: str,
    answered_on: date,
    decision: str = "",
    by: User,
) -> Recommendation:
    """Record the committee's answer as it decided it (a later decision replaces it)."""
    recommendation = (
        Recommendation.objects.select_for_update()
        .select_related("audit__unit")
        .get(pk=recommendation.pk)
    )
    if not access.may_manage(by, recommendation.audit):
        raise PermissionDenied
    _required("answer", answer)
    if answered_on > timezone.localdate():
        raise ValidationError(
            {"answered_on": _("The decision's date cannot lie ahead.")}, code="future"
        )
    if answered_on < recommendation.audit.reported_on:
        raise ValidationError(
            {"answered_on": _("The committee cannot have answered before the audit report.")},
            code="before_report",
        )
    recommendation.answer = answer
    recommendation.answered_on = answered_on
    recommendation.decision = decision
    recommendation.save()
    return recommendation


@transaction.atomic
def add_measure(
    *,
    recommendation: Recommendation,
    text: str,
    responsible: User,
    due_on: date,
    by: User,
    today: date | None = None,
) -> Measure:
    """A measure the committee decided, with who is responsible and by when."""
    recommendation = Recommendation.objects.select_related("audit__unit").get(pk=recommendation.pk)
    if not access.may_manage(by, recommendation.audit):
        raise PermissionDenied
    _required("text", text)
    if due_on < (today or timezone.localdate()):
        raise ValidationError({"due_on": DUE_IN_PAST}, code="due_in_past")
    if not selectors.may_be_responsible(responsible, recommendation.audit):
        raise ValidationError(
            {"responsible": _("Choose someone who works in the municipality.")},
            code="not_in_municipality",
        )
    return Measure.objects.create(
        recommendation=recommendation, text=text, responsible=responsible, due_on=due_on
    )


@transaction.atomic
def note_measure(
    *,
    measure: Measure,
    text: str,
    link: str = "",
    status: str,
    by: User,
    now: datetime | None = None,
) -> MeasureNote:
    """Add a dated note to the measure's history and set its status from it: done records the
    day; reopening a done measure clears that day again (the history keeps both)."""
    measure = (
        Measure.objects.select_for_update()
        .select_related("recommendation__audit__unit")
        .get(pk=measure.pk)
    )
    if not access.may_update_measure(by, measure):
        raise PermissionDenied
    _required("text", text)
    _web_address("link", link)
    if status not in Measure.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")}, code="status")
    now = now or timezone.now()
    if status == Measure.Status.DONE:
        if measure.status != Measure.Status.DONE or measure.done_on is None:
            measure.done_on = timezone.localtime(now).date()
    else:
        measure.done_on = None
    measure.status = status
    measure.save(update_fields=["status", "done_on", "updated_at"])
    return MeasureNote.objects.create(
        measure=measure, at=now, by=by, text=text, link=link, status=status
    )
