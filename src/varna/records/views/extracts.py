"""Register extracts (GDPR art. 15) for administrators, and copies of a case for a
public-records request for its handlers. Both are logged; anyone else gets 404."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from varna.cases import access as case_access
from varna.core import forms as base
from varna.orgs import access
from varna.orgs.access import Action
from varna.orgs.models import User
from varna.records import copies, extracts
from varna.reporting.services import record_read

RESULTS_MAX = 50


class PersonSearchForm(base.Form):
    q = forms.CharField(
        label=_("Name, user name or e-mail"),
        min_length=2,
        max_length=100,
        error_messages={"min_length": _("Type at least two characters.")},
    )


def _administers(request: HttpRequest) -> None:
    if not access.can(request.user, Action.ADMINISTER):
        raise Http404


def _person_for(request: HttpRequest, username: str) -> User:
    """The person if the user administers every unit they are placed in; 404 otherwise."""
    _administers(request)
    person = access.administered_people(request.user).filter(username=username).first()
    if person is None:
        raise Http404
    return person


@login_required
@require_GET
def extract_search(request: HttpRequest) -> HttpResponse:
    """Find the person who asked for an extract, among those the administrator administers."""
    _administers(request)
    form = PersonSearchForm(request.GET if "q" in request.GET else None)
    people: list[User] | None = None
    if form.is_valid():
        people = list(extracts.find_people(request.user, form.cleaned_data["q"])[:RESULTS_MAX])  # type: ignore[arg-type]
    context = {"form": form, "people": people, "results_max": RESULTS_MAX}
    return render(request, "records/extract_search.html", context)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _extract_name(person: User, extension: str) -> str:
    return f"registerutdrag-{slugify(person.get_username())}-{timezone.localdate()}.{extension}"


@never_cache
@login_required
@require_GET
def extract_json(request: HttpRequest, username: str) -> HttpResponse:
    person = _person_for(request, username)
    extract = extracts.build(person)
    content = extracts.to_json(extract)
    extracts.record_extract(admin=request.user, extract=extract, fmt="json", request=request)  # type: ignore[arg-type]
    return _download(content, "application/json; charset=utf-8", _extract_name(person, "json"))


@never_cache
@login_required
@require_GET
def extract_pdf(request: HttpRequest, username: str) -> HttpResponse:
    person = _person_for(request, username)
    extract = extracts.build(person)
    content = extracts.to_pdf(extract)
    extracts.record_extract(admin=request.user, extract=extract, fmt="pdf", request=request)  # type: ignore[arg-type]
    return _download(content, "application/pdf", _extract_name(person, "pdf"))


def _copy_for(request: HttpRequest, code: str) -> copies.RecordsCopy:
    """The copy of the case if the user handles it, logged in the read log; 404 otherwise."""
    case = case_access.handled_case_for(request.user, code)
    role = case_access.capacity(request.user, case)
    copy = copies.build(case)
    record_read(user=request.user, report=case.report, part="records_copy", role=str(role))  # type: ignore[arg-type]
    return copy


@never_cache
@login_required
@require_GET
def records_copy(request: HttpRequest, code: str) -> HttpResponse:
    """The print-friendly copy, with the usually secret passages marked for the review."""
    copy = _copy_for(request, code)
    return render(request, "records/records_copy.html", {"copy": copy, "web": True})


@never_cache
@login_required
@require_GET
def records_copy_pdf(request: HttpRequest, code: str) -> HttpResponse:
    copy = _copy_for(request, code)
    name = f"utlamnande-{copy.case.report.number}-{timezone.localdate()}.pdf"
    return _download(copies.to_pdf(copy), "application/pdf", name)
