"""Issue 15, points 3-5: Brå's purposes beside the yes/no/unsure question and both counted in
the follow-up; the twelve actor relations and court as a place of its own; the KIA event type
by DOMAIN §3 (an improper offer alone is a risk observation), changeable by the handler."""

import csv
import importlib
import io
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from varna.cases.models import Case
from varna.core import perturbation
from varna.core.perturbation import Tally, publish
from varna.orgs import tree
from varna.reporting.models import Report, ReportChange
from varna.reporting.services import submit_report
from varna.reporting.taxonomy import (
    ActorRelation,
    Answer,
    KiaType,
    Place,
    Purpose,
    kia_type_by_rule,
)
from varna.stats import selectors
from varna.stats import services as stats_services
from varna.stats.figures import Chosen
from varna.stats.models import (
    MonthlyCount,
    PendingFold,
    SubtreeMonthlyCount,
    SubtreeYearlyCount,
)
from varna.stats.periods import period_of

NEW = "/rapportera/"
TODAY = date.today()
DESCRIPTION = "Sökanden sa att det vore synd om något hände med mina barn."


def sv(text) -> str:
    with translation.override("sv"):
        return str(text)


def minimal(unit, **extra) -> dict:
    return {
        "idempotency_key": str(uuid.uuid4()),
        "main_form": "threat",
        "occurred_on": TODAY.isoformat(),
        "unit": str(unit.pk),
        "description": DESCRIPTION,
        "action": "submit",
        **extra,
    }


def post(client, unit, **extra):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(NEW, minimal(unit, **extra))


@pytest.fixture
def employee(cast):
    return cast.client("medarbetare"), cast.unit("DEMO-FSE1A")


def latest() -> Report:
    return Report.objects.latest("submitted_at")


def report(cast, unit: str = "DEMO-FSE1A", **fields) -> Report:
    data = {
        "main_form": "harassment",
        "occurred_on": TODAY,
        "unit": cast.unit(unit),
        "description": DESCRIPTION,
        **fields,
    }
    made, _created = submit_report(
        reporter=cast["medarbetare"], data=data, idempotency_key=uuid.uuid4()
    )
    return made


# Point 3: what they wanted, beside Brå's question -------------------------------------------


def test_the_form_asks_what_they_wanted_beside_brås_question_and_keeps_the_answer(employee):
    client, unit = employee
    page = client.get(NEW).text
    question = page.index('name="purpose_to_influence"')
    purposes = page.index('name="purposes"')
    # On the first page, right after the yes/no/unsure question, not under "Tell us more".
    assert question < purposes < page.index('class="more"')
    for code, label in Purpose.choices:
        assert f'value="{code}"' in page and sv(label) in page

    response = post(client, unit, purpose_to_influence="yes", purposes=["revenge", "scare"])
    assert response.status_code == 302
    made = latest()
    assert (made.purpose_to_influence, sorted(made.purposes)) == ("yes", ["revenge", "scare"])


def test_an_unknown_purpose_cannot_be_chosen_with_a_purpose_and_nothing_is_stored(employee):
    client, unit = employee
    before = Report.objects.count()
    response = post(client, unit, purposes=["unknown", "revenge"], description="Ett eget ord")
    assert response.status_code == 200
    assert "purposes" in response.context["form"].errors
    assert Report.objects.count() == before
    assert "Ett eget ord" in response.text  # nothing typed is lost
    assert 'value="revenge"' in response.text


def test_an_unknown_or_made_up_purpose_code_is_refused(employee):
    client, unit = employee
    response = post(client, unit, purposes=["bribe_the_mayor"])
    assert response.status_code == 200
    assert "purposes" in response.context["form"].errors


def test_a_draft_keeps_every_purpose_ticked(employee):
    client, _unit = employee
    client.post("/rapportera/utkast/", {"purposes": ["revenge", "obtain_information"]})
    form = client.get(NEW).context["form"]
    assert form["purposes"].value() == ["revenge", "obtain_information"]


def test_the_employee_completes_the_purposes_later_and_the_history_names_them(cast):
    made = report(cast)
    case = Case.objects.get(report=made)
    client = cast.client("medarbetare")
    response = client.post(
        f"/rapporter/{made.code}/komplettera/",
        {
            "version": made.version,
            "addition": "",
            "purpose_to_influence": "yes",
            "purposes": ["stop_check", "influence_decision"],
        },
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert sorted(made.purposes) == ["influence_decision", "stop_check"]
    change = ReportChange.objects.get(report=made)
    assert {item["field"] for item in change.fields} == {"purpose_to_influence", "purposes"}

    page = client.get(f"/rapporter/{made.code}/").text
    assert sv(Purpose.STOP_CHECK.label) in page and sv(Purpose.INFLUENCE_DECISION.label) in page
    with translation.override("sv"):
        question = str(Report._meta.get_field("purposes").verbose_name)
    assert question.capitalize() in page  # the history's row for the changed answer
    case_page = cast.client("forste").get(f"/arenden/{case.code}/").text
    assert sv(Purpose.STOP_CHECK.label) in case_page
    assert sv(Answer.YES.label) in case_page


def test_the_completion_form_refuses_an_unknown_purpose_with_another(cast):
    made = report(cast)
    response = cast.client("medarbetare").post(
        f"/rapporter/{made.code}/komplettera/",
        {"version": made.version, "addition": "", "purposes": ["unknown", "scare"]},
    )
    assert response.status_code == 200
    assert "purposes" in response.context["form"].errors
    made.refresh_from_db()
    assert made.purposes == [] and made.version == 1


def test_the_case_export_has_brås_answer_and_the_purposes(cast):
    made = report(cast, purpose_to_influence="unsure", purposes=["revenge", "scare"])
    response = cast.client("enhetschef").get(reverse("stats:export_cases"), {"period": "month"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], next(row for row in rows if row[0] == made.number)
    with translation.override("sv"):
        answer = header.index(translation.gettext("Purpose to influence work or a decision"))
        wanted = header.index(translation.gettext("What they wanted"))
    assert row[answer] == "unsure"
    assert sorted(row[wanted].split(", ")) == ["revenge", "scare"]


# Point 3: counted in the follow-up ------------------------------------------------------------


def cell(board, table: str, label: str):
    return next(row for row in board.tables[table].rows if row.label == label).cells[0].value


def events_of(code: str, cast, period, *, security: bool = False) -> list[Report]:
    """The events a page of the unit counts: without the security-routed ones where figures
    are exact, with them where they are adjusted (varna.core.perturbation)."""
    unit = cast.unit(code)
    found = Report.objects.filter(
        tree.subtree_q(unit.path, "unit__path"),
        occurred_on__gte=period.first,
        occurred_on__lt=period.end,
    ).exclude(case__not_unlawful=True)
    if not security:
        found = found.filter(route_to_security=False)
    return list(found)


def published(reports: list[Report]) -> int:
    """What a reader who may not open the cases sees of these events."""
    return publish(Tally(len(reports), sum(r.record_key for r in reports)))


@pytest.mark.parametrize("kind", ["month", "year"])
def test_a_managers_figures_of_brås_answer_and_the_purposes_equal_a_recount(cast, kind):
    report(cast, purpose_to_influence="yes", purposes=["speed_payment", "revenge"])
    report(cast, purpose_to_influence="no")
    stats_services.fold()
    chosen = Chosen(period=period_of(kind, TODAY), unit=cast.unit("DEMO-ALF"))
    board = selectors.dashboard(cast["forvaltningschef"], chosen)
    assert board.reveal
    reports = events_of("DEMO-ALF", cast, board.chosen.period)
    answers = Counter(r.purpose_to_influence for r in reports)
    with translation.override("sv"):
        for code, label in Answer.choices:
            assert cell(board, "believed", str(label)) == answers[code]
        assert cell(board, "believed", translation.gettext("Not stated")) == answers[""]
        purposes = Counter(code for r in reports for code in set(r.purposes))
        for code, label in Purpose.choices:
            assert cell(board, "purpose", str(label)) == purposes[code]
    assert purposes["speed_payment"] >= 1


def analyst_board(cast, code: str, day: date):
    chosen = Chosen(period=period_of("year", day), unit=cast.unit(code))
    return selectors.dashboard(cast["analytiker"], chosen)


def test_small_figures_of_brås_answer_and_the_purposes_are_adjusted_as_other_contexts(cast):
    """Seven events in a year with no others: one "no" and one "obtain information" are
    small numbers. On the municipality's page and on the page of the unit below it, an
    analyst sees each figure adjusted from its events alone (never a 1), the same on both
    pages; a manager who may open the cases sees them exactly."""
    day = TODAY.replace(month=6, day=1) - timedelta(days=6 * 365)
    assert not Report.objects.filter(occurred_on__year=day.year).exists()
    made = []
    for n in range(6):
        purposes = ["revenge", "scare"] if n else ["revenge"]
        made.append(report(cast, occurred_on=day, purpose_to_influence="yes", purposes=purposes))
    said_no = report(
        cast,
        occurred_on=day,
        purpose_to_influence="no",
        purposes=["revenge", "scare", "obtain_information"],
    )
    made.append(said_no)
    stats_services.fold()
    small = set(range(1, perturbation.small()))
    for code in ("DEMO", "DEMO-FSE"):
        board = analyst_board(cast, code, day)
        assert not board.reveal
        assert board.total.value == published(made)
        assert not board.total.exact
        with translation.override("sv"):
            no = cell(board, "believed", str(Answer.NO.label))
            assert no == published([said_no]) and no not in small
            assert cell(board, "believed", str(Answer.YES.label)) == published(made[:6])
            wanted = cell(board, "purpose", str(Purpose.OBTAIN_INFORMATION.label))
            assert wanted == published([said_no]) and wanted not in small
            assert cell(board, "purpose", str(Purpose.SCARE.label)) == published(made[1:])
            assert cell(board, "purpose", str(Purpose.REVENGE.label)) == published(made)
    exact = selectors.dashboard(
        cast["forvaltningschef"], Chosen(period=period_of("year", day), unit=cast.unit("DEMO-FSE"))
    )
    with translation.override("sv"):
        assert cell(exact, "believed", str(Answer.NO.label)) == 1
        assert cell(exact, "purpose", str(Purpose.OBTAIN_INFORMATION.label)) == 1


def test_an_analyst_sees_the_purposes_adjusted_and_never_a_small_figure(cast):
    small = set(range(1, perturbation.small()))
    for code in ("DEMO", "DEMO-FSE", "DEMO-BOU"):
        board = analyst_board(cast, code, TODAY)
        assert not board.reveal
        reports = events_of(code, cast, board.chosen.period, security=True)
        with translation.override("sv"):
            for answer, label in Answer.choices:
                chosen = [r for r in reports if r.purpose_to_influence == answer]
                assert cell(board, "believed", str(label)) == published(chosen)
            for purpose, label in Purpose.choices:
                chosen = [r for r in reports if purpose in r.purposes]
                assert cell(board, "purpose", str(label)) == published(chosen)
        for key in ("believed", "purpose"):
            for row in board.tables[key].rows:
                assert row.cells[0].value not in small


def stored_rollups() -> list[list[tuple]]:
    return [
        sorted(
            model.objects.values_list(
                *[field.attname for field in model._meta.concrete_fields if field.name != "id"]
            )
        )
        for model in (MonthlyCount, SubtreeMonthlyCount, SubtreeYearlyCount)
    ]


def test_new_answers_are_folded_into_the_rollups_as_a_rebuild_counts_them(cast):
    made = report(cast, purpose_to_influence="yes", purposes=["revenge", "scare"])
    report(cast, unit="DEMO-MOT", main_form="corruption", route_to_security=True,
           purpose_to_influence="unsure", purposes=["unknown"])  # fmt: skip
    report(cast, place="court", actor_relation="organised_crime", purpose_to_influence="no")
    from varna.cases import services as case_services

    case_services.complete_report(
        Case.objects.get(report=made),
        by=cast["forste"],
        data={"purposes": ["obtain_information"], "purpose_to_influence": "unsure"},
        version=made.version,
    )
    assert stats_services.fold() > 0
    added = stored_rollups()
    assert MonthlyCount.objects.filter(believed_unsure__gt=0, purpose_unknown__gt=0).exists()
    assert MonthlyCount.objects.filter(
        place_court__gt=0, place_court_key__gt=0, actor_organised_crime__gt=0
    ).exists()
    stats_services.rebuild()
    assert stored_rollups() == added


def test_the_key_sum_migration_leaves_every_month_to_be_folded_as_a_rebuild_counts_it(cast):
    """Migration 0007 adds the key sums beside the counts and leaves every unit and month
    with events to the fold; folded, the rollups are what a rebuild makes of them."""
    report(cast, purpose_to_influence="yes", purposes=["revenge"])
    stats_services.fold()
    # As the new columns were before the migration filled them.
    MonthlyCount.objects.update(believed_yes_key=0, purpose_revenge_key=0, events_key=0)
    SubtreeMonthlyCount.objects.all().delete()
    SubtreeYearlyCount.objects.all().delete()
    PendingFold.objects.all().delete()
    migration = importlib.import_module("varna.stats.migrations.0007_record_keys_and_fold")
    migration.fold_everything_again(apps, None)
    events = {
        (unit_id, day.replace(day=1))
        for unit_id, day in Report.objects.values_list("unit_id", "occurred_on")
    }
    assert events <= set(PendingFold.objects.values_list("unit_id", "month"))
    stats_services.fold()
    assert not PendingFold.objects.exists()
    folded = stored_rollups()
    stats_services.rebuild()
    assert stored_rollups() == folded


def test_the_dashboard_shows_both_tables_and_exports_them(cast):
    client = cast.client("forvaltningschef")
    page = client.get(reverse("stats:dashboard")).text
    with translation.override("sv"):
        assert translation.gettext("Events by what the employee believes the person wanted") in (
            page
        )
    for table in ("believed", "purpose"):
        response = client.get(reverse("stats:export", args=[table, "csv"]))
        assert response.status_code == 200


# Point 4: twelve actor relations, court its own place -----------------------------------------


def test_the_form_offers_all_twelve_actor_relations_and_court(employee):
    client, unit = employee
    page = client.get(NEW).text
    assert len(ActorRelation.values) == 12
    for code in ActorRelation.values:
        assert f'<option value="{code}"' in page
    assert 'name="place" value="court"' in page
    with translation.override("sv"):
        assert translation.gettext("Court or meeting elsewhere") not in page
    response = post(client, unit, place="court", actor_relation="litigious")
    assert response.status_code == 302
    assert (latest().place, latest().actor_relation) == ("court", "litigious")


def test_the_follow_up_counts_court_and_the_new_relations_apart(cast):
    report(cast, place="court", actor_relation="extremist")
    report(cast, place="meeting", actor_relation="group")
    stats_services.fold()
    board = selectors.dashboard(
        cast["forvaltningschef"],
        Chosen(period=period_of("month", TODAY), unit=cast.unit("DEMO-ALF")),
    )
    reports = events_of("DEMO-ALF", cast, board.chosen.period)
    places = Counter(r.place for r in reports)
    actors = Counter(r.actor_relation for r in reports)
    with translation.override("sv"):
        assert cell(board, "place", str(Place.COURT.label)) == places["court"] >= 1
        assert cell(board, "place", str(Place.MEETING.label)) == places["meeting"] >= 1
        for code, label in ActorRelation.choices:
            assert cell(board, "actor", str(label)) == actors[code]
    assert actors["extremist"] >= 1


# Point 5: the KIA event type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"main_form": "corruption"}, KiaType.RISK),
        ({"main_form": "corruption", "consequences": ["fear"]}, KiaType.RISK),
        ({"main_form": "corruption", "consequences": ["injury"]}, KiaType.ACCIDENT),
        ({"main_form": "corruption", "other_forms": ["threat"]}, KiaType.INCIDENT),
        ({"main_form": "harassment"}, KiaType.RISK),
        ({"main_form": "harassment", "consequences": ["none"]}, KiaType.RISK),
        ({"main_form": "harassment", "consequences": ["fear"]}, KiaType.INCIDENT),
        ({"main_form": "corruption", "other_forms": ["harassment"]}, KiaType.RISK),
        ({"main_form": "damage", "consequences": ["property"]}, KiaType.INCIDENT),
        ({"main_form": "threat", "consequences": ["none"]}, KiaType.INCIDENT),
        ({"main_form": "violence", "consequences": ["shock"]}, KiaType.ACCIDENT),
    ],
)
def test_the_kia_type_set_by_rule_follows_the_domain(employee, extra, expected):
    client, unit = employee
    assert post(client, unit, **extra).status_code == 302
    assert latest().kia_type == expected


def test_the_rule_alone_reads_every_form_of_the_event():
    assert kia_type_by_rule(consequences=[], forms=["corruption"]) == KiaType.RISK
    assert kia_type_by_rule(consequences=[], forms=["corruption", "harassment"]) == KiaType.RISK
    assert kia_type_by_rule(consequences=["fear"], forms=["corruption", "harassment"]) == (
        KiaType.INCIDENT
    )
    assert kia_type_by_rule(consequences=[], forms=["corruption", "damage"]) == KiaType.INCIDENT


def test_a_threat_among_the_further_forms_is_never_only_a_risk_observation(employee):
    client, unit = employee
    before = Report.objects.count()
    response = post(
        client, unit, main_form="corruption", other_forms=["threat"], kia_type="riskobservation"
    )
    assert response.status_code == 200
    assert "kia_type" in response.context["form"].errors
    assert Report.objects.count() == before


def test_the_form_explains_the_rule_for_an_improper_offer(employee):
    client, _unit = employee
    with translation.override("sv"):
        explained = translation.gettext(
            "Left as it is, an injury makes it an accident (olycksfall); an improper offer "
            "alone, or harassment that did no harm, a risk observation; anything else a near "
            "miss (tillbud)."
        )
    assert explained in client.get(NEW).text


def reclassify(cast, made: Report, **fields):
    case = Case.objects.get(report=made)
    return cast.client("forste").post(
        f"/arenden/{case.code}/steg/reclassify/",
        {"version": made.version, "main_form": made.main_form, "reason": "Bedömt", **fields},
    )


def test_the_handler_reclassifies_a_corruption_report_as_a_risk_observation(cast):
    made = report(cast, main_form="corruption", kia_type="tillbud")
    assert made.kia_type == KiaType.INCIDENT  # chosen by hand when reported
    case_page = cast.client("forste").get(f"/arenden/{made.code}/").text
    assert 'value="riskobservation"' in case_page  # the reclassify form offers it
    response = reclassify(
        cast, made, kia_type="riskobservation", reason="Ett erbjudande, ingen skada hotade."
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.kia_type == KiaType.RISK
    change = ReportChange.objects.get(report=made)
    assert change.kind == ReportChange.Kind.RECLASSIFIED
    assert change.fields == [{"field": "kia_type", "before": "tillbud", "after": "riskobservation"}]


def test_reclassifying_refuses_a_risk_observation_for_an_injury_or_a_further_threat(cast):
    injured = report(cast, main_form="corruption", consequences=["injury"])
    threatened = report(cast, main_form="corruption", other_forms=["threat"])
    for made, extra in ((injured, {}), (threatened, {"other_forms": ["threat"]})):
        response = reclassify(cast, made, kia_type="riskobservation", **extra)
        assert response.status_code == 200
        assert "kia_type" in response.context["forms"]["reclassify"].errors
        made.refresh_from_db()
        assert made.kia_type != KiaType.RISK and made.version == 1


# The demo -----------------------------------------------------------------------------------


def test_the_demo_has_purposes_new_actor_relations_and_court(db):
    demo = Report.objects.filter(unit__code__startswith="DEMO")
    purposes = Counter(code for codes in demo.values_list("purposes", flat=True) for code in codes)
    assert set(purposes) == set(Purpose.values)
    relations = set(demo.values_list("actor_relation", flat=True))
    assert {"desperate", "litigious", "organised_crime", "activist"} <= relations
    assert demo.filter(place=Place.COURT).exists()
    # An improper offer alone, with no injury, is a risk observation in the demo as well.
    offers = demo.filter(main_form="corruption", other_forms=[]).exclude(kia_type="olycksfall")
    assert offers.exists()
    assert set(offers.values_list("kia_type", flat=True)) == {KiaType.RISK}
    assert not demo.filter(purpose_to_influence=Answer.NO).exclude(purposes=[]).exists()
