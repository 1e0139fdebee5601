"""Writing the handbook: a new section, editing a section's text and settings, its history,
one version with what changed, and publishing a draft.

Only the municipality's editors reach the editing pages, drafts and publishing; for anyone
else they do not exist (404). The history and the published versions are part of the
handbook and readable by everyone who reads it; drafts are listed only for editors.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from varna.core.forms import posted_action, show_refusal
from varna.handbook import access, diff, forms, services
from varna.handbook.models import Section, SectionVersion
from varna.orgs.models import User

Status = SectionVersion.Status
# The texts of a version, in the order their differences are shown.
TEXT_FIELDS = (
    ("title", gettext_lazy("Title")),
    ("body", gettext_lazy("Text")),
    ("title_en", gettext_lazy("Title in English")),
    ("body_en", gettext_lazy("Text in English")),
)


@dataclass(frozen=True)
class Change:
    label: str
    lines: list[diff.Line]


def changes(old: SectionVersion | None, new: SectionVersion) -> list[Change]:
    """The texts that differ between `old` (None: nothing) and `new`, line by line."""
    found = []
    for name, label in TEXT_FIELDS:
        lines = diff.compare(getattr(old, name) if old else "", getattr(new, name))
        if lines:
            found.append(Change(str(label), lines))
    return found


def _current_number(section: Section) -> int | None:
    return section.current.number if section.current else None


def _drafts(section: Section) -> QuerySet[SectionVersion]:
    return section.versions.filter(status=Status.DRAFT).select_related("created_by")


def _version_or_404(section: Section, pk: int | str) -> SectionVersion:
    # A key typed into the address (?from=) may be anything: only plain digits that fit a
    # key are looked up.
    text = str(pk)
    key = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0
    version = section.versions.select_related("created_by", "published_by").filter(pk=key).first()
    if version is None:
        raise Http404
    return version


def _compared_with(version: SectionVersion) -> SectionVersion | None:
    """What a version is shown against: a draft its base, a published version the one before."""
    published = version.section.versions.filter(status=Status.PUBLISHED)
    if version.is_draft:
        if version.base_number is None:
            return None
        return published.filter(number=version.base_number).first()
    return published.filter(number__lt=version.number).order_by("-number").first()


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


@login_required
def new_section(request: HttpRequest, code: str) -> HttpResponse:
    """A new section and its first draft, in one step."""
    municipality = access.municipality_for_reading(request.user, code)
    if not access.may_edit(request.user, municipality):
        raise Http404
    form = forms.NewSectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # One transaction: a refused text leaves no section without text behind.
            with transaction.atomic():
                section = services.create_section(
                    municipality=municipality,
                    slug=data["slug"],
                    kind=data["kind"],
                    position=data["position"],
                    in_introduction=data["in_introduction"],
                    links=form.links(),
                    by=_user(request),
                )
                draft = services.save_draft(
                    section=section,
                    title=data["title"],
                    body=data["body"],
                    title_en=data["title_en"],
                    body_en=data["body_en"],
                    comment=data["comment"],
                    base_number=None,
                    by=_user(request),
                )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(
                request,
                _("The section is created with a first draft. Read it through and publish it."),
            )
            return redirect("handbook:version", code, section.slug, draft.pk)
    return render(request, "handbook/new.html", {"form": form, "municipality": municipality})


@dataclass(frozen=True)
class Start:
    """What the editing page starts from, and what to tell the editor about other drafts."""

    version: SectionVersion | None  # the text in the form (None: an empty form)
    chosen: SectionVersion | None  # a draft picked with ?from=, continued on the current version
    own_older: SectionVersion | None  # the editor's own draft from an earlier version
    newer: SectionVersion | None  # another editor's draft newer than the starting text


def _start(request: HttpRequest, section: Section) -> Start:
    user = _user(request)
    current_number = _current_number(section)
    drafts = _drafts(section)
    chosen = None
    if "from" in request.GET:
        chosen = _version_or_404(section, request.GET["from"])
        if not chosen.is_draft:
            raise Http404
    own = drafts.filter(created_by=user).order_by("-created_at")
    own_current = own.filter(base_number=current_number).first()
    start = chosen or own_current or section.current
    since: datetime | None
    if start is not None and start.is_draft:
        since = start.created_at
    else:
        since = section.current.published_at if section.current else None
    others = drafts.exclude(created_by=user).order_by("-created_at")
    if since is not None:
        others = others.filter(created_at__gt=since)
    if start is not None:
        others = others.exclude(pk=start.pk)
    own_older = None if chosen else own.exclude(base_number=current_number).first()
    if own_older and own_current and own_older.created_at < own_current.created_at:
        own_older = None
    return Start(start, chosen, own_older, others.first())


@login_required
def edit(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    """Write a new draft (from the editor's own draft, or the current text), save it or
    publish it at once, and change the section's settings."""
    section = access.section_for_editing(request.user, code, slug)
    user = _user(request)
    start = _start(request, section)
    text_initial = {"base_number": _current_number(section)}
    if start.version is not None:
        text_initial |= {
            name: getattr(start.version, name) for name in ("title", "body", "title_en", "body_en")
        }
    text_form = forms.TextForm(initial=text_initial)
    settings_form = forms.SettingsForm(
        initial=forms.SettingsForm.initial_of(section), prefix="settings"
    )
    if request.method == "POST":
        action = posted_action(request, "draft", "publish", "settings")
        if action == "settings":
            settings_form = forms.SettingsForm(request.POST, prefix="settings")
            if settings_form.is_valid():
                try:
                    services.update_section(
                        section=section,
                        kind=settings_form.cleaned_data["kind"],
                        position=settings_form.cleaned_data["position"],
                        in_introduction=settings_form.cleaned_data["in_introduction"],
                        links=settings_form.links(),
                        by=user,
                    )
                except ValidationError as error:
                    show_refusal(settings_form, error)
                else:
                    messages.success(request, _("The section's settings are saved."))
                    return redirect("handbook:edit", code, slug)
        else:
            text_form = forms.TextForm(request.POST)
            if text_form.is_valid():
                response = _save_text(request, section, text_form, publish=action == "publish")
                if response is not None:
                    return response
    context = {
        "section": section,
        "code": code,
        "start": start,
        "text_form": text_form,
        "settings_form": settings_form,
    }
    return render(request, "handbook/edit.html", context)


def _save_text(
    request: HttpRequest, section: Section, form: forms.TextForm, *, publish: bool
) -> HttpResponse | None:
    """Save the draft and, if asked, publish it; None when the text is refused (the form
    then carries the messages). A refused publication keeps the draft: the editor is taken to
    it, with the reason."""
    data = form.cleaned_data
    code = section.municipality.code
    try:
        draft = services.save_draft(
            section=section,
            title=data["title"],
            body=data["body"],
            title_en=data["title_en"],
            body_en=data["body_en"],
            comment=data["comment"],
            base_number=data["base_number"],
            by=_user(request),
        )
    except ValidationError as error:
        show_refusal(form, error)
        return None
    if not publish:
        messages.success(request, _("The draft is saved. Readers see it once it is published."))
        return redirect("handbook:version", code, section.slug, draft.pk)
    return _publish(request, draft)


def _publish(request: HttpRequest, draft: SectionVersion) -> HttpResponse:
    section = draft.section
    code = section.municipality.code
    try:
        published = services.publish(version=draft, by=_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("handbook:version", code, section.slug, draft.pk)
    messages.success(
        request,
        _("Version %(number)s is published; readers see it now.") % {"number": published.number},
    )
    return redirect(reverse("handbook:section", args=[code, section.slug]))


@login_required
@require_POST
def publish(request: HttpRequest, code: str, slug: str, pk: int) -> HttpResponse:
    """Publish a draft; refused, the editor comes back to the draft with the reason."""
    section = access.section_for_editing(request.user, code, slug)
    version = _version_or_404(section, pk)
    version.section = section
    return _publish(request, version)


@login_required
def history(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    """Every published version, newest first, and for editors the drafts above them."""
    section = access.section_for_reading(request.user, code, slug)
    may_edit = access.may_edit(request.user, section.municipality)
    versions = section.versions.select_related("created_by", "published_by").order_by(
        F("number").desc(nulls_first=True), "-created_at"
    )
    if not may_edit:
        versions = versions.filter(status=Status.PUBLISHED)
    context = {"section": section, "versions": versions, "may_edit": may_edit}
    return render(request, "handbook/history.html", context)


@login_required
def version(request: HttpRequest, code: str, slug: str, pk: int) -> HttpResponse:
    """One version's text and what changed from the version before it (a draft: from the
    version it was written from). Drafts exist only for editors."""
    section = access.section_for_reading(request.user, code, slug)
    may_edit = access.may_edit(request.user, section.municipality)
    shown = _version_or_404(section, pk)
    if shown.is_draft and not may_edit:
        raise Http404
    shown.section = section
    compared = _compared_with(shown)
    current = section.current
    # A draft written from an older version than the current one cannot be published as it
    # is: the editor compares it with the current version and continues from it.
    behind = shown.is_draft and current is not None and shown.base_number != current.number
    context = {
        "section": section,
        "version": shown,
        "compared": compared,
        "changes": changes(compared, shown),
        "behind": behind,
        "against_current": changes(current, shown) if behind else [],
        "may_edit": may_edit,
    }
    return render(request, "handbook/version.html", context)
