"""The audits' pages: the list, one audit with its recommendations and measures, the forms
that record them, and a measure's page where its status is noted. Whoever may not see a page
gets 404, as everywhere in Värna."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.audits import access, forms, selectors, services
from varna.audits.models import Audit, Measure, Recommendation
from varna.core.forms import show_refusal
from varna.orgs import access as org_access
from varna.orgs.access import Action
from varna.orgs.models import User

AUDIT_FIELDS = ["unit", "title", "reported_on", "auditors", "summary", "report_url"]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every page here requires a login
    return user


def _sees_audits(user: User) -> bool:
    return org_access.can(user, Action.VIEW_AUDIT) or org_access.can(user, Action.MANAGE_AUDIT)


def _recommendation(audit: Audit, number: int) -> Recommendation:
    found = audit.recommendations.filter(number=number).first()
    if found is None:
        raise Http404
    return found


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audits the user reads or keeps, and the measures they are responsible for."""
    user = _user(request)
    today = timezone.localdate()
    mine = list(selectors.measures_of(user))
    if not _sees_audits(user) and not mine:
        raise Http404
    context = {
        "rows": selectors.audit_rows(user, today),
        "mine": mine,
        "today": today,
        "may_create": selectors.manageable_units(user).exists(),
        "sees_audits": _sees_audits(user),
    }
    return render(request, "audits/audit_list.html", context)


@login_required
def audit_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.manageable_units(user).exists():
        raise Http404
    form = forms.AuditForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.create_audit(
                **{name: form.cleaned_data[name] for name in AUDIT_FIELDS}, by=user
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The audit is recorded."))
            return redirect("audits:detail", code=audit.code)
    return render(request, "audits/audit_form.html", {"form": form, "audit": None})


@login_required
def audit_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    audit = access.get_audit_for(user, code)
    context = {
        "audit": audit,
        "recommendations": selectors.recommendations_of(audit),
        "may_manage": access.may_manage(user, audit),
        "today": timezone.localdate(),
    }
    return render(request, "audits/audit_detail.html", context)


@login_required
def audit_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    audit = access.get_audit_for(user, code, Action.MANAGE_AUDIT)
    form = forms.AuditForm(
        request.POST or None, initial=model_to_dict(audit, fields=AUDIT_FIELDS), user=user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_audit(
                audit=audit, **{name: form.cleaned_data[name] for name in AUDIT_FIELDS}, by=user
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The audit is saved."))
            return redirect("audits:detail", code=audit.code)
    return render(request, "audits/audit_form.html", {"form": form, "audit": audit})


@login_required
def recommendation_new(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    audit = access.get_audit_for(user, code, Action.MANAGE_AUDIT)
    form = forms.RecommendationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recommendation = services.add_recommendation(
                audit=audit, text=form.cleaned_data["text"], by=user
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request,
                _("Recommendation %(number)s is recorded.") % {"number": recommendation.number},
            )
            return redirect("audits:detail", code=audit.code)
    return render(request, "audits/recommendation_form.html", {"form": form, "audit": audit})


@login_required
def recommendation(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """One recommendation with its measures; those who keep the audit record the answer."""
    user = _user(request)
    audit = access.get_audit_for(user, code)
    found = _recommendation(audit, number)
    may_manage = access.may_manage(user, audit)
    if request.method == "POST" and not may_manage:
        raise Http404
    form = None
    if may_manage:
        initial: dict[str, Any] = model_to_dict(found, fields=["answer", "answered_on", "decision"])
        form = forms.AnswerForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.answer_recommendation(
                    recommendation=found,
                    answer=form.cleaned_data["answer"],
                    answered_on=form.cleaned_data["answered_on"],
                    decision=form.cleaned_data["decision"],
                    by=user,
                )
            except ValidationError as error:
                show_refusal(form, error)
            else:
                messages.success(request, _("The committee's answer is saved."))
                return redirect("audits:detail", code=audit.code)
    context = {
        "audit": audit,
        "recommendation": found,
        "measures": found.measures.select_related("responsible"),
        "form": form,
        "may_manage": may_manage,
        "today": timezone.localdate(),
    }
    return render(request, "audits/recommendation.html", context)


@login_required
def measure_new(request: HttpRequest, code: str, number: int) -> HttpResponse:
    user = _user(request)
    audit = access.get_audit_for(user, code, Action.MANAGE_AUDIT)
    found = _recommendation(audit, number)
    today = timezone.localdate()
    form = forms.MeasureForm(request.POST or None, audit=audit, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_measure(
                recommendation=found,
                text=form.cleaned_data["text"],
                responsible=form.cleaned_data["responsible"],
                due_on=form.cleaned_data["due_on"],
                by=user,
                today=today,
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The measure is recorded."))
            return redirect("audits:detail", code=audit.code)
    context = {"form": form, "audit": audit, "recommendation": found}
    return render(request, "audits/measure_form.html", context)


def _overdue(measure: Measure, today: date) -> bool:
    return measure.is_open and measure.due_on < today


@login_required
def measure(request: HttpRequest, pk: int) -> HttpResponse:
    """A measure, its notes, and (for the responsible person and the keepers) a note form."""
    user = _user(request)
    found = (
        Measure.objects.select_related("recommendation__audit__unit", "responsible")
        .filter(pk=pk)
        .first()
    )
    if found is None or not selectors.may_see_measure(user, found):
        raise Http404
    may_update = access.may_update_measure(user, found)
    if request.method == "POST" and not may_update:
        raise Http404
    form = forms.NoteForm(request.POST or None, measure=found) if may_update else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.note_measure(
                measure=found,
                text=form.cleaned_data["text"],
                link=form.cleaned_data["link"],
                status=form.cleaned_data["status"],
                by=user,
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The note is added."))
            return redirect("audits:measure", pk=found.pk)
    audit = found.recommendation.audit
    today = timezone.localdate()
    context = {
        "measure": found,
        "audit": audit,
        "recommendation": found.recommendation,
        "notes": found.notes.select_related("by"),
        "form": form,
        "sees_audit": org_access.can(user, Action.VIEW_AUDIT, audit)
        or access.may_manage(user, audit),
        "overdue": _overdue(found, today),
        "today": today,
    }
    return render(request, "audits/measure.html", context)
