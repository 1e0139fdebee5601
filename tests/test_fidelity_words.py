"""Issue 15, points 15 and 16: the words people read (step names, the working-day promise, the
start page) and what the report form says about the data it takes."""

import html
import uuid
from datetime import date

from django.urls import reverse
from django.utils import translation

from varna.records import retention
from varna.reporting.models import Report


def _sv(msgid: str) -> str:
    with translation.override("sv"):
        return translation.gettext(msgid)


def _in(text: str, page: str) -> bool:
    return html.escape(text, quote=True) in page or text in page


def test_the_report_form_says_who_reads_the_report_and_links_the_privacy_notice(cast):
    page = cast.client("medarbetare").get(reverse("reporting:new")).content.decode()
    readers = _sv(
        "Your manager and your unit's safety representative read what you report (the safety "
        "representative without the part about who did it), the security coordinator reads "
        "corruption and serious threats, and HR the parts about support and injury."
    )
    kept = _sv(
        "The report is an official document protected by secrecy, kept as long as the "
        "municipality's information management plan says and then destroyed."
    )
    assert _in(readers, page)
    assert _in(kept, page)
    assert f'href="{reverse("records:privacy")}"' in page


def test_the_privacy_notice_shows_the_municipalitys_periods_and_the_dpo(cast, settings):
    settings.VARNA_DPO_CONTACT = "dso@demo.example"
    municipality = cast.unit("DEMO")
    retention.set_period(
        municipality=municipality,
        kind="cases",
        months=84,
        basis="Informationshanteringsplan 2026, dnr 1",
        by=cast["admin"],
    )
    response = cast.client("medarbetare").get(reverse("records:privacy"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "dso@demo.example" in page
    assert municipality.name in page
    assert "84 månader (7 år)" in page


def test_without_a_dpo_setting_the_notice_says_whom_to_ask(cast, settings):
    settings.VARNA_DPO_CONTACT = ""
    page = cast.client("medarbetare").get(reverse("records:privacy")).content.decode()
    assert _in(
        _sv(
            "Your manager or the municipality's registry can tell you how to reach the data "
            "protection officer."
        ),
        page,
    )


def test_case_states_read_as_what_happened():
    with translation.override("sv"):
        assert translation.gettext("Followed up") == "Uppföljd"
        assert translation.gettext("Acknowledged") == "Kontakt tagen"


def test_the_receipt_follows_the_working_days_setting(cast, settings):
    # The guidance pages that also stated the promise are now handbook sections, written by
    # each municipality and naming no number of days: only the receipt states it.
    settings.VARNA_ACKNOWLEDGE_WORKING_DAYS = 2
    client = cast.client("medarbetare")
    sent = client.post(
        reverse("reporting:new"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "main_form": "threat",
            "occurred_on": date.today().isoformat(),
            "unit": str(cast.unit("DEMO-FSE1A").pk),
            "description": "Han sa att han vet var jag bor.",
            "action": "submit",
        },
    )
    receipt = sent["Location"]
    assert receipt == reverse(
        "reporting:receipt", kwargs={"code": Report.objects.latest("submitted_at").code}
    )
    page = client.get(receipt).content.decode()
    assert "inom 2 arbetsdagar" in page
    settings.VARNA_ACKNOWLEDGE_WORKING_DAYS = 1
    page = client.get(receipt).content.decode()
    assert "inom 1 arbetsdag för" in page


def test_the_start_page_speaks_of_reports(cast):
    page = cast.client("forste").get(reverse("home:start")).content.decode()
    assert "Rapporter som väntar på dig" in page
    assert "Anmälningar" not in page
