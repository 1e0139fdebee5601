from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from varna.audit.models import SecurityEvent
from varna.orgs import services, tree
from varna.orgs.models import Headcount, Role, RoleGrant, Unit


def test_subtree_is_every_unit_below_and_nothing_else(cast):
    alf = cast.unit("DEMO-ALF")
    codes = set(Unit.objects.subtree_of(alf).values_list("code", flat=True))
    expected = {"DEMO-ALF", "DEMO-FSE", "DEMO-FSE1", "DEMO-FSE1A", "DEMO-FSE2", "DEMO-FSE2A"}
    expected |= {"DEMO-FSE3", "DEMO-FSE3A", "DEMO-AME", "DEMO-EKB"}
    assert codes == expected


def test_subtree_matches_walking_parents_for_every_unit(cast):
    units = list(Unit.objects.all())
    parent_of = {unit.pk: unit.parent_id for unit in units}

    def below(unit_pk, top_pk):
        while unit_pk is not None:
            if unit_pk == top_pk:
                return True
            unit_pk = parent_of[unit_pk]
        return False

    for top in units:
        by_path = set(Unit.objects.subtree_of(top).values_list("pk", flat=True))
        by_walk = {unit.pk for unit in units if below(unit.pk, top.pk)}
        assert by_path == by_walk, top.code


def test_subtree_is_one_query_on_an_indexed_range(cast):
    alf = cast.unit("DEMO-ALF")
    with CaptureQueriesContext(connection) as queries:
        list(Unit.objects.subtree_of(alf))
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert ">=" in sql and "<" in sql and "LIKE" not in sql.upper()


def test_successor_bounds_every_extension_of_a_path():
    path = tree.segment(7) + tree.segment(99999999)
    assert tree.successor(path) == tree.segment(8) + tree.segment(0)
    child = tree.child_path(path, 5)
    assert path <= child < tree.successor(path)


def test_several_roots_are_separate_trees(cast):
    roots = set(Unit.objects.roots().values_list("code", flat=True))
    assert roots == {"DEMO", "GRANN"}
    demo_tree = Unit.objects.subtree_of(cast.unit("DEMO"))
    assert not demo_tree.filter(code__startswith="GRANN").exists()


def test_moving_a_unit_moves_its_whole_subtree(cast):
    fse1 = cast.unit("DEMO-FSE1")
    ifo = cast.unit("DEMO-IFO")
    services.move_unit(unit=fse1, new_parent=ifo)
    group = cast.unit("DEMO-FSE1A")
    assert group.path.startswith(ifo.path)
    assert group.depth == ifo.depth + 2
    assert Unit.objects.subtree_of(ifo).filter(code="DEMO-FSE1A").exists()
    assert not Unit.objects.subtree_of(cast.unit("DEMO-ALF")).filter(code="DEMO-FSE1A").exists()


def test_a_unit_cannot_be_moved_below_itself(cast):
    with pytest.raises(ValidationError):
        services.move_unit(unit=cast.unit("DEMO-ALF"), new_parent=cast.unit("DEMO-FSE1A"))


def test_closing_a_unit_closes_what_is_below_and_keeps_the_rows(cast):
    fse = cast.unit("DEMO-FSE")
    services.close_unit(unit=fse, valid_to=date(2026, 6, 30))
    closed = Unit.objects.subtree_of(fse)
    assert closed.count() == 7
    assert set(closed.values_list("valid_to", flat=True)) == {date(2026, 6, 30)}
    assert not Unit.objects.active_on(date(2026, 7, 1)).filter(code="DEMO-FSE1A").exists()
    assert Unit.objects.active_on(date(2026, 6, 1)).filter(code="DEMO-FSE1A").exists()


def test_a_unit_cannot_close_before_it_opened(cast):
    with pytest.raises(ValidationError):
        services.close_unit(unit=cast.unit("DEMO-FSE"), valid_to=date(2020, 1, 1))


def test_headcount_is_one_figure_per_unit_and_year(cast):
    unit = cast.unit("DEMO-MOT")
    services.set_headcount(unit=unit, year=2030, employees=15)
    services.set_headcount(unit=unit, year=2030, employees=16)
    assert Headcount.objects.get(unit=unit, year=2030).employees == 16


def test_granting_and_revoking_a_role_is_in_the_security_log(cast):
    person, unit = cast["medarbetare"], cast.unit("DEMO-FSE1A")
    grant = services.grant_role(
        user=person, unit=unit, role=Role.SAFETY_REP, granted_by=cast["admin"]
    )
    services.revoke_role(grant=grant, revoked_by=cast["admin"])
    kinds = list(
        SecurityEvent.objects.filter(subject=person).order_by("pk").values_list("kind", "detail")
    )
    assert kinds[-2:] == [
        ("role_granted", {"role": "safety_rep", "unit": "DEMO-FSE1A"}),
        ("role_revoked", {"role": "safety_rep", "unit": "DEMO-FSE1A"}),
    ]
    assert not RoleGrant.objects.filter(user=person, role=Role.SAFETY_REP).exists()


def test_the_same_role_granted_twice_is_one_grant(cast):
    person, unit = cast["medarbetare"], cast.unit("DEMO-FSE1A")
    services.grant_role(user=person, unit=unit, role=Role.EMPLOYEE)
    assert RoleGrant.objects.filter(user=person, unit=unit, role=Role.EMPLOYEE).count() == 1


def test_a_person_may_be_employed_in_several_units(cast):
    person = cast["medarbetare"]
    services.employ(user=person, unit=cast.unit("DEMO-AME"), title="arbetskonsulent")
    assert person.employments.count() == 2
