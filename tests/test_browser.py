"""Pages in Debian's Chromium, driven by Playwright: axe-core on every page, keyboard and 320 px.

Run in a separate pytest invocation (`-m browser`): the live server needs a transactional
database, which is emptied after each test, so the demo is loaded again when missing.
"""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from varna.orgs import demo
from varna.orgs.models import Unit

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
        demo.load()
    return live_server.url


@pytest.fixture
def page(browser, site):
    # An English browser still gets Swedish until the person switches.
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda response: response.status >= 400 and errors.append(response.url))
    yield page
    context.close()
    assert not errors, f"browser console errors (CSP violations show here): {errors}"


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n" + json.dumps(violations, indent=1, ensure_ascii=False)


def log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/konto/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(demo.demo_password())
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{site}/")


def test_login_page_is_accessible_and_explains_a_wrong_password(page, site):
    page.goto(f"{site}/konto/logga-in/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert_accessible(page)
    page.get_by_label("Användarnamn").fill("medarbetare")
    page.get_by_label("Lösenord").fill("fel lösenord")
    page.get_by_role("button", name="Logga in").click()
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
    for path in [
        "/admin/",
        "/admin/orgs/unit/",
        f"/admin/orgs/unit/{unit.pk}/change/",
        "/admin/orgs/rolegrant/add/",
        "/admin/audit/securityevent/",
    ]:
        page.goto(site + path)
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
