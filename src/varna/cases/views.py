"""The inbox, the case page with its steps, the police-report draft and requests for measures."""

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from varna.cases import access, forms, rules, selectors, services
from varna.cases.access import COMMENTS, HANDLERS, SEES_ACTOR, SEES_CONTENT, SEES_SUPPORT, Capacity
from varna.cases.models import (
    ActorDetails,
    Case,
    Cause,
    Measure,
    PoliceDecision,
    SafetyRequest,
    State,
    Support,
)
from varna.core.forms import show_refusal
from varna.handbook import links
from varna.handbook import selectors as handbook_selectors
from varna.handbook.models import Section
from varna.orgs import access as org_access
from varna.orgs.access import Action
from varna.orgs.models import Unit, User
from varna.reporting import access as report_access
from varna.reporting import selectors as report_selectors
from varna.reporting.forms import CompletionForm, ReclassifyForm
from varna.reporting.models import Notification, Report
from varna.reporting.services import record_read

FormFactory = Callable[[Case, Any], django_forms.BaseForm]
Runner = Callable[[Case, User, Any], object]


@dataclass(frozen=True)
class Step:
    """One thing a person can do on the case page: its form, the service it runs, who may."""

    form: FormFactory
    run: Runner
    who: frozenset[Capacity]
    done: Any  # the message shown after it worked


def _text(label: Any, *, required: bool = True, help_text: Any = "") -> FormFactory:
    form_class = forms.RequiredTextForm if required else forms.OptionalTextForm
    return lambda case, data: form_class(data, label=label, help_text=help_text)


def _measure(case: Case, item: int) -> Measure:
    measure = case.measures.filter(pk=item).first()
    if measure is None:
        raise Http404
    return measure


def _support(case: Case, item: int) -> Support:
    support = case.supports.filter(pk=item).first()
    if support is None:
        raise Http404
    return support


def _actor_form(case: Case, data: Any) -> django_forms.BaseForm:
    instance = ActorDetails.objects.filter(case=case).first()
    return forms.ActorForm(data, instance=instance)


H = frozenset(HANDLERS)
STEPS: dict[str, Step] = {
    "acknowledge": Step(
        lambda case, data: forms.NoteForm(data),
        lambda case, by, f: services.acknowledge(case, by=by, note=f.cleaned_data["note"]),
        H,
        gettext_lazy("The case is acknowledged: you have contacted the employee."),
    ),
    "investigation": Step(
        lambda case, data: forms.InvestigationForm(data, instance=copy.copy(case)),
        lambda case, by, f: services.save_investigation(case, by=by, data=f.cleaned_data),
        H,
        gettext_lazy("The investigation is saved."),
    ),
    "investigated": Step(
        lambda case, data: django_forms.Form(data),
        lambda case, by, f: services.finish_investigation(case, by=by),
        H,
        gettext_lazy("The investigation is finished."),
    ),
    "measure": Step(
        lambda case, data: forms.MeasureForm(data, case=case),
        lambda case, by, f: services.add_measure(case, by=by, data=f.cleaned_data),
        H,
        gettext_lazy("The measure is added."),
    ),
    "measure_update": Step(
        lambda case, data: forms.MeasureUpdateForm(data),
        lambda case, by, f: services.update_measure(
            _measure(case, f.cleaned_data["item"]),
            by=by,
            data={k: v for k, v in f.cleaned_data.items() if k != "item"},
        ),
        H,
        gettext_lazy("The measure is updated."),
    ),
    "decide": Step(
        lambda case, data: forms.DecideForm(data),
        lambda case, by, f: services.decide_measures(
            case, by=by, no_measures_reason=f.cleaned_data["no_measures_reason"]
        ),
        H,
        gettext_lazy("The measures are decided."),
    ),
    "follow_up": Step(
        _text(gettext_lazy("How the measures were followed up")),
        lambda case, by, f: services.follow_up(case, by=by, note=f.cleaned_data["text"]),
        H,
        gettext_lazy("The follow-up is recorded."),
    ),
    "close": Step(
        _text(
            gettext_lazy("What the employee is told about the outcome"),
            required=False,
            help_text=gettext_lazy("The employee sees this on their report."),
        ),
        lambda case, by, f: services.close(case, by=by, outcome=f.cleaned_data["text"]),
        H,
        gettext_lazy("The case is closed."),
    ),
    "reopen": Step(
        _text(gettext_lazy("Why the case is reopened")),
        lambda case, by, f: services.reopen(case, by=by, reason=f.cleaned_data["text"]),
        H,
        gettext_lazy("The case is reopened."),
    ),
    "police": Step(
        lambda case, data: forms.PoliceForm(data, instance=copy.copy(case)),
        lambda case, by, f: services.record_police(case, by=by, data=f.cleaned_data),
        H,
        gettext_lazy("The police report is updated."),
    ),
    "serious": Step(
        lambda case, data: forms.SeriousForm(data),
        lambda case, by, f: services.flag_serious(case, by=by, reasons=f.cleaned_data["reasons"]),
        H,
        gettext_lazy("The event is marked as possibly serious: notify Arbetsmiljöverket today."),
    ),
    "notice": Step(
        lambda case, data: forms.NoticeForm(data),
        lambda case, by, f: services.record_notice(
            case, by=by, sent_at=f.cleaned_data["sent_at"], reference=f.cleaned_data["reference"]
        ),
        H,
        gettext_lazy("The notice to Arbetsmiljöverket is recorded."),
    ),
    "not_serious": Step(
        _text(gettext_lazy("Why no notice to Arbetsmiljöverket is needed")),
        lambda case, by, f: services.record_not_serious(case, by=by, reason=f.cleaned_data["text"]),
        H,
        gettext_lazy("The assessment is recorded."),
    ),
    "insurance": Step(
        lambda case, data: forms.InsuranceForm(data, instance=copy.copy(case)),
        lambda case, by, f: services.record_insurance(
            case,
            by=by,
            injury_report_on=f.cleaned_data["injury_report_on"],
            afa_informed_on=f.cleaned_data["afa_informed_on"],
            no_injury_report_reason=f.cleaned_data["no_injury_report_reason"],
        ),
        H,
        gettext_lazy("The work-injury report and AFA are updated."),
    ),
    "support": Step(
        lambda case, data: forms.SupportOfferForm(
            data, initial={"offered_on": timezone.localdate()}
        ),
        lambda case, by, f: services.offer_support(
            case,
            by=by,
            kind=f.cleaned_data["kind"],
            offered_on=f.cleaned_data["offered_on"],
            note=f.cleaned_data["note"],
        ),
        H,
        gettext_lazy("The support offered is recorded."),
    ),
    "support_update": Step(
        lambda case, data: forms.SupportUpdateForm(data),
        lambda case, by, f: services.update_support(
            _support(case, f.cleaned_data["item"]),
            by=by,
            status=f.cleaned_data["status"],
            given_on=f.cleaned_data["given_on"],
            followed_up_on=f.cleaned_data["followed_up_on"],
        ),
        H,
        gettext_lazy("The support is updated."),
    ),
    "actor": Step(
        _actor_form,
        lambda case, by, f: services.save_actor(case, by=by, data=f.cleaned_data),
        H,
        gettext_lazy("The details about the actor are saved."),
    ),
    "comment": Step(
        _text(gettext_lazy("Comment")),
        lambda case, by, f: services.comment(case, by=by, text=f.cleaned_data["text"]),
        frozenset(COMMENTS),
        gettext_lazy("Your comment is added to the timeline."),
    ),
    "assign": Step(
        lambda case, data: forms.PersonForm(
            data,
            people=User.objects.filter(
                pk__in=access.assignable_people(case).values("user")
            ).order_by("first_name", "last_name"),
            label=gettext_lazy("Security coordinator or investigator"),
        ),
        lambda case, by, f: services.assign(case, by=by, user=f.cleaned_data["user"]),
        H,
        gettext_lazy("The case is assigned."),
    ),
    "handler": Step(
        lambda case, data: forms.PersonForm(
            data, people=access.possible_handlers(case), label=gettext_lazy("Handler")
        ),
        lambda case, by, f: services.set_handler(case, by=by, user=f.cleaned_data["user"]),
        frozenset({Capacity.MANAGER}),
        gettext_lazy("The handler is changed."),
    ),
    "reclassify": Step(
        lambda case, data: ReclassifyForm(data, report=case.report, serious=case.is_serious),
        lambda case, by, f: services.reclassify(
            case,
            by=by,
            data=f.changes(),
            serious=f.cleaned_data["serious"],
            reason=f.cleaned_data["reason"],
            version=f.cleaned_data["version"],
        ),
        H,
        gettext_lazy("The event is reclassified; the follow-up counts it anew."),
    ),
    "not_unlawful": Step(
        _text(
            gettext_lazy("Why it is not unlawful influence"),
            help_text=gettext_lazy(
                "For example an appeal, a complaint or criticism of a decision: lawful ways to "
                "influence. The employee is told this, so write it kindly and plainly."
            ),
        ),
        lambda case, by, f: services.close_not_unlawful(case, by=by, reason=f.cleaned_data["text"]),
        H,
        gettext_lazy("The case is closed as not unlawful influence, and the employee is told."),
    ),
    "hold": Step(
        _text(
            gettext_lazy("Why the case must be kept"),
            help_text=gettext_lazy(
                "For example a police investigation, a court case or a work-injury claim."
            ),
        ),
        lambda case, by, f: services.set_hold(case, by=by, reason=f.cleaned_data["text"]),
        H,
        gettext_lazy("The case is kept under a legal hold until the hold is lifted."),
    ),
    "hold_lift": Step(
        _text(gettext_lazy("Why the hold is lifted")),
        lambda case, by, f: services.lift_hold(case, by=by, reason=f.cleaned_data["text"]),
        H,
        gettext_lazy("The legal hold is lifted; the retention plan applies again."),
    ),
    "request": Step(
        lambda case, data: forms.CaseRequestForm(data),
        lambda case, by, f: services.request_measures(
            by=by,
            unit=case.unit,
            case=case,
            kind=f.cleaned_data["kind"],
            demand=f.cleaned_data["demand"],
            answer_due_on=f.cleaned_data["answer_due_on"],
        ),
        frozenset({Capacity.SAFETY_REP}),
        gettext_lazy("Your request is recorded and the managers are told."),
    ),
}

# The step that moves the case on from each state, offered at the top of the page.
NEXT_STEP = {
    State.RECEIVED: "acknowledge",
    State.ACKNOWLEDGED: "investigated",
    State.INVESTIGATED: "decide",
    State.MEASURES_DECIDED: "follow_up",
    State.FOLLOWED_UP: "close",
    State.CLOSED: "reopen",
}


NEXT_LABELS = {
    "acknowledge": gettext_lazy("The employee is contacted"),
    "investigated": gettext_lazy("The investigation is finished"),
    "decide": gettext_lazy("Decide the measures"),
    "follow_up": gettext_lazy("Record the follow-up"),
    "close": gettext_lazy("Close the case"),
    "reopen": gettext_lazy("Reopen the case"),
}


def _part(role: Capacity) -> str:
    if role in SEES_ACTOR:
        return "case+actor"
    if role in SEES_CONTENT:
        return "case"
    return "case:support"


@login_required
@require_GET
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    case, role = access.get_case_for(request.user, code)
    return _page(request, case, role)


def _page(
    request: HttpRequest,
    case: Case,
    role: Capacity,
    bound: tuple[str, django_forms.BaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    record_read(user=request.user, report=case.report, part=_part(role), role=role)  # type: ignore[arg-type]
    step_forms = {name: step.form(case, None) for name, step in STEPS.items() if role in step.who}
    if bound is not None:
        step_forms[bound[0]] = bound[1]
    for name, form in step_forms.items():
        form.auto_id = f"{name}-%s"  # several forms on one page: ids stay unique
    measures = list(case.measures.select_related("owner")) if role in SEES_CONTENT else []
    supports = list(case.supports.all()) if role in SEES_SUPPORT else []
    item_forms = _item_forms(measures, supports, bound) if role in HANDLERS else {}
    open_section = bound[0] if bound is not None else ""
    next_step = NEXT_STEP[State(case.state)] if role in HANDLERS else ""
    context: dict[str, Any] = {
        "case": case,
        "report": case.report,
        "role": role,
        "forms": step_forms,
        "open_section": open_section,
        "next_step": next_step,
        "next_form": step_forms.get(next_step),
        "next_label": NEXT_LABELS.get(next_step, ""),
        "case_index": list(State).index(State(case.state)),
        "cause_labels": [Cause(code).label for code in case.causes if code in Cause.values],
        "workplace_address": case.unit.workplace_address(),
        "handles": role in HANDLERS,
        "sees_content": role in SEES_CONTENT,
        "sees_actor": role in SEES_ACTOR,
        "sees_support": role in SEES_SUPPORT,
        "comments": role in COMMENTS,
        "states": list(State),
        "now": timezone.now(),
        "serious_labels": [rules.Serious(reason).label for reason in case.serious_reasons],
        "supports": [(support, item_forms.get(("support", support.pk))) for support in supports],
        "measures": [(measure, item_forms.get(("measure", measure.pk))) for measure in measures],
    }
    if role in SEES_CONTENT:
        context |= {
            "checklists": _checklists(case),
            "labels": report_selectors.labels_for(case.report),
            "timeline": selectors.timeline(case),
            "requests": case.safety_requests.select_related(
                "requested_by", "answered_by", "confirmed_by"
            ),
            "today": timezone.localdate(),
            "assignments": case.assignments.select_related("user"),
            "closing_problems": services.closing_problems(case)
            if case.state == State.FOLLOWED_UP
            else [],
        }
    if role in SEES_ACTOR:
        context["actor"] = ActorDetails.objects.filter(case=case).first()
    if role in SEES_CONTENT:
        context["history"] = report_selectors.history(case.report, sees_actor=role in SEES_ACTOR)
        context["additions"] = report_selectors.additions(case.report)
        context["attachments"] = selectors.case_attachments(request.user, case, role)
        context["may_attach"] = role in HANDLERS and case.state != State.CLOSED
    if role in HANDLERS:
        context["reads"] = selectors.read_log(case)[:50]
    return render(request, "cases/case_detail.html", context, status=status)


def _checklists(case: Case) -> list[handbook_selectors.Entry]:
    """The handbook's published checklists for the case's form of event and its current step
    (only to those who see what happened: the form is part of the content)."""
    targets = [(links.FORM, case.report.main_form), (links.CASE_STEP, case.state)]
    found = handbook_selectors.for_targets(
        case.unit.municipality(), targets, [Section.Kind.CHECKLIST], every_kind=True
    )
    return handbook_selectors.entries(found)


def _item_forms(
    measures: list[Measure],
    supports: list[Support],
    bound: tuple[str, django_forms.BaseForm] | None,
) -> dict[tuple[str, int], django_forms.BaseForm]:
    """A small update form per open measure and per support, the one just posted kept bound."""
    found: dict[tuple[str, int], django_forms.BaseForm] = {}
    for measure in measures:
        if measure.is_open:
            found["measure", measure.pk] = forms.MeasureUpdateForm(
                initial={
                    "item": measure.pk,
                    "status": measure.status,
                    "due_on": measure.due_on,
                    "follow_up": measure.follow_up,
                },
            )
    for support in supports:
        if support.followed_up_on is None and support.status != Support.Status.DECLINED:
            found["support", support.pk] = forms.SupportUpdateForm(
                initial={
                    "item": support.pk,
                    "status": support.status,
                    "given_on": support.given_on,
                    "followed_up_on": support.followed_up_on,
                },
            )
    if bound is not None and bound[0] in {"measure_update", "support_update"}:
        kind = bound[0].removesuffix("_update")
        item = bound[1].data.get("item", "")
        if str(item).isdigit() and (kind, int(item)) in found:
            found[kind, int(item)] = bound[1]
    for (kind, pk), form in found.items():
        form.auto_id = f"{kind}{pk}-%s"
    return found


@login_required
@require_POST
def case_step(request: HttpRequest, code: str, step: str) -> HttpResponse:
    case, role = access.get_case_for(request.user, code)
    chosen = STEPS.get(step)
    if chosen is None or role not in chosen.who:
        raise Http404
    if step in NEXT_LABELS and step != NEXT_STEP[State(case.state)]:
        # A step of the workflow that is not the case's next one (deciding a case already
        # decided, a second tab): nothing runs, and the page says so instead of staying silent.
        messages.error(request, _("That step cannot be taken now. The page shows why."))
        return redirect("cases:detail", code=code)
    form = chosen.form(case, request.POST)
    if form.is_valid():
        try:
            chosen.run(case, request.user, form)  # type: ignore[arg-type]
        except ValidationError as error:
            show_refusal(form, error)
            if getattr(error, "code", None) == "stale":
                # Saved meanwhile by someone else: what this person typed stays in the form,
                # which now starts from the version they can see in the history.
                data = request.POST.copy()
                data["version"] = str(Report.objects.get(pk=case.pk).version)
                form.data = data
        else:
            messages.success(request, str(chosen.done))
            return redirect("cases:detail", code=code)
    case.refresh_from_db()
    if not _shown(step, case, form):
        # The form is no longer on the page (someone closed the case meanwhile, the measure
        # was finished): say why here, so the refusal is not silent.
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
        return redirect("cases:detail", code=code)
    # 200 like any re-shown form: the page is the answer, with the errors on it.
    return _page(request, case, role, bound=(step, form))


# Parts of the page shown only while the case is open.
OPEN_ONLY = {
    "investigation",
    "measure",
    "support",
    "serious",
    "request",
    "reclassify",
    "not_unlawful",
}


def _shown(step: str, case: Case, form: django_forms.BaseForm) -> bool:
    """Whether the page will show this step's form (with its errors) after a refusal."""
    if case.state == State.CLOSED and step in OPEN_ONLY:
        return False
    if step in NEXT_LABELS and step != NEXT_STEP[State(case.state)]:
        return False  # the workflow moved on meanwhile
    if step in {"measure_update", "support_update"}:
        item = str(form.data.get("item", ""))
        items = case.measures if step == "measure_update" else case.supports
        return item.isdigit() and items.filter(pk=int(item)).exists()
    return True


@login_required
@require_GET
def police_draft(request: HttpRequest, code: str) -> HttpResponse:
    """A prefilled draft of the employer's police report: the workplace address, never a home
    address; for the handler to check and file."""
    case, role = access.get_case_for(request.user, code)
    if role not in HANDLERS:
        raise Http404
    record_read(user=request.user, report=case.report, part="police_draft", role=role)  # type: ignore[arg-type]
    context = {
        "case": case,
        "report": case.report,
        "labels": report_selectors.labels_for(case.report),
        "actor": ActorDetails.objects.filter(case=case).first(),
        "employer": case.unit.municipality().name,
        "address": case.unit.workplace_address(),
        "handler": case.handler,
        # Worded from the decision: the employer files, or the employee files with its help.
        "employee_files": case.police_decision == PoliceDecision.EMPLOYEE_WITH_HELP,
        "no_report": case.police_decision == PoliceDecision.NO_REPORT,
    }
    return render(request, "cases/police_draft.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def complete_report(request: HttpRequest, code: str) -> HttpResponse:
    """Complete or correct a sent report: the employee while the case is open, and its
    handlers. Every save is a version in the report's history. (Here, not in reporting: the
    save is a step of the case.)"""
    report = report_access.get_report_for(request.user, code)
    case = Case.objects.select_related("report", "unit").filter(report=report).first()
    own = report_access.is_own(request.user, report)
    role = access.capacity(request.user, case) if case is not None else None
    handles = role in HANDLERS
    if case is None or not (own or handles):
        raise Http404
    sees_actor = report_access.may_see_actor(request.user, report)
    back = (
        reverse("cases:detail", args=[code])
        if handles
        else reverse("reporting:detail", args=[code])
    )
    form = CompletionForm(
        request.POST if request.method == "POST" else None, report=report, sees_actor=sees_actor
    )
    record_read(
        user=request.user,  # type: ignore[arg-type]
        report=report,
        part="report+actor" if sees_actor else "report",
        role=report_access.viewer_role(request.user, report),
    )
    closed = case.state == State.CLOSED
    if request.method == "POST" and not closed and form.is_valid():
        try:
            services.complete_report(
                case,
                by=request.user,  # type: ignore[arg-type]
                data=form.changes(),
                addition=form.cleaned_data["addition"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            if getattr(error, "code", None) == "stale":
                data = request.POST.copy()
                data["version"] = str(Report.objects.get(pk=report.pk).version)
                form.data = data
        else:
            messages.success(
                request,
                _("The report is updated. Your manager is told.")
                if own and not handles
                else _("The report is updated."),
            )
            return redirect(back)
    context = {
        "report": report,
        "form": form,
        "closed": closed,
        "back": back,
        "history": report_selectors.history(report, sees_actor=sees_actor),
    }
    return render(request, "reporting/report_complete.html", context, status=200)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    if not access.may_use_inbox(request.user):
        raise Http404
    form = forms.InboxForm(request.GET or None)
    chosen = selectors.InboxFilter()
    if form.is_valid():
        data = form.cleaned_data
        unit = _unit_in_scope(request, data["unit"])
        chosen = selectors.InboxFilter(
            view=data["view"] or "open",
            # Closed cases have no deadlines: newest first unless another order is chosen.
            sort=data["sort"] or ("-opened" if data["view"] in {"closed", "all"} else "due"),
            form=data["form"],
            unit=unit,
            serious=data["serious"],
            number=data["number"].strip(),
        )
    elif request.GET:
        messages.warning(request, _("Some filters were not understood and are not used."))
    # HR reads the support parts only: not what kind of event it was.
    sees_events = access.sees_events_anywhere(request.user)
    if not sees_events:
        chosen = dataclasses.replace(chosen, form="", serious=False)
        del form.fields["form"], form.fields["serious"]
    now = timezone.now()
    page, rows = selectors.inbox_page(request.user, chosen, request.GET.get("sida"), now)
    query = request.GET.copy()
    query.pop("sida", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "sees_events": sees_events,
        "chosen": chosen,
        "counts": selectors.counts(request.user, now),
        "now": now,
        "query": query.urlencode(),
        "requests": access.visible_requests(request.user)
        .filter(answered_on=None)
        .select_related("unit", "case__report")[:10],
        "my_measures": selectors.open_measures_of(request.user)[:10],
        "today": timezone.localdate(now),
    }
    return render(request, "cases/inbox.html", context)


def _unit_in_scope(request: HttpRequest, code: str) -> Unit | None:
    """The unit to narrow the inbox to, if the user's case work covers it; else a message."""
    if not code:
        return None
    unit = access.case_work_unit(request.user, code.strip())
    if unit is None:
        messages.warning(
            request, _("There is no unit with that code in your part of the organisation.")
        )
    return unit


# Requests for measures (AML 6 kap. 6 a §) -------------------------------------------------


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    may_request = org_access.can(request.user, Action.REQUEST_MEASURES)
    if not (may_request or org_access.can(request.user, Action.HANDLE_CASE)):
        raise Http404
    items = (
        access.visible_requests(request.user)
        .select_related("unit", "case__report", "requested_by", "answered_by")
        .order_by("answered_on", "-created_at")
    )
    # Notices about requests on a unit (not a case) are read here.
    Notification.objects.filter(
        recipient=request.user.pk,
        report=None,
        activity=None,
        plan_measure=None,
        unit=None,
        read_at=None,
    ).update(read_at=timezone.now())
    page = Paginator(items, 25).get_page(request.GET.get("sida"))
    context = {"page": page, "may_request": may_request, "today": timezone.localdate()}
    return render(request, "cases/request_list.html", context)


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    if not org_access.can(request.user, Action.REQUEST_MEASURES):
        raise Http404
    form = forms.SafetyRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.request_measures(
                by=request.user,  # type: ignore[arg-type]
                unit=form.cleaned_data["unit"],
                kind=form.cleaned_data["kind"],
                demand=form.cleaned_data["demand"],
                answer_due_on=form.cleaned_data["answer_due_on"],
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Your request is recorded and the managers are told."))
            return redirect("cases:request", code=made.code)
    return render(request, "cases/request_form.html", {"form": form})


def _request_for(user: Any, code: str) -> SafetyRequest:
    """The request with this code if the user may read it (its unit's managers and safety
    representatives, and who made it); 404 otherwise."""
    item = (
        access.visible_requests(user)
        .select_related(
            "unit",
            "case__report",
            "requested_by",
            "answered_by",
            "confirmed_by",
            "authority_sent_by",
        )
        .filter(code=code)
        .first()
    )
    if item is None:
        raise Http404
    return item


@login_required
def request_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = _request_for(request.user, code)
    today = timezone.localdate()
    may_answer = org_access.can(request.user, Action.HANDLE_CASE, item)
    # Asking Arbetsmiljöverket to step in is the safety representatives' own step.
    is_rep = org_access.can(request.user, Action.REQUEST_MEASURES, item)
    if request.method == "POST" and not (may_answer or is_rep):
        raise Http404
    step = request.POST.get("step", "answer") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    available: dict[str, django_forms.BaseForm] = {}
    if may_answer and not item.is_answered:
        if not item.is_confirmed:
            available["confirm"] = django_forms.Form(data if step == "confirm" else None)
        available["answer"] = forms.AnswerForm(data if step == "answer" else None)
    if is_rep and item.may_go_to_authority(today) and item.authority_sent_on is None:
        available["authority"] = forms.AuthorityForm(data if step == "authority" else None)
    for name, each in available.items():
        each.auto_id = f"{name}-%s"
    if request.method == "POST":
        form = available.get(step)
        if form is None:
            if step == "answer" and item.is_answered:
                messages.error(request, _("The request has already been answered."))
            else:
                messages.error(request, _("That step cannot be taken now. The page shows why."))
            return redirect("cases:request", code=item.code)
        if form.is_valid():
            try:
                done = _run_request_step(request, item, step, form)
            except ValidationError as error:
                show_refusal(form, error)
            else:
                messages.success(request, done)
                return redirect("cases:request", code=item.code)
    context = {
        "item": item,
        "forms": available,
        "late": item.is_late(today),
        "may_go_to_authority": item.may_go_to_authority(today),
    }
    return render(request, "cases/request_detail.html", context)


def _run_request_step(
    request: HttpRequest, item: SafetyRequest, step: str, form: django_forms.BaseForm
) -> str:
    """Run a step of the request page; the message to show after it worked."""
    by: User = request.user  # type: ignore[assignment]
    if step == "confirm":
        services.confirm_request(item, by=by)
        return _("The receipt is confirmed; the safety representative sees it on the request.")
    if step == "authority":
        services.record_request_to_authority(item, by=by, sent_on=form.cleaned_data["sent_on"])
        return _("It is recorded that the request went to Arbetsmiljöverket.")
    services.answer_request(
        item, by=by, decision=form.cleaned_data["decision"], answer=form.cleaned_data["answer"]
    )
    return _("Your answer is recorded.")


@login_required
@require_GET
def request_to_authority(request: HttpRequest, code: str) -> HttpResponse:
    """A prefilled request to Arbetsmiljöverket, for the safety representative to print or
    copy once the answer is late or a refusal: the request, its dates, the employer's answer
    or the lack of one, the unit and workplace. Nothing about the employee of any case."""
    item = _request_for(request.user, code)
    today = timezone.localdate()
    if not item.may_go_to_authority(today):
        raise Http404
    context = {
        "item": item,
        "employer": item.unit.municipality().name,
        "address": item.unit.workplace_address(),
    }
    return render(request, "cases/request_authority.html", context)
