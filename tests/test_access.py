import re

import pytest
from django.http import Http404

from varna.orgs import access, services
from varna.orgs.access import Action
from varna.orgs.models import Employment, Role, Unit


def test_a_role_holds_for_the_whole_subtree(cast):
    head = cast["forvaltningschef"]
    assert access.can(head, Action.VIEW_STAFF, cast.unit("DEMO-FSE2A"))
    assert not access.can(head, Action.VIEW_STAFF, cast.unit("DEMO-MOT"))


def test_visible_units_are_exactly_the_subtree(cast):
    units = access.units_for(cast["enhetschef"], Action.VIEW_UNIT)
    assert set(units.values_list("code", flat=True)) == {"DEMO-FSE1", "DEMO-FSE1A"}


def test_manager_of_other_branch_sees_nothing_here(cast):
    other = cast["chef.grannby"]
    staff = access.visible(other, Action.VIEW_STAFF, Employment.objects.all())
    assert not staff.filter(unit__code__startswith="DEMO").exists()
    with pytest.raises(Http404):
        access.get_unit_for(other, "DEMO-FSE1A")


def test_administrator_administers_but_reads_no_case_content(cast):
    admin = cast["admin"]
    assert access.can(admin, Action.ADMINISTER, cast.unit("DEMO-FSE1A"))
    admin_actions = access.ROLE_ACTIONS[Role.ADMIN]
    assert {action for action in admin_actions if action.value.startswith("case")} == set()


def test_analyst_and_auditor_cannot_see_staff_lists(cast):
    for username in ("analytiker", "revisor"):
        assert not access.can(cast[username], Action.VIEW_STAFF, cast.unit("DEMO-FSE1A"))


def test_nested_grants_collapse_to_the_top_of_the_scope(cast):
    person = cast["enhetschef"]
    services.grant_role(user=person, unit=cast.unit("DEMO-ALF"), role=Role.MANAGER)
    assert access.scope_paths(person, Action.VIEW_UNIT) == [cast.unit("DEMO-ALF").path]


def test_inactive_and_anonymous_users_have_no_scope(cast):
    from django.contrib.auth.models import AnonymousUser

    person = cast["enhetschef"]
    person.is_active = False
    assert access.scope_paths(person, Action.VIEW_UNIT) == []
    assert access.scope_paths(AnonymousUser(), Action.VIEW_UNIT) == []


def test_every_role_has_an_entry_in_the_access_table():
    assert set(access.ROLE_ACTIONS) == set(Role)


def test_unknown_unit_code_and_forbidden_unit_look_the_same(cast):
    client = cast.client("enhetschef")
    missing = client.get("/organisation/FINNS-INTE/")
    forbidden = client.get("/organisation/DEMO-MOT/")
    assert missing.status_code == forbidden.status_code == 404

    def page(response):
        # The CSRF token is masked afresh on every page, and the language switch echoes the
        # address asked for; nothing else may differ.
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)
        return text.replace(response.request["PATH_INFO"], "PATH")

    assert page(missing) == page(forbidden)


def test_scope_is_one_query_per_request(cast, django_assert_max_num_queries):
    person = cast["forvaltningschef"]
    with django_assert_max_num_queries(1):
        for unit in Unit.objects.none():
            access.can(person, Action.VIEW_UNIT, unit)
        access.scope_paths(person, Action.VIEW_UNIT)
        access.scope_paths(person, Action.VIEW_STAFF)
