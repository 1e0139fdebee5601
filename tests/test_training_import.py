"""`import_training`: completed courses from the learning platform's CSV export, all or nothing."""

from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.utils import timezone

from varna.audit.models import SecurityEvent
from varna.orgs.importing import ImportRejected
from varna.training import importing
from varna.training.importing import import_completions
from varna.training.models import Completion, Course

pytestmark = pytest.mark.django_db

HEADER = "employee_id,course,completed_on\n"
GOOD = HEADER + (
    "DEMO-medarbetare,brandskydd,2025-03-14\n"
    "DEMO-forste,brandskydd,2025-03-14\n"
    "DEMO-medarbetare,brandskydd,2022-03-01\n"
    "DEMO-anst0001,forsta-hjalpen,2024-11-30\n"
)


@pytest.fixture
def courses(cast):
    """Two courses of Demo kommun that the demo's own record does not use."""
    demo = cast.unit("DEMO")
    return {
        code: Course.objects.create(municipality=demo, code=code, name=name, validity_months=36)
        for code, name in [("brandskydd", "Brandskydd"), ("forsta-hjalpen", "Första hjälpen")]
    }


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8", bom: bool = False) -> Path:
    path = tmp_path / "kurser.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def run(path: Path, *extra: str) -> str:
    out = StringIO()
    call_command("import_training", str(path), "--municipality", "DEMO", *extra, stdout=out)
    return out.getvalue().strip()


def rejected(path: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as error:
        run(path, "--no-progress", *extra)
    return str(error.value)


def imported(courses) -> int:
    return Completion.objects.filter(course__in=courses.values()).count()


def test_a_clean_file_is_imported_once_and_a_rerun_adds_nothing(courses, tmp_path):
    path = write(tmp_path, GOOD)

    # With the progress bar on, as an operator runs it: it hides itself off a terminal.
    summary = run(path)

    assert summary == ("Klart (Demo kommun): 4 rader; 4 nya genomförda kurser, 0 fanns redan.")
    rows = Completion.objects.filter(course__in=courses.values())
    assert set(rows.values_list("person__username", "course__code", "completed_on")) == {
        ("medarbetare", "brandskydd", date(2025, 3, 14)),
        ("forste", "brandskydd", date(2025, 3, 14)),
        ("medarbetare", "brandskydd", date(2022, 3, 1)),
        ("anst0001", "forsta-hjalpen", date(2024, 11, 30)),
    }
    assert set(rows.values_list("source", "registered_by")) == {("import", None)}
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).latest("pk")
    assert event.detail["import"] == "training"
    assert event.detail["completions_created"] == 4

    assert run(path) == "Klart (Demo kommun): 4 rader; 0 nya genomförda kurser, 4 fanns redan."
    assert imported(courses) == 4


def test_a_file_adds_what_is_new_and_skips_what_a_manager_registered(courses, cast, tmp_path):
    Completion.objects.create(
        person=cast["forste"],
        course=courses["brandskydd"],
        completed_on=date(2025, 3, 14),
        source=Completion.Source.MANAGER,
        registered_by=cast["enhetschef"],
    )

    result = import_completions(write(tmp_path, GOOD), municipality="DEMO", progress=True)

    assert (result.rows, result.created, result.existing) == (4, 3, 1)
    # The manager's registration is left as it was.
    kept = Completion.objects.get(person=cast["forste"], course=courses["brandskydd"])
    assert kept.source == "manager" and kept.registered_by == cast["enhetschef"]


def test_swedish_headers_semicolons_a_bom_and_blank_rows_are_read(courses, tmp_path):
    text = (
        "Anställningsnummer;Kurs;Datum\n"
        "DEMO-medarbetare;brandskydd;2025-03-14\n"
        ";;\n"
        "DEMO-forste;forsta-hjalpen;2025-01-07\n"
    )

    summary = run(write(tmp_path, text, bom=True), "--no-progress")

    assert "2 rader; 2 nya genomförda kurser" in summary
    assert imported(courses) == 2


def test_unknown_employee_ids_are_named_with_their_rows(courses, tmp_path):
    text = GOOD + "DEMO-finns-inte,brandskydd,2025-03-14\n,brandskydd,2025-03-14\n"

    message = rejected(write(tmp_path, text))

    assert 'Rad 6: okänt anställningsnummer "DEMO-finns-inte".' in message
    assert "Rad 7: anställningsnummer (employee_id) saknas." in message
    assert "Filen importerades inte eftersom den har 2 fel:" in message
    assert imported(courses) == 0


def test_someone_employed_in_another_municipality_is_refused(courses, tmp_path):
    text = HEADER + "DEMO-chef.grannby,brandskydd,2025-03-14\n"

    message = rejected(write(tmp_path, text))

    assert 'Rad 2: anställningsnummer "DEMO-chef.grannby" har ingen anställning i Demo kommun.' in (
        message
    )
    assert imported(courses) == 0


def test_an_unknown_course_is_named_with_the_courses_there_are(courses, tmp_path):
    text = GOOD + "DEMO-forste,brandskyd,2025-03-14\n"

    message = rejected(write(tmp_path, text))

    assert 'Rad 6: okänd kurs "brandskyd" (kurser i Demo kommun: affekt, brandskydd,' in message
    assert imported(courses) == 0


def test_bad_and_future_dates_are_refused(courses, tmp_path):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    text = HEADER + (
        "DEMO-medarbetare,brandskydd,14/3/2025\n"
        "DEMO-medarbetare,brandskydd,2025-02-30\n"
        f"DEMO-medarbetare,brandskydd,{tomorrow}\n"
        "DEMO-medarbetare,brandskydd,\n"
        "DEMO-forste,brandskydd,2025-03-14\n"
    )

    message = rejected(write(tmp_path, text))

    assert 'Rad 2: ogiltigt datum "14/3/2025" (skriv ÅÅÅÅ-MM-DD' in message
    assert 'Rad 3: ogiltigt datum "2025-02-30"' in message
    assert f"Rad 4: datumet {tomorrow} ligger i framtiden." in message
    assert "Rad 5: datum (completed_on) saknas." in message
    assert "Rad 6" not in message
    assert imported(courses) == 0


def test_a_date_before_the_person_was_employed_is_refused(courses, tmp_path):
    # The named demo people started on 2019-08-01.
    text = GOOD + "DEMO-medarbetare,forsta-hjalpen,2019-07-31\n"

    message = rejected(write(tmp_path, text))

    assert (
        "Rad 6: datumet 2019-07-31 är före anställningens början (2019-08-01) för "
        'anställningsnummer "DEMO-medarbetare".'
    ) in message
    assert imported(courses) == 0


def test_a_duplicate_row_names_the_earlier_row(courses, tmp_path):
    text = GOOD + "DEMO-forste,brandskydd,2025-03-14\n"

    message = rejected(write(tmp_path, text))

    assert "Rad 6: samma anställningsnummer, kurs och datum som rad 3." in message
    assert imported(courses) == 0


def test_a_file_not_saved_as_utf8_names_the_row_and_imports_nothing(courses, tmp_path):
    text = (
        "anställningsnummer,kurs,datum,namn\n"
        "DEMO-medarbetare,brandskydd,2025-03-14,Sara\n"
        "DEMO-forste,brandskydd,2025-03-14,Jonas\n"
        "DEMO-anst0001,brandskydd,2025-03-14,Åsa\n"
    )
    # The header is plain ASCII apart from "ä"; make only row 4 the one that is not UTF-8.
    path = tmp_path / "latin1.csv"
    lines = text.splitlines(keepends=True)
    path.write_bytes("".join(lines[:3]).encode() + lines[3].encode("cp1252"))

    message = rejected(path)

    assert "Rad 4: filen är inte sparad som UTF-8" in message
    assert "CSV UTF-8" in message
    assert imported(courses) == 0


def test_an_empty_file_and_a_file_with_only_a_header_are_refused(courses, tmp_path):
    assert "Filen är tom." in rejected(write(tmp_path, ""))
    assert "Filen har inga rader under rubrikraden." in rejected(write(tmp_path, HEADER))
    assert "Rad 1: rubrikraden är tom" in rejected(write(tmp_path, "\n" + GOOD))
    assert imported(courses) == 0


def test_a_missing_column_is_named_in_english_and_swedish(courses, tmp_path):
    text = "employee_id,kurs\nDEMO-medarbetare,brandskydd\n"

    message = rejected(write(tmp_path, text))

    assert (
        'Rad 1: kolumnen "completed_on" (eller "datum") saknas (filen har: employee_id, kurs).'
        in (message)
    )
    assert imported(courses) == 0


def test_every_error_is_reported_and_one_bad_row_stops_the_whole_file(courses, tmp_path):
    text = GOOD + "DEMO-finns-inte,okand-kurs,igår\n"

    with pytest.raises(ImportRejected) as error:
        import_completions(write(tmp_path, text), municipality="DEMO", progress=False)

    assert error.value.total == 3
    assert all(line.startswith("Rad 6: ") for line in error.value.errors)
    assert imported(courses) == 0


def test_the_municipality_must_be_named_when_there_are_several(courses, tmp_path):
    path = write(tmp_path, GOOD)

    with pytest.raises(CommandError) as error:
        call_command("import_training", str(path), "--no-progress", stdout=StringIO())
    assert "Ange kommunen med --municipality (det finns flera: DEMO, GRANN)." in str(error.value)

    assert 'Okänd kommun "NOPE".' in rejected(path, "--municipality", "NOPE")
    assert '"DEMO-FSE1" är inte en kommun' in rejected(path, "--municipality", "DEMO-FSE1")
    assert imported(courses) == 0


def test_the_year_plan_is_told_where_completions_were_added(courses, cast, tmp_path):
    from varna.training.signals import completions_added

    told = []

    def listener(sender, *, units, **kwargs):
        told.append({unit.code for unit in units})

    completions_added.connect(listener)
    try:
        run(write(tmp_path, GOOD), "--no-progress")
        run(write(tmp_path, GOOD), "--no-progress")  # nothing new: nothing to tell
    finally:
        completions_added.disconnect(listener)

    assert told == [{"DEMO-FSE1A", cast["anst0001"].employments.get().unit.code}]


def the_drivers_unique_violation() -> Exception:
    """What the database driver itself raises for a duplicate row: on PostgreSQL the import
    writes with psycopg's COPY, which Django's cursor does not translate."""
    if connection.vendor == "postgresql":
        from psycopg.errors import UniqueViolation

        return UniqueViolation("duplicate key value violates unique constraint")
    return connection.Database.IntegrityError("UNIQUE constraint failed")


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(the_drivers_unique_violation, id="driver"),
        pytest.param(lambda: IntegrityError("duplicate"), id="django"),
    ],
)
def test_a_course_registered_during_the_write_refuses_the_file_in_swedish(
    courses, tmp_path, monkeypatch, error
):
    real_insert = importing._insert

    def insert_then_refused(model, names, rows):
        # The rows go in, then the unique constraint refuses one that a manager registered
        # after the check: everything written so far must go back.
        real_insert(model, names, rows)
        raise error()

    monkeypatch.setattr(importing, "_insert", insert_then_refused)
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).count()

    message = rejected(write(tmp_path, GOOD))

    assert "registrerades samtidigt på annat sätt, så inget importerades" in message
    assert "Kör importen igen." in message
    assert imported(courses) == 0
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).count() == events
