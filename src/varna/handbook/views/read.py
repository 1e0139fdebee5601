"""Reading the handbook: the contents, a section, search, and the printout and PDF of the whole
handbook or of one section. Everyone with a role in the municipality reads its published
sections; what is not theirs to read is a 404 (varna.handbook.access)."""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from varna.handbook import access, selectors
from varna.handbook.models import Section
from varna.orgs.models import Unit

# A search longer than this is cut: nobody types a paragraph into the handbook's search box.
QUERY_MAX = 200
PRINT_STYLESHEETS = ["varna/css/print.css"]


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The handbook of the reader's municipality; a choice when they hold roles in several."""
    municipalities = list(access.municipalities(request.user))
    if not municipalities:
        raise Http404
    if len(municipalities) == 1:
        return redirect("handbook:contents", code=municipalities[0].code)
    return render(request, "handbook/index.html", {"municipalities": municipalities})


@login_required
@require_GET
def contents(request: HttpRequest, code: str) -> HttpResponse:
    municipality = access.municipality_for_reading(request.user, code)
    editor = access.may_edit(request.user, municipality)
    context = {
        "municipality": municipality,
        "groups": [
            (selectors.KIND_HEADINGS[group.kind], selectors.entries(group.sections))
            for group in selectors.contents(municipality)
        ],
        "editor": editor,
        "unpublished": list(selectors.unpublished(municipality)) if editor else [],
    }
    return render(request, "handbook/contents.html", context)


def _query(request: HttpRequest) -> str:
    """What was typed into the search box, without invisible characters, cut to QUERY_MAX."""
    text = request.GET.get("q", "")[:QUERY_MAX]
    return "".join(c for c in text if unicodedata.category(c) not in {"Cc", "Cf"}).strip()


@login_required
@require_GET
def search(request: HttpRequest, code: str) -> HttpResponse:
    municipality = access.municipality_for_reading(request.user, code)
    query = _query(request)
    context = {
        "municipality": municipality,
        "query": query,
        "hits": selectors.search(municipality, query) if query else None,
    }
    return render(request, "handbook/search.html", context)


@login_required
@require_GET
def section(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    found = access.section_for_reading(request.user, code, slug)
    version = found.current
    context = {
        "section": found,
        "municipality": found.municipality,
        "version": version,
        # An editor reaches a section before its first version is published.
        "title": selectors.title_of(version) if version else found.slug,
        "html": _html(found, top=2),
        "text_lang": _fallback_lang(found),
        "ties": selectors.ties(found),
        "editor": access.may_edit(request.user, found.municipality),
    }
    return render(request, "handbook/section.html", context)


@dataclass(frozen=True)
class Printed:
    """A section as the printout shows it."""

    section: Section
    title: str
    html: SafeString
    text_lang: str
    number: int | None
    published_at: datetime | None


def _html(section: Section, *, top: int) -> SafeString:
    if section.current is None:
        return mark_safe("")
    # Sanitised when the version was saved (varna.handbook.markdown).
    return mark_safe(selectors.with_headings_from(selectors.html_of(section.current), top))  # noqa: S308


def _fallback_lang(section: Section) -> str:
    """ "sv" when an English page shows the Swedish text for want of an English one."""
    version = section.current
    if version is not None and selectors.in_english() and not version.html_en:
        return "sv"
    return ""


def _printed(section: Section, *, top: int) -> Printed:
    version = section.current
    assert version is not None
    return Printed(
        section,
        selectors.title_of(version),
        _html(section, top=top),
        _fallback_lang(section),
        version.number,
        version.published_at,
    )


def _whole(request: HttpRequest, code: str) -> dict[str, Any]:
    municipality = access.municipality_for_reading(request.user, code)
    return {
        "municipality": municipality,
        "whole": True,
        "sections": [_printed(found, top=3) for found in selectors.in_contents_order(municipality)],
        "printed_at": timezone.localtime(),
    }


def _one(request: HttpRequest, code: str, slug: str) -> dict[str, Any]:
    found = access.section_for_reading(request.user, code, slug)
    if found.current is None:
        raise Http404  # nothing published to print yet
    return {
        "municipality": found.municipality,
        "whole": False,
        "section": found,
        "sections": [_printed(found, top=2)],
        "printed_at": timezone.localtime(),
    }


@login_required
@require_GET
def print_all(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "handbook/print.html", _whole(request, code) | {"web": True})


@login_required
@require_GET
def print_section(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    return render(request, "handbook/print.html", _one(request, code, slug) | {"web": True})


def _pdf(request: HttpRequest, context: dict[str, Any], filename: str) -> HttpResponse:
    from weasyprint import CSS, HTML

    html = render_to_string("handbook/print.html", context | {"web": False}, request)
    # The stylesheets are read from disk: the PDF is made without fetching anything over HTTP.
    sheets = [CSS(filename=finders.find(path)) for path in PRINT_STYLESHEETS]
    document = HTML(string=html).write_pdf(stylesheets=sheets)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(municipality: Unit, *parts: str) -> str:
    # Only lower-case letters, digits and hyphens: nothing a header or a file system minds.
    names = [slugify(municipality.code), *(slugify(part) for part in parts)]
    return "-".join(["metodhandbok", *(name for name in names if name)]) + ".pdf"


@login_required
@require_GET
def pdf_all(request: HttpRequest, code: str) -> HttpResponse:
    context = _whole(request, code)
    return _pdf(request, context, _filename(context["municipality"]))


@login_required
@require_GET
def pdf_section(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    context = _one(request, code, slug)
    return _pdf(request, context, _filename(context["municipality"], context["section"].slug))
