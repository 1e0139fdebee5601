"""Issue 17, items 3 and 4: reading the method handbook, searching and printing it, and the
handbook reaching the work (the receipt, the case page, the risk assessment, the old guidance
addresses)."""

import io
import uuid
from datetime import date

import pytest
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from varna.cases import services as case_services
from varna.cases.models import Case
from varna.handbook import links, markdown
from varna.handbook.models import Section, SectionLink, SectionVersion
from varna.reporting.models import Report
from varna.risk import services as risk_services


def publish(municipality, slug, title, body, *, kind="routine", tied=(), title_en="", body_en=""):
    """A section with one published version, tied to `tied` ((link kind, value) pairs)."""
    section = Section.objects.create(municipality=municipality, slug=slug, kind=kind, position=900)
    version = SectionVersion.objects.create(
        section=section,
        status=SectionVersion.Status.PUBLISHED,
        number=1,
        title=title,
        body=body,
        html=markdown.render(body),
        title_en=title_en,
        body_en=body_en,
        html_en=markdown.render(body_en) if body_en else "",
        published_at=timezone.now(),
    )
    section.current = version
    section.save(update_fields=["current"])
    SectionLink.objects.bulk_create(
        SectionLink(section=section, kind=kind_, value=value) for kind_, value in tied
    )
    return section


def draft(municipality, slug, title):
    """A section with only a draft: nothing published yet."""
    section = Section.objects.create(municipality=municipality, slug=slug, kind="routine")
    SectionVersion.objects.create(
        section=section, title=title, body="Utkast.", html=markdown.render("Utkast.")
    )
    return section


def url(name, *args):
    return reverse(f"handbook:{name}", args=args)


def report_a(cast, main_form="threat", **extra):
    """The employee reports through the form, as a person would; returns the receipt's page."""
    client = cast.client("medarbetare")
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "main_form": main_form,
        "occurred_on": date.today().isoformat(),
        "unit": str(cast.unit("DEMO-FSE1A").pk),
        "description": "Han sa att han vet var jag bor.",
        "action": "submit",
        **extra,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = client.post(reverse("reporting:new"), data)
    assert sent.status_code == 302
    return client.get(sent["Location"])


# Reading ------------------------------------------------------------------------------------


def test_a_reader_sees_the_published_sections_and_not_the_drafts(cast):
    demo = cast.unit("DEMO")
    publish(demo, "hot-i-receptionen", "Hot i receptionen", "## Gör så här\n\nLarma direkt.")
    draft(demo, "ny-rutin", "Rutin som inte är klar")
    client = cast.client("medarbetare")

    contents = client.get(url("contents", "DEMO"))
    assert contents.status_code == 200
    assert "Hot i receptionen" in contents.text
    assert url("section", "DEMO", "hot-i-receptionen") in contents.text
    assert "Rutin som inte är klar" not in contents.text and "ny-rutin" not in contents.text

    page = client.get(url("section", "DEMO", "hot-i-receptionen"))
    assert page.status_code == 200
    assert "Larma direkt." in page.text
    assert "Version 1" in page.text
    assert url("history", "DEMO", "hot-i-receptionen") in page.text
    assert url("edit", "DEMO", "hot-i-receptionen") not in page.text
    # The author's "##" is a heading under the page's title, which is its only h1.
    assert page.text.count("<h1") == 1 and "<h2>Gör så här</h2>" in page.text
    assert client.get(url("section", "DEMO", "ny-rutin")).status_code == 404
    assert client.get(url("print", "DEMO", "ny-rutin")).status_code == 404


def test_the_handbook_of_another_municipality_is_404(cast):
    publish(cast.unit("GRANN"), "grannby-rutin", "Grannbys rutin", "Text.")
    client = cast.client("medarbetare")
    for address in [
        url("contents", "GRANN"),
        url("search", "GRANN") + "?q=rutin",
        url("print_all", "GRANN"),
        url("pdf_all", "GRANN"),
        url("section", "GRANN", "grannby-rutin"),
        url("print", "GRANN", "grannby-rutin"),
        url("pdf", "GRANN", "grannby-rutin"),
    ]:
        assert client.get(address).status_code == 404, address
    assert (
        cast.client("chef.grannby").get(url("section", "GRANN", "grannby-rutin")).status_code == 200
    )


def test_the_handbook_address_leads_to_the_readers_municipality(cast):
    response = cast.client("medarbetare").get(url("index"))
    assert response.status_code == 302
    assert response["Location"] == url("contents", "DEMO")
    assert cast.client(None).get(url("index")).status_code == 302  # to the sign-in page


def test_an_editor_gets_the_links_to_write_and_a_reader_does_not(cast):
    demo = cast.unit("DEMO")
    publish(demo, "rutin-for-redaktor", "Rutin att ändra", "Text.")
    draft(demo, "halvfardig", "Halvfärdig rutin")
    editor = cast.client("redaktor").get(url("contents", "DEMO")).text
    reader = cast.client("medarbetare").get(url("contents", "DEMO")).text
    for address in [
        url("new", "DEMO"),
        url("edit", "DEMO", "rutin-for-redaktor"),
        url("history", "DEMO", "rutin-for-redaktor"),
        url("edit", "DEMO", "halvfardig"),
    ]:
        assert address in editor
        assert address not in reader


def test_the_section_says_what_it_is_tied_to(cast):
    publish(
        cast.unit("DEMO"),
        "vid-hembesok",
        "Vid hembesök",
        "Gå två.",
        tied=[(links.FORM, "threat"), (links.CASE_STEP, "received")],
    )
    page = cast.client("medarbetare").get(url("section", "DEMO", "vid-hembesok")).text
    assert links.kind(links.FORM).label_of("threat") in page
    assert links.kind(links.CASE_STEP).label_of("received") in page


def test_an_english_page_shows_the_english_text_and_marks_a_swedish_one(cast):
    demo = cast.unit("DEMO")
    publish(demo, "tvasprakig", "Svensk titel", "Svensk text.", title_en="English title",
            body_en="English text.")  # fmt: skip
    publish(demo, "bara-svenska", "Bara svenska", "Bara svensk text.")
    client = cast.client("medarbetare")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(url("section", "DEMO", "tvasprakig")).text
    assert "English title" in page and "English text." in page and "Svensk text." not in page
    swedish = client.get(url("section", "DEMO", "bara-svenska")).text
    assert 'lang="sv"' in swedish and "Bara svensk text." in swedish


# Search -------------------------------------------------------------------------------------


@pytest.fixture
def searchable(cast):
    demo = cast.unit("DEMO")
    return {
        "title": publish(demo, "sok-titel", "Hembesök i par", "Boka alltid med en kollega."),
        "body": publish(
            demo,
            "sok-text",
            "Inför mötet",
            "Före ett hembesök: kolla larmet och tala om vart du går. <script>alert(1)</script>",
        ),
        "other": publish(demo, "sok-annan", "Telefonsamtal", "Avsluta samtalet om du hotas."),
    }


def hits(cast, query, client=None):
    client = client or cast.client("medarbetare")
    response = client.get(url("search", "DEMO"), {"q": query})
    assert response.status_code == 200
    return response, [hit.section.slug for hit in response.context["hits"]]


def test_search_finds_the_sections_with_the_word_the_title_first(cast, searchable):
    response, found = hits(cast, "hembesök")
    assert "sok-titel" in found and "sok-text" in found
    assert "sok-annan" not in found
    # A match in the title weighs more than one in the text (weights A and B on PostgreSQL).
    assert found.index("sok-titel") < found.index("sok-text")
    assert "<mark>" in response.text
    # The author's text reaches the snippet as text, never as markup.
    assert "<script>alert" not in response.text


def test_search_needs_every_word(cast, searchable):
    _response, found = hits(cast, "hembesök larmet")
    assert "sok-text" in found
    assert "sok-titel" not in found


def test_the_match_signs_in_an_authors_text_do_not_become_marks(cast):
    # The snippet marks matches with \x02 and \x03 until it is escaped; pasted into a text,
    # they must not open or close a <mark> of their own.
    publish(
        cast.unit("DEMO"),
        "styrtecken",
        "Inför besöket",
        "Larmet\x03 sitter vid \x02entrén. Hembesök görs alltid två och två.",
    )
    response, found = hits(cast, "hembesök")
    assert "styrtecken" in found
    [hit] = [hit for hit in response.context["hits"] if hit.section.slug == "styrtecken"]
    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>") == 1
    assert "\x02" not in hit.snippet and "\x03" not in hit.snippet
    assert "Larmet sitter vid entrén." in hit.snippet


def test_an_empty_or_invisible_search_shows_the_form_only(cast, searchable):
    response = cast.client("medarbetare").get(url("search", "DEMO"), {"q": "\u200b "})
    assert response.status_code == 200 and response.context["hits"] is None
    assert '<ol class="search-hits">' not in response.text


def test_an_english_page_also_searches_the_english_text(cast):
    publish(
        cast.unit("DEMO"),
        "engelsk-sok",
        "Ensamarbete",
        "Ring in när du är klar.",
        title_en="Working alone",
        body_en="Call in when you have finished the visit.",
    )
    _response, swedish = hits(cast, "finished")
    assert "engelsk-sok" not in swedish
    client = cast.client("medarbetare")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    _response, english = hits(cast, "finished", client)
    assert "engelsk-sok" in english


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Swedish stemming needs PostgreSQL")
def test_on_postgresql_search_finds_an_inflected_swedish_word(cast, searchable):
    _response, found = hits(cast, "hembesöken")  # the plural; the Swedish stemmer folds it
    assert "sok-titel" in found and "sok-text" in found
    assert "sok-annan" not in found


# Print and PDF ------------------------------------------------------------------------------


def test_the_printout_of_the_whole_handbook_and_of_a_section(cast):
    publish(cast.unit("DEMO"), "att-skriva-ut", "Rutin att skriva ut", "# Steg\n\nGör så här.")
    client = cast.client("medarbetare")
    whole = client.get(url("print_all", "DEMO"))
    assert whole.status_code == 200 and whole["Content-Type"].startswith("text/html")
    assert "Rutin att skriva ut" in whole.text and "Gör så här." in whole.text
    assert 'class="site-header"' not in whole.text  # no navigation on paper
    one = client.get(url("print", "DEMO", "att-skriva-ut"))
    assert one.status_code == 200 and "Gör så här." in one.text


def test_an_authors_top_heading_never_makes_a_second_h1(cast):
    """Authors start a text with "# Rubrik"; every page that shows the text keeps its own
    title as the one h1 and the author's headings below it."""
    body = "# Rubrik\n\nGör så här.\n\n## Underrubrik\n\nOch så här.\n"
    section = publish(
        cast.unit("DEMO"),
        "rubrik-forst",
        "Rutin med rubrik",
        body,
        title_en="Routine with a heading",
        body_en="# Heading\n\nDo this.\n",
    )
    later = SectionVersion.objects.create(
        section=section, title="Rutin med rubrik", body=body, html=markdown.render(body)
    )
    client = cast.client("redaktor")
    pages = {
        "section": (url("section", "DEMO", "rubrik-forst"), "<h2>Rubrik</h2>"),
        "version": (url("version", "DEMO", "rubrik-forst", section.current_id), "<h3>Rubrik</h3>"),
        # A saved draft is read through on its version page before it is published.
        "draft": (url("version", "DEMO", "rubrik-forst", later.pk), "<h3>Rubrik</h3>"),
        "print": (url("print", "DEMO", "rubrik-forst"), "<h2>Rubrik</h2>"),
        "print_all": (url("print_all", "DEMO"), "<h3>Rubrik</h3>"),
    }
    for name, (address, heading) in pages.items():
        page = client.get(address)
        assert page.status_code == 200, name
        assert page.text.count("<h1") == 1, name
        assert heading in page.text, name
    # The English text on the version page sits under the English title, an h3.
    version = client.get(pages["version"][0]).text
    assert "<h4>Heading</h4>" in version and "<h1>Heading</h1>" not in version


def test_the_pdfs_of_the_whole_handbook_and_of_a_section(cast):
    publish(cast.unit("DEMO"), "att-ladda-ned", "Rutin som PDF", "Ring larmcentralen.")
    client = cast.client("medarbetare")
    whole = client.get(url("pdf_all", "DEMO"))
    assert whole.status_code == 200 and whole["Content-Type"] == "application/pdf"
    assert whole.content.startswith(b"%PDF")
    assert whole["Content-Disposition"] == 'attachment; filename="metodhandbok-demo.pdf"'
    one = client.get(url("pdf", "DEMO", "att-ladda-ned"))
    assert one.content.startswith(b"%PDF")
    assert one["Content-Disposition"] == (
        'attachment; filename="metodhandbok-demo-att-ladda-ned.pdf"'
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(one.content)).pages)
    assert "Rutin som PDF" in text and "Ring larmcentralen." in text


# The handbook in the work -------------------------------------------------------------------


def test_the_receipt_of_a_threat_lists_the_threat_routine_and_not_the_corruption_one(cast):
    demo = cast.unit("DEMO")
    threat = publish(demo, "rutin-hot", "Rutin vid hot", "Text.", tied=[(links.FORM, "threat")])
    publish(demo, "rutin-muta", "Rutin vid mutförsök", "Text.", tied=[(links.FORM, "corruption")])
    # For whoever handles the case, not for the person who reported.
    publish(demo, "chefens-lista", "Chefens lista vid hot", "- Ring.", kind="checklist",
            tied=[(links.FORM, "threat"), (links.CASE_STEP, "received")])  # fmt: skip
    receipt = report_a(cast)
    assert receipt.status_code == 200
    assert url("section", "DEMO", threat.slug) in receipt.text
    assert "Rutin vid hot" in receipt.text
    assert "Rutin vid mutförsök" not in receipt.text
    assert "Chefens lista vid hot" not in receipt.text


def test_a_step_on_the_receipt_links_its_section_only_where_it_is_published(cast):
    demo = cast.unit("DEMO")
    Section.objects.filter(municipality=demo, slug__in=["efter-en-handelse", "stod"]).delete()
    publish(demo, "efter-en-handelse", "Vår rutin efter en händelse", "Text.")
    draft(demo, "stod", "Stöd som inte är publicerat")
    receipt = report_a(cast).text
    assert f'href="{url("section", "DEMO", "efter-en-handelse")}"' in receipt
    assert "Vår rutin efter en händelse" in receipt
    assert url("section", "DEMO", "stod") not in receipt


def test_the_case_page_lists_the_checklists_for_its_step(cast):
    demo = cast.unit("DEMO")
    publish(demo, "lista-mottagen", "Checklista när ärendet kommer in", "- Ring.",
            kind="checklist", tied=[(links.CASE_STEP, "received")])  # fmt: skip
    publish(demo, "lista-kontakt", "Checklista efter kontakten", "- Utred.",
            kind="checklist", tied=[(links.CASE_STEP, "acknowledged")])  # fmt: skip
    publish(demo, "lista-muta", "Checklista vid mutförsök", "- Säkra.", kind="checklist",
            tied=[(links.CASE_STEP, "received"), (links.FORM, "corruption")])  # fmt: skip
    report_a(cast)
    case = Case.objects.get(report=Report.objects.latest("submitted_at"))
    client = cast.client("forste")
    page = client.get(reverse("cases:detail", args=[case.code])).text
    assert "Checklista när ärendet kommer in" in page
    assert "Checklista efter kontakten" not in page
    assert "Checklista vid mutförsök" not in page  # for corruption cases in this step only
    case_services.acknowledge(case, by=cast["forste"], note="Vi har pratat.")
    page = client.get(reverse("cases:detail", args=[case.code])).text
    assert "Checklista efter kontakten" in page
    assert "Checklista när ärendet kommer in" not in page


def test_a_risk_in_an_assessment_links_the_routine_for_its_situation(cast):
    demo = cast.unit("DEMO")
    routine = publish(demo, "rutin-reception", "Rutin för receptionen", "Text.",
                      tied=[(links.RISK_SITUATION, "reception")])  # fmt: skip
    publish(demo, "rutin-hembesok", "Rutin för hembesök", "Text.",
            tied=[(links.RISK_SITUATION, "home_visit")])  # fmt: skip
    assessment = risk_services.start_assessment(
        unit=cast.unit("DEMO-FSE1"), by=cast["enhetschef"], assessed_on=date.today()
    )
    risk_services.add_risk(
        assessment,
        by=cast["enhetschef"],
        data={"situation": "reception", "likelihood": 2, "consequence": 3},
    )
    page = cast.client("enhetschef").get(reverse("risk:detail", args=[assessment.code])).text
    assert f'href="{url("section", "DEMO", routine.slug)}"' in page
    assert "Rutin för hembesök" not in page


def test_the_old_guidance_address_leads_to_the_handbook_section(cast):
    demo = cast.unit("DEMO")
    Section.objects.filter(municipality=demo, slug="korruption").delete()
    publish(demo, "korruption", "Korruption och visselblåsning", "Text.")
    client = cast.client("medarbetare")
    response = client.get(reverse("reporting:guidance", args=["korruption"]))
    assert response.status_code == 302
    assert response["Location"] == url("section", "DEMO", "korruption")
    assert client.get(reverse("reporting:guidance", args=["finns-inte"])).status_code == 404
    form = client.get(reverse("reporting:new")).text
    assert f'href="{url("section", "DEMO", "korruption")}"' in form
