"""Register extracts (GDPR art. 15) and copies of a case for a public-records request: what
they hold and leave out, that they are logged, and who may make them."""

import io
import json
import re
import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext
from pypdf import PdfReader

from varna.audit.models import SecurityEvent
from varna.audit.services import record_security_event
from varna.cases import services
from varna.cases.models import Case
from varna.orgs.models import User
from varna.records.attachments import add_attachment
from varna.reporting.models import Attachment, Notification, ReadLog, Report
from varna.reporting.services import save_draft, submit_report

OWN_TEXT = "Sökanden skrek åt mig i receptionen efter avslaget"
ABOUT_TEXT = "Kollegan Sara blev knuffad mot väggen av en besökare"
OTHER_TEXT = "En helt annan händelse som bara rör kollegan själv"
ACTOR_NAME = "Klient Hemlig-Namnsson"
ACTOR_FILE = "Hotbrev från klienten.pdf"
REPORT_FILE = "Skärmbild av sms.pdf"
ADDITION = "Han kom tillbaka dagen efter och väntade vid entrén"


def colleague(cast) -> User:
    """Someone in Grupp 1A who is none of the cast."""
    return User.objects.filter(employments__unit__code="DEMO-FSE1A").exclude(
        username__in=["medarbetare", "forste"]
    )[0]


def case_for(cast, reporter: User, description: str, **fields) -> Case:
    data = {
        "main_form": "threat",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": description,
        **fields,
    }
    report, _created = submit_report(reporter=reporter, data=data, idempotency_key=uuid.uuid4())
    return Case.objects.select_related("report", "unit").get(report=report)


def attach(case: Case, part: str, label: str) -> Attachment:
    """A small PDF added by the reporter, named `label`."""
    content = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n% " + label.encode()
    upload = SimpleUploadedFile(label, content, content_type="application/pdf")
    return add_attachment(report=case.report, part=part, upload=upload, by=case.report.reporter)


def with_actor(case: Case) -> Case:
    """The part about who did it, in every place it can be: answers, details, a file."""
    services.save_actor(case, by=case.handler, data={"name": ACTOR_NAME})
    attach(case, Attachment.Part.ACTOR, ACTOR_FILE)
    return case


@pytest.fixture
def sara(cast):
    """Sara (medarbetare) with a report of her own, a report a colleague made about her, and
    the colleague's report about the colleague alone."""
    person = cast["medarbetare"]
    other = colleague(cast)
    own = with_actor(case_for(cast, person, OWN_TEXT, actor_relation="client", actor_count=2))
    attach(own, Attachment.Part.REPORT, REPORT_FILE)
    services.complete_report(
        own,
        by=person,
        data={"consequences": ["fear"], "actor_known": "yes"},
        version=own.report.version,
        addition=ADDITION,
    )
    about = with_actor(case_for(cast, other, ABOUT_TEXT, affected=person))
    handler = about.handler
    services.add_measure(
        about,
        by=handler,
        data={
            "scope": "individual",
            "kind": "escort",
            "what": "Två handläggare vid nästa möte",
            "owner": handler,
            "due_on": date.today() + timedelta(days=7),
        },
    )
    services.offer_support(about, by=handler, kind="defusing", offered_on=date.today())
    unrelated = case_for(cast, other, OTHER_TEXT)
    # The handler opens both cases: the read is in the extract, the reader is not.
    for case in (own, about):
        assert cast.client("forste").get(f"/arenden/{case.code}/").status_code == 200
    record_security_event(kind=SecurityEvent.Kind.LOGIN, subject=person)
    return {"person": person, "own": own, "about": about, "unrelated": unrelated}


def extract_json(cast, username: str = "medarbetare", by: str = "admin"):
    return cast.client(by).get(f"/registerutdrag/{username}/json/")


# The register extract -----------------------------------------------------------------------


def test_the_extract_holds_the_persons_own_reports_and_those_about_them(cast, sara):
    response = extract_json(cast)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    data = json.loads(response.content)
    reports = {report["number"]: report for report in data["reports"]}
    own, about = sara["own"].report, sara["about"].report
    assert {own.number, about.number} <= set(reports)
    assert sara["unrelated"].report.number not in reports
    # Every report Sara made or that is about her, and nothing else.
    assert set(reports) == set(
        Report.objects.filter(reporter=sara["person"]).values_list("number", flat=True)
    ) | set(Report.objects.filter(affected=sara["person"]).values_list("number", flat=True))
    assert reports[own.number]["description"] == OWN_TEXT
    assert reports[own.number]["additions"][0]["text"] == ADDITION
    assert [item["label"] for item in reports[own.number]["attachments"]] == [REPORT_FILE]
    assert reports[about.number]["made_by_you"] is False
    assert reports[about.number]["about_you"] is True
    case = reports[about.number]["case"]
    assert case["state"] == "received"
    assert [item["kind"] for item in case["measures_for_you"]] == ["escort"]
    assert [item["kind"] for item in case["support_for_you"]] == ["defusing"]
    assert {read["capacity"] for read in reports[about.number]["reads"]} == {"manager"}
    assert data["account"]["username"] == "medarbetare"
    assert data["account"]["email"] == sara["person"].email
    assert "login" in [event["kind"] for event in data["security_log"]]
    assert [version["report"] for version in data["report_versions"]] == [own.number]
    # ISO dates and times.
    assert date.fromisoformat(reports[own.number]["answers"][3]["value"]) == own.occurred_on
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", data["made_at"])


def test_the_extract_leaves_out_the_actor_part_other_people_and_who_read(cast, sara):
    text = extract_json(cast).content.decode()
    data = json.loads(text)
    assert OTHER_TEXT not in text
    for secret in [ACTOR_NAME, ACTOR_FILE, "actor_relation", "actor_count", "actor_known"]:
        assert secret not in text, secret
    # The report's answers hold no actor field, nor the version Sara made that touched one.
    version = data["report_versions"][0]
    assert version["fields"] == ["consequences"]
    assert [item["field"] for item in version["changes"]] == ["consequences"]
    # Neither the colleague who reported about her nor who read the reports.
    reader = cast["forste"]
    for name in [colleague(cast).get_full_name(), reader.get_full_name(), reader.username]:
        assert name not in text, name
    assert not any(
        key in read for report in data["reports"] for read in report["reads"] for key in ["user"]
    )


def test_the_pdf_extract_is_a_pdf_with_the_persons_report_numbers(cast, sara):
    response = cast.client("admin").get("/registerutdrag/medarbetare/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert sara["own"].report.number in text
    assert sara["about"].report.number in text
    assert sara["unrelated"].report.number not in text
    assert ACTOR_NAME not in text


def test_each_extract_is_logged_in_the_security_log_and_the_read_log(cast, sara):
    person, admin = sara["person"], cast["admin"]
    assert extract_json(cast).status_code == 200
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REGISTER_EXTRACT)
    assert (event.actor, event.subject, event.detail["format"]) == (admin, person, "json")
    included = set(Report.objects.filter(reporter=person).values_list("pk", flat=True)) | set(
        Report.objects.filter(affected=person).values_list("pk", flat=True)
    )
    logged = ReadLog.objects.filter(user=admin, part="register_extract")
    assert sorted(logged.values_list("report", flat=True)) == sorted(included)
    assert cast.client("admin").get("/registerutdrag/medarbetare/pdf/").status_code == 200
    formats = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REGISTER_EXTRACT)
    assert sorted(event.detail["format"] for event in formats) == ["json", "pdf"]
    assert logged.count() == 2 * len(included)


def test_a_refused_extract_is_not_logged(cast, sara):
    assert extract_json(cast, by="enhetschef").status_code == 404
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REGISTER_EXTRACT).exists()
    assert not ReadLog.objects.filter(part="register_extract").exists()


@pytest.mark.parametrize(
    ("by", "status"),
    [
        ("admin", 200),  # administers Demo kommun, where Sara works
        ("admin.grannby", 404),  # an administrator of another municipality
        ("enhetschef", 404),  # her manager
        ("medarbetare", 404),  # herself: the extract is made by an administrator
        ("skyddsombud", 404),
    ],
)
def test_only_an_administrator_of_the_persons_municipality_makes_their_extract(cast, by, status):
    client = cast.client(by)
    assert client.get("/registerutdrag/medarbetare/json/").status_code == status
    assert client.get("/registerutdrag/medarbetare/pdf/").status_code == status
    assert client.get("/registerutdrag/").status_code == (200 if by.startswith("admin") else 404)


def test_a_person_outside_the_administrators_units_is_not_found(cast):
    admin = cast.client("admin")
    outside = cast["chef.grannby"]  # Noah Johansson, Grannby kommun
    found = admin.get("/registerutdrag/", {"q": "Johansson"}).content.decode()
    assert f"/registerutdrag/{outside.username}/" not in found
    assert admin.get(f"/registerutdrag/{outside.username}/json/").status_code == 404
    assert admin.get("/registerutdrag/finns-inte/pdf/").status_code == 404
    # The other municipality's administrator finds Noah, and not Sara.
    grannby = cast.client("admin.grannby")
    assert (
        f"/registerutdrag/{outside.username}/"
        in grannby.get("/registerutdrag/", {"q": "Johansson"}).content.decode()
    )
    assert (
        "/registerutdrag/medarbetare/"
        not in grannby.get("/registerutdrag/", {"q": "Lindqvist"}).content.decode()
    )


@pytest.mark.parametrize("query", ["Sara Lindqvist", "lindqvist", "medarbetare@demo"])
def test_the_administrator_finds_a_person_by_name_user_name_or_email(cast, query):
    html = cast.client("admin").get("/registerutdrag/", {"q": query}).content.decode()
    assert "/registerutdrag/medarbetare/json/" in html
    assert "/registerutdrag/medarbetare/pdf/" in html


def test_a_too_short_search_is_explained_and_kept(cast):
    response = cast.client("admin").get("/registerutdrag/", {"q": "x"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_q_error"' in html and 'value="x"' in html
    assert "/registerutdrag/medarbetare/" not in html


# The copy for a public-records request ------------------------------------------------------


@pytest.fixture
def secret_case(cast):
    """A violent event with an injury, sick leave, a wish for contact through the workplace
    only, support given and the actor named: every kind of usually secret data."""
    case = case_for(
        cast,
        cast["medarbetare"],
        OWN_TEXT,
        main_form="violence",
        consequences=["injury", "sick_leave"],
        workplace_address_only=True,
        actor_relation="client",
    )
    with_actor(case)
    attach(case, Attachment.Part.REPORT, REPORT_FILE)
    services.offer_support(case, by=case.handler, kind="crisis", offered_on=date.today())
    return case


def copy_url(case: Case, pdf: bool = False) -> str:
    return f"/utlamnande/{case.code}/" + ("pdf/" if pdf else "")


def marked(html: str, anchor: str) -> set[str]:
    """The categories the summary gives the passage at `anchor`."""
    item = re.search(rf'<li><a href="#{anchor}">.*?</li>', html, re.DOTALL)
    assert item, anchor
    return set(re.findall(r'data-secrecy="(\w+)"', item.group(0)))


def test_the_copy_marks_the_actor_part_health_data_and_contact_details(cast, secret_case):
    client = cast.client("forste")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(copy_url(secret_case))
    html = response.content.decode()
    assert response.status_code == 200
    assert "a starting point for the secrecy review, not the decision" in html
    # The secret parts are shown, marked, and listed in the summary with their category.
    assert ACTOR_NAME in html and ACTOR_FILE in html and REPORT_FILE in html
    assert marked(html, "section-actor") == {"actor"}
    assert marked(html, "section-support") == {"health"}
    assert marked(html, "section-injury") == {"health"}
    employee = cast["medarbetare"]
    contact = re.search(r'<dt id="(section-case-\d+)" class="marked">The employee</dt>', html)
    assert contact and marked(html, contact.group(1)) == {"identity"}
    assert employee.email in html
    wish = re.search(
        r'<dt id="(section-report-\d+)" class="marked">Contact through the workplace', html
    )
    assert wish and marked(html, wish.group(1)) == {"identity"}
    consequences = re.search(r'<dt id="(section-report-\d+)" class="marked">Consequences', html)
    assert consequences and marked(html, consequences.group(1)) == {"health"}
    # The timeline's first line, the employee opening the case, names them.
    assert marked(html, "section-timeline-1") == {"identity"}
    # The description is shown but not marked: free text is for the registrar to read.
    assert re.search(r"<dt>Description</dt><dd>" + OWN_TEXT, html)


def test_a_case_without_secret_parts_marks_nothing_of_them(cast):
    case = case_for(cast, cast["medarbetare"], OWN_TEXT, main_form="harassment")
    html = cast.client("forste").get(copy_url(case)).content.decode()
    assert 'href="#section-actor"' not in html
    assert 'href="#section-support"' not in html
    assert 'href="#section-injury"' not in html
    # The employee's name and e-mail are always marked.
    assert re.search(r'<dt id="section-case-\d+" class="marked">', html)


def test_the_copy_as_pdf_holds_the_case_and_the_marking(cast, secret_case):
    response = cast.client("forste").get(copy_url(secret_case, pdf=True))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert secret_case.report.number in text
    assert ACTOR_NAME in text
    assert gettext("For the secrecy review") in text  # in the language of the request


def test_every_copy_is_logged_in_the_read_log(cast, secret_case):
    client = cast.client("forste")
    assert client.get(copy_url(secret_case)).status_code == 200
    assert client.get(copy_url(secret_case, pdf=True)).status_code == 200
    rows = ReadLog.objects.filter(report=secret_case.report, part="records_copy")
    assert list(rows.values_list("user__username", "role")) == [("forste", "manager")] * 2


@pytest.mark.parametrize(
    ("by", "status"),
    [
        ("forste", 200),  # the line manager who handles it
        ("enhetschef", 200),  # the manager above, who may handle it too
        ("skyddsombud", 404),  # reads the case, but not the actor part: no copy
        ("medarbetare", 404),  # the employee it happened to
        ("hr", 404),
        ("utredare", 404),
        ("chef.mottagning", 404),  # a manager of another unit
        ("admin", 404),
    ],
)
def test_only_the_cases_handlers_make_a_copy(cast, secret_case, by, status):
    client = cast.client(by)
    assert client.get(copy_url(secret_case)).status_code == status
    assert client.get(copy_url(secret_case, pdf=True)).status_code == status
    logged = ReadLog.objects.filter(report=secret_case.report, part="records_copy").exists()
    assert logged == (status == 200)


def test_the_case_page_links_to_the_copy_for_handlers_only(cast, secret_case):
    link = f'href="{copy_url(secret_case)}"'
    assert link in cast.client("forste").get(f"/arenden/{secret_case.code}/").content.decode()
    safety = cast.client("skyddsombud").get(f"/arenden/{secret_case.code}/").content.decode()
    assert link not in safety


def test_the_extract_shows_the_notification_that_a_report_was_not_unlawful(cast, sara):
    services.close_not_unlawful(sara["own"], by=sara["own"].handler, reason="Ett överklagande")
    data = json.loads(extract_json(cast).content)
    own = next(item for item in data["reports"] if item["number"] == sara["own"].report.number)
    assert own["case"]["not_unlawful"] is True
    assert own["case"]["not_unlawful_reason"] == "Ett överklagande"
    kinds = {(item["kind"], item["report"]) for item in data["notifications"]}
    assert (Notification.Kind.NOT_UNLAWFUL.value, sara["own"].report.number) in kinds


def test_a_version_that_changed_the_actor_part_or_health_data_is_marked(cast, secret_case):
    services.complete_report(
        secret_case,
        by=cast["forste"],
        data={"actor_count": 3, "consequences": ["shock"]},
        version=secret_case.report.version,
        addition=ADDITION,
    )
    html = cast.client("forste").get(copy_url(secret_case)).content.decode()
    assert marked(html, "section-history-1") == {"actor", "health"}
    # The added text is shown once, under the report, for one review.
    assert html.count(ADDITION) == 1


def test_an_unsent_draft_is_in_the_extract_without_the_actor_part_or_the_colleague(cast):
    person = cast["medarbetare"]
    save_draft(
        user=person,
        data={
            "description": "Ett utkast om en händelse",
            "main_form": "threat",
            "actor_relation": "client",
            "affected": str(colleague(cast).pk),
        },
    )
    drafts = json.loads(extract_json(cast).content)["drafts"]
    assert [[item["field"] for item in draft["answers"]] for draft in drafts] == [
        ["main_form", "description"]
    ]
