"""Risk assessments and action plans: the services' rules, the pages for each role, the
summary employees see, the events beside an assessment, print and PDF."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pypdf import PdfReader

from varna.cases.models import Measure, Reminder
from varna.core import perturbation
from varna.core.perturbation import Tally, publish
from varna.reporting.models import Report
from varna.reporting.taxonomy import Form
from varna.risk import selectors, services
from varna.risk.models import Assessment, AssessmentEvent, Level, PlanMeasure, Risk, risk_level

TODAY = date.today()


def sv(text: str) -> str:
    """The text as the Swedish pages show it (HTML-escaped)."""
    with translation.override("sv"):
        return escape(translation.gettext(text))


def refusal(text: str) -> str:
    with translation.override("sv"):
        return re.escape(translation.gettext(text).split("%")[0])


def reception(likelihood=2, consequence=3, **extra):
    return {"situation": "reception", "likelihood": likelihood, "consequence": consequence} | extra


@pytest.fixture
def draft(cast):
    """A draft assessment of Försörjningsstöd 1 by its manager, with one risk."""
    assessment = services.start_assessment(
        unit=cast.unit("DEMO-FSE1"), by=cast["enhetschef"], assessed_on=TODAY
    )
    services.add_risk(assessment, by=cast["enhetschef"], data=reception())
    return assessment


def took_part(assessment, cast):
    """The unit's safety representative confirms taking part, as approval needs."""
    services.respond(assessment, by=cast["skyddsombud"], response=Assessment.Response.CONFIRMED)


def measure_data(owner, due_on=None, **extra):
    return {"what": "Larm i receptionen", "owner": owner, "due_on": due_on or TODAY} | extra


# The matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "consequence", "level"),
    [(1, 1, Level.LOW), (1, 3, Level.LOW), (2, 2, Level.MODERATE), (3, 2, Level.MODERATE),
     (2, 4, Level.HIGH), (3, 3, Level.HIGH), (3, 4, Level.VERY_HIGH), (4, 4, Level.VERY_HIGH)],
)  # fmt: skip
def test_the_risk_level_follows_likelihood_times_consequence(likelihood, consequence, level):
    assert risk_level(likelihood, consequence) == level


# Services -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 5, -1, "3", None])
def test_a_likelihood_or_consequence_outside_one_to_four_is_refused_and_nothing_stored(
    draft, cast, bad
):
    for field in ("likelihood", "consequence"):
        with pytest.raises(ValidationError) as refused:
            services.add_risk(draft, by=cast["enhetschef"], data=reception(**{field: bad}))
        assert field in refused.value.message_dict
    assert draft.risks.count() == 1


def test_a_situation_not_in_the_list_needs_a_description(draft, cast):
    with pytest.raises(ValidationError) as refused:
        services.add_risk(
            draft, by=cast["enhetschef"], data={"situation": "other", "likelihood": 2,
                                                 "consequence": 2}
        )  # fmt: skip
    assert "description" in refused.value.message_dict
    risk = services.add_risk(
        draft,
        by=cast["enhetschef"],
        data={"situation": "other", "likelihood": 2, "consequence": 2,
              "description": "Parkeringen är mörk"},
    )  # fmt: skip
    assert risk.title == "Parkeringen är mörk"


def test_a_measure_without_owner_or_due_before_the_assessment_is_refused(draft, cast):
    manager = cast["enhetschef"]
    with pytest.raises(ValidationError) as refused:
        services.add_measure(draft, by=manager, data=measure_data(None))
    assert "owner" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.add_measure(
            draft, by=manager, data=measure_data(manager, TODAY - timedelta(days=1))
        )
    assert "due_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.add_measure(draft, by=manager, data=measure_data(manager, what="  "))
    assert "what" in refused.value.message_dict
    assert not PlanMeasure.objects.filter(assessment=draft).exists()


def test_the_next_assessment_must_be_due_after_this_one(cast):
    with pytest.raises(ValidationError) as refused:
        services.start_assessment(
            unit=cast.unit("DEMO-FSE1"),
            by=cast["enhetschef"],
            assessed_on=TODAY,
            next_due_on=TODAY,
        )
    assert "next_due_on" in refused.value.message_dict


def test_approval_needs_risks_and_a_measure_for_every_high_risk(cast):
    manager = cast["enhetschef"]
    assessment = services.start_assessment(
        unit=cast.unit("DEMO-FSE1"), by=manager, assessed_on=TODAY
    )
    with pytest.raises(ValidationError, match=refusal("Add at least one risk before approving.")):
        services.approve(assessment, by=manager)
    high = services.add_risk(assessment, by=manager, data=reception(3, 3))
    with pytest.raises(
        ValidationError,
        match=refusal("These high risks need a measure in the action plan: %(risks)s."),
    ):
        services.approve(assessment, by=manager)
    services.add_measure(assessment, by=manager, data=measure_data(manager, risk=high))
    took_part(assessment, cast)
    services.approve(assessment, by=manager)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.APPROVED
    assert assessment.approved_by == manager
    assert set(assessment.events.values_list("kind", flat=True)) >= {
        AssessmentEvent.Kind.CREATED,
        AssessmentEvent.Kind.RISK_ADDED,
        AssessmentEvent.Kind.MEASURE_ADDED,
        AssessmentEvent.Kind.APPROVED,
    }


def test_a_new_assessment_supersedes_the_old_which_stays_readable(draft, cast):
    manager = cast["enhetschef"]
    old = selectors.governing(cast.unit("DEMO-FSE1"))
    assert old is not None
    took_part(draft, cast)
    services.approve(draft, by=manager)
    old.refresh_from_db()
    assert old.status == Assessment.Status.SUPERSEDED
    assert old.superseded_by == draft
    assert selectors.governing(cast.unit("DEMO-FSE1A")) == draft
    page = cast.client("enhetschef").get(reverse("risk:detail", args=[old.code]))
    assert page.status_code == 200
    assert (
        sv("This assessment has been superseded by a newer one and is kept for reference.")
        in page.content.decode()
    )


def test_an_approved_assessment_cannot_be_changed_but_its_plan_goes_on(draft, cast):
    manager = cast["enhetschef"]
    took_part(draft, cast)
    services.approve(draft, by=manager)
    with pytest.raises(ValidationError):
        services.add_risk(draft, by=manager, data=reception())
    measure = services.add_measure(draft, by=manager, data=measure_data(manager))
    services.update_measure(measure, by=manager, status=PlanMeasure.Status.DONE)
    measure.refresh_from_db()
    assert measure.done_on == TODAY


def test_an_open_measure_reminds_its_owner_and_done_cancels_it(draft, cast):
    manager = cast["enhetschef"]
    measure = services.add_measure(draft, by=manager, data=measure_data(manager))
    waiting = Reminder.objects.filter(plan_measure=measure, cancelled_at=None)
    assert waiting.count() == 1
    services.update_measure(measure, by=manager, status=PlanMeasure.Status.DONE)
    assert waiting.count() == 0


def test_the_safety_representative_must_say_why_when_disagreeing(draft, cast):
    rep = cast["skyddsombud"]
    with pytest.raises(ValidationError) as refused:
        services.respond(draft, by=rep, response=Assessment.Response.DISAGREES)
    assert "note" in refused.value.message_dict
    services.respond(draft, by=rep, response=Assessment.Response.DISAGREES, note="Ensamarbete")
    draft.refresh_from_db()
    assert draft.safety_rep == rep
    assert draft.participants.filter(user=rep, capacity="safety_rep").exists()


# Pages ----------------------------------------------------------------------------------------


def test_manager_starts_an_assessment_through_the_form(cast):
    client = cast.client("enhetschef")
    url = reverse("risk:new", args=["DEMO-FSE1"])
    assert client.get(url).status_code == 200
    rep = cast["skyddsombud"]
    response = client.post(
        url,
        {"assessed_on": TODAY.isoformat(), "occasion": "yearly", "participants": [rep.pk]},
    )
    assert response.status_code == 302
    assessment = Assessment.objects.filter(unit__code="DEMO-FSE1", status="draft").latest("pk")
    assert assessment.next_due_on.year == TODAY.year + 1
    capacities = dict(assessment.participants.values_list("user__username", "capacity"))
    assert capacities == {"enhetschef": "manager", "skyddsombud": "safety_rep"}


def test_bad_input_is_shown_next_to_the_field_and_nothing_typed_is_lost(draft, cast):
    client = cast.client("enhetschef")
    response = client.post(
        reverse("risk:step", args=[draft.code, "risk"]),
        {"situation": "phone", "likelihood": "7", "consequence": "2",
         "protections": "Samtal spelas inte in"},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert sv("Choose a value from 1 to 4.") in page
    assert "Samtal spelas inte in" in page
    assert draft.risks.count() == 1
    response = client.post(
        reverse("risk:step", args=[draft.code, "measure"]),
        {"what": "Utbilda i hot", "due_on": (TODAY - timedelta(days=3)).isoformat()},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert sv("Choose who is responsible for the measure.") in page
    assert "Utbilda i hot" in page


def test_a_manager_of_another_unit_gets_404(draft, cast):
    client = cast.client("chef.grannby")
    assert client.get(reverse("risk:new", args=["DEMO-FSE1"])).status_code == 404
    assert client.get(reverse("risk:detail", args=[draft.code])).status_code == 404
    response = client.post(reverse("risk:step", args=[draft.code, "approve"]))
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft


def test_the_safety_representative_cannot_approve_and_the_manager_cannot_respond(draft, cast):
    rep = cast.client("skyddsombud")
    assert rep.post(reverse("risk:step", args=[draft.code, "approve"])).status_code == 404
    manager = cast.client("enhetschef")
    response = manager.post(
        reverse("risk:step", args=[draft.code, "respond"]), {"response": "confirmed"}
    )
    assert response.status_code == 404


def test_a_refused_approval_says_why(cast):
    manager = cast["enhetschef"]
    assessment = services.start_assessment(
        unit=cast.unit("DEMO-FSE1"), by=manager, assessed_on=TODAY
    )
    services.add_risk(assessment, by=manager, data=reception(4, 4))
    response = cast.client("enhetschef").post(
        reverse("risk:step", args=[assessment.code, "approve"])
    )
    assert response.status_code == 200
    assert (
        sv("These high risks need a measure in the action plan: %(risks)s.").split("%")[0]
        in response.content.decode()
    )


def test_employee_sees_the_summary_of_their_unit_but_not_the_assessment(cast):
    governing = selectors.governing(cast.unit("DEMO-FSE1A"))
    assert governing is not None
    client = cast.client("medarbetare")
    page = client.get(reverse("risk:summary", args=["DEMO-FSE1A"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert governing.assessed_on.isoformat() in text
    assert governing.next_due_on.isoformat() in text
    assert reverse("reporting:new") in text
    assert client.get(reverse("risk:detail", args=[governing.code])).status_code == 404
    assert client.get(reverse("risk:summary", args=["DEMO-FSE2A"])).status_code == 404


def test_an_analyst_sees_no_assessment(cast):
    governing = selectors.governing(cast.unit("DEMO-FSE1"))
    client = cast.client("analytiker")
    assert client.get(reverse("risk:detail", args=[governing.code])).status_code == 404
    assert client.get(reverse("risk:unit", args=["DEMO-FSE1"])).status_code == 404


def test_a_unit_without_an_assessment_says_so_to_its_employees(cast):
    PlanMeasure.objects.filter(unit__code__startswith="GRANN").delete()
    Assessment.objects.filter(unit__code__startswith="GRANN").delete()
    page = cast.client("chef.grannby").get(reverse("risk:summary", args=["GRANN-EB"]))
    assert (
        sv("No risk assessment has been approved for your workplace yet.") in page.content.decode()
    )


def test_the_index_lists_the_units_and_flags_those_overdue(cast):
    page = cast.client("forvaltningschef").get(reverse("risk:index")).content.decode()
    assert "Försörjningsstöd 2" in page  # assessed thirteen months ago
    assert sv("Overdue") in page


# Events beside an assessment ------------------------------------------------------------------


def published(reports) -> int:
    """What a reader who may not open the cases sees of these events."""
    return publish(Tally(len(reports), sum(report.record_key for report in reports)))


def by_form(reports) -> dict[str, list[Report]]:
    return {form: [r for r in reports if r.main_form == form] for form in Form.values}


def test_event_counts_are_adjusted_for_those_who_may_not_see_the_cases(cast):
    unit = cast.unit("DEMO-FSE1")
    since = TODAY - timedelta(days=120)
    revealed = selectors.events_since(unit, since, reveal=True)
    adjusted = selectors.events_since(unit, since, reveal=False)
    counted = Report.objects.filter(
        unit__path__startswith=unit.path, occurred_on__gte=since
    ).exclude(case__not_unlawful=True)
    reports = list(counted)
    line = list(counted.filter(route_to_security=False))
    assert revealed.total.value == len(line) and revealed.total.exact
    assert adjusted.total.value == published(reports) and not adjusted.total.exact
    labels = [str(Form(form).label) for form in Form.values]
    events, line_events = by_form(reports), by_form(line)
    assert [label for label, _figure in adjusted.by_form] == labels
    for form, (_label, full), (_same, shown) in zip(
        Form.values, revealed.by_form, adjusted.by_form, strict=True
    ):
        assert full.value == len(line_events[form])
        assert shown.value == published(events[form])
        assert shown.value not in range(1, perturbation.small())
    assert adjusted.explanation == perturbation.explanation() and not revealed.explanation


def test_a_count_of_one_or_two_never_shows_as_itself_to_those_who_may_not_see_the_cases(cast):
    unit = cast.unit("DEMO-FSE1A")
    here = Report.objects.filter(unit__path__startswith=unit.path).exclude(case__not_unlawful=True)
    here.filter(occurred_on__gte=TODAY).update(occurred_on=TODAY - timedelta(days=1))
    threats = list(here.filter(main_form="threat")[:2])
    harassment = list(here.filter(main_form="harassment")[:1])
    assert len(threats) == 2 and len(harassment) == 1
    Report.objects.filter(pk__in=[r.pk for r in [*threats, *harassment]]).update(occurred_on=TODAY)
    revealed = dict(selectors.events_since(unit, TODAY, reveal=True).by_form)
    adjusted = selectors.events_since(unit, TODAY, reveal=False)
    shown = dict(adjusted.by_form)
    with translation.override("sv"):
        threat, harassed = str(Form.THREAT.label), str(Form.HARASSMENT.label)
    assert (revealed[threat].value, revealed[harassed].value) == (2, 1)
    assert shown[threat].value == published(threats) not in {1, 2}
    assert shown[harassed].value == published(harassment) not in {1, 2}
    assert adjusted.total.value == published([*threats, *harassment])
    for _label, figure in [*adjusted.by_form, *adjusted.by_context, ("", adjusted.total)]:
        assert figure.value not in range(1, perturbation.small())


def test_employee_summary_never_shows_a_small_count(cast):
    page = cast.client("medarbetare").get(reverse("risk:summary", args=["DEMO-FSE1A"]))
    events = page.context["events"]
    reports = Report.objects.filter(unit__path__startswith=cast.unit("DEMO-FSE1A").path).exclude(
        case__not_unlawful=True
    )
    if events.since is not None:
        reports = reports.filter(occurred_on__gte=events.since)
    found = by_form(list(reports))
    for form, (_label, figure) in zip(Form.values, events.by_form, strict=True):
        assert not figure.exact
        assert figure.value == published(found[form])
        assert figure.value not in range(1, perturbation.small())
    for _label, figure in events.by_context:
        assert figure.value not in range(1, perturbation.small())


def test_an_event_in_a_situation_no_risk_covers_prompts_an_update(draft, cast):
    report = Report.objects.filter(unit__path__startswith=draft.unit.path).first()
    Report.objects.filter(pk=report.pk).update(place="online", situation="", occurred_on=TODAY)
    events = selectors.events_since(draft.unit, TODAY, reveal=True, covered={"reception"})
    with translation.override("sv"):
        assert str(translation.gettext("Exposure online")) in events.uncovered
    covered = selectors.events_since(draft.unit, TODAY, reveal=True, covered={"online"})
    assert covered.uncovered == []


# The action list ------------------------------------------------------------------------------


def test_the_action_list_holds_plan_and_unit_measures_from_cases_not_personal_ones(draft, cast):
    manager = cast["enhetschef"]
    services.add_measure(draft, by=manager, data=measure_data(manager, what="Öva larmet"))
    case_measures = Measure.objects.filter(case__unit__path__startswith=draft.unit.path)
    personal = case_measures.filter(scope="individual").first()
    unit_wide = case_measures.filter(scope="unit", status__in=["planned", "in_progress"]).first()
    rows = selectors.action_list(draft.unit, case_links=True)
    whats = {row.what for row in rows}
    assert "Öva larmet" in whats
    if unit_wide is not None:
        assert unit_wide.what in whats
    if personal is not None:
        from_cases = {row.what for row in rows if "/arenden/" in row.link}
        unit_whats = set(case_measures.filter(scope="unit").values_list("what", flat=True))
        assert personal.what in unit_whats or personal.what not in from_cases


# Print and PDF --------------------------------------------------------------------------------


def test_the_pdf_holds_the_assessment_and_its_action_plan(draft, cast):
    manager = cast["enhetschef"]
    services.add_measure(draft, by=manager, data=measure_data(manager, what="Öva larmet"))
    client = cast.client("enhetschef")
    response = client.get(reverse("risk:pdf", args=[draft.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Försörjningsstöd 1" in text
    assert "Öva larmet" in text
    assert "Reception" in text or "reception" in text
    printable = client.get(reverse("risk:print", args=[draft.code]))
    assert "Öva larmet" in printable.content.decode()


def test_the_demo_has_current_overdue_superseded_and_draft_assessments(cast):
    statuses = set(Assessment.objects.values_list("status", flat=True))
    assert statuses == {"draft", "approved", "superseded"}
    overdue = Assessment.objects.filter(status="approved", next_due_on__lt=TODAY)
    assert overdue.exists()
    assert Risk.objects.filter(assessment__status="approved").count() >= 15
    assert PlanMeasure.objects.filter(status__in=PlanMeasure.OPEN, due_on__lt=TODAY).exists()


def test_the_managers_start_page_lists_assessments_to_make_or_update(cast):
    page = cast.client("forvaltningschef").get("/")
    attention = {item.unit.code: item for item in page.context["risk_attention"]}
    assert attention["DEMO-FSE2"].overdue  # assessed thirteen months ago
    assert attention["DEMO-FSE3"].assessment is None  # only a draft so far
    assert "DEMO-VUX" not in attention or attention["DEMO-VUX"].uncovered
    assert "risk_attention" not in cast.client("medarbetare").get("/").context


def test_the_units_needing_attention_are_read_in_four_queries(cast, django_assert_num_queries):
    from varna.orgs import access
    from varna.orgs.access import Action

    units = access.units_for(cast["forvaltningschef"], Action.MANAGE_RISK)
    with django_assert_num_queries(4):  # the units, their assessments, the risks, the events
        found = selectors.needing_attention(units)
    with django_assert_num_queries(4):
        assert selectors.needing_attention(units) == found
