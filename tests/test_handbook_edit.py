"""Writing the method handbook: new sections, drafts, publishing, history and differences, and
the bad input (unsafe Markdown, deep nesting, a huge text, two editors publishing at once)."""

import re
import time

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from varna.handbook import diff, services
from varna.handbook.models import BODY_MAX, Section, SectionLink, SectionVersion
from varna.orgs.models import Role
from varna.orgs.services import grant_role

Status = SectionVersion.Status


def published_section(cast, slug: str = "prov-rutin", body: str = "Första raden.\n") -> Section:
    """A section of Demo kommun's handbook with version 1 published, made by the editor."""
    editor = cast["redaktor"]
    section = services.create_section(
        municipality=cast.unit("DEMO"), slug=slug, kind=Section.Kind.ROUTINE, by=editor
    )
    draft = services.save_draft(
        section=section, title="Provrutin", body=body, base_number=None, by=editor
    )
    services.publish(version=draft, by=editor)
    section.refresh_from_db()
    return section


def url(name: str, section: Section, *args) -> str:
    return reverse(f"handbook:{name}", args=[section.municipality.code, section.slug, *args])


def text_post(
    title: str = "Provrutin", body: str = "Ny text.\n", base: int | None = 1, **extra
) -> dict:
    data = {"title": title, "body": body, "title_en": "", "body_en": "", "comment": ""}
    data["action"] = "draft"
    data["base_number"] = "" if base is None else str(base)
    return data | extra


def second_editor(cast):
    """Another editor of Demo kommun's handbook."""
    person = cast["analytiker"]
    grant_role(user=person, unit=cast.unit("DEMO"), role=Role.EDITOR)
    return person


def english(cast, login: str):
    """A client signed in as `login` that reads the pages in English (the messages checked
    here are English; the Swedish comes from the translation)."""
    client = cast.client(login)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# Creating, drafting and publishing -----------------------------------------------------------


def test_editor_creates_a_section_saves_a_draft_and_publishes_it(cast):
    client = english(cast, "redaktor")
    response = client.post(
        reverse("handbook:new", args=["DEMO"]),
        {
            "slug": "Prov-Hembesok",
            "title": "Före hembesök",
            "body": "## Före besöket\n\n- Berätta för en kollega vart du går\n",
            "kind": "routine",
            "position": "20",
            "in_introduction": "on",
            "link_form": ["threat"],
            "link_situation": ["home_visit"],
            "comment": "Första versionen",
        },
    )
    section = Section.objects.get(municipality__code="DEMO", slug="prov-hembesok")
    draft = section.versions.get()
    assert response.status_code == 302
    assert response["Location"] == url("version", section, draft.pk)
    assert section.current is None and draft.is_draft and draft.number is None
    assert section.in_introduction and section.position == 20
    assert set(section.links.values_list("kind", "value")) == {
        ("form", "threat"),
        ("situation", "home_visit"),
    }
    assert "<h2>Före besöket</h2>" in draft.html

    response = client.post(url("publish", section, draft.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("handbook:section", args=["DEMO", "prov-hembesok"])
    draft.refresh_from_db()
    section.refresh_from_db()
    assert (draft.status, draft.number, draft.published_by) == (
        Status.PUBLISHED,
        1,
        cast["redaktor"],
    )
    assert section.current == draft

    page = client.get(url("edit", section))
    assert page.status_code == 200
    assert page.context["text_form"].initial["base_number"] == 1
    response = client.post(
        url("edit", section), text_post(body="## Före besöket\n\n- Ring först\n", action="publish")
    )
    assert response.status_code == 302
    assert list(section.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    section.refresh_from_db()
    assert section.current.number == 2 and section.current.body.endswith("Ring först\n")


def test_a_published_version_is_never_changed_by_a_later_draft(cast):
    section = published_section(cast, body="Ursprunglig text.\n")
    first = section.current
    before = (first.title, first.body, first.html, first.published_at)
    response = english(cast, "redaktor").post(
        url("edit", section), text_post(body="Ändrad text.\n", action="draft")
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.title, first.body, first.html, first.published_at) == before
    draft = section.versions.get(status=Status.DRAFT)
    assert draft.body == "Ändrad text.\n" and draft.base_number == 1
    section.refresh_from_db()
    assert section.current == first


def test_saving_a_draft_shows_it_with_its_difference_and_a_publish_button(cast):
    section = published_section(cast, body="Ett\nTvå\nTre\n")
    client = english(cast, "redaktor")
    response = client.post(
        url("edit", section),
        text_post(body="Ett\nTvå och en halv\nTre\n", action="draft"),
        follow=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Removed:" in html and "Added:" in html
    assert re.search(r"<del>.*Två</del>", html) and re.search(r"<ins>.*Två och en halv</ins>", html)
    draft = section.versions.get(status=Status.DRAFT)
    assert url("publish", section, draft.pk) in html


def test_text_with_crlf_line_breaks_is_stored_with_plain_line_breaks(cast):
    section = published_section(cast)
    english(cast, "redaktor").post(
        url("edit", section), text_post(body="Rad ett\r\nRad två\r\n", action="draft")
    )
    assert section.versions.get(status=Status.DRAFT).body == "Rad ett\nRad två\n"


def test_saving_the_same_text_again_is_refused(cast):
    section = published_section(cast, body="Samma.\n")
    response = english(cast, "redaktor").post(
        url("edit", section), text_post(body="Samma.\n", action="draft")
    )
    assert response.status_code == 200
    assert "Nothing has changed since version 1" in response.content.decode()
    assert not section.versions.filter(status=Status.DRAFT).exists()


def test_the_edit_page_starts_from_the_editors_own_newer_draft(cast):
    section = published_section(cast, body="Publicerat.\n")
    services.save_draft(
        section=section,
        title="Provrutin",
        body="Mitt utkast.\n",
        base_number=1,
        by=cast["redaktor"],
    )
    page = english(cast, "redaktor").get(url("edit", section))
    assert page.context["text_form"].initial["body"] == "Mitt utkast.\n"
    assert "You continue from your draft" in page.content.decode()


def test_the_edit_page_says_when_another_editor_has_a_newer_draft(cast):
    section = published_section(cast)
    other = second_editor(cast)
    draft = services.save_draft(
        section=section, title="Provrutin", body="Annans utkast.\n", base_number=1, by=other
    )
    page = english(cast, "redaktor").get(url("edit", section))
    html = page.content.decode()
    assert page.context["text_form"].initial["body"] == "Första raden.\n"
    assert f"{other} saved a newer draft" in html
    assert url("version", section, draft.pk) in html


def test_settings_and_links_are_changed_from_the_edit_page(cast):
    section = published_section(cast)
    response = english(cast, "redaktor").post(
        url("edit", section),
        {
            "action": "settings",
            "settings-kind": "checklist",
            "settings-position": "5",
            "settings-link_case_step": ["acknowledged"],
        },
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert (section.kind, section.position, section.in_introduction) == ("checklist", 5, False)
    assert list(section.links.values_list("kind", "value")) == [("case_step", "acknowledged")]


def test_links_of_unknown_kinds_or_values_are_refused(cast):
    section = published_section(cast)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="Unknown kind of link"):
            services.set_links(section=section, links={"weather": ["rain"]})
        with pytest.raises(ValidationError, match="has no choice"):
            services.set_links(section=section, links={"form": ["earthquake"]})
    assert not SectionLink.objects.filter(section=section).exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("prov-rutin", "already has a section with this address"),
        ("ny", "used by the handbook itself"),
        ("hembesök", "lower-case letters"),
        ("a--b", "lower-case letters"),
    ],
)
def test_a_new_section_needs_a_free_plain_address(cast, slug, message):
    published_section(cast)
    count = Section.objects.count()
    response = english(cast, "redaktor").post(
        reverse("handbook:new", args=["DEMO"]),
        {"slug": slug, "title": "Något", "body": "Text.", "kind": "routine", "position": "1"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Section.objects.count() == count


def test_an_address_taken_by_another_editor_in_between_is_refused_not_an_error(cast, monkeypatch):
    """Two editors create a section with the same address at once: the check finds it free for
    both, and the second one to write is told the address is taken."""
    demo = cast.unit("DEMO")
    real_filter = Section.objects.filter

    def free_then_taken(*args, **kwargs):
        # The check runs before the other editor's section is saved, which it is right after.
        monkeypatch.setattr(Section.objects, "filter", real_filter)
        Section.objects.create(municipality=demo, slug="samtidig", kind=Section.Kind.ROUTINE)
        return real_filter(*args, **kwargs).none()

    monkeypatch.setattr(Section.objects, "filter", free_then_taken)
    response = english(cast, "redaktor").post(
        reverse("handbook:new", args=["DEMO"]),
        {"slug": "samtidig", "title": "Något", "body": "Text.", "kind": "routine", "position": "1"},
    )

    assert response.status_code == 200
    assert "already has a section with this address" in response.content.decode()
    assert response.context["form"].errors["slug"]
    assert not SectionVersion.objects.filter(section__slug="samtidig").exists()


# Bad input -------------------------------------------------------------------------------------


def test_unsafe_markdown_is_shown_as_text_never_run(cast):
    section = published_section(cast)
    body = (
        "<script>alert('x')</script>\n\n"
        "[Klicka](javascript:alert(1))\n\n"
        '<a href="#" onclick="steal()">länk</a>\n\n'
        "<img src=x onerror=alert(2)>\n"
    )
    response = english(cast, "redaktor").post(
        url("edit", section), text_post(body=body, action="draft"), follow=True
    )
    draft = section.versions.get(status=Status.DRAFT)
    for html in (draft.html, response.content.decode()):
        assert "<script>alert" not in html
        assert 'href="javascript:' not in html
        assert '<a href="#" onclick' not in html
        assert "<img" not in html
    assert "&lt;script&gt;" in draft.html and "&lt;a href=" in draft.html


@pytest.mark.parametrize(
    "nested",
    ["- " * 1000 + "punkt", "1. " * 1000 + "steg", "> " * 1000 + "citat"],
    ids=["bullets", "numbers", "quotes"],
)
def test_a_thousand_nested_lists_are_refused_with_the_text_kept(cast, nested):
    section = published_section(cast)
    response = english(cast, "redaktor").post(
        url("edit", section), text_post(body=nested, action="publish")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "nested more than" in html and 'class="error-summary"' in html
    assert response.context["text_form"]["body"].value() == nested
    assert not section.versions.filter(status=Status.DRAFT).exists()


def test_a_thousand_list_markers_on_one_line_are_refused_as_showing_nothing(cast):
    # "- - - …" is a thematic break in Markdown: one line, no text, nothing nested.
    section = published_section(cast)
    body = "- " * 1000
    response = english(cast, "redaktor").post(url("edit", section), text_post(body=body))
    assert response.status_code == 200
    assert "The text shows nothing yet" in response.content.decode()
    assert response.context["text_form"]["body"].value() == body


def test_a_one_megabyte_text_is_refused_with_its_length_and_kept_in_the_form(cast):
    section = published_section(cast)
    body = "a" * (1024 * 1024)
    response = english(cast, "redaktor").post(
        url("edit", section), text_post(body=body, action="draft")
    )
    assert response.status_code == 200
    errors = response.context["text_form"].errors["body"]
    digits = re.sub(r"\D", " ", errors[0]).split()
    assert digits == ["1", "048", "576", "50", "000"], errors
    assert response.context["text_form"]["body"].value() == body
    assert body in response.content.decode()
    assert not section.versions.filter(status=Status.DRAFT).exists()


def test_a_text_of_exactly_the_limit_is_accepted(cast):
    section = published_section(cast)
    draft = services.save_draft(
        section=section, title="Lång", body="b" * BODY_MAX, base_number=1, by=cast["redaktor"]
    )
    assert len(draft.body) == BODY_MAX


def test_a_title_of_invisible_characters_is_refused(cast):
    section = published_section(cast)
    response = english(cast, "redaktor").post(
        url("edit", section), text_post(title="\u200b\u00ad", body="Text.\n")
    )
    assert response.status_code == 200
    assert response.context["text_form"].errors["title"]
    with translation.override("en"), pytest.raises(ValidationError) as info:
        services.save_draft(
            section=section, title="\u200b", body="Text.", base_number=1, by=cast["redaktor"]
        )
    assert info.value.message_dict["title"] == ["Write a title."]


def test_english_title_and_english_text_come_together(cast):
    section = published_section(cast)
    editor = cast["redaktor"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as info:
            services.save_draft(
                section=section, title="T", body="B", title_en="Title", base_number=1, by=editor
            )
        assert list(info.value.message_dict) == ["body_en"]
        with pytest.raises(ValidationError) as info:
            services.save_draft(
                section=section, title="T", body="B", body_en="Text", base_number=1, by=editor
            )
        assert list(info.value.message_dict) == ["title_en"]
    draft = services.save_draft(
        section=section,
        title="T",
        body="B",
        title_en="Title",
        body_en="**Text**",
        base_number=1,
        by=editor,
    )
    assert draft.html_en == "<p><strong>Text</strong></p>\n"
    # English of only spaces or invisible characters is no English: nothing is asked for.
    blank = services.save_draft(
        section=section,
        title="T",
        body="C",
        title_en=" ",
        body_en="\u200b",
        base_number=1,
        by=editor,
    )
    assert (blank.title_en, blank.body_en, blank.html_en) == ("", "", "")


def test_two_editors_publish_the_same_section_and_the_second_is_told_with_nothing_lost(cast):
    section = published_section(cast, body="Version ett.\n")
    other = second_editor(cast)
    first, second = english(cast, "redaktor"), english(cast, "analytiker")
    # Both open the editing page on version 1.
    for client in (first, second):
        assert client.get(url("edit", section)).context["text_form"].initial["base_number"] == 1

    assert first.post(url("edit", section), text_post(body="Från den första.\n", action="publish"))
    response = second.post(
        url("edit", section), text_post(body="Från den andra.\n", action="publish"), follow=True
    )
    section.refresh_from_db()
    assert section.current.number == 2 and section.current.body == "Från den första.\n"
    kept = section.versions.get(status=Status.DRAFT, created_by=other)
    assert kept.body == "Från den andra.\n" and kept.base_number == 1
    assert response.redirect_chain[-1][0] == url("version", section, kept.pk)
    [message] = messages_of(response)
    assert f"{cast['redaktor']} published version 2" in message
    assert "Your draft is kept" in message
    html = response.content.decode()
    assert "cannot be published as it is" in html
    assert url("publish", section, kept.pk) not in html

    # They continue from their draft on top of version 2, and publish it as version 3.
    page = second.get(url("edit", section) + f"?from={kept.pk}")
    assert page.context["text_form"].initial == {
        "base_number": 2,
        "title": "Provrutin",
        "body": "Från den andra.\n",
        "title_en": "",
        "body_en": "",
    }
    assert "has been published since" in page.content.decode()
    second.post(url("edit", section), text_post(body="Från båda.\n", base=2, action="publish"))
    section.refresh_from_db()
    assert (section.current.number, section.current.published_by) == (3, other)


def test_publishing_a_draft_of_an_older_version_is_refused_and_the_draft_stays(cast):
    section = published_section(cast)
    editor = cast["redaktor"]
    one = services.save_draft(section=section, title="A", body="a", base_number=1, by=editor)
    two = services.save_draft(section=section, title="B", body="b", base_number=1, by=editor)
    services.publish(version=one, by=editor)
    with translation.override("en"), pytest.raises(ValidationError) as info:
        services.publish(version=two, by=editor)
    assert info.value.code == "conflict"
    assert "published version 2" in info.value.messages[0]
    two.refresh_from_db()
    assert two.is_draft and two.number is None and two.body == "b"

    response = english(cast, "redaktor").post(url("publish", section, two.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("version", section, two.pk)
    assert "Your draft is kept" in messages_of(response)[0]


def test_a_published_version_cannot_be_published_again(cast):
    section = published_section(cast)
    with translation.override("en"), pytest.raises(ValidationError, match="already published"):
        services.publish(version=section.current, by=cast["redaktor"])
    assert section.versions.count() == 1


def test_publish_answers_only_post(cast):
    section = published_section(cast)
    draft = services.save_draft(
        section=section, title="T", body="B", base_number=1, by=cast["redaktor"]
    )
    response = english(cast, "redaktor").get(url("publish", section, draft.pk))
    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.is_draft


# Who may write -------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["medarbetare", "admin", "sakerhet"])
def test_non_editors_get_404_on_writing_and_on_drafts(cast, login):
    section = published_section(cast)
    draft = services.save_draft(
        section=section, title="Hemligt utkast", body="B", base_number=1, by=cast["redaktor"]
    )
    client = english(cast, login)
    assert client.get(url("edit", section)).status_code == 404
    assert client.post(url("edit", section), text_post(action="draft")).status_code == 404
    assert client.get(reverse("handbook:new", args=["DEMO"])).status_code == 404
    new = {"slug": "intrang", "title": "T", "body": "B", "kind": "routine", "position": "1"}
    assert client.post(reverse("handbook:new", args=["DEMO"]), new).status_code == 404
    assert client.post(url("publish", section, draft.pk)).status_code == 404
    assert client.get(url("version", section, draft.pk)).status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft and not Section.objects.filter(slug="intrang").exists()
    # The published history is part of the handbook; drafts are not listed in it.
    history = client.get(url("history", section))
    assert history.status_code == 200
    assert "Hemligt utkast" not in history.content.decode()
    assert client.get(url("version", section, section.current_id)).status_code == 200


def test_editors_see_drafts_in_the_history(cast):
    section = published_section(cast)
    services.save_draft(
        section=section, title="Synligt utkast", body="B", base_number=1, by=cast["redaktor"]
    )
    html = english(cast, "redaktor").get(url("history", section)).content.decode()
    assert "Synligt utkast" in html and "Drafts are listed only for the handbook" in html


def test_an_editor_of_another_municipality_cannot_edit_demos_sections(cast):
    section = published_section(cast)
    draft = services.save_draft(
        section=section, title="T", body="B", base_number=1, by=cast["redaktor"]
    )
    grant_role(user=cast["chef.grannby"], unit=cast.unit("GRANN"), role=Role.EDITOR)
    client = english(cast, "chef.grannby")
    assert client.get(reverse("handbook:new", args=["GRANN"])).status_code == 200
    assert client.get(url("edit", section)).status_code == 404
    assert client.get(reverse("handbook:new", args=["DEMO"])).status_code == 404
    assert client.post(url("publish", section, draft.pk)).status_code == 404
    assert client.get(url("history", section)).status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft
    with pytest.raises(PermissionDenied):
        services.publish(version=draft, by=cast["chef.grannby"])


def test_a_version_of_another_section_is_not_found(cast):
    one = published_section(cast, slug="prov-ett")
    two = published_section(cast, slug="prov-tva")
    client = english(cast, "redaktor")
    assert client.get(url("version", one, two.current_id)).status_code == 404
    assert client.post(url("publish", one, two.current_id)).status_code == 404
    for key in ("abc", "²", "9" * 30, str(one.current_id)):
        assert client.get(url("edit", one) + f"?from={key}").status_code == 404


# The difference --------------------------------------------------------------------------------


def test_the_difference_marks_removed_and_added_lines_and_shortens_what_is_unchanged():
    old = "\n".join(f"rad {n}" for n in range(1, 21))
    new = old.replace("rad 10", "rad tio")
    lines = diff.compare(old, new)
    marks = [(line.mark, line.text or line.skipped) for line in lines]
    assert marks == [
        (diff.Mark.SKIPPED, 6),
        (diff.Mark.SAME, "rad 7"),
        (diff.Mark.SAME, "rad 8"),
        (diff.Mark.SAME, "rad 9"),
        (diff.Mark.REMOVED, "rad 10"),
        (diff.Mark.ADDED, "rad tio"),
        (diff.Mark.SAME, "rad 11"),
        (diff.Mark.SAME, "rad 12"),
        (diff.Mark.SAME, "rad 13"),
        (diff.Mark.SKIPPED, 7),
    ]
    assert diff.compare(old, old) == []


def test_the_difference_of_a_crafted_repetitive_text_is_quick_and_still_true():
    # Lines repeating a few values make difflib's matcher crawl (half a minute at this size).
    old = "\n".join(str(n % 3) for n in range(20_000))
    new = "\n".join(str(n % 4) for n in range(20_000))
    started = time.monotonic()
    lines = diff.compare(old, new, context=len(old))
    assert time.monotonic() - started < 5
    assert [line.text for line in lines if line.mark != diff.Mark.ADDED] == old.splitlines()
    assert [line.text for line in lines if line.mark != diff.Mark.REMOVED] == new.splitlines()


def test_a_published_version_is_compared_with_the_one_before(cast):
    section = published_section(cast, body="Gammal rad\n")
    editor = cast["redaktor"]
    draft = services.save_draft(
        section=section, title="Provrutin", body="Ny rad\n", base_number=1, by=editor
    )
    services.publish(version=draft, by=editor)
    response = english(cast, "medarbetare").get(url("version", section, draft.pk))
    html = response.content.decode()
    assert response.context["compared"].number == 1
    assert "<del>" in html and "Gammal rad" in html and "<ins>" in html and "Ny rad" in html


def test_a_draft_from_a_version_that_does_not_exist_is_refused(cast):
    section = published_section(cast)
    response = english(cast, "redaktor").post(url("edit", section), text_post(base=99))
    assert response.status_code == 200
    assert response.context["text_form"].non_field_errors() == [
        "The version this text was written from does not exist. Open the section again."
    ]
    assert not section.versions.filter(status=Status.DRAFT).exists()
