"""Training (varna.training): the standing rule, coverage up the tree against a recount,
registering completions and its refusals, access to the pages, and the start page.

The demo may or may not hold training data yet, so every test makes its own courses; the
recount below counts whatever courses exist.
"""

import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from varna.orgs import services as org_services
from varna.orgs import tree
from varna.orgs.models import Employment, Role, RoleGrant, Unit, User
from varna.training import coverage, services
from varna.training.coverage import Status
from varna.training.models import Completion, Course, Requirement
from varna.training.signals import completions_added


def today() -> date:
    """Asked each time, so that a test running over midnight counts from one day."""
    return timezone.localdate()


def ago(**kwargs: int) -> date:
    return today() - relativedelta(**kwargs)


def make_course(municipality: Unit, code: str, months: int | None = 36, **kwargs) -> Course:
    return Course.objects.create(
        municipality=municipality, code=code, name=f"Kurs {code}", validity_months=months, **kwargs
    )


def person(username: str, unit: Unit, *, started: date | None, role: str = Role.EMPLOYEE) -> User:
    user = User.objects.create_user(username, first_name=username.title(), last_name="Testsson")
    org_services.employ(user=user, unit=unit, start_date=started)
    org_services.grant_role(user=user, unit=unit, role=role)
    return user


def complete(user: User, course: Course, day: date) -> None:
    Completion.objects.create(
        person=user, course=course, completed_on=day, source=Completion.Source.IMPORT
    )


# --- the rule, in a municipality of the test's own -------------------------------------------


@pytest.fixture
def town(db):
    """Testby kommun: a förvaltning with two units, one with a work group; three courses."""
    root = org_services.create_unit(code="TRN", name="Testby kommun", kind="kommun")
    admin = org_services.create_unit(
        code="TRN-F", name="Förvaltningen", kind="forvaltning", parent=root
    )
    one = org_services.create_unit(code="TRN-E1", name="Enhet 1", kind="enhet", parent=admin)
    group = org_services.create_unit(
        code="TRN-E1A", name="Grupp 1A", kind="arbetsgrupp", parent=one
    )
    two = org_services.create_unit(code="TRN-E2", name="Enhet 2", kind="enhet", parent=admin)
    basic = make_course(root, "grund", 36)
    forever = make_course(root, "evig", None)
    leading = make_course(root, "chef", 12)
    everyone = Requirement.objects.create(course=basic, within_months=3)
    groups = Requirement.objects.create(course=forever, unit_kind="arbetsgrupp", within_months=6)
    managers = Requirement.objects.create(course=leading, role=Role.MANAGER, within_months=2)
    return {
        "root": root, "admin": admin, "one": one, "group": group, "two": two,
        "basic": basic, "forever": forever, "leading": leading,
        "everyone": everyone, "groups": groups, "managers": managers,
    }  # fmt: skip


def standing(user: User, requirement: Requirement) -> coverage.Standing:
    found = [s for s in coverage.of_person(user.pk, today()) if s.requirement_id == requirement.pk]
    assert len(found) == 1, found
    return found[0]


def test_a_course_completed_a_year_ago_is_valid_until_it_runs_out(town):
    valid = person("giltig", town["one"], started=date(2020, 1, 1))
    complete(valid, town["basic"], ago(years=1))
    result = standing(valid, town["everyone"])
    assert result.status == Status.VALID
    assert result.due_on == ago(years=1) + relativedelta(months=36)
    assert not result.due_within(today())


def test_a_course_running_out_within_90_days_is_expiring_and_due(town):
    expiring = person("snart", town["one"], started=date(2020, 1, 1))
    complete(expiring, town["basic"], ago(months=36) + timedelta(days=30))
    result = standing(expiring, town["everyone"])
    assert result.status == Status.EXPIRING
    assert result.is_valid and result.due_within(today())


def test_a_new_employee_has_until_the_grace_ends_and_is_then_overdue(town):
    new = person("ny", town["two"], started=ago(months=1))
    result = standing(new, town["everyone"])
    assert result.status == Status.NEW
    assert result.due_on == ago(months=1) + relativedelta(months=3)
    assert result.due_within(today()) and not result.is_valid
    late = person("sen", town["two"], started=ago(months=4))
    assert standing(late, town["everyone"]).status == Status.OVERDUE


def test_a_lapsed_course_is_overdue_since_the_day_it_ran_out(town):
    lapsed = person("utgangen", town["two"], started=date(2020, 1, 1))
    complete(lapsed, town["basic"], ago(years=4))
    result = standing(lapsed, town["everyone"])
    assert result.status == Status.OVERDUE
    assert result.due_on == ago(years=4) + relativedelta(months=36)
    assert result.last_completed == ago(years=4)


def test_a_course_valid_for_good_never_runs_out(town):
    member = person("gruppmedlem", town["group"], started=date(2010, 1, 1))
    complete(member, town["forever"], date(2012, 5, 1))
    result = standing(member, town["groups"])
    assert result.status == Status.VALID and result.due_on is None


def test_requirements_for_a_role_or_a_kind_of_unit_apply_to_those_only(town):
    staff = person("handlaggare", town["one"], started=date(2020, 1, 1))
    boss = person("chefen", town["one"], started=date(2020, 1, 1), role=Role.MANAGER)
    member = person("medlem", town["group"], started=date(2020, 1, 1))
    requirements = {
        user.username: {s.requirement_id for s in coverage.of_person(user.pk, today())}
        for user in (staff, boss, member)
    }
    everyone, groups, managers = (town[k].pk for k in ("everyone", "groups", "managers"))
    assert requirements["handlaggare"] == {everyone}
    assert requirements["chefen"] == {everyone, managers}
    assert requirements["medlem"] == {everyone, groups}


def test_a_person_in_two_units_counts_once_up_the_tree(town):
    both = person("dubbel", town["one"], started=date(2020, 1, 1))
    # A second employment begun a month ago does not make them new: the grace runs from their
    # first day in the municipality.
    org_services.employ(user=both, unit=town["two"], start_date=ago(months=1))
    tally = coverage.coverage(town["admin"], today()).by_requirement[town["everyone"].pk]
    assert (tally.staff, tally.new, tally.overdue) == (1, 0, 1)
    below = {
        c.unit.code: c.by_requirement for c in coverage.coverage_of_children(town["admin"], today())
    }
    assert below["TRN-E1"][town["everyone"].pk].overdue == 1
    assert below["TRN-E2"][town["everyone"].pk].overdue == 1
    assert len(coverage.of_person(both.pk, today())) == 1


def test_an_ended_or_future_employment_is_not_staff(town):
    gone = person("slutat", town["one"], started=date(2020, 1, 1))
    Employment.objects.filter(user=gone).update(end_date=ago(days=1))
    person("kommande", town["one"], started=today() + timedelta(days=10))
    assert coverage.coverage(town["admin"], today()).by_requirement == {}


# --- coverage on the unit page equals a recount over the rows --------------------------------


def recount(unit: Unit) -> dict[int, tuple[int, int, int, int]]:
    """(staff, valid, due within 90 days, overdue) per requirement over the unit's subtree,
    counted straight from Employment, RoleGrant and Completion, each person once."""
    soon = today() + timedelta(days=90)
    rank = {"overdue": 0, "new": 1, "expiring": 2, "valid": 3}
    employments = Employment.objects.filter(
        tree.subtree_q(unit.path, "unit__path"),
        Q(start_date__isnull=True) | Q(start_date__lte=today()),
        Q(end_date__isnull=True) | Q(end_date__gte=today()),
    ).select_related("unit")
    best: dict[tuple[int, int], tuple[str, date | None]] = {}
    for employment in employments:
        root = employment.unit.path[: tree.SEGMENT]
        grants = RoleGrant.objects.filter(user=employment.user_id).select_related("unit")
        for requirement in Requirement.objects.filter(
            course__municipality__path=root, course__is_active=True
        ).select_related("course"):
            if requirement.unit_kind and requirement.unit_kind != employment.unit.kind:
                continue
            if requirement.role and not any(
                g.role == requirement.role and employment.unit.path.startswith(g.unit.path)
                for g in grants
            ):
                continue
            days = Completion.objects.filter(
                person=employment.user_id, course=requirement.course, completed_on__lte=today()
            ).values_list("completed_on", flat=True)
            last = max(days, default=None)
            months = requirement.course.validity_months
            until = None if last is None or months is None else last + relativedelta(months=months)
            # The grace runs from the person's first day in the municipality (unknown when
            # any of their employments there has no start date).
            starts = [
                other.start_date
                for other in Employment.objects.filter(user=employment.user_id).select_related(
                    "unit"
                )
                if other.unit.path.startswith(root)
            ]
            first = None if None in starts else min(starts)  # type: ignore[type-var]
            grace = first + relativedelta(months=requirement.within_months) if first else None
            if last is not None and (until is None or until > today()):
                status, due = ("expiring" if until and until <= soon else "valid"), until
            elif grace is not None and grace > today():
                status, due = "new", grace
            else:
                status, due = "overdue", None
            key = (employment.user_id, requirement.pk)
            if key not in best or rank[status] > rank[best[key][0]]:
                best[key] = (status, due)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_person, requirement_id), (status, due) in best.items():
        row = counts[requirement_id]
        row[0] += 1
        row[1] += status in ("valid", "expiring")
        row[2] += status in ("expiring", "new") and due is not None and due <= soon
        row[3] += status == "overdue"
    return {key: tuple(value) for key, value in counts.items()}  # type: ignore[misc]


@pytest.fixture
def alf_training(cast):
    """Two DEMO courses with requirements and completions spread over Arbetslivsförvaltningen."""
    demo = cast.unit("DEMO")
    basic = make_course(demo, "test-grund", 36)
    meeting = make_course(demo, "test-mote", 24)
    Requirement.objects.create(course=basic, within_months=3)
    Requirement.objects.create(course=meeting, role=Role.MANAGER, within_months=6)
    Requirement.objects.create(course=meeting, unit_kind="arbetsgrupp", within_months=12)
    alf = cast.unit("DEMO-ALF")
    people = list(
        User.objects.filter(
            employments__in=Employment.objects.filter(tree.subtree_q(alf.path, "unit__path"))
        )
        .distinct()
        .order_by("pk")
    )
    for index, someone in enumerate(people):
        match index % 5:
            case 0:
                complete(someone, basic, ago(years=1))
            case 1:
                complete(someone, basic, ago(months=36) + timedelta(days=20))
                complete(someone, meeting, ago(months=3))
            case 2:
                complete(someone, basic, ago(years=5))
            case 3:
                complete(someone, meeting, ago(months=23))
    # A new colleague in Grupp 1A, and medarbetare also working part time in Grupp 2A.
    person("nykomling", cast.unit("DEMO-FSE1A"), started=ago(days=20))
    org_services.employ(
        user=cast["medarbetare"], unit=cast.unit("DEMO-FSE2A"), start_date=ago(days=5)
    )
    return basic, meeting


def page_figures(training) -> dict[int, tuple[int, int, int, int]]:
    return {
        row.requirement.pk: (
            row.tally.staff,
            row.tally.covered,
            row.tally.due_soon,
            row.tally.overdue,
        )
        for row in training.rows
    }


def test_the_unit_page_figures_equal_a_recount_for_alf_and_each_unit_below(cast, alf_training):
    client = cast.client("forvaltningschef")
    response = client.get(reverse("training:unit", args=["DEMO-ALF"]))
    assert response.status_code == 200
    training = response.context["training"]
    expected = recount(cast.unit("DEMO-ALF"))
    assert page_figures(training) == expected
    assert {pk for pk in expected} >= {
        r.pk for r in Requirement.objects.filter(course__in=alf_training)
    }
    order = [row.requirement.pk for row in training.rows]
    assert training.children, "Arbetslivsförvaltningen has units below it"
    for child in training.children:
        counted = recount(child.unit)
        shown = {
            pk: (t.staff, t.covered, t.due_soon, t.overdue)
            for pk, t in zip(order, child.tallies, strict=True)
            if t is not None
        }
        assert shown == counted, child.unit.code
        # Each unit below opens on its own page with the same figures.
        below = client.get(reverse("training:unit", args=[child.unit.code]))
        assert page_figures(below.context["training"]) == counted


def test_the_unit_page_names_who_is_overdue_and_who_is_due_soon(cast, alf_training):
    response = cast.client("enhetschef").get(reverse("training:unit", args=["DEMO-FSE1"]))
    training = response.context["training"]
    newcomer = User.objects.get(username="nykomling")
    assert any(row.person == newcomer for row in training.due_soon)
    assert all(row.standing.status == Status.OVERDUE for row in training.overdue)
    page = response.content.decode()
    assert newcomer.get_full_name() in page
    assert reverse("training:register", args=["DEMO-FSE1"]) in page
    assert reverse("training:unit", args=["DEMO-FSE1A"]) in page  # drill down


# --- registering completions -----------------------------------------------------------------


def refused(call, *, text: str) -> ValidationError:
    """`call` is refused with `text` among its messages (in English), and nothing is stored."""
    before = Completion.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        call()
    assert any(text in message for message in info.value.messages), info.value.messages
    assert Completion.objects.count() == before
    return info.value


@pytest.fixture
def basic(cast) -> Course:
    return make_course(cast.unit("DEMO"), "test-reg", 36)


def test_a_completion_in_the_future_is_refused(cast, basic):
    refused(
        lambda: services.register_completions(
            course=basic,
            people=[cast["medarbetare"]],
            completed_on=today() + timedelta(days=1),
            by=cast["forste"],
        ),
        text="cannot be completed in the future",
    )


def test_a_completion_before_the_person_started_is_refused_naming_them(cast, basic):
    error = refused(
        lambda: services.register_completions(
            course=basic,
            people=[cast["medarbetare"]],
            completed_on=date(2019, 7, 31),
            by=cast["forste"],
        ),
        text="started on 2019-08-01",
    )
    assert "Sara Lindqvist" in " ".join(error.messages)


def test_someone_outside_the_registrars_part_is_refused_and_nobody_is_stored(cast, basic):
    outsider = cast["chef.mottagning"]
    error = refused(
        lambda: services.register_completions(
            course=basic,
            people=[cast["medarbetare"], outsider],
            completed_on=ago(days=3),
            by=cast["forste"],
        ),
        text="is not employed in your part of the organisation",
    )
    assert outsider.get_full_name() in " ".join(error.messages)
    assert "Sara Lindqvist" not in " ".join(error.messages)


def test_a_course_of_another_municipality_is_refused(cast):
    grann = make_course(cast.unit("GRANN"), "grann-kurs", 36)
    refused(
        lambda: services.register_completions(
            course=grann, people=[cast["medarbetare"]], completed_on=ago(days=3), by=cast["forste"]
        ),
        text="is not employed in Grannby kommun",
    )


def test_registering_the_same_course_and_day_again_adds_nothing(cast, basic):
    people = [cast["medarbetare"], cast["forste"]]
    day = ago(days=3)
    assert (
        services.register_completions(
            course=basic, people=people, completed_on=day, by=cast["forste"]
        )
        == 2
    )
    assert (
        services.register_completions(
            course=basic, people=people, completed_on=day, by=cast["forste"]
        )
        == 0
    )
    assert Completion.objects.filter(course=basic).count() == 2
    completion = Completion.objects.get(course=basic, person=cast["medarbetare"])
    assert completion.registered_by == cast["forste"]
    assert completion.source == Completion.Source.MANAGER


def register_url(code: str = "DEMO-FSE1A") -> str:
    return reverse("training:register", args=[code])


def test_a_manager_registers_a_course_for_ticked_staff_and_sees_the_count(cast, basic):
    client = cast.client("forste")
    form = client.get(register_url()).context["form"]
    staff = set(form.fields["people"].queryset)
    assert cast["medarbetare"] in staff and cast["chef.mottagning"] not in staff
    assert basic in set(form.fields["course"].queryset)
    response = client.post(
        register_url(),
        {
            "course": basic.pk,
            "completed_on": ago(days=2).isoformat(),
            "people": [cast["medarbetare"].pk],
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("training:unit", args=["DEMO-FSE1A"])
    assert Completion.objects.filter(course=basic, person=cast["medarbetare"]).exists()
    message = [str(m) for m in response.context["messages"]]
    assert any("1" in m and basic.name in m for m in message), message


def test_a_refused_registration_keeps_every_tick_and_stores_nothing(cast, basic):
    client = cast.client("forste")
    ticked = [cast["medarbetare"].pk, cast["forste"].pk]
    response = client.post(
        register_url(),
        {"course": basic.pk, "completed_on": "2019-07-01", "people": ticked},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "people" in form.errors and "Sara Lindqvist" in str(form.errors["people"])
    page = response.content.decode()
    for pk in ticked:
        assert re.search(rf'name="people" value="{pk}"[^>]*checked', page), pk
    assert not Completion.objects.filter(course=basic).exists()


def test_the_form_refuses_a_future_day_a_foreign_course_and_someone_not_listed(cast, basic):
    client = cast.client("forste")
    grann = make_course(cast.unit("GRANN"), "grann-form", 36)
    response = client.post(
        register_url(),
        {
            "course": grann.pk,
            "completed_on": (today() + timedelta(days=1)).isoformat(),
            "people": [cast["chef.mottagning"].pk],
        },
    )
    errors = response.context["form"].errors
    assert {"course", "completed_on", "people"} <= set(errors)
    assert not Completion.objects.filter(course__in=[basic, grann]).exists()


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,code",
    [
        ("medarbetare", "DEMO-FSE1A"),
        ("analytiker", "DEMO"),
        ("analytiker", "DEMO-ALF"),
        ("namnd", "DEMO-ALN"),
        ("namnd", "DEMO-ALF"),
        ("forste", "DEMO-MOT"),
        ("forste", "DEMO-FSE1"),
        ("chef.grannby", "DEMO-ALF"),
        ("admin", "DEMO"),
    ],
)
def test_those_without_training_rights_there_get_404(cast, who, code):
    client = cast.client(who)
    assert client.get(reverse("training:unit", args=[code])).status_code == 404
    assert client.get(register_url(code)).status_code == 404
    assert client.post(register_url(code), {}).status_code == 404


@pytest.mark.parametrize(
    "who,code", [("forste", "DEMO-FSE1A"), ("hr", "DEMO-ALF"), ("hr", "DEMO-MOT")]
)
def test_managers_and_hr_see_and_register_in_their_part(cast, who, code):
    client = cast.client(who)
    assert client.get(reverse("training:unit", args=[code])).status_code == 200
    assert client.get(register_url(code)).status_code == 200


def test_pages_need_a_login(cast):
    for url in (reverse("training:mine"), reverse("training:unit", args=["DEMO"]), register_url()):
        response = cast.client(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- one's own training ----------------------------------------------------------------------


def test_the_start_page_and_own_page_show_ones_own_training(cast, basic):
    Requirement.objects.create(course=basic, within_months=3)
    complete(cast["medarbetare"], basic, ago(years=1))
    client = cast.client("medarbetare")
    start = client.get(reverse("home:start"))
    mine = [item for item in start.context["my_training"] if item.course == basic]
    assert len(mine) == 1 and mine[0].standing.status == Status.VALID
    page = start.content.decode()
    assert 'id="training-title"' in page and basic.name in page
    valid_until = (ago(years=1) + relativedelta(months=36)).isoformat()
    assert valid_until in page
    assert reverse("training:unit", args=["DEMO-FSE1A"]) not in page  # no follow-up for her
    own = client.get(reverse("training:mine"))
    assert own.status_code == 200
    assert basic.name in own.content.decode() and ago(years=1).isoformat() in own.content.decode()


def test_a_manager_finds_their_units_training_from_the_start_page(cast):
    page = cast.client("forvaltningschef").get(reverse("home:start")).content.decode()
    assert reverse("training:unit", args=["DEMO-ALF"]) in page


def test_nothing_about_training_on_the_start_page_when_nothing_applies(cast):
    # Employed in a municipality that has no courses at all.
    elsewhere = org_services.create_unit(code="ENSAM", name="Ensamby kommun", kind="kommun")
    loner = person("ensam", elsewhere, started=date(2020, 1, 1))
    client = cast.client(None)
    client.force_login(loner, backend="varna.accounts.backends.VarnaBackend")
    response = client.get(reverse("home:start"))
    assert response.context["my_training"] == []
    assert 'id="training-title"' not in response.content.decode()


# --- the admin -------------------------------------------------------------------------------


def test_courses_are_kept_by_the_administrators_of_their_municipality(cast, basic):
    change = reverse("admin:training_course_change", args=[basic.pk])
    assert cast.client("admin").get(change).status_code == 200
    assert cast.client("admin.grannby").get(change).status_code == 404
    listing = cast.client("admin.grannby").get(reverse("admin:training_course_changelist"))
    assert basic not in listing.context["cl"].queryset
    assert cast.client("forste").get(change).status_code in (302, 403, 404)


def test_an_administrator_adds_a_course_with_a_requirement(cast):
    client = cast.client("admin")
    response = client.post(
        reverse("admin:training_course_add"),
        {
            "municipality": cast.unit("DEMO").pk,
            "code": "test-admin",
            "name": "Säkerhet vid hembesök",
            "name_en": "",
            "description": "",
            "validity_months": "24",
            "is_active": "on",
            "requirements-TOTAL_FORMS": "1",
            "requirements-INITIAL_FORMS": "0",
            "requirements-MIN_NUM_FORMS": "0",
            "requirements-MAX_NUM_FORMS": "1000",
            "requirements-0-role": "",
            "requirements-0-unit_kind": "enhet",
            "requirements-0-within_months": "3",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    course = Course.objects.get(code="test-admin")
    assert list(course.requirements.values_list("unit_kind", "within_months")) == [("enhet", 3)]


def test_a_registration_tells_the_year_plan_which_units_gained(cast, basic):
    heard: list[set[str]] = []

    def listen(sender, *, units, **kwargs):
        heard.append({unit.code for unit in units})

    completions_added.connect(listen, dispatch_uid="test_training.listen")
    try:
        day = ago(days=4)
        people = [cast["medarbetare"]]
        services.register_completions(
            course=basic, people=people, completed_on=day, by=cast["forste"]
        )
        services.register_completions(
            course=basic, people=people, completed_on=day, by=cast["forste"]
        )
    finally:
        completions_added.disconnect(dispatch_uid="test_training.listen")
    assert heard == [{"DEMO-FSE1A"}]  # the second registration added nothing


def test_a_completion_registered_by_mistake_is_taken_back_by_a_manager(cast):
    course = Course.objects.create(
        municipality=cast.unit("DEMO"), code="tillbaka", name="Kurs att ta tillbaka"
    )
    medarbetare = cast["medarbetare"]
    services.register_completions(
        course=course, people=[medarbetare], completed_on=date(2025, 3, 3), by=cast["forste"]
    )
    mistaken = Completion.objects.get(course=course, person=medarbetare)
    imported = Completion.objects.create(
        person=medarbetare,
        course=course,
        completed_on=date(2025, 2, 2),
        source=Completion.Source.IMPORT,
    )
    client = cast.client("forste")
    page = client.get(reverse("training:unit", args=["DEMO-FSE1A"]))
    assert reverse("training:withdraw", args=["DEMO-FSE1A", mistaken.pk]) in page.content.decode()

    # Someone outside the manager's part of the tree cannot take it back.
    outsider = cast.client("chef.mottagning")
    url = reverse("training:withdraw", args=["DEMO-FSE1A", mistaken.pk])
    assert outsider.post(url).status_code == 404
    assert cast.client("medarbetare").post(url).status_code == 404
    # Nor can the manager through a unit of theirs where the person does not work.
    mottagning = reverse("training:withdraw", args=["DEMO-MOT", mistaken.pk])
    assert cast.client("forvaltningschef").post(mottagning).status_code == 404
    assert Completion.objects.filter(pk=mistaken.pk).exists()

    response = client.post(url, follow=True)
    assert not Completion.objects.filter(pk=mistaken.pk).exists()
    assert "Kurs att ta tillbaka" in response.content.decode()

    # An imported one is corrected at the learning platform: the page says so, nothing goes.
    response = client.post(
        reverse("training:withdraw", args=["DEMO-FSE1A", imported.pk]), follow=True
    )
    assert Completion.objects.filter(pk=imported.pk).exists()
    assert "lärplattformen" in response.content.decode()


def test_a_move_to_another_unit_does_not_start_a_new_employees_grace_again(cast):
    """The months of grace run from the first day in the municipality: someone overdue who
    gets a new employment elsewhere in it is still overdue."""
    course = Course.objects.create(
        municipality=cast.unit("DEMO"), code="flytt", name="Kurs", validity_months=36
    )
    Course.objects.exclude(pk=course.pk).update(is_active=False)
    Requirement.objects.create(course=course, within_months=3)
    person = User.objects.create(username="flyttar", first_name="Flytt", last_name="Are")
    today = timezone.localdate()
    org_services.employ(
        user=person, unit=cast.unit("DEMO-FSE1A"), start_date=today - timedelta(days=400)
    )
    old = Employment.objects.get(user=person)
    old.end_date = today - timedelta(days=10)
    old.save()
    org_services.employ(
        user=person, unit=cast.unit("DEMO-MOT"), start_date=today - timedelta(days=9)
    )

    [standing] = coverage.of_person(person.pk, today)

    assert standing.status == Status.OVERDUE


# --- read once, counted once -----------------------------------------------------------------


def test_the_unit_page_reads_its_subtrees_standings_once(cast, alf_training, monkeypatch):
    """The coverage of the unit, of each unit below it and the people due all come from one
    read of the subtree's standings, and still equal a recount."""
    calls = []
    real = coverage.standings

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage, "standings", counted)
    response = cast.client("forvaltningschef").get(reverse("training:unit", args=["DEMO-ALF"]))
    assert response.status_code == 200
    assert len(calls) == 1
    training = response.context["training"]
    assert page_figures(training) == recount(cast.unit("DEMO-ALF"))
    assert training.overdue and training.children


def test_the_people_counted_are_each_counted_once(town):
    """Coverage says how many people its pairs of person and requirement are about: a manager
    held to two requirements and someone employed in two units are one person each."""
    chef = person("chef", town["one"], started=date(2020, 1, 1), role=Role.MANAGER)
    both = person("bada", town["one"], started=date(2020, 1, 1))
    org_services.employ(user=both, unit=town["two"], start_date=date(2021, 1, 1))
    complete(chef, town["basic"], ago(years=1))
    whole = coverage.coverage(town["admin"], today())
    assert (whole.people, whole.total.staff, whole.total.covered) == (2, 3, 1)
    below = {
        found.unit.code: found for found in coverage.coverage_of_children(town["admin"], today())
    }
    assert (below["TRN-E1"].people, below["TRN-E1"].total.staff) == (2, 3)
    assert (below["TRN-E2"].people, below["TRN-E2"].total.staff) == (1, 1)
    assert coverage.coverage(town["group"], today()).people == 0


def test_the_coverage_version_changes_with_every_row_coverage_reads(town):
    """What the follow-up keys its kept coverage by: any change in the municipality's units,
    staff, roles, courses, requirements or completions changes it; another municipality's
    does not."""
    from varna.training.selectors import coverage_version

    def version() -> tuple[object, ...]:
        return coverage_version([town["one"].path])

    seen = [version()]

    def changed() -> None:
        now = version()
        assert now != seen[-1], len(seen)
        seen.append(now)

    assert version() == seen[0]  # nothing changed, nothing differs
    someone = person("ny", town["one"], started=date(2020, 1, 1))
    changed()
    done = Completion.objects.create(
        person=someone, course=town["basic"], completed_on=ago(days=3), source="manager"
    )
    changed()
    done.delete()  # taken back: the rows are those of before, and so is the version
    assert version() == seen[-2]
    seen.append(version())
    employment = Employment.objects.get(user=someone)
    employment.end_date = ago(days=1)
    employment.save()
    changed()
    org_services.grant_role(user=someone, unit=town["two"], role=Role.MANAGER)
    changed()
    org_services.move_unit(unit=town["group"], new_parent=town["two"])  # paths only
    changed()
    town["everyone"].within_months = 6
    town["everyone"].save()
    changed()
    town["forever"].is_active = False
    town["forever"].save()
    changed()
    # Another municipality's course and completion are no part of it.
    elsewhere = org_services.create_unit(code="ANN", name="Annan kommun", kind="kommun")
    other = make_course(elsewhere, "annan")
    Completion.objects.create(
        person=someone, course=other, completed_on=ago(days=3), source="manager"
    )
    assert version() == seen[-1]
