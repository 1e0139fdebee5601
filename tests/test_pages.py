from varna.orgs import demo
from varna.orgs.models import Employment, Headcount, Role, RoleGrant, Unit, User


def test_employee_start_page_names_their_manager_and_safety_representative(cast):
    response = cast.client("medarbetare").get("/")
    assert response.status_code == 200
    assert "Jonas Berg" in response.text  # 1:e socialsekreterare of Grupp 1A
    assert "Malin Gustafsson" in response.text  # skyddsombud of Arbetslivsförvaltningen


def test_manager_start_page_has_a_reports_panel_that_explains_itself(cast):
    response = cast.client("enhetschef").get("/")
    assert 'id="reports-title"' in response.text
    assert 'id="admin-title"' not in response.text


def test_administrator_start_page_lists_units_without_this_years_headcount(cast):
    unit = cast.unit("DEMO-MOT")
    Headcount.objects.filter(unit=unit).delete()
    response = cast.client("admin").get("/")
    assert 'id="admin-title"' in response.text
    assert "Mottagning" in response.context["admin"]["missing_headcount"][0].name


def test_staff_list_is_shown_to_the_manager_but_not_to_the_employee(cast):
    manager_view = cast.client("forste").get("/organisation/DEMO-FSE1A/")
    employee_view = cast.client("medarbetare").get("/organisation/DEMO-FSE1A/")
    assert manager_view.context["staff_page"] is not None
    assert "Sara Lindqvist" in manager_view.text
    assert employee_view.context["staff_page"] is None


def test_closed_unit_is_listed_apart_with_its_history(cast):
    response = cast.client("forvaltningschef").get("/organisation/DEMO-ALF/")
    assert [unit.code for unit in response.context["children_closed"]] == ["DEMO-EKB"]
    closed = cast.client("forvaltningschef").get("/organisation/DEMO-EKB/")
    assert closed.status_code == 200


def test_headcount_table_sums_the_subtree(cast):
    response = cast.client("avdelningschef").get("/organisation/DEMO-FSE/")
    latest = response.context["headcounts"][0]
    fse = cast.unit("DEMO-FSE")
    expected = sum(
        Headcount.objects.filter(
            unit__in=Unit.objects.subtree_of(fse), year=latest["year"]
        ).values_list("employees", flat=True)
    )
    assert latest["subtree"] == expected


def test_organisation_overview_shows_only_the_tops_of_the_scope(cast):
    response = cast.client("hr").get("/organisation/")
    assert [unit.code for unit in response.context["tops"]] == ["DEMO-ALF", "DEMO-IFO"]


def test_english_is_one_click_away(cast):
    client = cast.client("medarbetare")
    client.post("/sprak/", {"language": "en", "next": "/"})
    response = client.get("/")
    assert '<html lang="en">' in response.text


def test_demo_has_about_three_hundred_employees_and_every_role(cast):
    assert 280 <= Employment.objects.filter(unit__code__startswith="DEMO").count() <= 320
    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role)
    for login in demo.LOGINS:
        assert User.objects.get(username=login.username).is_demo


def test_loading_the_demo_again_keeps_existing_data(cast):
    unit = cast.unit("DEMO-MOT")
    Unit.objects.filter(pk=unit.pk).update(name="Mottagningen")
    assert demo.load() is False
    assert cast.unit("DEMO-MOT").name == "Mottagningen"


def test_swedish_is_shown_even_to_an_english_browser(cast):
    response = cast.client("medarbetare").get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="sv">' in response.text
    assert "Om något har hänt" in response.text


def test_a_missing_page_is_explained_in_swedish_in_the_site_layout(cast):
    response = cast.client("medarbetare").get("/finns-inte/")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.text or "Sidan kan inte hittas" in response.text
    assert 'href="#main"' in response.text


def test_the_error_page_needs_nothing_from_the_request(db):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Något gick fel" in html and "<main" in html
