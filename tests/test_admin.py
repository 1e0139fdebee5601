"""The administrator's tool: scoped to their subtrees, and unable to turn itself into reading."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError

from varna.audit.models import SecurityEvent
from varna.orgs import services
from varna.orgs.models import Role, RoleGrant, User


@pytest.fixture
def department_admin(cast):
    """An administrator of Arbetslivsförvaltningen only."""
    person = User.objects.create_user("alf.admin", password="x", first_name="Alf")
    services.employ(user=person, unit=cast.unit("DEMO-ALF"), title="systemförvaltare")
    services.grant_role(user=person, unit=cast.unit("DEMO-ALF"), role=Role.ADMIN)
    # Administrators read many people's data: their second factor is set up.
    TOTP.activate(person, generate_totp_secret())
    client = cast.client(None)
    client.force_login(person, backend="varna.accounts.backends.VarnaBackend")
    return client


def test_admin_of_another_municipality_cannot_grant_a_role_to_our_people(cast):
    client = cast.client("admin.grannby")
    target = cast["sakerhet"]
    response = client.post(
        "/admin/orgs/rolegrant/add/",
        {"user": target.pk, "role": "employee", "unit": cast.unit("GRANN-EB").pk, "title": ""},
    )
    assert response.status_code == 200  # the form again, with an error on the user field
    assert "user" in response.context["adminform"].form.errors
    assert not RoleGrant.objects.filter(user=target, unit__code="GRANN-EB").exists()
    assert client.get(f"/admin/orgs/user/{target.pk}/password/").status_code == 404


def test_a_person_with_a_role_outside_the_subtree_is_out_of_reach(cast, department_admin):
    reader = cast["forste"]  # employed in Grupp 1A, inside Arbetslivsförvaltningen
    assert department_admin.get(f"/admin/orgs/user/{reader.pk}/password/").status_code == 200
    services.grant_role(user=reader, unit=cast.unit("DEMO"), role=Role.SECURITY)
    assert department_admin.get(f"/admin/orgs/user/{reader.pk}/password/").status_code == 404
    assert department_admin.get(f"/admin/orgs/user/{reader.pk}/change/").status_code == 404


def test_an_administrator_cannot_give_themselves_a_role(cast):
    admin = cast["admin"]
    with pytest.raises(ValidationError):
        services.grant_role(user=admin, unit=cast.unit("DEMO"), role=Role.MANAGER, granted_by=admin)
    response = cast.client("admin").post(
        "/admin/orgs/rolegrant/add/",
        {"user": admin.pk, "role": "manager", "unit": cast.unit("DEMO").pk, "title": ""},
    )
    assert "user" in response.context["adminform"].form.errors
    assert not RoleGrant.objects.filter(user=admin, role=Role.MANAGER).exists()


def test_a_department_admin_cannot_cut_the_department_out_of_the_municipality(
    cast, department_admin
):
    unit = cast.unit("DEMO-ALF")
    response = department_admin.post(
        f"/admin/orgs/unit/{unit.pk}/change/",
        {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent": "",
            "valid_from": unit.valid_from.isoformat(),
            "valid_to": "",
            "headcounts-TOTAL_FORMS": "0",
            "headcounts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert cast.unit("DEMO-ALF").parent == cast.unit("DEMO-ALN")


def test_moving_a_unit_is_in_the_security_log(cast):
    services.move_unit(
        unit=cast.unit("DEMO-AME"), new_parent=cast.unit("DEMO-IFO"), moved_by=cast["admin"]
    )
    event = SecurityEvent.objects.filter(kind="unit_moved").latest("pk")
    assert event.detail == {"unit": "DEMO-AME", "new_parent": "DEMO-IFO"}
    assert event.actor == cast["admin"]
