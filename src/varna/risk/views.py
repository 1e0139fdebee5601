"""Risk assessments: the list of units, a unit's page, the summary for employees, an assessment
with its steps, and its print and PDF versions."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from varna.core.forms import show_refusal
from varna.orgs import access as org_access
from varna.orgs.access import Action
from varna.orgs.models import User
from varna.risk import access, forms, selectors, services
from varna.risk.models import Assessment, Level, PlanMeasure, Risk, risk_level


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The units whose assessments the user keeps or follows, and the summaries of their own."""
    units = list(
        org_access.units_for(request.user, Action.VIEW_RISK)
        .active_on(timezone.localdate())  # type: ignore[attr-defined]
        .exclude(kind__in=["kommun", "namnd"])
        .order_by("path")[:300]
    )
    current = {
        assessment.unit_id: assessment
        for assessment in Assessment.objects.filter(
            unit__in=units, status=Assessment.Status.APPROVED
        )
    }
    drafts = set(
        Assessment.objects.filter(unit__in=units, status=Assessment.Status.DRAFT).values_list(
            "unit_id", flat=True
        )
    )
    today = timezone.localdate()
    rows = [
        {
            "unit": unit,
            "current": current.get(unit.pk),
            "overdue": unit.pk not in current or current[unit.pk].next_due_on < today,
            "has_draft": unit.pk in drafts,
        }
        for unit in units
    ]
    context = {"rows": rows, "own_units": access.summary_units(request.user)}
    return render(request, "risk/index.html", context)


@login_required
@require_GET
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_access.get_unit_for(request.user, code, Action.VIEW_RISK)
    governing = selectors.governing(unit)
    reveal = access.sees_events(request.user, unit)
    covered = {risk.situation for risk in governing.risks.all()} if governing is not None else None
    context = {
        "unit": unit,
        "governing": governing,
        "risks": selectors.ranked_risks(governing) if governing else [],
        "assessments": selectors.assessments_of(unit),
        "actions": selectors.action_list(unit, case_links=reveal),
        "events": selectors.events_since(
            unit, governing.assessed_on if governing else None, reveal=reveal, covered=covered
        ),
        "may_manage": access.may_manage(request.user, unit),
        "today": timezone.localdate(),
    }
    return render(request, "risk/unit.html", context)


@login_required
@require_GET
def summary(request: HttpRequest, code: str) -> HttpResponse:
    """What every employee of the unit may know: when it was assessed, the main risks and
    measures, when the next assessment is due, and how to report."""
    unit = org_access.get_unit_for(request.user, code, Action.VIEW_RISK_SUMMARY)
    governing = selectors.governing(unit)
    measures = []
    if governing is not None:
        measures = [m for m in governing.measures.all() if m.status != PlanMeasure.Status.CANCELLED]
    context = {
        "unit": unit,
        "governing": governing,
        "risks": selectors.ranked_risks(governing)[:5] if governing else [],
        "measures": measures,
        "today": timezone.localdate(),
        "events": selectors.events_since(
            unit,
            governing.assessed_on if governing else None,
            reveal=access.sees_events(request.user, unit),
        ),
        "may_view_full": org_access.can(request.user, Action.VIEW_RISK, unit),
    }
    return render(request, "risk/summary.html", context)


@login_required
def new(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_access.get_unit_for(request.user, code, Action.MANAGE_RISK)
    user: User = request.user  # type: ignore[assignment]
    form = forms.AssessmentForm(request.POST or None, unit=unit, by=user)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.start_assessment(
                unit=unit,
                by=user,
                assessed_on=form.cleaned_data["assessed_on"],
                next_due_on=form.cleaned_data["next_due_on"],
                occasion=form.cleaned_data["occasion"],
                participants=form.participant_list(user)[1:],
                other_participants=form.cleaned_data["other_participants"],
                conclusion=form.cleaned_data["conclusion"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The assessment is started. Add the risks you see."))
            return redirect("risk:detail", code=assessment.code)
    return render(request, "risk/assessment_form.html", {"form": form, "unit": unit})


# The assessment page and its steps ---------------------------------------------------------

FormFactory = Callable[[Assessment, Any, User], django_forms.BaseForm]
Runner = Callable[[Assessment, User, Any], object]


@dataclass(frozen=True)
class Step:
    form: FormFactory
    run: Runner
    action: Action
    done: Any


def _risk(assessment: Assessment, item: int | None) -> Risk:
    risk = assessment.risks.filter(pk=item).first() if item else None
    if risk is None:
        raise Http404
    return risk


def _measure(assessment: Assessment, item: int) -> PlanMeasure:
    measure = assessment.measures.filter(pk=item).first()
    if measure is None:
        raise Http404
    return measure


def _edit(assessment: Assessment, by: User, form: Any) -> object:
    data = form.cleaned_data
    return services.update_assessment(
        assessment,
        by=by,
        assessed_on=data["assessed_on"],
        next_due_on=data["next_due_on"] or services.default_next_due(data["assessed_on"]),
        occasion=data["occasion"],
        participants=form.participant_list(by),
        other_participants=data["other_participants"],
        conclusion=data["conclusion"],
    )


STEPS: dict[str, Step] = {
    "edit": Step(
        lambda a, data, by: forms.AssessmentForm(data, instance=a, unit=a.unit, by=by),
        _edit,
        Action.MANAGE_RISK,
        gettext_lazy("The assessment is saved."),
    ),
    "risk": Step(
        lambda a, data, by: forms.RiskForm(data),
        lambda a, by, f: services.add_risk(a, by=by, data=f.cleaned_data),
        Action.MANAGE_RISK,
        gettext_lazy("The risk is added."),
    ),
    "risk_update": Step(
        lambda a, data, by: forms.RiskForm(data),
        lambda a, by, f: services.update_risk(
            _risk(a, f.cleaned_data["item"]), by=by, data=f.cleaned_data
        ),
        Action.MANAGE_RISK,
        gettext_lazy("The risk is updated."),
    ),
    "risk_remove": Step(
        lambda a, data, by: django_forms.Form(data),
        lambda a, by, f: services.remove_risk(_risk(a, _item(f)), by=by),
        Action.MANAGE_RISK,
        gettext_lazy("The risk is removed."),
    ),
    "measure": Step(
        lambda a, data, by: forms.MeasureForm(data, assessment=a),
        lambda a, by, f: services.add_measure(a, by=by, data=f.cleaned_data),
        Action.MANAGE_RISK,
        gettext_lazy("The measure is added to the action plan."),
    ),
    "measure_update": Step(
        lambda a, data, by: forms.MeasureUpdateForm(data),
        lambda a, by, f: services.update_measure(
            _measure(a, f.cleaned_data["item"]),
            by=by,
            status=f.cleaned_data["status"],
            done_on=f.cleaned_data["done_on"],
            follow_up=f.cleaned_data["follow_up"],
        ),
        Action.MANAGE_RISK,
        gettext_lazy("The measure is updated."),
    ),
    "approve": Step(
        lambda a, data, by: forms.ApproveForm(data, assessment=a),
        lambda a, by, f: services.approve(
            a, by=by, no_safety_rep_reason=f.cleaned_data.get("no_safety_rep_reason", "")
        ),
        Action.MANAGE_RISK,
        gettext_lazy("The assessment is approved. Employees of the unit now see its summary."),
    ),
    "respond": Step(
        lambda a, data, by: forms.RespondForm(data),
        lambda a, by, f: services.respond(
            a, by=by, response=f.cleaned_data["response"], note=f.cleaned_data["note"]
        ),
        Action.CONFIRM_RISK,
        gettext_lazy("Your response is recorded."),
    ),
}


def _item(form: django_forms.BaseForm) -> int | None:
    try:
        return int(form.data.get("item", ""))
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    assessment = access.get_assessment_for(request.user, code)
    return _page(request, assessment)


@login_required
@require_POST
def step(request: HttpRequest, code: str, name: str) -> HttpResponse:
    chosen = STEPS.get(name)
    if chosen is None:
        raise Http404
    assessment = access.get_assessment_for(request.user, code, chosen.action)
    user: User = request.user  # type: ignore[assignment]
    form = chosen.form(assessment, request.POST, user)
    if form.is_valid():
        try:
            chosen.run(assessment, user, form)
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, str(chosen.done))
            return redirect("risk:detail", code=assessment.code)
    assessment.refresh_from_db()
    return _page(request, assessment, bound=(name, form))


def _page(
    request: HttpRequest,
    assessment: Assessment,
    bound: tuple[str, django_forms.BaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    assessment = selectors.with_details(Assessment.objects.filter(pk=assessment.pk)).get()
    manages = access.may_manage(user, assessment) and assessment.status != "superseded"
    responds = access.may_respond(user, assessment)
    step_forms: dict[str, django_forms.BaseForm] = {}
    if manages:
        if assessment.is_draft:
            step_forms["edit"] = STEPS["edit"].form(assessment, None, user)
            step_forms["risk"] = STEPS["risk"].form(assessment, None, user)
            step_forms["approve"] = STEPS["approve"].form(assessment, None, user)
        step_forms["measure"] = STEPS["measure"].form(assessment, None, user)
    if responds:
        step_forms["respond"] = forms.RespondForm(
            initial={
                "response": assessment.safety_rep_response,
                "note": assessment.safety_rep_note,
            }
        )
    bound_item = None
    if bound is not None:
        if bound[0] in {"risk_update", "measure_update", "risk_remove"}:
            bound_item = (bound[0], _item(bound[1]))
            # The error summary links to the fields of the item's own form on the page.
            bound[1].auto_id = f"{bound[0].split('_')[0]}-{bound_item[1]}-%s"
        else:
            step_forms[bound[0]] = bound[1]
    for name, form in step_forms.items():
        form.auto_id = f"{name}-%s"
    risks = selectors.ranked_risks(assessment)
    measures = list(assessment.measures.all())
    measure_forms = {}
    if manages:
        for measure in measures:
            if bound_item == ("measure_update", measure.pk) and bound is not None:
                form = bound[1]
            else:
                form = forms.MeasureUpdateForm(
                    initial={
                        "item": measure.pk,
                        "status": measure.status,
                        "done_on": measure.done_on,
                        "follow_up": measure.follow_up,
                    }
                )
            form.auto_id = f"measure-{measure.pk}-%s"
            measure_forms[measure.pk] = form
    reveal = access.sees_events(user, assessment.unit)
    covered = {risk.situation for risk in risks}
    context = {
        "assessment": assessment,
        "unit": assessment.unit,
        "risks": risks,
        "measures": [(measure, measure_forms.get(measure.pk)) for measure in measures],
        "matrix": matrix(risks),
        "forms": step_forms,
        "open_section": bound[0] if bound is not None else "",
        "bound_error": bound[1] if bound is not None and bound_item is not None else None,
        "manages": manages,
        "responds": responds,
        "events": selectors.events_since(
            assessment.unit,
            _previous_date(assessment),
            reveal=reveal,
            covered=covered,
        ),
        "history": assessment.events.select_related("actor"),
        "today": timezone.localdate(),
    }
    return render(request, "risk/assessment_detail.html", context, status=status)


def _previous_date(assessment: Assessment) -> Any:
    """Events beside an assessment: those since the unit's assessment before this one."""
    previous = (
        Assessment.objects.filter(
            unit=assessment.unit,
            status__in=[Assessment.Status.APPROVED, Assessment.Status.SUPERSEDED],
            assessed_on__lt=assessment.assessed_on,
        )
        .exclude(pk=assessment.pk)
        .order_by("-assessed_on")
        .values_list("assessed_on", flat=True)
        .first()
    )
    return previous


def matrix(risks: list[Risk]) -> list[dict[str, Any]]:
    """The 4 × 4 matrix, likelihood 4 at the top: each cell names its level in words and the
    numbers of the risks placed in it."""
    numbers = {risk.pk: index for index, risk in enumerate(risks, start=1)}
    rows = []
    for likelihood in range(4, 0, -1):
        cells = []
        for consequence in range(1, 5):
            level: Level = risk_level(likelihood, consequence)
            placed = [
                numbers[risk.pk]
                for risk in risks
                if risk.likelihood == likelihood and risk.consequence == consequence
            ]
            cells.append({"level": level, "risks": placed})
        rows.append({"likelihood": likelihood, "cells": cells})
    return rows


def _printable(request: HttpRequest, code: str) -> dict[str, Any]:
    assessment = access.get_assessment_for(request.user, code)
    assessment = selectors.with_details(Assessment.objects.filter(pk=assessment.pk)).get()
    risks = selectors.ranked_risks(assessment)
    return {
        "assessment": assessment,
        "unit": assessment.unit,
        "risks": risks,
        "matrix": matrix(risks),
        "measures": list(assessment.measures.all()),
        "actions": selectors.action_list(assessment.unit, case_links=False),
        "printed_at": timezone.localtime(),
    }


@login_required
@require_GET
def print_view(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "risk/assessment_print.html", _printable(request, code) | {"web": True})


@login_required
@require_GET
def pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The same printout as a PDF, for the workplace meeting and the cooperation group."""
    from weasyprint import CSS, HTML

    context = _printable(request, code)
    html = render_to_string("risk/assessment_print.html", context | {"web": False}, request)
    # The stylesheet is read from disk: the PDF is made without fetching anything over HTTP.
    stylesheet = CSS(filename=finders.find("varna/css/print.css"))
    document = HTML(string=html).write_pdf(stylesheets=[stylesheet])
    assessment = context["assessment"]
    response = HttpResponse(document, content_type="application/pdf")
    filename = f"riskbedomning-{assessment.unit.code}-{assessment.assessed_on.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
