"""Following the audit's recommendations (varna.audits): recording an audit, its
recommendations, the committee's answers and the measures; who reads what; the responsible
person's notes and status; and the bad input of a measure due in the past.

Audits are made fresh in each test (with their own titles), so nothing here depends on the
demo's own audit.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from varna.audits import services
from varna.audits.models import Audit, Measure, MeasureNote, Recommendation

TODAY = timezone.localdate()


def make_audit(cast, unit: str = "DEMO-ALN", title: str = "Testgranskning") -> Audit:
    return services.create_audit(
        unit=cast.unit(unit),
        title=title,
        reported_on=TODAY - timedelta(days=60),
        auditors="KPMG på uppdrag av revisorerna",
        summary="Granskning av arbetet mot otillåten påverkan.",
        report_url="https://example.org/rapport.pdf",
        by=cast["admin"],
    )


def make_measure(cast, audit: Audit, *, due_in: int = 30, responsible: str = "enhetschef"):
    recommendation = services.add_recommendation(
        audit=audit, text="Säkerställ att händelser rapporteras.", by=cast["admin"]
    )
    return services.add_measure(
        recommendation=recommendation,
        text="Utbilda alla chefer i rapportering.",
        responsible=cast[responsible],
        due_on=TODAY + timedelta(days=due_in),
        by=cast["admin"],
    )


def overdue_words(day) -> str:
    return gettext("Overdue since %(day)s") % {"day": day.isoformat()}


def test_admin_records_an_audit_with_recommendations_answers_and_measures(cast):
    client = cast.client("admin")
    page = client.get(reverse("audits:list"))
    assert page.status_code == 200
    assert reverse("audits:new").encode() in page.content

    response = client.post(
        reverse("audits:new"),
        {
            "unit": cast.unit("DEMO-ALN").pk,
            "title": "Granskning av skyddet mot otillåten påverkan",
            "reported_on": (TODAY - timedelta(days=30)).isoformat(),
            "auditors": "Kommunens revisorer",
            "summary": "",
            "report_url": "https://example.org/r.pdf",
        },
    )
    audit = Audit.objects.get(title="Granskning av skyddet mot otillåten påverkan")
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:detail", args=[audit.code])
    assert audit.unit.code == "DEMO-ALN"

    for text in ("Inför rutiner för rapportering.", "Följ upp riskbedömningarna."):
        response = client.post(
            reverse("audits:recommendation_new", args=[audit.code]), {"text": text}
        )
        assert response.status_code == 302
    assert list(audit.recommendations.values_list("number", "text")) == [
        (1, "Inför rutiner för rapportering."),
        (2, "Följ upp riskbedömningarna."),
    ]

    response = client.post(
        reverse("audits:recommendation", args=[audit.code, 1]),
        {
            "answer": "Nämnden inför en rutin under året.",
            "answered_on": (TODAY - timedelta(days=10)).isoformat(),
            "decision": "ALN § 45/2026",
        },
    )
    assert response.status_code == 302
    first = Recommendation.objects.get(audit=audit, number=1)
    assert first.answer == "Nämnden inför en rutin under året."
    assert first.decision == "ALN § 45/2026"

    due = TODAY + timedelta(days=90)
    response = client.post(
        reverse("audits:measure_new", args=[audit.code, 1]),
        {
            "text": "Ta fram en rutin för rapportering.",
            "responsible": cast["enhetschef"].pk,
            "due_on": due.isoformat(),
        },
    )
    assert response.status_code == 302
    measure = Measure.objects.get(recommendation=first)
    assert (measure.responsible, measure.due_on, measure.status) == (
        cast["enhetschef"],
        due,
        Measure.Status.PLANNED,
    )

    page = client.get(reverse("audits:detail", args=[audit.code]))
    content = page.content.decode()
    assert "Nämnden inför en rutin under året." in content
    assert "Ta fram en rutin för rapportering." in content
    assert cast["enhetschef"].get_full_name() in content
    assert due.isoformat() in content
    assert str(Measure.Status.PLANNED.label) in content

    listing = client.get(reverse("audits:list")).content.decode()
    assert "Granskning av skyddet mot otillåten påverkan" in listing


def test_a_measure_due_in_the_past_is_refused_and_nothing_stored(cast):
    audit = make_audit(cast)
    services.add_recommendation(audit=audit, text="Rekommendation.", by=cast["admin"])
    yesterday = TODAY - timedelta(days=1)
    response = cast.client("admin").post(
        reverse("audits:measure_new", args=[audit.code, 1]),
        {
            "text": "En åtgärd som redan borde vara klar.",
            "responsible": cast["enhetschef"].pk,
            "due_on": yesterday.isoformat(),
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert str(services.DUE_IN_PAST) in content
    assert "error-summary" in content
    # Everything typed is kept.
    assert "En åtgärd som redan borde vara klar." in content
    assert yesterday.isoformat() in content
    assert not Measure.objects.filter(recommendation__audit=audit).exists()


def test_the_service_itself_refuses_a_past_due_date(cast):
    audit = make_audit(cast)
    recommendation = services.add_recommendation(audit=audit, text="R.", by=cast["admin"])
    with pytest.raises(ValidationError) as refused:
        services.add_measure(
            recommendation=recommendation,
            text="Åtgärd.",
            responsible=cast["enhetschef"],
            due_on=TODAY - timedelta(days=1),
            by=cast["admin"],
        )
    assert refused.value.message_dict["due_on"] == [str(services.DUE_IN_PAST)]
    assert not Measure.objects.filter(recommendation=recommendation).exists()


def test_responsible_must_work_in_the_audits_municipality(cast):
    audit = make_audit(cast)
    recommendation = services.add_recommendation(audit=audit, text="R.", by=cast["admin"])
    # The form offers only people employed in Demo kommun.
    page = cast.client("admin").get(reverse("audits:measure_new", args=[audit.code, 1]))
    content = page.content.decode()
    assert f'value="{cast["enhetschef"].pk}"' in content
    assert f'value="{cast["chef.grannby"].pk}"' not in content
    with pytest.raises(ValidationError) as refused:
        services.add_measure(
            recommendation=recommendation,
            text="Åtgärd.",
            responsible=cast["chef.grannby"],
            due_on=TODAY,
            by=cast["admin"],
        )
    assert "responsible" in refused.value.message_dict
    # Posting someone outside the list is refused on the form, and nothing is stored.
    response = cast.client("admin").post(
        reverse("audits:measure_new", args=[audit.code, 1]),
        {"text": "Åtgärd.", "responsible": cast["chef.grannby"].pk, "due_on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert not Measure.objects.filter(recommendation=recommendation).exists()


def test_new_audit_offers_only_units_the_user_keeps(cast):
    client = cast.client("admin")
    content = client.get(reverse("audits:new")).content.decode()
    assert f'value="{cast.unit("DEMO-ALN").pk}"' in content
    assert f'value="{cast.unit("GRANN").pk}"' not in content
    response = client.post(
        reverse("audits:new"),
        {
            "unit": cast.unit("GRANN").pk,
            "title": "Fel kommun",
            "reported_on": TODAY.isoformat(),
            "auditors": "Revisorerna",
        },
    )
    assert response.status_code == 200
    assert "Fel kommun" in response.content.decode()
    assert not Audit.objects.filter(title="Fel kommun").exists()
    # Only keepers get the form at all.
    assert cast.client("revisor").get(reverse("audits:new")).status_code == 404


def test_revisor_reads_every_audit_but_changes_nothing(cast):
    aln = make_audit(cast, "DEMO-ALN", "Granskning ALN")
    ifn = make_audit(cast, "DEMO-IFN", "Granskning IFN")
    measure = make_measure(cast, ifn)
    client = cast.client("revisor")
    listing = client.get(reverse("audits:list")).content.decode()
    assert "Granskning ALN" in listing and "Granskning IFN" in listing
    assert reverse("audits:new") not in listing
    for audit in (aln, ifn):
        assert client.get(reverse("audits:detail", args=[audit.code])).status_code == 200
        assert client.get(reverse("audits:edit", args=[audit.code])).status_code == 404
        assert (
            client.get(reverse("audits:recommendation_new", args=[audit.code])).status_code == 404
        )
    page = client.get(reverse("audits:recommendation", args=[ifn.code, 1]))
    assert page.status_code == 200 and b'name="answer"' not in page.content
    response = client.post(
        reverse("audits:recommendation", args=[ifn.code, 1]),
        {"answer": "Nej.", "answered_on": TODAY.isoformat()},
    )
    assert response.status_code == 404
    assert Recommendation.objects.get(audit=ifn, number=1).answer == ""
    page = client.get(reverse("audits:measure", args=[measure.pk]))
    assert page.status_code == 200 and b'name="status"' not in page.content
    response = client.post(
        reverse("audits:measure", args=[measure.pk]), {"text": "Klar.", "status": "done"}
    )
    assert response.status_code == 404
    assert not MeasureNote.objects.filter(measure=measure).exists()
    with pytest.raises(PermissionDenied):
        services.add_recommendation(audit=aln, text="Från revisorn.", by=cast["revisor"])
    with pytest.raises(PermissionDenied):
        make_audit_as(cast, "revisor")
    assert not aln.recommendations.exists()


def make_audit_as(cast, login: str) -> Audit:
    return services.create_audit(
        unit=cast.unit("DEMO-ALN"),
        title="Obehörig",
        reported_on=TODAY,
        auditors="X",
        by=cast[login],
    )


def test_committee_member_reads_only_their_committees_audits(cast):
    aln = make_audit(cast, "DEMO-ALN", "Granskning ALN")
    ifn = make_audit(cast, "DEMO-IFN", "Granskning IFN")
    measure = make_measure(cast, ifn)
    client = cast.client("namnd")
    assert client.get(reverse("audits:detail", args=[aln.code])).status_code == 200
    assert client.get(reverse("audits:detail", args=[ifn.code])).status_code == 404
    assert client.get(reverse("audits:recommendation", args=[ifn.code, 1])).status_code == 404
    assert client.get(reverse("audits:measure", args=[measure.pk])).status_code == 404
    listing = client.get(reverse("audits:list")).content.decode()
    assert "Granskning ALN" in listing and "Granskning IFN" not in listing


@pytest.mark.parametrize("login", ["medarbetare", "chef.grannby"])
def test_outsiders_get_404_everywhere(cast, login):
    audit = make_audit(cast)
    measure = make_measure(cast, audit)
    client = cast.client(login)
    urls = [
        reverse("audits:list"),
        reverse("audits:new"),
        reverse("audits:detail", args=[audit.code]),
        reverse("audits:edit", args=[audit.code]),
        reverse("audits:recommendation_new", args=[audit.code]),
        reverse("audits:recommendation", args=[audit.code, 1]),
        reverse("audits:measure_new", args=[audit.code, 1]),
        reverse("audits:measure", args=[measure.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"text": "x", "status": "done"}).status_code == 404, url
    assert not MeasureNote.objects.filter(measure=measure).exists()
    assert audit.recommendations.count() == 1


def test_menu_link_only_for_those_who_follow_audits(cast):
    link = reverse("audits:list").encode()
    assert link in cast.client("revisor").get(reverse("home:start")).content
    assert link in cast.client("admin").get(reverse("home:start")).content
    assert link not in cast.client("medarbetare").get(reverse("home:start")).content


def test_responsible_person_notes_progress_and_marks_done(cast):
    audit = make_audit(cast)
    measure = make_measure(cast, audit)
    client = cast.client("enhetschef")
    # The responsible person finds their measures from the list even without reading audits.
    listing = client.get(reverse("audits:list"))
    assert listing.status_code == 200
    assert reverse("audits:measure", args=[measure.pk]).encode() in listing.content
    # …but not the audit itself.
    assert client.get(reverse("audits:detail", args=[audit.code])).status_code == 404
    url = reverse("audits:measure", args=[measure.pk])
    assert b'name="status"' in client.get(url).content

    response = client.post(url, {"text": "Arbetet har börjat.", "status": "started"})
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.status, measure.done_on) == (Measure.Status.STARTED, None)

    response = client.post(
        url,
        {
            "text": "Rutinen är beslutad.",
            "link": "https://example.org/protokoll.pdf",
            "status": "done",
        },
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.status, measure.done_on) == (Measure.Status.DONE, TODAY)

    # Reopening clears the day; the history keeps every note in order.
    client.post(url, {"text": "Rutinen behöver ses över.", "status": "started"})
    measure.refresh_from_db()
    assert (measure.status, measure.done_on) == (Measure.Status.STARTED, None)
    notes = list(measure.notes.values_list("text", "status", "by"))
    me = cast["enhetschef"].pk
    assert notes == [
        ("Arbetet har börjat.", "started", me),
        ("Rutinen är beslutad.", "done", me),
        ("Rutinen behöver ses över.", "started", me),
    ]
    page = client.get(url).content.decode()
    for text, _status, _by in notes:
        assert text in page
    assert "https://example.org/protokoll.pdf" in page


def test_someone_else_cannot_note_a_measure(cast):
    measure = make_measure(cast, make_audit(cast))
    url = reverse("audits:measure", args=[measure.pk])
    assert cast.client("forste").get(url).status_code == 404
    assert cast.client("forste").post(url, {"text": "Klar.", "status": "done"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.note_measure(measure=measure, text="Klar.", status="done", by=cast["forste"])
    measure.refresh_from_db()
    assert measure.status == Measure.Status.PLANNED
    assert not measure.notes.exists()


def test_a_note_needs_visible_text_and_a_web_link(cast):
    measure = make_measure(cast, make_audit(cast))
    client = cast.client("enhetschef")
    url = reverse("audits:measure", args=[measure.pk])
    response = client.post(url, {"text": "\u200b ", "status": "done"})
    assert response.status_code == 200 and b"error-summary" in response.content
    response = client.post(url, {"text": "Klart.", "link": "javascript:alert(1)", "status": "done"})
    assert response.status_code == 200 and b"error-summary" in response.content
    assert "Klart." in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        services.note_measure(
            measure=measure,
            text="Klart.",
            link="ftp://example.org/x",
            status="done",
            by=cast["enhetschef"],
        )
    assert "link" in refused.value.message_dict
    measure.refresh_from_db()
    assert measure.status == Measure.Status.PLANNED and not measure.notes.exists()


def test_overdue_measures_are_marked_in_words_and_counted(cast):
    audit = make_audit(cast, title="Granskning med försenad åtgärd")
    measure = make_measure(cast, audit)
    late = TODAY - timedelta(days=3)
    Measure.objects.filter(pk=measure.pk).update(due_on=late)
    client = cast.client("revisor")
    detail = client.get(reverse("audits:detail", args=[audit.code])).content.decode()
    assert overdue_words(late) in detail
    row = next(
        row for row in client.get(reverse("audits:list")).context["rows"] if row.pk == audit.pk
    )
    assert (row.recommendation_count, row.open_count, row.overdue_count) == (1, 1, 1)
    # Done is no longer overdue, however late.
    services.note_measure(measure=measure, text="Klart.", status="done", by=cast["enhetschef"])
    detail = client.get(reverse("audits:detail", args=[audit.code])).content.decode()
    assert overdue_words(late) not in detail
    row = next(
        row for row in client.get(reverse("audits:list")).context["rows"] if row.pk == audit.pk
    )
    assert (row.open_count, row.overdue_count) == (0, 0)


def test_answer_cannot_predate_the_report_and_keeps_what_was_typed(cast):
    audit = make_audit(cast)
    services.add_recommendation(audit=audit, text="R.", by=cast["admin"])
    before = audit.reported_on - timedelta(days=1)
    response = cast.client("admin").post(
        reverse("audits:recommendation", args=[audit.code, 1]),
        {"answer": "Nämndens svar.", "answered_on": before.isoformat(), "decision": ""},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content and "Nämndens svar." in content
    assert Recommendation.objects.get(audit=audit, number=1).answer == ""


def test_admin_changes_an_audit(cast):
    audit = make_audit(cast)
    response = cast.client("admin").post(
        reverse("audits:edit", args=[audit.code]),
        {
            "unit": cast.unit("DEMO-IFN").pk,
            "title": "Ny titel",
            "reported_on": audit.reported_on.isoformat(),
            "auditors": "Revisorerna",
            "summary": "",
            "report_url": "",
        },
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert (audit.title, audit.unit.code, audit.report_url) == ("Ny titel", "DEMO-IFN", "")
