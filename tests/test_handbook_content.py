"""The handbook's content: the default sections every municipality starts with, and Demo
kommun's own handbook with its links, histories and draft."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from varna.handbook import demo, links, markdown
from varna.handbook.defaults import DEFAULTS, install_defaults
from varna.handbook.models import Section, SectionLink, SectionVersion
from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Unit

DEFAULT_SLUGS = {"efter-en-handelse", "stod", "polisanmalan", "korruption"}
ALL_FORMS = {"harassment", "threat", "violence", "damage", "corruption"}


def _new_municipality(code: str = "NYKOM") -> Unit:
    return org_services.create_unit(code=code, name="Nya kommunen", kind="kommun", parent=None)


def _links(section: Section) -> set[tuple[str, str]]:
    return set(section.links.values_list("kind", "value"))


# The defaults as data


@pytest.mark.parametrize("default", DEFAULTS, ids=lambda default: default.slug)
def test_every_default_renders_in_swedish_and_english_from_plain_markdown(default):
    for title, body in ((default.title, default.body), (default.title_en, default.body_en)):
        assert title.strip()
        assert "<" not in title and "<" not in body, "Markdown only: no HTML in the source"
        html = markdown.render(body)
        assert "<h2>" in html and "<li>" in html
        # Escaped HTML in the output would mean the source held some.
        assert "&lt;" not in html
        assert len(markdown.plain(body)) > 500


def test_the_defaults_keep_the_old_guidance_pages_slugs_and_order():
    assert [default.slug for default in DEFAULTS] == [
        "efter-en-handelse",
        "stod",
        "polisanmalan",
        "korruption",
    ]
    positions = [default.position for default in DEFAULTS]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert {default.kind for default in DEFAULTS} == {"routine"}


@pytest.mark.parametrize("default", DEFAULTS, ids=lambda default: default.slug)
def test_no_default_names_a_fixed_number_of_working_days(default):
    # Each installation sets its own; the receipt states it.
    assert not re.search(r"\d+\s+arbetsdag", default.body)
    assert not re.search(r"\d+\s+working\s+day", default.body_en)


def test_the_swedish_and_english_defaults_have_the_same_headings():
    for default in DEFAULTS:
        swedish = re.findall(r"^## ", default.body, flags=re.MULTILINE)
        english = re.findall(r"^## ", default.body_en, flags=re.MULTILINE)
        assert len(swedish) == len(english) >= 4


# A new municipality


def test_a_new_municipality_gets_the_four_defaults_published(db):
    municipality = _new_municipality()

    sections = {s.slug: s for s in Section.objects.filter(municipality=municipality)}
    assert set(sections) == DEFAULT_SLUGS
    for default in DEFAULTS:
        section = sections[default.slug]
        version = section.current
        assert version is not None
        assert version.status == SectionVersion.Status.PUBLISHED
        assert version.number == 1 and version.base_number is None
        assert version.published_at is not None
        assert version.published_at > timezone.now() - timedelta(minutes=5)
        assert version.title == default.title and version.title_en == default.title_en
        assert version.html == markdown.render(default.body)
        assert version.html_en == markdown.render(default.body_en)
        assert section.versions.count() == 1
        assert section.kind == default.kind and section.position == default.position
    assert _links(sections["polisanmalan"]) == {
        ("form", "threat"),
        ("form", "violence"),
        ("form", "damage"),
    }
    assert _links(sections["korruption"]) == {("form", "corruption")}
    for slug in ("efter-en-handelse", "stod"):
        assert _links(sections[slug]) == {("form", form) for form in ALL_FORMS}
    assert [s.slug for s in sections.values() if s.in_introduction] == ["efter-en-handelse"]


def test_a_unit_below_a_municipality_gets_no_sections(cast):
    unit = org_services.create_unit(
        code="DEMO-NY", name="Ny enhet", kind="enhet", parent=cast.unit("DEMO-ALF")
    )
    assert not Section.objects.filter(municipality=unit).exists()
    with pytest.raises(ValueError):
        install_defaults(unit)


def test_installing_the_defaults_again_changes_nothing(db):
    municipality = _new_municipality()
    before = list(
        SectionVersion.objects.filter(section__municipality=municipality).values_list(
            "pk", "number", "body"
        )
    )

    assert install_defaults(municipality) == 0
    assert install_defaults(municipality) == 0

    after = list(
        SectionVersion.objects.filter(section__municipality=municipality).values_list(
            "pk", "number", "body"
        )
    )
    assert after == before
    assert SectionLink.objects.filter(section__municipality=municipality).count() == sum(
        len(default.links) for default in DEFAULTS
    )


def test_installing_puts_back_only_a_missing_default(cast):
    municipality = _new_municipality()
    Section.objects.get(municipality=municipality, slug="stod").delete()

    assert install_defaults(municipality, by=cast["redaktor"]) == 1

    section = Section.objects.get(municipality=municipality, slug="stod")
    assert section.current is not None
    assert section.current.published_by == cast["redaktor"]
    assert section.current.created_by == cast["redaktor"]
    assert Section.objects.filter(municipality=municipality).count() == 4


def test_the_migration_gives_the_defaults_to_municipalities_made_before_the_handbook(db):
    # A root unit written without signals, as a database from before the handbook holds them.
    (old,) = Unit.objects.bulk_create(
        [Unit(code="GAMMAL", name="Gamla kommunen", kind="kommun", path="9" * tree.SEGMENT)]
    )
    assert not Section.objects.filter(municipality=old).exists()
    migration = importlib.import_module("varna.handbook.migrations.0002_default_sections")

    migration.install(apps, None)
    migration.install(apps, None)

    sections = Section.objects.filter(municipality=old)
    assert set(sections.values_list("slug", flat=True)) == DEFAULT_SLUGS
    assert all(s.current is not None and s.current.number == 1 for s in sections)
    assert SectionVersion.objects.filter(section__municipality=old).count() == 4
    # The municipalities that had them keep exactly theirs.
    assert Section.objects.filter(municipality__code="GRANN").count() == 4


# Demo kommun


DEMO_SECTIONS = {
    "fore-hembesok": "routine",
    "i-receptionen": "routine",
    "nar-du-lamnar-ett-avslag": "routine",
    "hot-telefon-brev-natet": "routine",
    "mutor-och-erbjudanden": "routine",
    "chefens-checklista-forsta-dygnen": "checklist",
    "chefens-checklista-utredning": "checklist",
    "checklista-uppfoljning-avslut": "checklist",
    "introduktion": "checklist",
    "kontakter": "contacts",
}


def test_demo_kommun_has_its_own_sections_beside_the_defaults(cast):
    sections = {s.slug: s for s in Section.objects.filter(municipality=cast.unit("DEMO"))}

    assert set(sections) >= DEFAULT_SLUGS | set(DEMO_SECTIONS)
    for slug, kind in DEMO_SECTIONS.items():
        assert sections[slug].kind == kind
        assert sections[slug].current is not None
        assert sections[slug].current.status == SectionVersion.Status.PUBLISHED
    assert {s.kind for s in sections.values()} == {"routine", "checklist", "contacts"}
    assert {s.slug for s in sections.values() if s.in_introduction} == {
        "introduktion",
        "efter-en-handelse",
    }
    titles = {s.current.title for s in sections.values() if s.current}
    assert {
        "Före hembesök",
        "I receptionen och besöksrummet",
        "När du lämnar ett avslag",
        "Hot per telefon, brev och på nätet",
        "Mutor och otillbörliga erbjudanden",
        "Chefens checklista: de första dygnen",
        "Chefens checklista: utredning och åtgärder",
        "Checklista: uppföljning och avslut",
        "Introduktion: säkerhet i ditt arbete",
        "Kontakter",
    } <= titles


def test_grannby_has_only_the_defaults(cast):
    sections = Section.objects.filter(municipality=cast.unit("GRANN"))
    assert set(sections.values_list("slug", flat=True)) == DEFAULT_SLUGS
    assert all(s.current is not None for s in sections)


def test_every_demo_link_names_a_registered_value(cast):
    demo_links = SectionLink.objects.filter(section__municipality=cast.unit("DEMO"))
    assert demo_links.count() > 30
    for link in demo_links:
        kind = links.kind(link.kind)
        assert kind is not None, link.kind
        assert link.value in dict(kind.choices()), f"{link.kind}={link.value}"
    # Every kind of link the work's apps register is used somewhere in the demo.
    assert set(demo_links.values_list("kind", flat=True)) >= {
        links.FORM,
        links.SUBFORM,
        links.SITUATION,
        links.PLACE,
        links.CASE_STEP,
        links.RISK_SITUATION,
    }


def test_demo_sections_are_tied_to_the_work_they_are_about(cast):
    def links_of(slug: str) -> set[tuple[str, str]]:
        return _links(Section.objects.get(municipality__code="DEMO", slug=slug))

    assert {
        ("risk_situation", "home_visit"),
        ("situation", "home_visit"),
        ("place", "home_visit"),
    } <= links_of("fore-hembesok")
    assert {("risk_situation", "reception"), ("place", "office")} <= links_of("i-receptionen")
    assert {("risk_situation", "rejection"), ("situation", "rejection")} <= links_of(
        "nar-du-lamnar-ett-avslag"
    )
    assert {
        ("place", "phone"),
        ("place", "letter"),
        ("place", "online"),
        ("risk_situation", "online"),
        ("risk_situation", "phone"),
        ("form", "harassment"),
        ("form", "threat"),
    } <= links_of("hot-telefon-brev-natet")
    corruption_subforms = {
        value
        for value, _label in links.kind(links.SUBFORM).choices()
        if value.startswith("corruption.")
    }
    assert {("form", "corruption")} | {
        ("subform", value) for value in corruption_subforms
    } <= links_of("mutor-och-erbjudanden")
    assert {
        ("case_step", "received"),
        ("case_step", "acknowledged"),
        ("form", "threat"),
        ("form", "violence"),
    } <= links_of("chefens-checklista-forsta-dygnen")
    assert {("case_step", "investigated"), ("case_step", "measures_decided")} <= links_of(
        "chefens-checklista-utredning"
    )
    assert {("case_step", "followed_up"), ("case_step", "closed")} <= links_of(
        "checklista-uppfoljning-avslut"
    )


@pytest.mark.parametrize("slug", ["fore-hembesok", "kontakter"])
def test_two_demo_sections_have_a_history_of_two_published_versions(cast, slug):
    section = Section.objects.get(municipality__code="DEMO", slug=slug)
    first, second = section.versions.filter(status="published").order_by("number")
    editor = cast["redaktor"]

    assert (first.number, second.number) == (1, 2)
    assert section.current == second
    assert second.base_number == 1
    assert second.comment.strip()
    assert first.body != second.body
    assert first.published_at < timezone.now() - timedelta(days=90)
    assert first.published_at < second.published_at < timezone.now()
    assert first.created_at <= first.published_at
    for version in (first, second):
        assert version.created_by == editor and version.published_by == editor
        assert version.html == markdown.render(version.body)


def test_one_demo_section_has_an_open_draft_by_the_editor(cast):
    drafts = SectionVersion.objects.filter(
        section__municipality__code="DEMO", status=SectionVersion.Status.DRAFT
    )
    assert drafts.count() == 1
    draft = drafts.get()
    section = draft.section
    assert section.slug == "i-receptionen"
    assert draft.created_by == cast["redaktor"]
    assert draft.number is None and draft.published_at is None
    assert draft.base_number == section.current.number
    assert draft.body != section.current.body
    assert draft.comment.strip()
    # Readers still see the published text.
    assert "Fast larmknapp vid dörren" not in section.current.html
    assert "Fast larmknapp vid dörren" in draft.html


def test_demo_texts_are_markdown_with_headings_lists_and_tables(cast):
    versions = SectionVersion.objects.filter(section__municipality__code="DEMO")
    for version in versions:
        assert "<" not in version.body and "<" not in version.title, version.title
        assert "&lt;" not in version.html
        assert ("<h2>" in version.html and "<li>" in version.html) or "<table>" in version.html
    assert sum("<table>" in version.html for version in versions) >= 5
    contacts = Section.objects.get(municipality__code="DEMO", slug="kontakter").current.body
    assert "112" in contacts and "114 14" in contacts
    # Made-up numbers and addresses only, besides the public ones above.
    numbers = re.findall(r"\b0\d{2,3}-[\d ]+\d", contacts)
    assert numbers and all(number.startswith("0100-") for number in numbers)
    domains = set(re.findall(r"@([\w.]+)", contacts)) | set(
        re.findall(r"https?://([\w.]+)", contacts)
    )
    assert domains and all(domain.endswith(".example") for domain in domains)


def test_loading_the_demo_handbook_again_changes_nothing(cast):
    before = SectionVersion.objects.count(), SectionLink.objects.count(), Section.objects.count()
    assert demo.load() is False
    after = SectionVersion.objects.count(), SectionLink.objects.count(), Section.objects.count()
    assert after == before
