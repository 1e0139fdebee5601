"""Case handling in Chromium: a manager takes a case from the inbox to closed, the employee
follows it, and axe-core finds nothing on any case page (see test_browser for the fixtures)."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.test_browser import assert_accessible, browser, log_in, page, site  # noqa: F401
from varna.cases.models import Case, SafetyRequest
from varna.orgs.models import Unit, User
from varna.reporting.services import submit_report

pytestmark = [pytest.mark.browser]


def violence_report():
    report, _created = submit_report(
        reporter=User.objects.get(username="medarbetare"),
        data={
            "main_form": "violence",
            "subforms": ["violence.assault"],
            "occurred_on": date.today(),
            "unit": Unit.objects.get(code="DEMO-FSE1A"),
            "consequences": ["injury"],
            "description": "Sökanden knuffade mig mot väggen i receptionen.",
            "wants_police_report": True,
        },
        idempotency_key=uuid.uuid4(),
    )
    return report


def test_a_manager_takes_a_case_from_the_inbox_to_closed(page, site):  # noqa: F811
    report = violence_report()
    log_in(page, site, "forste")
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="New", exact=False).first.click()
    page.get_by_role("link", name=report.number).click()
    assert page.get_by_role(
        "heading", name="Notify Arbetsmiljöverket today", exact=False
    ).is_visible()
    assert_accessible(page)

    def done(message: str) -> None:
        assert page.get_by_role("status").get_by_text(message, exact=False).is_visible()

    next_step = page.locator("#next-step-form")
    next_step.get_by_label("How and when you contacted the employee").fill("Ringde samma dag.")
    next_step.get_by_role("button").click()
    done("The case is acknowledged")

    page.locator("form[action$='/steg/investigation/']").get_by_label("What happened").fill(
        "Knuff i receptionen vid avslag."
    )
    page.get_by_label("Working alone").check()
    page.get_by_label("A decision was delivered without preparation").check()
    page.locator("#investigation-recurrence_risk_group").get_by_label("High").check()
    page.get_by_role("button", name="Save the investigation").click()
    done("The investigation is saved")
    page.locator("#next-step-form").get_by_role("button").click()
    done("The investigation is finished")

    measure = page.locator("form[action$='/steg/measure/']")
    measure.get_by_label("For the employee").check()
    measure.get_by_label("Kind").select_option("escort")
    measure.get_by_label(re.compile(r"^What\b")).fill("Två handläggare vid möten med sökanden.")
    measure.get_by_label("Responsible").select_option(
        label=User.objects.get(username="forste").get_full_name()
    )
    measure.get_by_label("Due date").fill((date.today() + timedelta(days=14)).isoformat())
    measure.get_by_role("button", name="Add the measure").click()
    done("The measure is added")
    page.locator("#next-step-form").get_by_role("button").click()
    done("The measures are decided")

    page.get_by_text("Record the decision, filing and outcome").click()
    police = page.locator("form[action$='/steg/police/']")
    police.get_by_label("The employer files the report as complainant").check()
    police.get_by_label("Filed on").fill(date.today().isoformat())
    police.get_by_label("Police reference number").fill("5000-K123456-26")
    police.get_by_role("button", name="Save").click()
    done("The police report is updated")

    notice = page.locator("form[action$='/steg/notice/']")
    notice.get_by_label("Sent").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    notice.get_by_label("Arbetsmiljöverket's reference").fill("AV 2026/012345")
    notice.get_by_role("button", name="Record the notice").click()
    done("The notice to Arbetsmiljöverket is recorded")
    assert not page.get_by_role(
        "heading", name="Notify Arbetsmiljöverket today", exact=False
    ).count()

    page.get_by_text("Offer support", exact=True).click()
    support = page.locator("form[action$='/steg/support/']")
    support.get_by_label("Kind").select_option("defusing")
    support.get_by_role("button", name="Record the offer").click()
    done("The support offered is recorded")

    next_step = page.locator("#next-step-form")
    next_step.get_by_label("How the measures were followed up").fill("Fungerar, fortsätter.")
    next_step.get_by_role("button").click()
    done("The follow-up is recorded")

    # An open measure stands in the way of closing: the page says so.
    assert page.get_by_text("Every measure must be done or cancelled.").is_visible()
    page.get_by_text("Update “Escort or two officials together”").click()
    update = page.locator("form[action$='/steg/measure_update/']")
    update.get_by_label("Status").select_option("done")
    update.get_by_role("button", name="Update the measure").click()
    done("The measure is updated")

    next_step = page.locator("#next-step-form")
    next_step.get_by_label("What the employee is told about the outcome").fill(
        "Vi har infört dubbelbemanning vid möten."
    )
    next_step.get_by_role("button", name="Close the case").click()
    done("The case is closed")
    assert_accessible(page)
    case = Case.objects.get(report=report)
    assert case.state == "closed"
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[0] == "opened" and kinds[-1] == "closed"
    assert {
        "acknowledged",
        "investigated",
        "measures_decided",
        "followed_up",
        "police",
        "notice_sent",
    } <= set(kinds)

    # The employee follows the same case: status, the steps, and who opened it.
    page.context.clear_cookies()
    log_in(page, site, "medarbetare")
    page.get_by_role("button", name="English").click()
    page.goto(f"{site}/rapporter/{report.code}/")
    assert page.get_by_text("Vi har infört dubbelbemanning vid möten.").is_visible()
    readers = page.get_by_role("region", name="Who has opened your report")
    assert readers.get_by_text("manager", exact=False).first.is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_case_page_is_accessible(page, site, language):  # noqa: F811
    report = violence_report()
    unit = Unit.objects.get(code="DEMO-FSE1A")
    request = SafetyRequest.objects.create(
        unit=unit,
        requested_by=User.objects.get(username="skyddsombud"),
        demand="Larm i receptionen.",
    )
    log_in(page, site, "forste")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in [
        "/arenden/",
        "/arenden/?view=all&sort=-opened&form=threat",
        "/arenden/?unit=NOPE&sort=x",
        f"/arenden/{report.code}/",
        f"/arenden/{report.code}/utkast-polisanmalan/",
        "/begaran/",
        f"/begaran/{request.code}/",
        "/notiser/",
        "/",
    ]:
        page.goto(site + path)
        assert_accessible(page)
    # The case page with errors on a form: the error summary and the field messages.
    page.goto(f"{site}/arenden/{report.code}/")
    page.locator("details:has(form[action$='/steg/measure/']) > summary").click()
    page.locator("form[action$='/steg/measure/']").locator("button").click()
    page.get_by_role("alert").first.wait_for()
    assert_accessible(page)
    for username in ["skyddsombud", "hr"]:
        page.context.clear_cookies()
        log_in(page, site, username)
        for path in [
            f"/arenden/{report.code}/",
            "/arenden/",
            "/begaran/ny/" if username == "skyddsombud" else "/",
        ]:
            page.goto(site + path)
            assert_accessible(page)
