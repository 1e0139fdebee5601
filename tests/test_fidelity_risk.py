"""Issue 15 for risk assessments: approval needs the safety representative's taking part (or a
recorded reason why none could), people lists refuse ids that cannot exist, dates are held
within plausible bounds with the rule said next to the field, and wide tables sit in regions
that can be reached and scrolled by keyboard, also in the print view on a phone."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from varna.risk import services
from varna.risk.models import Assessment, AssessmentEvent, Participant, PlanMeasure
from varna.yearplan import services as yearplan_services
from varna.yearplan.models import Activity, Kind

TODAY = date.today()
UNIT = "DEMO-FSE1"


def sv(text: str, **values: str) -> str:
    """The text as the Swedish pages show it (HTML-escaped), placeholders filled in."""
    with translation.override("sv"):
        translated = translation.gettext(text)
    return escape(translated % values if values else translated)


def moderate() -> dict[str, object]:
    """A risk that needs no measure before approval."""
    return {"situation": "reception", "likelihood": 2, "consequence": 3}


@pytest.fixture
def draft(cast):
    """A draft of Försörjningsstöd 1 by its manager with one moderate risk, and no safety
    representative among those who took part."""
    assessment = services.start_assessment(
        unit=cast.unit(UNIT), by=cast["enhetschef"], assessed_on=TODAY
    )
    services.add_risk(assessment, by=cast["enhetschef"], data=moderate())
    return assessment


@pytest.fixture
def this_years_activity(cast) -> Activity:
    """The unit's year-plan risk assessment for the period holding today, open (the demo may
    have ticked it off already: reopened through the year plan's own service)."""
    activity = Activity.objects.get(
        unit__code=UNIT,
        kind=Kind.RISK_ASSESSMENT,
        period_start__lte=TODAY,
        period_end__gte=TODAY,
    )
    if activity.is_done:
        activity = yearplan_services.reopen_activity(
            activity, by=cast["enhetschef"], reason="Testet börjar med den öppen."
        )
    assert activity.status == Activity.Status.OPEN
    return activity


def step(client, assessment: Assessment, name: str, data: dict[str, object]):
    return client.post(reverse("risk:step", args=[assessment.code, name]), data)


def new_form(client, **data: object):
    values = {"assessed_on": TODAY.isoformat(), "occasion": "yearly"} | data
    return client.post(reverse("risk:new", args=[UNIT]), values)


def drafts_of(code: str) -> int:
    return Assessment.objects.filter(unit__code=code, status=Assessment.Status.DRAFT).count()


# Point 2: the safety representative takes part in the assessment ---------------------------


def test_approval_without_the_safety_representative_or_a_reason_is_refused(
    draft, cast, this_years_activity
):
    with pytest.raises(ValidationError) as refused:
        services.approve(draft, by=cast["enhetschef"])
    assert "no_safety_rep_reason" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.approve(draft, by=cast["enhetschef"], no_safety_rep_reason=" \n ")
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.DRAFT
    assert draft.approved_at is None
    assert not draft.events.filter(kind=AssessmentEvent.Kind.APPROVED).exists()
    # The year plan is not ticked off by a refused approval.
    this_years_activity.refresh_from_db()
    assert this_years_activity.status == Activity.Status.OPEN
    assert this_years_activity.assessment is None


def test_the_refusal_is_shown_next_to_the_reason_field_and_nothing_changes(draft, cast):
    response = step(cast.client("enhetschef"), draft, "approve", {})
    assert response.status_code == 200
    form = response.context["forms"]["approve"]
    assert list(form.errors) == ["no_safety_rep_reason"]
    page = response.content.decode()
    message = sv(
        "A safety representative must take part in the assessment. Add them to who took part, "
        "or say why none could."
    )
    assert message in page
    assert 'id="approve-no_safety_rep_reason_error"' in page
    draft.refresh_from_db()
    assert draft.is_draft


def test_approval_with_a_reason_records_it_and_the_pages_show_it(draft, cast):
    client = cast.client("enhetschef")
    reason = "Enheten har inget skyddsombud sedan i augusti."
    response = step(client, draft, "approve", {"no_safety_rep_reason": reason})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.APPROVED
    assert draft.no_safety_rep_reason == reason
    approved = draft.events.get(kind=AssessmentEvent.Kind.APPROVED)
    assert reason in approved.note
    label = sv("Why no safety representative took part")
    for url in (
        reverse("risk:detail", args=[draft.code]),
        reverse("risk:print", args=[draft.code]),
    ):
        page = client.get(url).content.decode()
        assert label in page
        assert escape(reason) in page
    summary = cast.client("medarbetare").get(reverse("risk:summary", args=["DEMO-FSE1A"]))
    assert escape(reason) in summary.content.decode()


def test_with_the_safety_representative_taking_part_approval_ticks_off_the_year_plan(
    draft, cast, this_years_activity
):
    client = cast.client("enhetschef")
    # The manager lists the safety representative among those who took part.
    response = step(
        client,
        draft,
        "edit",
        {
            "assessed_on": TODAY.isoformat(),
            "occasion": "yearly",
            "participants": [cast["skyddsombud"].pk],
            "next_due_on": "",
        },
    )
    assert response.status_code == 302
    assert draft.participants.filter(
        user=cast["skyddsombud"], capacity=Participant.Capacity.SAFETY_REP
    ).exists()
    page = client.get(reverse("risk:detail", args=[draft.code]))
    assert "no_safety_rep_reason" not in page.context["forms"]["approve"].fields
    response = step(client, draft, "approve", {"no_safety_rep_reason": "ignored"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.APPROVED
    assert draft.no_safety_rep_reason == ""
    this_years_activity.refresh_from_db()
    assert this_years_activity.status == Activity.Status.DONE
    assert this_years_activity.assessment == draft


def test_the_safety_representatives_own_confirmation_counts_as_taking_part(draft, cast):
    services.respond(draft, by=cast["skyddsombud"], response=Assessment.Response.CONFIRMED)
    services.approve(draft, by=cast["enhetschef"])
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.APPROVED


def test_every_approved_demo_assessment_had_a_safety_representative_or_a_reason(cast):
    approved = Assessment.objects.filter(
        status__in=[Assessment.Status.APPROVED, Assessment.Status.SUPERSEDED]
    )
    assert approved.exists()
    for assessment in approved:
        assert (
            assessment.participants.filter(capacity=Participant.Capacity.SAFETY_REP).exists()
            or assessment.no_safety_rep_reason
        ), assessment


# Point 17: a people list refuses ids that cannot exist ------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "abc", "-1"])
def test_an_out_of_range_or_non_numeric_participant_is_refused_next_to_the_field(cast, value):
    before = drafts_of(UNIT)
    response = new_form(cast.client("enhetschef"), participants=[value])
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["participants"]
    assert sv("Choose people from the list.") in response.content.decode()
    assert drafts_of(UNIT) == before


def test_an_out_of_range_participant_is_refused_when_changing_a_draft(draft, cast):
    response = step(
        cast.client("enhetschef"),
        draft,
        "edit",
        {
            "assessed_on": TODAY.isoformat(),
            "occasion": "yearly",
            "participants": [cast["skyddsombud"].pk, "99999999999999999999"],
        },
    )
    assert response.status_code == 200
    assert list(response.context["forms"]["edit"].errors) == ["participants"]
    assert list(draft.participants.values_list("user__username", flat=True)) == ["enhetschef"]


# Point 18: the next assessment must be due after this one, said next to the field ----------


def test_next_due_on_or_before_the_assessment_is_a_sentence_next_to_the_field(cast):
    client = cast.client("enhetschef")
    before = drafts_of(UNIT)
    for due in (TODAY, TODAY - timedelta(days=1)):
        response = new_form(client, next_due_on=due.isoformat())
        assert response.status_code == 200
        form = response.context["form"]
        assert list(form.errors) == ["next_due_on"]
        page = response.content.decode()
        assert (
            sv(
                "The next assessment must be due after this one's date, %(date)s.",
                date=TODAY.isoformat(),
            )
            in page
        )
        assert "assessment_next_after" not in page
    assert drafts_of(UNIT) == before


def test_changing_a_draft_to_a_next_due_before_its_date_is_refused_at_the_field(draft, cast):
    response = step(
        cast.client("enhetschef"),
        draft,
        "edit",
        {"assessed_on": TODAY.isoformat(), "occasion": "yearly", "next_due_on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert list(response.context["forms"]["edit"].errors) == ["next_due_on"]
    assert "assessment_next_after" not in response.content.decode()
    before = draft.next_due_on
    draft.refresh_from_db()
    assert draft.next_due_on == before


# Point 19: plausible dates ----------------------------------------------------------------


def test_an_assessment_dated_before_2000_or_far_ahead_is_refused_with_the_bounds(cast):
    client = cast.client("enhetschef")
    before = drafts_of(UNIT)
    latest = TODAY + relativedelta(months=3)
    bounds = {"earliest": "2000-01-01", "latest": latest.isoformat()}
    for day in (date(1899, 12, 31), date(1999, 12, 31), latest + timedelta(days=1)):
        response = new_form(client, assessed_on=day.isoformat())
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["assessed_on"]
        page = response.content.decode()
        assert sv("Enter a date between %(earliest)s and %(latest)s.", **bounds) in page
        # The date input offers the same bounds.
        assert f'min="2000-01-01" max="{latest.isoformat()}"' in page
    assert drafts_of(UNIT) == before
    # The service holds the same bounds for every other caller.
    for day in (date(1899, 12, 31), latest + timedelta(days=1)):
        with pytest.raises(ValidationError) as refused:
            services.start_assessment(unit=cast.unit(UNIT), by=cast["enhetschef"], assessed_on=day)
        assert refused.value.message_dict == {
            "assessed_on": [
                sv("The date of the assessment must be from %(earliest)s to %(latest)s.", **bounds)
            ]
        }
    assert drafts_of(UNIT) == before


def test_an_assessment_dated_at_the_bounds_is_taken(cast):
    client = cast.client("enhetschef")
    before = drafts_of(UNIT)
    assert new_form(client, assessed_on="2000-01-01").status_code == 302
    latest_due = (TODAY + relativedelta(years=5)).isoformat()
    assert new_form(client, next_due_on=latest_due).status_code == 302
    assert drafts_of(UNIT) == before + 2


def test_the_next_assessment_more_than_five_years_ahead_is_refused(cast):
    latest = TODAY + relativedelta(years=5)
    response = new_form(
        cast.client("enhetschef"), next_due_on=(latest + timedelta(days=1)).isoformat()
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["next_due_on"]
    assert (
        sv(
            "The next assessment must be due within five years of this one, by %(latest)s at "
            "the latest.",
            latest=latest.isoformat(),
        )
        in response.content.decode()
    )


def test_a_measure_due_in_2999_is_refused_and_nothing_stored(draft, cast):
    manager = cast["enhetschef"]
    latest = TODAY + relativedelta(years=5)
    response = step(
        cast.client("enhetschef"),
        draft,
        "measure",
        {"what": "Öva larmet", "owner": manager.pk, "due_on": "2999-01-01"},
    )
    assert response.status_code == 200
    assert list(response.context["forms"]["measure"].errors) == ["due_on"]
    page = response.content.decode()
    bounds = {"earliest": TODAY.isoformat(), "latest": latest.isoformat()}
    assert sv("Enter a date between %(earliest)s and %(latest)s.", **bounds) in page
    assert "Öva larmet" in page
    assert not PlanMeasure.objects.filter(assessment=draft).exists()
    # The service holds the same bound for every other caller.
    with pytest.raises(ValidationError) as refused:
        services.add_measure(
            draft,
            by=manager,
            data={"what": "Öva larmet", "owner": manager, "due_on": date(2999, 1, 1)},
        )
    assert refused.value.message_dict == {
        "due_on": [
            sv(
                "The measure must be due within five years, by %(latest)s at the latest.",
                latest=latest.isoformat(),
            )
        ]
    }
    assert not PlanMeasure.objects.filter(assessment=draft).exists()
    # At the bound it is taken.
    services.add_measure(
        draft, by=manager, data={"what": "Öva larmet", "owner": manager, "due_on": latest}
    )


def test_a_follow_up_more_than_a_year_after_the_due_date_is_refused(draft, cast):
    manager = cast["enhetschef"]
    due = TODAY + timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        services.add_measure(
            draft,
            by=manager,
            data={
                "what": "Öva larmet",
                "owner": manager,
                "due_on": due,
                "follow_up_on": due + relativedelta(years=1, days=1),
            },
        )
    assert list(refused.value.message_dict) == ["follow_up_on"]
    assert not PlanMeasure.objects.filter(assessment=draft).exists()


def test_a_measure_done_before_its_assessment_is_refused(draft, cast):
    manager = cast["enhetschef"]
    measure = services.add_measure(
        draft, by=manager, data={"what": "Öva larmet", "owner": manager, "due_on": TODAY}
    )
    response = step(
        cast.client("enhetschef"),
        draft,
        "measure_update",
        {"item": measure.pk, "status": "done", "done_on": "2020-06-01"},
    )
    assert response.status_code == 200
    assert (
        sv(
            "A measure cannot be done before its assessment (%(date)s).",
            date=TODAY.isoformat(),
        )
        in response.content.decode()
    )
    measure.refresh_from_db()
    assert measure.status == PlanMeasure.Status.PLANNED
    assert measure.done_on is None


# Points 25 and 26: tables reachable by keyboard; the print view reflows on a phone ---------


class Regions(HTMLParser):
    """Each table on a page, with the scroll wrapper it sits in (if any), and every id."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.tables: list[dict[str, str | None] | None] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "table":
            wrappers = [
                element
                for element in self.stack
                if "table-wrap" in (element.get("class") or "").split()
            ]
            self.tables.append(wrappers[-1] if wrappers else None)
        if tag not in {"br", "input", "img", "meta", "link", "hr"}:
            self.stack.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"br", "input", "img", "meta", "link", "hr"} and self.stack:
            self.stack.pop()


def regions_of(html: str) -> Regions:
    parser = Regions()
    parser.feed(html)
    return parser


def assert_tables_in_keyboard_regions(html: str) -> None:
    page = regions_of(html)
    assert page.tables, "the page has no table"
    for wrapper in page.tables:
        assert wrapper is not None, "a table outside a scroll region"
        assert wrapper.get("tabindex") == "0"
        assert wrapper.get("role") == "group"
        assert wrapper.get("aria-labelledby") in page.ids


@pytest.mark.parametrize("who", ["enhetschef", "skyddsombud"])
def test_every_table_on_the_assessment_pages_is_in_a_focusable_named_region(draft, cast, who):
    services.add_measure(
        draft,
        by=cast["enhetschef"],
        data={"what": "Öva larmet", "owner": cast["enhetschef"], "due_on": TODAY},
    )
    client = cast.client(who)
    for url in (
        reverse("risk:detail", args=[draft.code]),
        reverse("risk:unit", args=[UNIT]),
        reverse("risk:index"),
        reverse("risk:print", args=[draft.code]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_tables_in_keyboard_regions(response.content.decode())


def test_the_employee_summary_tables_are_in_focusable_named_regions(cast):
    response = cast.client("medarbetare").get(reverse("risk:summary", args=["DEMO-FSE1A"]))
    assert_tables_in_keyboard_regions(response.content.decode())


def test_the_print_view_lets_wide_tables_scroll_in_their_region_on_a_screen(draft, cast):
    page = cast.client("enhetschef").get(reverse("risk:print", args=[draft.code]))
    assert "varna/css/print.css" in page.content.decode()
    stylesheet = Path(finders.find("varna/css/print.css")).read_text()
    screen = re.search(r"@media screen \{(.*?)\n\}", stylesheet, re.S)
    assert screen is not None
    assert re.search(r"\.printout \.table-wrap \{[^}]*overflow-x: auto", screen.group(1))
    narrow = re.search(r"@media screen and \(max-width: 30rem\) \{(.*?)\n\}", stylesheet, re.S)
    assert narrow is not None
    assert re.search(r"\.printout \.facts \{[^}]*grid-template-columns: 1fr", narrow.group(1))
