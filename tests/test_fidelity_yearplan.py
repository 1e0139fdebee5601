"""Issue 15 for the year plan: the cooperation group (FSG) follows up reported events at every
meeting (monthly) beside the yearly SAM follow-up, and the central cooperation group (CSG) is
informed after it; HR and committee members see how well the plan is kept in their part of the
organisation, and so does the committee report; the overview reflows at phone width; the
workplace meeting's activity asks for its minutes by the word the evidence field uses."""

import importlib
import io
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.staticfiles import finders
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from pypdf import PdfReader

from varna.orgs.models import Unit
from varna.stats import committee
from varna.stats import selectors as stats_selectors
from varna.yearplan import forms, services
from varna.yearplan.defaults import DEFAULTS
from varna.yearplan.models import Activity, ActivityTemplate, Kind, Recurrence

TODAY = timezone.localdate()
NEXT = TODAY.year + 1
FSG = "Uppföljning av rapporterade händelser i samverkansgruppen (FSG)"
CSG = "Information till centrala samverkansgruppen (CSG)"
SAM = "Årlig uppföljning av det systematiska arbetsmiljöarbetet"
APT = "Genomgång av rapporterade händelser på APT"
COMPLIANCE = reverse("yearplan:compliance")
OVERVIEW = reverse("yearplan:overview")


def sv(text: str) -> str:
    """The text as the Swedish pages show it (HTML-escaped)."""
    with translation.override("sv"):
        return escape(translation.gettext(text))


def default(title: str) -> ActivityTemplate:
    return ActivityTemplate.objects.get(municipality=None, title=title)


# Point 9: the FSG follows up events at every meeting; the CSG is informed ------------------


def test_the_fsg_follows_up_reported_events_every_month_beside_the_yearly_follow_up(cast):
    fsg = default(FSG)
    assert (fsg.kind, fsg.recurrence, fsg.unit_kinds) == (
        Kind.EVENT_REVIEW,
        Recurrence.MONTHLY,
        [Unit.Kind.ADMINISTRATION],
    )
    assert "löpande" in fsg.description and "varje möte" in fsg.description
    services.generate_year(cast.unit("DEMO-ALF"), NEXT)
    reviews = Activity.objects.filter(template=fsg, unit__code="DEMO-ALF", due_on__year=NEXT)
    assert [activity.due_on.month for activity in reviews.order_by("due_on")] == list(range(1, 13))
    # The yearly follow-up in the FSG is still there, once, in February.
    [yearly] = Activity.objects.filter(
        template__title=SAM, unit__code="DEMO-ALF", due_on__year=NEXT
    )
    assert yearly.due_on == date(NEXT, 2, 28 + (NEXT % 4 == 0))
    # Units below the administration hold workplace meetings, not FSG meetings.
    assert not Activity.objects.filter(template=fsg, unit__code="DEMO-FSE1").exists()


def test_the_central_cooperation_group_is_informed_after_the_yearly_follow_up(cast):
    csg = default(CSG)
    assert (csg.recurrence, csg.unit_kinds, csg.due_month) == (
        Recurrence.YEARLY,
        [Unit.Kind.ADMINISTRATION],
        3,
    )
    assert "centrala samverkansgruppen (CSG)" in csg.description
    services.generate_year(cast.unit("DEMO-IFO"), NEXT)
    [informed] = Activity.objects.filter(template=csg, unit__code="DEMO-IFO", due_on__year=NEXT)
    [followed_up] = Activity.objects.filter(
        template__title=SAM, unit__code="DEMO-IFO", due_on__year=NEXT
    )
    assert followed_up.due_on < informed.due_on
    # The yearly follow-up says where its results go.
    assert "(CSG)" in default(SAM).description


def test_the_demo_fsg_reviews_are_done_with_the_fsg_minutes(cast):
    reviews = Activity.objects.filter(
        template__title=FSG, unit__code="DEMO-ALF", due_on__year=TODAY.year - 1
    )
    assert reviews.count() == 12
    done = reviews.filter(status=Activity.Status.DONE)
    assert done.exists()
    assert all("/fsg/demo-alf/" in activity.minutes_url for activity in done)


def test_an_installation_made_before_gets_the_new_activities_and_words(cast):
    """The data migration, on a database that 0002 filled with the earlier defaults."""
    migration = importlib.import_module("varna.yearplan.migrations.0004_fsg_csg_and_minutes")
    Activity.objects.filter(template__title__in=[FSG, CSG]).delete()
    ActivityTemplate.objects.filter(municipality=None, title__in=[FSG, CSG]).delete()
    for title, old in migration.OLD_DESCRIPTIONS.items():
        ActivityTemplate.objects.filter(municipality=None, title=title).update(description=old)
    # An administrator's own wording is left alone.
    ActivityTemplate.objects.filter(municipality=None, title=SAM).update(description="Egen text.")
    migration.forwards(django_apps, None)
    assert default(FSG).recurrence == Recurrence.MONTHLY
    assert default(CSG).due_month == 3
    assert "protokollet" in default(APT).description
    assert default(SAM).description == "Egen text."
    migration.backwards(django_apps, None)
    assert not ActivityTemplate.objects.filter(title__in=[FSG, CSG]).exists()
    assert default(APT).description == migration.OLD_DESCRIPTIONS[APT]


# Point 9: HR and committee members see how well the plan is kept ---------------------------


def recount(paths: list[str], first: date, end: date) -> tuple[int, int, int, int]:
    """(on time, late, overdue, not yet due), one activity at a time."""
    found = [0, 0, 0, 0]
    for activity in Activity.objects.filter(due_on__gte=first, due_on__lt=end).select_related(
        "unit"
    ):
        if not any(activity.unit.path.startswith(path) for path in paths):
            continue
        if activity.is_done:
            done_on = timezone.localtime(activity.done_at).date()
            found[0 if done_on <= activity.due_on else 1] += 1
        elif activity.due_on < TODAY:
            found[2] += 1
        else:
            found[3] += 1
    return found[0], found[1], found[2], found[3]


def shown(rows) -> dict[str, tuple[int, int, int, int]]:
    return {row.unit.code: (row.on_time, row.late, row.overdue, row.upcoming) for row in rows}


@pytest.mark.parametrize(
    ("who", "code"),
    [("hr", "DEMO-ALF"), ("hr", "DEMO-IFO"), ("namnd", "DEMO-ALN"), ("namnd", "DEMO-ALF")],
)
def test_hr_and_the_committee_member_see_the_share_done_on_time_per_unit(cast, who, code):
    year = TODAY.year - 1
    response = cast.client(who).get(COMPLIANCE, {"enhet": code, "ar": year})
    assert response.status_code == 200
    assert not response.context["form"].errors
    rows = response.context["rows"]
    unit = cast.unit(code)
    first, end = date(year, 1, 1), date(year + 1, 1, 1)
    expected = {child.code: recount([child.path], first, end) for child in unit.children.all()}
    own = recount([unit.path], first, end)
    own_only = tuple(
        whole - below
        for whole, below in zip(
            own, [sum(counts[i] for counts in expected.values()) for i in range(4)], strict=True
        )
    )
    if any(own_only):
        expected[unit.code] = own_only
    assert shown(rows) == expected
    assert sum(row.settled for row in rows) > 0
    # Last year is over: every activity is settled.
    assert not any(row.upcoming for row in rows)
    for row in rows:
        if row.settled:
            assert row.share_on_time == round(100 * row.on_time / row.settled)
    # Read-only: no activity, no unit plan, no overview.
    page = response.content.decode()
    assert "/arsplan/aktivitet/" not in page
    assert reverse("yearplan:unit", args=[code]) not in page
    assert sv("Share done on time") in page


def test_the_demo_plan_has_activities_done_late_and_some_not_done(cast):
    response = cast.client("analytiker").get(COMPLIANCE, {"ar": TODAY.year - 1})
    rows = response.context["rows"]
    assert sum(row.late for row in rows) > 0
    assert sum(row.overdue for row in rows) > 0
    assert 50 < sum(row.on_time for row in rows) * 100 / sum(row.settled for row in rows) < 100


def test_the_compliance_of_the_whole_scope_reads_in_a_fixed_number_of_queries(
    cast, django_assert_max_num_queries
):
    from varna.yearplan import selectors

    user, unit = cast["analytiker"], cast.unit("DEMO")
    with django_assert_max_num_queries(4):
        rows = selectors.compliance_rows(
            user, unit, date(TODAY.year, 1, 1), date(TODAY.year + 1, 1, 1), TODAY
        )
        assert sum(row.settled for row in rows) > 0


@pytest.mark.parametrize(
    ("who", "elsewhere", "own"),
    [
        ("hr", "DEMO-VOF", "DEMO-ALF"),
        ("namnd", "DEMO-IFN", "DEMO-ALN"),
        ("namnd", "GRANN", "DEMO-ALN"),
    ],
)
def test_a_unit_outside_their_part_is_refused_next_to_the_field(cast, who, elsewhere, own):
    response = cast.client(who).get(COMPLIANCE, {"enhet": elsewhere})
    assert response.status_code == 200
    assert "enhet" in response.context["form"].errors
    assert response.context["unit"].code == own
    assert cast.unit(elsewhere).name not in {row.unit.name for row in response.context["rows"]}


@pytest.mark.parametrize("who", ["hr", "namnd"])
def test_hr_and_the_committee_member_see_neither_the_plan_nor_its_activities(cast, who):
    client = cast.client(who)
    activity = Activity.objects.filter(unit__code="DEMO-FSE1").first()
    assert client.get(OVERVIEW).status_code == 404
    assert client.get(reverse("yearplan:unit", args=["DEMO-ALF"])).status_code == 404
    assert client.get(reverse("yearplan:activity", args=[activity.code])).status_code == 404
    # The menu leads them to what they may see.
    start = client.get(reverse("home:start")).content.decode()
    assert f'href="{COMPLIANCE}"' in start
    assert f'href="{OVERVIEW}"' not in start


@pytest.mark.parametrize("who", ["medarbetare", "sakerhet", "utredare", "admin"])
def test_roles_that_do_not_follow_the_year_plan_get_404(cast, who):
    client = cast.client(who)
    assert client.get(COMPLIANCE).status_code == 404
    assert f'href="{COMPLIANCE}"' not in client.get(reverse("home:start")).content.decode()


def test_a_manager_goes_between_the_plan_and_how_well_it_is_kept(cast):
    client = cast.client("forvaltningschef")
    overview = client.get(OVERVIEW, {"enhet": "DEMO-FSE", "ar": TODAY.year}).content.decode()
    assert f"{COMPLIANCE}?enhet=DEMO-FSE&amp;ar={TODAY.year}" in overview
    page = client.get(COMPLIANCE, {"enhet": "DEMO-FSE", "ar": TODAY.year}).content.decode()
    assert f"{OVERVIEW}?enhet=DEMO-FSE&amp;ar={TODAY.year}" in page
    assert reverse("yearplan:unit", args=["DEMO-FSE1"]) in page


def test_an_activity_done_after_its_due_date_counts_as_late_not_on_time(cast):
    from varna.yearplan import selectors

    tpl = ActivityTemplate.objects.create(
        municipality=cast.unit("DEMO"),
        title="Sent gjord",
        description="x",
        kind=Kind.OTHER,
        recurrence=Recurrence.QUARTERLY,
        unit_kinds=["enhet"],
    )
    services.generate_year(cast.unit("DEMO-FSE1"), NEXT)
    first, second, third, _fourth = Activity.objects.filter(template=tpl).order_by("due_on")
    by = cast["enhetschef"]
    # The local calendar decides: late at half past midnight after the due date, although
    # that moment is still the due date in UTC.
    late_evening = timezone.make_aware(datetime.combine(first.due_on, time(23, 30)))
    after_midnight = timezone.make_aware(
        datetime.combine(second.due_on + timedelta(days=1), time(0, 30))
    )
    services.complete_activity(first, by=by, note="I tid", now=late_evening)
    services.complete_activity(second, by=by, note="Sent", now=after_midnight)
    today = third.due_on + timedelta(days=1)  # the third is overdue, the fourth not yet due
    [row] = selectors.compliance_of(
        cast["namnd"], [cast.unit("DEMO-FSE1")], date(NEXT, 1, 1), date(NEXT + 1, 1, 1), today
    )
    mine = Activity.objects.filter(unit__path__startswith=cast.unit("DEMO-FSE1").path).exclude(
        template=tpl
    )
    assert not mine.filter(due_on__year=NEXT, status=Activity.Status.DONE).exists()
    others = mine.filter(due_on__year=NEXT)
    assert (row.on_time, row.late) == (1, 1)
    assert row.overdue == 1 + others.filter(due_on__lt=today).count()
    assert row.upcoming == 1 + others.filter(due_on__gte=today).count()


# Point 9: the committee report includes the year plan's compliance -------------------------


def test_the_committee_report_shows_the_year_plan_kept_in_the_committees_scope(cast):
    user = cast["namnd"]
    chosen, _form, problems = stats_selectors.parse(user, QueryDict("period=year"), TODAY)
    assert not problems
    board = stats_selectors.dashboard(user, chosen)
    table = committee.yearplan_table(user, board, TODAY)
    assert table is not None
    period = board.chosen.period
    [row] = table.rows  # the committee's one administration
    alf = cast.unit("DEMO-ALF")
    on_time, late, overdue, upcoming = recount([alf.path], period.first, period.end)
    assert row.label == alf.name
    assert [cell.value for cell in row.cells] == [
        on_time,
        late,
        overdue,
        round(100 * on_time / (on_time + late + overdue)),
        upcoming,
    ]
    pdf = committee.render_pdf(user, board, [], TODAY)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    with translation.override("sv"):
        caption = translation.gettext("The year plan's activities due in the period")
    assert " ".join(caption.split()[:3]) in " ".join(text.split())


def test_the_committee_report_leaves_the_year_plan_out_for_who_may_not_follow_it(cast):
    user = cast["sakerhet"]
    chosen, _form, _problems = stats_selectors.parse(user, QueryDict("period=year"), TODAY)
    board = stats_selectors.dashboard(user, chosen)
    assert committee.yearplan_table(user, board, TODAY) is None


def test_the_committee_report_sums_several_units_with_a_total(cast):
    user = cast["analytiker"]
    chosen, _form, _problems = stats_selectors.parse(
        user, QueryDict("period=year&unit=DEMO"), TODAY
    )
    board = stats_selectors.dashboard(user, chosen)
    table = committee.yearplan_table(user, board, TODAY)
    assert table is not None and len(table.rows) > 2
    *parts, total = table.rows
    assert total.is_total
    for column in (0, 1, 2, 4):
        assert total.cells[column].value == sum(row.cells[column].value for row in parts)
    period = board.chosen.period
    root = cast.unit("DEMO")
    on_time, late, overdue, _upcoming = recount([root.path], period.first, period.end)
    # Activities of the root itself are in no row below it; the demo's root has none.
    assert (total.cells[0].value, total.cells[1].value, total.cells[2].value) == (
        on_time,
        late,
        overdue,
    )


# Point 26: the year plan reflows at phone width ---------------------------------------------

STYLESHEET = "varna/css/yearplan.css"


def stylesheet() -> str:
    return Path(finders.find(STYLESHEET)).read_text()


def narrow_rules() -> str:
    found = re.search(r"@media \(max-width: 60rem\) \{(.*?)\n\}", stylesheet(), re.S)
    assert found is not None
    return found.group(1)


def test_the_year_plan_stylesheet_turns_its_tables_into_lists_at_phone_width():
    rules = narrow_rules()
    assert re.search(r"\.yearplan-list, [^{]*\.yearplan-list td \{[^}]*display: block", rules)
    assert re.search(r"\.yearplan-list \.yearplan-label \{[^}]*position: static", rules)
    assert re.search(r"\.yearplan-list td\.yearplan-empty \{[^}]*display: none", rules)
    # Wider, the region scrolls and holds what is hidden inside it, so the page never does.
    assert re.search(r"^\.yearplan-wrap \{[^}]*position: relative", stylesheet(), re.M)


def assert_reflows(html: str) -> None:
    assert STYLESHEET in html
    tables = re.findall(r"<table class=\"([^\"]*)\">(.*?)</table>", html, re.S)
    assert tables
    for classes, body in tables:
        assert "yearplan-list" in classes.split()
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        assert cells
        # Every cell says what it holds when the header row is no longer beside it.
        assert all(cell.lstrip().startswith('<span class="yearplan-label">') for cell in cells)
    wraps = re.findall(r"<div class=\"table-wrap yearplan-wrap\"([^>]*)>", html)
    assert len(wraps) == len(tables)
    assert all('tabindex="0"' in attrs and 'role="group"' in attrs for attrs in wraps)


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("forste", {}),
        ("enhetschef", {}),
        ("forvaltningschef", {}),
        ("forvaltningschef", {"enhet": "DEMO-FSE", "ar": str(TODAY.year - 1)}),
        ("chef.grannby", {}),
        ("skyddsombud", {"enhet": "DEMO-FSE1"}),
        ("analytiker", {"enhet": "DEMO"}),
        ("revisor", {"enhet": "NOPE", "ar": "abc"}),
    ],
)
def test_the_overview_reflows_for_every_role_and_filter(cast, who, query):
    response = cast.client(who).get(OVERVIEW, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert_reflows(html)
    # Each month cell names its month; an empty one is left out of the list.
    labels = re.findall(r'<span class="yearplan-label">([^<]*)</span>', html)
    assert len(labels) == len(response.context["rows"]) * 13
    assert labels[:2] == ["Januari", "Februari"]
    assert labels[12] == sv("Behind")
    assert 'class="yearplan-empty"' in html


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("hr", {}),
        ("hr", {"enhet": "DEMO-IFO"}),
        ("namnd", {}),
        ("namnd", {"enhet": "DEMO-FSE", "ar": str(TODAY.year - 1)}),
        ("enhetschef", {}),
        ("analytiker", {"enhet": "DEMO"}),
    ],
)
def test_the_compliance_page_reflows_for_every_role_and_filter(cast, who, query):
    response = cast.client(who).get(COMPLIANCE, query)
    assert response.status_code == 200
    assert_reflows(response.content.decode())


def test_the_units_plan_reflows(cast):
    response = cast.client("enhetschef").get(reverse("yearplan:unit", args=["DEMO-FSE1"]))
    assert_reflows(response.content.decode())


# Point 15: the workplace meeting's minutes are "protokoll" in the activity and the field ---


def test_the_workplace_meeting_activity_asks_for_the_minutes_by_the_fields_word(cast):
    with translation.override("sv"):
        label = str(forms.CompleteForm.base_fields["link"].label)
    assert "protokoll" in label
    for title in (APT, FSG):
        text = default(title).description
        assert "protokollet" in text
        assert "minnesanteckning" not in text
    assert not any("minnesanteckning" in fields["description"] for fields in DEFAULTS)
    # The page shows the activity's words and the field's side by side.
    activity = (
        Activity.objects.filter(
            template__title=APT, unit__code="DEMO-FSE1", status=Activity.Status.OPEN
        )
        .order_by("-due_on")
        .first()
    )
    page = cast.client("enhetschef").get(reverse("yearplan:activity", args=[activity.code]))
    html = page.content.decode()
    assert "Länka till protokollet" in html
    assert sv("Link to the minutes") in html
    # The field's hint names both meetings whose minutes are linked.
    assert (
        sv(
            "For example the minutes of the workplace meeting or of the cooperation group, "
            "starting with https://."
        )
        in html
    )
