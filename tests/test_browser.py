"""Pages in Debian's Chromium, driven by Playwright: axe-core on every page, keyboard and 320 px.

Run in a separate pytest invocation (`-m browser`): the live server needs a transactional
database, which is emptied after each test, so the demo is loaded again when missing.
"""

import base64
import json
import os
import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from playwright.sync_api import Page, sync_playwright

from varna.cases.models import Case, SafetyRequest
from varna.orgs import demo
from varna.orgs.models import Unit, User
from varna.reporting.models import Report
from varna.reporting.services import submit_report

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, transactional_db):
    if not demo.is_loaded():
        for step in settings.VARNA_DEMO_STEPS:
            import_string(step)()
    return live_server.url


@pytest.fixture
def page(browser, site):
    # An English browser still gets Swedish until the person switches.
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location.get("url", "").endswith("/finns-inte/")
            and errors.append(message.text)
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/finns-inte/")  # the 404 page is visited on purpose
            and errors.append(response.url)
        ),
    )
    yield page
    # Autosaves of the report draft from now on (a timer, or closing the page) are dropped, so
    # that they do not reach the live server while the test database is being emptied; set
    # first, so that none starts between the wait below and the close.
    context.route("**/rapportera/utkast/", lambda route: route.abort())
    # Let requests still in flight (an autosave, a keep-alive) finish: the test database is
    # emptied next, and SQLite refuses while the live server holds a table.
    for open_page in context.pages:
        open_page.wait_for_load_state("networkidle")
    context.close()
    assert not errors, f"browser console errors (CSP violations show here): {errors}"


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


PHONE = {"width": 375, "height": 740}


def assert_accessible(page: Page) -> None:
    """No axe violations at the page's width, and at phone width (WCAG 1.4.10, reflow) the page
    neither scrolls sideways nor has new violations (a table that scrolls must be reachable)."""
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n" + json.dumps(violations, indent=1, ensure_ascii=False)
    size = page.viewport_size
    if size is None or size["width"] <= PHONE["width"]:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
        return
    page.set_viewport_size(PHONE)
    try:
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{page.url} scrolls sideways by {wide} px at 375 px"
        violations = axe_violations(page)
        assert not violations, f"{page.url} at 375 px:\n" + json.dumps(
            violations, indent=1, ensure_ascii=False
        )
    finally:
        page.set_viewport_size(size)


def log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/konto/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(demo.demo_password())
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(f"{site}/")


def test_login_page_is_accessible_and_explains_a_wrong_password(page, site):
    page.goto(f"{site}/konto/logga-in/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert_accessible(page)
    page.get_by_label("Användarnamn").fill("medarbetare")
    page.get_by_label("Lösenord").fill("fel lösenord")
    page.get_by_role("button", name="Logga in", exact=True).click()
    assert page.get_by_role("alert").is_visible()
    assert "Användarnamnet eller lösenordet är fel" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Användarnamn").input_value() == "medarbetare"
    assert_accessible(page)


def test_employee_sees_start_page_with_contacts_at_320_px(page, site):
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, site, "medarbetare")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.get_by_role("heading", name="Om något har hänt").is_visible()
    assert "Jonas Berg" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)


def test_manager_browses_the_organisation_in_swedish_and_english(page, site):
    log_in(page, site, "enhetschef")
    page.get_by_role("link", name="Organisation").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Försörjningsstöd 1").first.click()
    assert page.get_by_role("heading", name="Försörjningsstöd 1", level=1).is_visible()
    assert page.get_by_role("table").first.is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Headcount").is_visible()
    assert_accessible(page)


def test_administrator_pages_are_accessible(page, site):
    log_in(page, site, "admin")
    assert_accessible(page)
    unit = Unit.objects.get(code="DEMO-FSE1")
    person = User.objects.get(username="medarbetare")
    for path in [
        "/admin/orgs/user/",
        f"/admin/orgs/user/{person.pk}/change/",
        f"/admin/orgs/user/{person.pk}/password/",
        "/admin/orgs/headcount/",
        "/admin/reporting/notification/",
        "/admin/orgs/unit/add/",
        "/admin/",
        "/admin/orgs/unit/",
        f"/admin/orgs/unit/{unit.pk}/change/",
        "/admin/orgs/rolegrant/add/",
        "/admin/audit/securityevent/",
        # The record: the retention plan, its preview and one period's form, the extract search.
        "/gallring/kommun/DEMO/",
        "/gallring/kommun/DEMO/kommande/",
        "/gallring/kommun/DEMO/regel/actor/",
        "/registerutdrag/",
        "/registerutdrag/?q=Lindqvist",
        "/registerutdrag/?q=",
    ]:
        page.goto(site + path)
        assert_accessible(page)
    # A period refused: the error summary and the field message, with what was typed kept.
    page.goto(f"{site}/gallring/kommun/DEMO/regel/actor/")
    page.locator("input[name=months]").fill("0")
    page.locator("form:has(input[name=months]) button[type=submit]").click()
    page.get_by_role("alert").first.wait_for()
    page.wait_for_load_state()
    assert_accessible(page)


def test_session_warning_appears_before_timeout_and_keeps_the_session(page, site, settings):
    settings.SESSION_COOKIE_AGE = 8
    log_in(page, site, "medarbetare")
    warning = page.get_by_role("alertdialog")
    warning.wait_for(state="visible", timeout=8000)
    assert_accessible(page)
    page.get_by_role("button", name="Fortsätt vara inloggad").click()
    warning.wait_for(state="hidden", timeout=3000)
    # Left alone, the page goes to the login page and says why.
    page.wait_for_url("**/konto/logga-in/**", timeout=15000)
    assert "efter en tid utan aktivitet" in page.inner_text("main")


class Counted:
    """Wraps a page and counts what a person does: clicks, checks and fields filled."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.interactions = 0

    def fill(self, label: str, text: str) -> None:
        self.interactions += 1
        self.page.get_by_label(label).fill(text)

    def click(self, role: str, name: str) -> None:
        self.interactions += 1
        self.page.get_by_role(role, name=name, exact=True).first.click()

    def check(self, name: str) -> None:
        self.interactions += 1
        self.page.get_by_role("radio", name=name).check()


def test_employee_reports_a_threat_on_a_phone_in_ten_interactions(page, site):
    page.set_viewport_size({"width": 375, "height": 740})
    person = Counted(page)
    page.goto(f"{site}/")
    person.fill("Användarnamn", "medarbetare")
    person.fill("Lösenord", demo.demo_password())
    person.click("button", "Logga in")
    person.click("link", "Rapportera en händelse")
    assert_accessible(page)
    person.check("Hot")
    person.fill("Beskriv vad som hände", "Sökanden sa att han vet var jag bor efter avslaget.")
    person.click("button", "Skicka rapporten")
    page.wait_for_url("**/kvitto/")
    assert page.get_by_role("heading", name="Tack, din rapport är mottagen").is_visible()
    number = page.locator(".receipt-number strong").inner_text()
    assert number.startswith(f"{date.today().year}-")
    assert_accessible(page)
    assert person.interactions <= 10, person.interactions
    report = Report.objects.get(number=number)
    assert report.main_form == "threat" and report.reporter.username == "medarbetare"


def photo_with_gps() -> bytes:
    """A small JPEG whose EXIF says where it was taken (a home, say)."""
    from io import BytesIO

    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (59.0, 19.0, 48.0), 3: "E", 4: (18.0, 4.0, 12.0)}
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_an_employee_completes_a_report_later_and_the_manager_sees_the_history(page, site):
    from io import BytesIO

    from PIL import Image

    log_in(page, site, "medarbetare")
    page.goto(f"{site}/rapportera/")
    page.get_by_role("radio", name="Hot").check()
    page.get_by_label("Beskriv vad som hände").fill("Han skrev att han vet var jag bor.")
    page.get_by_role("button", name="Skicka rapporten").click()
    page.wait_for_url("**/kvitto/")
    number = page.locator(".receipt-number strong").inner_text()

    # Later, from My reports: the actor and a screenshot.
    page.get_by_role("link", name="Mina rapporter").first.click()
    page.get_by_role("link", name=number).click()
    page.get_by_role("link", name="Komplettera eller rätta rapporten").click()
    assert_accessible(page)
    page.get_by_label("Vem gjorde det?").select_option(label="Sökande eller klient")
    page.get_by_label("Lägg till i beskrivningen").fill("Han skickade också en skärmbild.")
    page.get_by_role("button", name="Spara ändringarna").click()
    page.get_by_role("heading", name="Rapportens historik").wait_for()
    page.locator("#attachment-file").set_input_files(
        files=[{"name": "skärmbild.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}]
    )
    page.get_by_role("button", name="Lägg till filen").click()
    page.get_by_role("link", name="skärmbild.jpg").wait_for()
    assert_accessible(page)

    # The manager reads the history and downloads the screenshot, without its GPS data.
    page.context.clear_cookies()
    log_in(page, site, "forste")
    report = Report.objects.get(number=number)
    page.goto(f"{site}/arenden/{report.code}/")
    history = page.locator("section[aria-labelledby='history-title']")
    assert "Sökande eller klient" in history.inner_text()
    assert "Han skickade också en skärmbild." in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="skärmbild.jpg").click()
    content = Path(download.value.path()).read_bytes()
    image = Image.open(BytesIO(content))
    assert image.size == (64, 48) and not image.getexif().get_ifd(0x8825)
    assert "exif" not in image.info
    assert_accessible(page)


def test_a_lost_session_keeps_the_draft_until_the_person_logs_in_again(page, site):
    log_in(page, site, "medarbetare")
    page.goto(f"{site}/rapportera/")
    page.get_by_role("radio", name="Trakasserier").check()
    page.get_by_label("Beskriv vad som hände").fill("Ringer mig varje kväll.")
    page.get_by_role("status").filter(has_text="Utkastet är sparat").wait_for(timeout=8000)
    # The session ends (timeout or a restart) while the form is still open.
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="Skicka rapporten").click()
    page.wait_for_url("**/konto/logga-in/**")
    assert "efter en tid utan aktivitet" in page.inner_text("main")
    page.get_by_label("Användarnamn").fill("medarbetare")
    page.get_by_label("Lösenord").fill(demo.demo_password())
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url("**/rapportera/")
    assert page.get_by_label("Beskriv vad som hände").input_value() == "Ringer mig varje kväll."
    assert page.get_by_role("radio", name="Trakasserier").is_checked()
    # A closed tab loses nothing either: the draft is on the server.
    again = page.context.new_page()
    again.goto(f"{site}/rapportera/")
    assert again.get_by_label("Beskriv vad som hände").input_value() == "Ringer mig varje kväll."


def test_the_form_works_without_javascript_and_keeps_values_on_errors(browser, site):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, site, "medarbetare")
    page.goto(f"{site}/rapportera/")
    page.get_by_label("Beskriv vad som hände").fill("Hotade att skada min bil.")
    page.get_by_role("button", name="Skicka rapporten").click()
    summary = page.get_by_role("alert")
    assert "Välj vad som hände" in summary.inner_text()
    assert page.get_by_label("Beskriv vad som hände").input_value() == "Hotade att skada min bil."
    # axe needs JavaScript to run; the same error page is checked with it in the next test.
    page.get_by_role("radio", name="Skadegörelse").check()
    page.get_by_role("button", name="Skicka rapporten").click()
    page.wait_for_url("**/kvitto/")
    context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_page_of_the_reporting_flow_is_accessible(page, site, language):
    # assert_accessible checks each page at 1280 px and again at phone width.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, site, "forste")
    if language == "en":
        page.get_by_role("button", name="English").click()
    report = Report.objects.filter(unit__code="DEMO-FSE1A").first()
    own, _created = submit_report(
        reporter=User.objects.get(username="forste"),
        data={
            "main_form": "violence",
            "occurred_on": date.today(),
            "unit": Unit.objects.get(code="DEMO-FSE1A"),
            "consequences": ["injury"],
            "description": "Knuffad i receptionen.",
        },
        idempotency_key=uuid.uuid4(),
    )
    page.goto(site + "/rapportera/")
    page.get_by_role(
        "button", name="Skicka rapporten" if language == "sv" else "Send the report"
    ).click()
    page.get_by_role("alert").wait_for()
    assert_accessible(page)  # the form with its errors
    for path in [
        f"/rapporter/{own.code}/kvitto/",
        "/rapportera/",
        "/mina-rapporter/",
        "/notiser/",
        f"/rapporter/{report.code}/",
        "/vagledning/efter-en-handelse/",
        "/vagledning/stod/",
        "/vagledning/polisanmalan/",
        "/vagledning/korruption/",
        "/integritet/",
        "/finns-inte/",
    ]:
        page.goto(site + path)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)


# Case handling: a manager takes a case from the inbox to closed, the employee follows it.


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


def test_a_manager_takes_a_case_from_the_inbox_to_closed(page, site):
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

    # The injury makes the work-injury report to Försäkringskassan due before closing.
    page.get_by_text("Record the work-injury report and AFA").click()
    insurance = page.locator("form[action$='/steg/insurance/']")
    insurance.get_by_label("Work-injury report made on").fill(date.today().isoformat())
    insurance.get_by_role("button", name="Save the dates").click()
    done("The work-injury report and AFA are updated")

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
def test_every_case_page_is_accessible(page, site, language):
    report = violence_report()
    unit = Unit.objects.get(code="DEMO-FSE1A")
    # Not answered by the day asked for: the way to Arbetsmiljöverket is open.
    request = SafetyRequest.objects.create(
        unit=unit,
        requested_by=User.objects.get(username="skyddsombud"),
        demand="Larm i receptionen.",
        answer_due_on=date.today() - timedelta(days=1),
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
        f"/rapporter/{report.code}/komplettera/",
        f"/utlamnande/{report.code}/",
        "/begaran/",
        f"/begaran/{request.code}/",
        f"/begaran/{request.code}/arbetsmiljoverket/",
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


def test_a_manager_runs_a_risk_assessment_to_sign_off_and_employees_see_it(page, site):
    rep = User.objects.get(username="skyddsombud")
    colleague = User.objects.get(username="medarbetare")
    manager = User.objects.get(username="enhetschef")
    log_in(page, site, "enhetschef")
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Risk assessments"
    ).click()
    assert_accessible(page)
    page.get_by_role("link", name="Försörjningsstöd 1", exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="Start a new risk assessment").click()
    page.get_by_role("checkbox", name=rep.get_full_name()).check()
    page.get_by_role("checkbox", name=colleague.get_full_name()).check()
    page.get_by_role("button", name="Start the assessment").click()
    page.get_by_role("status").get_by_text("The assessment is started").wait_for()
    assert_accessible(page)

    add_risk = page.locator("form[action$='/steg/risk/']")
    for situation, likelihood, consequence in [
        ("Delivering a rejection or another negative decision", "3 – likely", "3 – serious"),
        ("Home visits", "2 – possible", "4 – very serious"),
        ("Phone calls", "4 – very likely", "1 – minor"),
    ]:
        if not add_risk.is_visible():
            page.locator("details:has(form[action$='/steg/risk/']) > summary").click()
        add_risk.get_by_label("Situation").select_option(label=situation)
        add_risk.get_by_role("radio", name=likelihood).check()
        add_risk.get_by_role("radio", name=consequence).check()
        add_risk.get_by_label("Protections already in place").fill("Larm och kollega nära.")
        add_risk.get_by_role("button", name="Add the risk").click()
        page.get_by_role("status").get_by_text("The risk is added").wait_for()
    # The matrix names each level in words.
    matrix = page.locator("table.risk-matrix")
    assert matrix.get_by_text("High risk").first.is_visible()

    # Approving before the high risks have measures is refused, and says why.
    page.get_by_role("button", name="Approve the assessment").click()
    assert page.get_by_role("alert").get_by_text("need a measure", exact=False).is_visible()
    assert_accessible(page)

    add_measure = page.locator("form[action$='/steg/measure/']")
    due = (date.today() + timedelta(days=30)).isoformat()
    for what, risk in [
        ("Två handläggare vid avslag", "Delivering a rejection or another negative decision"),
        ("Hembesök alltid två och två", "Home visits"),
    ]:
        if not add_measure.is_visible():
            page.locator("details:has(form[action$='/steg/measure/']) > summary").click()
        add_measure.get_by_label("What").fill(what)
        add_measure.get_by_label("For the risk").select_option(label=risk)
        add_measure.get_by_label("Who is responsible").select_option(label=manager.get_full_name())
        add_measure.get_by_label("By when").fill(due)
        add_measure.get_by_role("button", name="Add the measure").click()
        page.get_by_role("status").get_by_text("The measure is added").wait_for()
    page.get_by_role("button", name="Approve the assessment").click()
    page.get_by_role("status").get_by_text("The assessment is approved").wait_for()
    assert_accessible(page)
    assessment_url = page.url
    page.get_by_role("link", name="Printable version").click()
    assert_accessible(page)

    # The safety representative confirms taking part.
    page.context.clear_cookies()
    log_in(page, site, "skyddsombud")
    page.get_by_role("button", name="English").click()
    page.goto(assessment_url)
    page.get_by_role("radio", name="Took part and agrees").check()
    page.get_by_role("button", name="Record my response").click()
    page.get_by_role("status").get_by_text("Your response is recorded").wait_for()
    assert_accessible(page)

    # An employee of the unit sees the summary from the start page.
    page.context.clear_cookies()
    log_in(page, site, "medarbetare")
    page.get_by_role("button", name="English").click()
    panel = page.get_by_role("region", name="Risks at your workplace")
    assert panel.get_by_text(date.today().isoformat(), exact=False).is_visible()
    panel.get_by_role("link", name="The main risks and measures", exact=False).click()
    assert page.get_by_text("Delivering a rejection or another negative decision").is_visible()
    assert page.get_by_text("Hembesök alltid två och två", exact=False).is_visible()
    assert page.get_by_role("link", name="Report an event").last.is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Svenska").click()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_year_plan_page_is_accessible(page, site, language):
    from varna.yearplan.models import Activity

    # One marked done by hand (a training activity is ticked off by completed courses).
    activity = (
        Activity.objects.filter(unit__code="DEMO-FSE1", status="open")
        .exclude(kind="training")
        .order_by("due_on")
        .first()
    )
    assert activity is not None
    log_in(page, site, "enhetschef")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in [
        "/arsplan/",
        f"/arsplan/?enhet=DEMO-FSE&ar={date.today().year - 1}",
        "/arsplan/?enhet=NOPE&ar=abc",
        "/arsplan/enhet/DEMO-FSE1/",
        "/arsplan/efterlevnad/",
        f"/arsplan/aktivitet/{activity.code}/",
        "/riskbedomning/",
        "/riskbedomning/enhet/DEMO-FSE1/",
        "/riskbedomning/enhet/DEMO-FSE1/sammanfattning/",
        "/",
    ]:
        page.goto(site + path)
        assert_accessible(page)
    # Marking done without evidence: the message is next to the field.
    page.goto(f"{site}/arsplan/aktivitet/{activity.code}/")
    page.locator("form[method='post']").filter(has=page.locator("textarea")).first.locator(
        "button[type='submit']"
    ).click()
    page.get_by_role("alert").first.wait_for()
    assert_accessible(page)
    # The analyst follows compliance: the overview, not the assessments.
    page.context.clear_cookies()
    log_in(page, site, "analytiker")
    page.goto(f"{site}/arsplan/")
    assert_accessible(page)


@pytest.mark.parametrize("width", [320, 375])
def test_no_year_plan_page_scrolls_sideways_on_a_phone(page, site, width):
    """WCAG 2.1 1.4.10: the overview, how well the plan is kept and a unit's plan reflow for
    every role that sees them, whatever the filter (the tables become lists)."""
    page.set_viewport_size({"width": width, "height": 800})
    last_year = date.today().year - 1
    pages = {
        "forste": ["/arsplan/", "/arsplan/enhet/DEMO-FSE1A/"],
        "enhetschef": ["/arsplan/", "/arsplan/enhet/DEMO-FSE1/", "/arsplan/efterlevnad/"],
        "forvaltningschef": [
            "/arsplan/",
            f"/arsplan/?enhet=DEMO-FSE&ar={last_year}",
            "/arsplan/?enhet=NOPE&ar=abc",
            "/arsplan/efterlevnad/?enhet=DEMO-FSE",
        ],
        "skyddsombud": ["/arsplan/", "/arsplan/efterlevnad/"],
        "analytiker": [
            "/arsplan/?enhet=DEMO",
            f"/arsplan/?ar={last_year}",
            "/arsplan/efterlevnad/",
        ],
        "revisor": ["/arsplan/"],
        "chef.grannby": ["/arsplan/"],
        "hr": ["/arsplan/efterlevnad/", "/arsplan/efterlevnad/?enhet=DEMO-IFO"],
        "namnd": ["/arsplan/efterlevnad/", f"/arsplan/efterlevnad/?enhet=DEMO-FSE&ar={last_year}"],
    }
    for username, paths in pages.items():
        page.context.clear_cookies()
        log_in(page, site, username)
        for path in paths:
            page.goto(site + path)
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not wide, f"{username} {path} scrolls sideways at {width} px"
    assert_accessible(page)


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        (
            "forvaltningschef",
            [
                "/uppfoljning/",
                "/uppfoljning/?unit=DEMO-FSE&period=quarter&form=threat&form=violence",
                "/uppfoljning/?unit=NOPE&period=x&month=2026-13",
            ],
        ),
        ("analytiker", ["/uppfoljning/", "/uppfoljning/?unit=DEMO-IFO&period=rolling"]),
        ("namnd", ["/uppfoljning/", "/uppfoljning/?unit=DEMO-FSE1"]),
    ],
)
def test_every_follow_up_page_is_accessible(page, site, username, paths):
    from tests.test_reporting import run_worker

    log_in(page, site, username)
    for path in paths:
        page.goto(site + path)
        assert page.locator("svg[role='img']").first.is_visible()
        assert_accessible(page)
    page.get_by_role("button", name="English").click()
    assert_accessible(page)
    if username != "forvaltningschef":
        return
    # The committee report: queued, built by the worker, then ready to download.
    page.get_by_role("button", name="Make a committee report (PDF)").click()
    page.get_by_role("progressbar").wait_for()
    assert_accessible(page)
    run_worker()
    # The page notices by itself, without a reload.
    page.get_by_text("The report is ready.").wait_for()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")


@pytest.fixture
def municipal_idp(settings):
    """The municipality's identity provider, a real OpenID Connect provider on loopback."""
    from oidc_provider_mock import User as Identity
    from oidc_provider_mock import run_server_in_thread

    from tests.test_signin import claims_of, configure

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    identities = [
        Identity(sub="anna", claims=claims_of("medarbetare")),
        Identity(sub="slutat", claims=claims_of("forste")),
        Identity(sub="okand", claims={"email": "okand@example.org"}),
    ]
    with run_server_in_thread(require_nonce=True, user_claims=identities) as server:
        configure(settings, f"http://localhost:{server.server_port}")
        yield


def sign_in_with_municipal_account(page: Page, site: str, sub: str, button: str) -> None:
    page.goto(f"{site}/konto/logga-in/")
    page.get_by_role("button", name=button).click()
    page.get_by_role("button", name=f"Authorize as {sub}").click()


def test_staff_sign_in_with_the_municipalitys_account_and_leavers_and_strangers_are_refused(
    browser, site, municipal_idp
):
    from varna.orgs.models import Employment

    context = browser.new_context(locale="sv-SE")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{site}/konto/logga-in/")
    assert_accessible(page)
    sign_in_with_municipal_account(page, site, "anna", "Logga in med kommunens konto")
    page.wait_for_url(f"{site}/")
    assert page.get_by_role("link", name=re.compile("inloggning och säkerhet", re.I)).is_visible()
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(r"/konto/logga-in/"))

    Employment.objects.filter(user__username="forste").update(end_date=date(2020, 12, 31))
    sign_in_with_municipal_account(page, site, "slutat", "Logga in med kommunens konto")
    page.get_by_role("heading", name="Du kan inte längre logga in med ditt konto").wait_for()
    assert_accessible(page)

    sign_in_with_municipal_account(page, site, "okand", "Logga in med kommunens konto")
    page.get_by_role("heading", name="Du finns inte i Värna ännu").wait_for()
    assert_accessible(page)
    page.goto(f"{site}/konto/logga-in/")
    page.get_by_role("button", name="English").click()
    sign_in_with_municipal_account(page, site, "okand", "Log in with kommunens konto")
    page.get_by_role("heading", name="You are not in Värna yet").wait_for()
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_sign_in_page_is_accessible_at_375_px(page, site, language):
    from varna.accounts import services
    from varna.orgs import services as org_services

    page.set_viewport_size({"width": 375, "height": 740})

    def check(page: Page) -> None:
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url

    log_in(page, site, "enhetschef")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in [
        "/konto/",
        "/konto/sessioner/",
        "/konto/tvastegsverifiering/",
        "/konto/losenord/byt/",
    ]:
        page.goto(site + path)
        check(page)
    page.goto(f"{site}/konto/tvastegsverifiering/totp/activate/")
    page.locator("#id_password").fill(demo.demo_password())
    page.locator("main button[type='submit']").click()
    page.locator("#id_code").wait_for()
    check(page)
    page.locator(".site-tools form[action$='/logga-ut/'] button").click()
    page.wait_for_url(re.compile(r"/konto/logga-in/"))

    newcomer = User.objects.create(username="ny", email="ny@example.org", first_name="Ny")
    newcomer.set_unusable_password()
    newcomer.save()
    org_services.employ(user=newcomer, unit=Unit.objects.get(code="DEMO-FSE1A"))
    from django.core import mail

    services.invite(person=newcomer, by=None)
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    page.goto(site + "/" + link.split("://", 1)[1].split("/", 1)[1])
    page.locator("#id_new_password1").wait_for()
    check(page)
    page.locator("main button[type='submit']").click()
    page.locator("#error-summary").wait_for()
    check(page)
    page.goto(f"{site}/konto/losenord/glomt/")
    check(page)
    page.locator("main button[type='submit']").click()
    check(page)


def base64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_passkey_is_added_and_then_used_as_the_second_factor(page, site):
    from allauth.mfa.models import Authenticator

    # Chromium's virtual authenticator stands in for a phone or a security key.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    log_in(page, site, "enhetschef")
    page.goto(f"{site}/konto/tvastegsverifiering/webauthn/add/")
    page.locator("#id_password").fill(demo.demo_password())
    page.locator("main button[type='submit']").click()
    page.locator("#id_name").fill("Min telefon")
    assert_accessible(page)
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(re.compile(r"/konto/tvastegsverifiering/(?!webauthn/add)"))
    assert Authenticator.objects.filter(user__username="enhetschef", type="webauthn").exists()

    page.locator(".site-tools form[action$='/logga-ut/'] button").click()
    page.wait_for_url(re.compile(r"/konto/logga-in/"))
    page.get_by_label("Användarnamn").fill("enhetschef")
    page.get_by_label("Lösenord").fill(demo.demo_password())
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url(re.compile(r"/konto/tvastegsverifiering/authenticate/"))
    assert_accessible(page)

    # A phishing site that relays the passkey's answer: the signed origin is not Värna's.
    def as_if_from_another_site(route):
        form = parse_qs(route.request.post_data or "")
        credential = json.loads(form["credential"][0])
        client_data = json.loads(base64url_decode(credential["response"]["clientDataJSON"]))
        client_data["origin"] = "https://varna.phishing.example"
        credential["response"]["clientDataJSON"] = base64url_encode(
            json.dumps(client_data).encode()
        )
        form["credential"] = [json.dumps(credential)]
        route.continue_(post_data=urlencode(form, doseq=True))

    authenticate = "**/konto/tvastegsverifiering/authenticate/"
    page.route(authenticate, as_if_from_another_site)
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator("#mfa_webauthn_authenticate").click()
    page.unroute(authenticate)
    assert "/konto/tvastegsverifiering/authenticate/" in page.url
    assert page.locator("#error-summary").is_visible()
    assert_accessible(page)
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url(f"{site}/")


# The method handbook and training.


def test_an_editor_publishes_a_routine_and_an_employee_sees_it_on_the_receipt(page, site):
    log_in(page, site, "redaktor")
    page.goto(f"{site}/handbok/DEMO/hot-telefon-brev-natet/")
    page.get_by_role("link", name="Redigera").first.click()
    assert_accessible(page)
    text = page.locator("textarea[name='body']")
    text.fill(
        text.input_value() + "\n\n## Nytt från december\n\nRing säkerhetsenheten på 0100-55 55 55 "
        "samma dag som du fått ett hot per telefon.\n"
    )
    page.get_by_role("textbox", name="Vad som ändrats").fill("Nytt nummer till säkerhetsenheten")
    page.get_by_role("button", name="Spara och publicera").click()
    page.wait_for_url(f"{site}/handbok/DEMO/hot-telefon-brev-natet/")
    assert page.get_by_text("samma dag som du fått ett hot per telefon").is_visible()
    assert_accessible(page)
    # The history and what changed, as a reader without colour would see them.
    page.get_by_role("link", name="Historik").first.click()
    assert_accessible(page)
    page.get_by_role("row", name="Nytt nummer till säkerhetsenheten").get_by_role(
        "link"
    ).first.click()
    assert page.locator("ins").filter(has_text="0100-55 55 55").count() >= 1
    assert_accessible(page)

    # An employee reports a threat on a phone and finds the new routine on the receipt.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    log_in(page, site, "medarbetare")
    page.get_by_role("link", name="Rapportera en händelse").first.click()
    page.get_by_role("radio", name="Hot").check()
    page.get_by_label("Beskriv vad som hände").fill("Han ringde och sa att han vet var jag bor.")
    page.get_by_role("button", name="Skicka rapporten").click()
    page.wait_for_url("**/kvitto/")
    from_handbook = page.get_by_role("region", name="Ur metodhandboken")
    from_handbook.get_by_role("link", name="Hot per telefon, brev och på nätet").click()
    assert page.get_by_text("samma dag som du fått ett hot per telefon").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_handbook_and_training_page_is_accessible(page, site, language):
    from varna.handbook.models import Section
    from varna.yearplan.models import Activity

    draft = (
        Section.objects.get(municipality__code="DEMO", slug="i-receptionen")
        .versions.filter(status="draft")
        .first()
    )
    assert draft is not None
    log_in(page, site, "redaktor")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in [
        "/handbok/DEMO/",
        "/handbok/DEMO/sok/?q=hembesök",
        "/handbok/DEMO/sok/?q=zzzz",
        "/handbok/DEMO/efter-en-handelse/",
        "/handbok/DEMO/fore-hembesok/",
        "/handbok/DEMO/fore-hembesok/historik/",
        f"/handbok/DEMO/i-receptionen/version/{draft.pk}/",
        "/handbok/DEMO/i-receptionen/redigera/",
        "/handbok/DEMO/ny/",
    ]:
        page.goto(site + path)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)
    # A new section refused: the errors are next to the fields and the text is kept.
    page.get_by_role("button", name="Spara utkast" if language == "sv" else "Save draft").click()
    page.get_by_role("alert").first.wait_for()
    assert_accessible(page)

    introduction = Activity.objects.filter(
        unit__path__startswith=Unit.objects.get(code="DEMO-FSE1").path,
        kind="introduction",
    ).first()
    page.context.clear_cookies()
    log_in(page, site, "enhetschef")
    if language == "en":
        page.get_by_role("button", name="English").click()
    paths = [
        "/",
        "/utbildning/",
        "/utbildning/enhet/DEMO-FSE1/",
        "/utbildning/enhet/DEMO-FSE1/registrera/",
        "/uppfoljning/?unit=DEMO-FSE",
    ]
    if introduction is not None:
        paths.append(f"/arsplan/aktivitet/{introduction.code}/")
    for path in paths:
        page.goto(site + path)
        assert_accessible(page)
    # Registering with nothing chosen: the errors say what is missing, and nothing is lost.
    page.goto(site + "/utbildning/enhet/DEMO-FSE1/registrera/")
    page.get_by_role("button", name="Registrera" if language == "sv" else "Register").click()
    page.get_by_role("alert").first.wait_for()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_audit_page_is_accessible(page, site, language):
    from varna.audits.models import Audit, Measure

    audit = Audit.objects.get(unit__code="DEMO-ALN")
    recommendation = audit.recommendations.order_by("number").first()
    overdue = Measure.objects.filter(
        recommendation__audit=audit, due_on__lt=date.today(), status__in=["planned", "started"]
    ).first()
    assert recommendation is not None and overdue is not None
    log_in(page, site, "admin")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in [
        "/revision/",
        "/revision/ny/",
        f"/revision/{audit.code}/",
        f"/revision/{audit.code}/andra/",
        f"/revision/{audit.code}/rekommendation/ny/",
        f"/revision/{audit.code}/rekommendation/{recommendation.number}/",
        f"/revision/{audit.code}/rekommendation/{recommendation.number}/atgard/ny/",
        f"/revision/atgard/{overdue.pk}/",
    ]:
        page.goto(site + path)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)
    # A measure due in the past is refused next to its field, and what was typed is kept.
    page.goto(f"{site}/revision/{audit.code}/rekommendation/{recommendation.number}/atgard/ny/")
    page.locator("textarea[name='text']").fill("Ny rutin för uppföljning")
    page.locator("input[name='due_on']").fill((date.today() - timedelta(days=1)).isoformat())
    page.locator("form.narrow button[type='submit']").click()
    page.get_by_role("alert").first.wait_for()
    assert page.locator("textarea[name='text']").input_value() == "Ny rutin för uppföljning"
    assert_accessible(page)
