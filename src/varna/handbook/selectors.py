"""Reading the published handbook: its contents, the sections tied to a piece of work, search.

Readers see only a section's current (published) version; drafts are the editors' business
(varna.handbook.access). Titles and snippets follow the page's language: the English text when
the page is in English and the version has one, the Swedish text otherwise.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from varna.handbook import access, links, markdown
from varna.handbook.models import Section, SectionVersion
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit

# The table of contents shows the kinds in this order: what to do, what to check, whom to call.
KIND_ORDER = [Section.Kind.ROUTINE, Section.Kind.CHECKLIST, Section.Kind.CONTACTS]
KIND_HEADINGS: dict[str, Promise] = {
    Section.Kind.ROUTINE: _("Routines"),
    Section.Kind.CHECKLIST: _("Checklists"),
    Section.Kind.CONTACTS: _("Contacts"),
}

# How much text a search hit shows around the first match (characters, either side).
SNIPPET_CONTEXT = 90
# Mark a match in a snippet until the text is escaped: control characters an author does not
# mean to type, and taken out of the text before the matches are marked (a pasted one would
# otherwise become a stray <mark>).
_START, _STOP = "\x02", "\x03"
_NO_SIGNS = str.maketrans("", "", _START + _STOP)


def in_english() -> bool:
    return (get_language() or "").startswith("en")


def title_of(version: SectionVersion) -> str:
    """The version's title in the page's language."""
    return version.title_en if in_english() and version.title_en else version.title


def html_of(version: SectionVersion) -> str:
    """The version's rendered (already sanitised) text in the page's language."""
    return version.html_en if in_english() and version.html_en else version.html


@dataclass(frozen=True)
class Entry:
    """A published section as a list shows it: its title in the page's language and address."""

    section: Section
    title: str
    url: str


def entries(sections: Iterable[Section]) -> list[Entry]:
    return [
        Entry(
            section,
            title_of(section.current),
            reverse("handbook:section", args=[section.municipality.code, section.slug]),
        )
        for section in sections
        if section.current is not None
    ]


def published(municipality: Unit) -> QuerySet[Section]:
    """The municipality's published sections, in the order of the table of contents within
    each kind."""
    return (
        Section.objects.filter(municipality=municipality, current__isnull=False)
        .select_related("current", "municipality")
        .order_by("position", "slug")
    )


def _in_contents_order(sections: Iterable[Section]) -> list[Section]:
    return sorted(
        sections, key=lambda s: (KIND_ORDER.index(Section.Kind(s.kind)), s.position, s.slug)
    )


@dataclass(frozen=True)
class Group:
    kind: str
    label: Promise | str
    sections: list[Section]


def contents(municipality: Unit) -> list[Group]:
    """The published handbook grouped by kind (routines, checklists, contacts); empty kinds
    are left out."""
    found = list(published(municipality))
    return [
        Group(kind, kind.label, [s for s in found if s.kind == kind])
        for kind in KIND_ORDER
        if any(s.kind == kind for s in found)
    ]


def in_contents_order(municipality: Unit) -> list[Section]:
    """Every published section, as the table of contents lists them (for the printout)."""
    return _in_contents_order(published(municipality))


def unpublished(municipality: Unit) -> QuerySet[Section]:
    """Sections with no published version yet (only editors are shown these)."""
    return Section.objects.filter(municipality=municipality, current__isnull=True).order_by(
        "position", "slug"
    )


def for_targets(
    municipality: Unit,
    targets: Iterable[tuple[str, str]],
    kinds_of_section: Iterable[str] | None = None,
    *,
    every_kind: bool = False,
) -> list[Section]:
    """The published sections tied to any of the targets ((link kind, value) pairs, empty
    values ignored), optionally only sections of the given kinds, in contents order, each
    with its links fetched.

    With `every_kind`, a section tied to several of the targets' link kinds must match each of
    them: a checklist tied to "threat" and to the step "received" is for threat cases in that
    step, not for every case in it. A section not tied to a kind at all is not held back by it.
    """
    wanted = {(kind, value) for kind, value in targets if value}
    if not wanted:
        return []
    query = Q()
    for kind, value in wanted:
        query |= Q(links__kind=kind, links__value=value)
    sections = published(municipality).filter(query).distinct().prefetch_related("links")
    if kinds_of_section is not None:
        sections = sections.filter(kind__in=list(kinds_of_section))
    found = list(sections)
    if every_kind:
        target_kinds = {kind for kind, _value in wanted}
        found = [s for s in found if _matches_each_kind(s, wanted, target_kinds)]
    return _in_contents_order(found)


def _matches_each_kind(section: Section, wanted: set[tuple[str, str]], kinds: set[str]) -> bool:
    tied = [(link.kind, link.value) for link in section.links.all()]
    return all(
        any(pair in wanted for pair in tied if pair[0] == kind)
        for kind in {tied_kind for tied_kind, _value in tied} & kinds
    )


def routines_by_risk_situation(municipality: Unit) -> dict[str, list[Entry]]:
    """The published routines tied to each risk situation (for an assessment's list of risks)."""
    found: dict[str, list[Entry]] = {}
    routines = (
        published(municipality)
        .filter(kind=Section.Kind.ROUTINE, links__kind=links.RISK_SITUATION)
        .distinct()
        .prefetch_related("links")
    )
    for routine in _in_contents_order(routines):
        (entry,) = entries([routine])
        for link in routine.links.all():
            if link.kind == links.RISK_SITUATION:
                found.setdefault(link.value, []).append(entry)
    return found


@dataclass(frozen=True)
class Tie:
    """What a section is tied to, of one kind: "Form of event: Threat, Violence"."""

    label: str
    values: list[str]


def ties(section: Section) -> list[Tie]:
    """The section's links in words, kind by kind in the order the kinds were registered."""
    values: dict[str, list[str]] = {}
    for link in section.links.all():
        values.setdefault(link.kind, []).append(link.value)
    found = []
    for kind in links.kinds():
        if kind.key in values:
            labels = sorted(kind.label_of(value) for value in values.pop(kind.key))
            found.append(Tie(str(kind.label), labels))
    # Links of a kind no app registers any more are shown as stored rather than hidden.
    found.extend(Tie(key, sorted(stored)) for key, stored in sorted(values.items()))
    return found


_HEADING = re.compile(r"<(/?)h([1-6])>")


def with_headings_from(html: str, top: int) -> str:
    """The rendered text with its headings moved so that the highest one is an <h`top`>
    (a page has one h1, its title; an author's "# Heading" becomes a heading under it)."""
    levels = [int(level) for _slash, level in _HEADING.findall(html)]
    if not levels:
        return html
    shift = top - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + shift))}>", html)


def published_with_slug(user: AnyUser, slug: str) -> Section | None:
    """The published section with this address in a municipality the user reads (the first
    by name when they read several), or None."""
    return (
        Section.objects.filter(
            municipality__in=access.municipalities(user), slug=slug, current__isnull=False
        )
        .select_related("current", "municipality")
        .order_by("municipality__name")
        .first()
    )


@dataclass(frozen=True)
class Hit:
    section: Section
    title: str
    url: str
    snippet: SafeString  # escaped text with the matches in <mark>


def search(municipality: Unit, query: str) -> list[Hit]:
    """The published sections that match `query`, the best first. On PostgreSQL a full-text
    search with the Swedish configuration (so "hembesöken" finds "hembesök"); elsewhere every
    word must occur in the title or the text. An English page also searches the English text."""
    query = query.strip()
    if not query:
        return []
    if connection.vendor == "postgresql":
        return _search_postgresql(municipality, query)
    return _search_plain(municipality, query)


def _search_postgresql(municipality: Unit, query: str) -> list[Hit]:
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    english = in_english()
    vector = SearchVector("current__title", weight="A", config="swedish") + SearchVector(
        "current__body", weight="B", config="swedish"
    )
    search_query = SearchQuery(query, search_type="websearch", config="swedish")
    if english:
        vector = (
            vector
            + SearchVector("current__title_en", weight="A", config="english")
            + SearchVector("current__body_en", weight="B", config="english")
        )
        search_query = search_query | SearchQuery(query, search_type="websearch", config="english")

    def marked_in(field: str, config: str) -> SearchHeadline:
        return SearchHeadline(
            Replace(Replace(F(field), Value(_START)), Value(_STOP)),
            search_query,
            config=config,
            start_sel=_START,
            stop_sel=_STOP,
            max_words=30,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
        )

    sections = (
        published(municipality)
        .annotate(document=vector)
        .filter(document=search_query)
        .annotate(rank=SearchRank(vector, search_query))
        .annotate(headline=marked_in("current__body", "swedish"))
    )
    if english:
        sections = sections.annotate(headline_en=marked_in("current__body_en", "english"))
    hits = []
    for section in sections.order_by("-rank", "position", "slug"):
        headline = section.headline
        english_headline = getattr(section, "headline_en", "")
        # The English snippet on an English page, unless only the Swedish text matched.
        if english_headline and (_START in english_headline or _START not in headline):
            headline = english_headline
        hits.append(_hit(section, _marked(_without_markup(headline))))
    return hits


def _search_plain(municipality: Unit, query: str) -> list[Hit]:
    # Compared in Python: SQLite's LIKE folds the case of ASCII letters only, so "Övergrepp"
    # would not match "övergrepp". A municipality has tens of sections, not thousands.
    words = [w.strip(".-").casefold() for w in re.findall(r"[\w@.-]+", query) if w.strip(".-")]
    if not words:
        return []
    english = in_english()
    scored = []
    for index, section in enumerate(_in_contents_order(published(municipality))):
        version = section.current
        assert version is not None  # published() holds only sections with a current version
        titles = [version.title] + ([version.title_en] if english else [])
        bodies = [version.body] + ([version.body_en] if english else [])
        title = " ".join(titles).casefold()
        body = " ".join(bodies).casefold()
        if not all(word in title or word in body for word in words):
            continue
        # Like the weights on PostgreSQL: a word in the title counts more than one in the text.
        score = sum(3 * title.count(word) + body.count(word) for word in words)
        # The snippet from the English text on an English page when the word is there.
        text = version.body_en if english and version.body_en else version.body
        if not any(word in text.casefold() for word in words):
            text = version.body
        scored.append((-score, index, section, _plain_snippet(markdown.plain(text), words)))
    scored.sort(key=lambda row: (row[0], row[1]))
    return [_hit(section, snippet) for _score, _index, section, snippet in scored]


def _plain_snippet(text: str, words: list[str]) -> SafeString:
    """Some text around the first match, the matches marked."""
    text = text.translate(_NO_SIGNS)
    folded = text.casefold()
    first = min((i for i in (folded.find(w) for w in words) if i >= 0), default=0)
    start = max(0, first - SNIPPET_CONTEXT)
    end = min(len(text), first + SNIPPET_CONTEXT * 2)
    # Whole words only: move the cuts out to the nearest space.
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else 0
    if end < len(text):
        space = text.find(" ", end)
        end = space if space >= 0 else len(text)
    piece = " ".join(text[start:end].split())
    # Casefold keeps the length of Swedish text, so positions in the folded copy hold.
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    piece = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", piece)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return _marked(f"{prefix}{piece}{suffix}")


# The Markdown signs a headline drawn from the raw text may hold: a link keeps its words,
# emphasis, headings, quotes and table bars go.
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SIGNS = re.compile(r"(?m)^\s*(#{1,6}|>|[-*+]|\d+[.)])\s+|[*_`|]+")


_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?)])")


def _without_markup(text: str) -> str:
    words = " ".join(_SIGNS.sub(" ", _LINK.sub(r"\1", text)).split())
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", words)


def _marked(text: str) -> SafeString:
    """Escape the text, then turn the match signs into <mark>."""
    safe = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308  (escaped above; only our own tags added)


def _hit(section: Section, snippet: SafeString) -> Hit:
    assert section.current is not None
    return Hit(
        section,
        title_of(section.current),
        reverse("handbook:section", args=[section.municipality.code, section.slug]),
        snippet,
    )
