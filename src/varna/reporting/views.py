from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from varna.core.forms import posted_action
from varna.handbook import selectors as handbook_selectors
from varna.orgs.models import Employment, User
from varna.reporting import access, guidance, selectors, services
from varna.reporting.forms import ReportForm
from varna.reporting.models import Notification
from varna.reporting.taxonomy import FORM_HELP, SUBFORMS, Form

DRAFT_COOKIE = "varna_report_draft"
OWNER_COOKIE = "varna_report_owner"
DRAFT_COOKIE_AGE = int(services.UNCLAIMED_DRAFT_AGE.total_seconds())


def _set_cookie(response: HttpResponse, name: str, value: str) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=name,
        max_age=DRAFT_COOKIE_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def _form_data(request: HttpRequest) -> dict[str, object]:
    return {key: values if len(values) > 1 else values[0] for key, values in request.POST.lists()}


def _keep_unclaimed(request: HttpRequest) -> HttpResponse:
    """The session ended while the person typed: keep the form under a browser-held token,
    for the person who had the form open (known from a signed cookie set while logged in).
    Without that cookie nothing is stored: the endpoint is no free storage for strangers."""
    owner_pk = request.get_signed_cookie(OWNER_COOKIE, default=None, salt=OWNER_COOKIE)
    owner = User.objects.filter(pk=owner_pk).first() if owner_pk else None
    on_form = request.path != reverse("reporting:draft")
    if owner is None:
        if on_form:
            return redirect_to_login(reverse("reporting:new"))
        return HttpResponse(status=401)
    token = request.get_signed_cookie(DRAFT_COOKIE, default=None, salt=DRAFT_COOKIE)
    draft = services.save_unclaimed_draft(token=token, meant_for=owner, data=_form_data(request))
    if on_form:
        response = redirect_to_login(reverse("reporting:new"))
        response["Location"] += "&expired=1"
    else:
        response = HttpResponse(status=204)
    _set_cookie(response, DRAFT_COOKIE, str(draft.claim_token))
    return response


def report_new(request: HttpRequest) -> HttpResponse:
    """The report form: one page, a server-side draft, one report per idempotency key."""
    if not request.user.is_authenticated:
        if request.method == "POST":
            return _keep_unclaimed(request)
        return redirect_to_login(request.get_full_path())
    user = request.user
    token = request.get_signed_cookie(DRAFT_COOKIE, default=None, salt=DRAFT_COOKIE)
    restored = services.claim_draft(user=user, token=token) if token else None  # type: ignore[arg-type]

    # Only the form's three buttons count: anything else is a 400 and nothing is stored.
    action = posted_action(request, "submit", "save", "discard") if request.method == "POST" else ""
    if action == "discard":
        services.discard_draft(user=user)  # type: ignore[arg-type]
        messages.success(request, _("The draft has been removed."))
        return redirect("reporting:new")
    if action == "save":
        services.save_draft(user=user, data=_form_data(request))  # type: ignore[arg-type]
        messages.success(request, _("Your draft is saved. You can come back to it at any time."))
        return redirect("reporting:new")
    if request.method == "POST":
        form = ReportForm(request.POST, user=user)
        if form.is_valid():
            report, _created = services.submit_report(
                reporter=user,  # type: ignore[arg-type]
                data=form.report_data(),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
            return redirect("reporting:receipt", code=report.code)
        draft = services.save_draft(user=user, data=_form_data(request))  # type: ignore[arg-type]
        # 200 like any re-shown form: the page is the answer, with the errors on it.
        status = 200
    else:
        draft = services.draft_for(user)  # type: ignore[arg-type]
        initial = _initial_from(draft.data)
        initial.setdefault("occurred_on", timezone.localdate().isoformat())
        home = Employment.objects.filter(user=user).values_list("unit", flat=True).first()
        initial.setdefault("unit", home)
        initial["idempotency_key"] = str(draft.idempotency_key)
        form = ReportForm(initial=initial, user=user)
        status = 200
        if restored is not None:
            messages.info(
                request, _("Welcome back. What you typed before you were logged out is here.")
            )
        elif draft.data:
            messages.info(request, _("You have an unfinished report; we have kept what you typed."))
    context = _form_context(form, has_draft=bool(draft.data))
    # The whistleblowing hint links to the handbook's section on corruption, where published.
    whistleblowing = handbook_selectors.published_with_slug(user, guidance.CORRUPTION)
    context["whistleblowing"] = handbook_selectors.entries(
        [whistleblowing] if whistleblowing else []
    )
    response = render(request, "reporting/report_form.html", context, status=status)
    if token:
        response.delete_cookie(DRAFT_COOKIE)
    _set_cookie(response, OWNER_COOKIE, str(user.pk))
    return response


MORE_FIELDS = [
    "affected",
    "other_forms",
    "situation",
    "decision_delivered",
    "actor_relation",
    "actor_count",
    "actor_known",
    "targets",
    "consequences",
    "felt_pressed",
    "decision_changed",
    "kia_type",
]


MULTI_FIELDS = {"subforms", "other_forms", "consequences", "targets", "purposes"}


def _initial_from(data: dict[str, object]) -> dict[str, object]:
    """A draft's stored answers as the form's initial values (lists for multiple choices)."""
    initial: dict[str, object] = {}
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        initial[key] = values if key in MULTI_FIELDS else (values[0] if values else "")
    return initial


def _form_context(form: ReportForm, *, has_draft: bool) -> dict[str, object]:
    """The form with its choices grouped the way the page shows them."""
    main_choices = []
    for radio in form["main_form"]:
        explanation, example = FORM_HELP[radio.data["value"]]
        main_choices.append({"radio": radio, "explanation": explanation, "example": example})
    boxes = list(form["subforms"])
    groups = [
        {
            "form": code,
            "label": Form(code).label,
            "boxes": [box for box in boxes if box.data["value"].startswith(f"{code}.")],
        }
        for code in SUBFORMS
    ]
    more_open = any(form[name].errors for name in MORE_FIELDS) or any(
        form[name].value() not in (None, "", [], False) for name in MORE_FIELDS
    )
    return {
        "form": form,
        "main_choices": main_choices,
        "subform_groups": groups,
        "more_open": more_open,
        "has_draft": has_draft,
    }


@require_POST
def save_draft(request: HttpRequest) -> HttpResponse:
    """Autosave from the form's script; also keeps the text when the session has just ended."""
    if not request.user.is_authenticated:
        return _keep_unclaimed(request)
    if services.is_submitted(request.user, request.POST.get("idempotency_key")):  # type: ignore[arg-type]
        # A late autosave from a page whose report was just sent: nothing left to keep.
        return HttpResponse(status=204)
    services.save_draft(user=request.user, data=_form_data(request))  # type: ignore[arg-type]
    return HttpResponse(status=204)


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    report = access.get_own_report_for(request.user, code)
    context = {
        "report": report,
        "guidance": guidance.for_receipt(report),
        # Who was actually told, as stored when the report was made.
        "recipients": [
            (notification.recipient, notification.reason)
            for notification in report.notifications.select_related("recipient")
        ],
    }
    return render(request, "reporting/report_receipt.html", context)


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.reports_of(request.user), 25).get_page(request.GET.get("sida"))  # type: ignore[arg-type]
    return render(request, "reporting/report_mine.html", {"page": page})


@login_required
def report_detail(request: HttpRequest, code: str) -> HttpResponse:
    report = access.get_report_for(request.user, code)
    role = access.viewer_role(request.user, report)
    show_actor = access.may_see_actor(request.user, report)
    services.record_read(
        user=request.user,  # type: ignore[arg-type]
        report=report,
        part="report+actor" if show_actor else "report",
        role=role,
    )
    own = access.is_own(request.user, report)
    context = {
        "report": report,
        "show_actor": show_actor,
        "is_own": own,
        # The employee follows the handling here (status, steps, measures concerning them).
        **selectors.case_parts(request.user, report),
        "history": selectors.history(report, sees_actor=show_actor),
        "additions": selectors.additions(report),
        "attachments": selectors.report_attachments(request.user, report),
        "labels": selectors.labels_for(report),
        "readers": selectors.readers_of(report) if own else None,
    }
    return render(request, "reporting/report_detail.html", context)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = (
        Notification.objects.filter(recipient=request.user)
        .select_related("report", "report__unit", "activity__template", "activity__unit")
        .select_related("plan_measure__unit", "plan_measure__assessment", "unit", "audit_measure")
        .order_by("read_at", "-created_at")
    )
    page = Paginator(items, 25).get_page(request.GET.get("sida"))
    return render(request, "reporting/notification_list.html", {"page": page})


@login_required
def guidance_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The four guidance pages became sections of each municipality's handbook: an old
    address (a bookmark, a printed poster) leads to the section in the reader's handbook."""
    section = handbook_selectors.published_with_slug(request.user, slug)
    if section is None:
        raise Http404
    return redirect("handbook:section", code=section.municipality.code, slug=section.slug)
