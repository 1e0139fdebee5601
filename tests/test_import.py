"""The HR imports: `import_org` builds and reshapes the tree, `import_staff` adds people."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from varna.audit.models import SecurityEvent
from varna.orgs import services, tree
from varna.orgs.models import Employment, Role, RoleGrant, Unit, User

pytestmark = pytest.mark.django_db

ORG = """\
unit_code,parent_code,name,kind
IMP-A1,IMP-F1,Barn och unga,avdelning
IMP-F1,IMP-N1,Socialförvaltningen,forvaltning
IMP-N1,IMP-K,Socialnämnden,namnd
IMP-K,,Importkommun,kommun
IMP-N2,IMP-K,Kommunstyrelsen,namnd
"""

STAFF = """\
employee_id,first_name,last_name,email,unit_code,role,title
E100,Anna,Berg,anna.berg@example.se,IMP-A1,,Socialsekreterare
E101,Bo,Ek,bo.ek@example.se,IMP-A1,manager,Enhetschef
E101,Bo,Ek,bo.ek@example.se,IMP-F1,safety_rep,
"""


def write(tmp_path: Path, text: str, *, name: str = "import.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def run(command: str, path: Path) -> str:
    out = StringIO()
    call_command(command, str(path), "--no-progress", stdout=out)
    return out.getvalue().strip()


def rejected(command: str, path: Path) -> str:
    with pytest.raises(CommandError) as error:
        call_command(command, str(path), "--no-progress", stdout=StringIO())
    return str(error.value)


def imported_units() -> dict[str, Unit]:
    return {unit.code: unit for unit in Unit.objects.filter(code__startswith="IMP-")}


@pytest.fixture
def org(tmp_path: Path) -> dict[str, Unit]:
    run("import_org", write(tmp_path, ORG, name="org.csv"))
    return imported_units()


def test_clean_import_builds_the_tree_with_paths_made_of_ids(tmp_path):
    output = run("import_org", write(tmp_path, ORG))

    assert output == "Klart: 5 nya enheter, 0 ändrade, 0 oförändrade."
    units = imported_units()
    kommun, namnd, forvaltning = units["IMP-K"], units["IMP-N1"], units["IMP-F1"]
    assert kommun.parent is None and kommun.path == tree.segment(kommun.pk) and kommun.depth == 0
    assert forvaltning.parent == namnd
    assert units["IMP-A1"].path == (
        tree.segment(kommun.pk)
        + tree.segment(namnd.pk)
        + tree.segment(forvaltning.pk)
        + tree.segment(units["IMP-A1"].pk)
    )
    assert units["IMP-A1"].depth == 3
    assert units["IMP-N1"].kind == Unit.Kind.COMMITTEE
    below_namnd = set(Unit.objects.subtree_of(namnd).values_list("code", flat=True))
    assert below_namnd == {"IMP-N1", "IMP-F1", "IMP-A1"}
    assert set(Unit.objects.subtree_of(kommun).values_list("code", flat=True)) == set(units)


def test_rerun_changes_nothing_and_duplicates_nothing(tmp_path, org):
    before = {code: (unit.path, unit.name, unit.parent_id) for code, unit in org.items()}

    output = run("import_org", write(tmp_path, ORG))

    assert output == "Klart: 0 nya enheter, 0 ändrade, 5 oförändrade."
    after = {
        code: (unit.path, unit.name, unit.parent_id) for code, unit in imported_units().items()
    }
    assert after == before


def test_renamed_and_moved_unit_is_updated_and_its_subtree_follows(tmp_path, org):
    # IMP-A1 is left out: a unit only in the database still follows its parent.
    moved = """\
unit_code,parent_code,name,kind
IMP-K,,Importkommun,kommun
IMP-N1,IMP-K,Socialnämnden,namnd
IMP-N2,IMP-K,Kommunstyrelsen,namnd
IMP-F1,IMP-N2,Stadsledningsförvaltningen,förvaltning
"""
    output = run("import_org", write(tmp_path, moved))

    assert output == "Klart: 0 nya enheter, 1 ändrad, 3 oförändrade. 1 enhet följde med vid flytt."
    units = imported_units()
    n2, f1, a1 = units["IMP-N2"], units["IMP-F1"], units["IMP-A1"]
    assert f1.name == "Stadsledningsförvaltningen" and f1.parent == n2
    assert f1.path == n2.path + tree.segment(f1.pk) and f1.depth == 2
    assert a1.path == f1.path + tree.segment(a1.pk) and a1.depth == 3
    assert set(Unit.objects.subtree_of(units["IMP-N1"]).values_list("code", flat=True)) == {
        "IMP-N1"
    }
    assert set(Unit.objects.subtree_of(n2).values_list("code", flat=True)) == {
        "IMP-N2",
        "IMP-F1",
        "IMP-A1",
    }


def test_parent_may_already_exist_in_the_database(tmp_path):
    kommun = services.create_unit(code="IMP-OLD", name="Gammal kommun", kind=Unit.Kind.MUNICIPALITY)
    child = "unit_code,parent_code,name,kind\nIMP-NEW,IMP-OLD,Ny nämnd,nämnd\n"

    run("import_org", write(tmp_path, child))

    new = Unit.objects.get(code="IMP-NEW")
    assert new.parent == kommun and new.path == kommun.path + tree.segment(new.pk)


def test_semicolons_bom_and_swedish_kind_labels_are_understood(tmp_path):
    text = (
        "unit_code;parent_code;name;kind;valid_from;valid_to\n"
        "IMP-K;;Importkommun;Kommun;2020-01-01;\n"
        "IMP-N1;IMP-K;Socialnämnden;Nämnd;2021-05-01;2030-12-31\n"
        "IMP-F1;IMP-N1;Socialförvaltningen;FÖRVALTNING;;\n"
    )
    run("import_org", write(tmp_path, text, bom=True))

    units = imported_units()
    assert units["IMP-N1"].kind == Unit.Kind.COMMITTEE
    assert units["IMP-F1"].kind == Unit.Kind.ADMINISTRATION
    assert str(units["IMP-N1"].valid_from) == "2021-05-01"
    assert str(units["IMP-N1"].valid_to) == "2030-12-31"
    assert units["IMP-F1"].parent == units["IMP-N1"]


def test_errors_are_listed_in_swedish_by_row_and_nothing_is_imported(tmp_path):
    text = """\
unit_code,parent_code,name,kind,valid_from
IMP-K,,Importkommun,kommun,
IMP-N1,IMP-K,Socialnämnden,foo,
IMP-N1,IMP-K,Dubblett,namnd,
IMP-F1,IMP-X,Förvaltning,forvaltning,
IMP-A1,IMP-K,,avdelning,2024-13-01
"""
    message = rejected("import_org", write(tmp_path, text))

    assert "Filen importerades inte eftersom den har 5 fel:" in message
    assert 'Rad 3: okänd enhetstyp "foo" (giltiga: kommun, nämnd, förvaltning,' in message
    assert 'Rad 4: enhetskoden "IMP-N1" finns redan på rad 3.' in message
    assert 'Rad 5: överordnad enhet "IMP-X" finns varken i filen eller i Värna.' in message
    assert "Rad 6: namn (name) saknas." in message
    assert 'Rad 6: ogiltigt datum "2024-13-01" i valid_from (skriv ÅÅÅÅ-MM-DD).' in message
    assert imported_units() == {}


def test_a_cycle_in_parent_codes_is_an_error(tmp_path):
    text = """\
unit_code,parent_code,name,kind
IMP-K,,Importkommun,kommun
IMP-N1,IMP-F1,Socialnämnden,namnd
IMP-F1,IMP-N1,Socialförvaltningen,forvaltning
IMP-A1,IMP-A1,Avdelning,avdelning
"""
    message = rejected("import_org", write(tmp_path, text))

    assert 'Rad 3: parent_code bildar en cykel: "IMP-N1" → "IMP-F1" → "IMP-N1"' in message
    assert 'Rad 5: enheten "IMP-A1" anges som överordnad till sig själv.' in message
    assert imported_units() == {}


def test_moving_a_unit_below_its_own_descendant_is_a_cycle(tmp_path, org):
    text = "unit_code,parent_code,name,kind\nIMP-N1,IMP-A1,Socialnämnden,namnd\n"

    message = rejected("import_org", write(tmp_path, text))

    assert "Rad 2: parent_code bildar en cykel" in message
    assert Unit.objects.get(code="IMP-N1").parent == org["IMP-K"]


def test_org_import_is_one_entry_in_the_security_log(tmp_path):
    run("import_org", write(tmp_path, ORG))

    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).latest("created_at")
    assert event.detail["import"] == "units" and event.detail["created"] == 5


def test_staff_import_creates_person_employment_and_role(tmp_path, org):
    output = run("import_staff", write(tmp_path, STAFF))

    assert output == (
        "Klart: 2 nya personer, 0 ändrade, 0 oförändrade; "
        "3 nya anställningar, 0 ändrade; 3 nya roller, 0 ändrade."
    )
    anna = User.objects.get(username="E100")
    assert (anna.first_name, anna.last_name, anna.email) == ("Anna", "Berg", "anna.berg@example.se")
    assert anna.employee_number == "E100" and not anna.has_usable_password()
    assert Employment.objects.get(user=anna).title == "Socialsekreterare"
    assert RoleGrant.objects.get(user=anna).role == Role.EMPLOYEE
    bo = User.objects.get(username="E101")
    grants = set(RoleGrant.objects.filter(user=bo).values_list("unit__code", "role", "title"))
    assert grants == {("IMP-A1", "manager", "Enhetschef"), ("IMP-F1", "safety_rep", "")}
    assert Employment.objects.filter(user=bo).count() == 2


def test_staff_import_logs_its_role_grants_as_one_security_event(tmp_path, org):
    events_before = SecurityEvent.objects.count()

    run("import_staff", write(tmp_path, STAFF))

    assert SecurityEvent.objects.count() == events_before + 1
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).latest("created_at")
    assert event.detail["roles_granted"] == 3
    assert event.detail["roles_granted_by_role"] == {"employee": 1, "manager": 1, "safety_rep": 1}


def test_staff_rerun_changes_nothing_and_duplicates_nothing(tmp_path, org):
    path = write(tmp_path, STAFF)
    run("import_staff", path)

    output = run("import_staff", path)

    assert output == (
        "Klart: 0 nya personer, 0 ändrade, 2 oförändrade; "
        "0 nya anställningar, 0 ändrade; 0 nya roller, 0 ändrade."
    )
    assert User.objects.filter(username__in=["E100", "E101"]).count() == 2
    assert Employment.objects.filter(user__username__in=["E100", "E101"]).count() == 3
    assert RoleGrant.objects.filter(user__username__in=["E100", "E101"]).count() == 3


def test_staff_rerun_applies_changed_names_emails_and_titles(tmp_path, org):
    run("import_staff", write(tmp_path, STAFF))
    changed = STAFF.replace("Anna,Berg,anna.berg@", "Anna,Lind,anna.lind@").replace(
        "Enhetschef", "1:e socialsekreterare"
    )

    output = run("import_staff", write(tmp_path, changed))

    assert output.startswith("Klart: 0 nya personer, 1 ändrad, 1 oförändrad;")
    anna = User.objects.get(username="E100")
    assert (anna.last_name, anna.email) == ("Lind", "anna.lind@example.se")
    grant = RoleGrant.objects.get(user__username="E101", role=Role.MANAGER)
    assert grant.title == "1:e socialsekreterare"
    assert Employment.objects.get(user__username="E101", unit=org["IMP-A1"]).title == (
        "1:e socialsekreterare"
    )


def test_swedish_role_names_a_single_name_column_semicolons_and_bom_work(tmp_path, org):
    text = (
        "employee_id;name;email;unit_code;role\n"
        "E200;Svensson, Eva;eva@example.se;IMP-F1;Skyddsombud\n"
        "E201;Per Olof Nilsson;;IMP-A1;chef\n"
        "E202;Kim Ek;;IMP-K;Säkerhetssamordnare\n"
        "E203;Lo Ek;;IMP-K;administratör\n"
    )
    run("import_staff", write(tmp_path, text, bom=True))

    roles = dict(
        RoleGrant.objects.filter(user__username__startswith="E2").values_list(
            "user__username", "role"
        )
    )
    assert roles == {
        "E200": Role.SAFETY_REP,
        "E201": Role.MANAGER,
        "E202": Role.SECURITY,
        "E203": Role.ADMIN,
    }
    eva, per = User.objects.get(username="E200"), User.objects.get(username="E201")
    assert (eva.first_name, eva.last_name) == ("Eva", "Svensson")
    assert (per.first_name, per.last_name) == ("Per Olof", "Nilsson")


def test_staff_errors_are_listed_by_row_and_nothing_is_imported(tmp_path, org):
    User.objects.create_user(username="someone", employee_number="E305")
    text = """\
employee_id,first_name,last_name,email,unit_code,role
E300,Anna,Berg,anna@example.se,IMP-NOPE,
E301,Bo,Ek,inte-en-adress,IMP-A1,
E302,Cy,Ek,,IMP-A1,trollkarl
E303,Di,Ek,,IMP-A1,
E303,Dan,Ek,,IMP-F1,
E304,Ed,Ek,,IMP-A1,chef
E304,Ed,Ek,,IMP-A1,manager
E305,Fia,Ek,,IMP-A1,
,Gun,Ek,,IMP-A1,
"""
    message = rejected("import_staff", write(tmp_path, text))

    assert 'Rad 2: okänd enhetskod "IMP-NOPE" (importera organisationen först).' in message
    assert 'Rad 3: ogiltig e-postadress "inte-en-adress".' in message
    assert 'Rad 4: okänd roll "trollkarl" (giltiga: medarbetare, chef, skyddsombud,' in message
    assert 'Rad 6: anställningsnummer "E303" har ett annat namn' in message
    assert "än på rad 5." in message
    assert (
        'Rad 8: anställningsnummer "E304" har redan rollen chef i samma enhet på en tidigare rad.'
        in message
    )
    assert 'Rad 9: anställningsnummer "E305" tillhör redan kontot "someone".' in message
    assert "Rad 10: anställningsnummer (employee_id) saknas." in message
    assert not User.objects.filter(username__startswith="E30").exists()


def test_a_file_missing_a_required_column_is_rejected(tmp_path, org):
    text = "employee_id,first_name,last_name,email\nE400,Anna,Berg,a@example.se\n"

    message = rejected("import_staff", write(tmp_path, text))

    assert 'Rad 1: kolumnen "unit_code" saknas' in message


def test_employment_title_comes_from_the_first_row_that_has_one(tmp_path, org):
    text = """\
employee_id,first_name,last_name,unit_code,role,title
E500,Ulla,Ek,IMP-A1,chef,
E500,Ulla,Ek,IMP-A1,,Socionom
E500,Ulla,Ek,IMP-A1,skyddsombud,Huvudskyddsombud
"""
    run("import_staff", write(tmp_path, text))

    employment = Employment.objects.get(user__username="E500")
    assert employment.title == "Socionom"
    assert RoleGrant.objects.filter(user__username="E500").count() == 3


def test_max_errors_shortens_the_list_but_counts_every_error(tmp_path):
    rows = "".join(f"IMP-{n},,Enhet {n},okänd\n" for n in range(5))
    path = write(tmp_path, "unit_code,parent_code,name,kind\n" + rows)

    with pytest.raises(CommandError) as error:
        call_command("import_org", str(path), "--max-errors", "2", stdout=StringIO())

    message = str(error.value)
    assert "har 5 fel:" in message and "Rad 3: okänd enhetstyp" in message
    assert "Rad 4:" not in message
    assert "… och 3 fel till (visa alla med --max-errors 0)." in message


def test_a_file_not_saved_as_utf8_is_rejected_with_advice(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("unit_code,parent_code,name,kind\nIMP-K,,Växjö,kommun\n".encode("cp1252"))

    message = rejected("import_org", path)

    assert "filen är inte sparad som UTF-8" in message
    assert imported_units() == {}


def test_a_municipality_made_by_the_import_gets_the_default_handbook(tmp_path):
    from varna.handbook.models import Section

    run("import_org", write(tmp_path, ORG))

    kommun = imported_units()["IMP-K"]
    published = Section.objects.filter(municipality=kommun, current__isnull=False)
    assert set(published.values_list("slug", flat=True)) == {
        "efter-en-handelse",
        "stod",
        "polisanmalan",
        "korruption",
    }
    # Units below the municipality get no handbook of their own, and a second run adds nothing.
    assert not Section.objects.filter(municipality__code="IMP-F1").exists()
    run("import_org", write(tmp_path, ORG))
    assert Section.objects.filter(municipality=kommun).count() == 4
