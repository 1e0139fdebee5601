"""The case pages: who sees which part, refusals that keep what was typed, bad input."""

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from varna.cases import services
from varna.cases.models import Case, Measure
from varna.orgs.models import Role, RoleGrant, Unit, User
from varna.reporting.models import ReadLog
from varna.reporting.services import submit_report

SECRET = "Klienten sa att han vet var Sara bor"
ACTOR = "Klient Hemlig-Namnsson"


def case_for(cast, *, by: str = "medarbetare", **fields) -> Case:
    data = {
        "main_form": "violence",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": SECRET,
        "consequences": ["injury"],
        **fields,
    }
    report, _created = submit_report(reporter=cast[by], data=data, idempotency_key=uuid.uuid4())
    case = Case.objects.select_related("report", "unit").get(report=report)
    services.save_actor(case, by=cast["forste"], data={"name": ACTOR})
    return case


def page(cast, username: str, case: Case) -> tuple[int, str]:
    response = cast.client(username).get(f"/arenden/{case.code}/")
    return response.status_code, response.content.decode()


@pytest.mark.django_db
def test_each_capacity_sees_its_parts_and_every_read_is_logged(cast):
    case = case_for(cast)
    services.assign(case, by=cast["forste"], user=cast["utredare"])
    seen = {name: page(cast, name, case) for name in ["forste", "skyddsombud", "hr", "utredare"]}
    assert all(status == 200 for status, _html in seen.values())
    assert ACTOR in seen["forste"][1] and SECRET in seen["forste"][1]
    # The actor part is for the handlers alone.
    for name in ["skyddsombud", "hr", "utredare"]:
        assert ACTOR not in seen[name][1], name
    assert SECRET in seen["skyddsombud"][1] and SECRET in seen["utredare"][1]
    # HR reads support and injury, not the event: no description, no form, no serious reasons.
    hr = seen["hr"][1]
    assert SECRET not in hr and "Våld" not in hr and "Anmäl till Arbetsmiljöverket" not in hr
    assert "Arbetsskadeanmälan" in hr or "arbetsskadeanmälan" in hr.lower()
    parts = dict(ReadLog.objects.filter(report=case.report).values_list("user__username", "part"))
    assert parts == {
        "forste": "case+actor",
        "skyddsombud": "case",
        "hr": "case:support",
        "utredare": "case",
    }
    for name in ["analytiker", "revisor", "admin", "chef.mottagning", "chef.grannby"]:
        assert page(cast, name, case)[0] == 404, name


@pytest.mark.django_db
def test_the_colleague_who_reported_sees_the_status_and_the_employee_sees_measures(cast):
    colleague = User.objects.filter(employments__unit__code="DEMO-FSE1A").exclude(
        username__in=["medarbetare", "forste"]
    )[0]
    case = case_for(cast, by=colleague.username, affected=cast["medarbetare"])
    services.acknowledge(case, by=cast["forste"])
    services.save_investigation(
        case, by=cast["forste"], data={"what_happened": "x", "recurrence_risk": "high"}
    )
    services.finish_investigation(case, by=cast["forste"])
    services.add_measure(
        case,
        by=cast["forste"],
        data={
            "scope": "individual",
            "kind": "protected_address",
            "what": "Skyddade personuppgifter för Sara",
            "owner": cast["forste"],
            "due_on": date.today() + timedelta(days=7),
        },
    )
    by_colleague = cast.client(colleague.username).get(f"/rapporter/{case.code}/")
    assert by_colleague.status_code == 200
    assert "Skyddade personuppgifter för Sara" not in by_colleague.content.decode()
    affected = cast.client("medarbetare").get(f"/rapporter/{case.code}/").content.decode()
    assert "Skyddade personuppgifter för Sara" in affected
    assert ACTOR not in affected
    # Nobody but the handlers sees the case page itself.
    assert cast.client("medarbetare").get(f"/arenden/{case.code}/").status_code == 404


@pytest.mark.django_db
def test_a_manager_does_not_handle_an_event_that_happened_to_them(cast):
    case = case_for(cast, by="forste")
    assert case.handler == cast["enhetschef"]
    assert page(cast, "forste", case)[0] == 404
    assert page(cast, "enhetschef", case)[0] == 200
    inbox = cast.client("forste").get("/arenden/?view=all").content.decode()
    assert case.report.number not in inbox


@pytest.mark.django_db
def test_a_refused_step_keeps_what_was_typed_next_to_the_field(cast):
    case = case_for(cast)
    client = cast.client("forste")
    response = client.post(
        f"/arenden/{case.code}/steg/measure/",
        {
            "scope": "unit",
            "kind": "training",
            "what": "Utbildning i bemötande",
            "due_on": "2001-01-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Utbildning i bemötande" in html and 'id="measure-owner_error"' in html
    assert 'id="measure-due_on_error"' in html
    assert not Measure.objects.filter(case=case).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("step", "data"),
    [
        ("measure_update", {"item": "x", "status": "done", "due_on": "2030-01-01"}),
        ("measure_update", {"item": "999999999", "status": "done", "due_on": "2030-01-01"}),
        ("notice", {"sent_at": "0001-01-01T00:00"}),
        ("notice", {"sent_at": "1999-01-01T10:00"}),
        ("police", {"police_decision": "employer_files", "police_filed_on": "2999-01-01"}),
        ("nonsense", {}),
        ("support_update", {"item": "1", "status": "given", "given_on": "not a date"}),
    ],
)
def test_bad_input_never_gives_a_server_error(cast, step, data):
    case = case_for(cast)
    response = cast.client("forste").post(f"/arenden/{case.code}/steg/{step}/", data)
    assert response.status_code in {200, 302, 404}
    if step == "notice":
        assert Case.objects.get(pk=case.pk).notice_sent_at is None


@pytest.mark.django_db
def test_a_step_on_a_case_closed_meanwhile_says_why(cast):
    case = case_for(cast, main_form="harassment", consequences=[])
    forste = cast["forste"]
    services.acknowledge(case, by=forste)
    services.save_investigation(
        case, by=forste, data={"what_happened": "x", "recurrence_risk": "low"}
    )
    services.finish_investigation(case, by=forste)
    services.decide_measures(case, by=forste, no_measures_reason="Inget behov")
    services.follow_up(case, by=forste, note="Bra")
    services.record_police(
        case,
        by=forste,
        data={"police_decision": "no_report", "police_no_report_reason": "Inget brott"},
    )
    services.close(case, by=forste)
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/investigation/", {"what_happened": "Nytt"}, follow=True
    )
    assert "Ärendet är avslutat" in response.content.decode()


@pytest.mark.django_db
def test_the_inbox_filters_survive_bad_input_and_stay_in_scope(cast):
    client = cast.client("forste")
    for query in [
        "?unit=DEMO-MOT",
        "?unit=NOPE",
        "?sort=zzz",
        "?sida=999999",
        "?view=%00",
        "?number=" + "9" * 50,
    ]:
        response = client.get("/arenden/" + query)
        assert response.status_code == 200, query
    mot = Unit.objects.get(code="DEMO-MOT")
    html = client.get("/arenden/?unit=DEMO-MOT&view=all").content.decode()
    assert mot.name not in html.split("<tbody>")[1]


@pytest.mark.django_db
def test_hr_only_sees_no_event_forms_in_the_inbox(cast):
    case_for(cast)
    assert not RoleGrant.objects.filter(user=cast["hr"], role=Role.MANAGER).exists()
    html = cast.client("hr").get("/arenden/?view=all&form=violence").content.decode()
    assert "Våld" not in html.split("<tbody>")[1]
    assert 'name="form"' not in html


@pytest.mark.django_db
def test_a_long_inbox_says_more_than_instead_of_counting_everything(cast, monkeypatch):
    from varna.cases import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    html = cast.client("forvaltningschef").get("/arenden/?view=all").content.decode()
    assert "Mer än 3 ärenden" in html or "More than 3 cases" in html
    page, rows = selectors.inbox_page(
        cast["forvaltningschef"], selectors.InboxFilter(view="all"), 1
    )
    assert page.paginator.capped and page.paginator.count == 3 and len(rows) == selectors.PAGE_SIZE


@pytest.mark.django_db
def test_closed_cases_list_newest_first_by_default(cast):
    from varna.cases import selectors

    client = cast.client("forvaltningschef")
    html = client.get("/arenden/?view=closed").content.decode()
    _page, rows = selectors.inbox_page(
        cast["forvaltningschef"], selectors.InboxFilter(view="closed", sort="-opened"), 1
    )
    assert rows and [row.opened_at for row in rows] == sorted(
        (row.opened_at for row in rows), reverse=True
    )
    # The page shows the same first case as the selector sorted newest first.
    assert html.index(rows[0].number) < html.index(rows[-1].number)
