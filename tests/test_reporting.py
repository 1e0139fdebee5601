import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from varna.reporting import services
from varna.reporting.models import DESCRIPTION_MAX, Draft, Notification, ReadLog, Report
from varna.reporting.views import DRAFT_COOKIE

NEW = "/rapportera/"


def minimal(**extra):
    """The four required answers, as a person would post them."""
    return {
        "idempotency_key": str(uuid.uuid4()),
        "main_form": "threat",
        "occurred_on": date.today().isoformat(),
        "unit": "",
        "description": "En sökande sa att han vet var jag bor när jag lämnade avslaget.",
        "action": "submit",
        **extra,
    }


@pytest.fixture
def employee(cast):
    client = cast.client("medarbetare")
    unit = cast.unit("DEMO-FSE1A")
    return client, unit


def post(client, unit, **extra):
    data = minimal(**extra)
    data["unit"] = data["unit"] or str(unit.pk)
    # Mail is queued when the transaction commits; the test transaction never does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(NEW, data)


def run_worker():
    """Run the queued tasks that are due, as `db_worker` does, inside the test's transaction
    (the real worker closes its database connection, which the test still needs)."""
    while row := DBTaskResult.objects.ready().order_by("enqueued_at").first():
        row.claim("test")
        args = row.args_kwargs
        row.set_successful(row.task.call(*args["args"], **args["kwargs"]))


def test_employee_reports_a_threat_and_gets_a_receipt_with_a_number(employee):
    client, unit = employee
    before = Report.objects.count()
    response = post(client, unit)
    assert response.status_code == 302
    report = Report.objects.latest("submitted_at")
    assert Report.objects.count() == before + 1
    assert response["Location"] == f"/rapporter/{report.code}/kvitto/"
    receipt = client.get(response["Location"])
    assert report.number in receipt.text
    assert report.number.startswith(f"{date.today().year}-")
    assert "Jonas Berg" in receipt.text  # the group's 1:e socialsekreterare is told


def test_the_same_idempotency_key_gives_one_report(employee):
    client, unit = employee
    key = str(uuid.uuid4())
    first = post(client, unit, idempotency_key=key)
    second = post(client, unit, idempotency_key=key)
    assert first["Location"] == second["Location"]
    assert Report.objects.filter(idempotency_key=key).count() == 1


def test_managers_and_safety_representative_are_told_in_app_and_by_email_without_details(
    employee, cast
):
    client, unit = employee
    post(client, unit, description="Hemlig detalj om händelsen")
    report = Report.objects.latest("submitted_at")
    recipients = set(report.notifications.values_list("recipient__username", "reason"))
    assert recipients == {("forste", "manager"), ("skyddsombud", "safety_rep")}
    run_worker()
    assert {m.to[0] for m in mail.outbox} >= {"forste@demo.varna.example"}
    for message in mail.outbox:
        assert "Hemlig detalj" not in message.body
        assert "/notiser/" in message.body
    assert set(report.notifications.values_list("email_status", flat=True)) == {"sent"}


def test_corruption_can_go_to_security_instead_of_the_line_manager(employee, cast):
    client, unit = employee
    post(client, unit, main_form="corruption", route_to_security="on")
    report = Report.objects.latest("submitted_at")
    assert report.route_to_security
    assert set(report.notifications.values_list("recipient__username", flat=True)) == {"sakerhet"}
    assert cast.client("forste").get(f"/rapporter/{report.code}/").status_code == 404
    assert cast.client("sakerhet").get(f"/rapporter/{report.code}/").status_code == 200


def test_security_routing_is_ignored_for_other_forms(employee):
    client, unit = employee
    post(client, unit, main_form="threat", route_to_security="on")
    assert not Report.objects.latest("submitted_at").route_to_security


def test_a_failed_send_is_retried_and_then_shown_as_failed(employee, cast, monkeypatch):
    client, unit = employee

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("varna.reporting.tasks.send_mail", broken)
    post(client, unit)
    report = Report.objects.latest("submitted_at")
    for _attempt in range(6):
        run_worker()
        # Make the deferred retries due now instead of in minutes.
        DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    notification = report.notifications.get(reason="manager")
    assert notification.email_status == Notification.Delivery.FAILED
    assert notification.email_attempts == 5
    assert "mail server down" in notification.email_error
    admin_start = cast.client("admin").get("/")
    assert admin_start.context["admin"]["failed_emails"] == 2  # manager and safety rep
    assert "/admin/reporting/notification/?email_status__exact=failed" in admin_start.text


def test_reporting_on_behalf_of_a_colleague_makes_it_their_report(employee, cast):
    client, unit = employee
    colleague = cast["forste"]
    post(client, unit, affected=str(colleague.pk))
    report = Report.objects.latest("submitted_at")
    assert report.affected == colleague and report.reporter == cast["medarbetare"]
    mine = cast.client("forste").get("/mina-rapporter/")
    assert report.number in mine.text


def test_kia_type_follows_the_rule_and_can_be_changed(employee):
    client, unit = employee
    post(client, unit, main_form="violence", consequences=["injury"])
    assert Report.objects.latest("submitted_at").kia_type == "olycksfall"
    post(client, unit)
    assert Report.objects.latest("submitted_at").kia_type == "tillbud"
    post(client, unit, kia_type="allvarligt_tillbud")
    assert Report.objects.latest("submitted_at").kia_type == "allvarligt_tillbud"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_on", (date.today() + timedelta(days=1)).isoformat(), "future"),
        ("occurred_on", "14/3", "year-month-day"),
        ("description", "x" * (DESCRIPTION_MAX + 1), str(DESCRIPTION_MAX)),
        ("description", "", "Describe"),
        ("main_form", "kidnapping", "kidnapping"),
        ("main_form", "", "Choose what happened"),
        ("place", "moon", "moon"),
        ("actor_count", "-3", "at least 1"),
    ],
)
def test_bad_input_gets_a_message_and_nothing_is_stored(employee, field, value, message):
    client, unit = employee
    before = Report.objects.count()
    response = client.post(
        NEW, {**minimal(unit=str(unit.pk)), field: value}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert Report.objects.count() == before
    errors = response.context["form"].errors
    assert field in errors
    # Errors are in Swedish for the user; compare with the English source via the form.
    assert message.lower() in str(errors[field]).lower() or response.context["form"][field].errors


def test_errors_are_in_swedish_and_every_value_is_kept(employee):
    client, unit = employee
    response = client.post(
        NEW,
        {**minimal(unit=str(unit.pk)), "occurred_on": "2999-01-01", "place": "phone"},
    )
    assert "Datumet kan inte vara i framtiden" in response.text
    assert 'value="phone" id="id_place_3" checked' in response.text or "checked" in response.text
    assert "vet var jag bor" in response.text
    assert Draft.objects.get(user__username="medarbetare").data["place"] == "phone"


def test_a_unit_the_user_may_not_report_to_is_refused(employee, cast):
    client, _unit = employee
    other = cast.unit("GRANN-EB")
    response = post(client, other)
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Report.objects.filter(unit=other, reporter__username="medarbetare").exists()


def test_html_in_a_description_is_stored_as_text_and_shown_escaped(employee):
    client, unit = employee
    post(client, unit, description="<script>alert('x')</script> hotade mig")
    report = Report.objects.latest("submitted_at")
    assert report.description.startswith("<script>")
    page = client.get(f"/rapporter/{report.code}/")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


def test_draft_is_saved_and_shown_again(employee):
    client, _unit = employee
    client.post(
        "/rapportera/utkast/", {"main_form": "harassment", "description": "Ringer varje dag"}
    )
    page = client.get(NEW)
    assert "Ringer varje dag" in page.text
    assert 'value="harassment"' in page.text and "checked" in page.text


def lose_session(browser):
    """The session ends (idle timeout or a server restart); the browser keeps its cookies."""
    del browser.cookies[settings.SESSION_COOKIE_NAME]


def test_draft_posted_after_the_session_ended_comes_back_after_login(cast):
    browser = Client()
    browser.force_login(cast["medarbetare"], backend="varna.accounts.backends.VarnaBackend")
    browser.get(NEW)
    lose_session(browser)
    typed = {**minimal(), "description": "Skrev länge innan sessionen tog slut"}
    response = browser.post(NEW, typed)
    assert response.status_code == 302 and "/konto/logga-in/" in response["Location"]
    assert DRAFT_COOKIE in browser.cookies
    browser.force_login(cast["medarbetare"], backend="varna.accounts.backends.VarnaBackend")
    page = browser.get(NEW)
    assert "Skrev länge innan sessionen tog slut" in page.text
    assert Draft.objects.filter(user__username="medarbetare").exists()
    assert not Draft.objects.filter(user=None).exists()


def test_the_next_person_on_a_shared_computer_never_sees_the_draft(cast):
    browser = Client()
    browser.force_login(cast["medarbetare"], backend="varna.accounts.backends.VarnaBackend")
    browser.get(NEW)
    lose_session(browser)
    browser.post("/rapportera/utkast/", {"description": "Mitt privata utkast"})
    browser.force_login(cast["chef.mottagning"], backend="varna.accounts.backends.VarnaBackend")
    page = browser.get(NEW)
    assert "Mitt privata utkast" not in page.text
    assert not Draft.objects.filter(data__description="Mitt privata utkast").exists()


def test_a_stranger_cannot_store_anything_through_the_draft_endpoint(db):
    response = Client().post("/rapportera/utkast/", {"description": "x" * 1000})
    assert response.status_code == 401
    assert not Draft.objects.filter(user=None).exists()


def test_a_draft_holds_no_more_than_the_form_allows(employee):
    client, _unit = employee
    client.post("/rapportera/utkast/", {"place": "x" * 5000, "description": "y" * 30_000})
    data = Draft.objects.get(user__username="medarbetare").data
    assert len(data["place"]) <= 200 and len(data["description"]) == DESCRIPTION_MAX


def test_submitting_removes_the_draft(employee):
    client, unit = employee
    client.post("/rapportera/utkast/", {"description": "utkast"})
    post(client, unit)
    assert not Draft.objects.filter(user__username="medarbetare").exists()


def test_save_draft_button_works_without_javascript(employee):
    client, _unit = employee
    response = client.post(NEW, {**minimal(), "action": "save", "description": "sparat"})
    assert response.status_code == 302
    assert Draft.objects.get(user__username="medarbetare").data["description"] == "sparat"


def test_manager_reads_the_report_and_the_reporter_sees_who_opened_it(employee, cast):
    client, unit = employee
    post(client, unit, actor_relation="client")
    report = Report.objects.latest("submitted_at")
    manager_view = cast.client("forste").get(f"/rapporter/{report.code}/")
    assert manager_view.status_code == 200 and manager_view.context["show_actor"]
    assert ReadLog.objects.filter(report=report, role="manager").exists()
    own = client.get(f"/rapporter/{report.code}/")
    assert [entry.role for entry in own.context["readers"]] == ["manager"]
    assert report.notifications.get(recipient__username="forste").read_at is not None


def test_safety_representative_reads_without_the_actor_part(employee, cast):
    client, unit = employee
    post(client, unit, actor_relation="client", actor_count="2")
    report = Report.objects.latest("submitted_at")
    view = cast.client("skyddsombud").get(f"/rapporter/{report.code}/")
    assert view.status_code == 200
    assert not view.context["show_actor"]
    assert 'id="actor-title"' not in view.text


@pytest.mark.parametrize("username", ["chef.mottagning", "analytiker", "revisor", "admin", "hr"])
def test_people_without_a_reason_to_read_get_404(employee, cast, username):
    client, unit = employee
    post(client, unit)
    report = Report.objects.latest("submitted_at")
    assert cast.client(username).get(f"/rapporter/{report.code}/").status_code == 404
    assert cast.client(username).get(f"/rapporter/{report.code}/kvitto/").status_code == 404


def test_receipt_is_only_for_the_reporter(employee, cast):
    client, unit = employee
    post(client, unit)
    report = Report.objects.latest("submitted_at")
    assert cast.client("forste").get(f"/rapporter/{report.code}/kvitto/").status_code == 404


def test_numbers_count_up_within_a_year(db):
    from django.db import transaction

    with transaction.atomic():
        first = services.next_number(2031)
        second = services.next_number(2031)
    assert (first, second) == ("2031-0001", "2031-0002")


def test_my_reports_lists_only_my_own(employee, cast):
    client, unit = employee
    post(client, unit)
    mine = client.get("/mina-rapporter/")
    numbers = [report.number for report in mine.context["page"]]
    assert numbers and all(
        Report.objects.get(number=n).reporter.username == "medarbetare"
        or Report.objects.get(number=n).affected.username == "medarbetare"
        for n in numbers
    )


@pytest.mark.parametrize("slug", ["efter-en-handelse", "stod", "polisanmalan", "korruption"])
def test_the_old_guidance_addresses_lead_to_the_handbook(employee, slug):
    client, _unit = employee
    response = client.get(f"/vagledning/{slug}/")
    assert response.status_code == 302
    assert response["Location"] == f"/handbok/DEMO/{slug}/"


def test_corruption_cannot_be_sent_to_security_where_there_is_none(cast):
    client = cast.client("chef.grannby")
    unit = cast.unit("GRANN-EB")
    before = Report.objects.count()
    response = post(client, unit, main_form="corruption", route_to_security="on")
    assert "route_to_security" in response.context["form"].errors
    assert Report.objects.count() == before


def test_a_security_coordinator_who_is_also_safety_rep_does_not_see_the_actor(employee, cast):
    from varna.orgs import services as org_services

    client, unit = employee
    org_services.grant_role(user=cast["sakerhet"], unit=unit, role="safety_rep")
    post(client, unit, actor_relation="client")
    report = Report.objects.latest("submitted_at")
    view = cast.client("sakerhet").get(f"/rapporter/{report.code}/")
    assert view.status_code == 200 and not view.context["show_actor"]


def test_the_same_key_with_other_content_makes_a_second_report_not_a_silent_loss(employee):
    client, unit = employee
    key = str(uuid.uuid4())
    post(client, unit, idempotency_key=key, description="Första händelsen")
    post(client, unit, idempotency_key=key, description="En annan händelse")
    mine = Report.objects.filter(reporter__username="medarbetare")
    assert mine.filter(description="Första händelsen").count() == 1
    assert mine.filter(description="En annan händelse").count() == 1


def test_a_late_autosave_after_sending_does_not_bring_the_draft_back(employee):
    client, unit = employee
    key = str(uuid.uuid4())
    post(client, unit, idempotency_key=key)
    client.post("/rapportera/utkast/", {"idempotency_key": key, "description": "sent"})
    assert not Draft.objects.filter(user__username="medarbetare").exists()


@pytest.mark.parametrize(
    ("main_form", "consequences", "kia_type"),
    [("threat", [], "riskobservation"), ("harassment", ["shock"], "tillbud")],
)
def test_kia_type_cannot_hide_a_threat_or_an_injury(employee, main_form, consequences, kia_type):
    client, unit = employee
    response = post(client, unit, main_form=main_form, consequences=consequences, kia_type=kia_type)
    assert "kia_type" in response.context["form"].errors


def test_a_manager_may_report_on_behalf_of_staff_in_the_units_below(cast):
    client = cast.client("enhetschef")  # employed in Försörjningsstöd 1, manages Grupp 1A too
    unit = cast.unit("DEMO-FSE1")
    staff = cast["medarbetare"]  # employed in Grupp 1A
    response = post(client, unit, affected=str(staff.pk))
    assert response.status_code == 302
    assert Report.objects.latest("submitted_at").affected == staff


def test_ticks_left_under_a_form_not_chosen_are_dropped(employee):
    client, unit = employee
    post(client, unit, main_form="threat", subforms=["threat.veiled", "violence.assault"])
    assert Report.objects.latest("submitted_at").subforms == ["threat.veiled"]


def test_the_receipt_names_who_was_actually_told(employee, cast):
    client, unit = employee
    post(client, unit)
    report = Report.objects.latest("submitted_at")
    from varna.orgs.models import RoleGrant

    RoleGrant.objects.filter(user__username="forste", role="manager").delete()
    receipt = client.get(f"/rapporter/{report.code}/kvitto/")
    assert "Jonas Berg" in receipt.text
