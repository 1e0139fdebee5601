"""The record after sending: completing and correcting a report with its history, reclassifying
with a reason, the outcome "not unlawful influence", the legal hold, and the follow-up that
follows every change."""

import uuid
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from varna.cases import services
from varna.cases.models import Case, CaseEvent, State
from varna.orgs.tree import SEGMENT
from varna.reporting.models import Notification, ReadLog, Report, ReportChange
from varna.reporting.services import submit_report
from varna.reporting.taxonomy import ActorRelation
from varna.stats import selectors
from varna.stats import services as stats_services
from varna.stats.figures import Chosen
from varna.stats.models import MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount
from varna.stats.periods import period_of

DESCRIPTION = "Klienten ringde tre gånger och skrek."


def new_case(cast, *, by: str = "medarbetare", **fields) -> Case:
    data = {
        "main_form": "harassment",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": DESCRIPTION,
        **fields,
    }
    report, _created = submit_report(reporter=cast[by], data=data, idempotency_key=uuid.uuid4())
    return Case.objects.select_related("report", "unit").get(report=report)


def rollups() -> dict[str, list[tuple]]:
    """Every rollup row's key and columns, to compare the stored figures with a recount."""

    def rows(model) -> list[tuple]:
        fields = [field.attname for field in model._meta.fields if field.attname != "id"]
        return sorted(tuple(row) for row in model.objects.values_list(*fields) if any(row[4:]))

    return {
        model.__name__: rows(model)
        for model in (MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount)
    }


def assert_statistics_equal_a_recount() -> None:
    stats_services.fold()
    stored = rollups()
    stats_services.rebuild()
    assert rollups() == stored


def counted(case: Case, form: str) -> tuple[int, int]:
    """(events, not unlawful) in the case's unit and month for `form`, over every situation,
    once what was written is folded into the rollups."""
    stats_services.fold()
    rows = MonthlyCount.objects.filter(
        unit=case.unit, month=case.report.occurred_on.replace(day=1), form=form
    )
    return (
        sum(row.events for row in rows),
        sum(row.not_unlawful for row in rows),
    )


def completion(report: Report, **answers) -> dict:
    return {"version": report.version, "addition": "", **answers}


# Completing a sent report ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_employee_completes_the_report_later_and_the_handler_is_told(cast):
    case = new_case(cast)
    report = case.report
    client = cast.client("medarbetare")
    detail = client.get(f"/rapporter/{report.code}/").content.decode()
    assert f"/rapporter/{report.code}/komplettera/" in detail  # the form's promise holds
    assert client.get(f"/rapporter/{report.code}/komplettera/").status_code == 200

    response = client.post(
        f"/rapporter/{report.code}/komplettera/",
        completion(
            report,
            place="home_visit",
            actor_relation="client",
            purpose_to_influence="yes",
            addition="Han hade också skrivit ett brev.",
        ),
    )
    assert response.status_code == 302 and response["Location"] == f"/rapporter/{report.code}/"
    report.refresh_from_db()
    assert (report.place, report.actor_relation, report.purpose_to_influence) == (
        "home_visit",
        "client",
        "yes",
    )
    assert report.description == DESCRIPTION  # the text as sent is never overwritten
    assert report.version == 2
    change = ReportChange.objects.get(report=report)
    assert change.kind == ReportChange.Kind.COMPLETED and change.by == cast["medarbetare"]
    assert {item["field"] for item in change.fields} == {
        "place",
        "actor_relation",
        "purpose_to_influence",
    }
    assert change.added_text == "Han hade också skrivit ett brev."
    assert change.touches_actor
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.REPORT_COMPLETED).exists()
    told = Notification.objects.filter(report=report, kind=Notification.Kind.REPORT_COMPLETED)
    assert list(told.values_list("recipient__username", flat=True)) == [case.handler.username]

    # The history and the addition on both pages.
    page = client.get(f"/rapporter/{report.code}/").content.decode()
    assert "Han hade också skrivit ett brev." in page and DESCRIPTION in page
    assert 'id="history-title"' in page and "Hembesök" in page
    case_page = cast.client("forste").get(f"/arenden/{case.code}/").content.decode()
    assert "Han hade också skrivit ett brev." in case_page and "Hembesök" in case_page


@pytest.mark.django_db
def test_the_safety_representative_sees_the_history_without_the_actor_part(cast):
    case = new_case(cast)
    services.complete_report(
        case,
        by=cast["medarbetare"],
        data={"actor_relation": "group", "place": "phone"},
        version=1,
    )
    page = cast.client("skyddsombud").get(f"/arenden/{case.code}/").content.decode()
    assert "Telefon" in page
    with translation.override("sv"):
        group = str(ActorRelation.GROUP.label)
    assert group not in page
    manager_page = cast.client("forste").get(f"/arenden/{case.code}/").content.decode()
    assert group in manager_page


@pytest.mark.django_db
def test_the_handler_corrects_the_report_and_the_employee_is_not_told_of_their_own_change(cast):
    case = new_case(cast)
    response = cast.client("forste").post(
        f"/rapporter/{case.code}/komplettera/",
        completion(case.report, situation="rejection", consequences=["fear"]),
    )
    assert response.status_code == 302 and response["Location"] == f"/arenden/{case.code}/"
    change = ReportChange.objects.get(report=case.report)
    assert change.kind == ReportChange.Kind.CORRECTED
    assert not Notification.objects.filter(kind=Notification.Kind.REPORT_COMPLETED).exists()


@pytest.mark.django_db
def test_nobody_else_may_complete_a_report(cast):
    case = new_case(cast)
    for name in ["skyddsombud", "hr", "analytiker", "admin", "chef.grannby", "chef2"]:
        client = cast.client(name)
        assert client.get(f"/rapporter/{case.code}/komplettera/").status_code == 404, name
        assert (
            client.post(
                f"/rapporter/{case.code}/komplettera/", completion(case.report, place="phone")
            ).status_code
            == 404
        ), name
    assert case.report.version == Report.objects.get(pk=case.pk).version == 1


@pytest.mark.django_db
def test_a_closed_case_takes_no_changes(cast):
    case = new_case(cast)
    services.close_not_unlawful(case, by=cast["forste"], reason="Ett överklagande.")
    client = cast.client("medarbetare")
    page = client.get(f"/rapporter/{case.code}/komplettera/").content.decode()
    assert 'name="addition"' not in page
    response = client.post(
        f"/rapporter/{case.code}/komplettera/", completion(case.report, place="phone")
    )
    assert response.status_code == 200
    assert Report.objects.get(pk=case.pk).place == ""
    with pytest.raises(ValidationError):
        services.complete_report(case, by=cast["forste"], data={"place": "phone"}, version=1)


@pytest.mark.django_db
def test_two_handlers_saving_at_once_the_second_is_told_and_keeps_what_they_typed(cast):
    case = new_case(cast)
    version = case.report.version
    first = cast.client("forste").post(
        f"/rapporter/{case.code}/komplettera/",
        {"version": version, "place": "phone", "addition": ""},
    )
    assert first.status_code == 302
    second = cast.client("forste").post(
        f"/rapporter/{case.code}/komplettera/",
        {"version": version, "place": "letter", "addition": "Mitt tillägg som inte får försvinna."},
    )
    assert second.status_code == 200
    html = second.content.decode()
    assert "Mitt tillägg som inte får försvinna." in html  # nothing typed is lost
    assert 'name="version" value="2"' in html  # the next save starts from what is stored now
    report = Report.objects.get(pk=case.pk)
    assert report.place == "phone" and report.version == 2
    assert ReportChange.objects.filter(report=report).count() == 1


@pytest.mark.django_db
def test_a_save_that_changes_nothing_is_refused_with_a_message(cast):
    case = new_case(cast)
    response = cast.client("medarbetare").post(
        f"/rapporter/{case.code}/komplettera/", completion(case.report)
    )
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    assert not ReportChange.objects.filter(report=case.report).exists()


@pytest.mark.django_db
def test_an_injury_added_later_makes_the_case_possibly_serious(cast):
    case = new_case(cast)
    assert not case.is_serious
    services.complete_report(
        case, by=cast["medarbetare"], data={"consequences": ["injury"]}, version=1
    )
    case.refresh_from_db()
    assert case.injury and "injury" in case.serious_reasons and case.notice_due_at is not None


# Reclassifying ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_handler_reclassifies_with_a_reason_and_the_statistics_follow(cast):
    case = new_case(cast)
    harassment, threats = counted(case, "harassment"), counted(case, "threat")
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/reclassify/",
        {
            "version": 1,
            "main_form": "threat",
            "subforms": ["threat.veiled", "harassment.insults"],
            "kia_type": "tillbud",
            "reason": "Det var ett dolt hot, inte bara trakasserier.",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get(pk=case.pk)
    assert report.main_form == "threat" and report.subforms == ["threat.veiled"]
    assert Case.objects.get(pk=case.pk).main_form == "threat"
    change = ReportChange.objects.get(report=report)
    assert change.kind == ReportChange.Kind.RECLASSIFIED
    assert change.reason == "Det var ett dolt hot, inte bara trakasserier."
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.RECLASSIFIED).exists()
    assert counted(case, "harassment") == (harassment[0] - 1, 0)
    assert counted(case, "threat") == (threats[0] + 1, 0)
    assert_statistics_equal_a_recount()


@pytest.mark.django_db
def test_a_reclassification_needs_a_reason_and_a_threat_is_never_only_a_risk(cast):
    case = new_case(cast)
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/reclassify/",
        {"version": 1, "main_form": "threat", "kia_type": "riskobservation", "reason": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert Report.objects.get(pk=case.pk).main_form == "harassment"


@pytest.mark.django_db
def test_the_serious_flag_is_changed_by_reclassifying(cast):
    case = new_case(cast)
    services.reclassify(
        case,
        by=cast["forste"],
        data={"main_form": "harassment", "other_forms": [], "subforms": [], "kia_type": "tillbud"},
        serious=True,
        reason="Hotet riktades mot familjen.",
        version=1,
    )
    case.refresh_from_db()
    assert case.is_serious and case.notice_due_at is not None
    services.reclassify(
        case,
        by=cast["forste"],
        data={"main_form": "harassment", "other_forms": [], "subforms": [], "kia_type": "tillbud"},
        serious=False,
        reason="Efter samtal: ingen allvarlig fara.",
        version=2,
    )
    case.refresh_from_db()
    assert not case.is_serious and case.not_serious_reason == "Efter samtal: ingen allvarlig fara."
    assert ReportChange.objects.filter(report=case.report).count() == 2


# Not unlawful influence --------------------------------------------------------------------


@pytest.mark.django_db
def test_not_unlawful_influence_closes_the_case_leaves_the_figures_and_tells_the_employee(cast):
    case = new_case(cast)
    other = new_case(cast, main_form="harassment")
    before, _none = counted(case, "harassment")
    municipality = SubtreeYearlyCount.objects.filter(
        unit__path=case.unit.path[:SEGMENT],
        form="harassment",
        security_routed=False,
        month=case.report.occurred_on.replace(month=1, day=1),
    )
    events, lawful = municipality.values_list("events", "not_unlawful").get()
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/not_unlawful/",
        {"text": "Det var ett överklagande av beslutet, vilket är en laglig väg."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.not_unlawful and case.closed_at is not None
    assert counted(case, "harassment") == (before - 1, 1)
    assert municipality.values_list("events", "not_unlawful").get() == (events - 1, lawful + 1)
    assert_statistics_equal_a_recount()
    told = Notification.objects.get(report=case.report, kind=Notification.Kind.NOT_UNLAWFUL)
    assert told.recipient == cast["medarbetare"]
    page = cast.client("medarbetare").get(f"/rapporter/{case.code}/").content.decode()
    assert "Det var ett överklagande av beslutet" in page and 'id="assessed-title"' in page
    # Reopened, it counts as reported unlawful influence again.
    services.reopen(case, by=cast["forste"], reason="Nya uppgifter om hot.")
    assert counted(case, "harassment") == (before, 0)
    assert other.state == State.RECEIVED


@pytest.mark.django_db
def test_not_unlawful_needs_a_reason_told_to_the_employee(cast):
    case = new_case(cast)
    response = cast.client("forste").post(f"/arenden/{case.code}/steg/not_unlawful/", {"text": ""})
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).state == State.RECEIVED
    assert (
        cast.client("skyddsombud")
        .post(f"/arenden/{case.code}/steg/not_unlawful/", {"text": "x"})
        .status_code
        == 404
    )


# Legal hold ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_handler_sets_and_lifts_a_legal_hold_with_reasons(cast):
    case = new_case(cast)
    client = cast.client("forste")
    assert client.post(f"/arenden/{case.code}/steg/hold/", {"text": ""}).status_code == 200
    assert not Case.objects.get(pk=case.pk).on_hold
    response = client.post(
        f"/arenden/{case.code}/steg/hold/", {"text": "Förundersökning pågår, dnr 5000-K123-26."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.on_hold and case.hold_by == cast["forste"]
    with pytest.raises(ValidationError):
        services.set_hold(case, by=cast["forste"], reason="igen")
    assert (
        cast.client("skyddsombud")
        .post(f"/arenden/{case.code}/steg/hold_lift/", {"text": "x"})
        .status_code
        == 404
    )
    client.post(f"/arenden/{case.code}/steg/hold_lift/", {"text": "Domen har vunnit laga kraft."})
    case.refresh_from_db()
    assert not case.on_hold
    kinds = list(case.events.values_list("kind", flat=True))
    assert CaseEvent.Kind.HOLD_SET in kinds and CaseEvent.Kind.HOLD_LIFTED in kinds


@pytest.mark.django_db
def test_reading_the_completion_form_is_logged(cast):
    case = new_case(cast)
    cast.client("forste").get(f"/rapporter/{case.code}/komplettera/")
    assert ReadLog.objects.filter(report=case.report, user=cast["forste"]).exists()


@pytest.mark.django_db
def test_the_follow_up_shows_the_events_found_not_unlawful_only_where_figures_are_exact(cast):
    case = new_case(cast)
    stats_services.fold()
    chosen = Chosen(period=period_of("year", timezone.localdate()), unit=cast.unit("DEMO"))
    before = selectors.dashboard(cast["forvaltningschef"], replace_unit(chosen, cast, "DEMO-ALF"))
    services.close_not_unlawful(case, by=cast["forste"], reason="Ett klagomål på handläggningen.")
    stats_services.fold()
    after = selectors.dashboard(cast["forvaltningschef"], replace_unit(chosen, cast, "DEMO-ALF"))
    assert after.not_unlawful == before.not_unlawful + 1
    assert after.total.value == before.total.value - 1
    assert selectors.dashboard(cast["analytiker"], chosen).not_unlawful is None


def replace_unit(chosen: Chosen, cast, code: str) -> Chosen:
    return replace(chosen, unit=cast.unit(code))


@pytest.mark.django_db
def test_a_reclassification_from_an_old_version_is_refused_and_keeps_the_form(cast):
    case = new_case(cast)
    services.complete_report(case, by=cast["medarbetare"], data={"place": "phone"}, version=1)
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/reclassify/",
        {
            "version": 1,
            "main_form": "threat",
            "kia_type": "tillbud",
            "reason": "Ett dolt hot som jag inte vill skriva om.",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ett dolt hot som jag inte vill skriva om." in html
    assert 'name="version" value="2"' in html
    assert Report.objects.get(pk=case.pk).main_form == "harassment"


# Fidelity (issue 15, points 7 and 8) ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("decision", "employee_files"),
    [("", False), ("employer_files", False), ("employee_with_help", True), ("no_report", False)],
)
def test_the_police_draft_is_worded_from_the_decision(cast, decision, employee_files):
    case = new_case(cast, main_form="threat")
    Case.objects.filter(pk=case.pk).update(police_decision=decision)
    response = cast.client("forste").get(f"/arenden/{case.code}/utkast-polisanmalan/")
    text = response.content.decode()
    assert ("Medarbetaren gör anmälan som målsägande" in text) == employee_files
    assert ("Arbetsgivaren står som anmälare" in text) == (not employee_files)
    assert ("Med hjälp av arbetsgivaren" in text) == employee_files
    assert ("att inte polisanmäla" in text) == (decision == "no_report")


@pytest.mark.django_db
def test_the_receipt_says_threats_are_often_crimes_and_count_either_way(cast):
    case = new_case(cast, main_form="threat")
    text = cast.client("medarbetare").get(f"/rapporter/{case.code}/kvitto/").content.decode()
    assert "är ofta brott" in text and "vare sig det är ett brott eller inte" in text
    assert "skadegörelse är brott." not in text
