"""The demo municipality: Demo kommun's social cluster, modelled on a Swedish municipality,
and a small neighbour (Grannby kommun) so that the demo shows several roots.

Everything is built through the services, deterministically (a fixed random seed), so the
demo looks the same on every machine. Loading is skipped when Demo kommun already exists.
"""

import random
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction

from varna.orgs import services
from varna.orgs.models import Role, Unit, User

DEMO_ROOT_CODE = "DEMO"
FIRST_NAMES = """
Anna Eva Maria Karin Sara Lena Emma Kerstin Malin Ingrid Sofia Linda Elin Hanna Johanna Erik
Lars Karl Anders Johan Per Nils Jonas Mikael Fredrik Ali Fatima Amir Leyla Oskar Ahmed Mohammed
Yasmin Aida Nora Elsa Alva Lukas Hugo Liam Noah Selma Tove Dragan Mirela
""".split()  # noqa: SIM905
LAST_NAMES = """
Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson
Pettersson Jonsson Jansson Hansson Bengtsson Lindberg Lindqvist Berg Axelsson Holm Hassan Ali
Mohammadi Yilmaz Kovač Lund Sandberg Forsberg Sjöberg Wallin Engström Ek
""".split()  # noqa: SIM905


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


# (code, parent code, name, kind, staff, title of staff)
UNITS: list[tuple[str, str | None, str, str, int, str]] = [
    ("DEMO", None, "Demo kommun", "kommun", 0, ""),
    ("DEMO-KS", "DEMO", "Kommunstyrelsen", "namnd", 0, ""),
    ("DEMO-KLF", "DEMO-KS", "Kommunledningsförvaltningen", "forvaltning", 4, "handläggare"),
    ("DEMO-HR", "DEMO-KLF", "HR-avdelningen", "avdelning", 6, "HR-konsult"),
    ("DEMO-SAK", "DEMO-KLF", "Säkerhetsenheten", "enhet", 4, "säkerhetssamordnare"),
    ("DEMO-ALN", "DEMO", "Arbetslivsnämnden", "namnd", 0, ""),
    ("DEMO-ALF", "DEMO-ALN", "Arbetslivsförvaltningen", "forvaltning", 3, "controller"),
    ("DEMO-FSE", "DEMO-ALF", "Försörjningsenheten", "avdelning", 2, "administratör"),
    ("DEMO-FSE1", "DEMO-FSE", "Försörjningsstöd 1", "enhet", 0, ""),
    ("DEMO-FSE1A", "DEMO-FSE1", "Grupp 1A", "arbetsgrupp", 7, "socialsekreterare"),
    ("DEMO-FSE2", "DEMO-FSE", "Försörjningsstöd 2", "enhet", 0, ""),
    ("DEMO-FSE2A", "DEMO-FSE2", "Grupp 2A", "arbetsgrupp", 7, "socialsekreterare"),
    ("DEMO-FSE3", "DEMO-FSE", "Försörjningsstöd 3, unga vuxna", "enhet", 0, ""),
    ("DEMO-FSE3A", "DEMO-FSE3", "Grupp 3A", "arbetsgrupp", 7, "socialsekreterare"),
    ("DEMO-AME", "DEMO-ALF", "Arbetsmarknadsenheten", "enhet", 22, "arbetskonsulent"),
    ("DEMO-EKB", "DEMO-ALF", "Ekonomiskt bistånd (före 2025)", "enhet", 0, ""),
    ("DEMO-IFN", "DEMO", "Individ- och familjeomsorgsnämnden", "namnd", 0, ""),
    ("DEMO-IFO", "DEMO-IFN", "IFO-förvaltningen", "forvaltning", 3, "utvecklingsledare"),
    ("DEMO-MOT", "DEMO-IFO", "Mottagning", "enhet", 14, "socialsekreterare"),
    ("DEMO-BOU", "DEMO-IFO", "Barn och unga", "enhet", 38, "socialsekreterare"),
    ("DEMO-VUX", "DEMO-IFO", "Vuxen", "enhet", 26, "socialsekreterare"),
    ("DEMO-OFN", "DEMO", "Överförmyndarnämnden", "namnd", 0, ""),
    ("DEMO-OFK", "DEMO-OFN", "Överförmyndarkansliet", "enhet", 9, "handläggare"),
    ("DEMO-VON", "DEMO", "Vård- och omsorgsnämnden", "namnd", 0, ""),
    (
        "DEMO-VOF",
        "DEMO-VON",
        "Vård- och omsorgsförvaltningen",
        "forvaltning",
        3,
        "kvalitetsutvecklare",
    ),
    ("DEMO-BIS", "DEMO-VOF", "Biståndsenheten", "enhet", 16, "biståndshandläggare"),
    ("DEMO-LSS", "DEMO-VOF", "LSS-handläggning", "enhet", 10, "LSS-handläggare"),
    ("DEMO-HEM", "DEMO-VOF", "Hemtjänst Centrum", "enhet", 60, "undersköterska"),
    ("DEMO-SOL", "DEMO-VOF", "Särskilt boende Solrosen", "enhet", 48, "undersköterska"),
    ("GRANN", None, "Grannby kommun", "kommun", 0, ""),
    ("GRANN-SN", "GRANN", "Socialnämnden", "namnd", 0, ""),
    ("GRANN-SF", "GRANN-SN", "Socialförvaltningen", "forvaltning", 2, "utvecklingsledare"),
    ("GRANN-EB", "GRANN-SF", "Ekonomiskt bistånd", "enhet", 12, "socialsekreterare"),
]
# Employees per unit this year, as the HR system counts them: more than the demo has logins
# for (a few named people and some colleagues per unit), so that the events per 100 employees
# are those of a real municipality (varna.reporting.demo). Units not listed count their logins.
HEADCOUNTS: dict[str, int] = {
    "DEMO-KLF": 60, "DEMO-HR": 40, "DEMO-SAK": 8,
    "DEMO-ALF": 20, "DEMO-FSE": 10, "DEMO-FSE1": 6, "DEMO-FSE1A": 84, "DEMO-FSE2": 6,
    "DEMO-FSE2A": 84, "DEMO-FSE3": 6, "DEMO-FSE3A": 68, "DEMO-AME": 90,
    # Before 2025 economic assistance was one unit, with the staff Försörjningsenheten has now.
    "DEMO-EKB": 250,
    "DEMO-IFO": 14, "DEMO-MOT": 64, "DEMO-BOU": 190, "DEMO-VUX": 120,
    "DEMO-OFK": 30,
    "DEMO-VOF": 20, "DEMO-BIS": 64, "DEMO-LSS": 36, "DEMO-HEM": 520, "DEMO-SOL": 380,
    "GRANN-SF": 4, "GRANN-EB": 24,
}  # fmt: skip
CLOSED = {"DEMO-EKB": (date(2015, 1, 1), date(2024, 12, 31))}
OPENED_2025 = {
    "DEMO-FSE",
    "DEMO-FSE1",
    "DEMO-FSE1A",
    "DEMO-FSE2",
    "DEMO-FSE2A",
    "DEMO-FSE3",
    "DEMO-FSE3A",
}

# (username, first name, last name, unit code, employment title, [(role, unit code, role title)])
PEOPLE: list[tuple[str, str, str, str, str, list[tuple[str, str, str]]]] = [
    (
        "medarbetare",
        "Sara",
        "Lindqvist",
        "DEMO-FSE1A",
        "socialsekreterare",
        [(Role.EMPLOYEE, "DEMO-FSE1A", "")],
    ),
    (
        "forste",
        "Jonas",
        "Berg",
        "DEMO-FSE1A",
        "1:e socialsekreterare",
        [(Role.EMPLOYEE, "DEMO-FSE1A", ""), (Role.MANAGER, "DEMO-FSE1A", "1:e socialsekreterare")],
    ),
    (
        "enhetschef",
        "Karin",
        "Holm",
        "DEMO-FSE1",
        "enhetschef",
        [(Role.MANAGER, "DEMO-FSE1", "enhetschef")],
    ),
    (
        "chef2",
        "Per",
        "Axelsson",
        "DEMO-FSE2",
        "enhetschef",
        [(Role.MANAGER, "DEMO-FSE2", "enhetschef")],
    ),
    (
        "chef3",
        "Leyla",
        "Yilmaz",
        "DEMO-FSE3",
        "enhetschef",
        [(Role.MANAGER, "DEMO-FSE3", "enhetschef")],
    ),
    (
        "forste2",
        "Nils",
        "Ek",
        "DEMO-FSE2A",
        "1:e socialsekreterare",
        [(Role.EMPLOYEE, "DEMO-FSE2A", ""), (Role.MANAGER, "DEMO-FSE2A", "1:e socialsekreterare")],
    ),
    (
        "forste3",
        "Mirela",
        "Kovač",
        "DEMO-FSE3A",
        "1:e socialsekreterare",
        [(Role.EMPLOYEE, "DEMO-FSE3A", ""), (Role.MANAGER, "DEMO-FSE3A", "1:e socialsekreterare")],
    ),
    (
        "avdelningschef",
        "Lena",
        "Sjöberg",
        "DEMO-FSE",
        "avdelningschef",
        [(Role.MANAGER, "DEMO-FSE", "avdelningschef")],
    ),
    (
        "forvaltningschef",
        "Anders",
        "Wallin",
        "DEMO-ALF",
        "förvaltningschef",
        [(Role.MANAGER, "DEMO-ALF", "förvaltningschef")],
    ),
    (
        "chef.ame",
        "Elin",
        "Forsberg",
        "DEMO-AME",
        "enhetschef",
        [(Role.MANAGER, "DEMO-AME", "enhetschef")],
    ),
    (
        "chef.mottagning",
        "Ahmed",
        "Hassan",
        "DEMO-MOT",
        "enhetschef",
        [(Role.MANAGER, "DEMO-MOT", "enhetschef")],
    ),
    (
        "chef.bou",
        "Johanna",
        "Engström",
        "DEMO-BOU",
        "enhetschef",
        [(Role.MANAGER, "DEMO-BOU", "enhetschef")],
    ),
    (
        "chef.vux",
        "Mikael",
        "Lund",
        "DEMO-VUX",
        "enhetschef",
        [(Role.MANAGER, "DEMO-VUX", "enhetschef")],
    ),
    (
        "chef.ifo",
        "Ingrid",
        "Sandberg",
        "DEMO-IFO",
        "förvaltningschef",
        [(Role.MANAGER, "DEMO-IFO", "förvaltningschef")],
    ),
    (
        "chef.ofk",
        "Fredrik",
        "Jansson",
        "DEMO-OFK",
        "kanslichef",
        [(Role.MANAGER, "DEMO-OFK", "kanslichef")],
    ),
    (
        "chef.vof",
        "Maria",
        "Bengtsson",
        "DEMO-VOF",
        "förvaltningschef",
        [(Role.MANAGER, "DEMO-VOF", "förvaltningschef")],
    ),
    (
        "chef.bis",
        "Oskar",
        "Hansson",
        "DEMO-BIS",
        "enhetschef",
        [(Role.MANAGER, "DEMO-BIS", "enhetschef")],
    ),
    (
        "chef.lss",
        "Aida",
        "Mohammadi",
        "DEMO-LSS",
        "enhetschef",
        [(Role.MANAGER, "DEMO-LSS", "enhetschef")],
    ),
    (
        "chef.hem",
        "Tove",
        "Olsson",
        "DEMO-HEM",
        "enhetschef",
        [(Role.MANAGER, "DEMO-HEM", "enhetschef")],
    ),
    (
        "chef.sol",
        "Dragan",
        "Persson",
        "DEMO-SOL",
        "enhetschef",
        [(Role.MANAGER, "DEMO-SOL", "enhetschef")],
    ),
    (
        "skyddsombud",
        "Malin",
        "Gustafsson",
        "DEMO-FSE2A",
        "socialsekreterare",
        [(Role.EMPLOYEE, "DEMO-FSE2A", ""), (Role.SAFETY_REP, "DEMO-ALF", "skyddsombud")],
    ),
    (
        "skyddsombud.ifo",
        "Hugo",
        "Eriksson",
        "DEMO-BOU",
        "socialsekreterare",
        [(Role.EMPLOYEE, "DEMO-BOU", ""), (Role.SAFETY_REP, "DEMO-IFO", "skyddsombud")],
    ),
    (
        "hr",
        "Emma",
        "Nilsson",
        "DEMO-HR",
        "HR-konsult",
        [(Role.HR, "DEMO-ALF", "HR-konsult"), (Role.HR, "DEMO-IFO", "HR-konsult")],
    ),
    (
        "sakerhet",
        "Amir",
        "Karlsson",
        "DEMO-SAK",
        "säkerhetssamordnare",
        [(Role.SECURITY, "DEMO", "säkerhetssamordnare")],
    ),
    (
        "redaktor",
        "Vera",
        "Nyström",
        "DEMO-FSE2A",
        "socialsekreterare",
        [
            (Role.EDITOR, "DEMO", "redaktör för metodhandboken"),
            (Role.EMPLOYEE, "DEMO-FSE2A", "socialsekreterare"),
        ],
    ),
    (
        "utredare",
        "Fatima",
        "Ali",
        "DEMO-ALF",
        "utredare",
        [(Role.INVESTIGATOR, "DEMO-ALF", "utredare")],
    ),
    (
        "analytiker",
        "Linda",
        "Pettersson",
        "DEMO-KLF",
        "analytiker",
        [(Role.ANALYST, "DEMO", "analytiker")],
    ),
    ("revisor", "Lars", "Svensson", "DEMO-KLF", "revisor", [(Role.AUDITOR, "DEMO", "revisor")]),
    (
        "namnd",
        "Kerstin",
        "Sandberg",
        "DEMO-KLF",
        "nämndsekreterare",
        [(Role.COMMITTEE, "DEMO-ALN", "ledamot, Arbetslivsnämnden")],
    ),
    (
        "kommundirektor",
        "Kerstin",
        "Lindberg",
        "DEMO-KLF",
        "kommundirektör",
        [(Role.MANAGER, "DEMO-KLF", "kommundirektör")],
    ),
    (
        "chef.hr",
        "Erik",
        "Holm",
        "DEMO-HR",
        "HR-chef",
        [(Role.MANAGER, "DEMO-HR", "HR-chef")],
    ),
    (
        "admin",
        "Hanna",
        "Larsson",
        "DEMO-KLF",
        "systemförvaltare",
        [(Role.ADMIN, "DEMO", "systemförvaltare")],
    ),
    (
        "chef.grannby",
        "Noah",
        "Johansson",
        "GRANN-EB",
        "enhetschef",
        [(Role.MANAGER, "GRANN-EB", "enhetschef")],
    ),
    (
        "admin.grannby",
        "Selma",
        "Andersson",
        "GRANN-SF",
        "systemförvaltare",
        [(Role.ADMIN, "GRANN", "systemförvaltare")],
    ),
]

LOGINS = [
    DemoLogin("medarbetare", "medarbetare", "socialsekreterare, Grupp 1A"),
    DemoLogin("forste", "chef", "1:e socialsekreterare, Grupp 1A"),
    DemoLogin("enhetschef", "chef", "enhetschef, Försörjningsstöd 1"),
    DemoLogin("forvaltningschef", "chef", "förvaltningschef, Arbetslivsförvaltningen"),
    DemoLogin("chef.mottagning", "chef", "enhetschef, IFO Mottagning (another branch)"),
    DemoLogin("skyddsombud", "skyddsombud", "Arbetslivsförvaltningen"),
    DemoLogin("hr", "HR", "Arbetslivsförvaltningen and IFO-förvaltningen"),
    DemoLogin("sakerhet", "säkerhetssamordnare", "Demo kommun"),
    DemoLogin("redaktor", "redaktör", "socialsekreterare, Grupp 2A; writes Demo kommun's handbook"),
    DemoLogin("utredare", "utredare", "Arbetslivsförvaltningen"),
    DemoLogin("analytiker", "analytiker", "Demo kommun"),
    DemoLogin("revisor", "revisor", "Demo kommun"),
    DemoLogin("namnd", "nämndledamot", "Arbetslivsnämnden"),
    DemoLogin("admin", "administratör", "Demo kommun"),
    DemoLogin("chef.grannby", "chef", "Grannby kommun (another municipality)"),
]


def demo_password() -> str:
    """The demo accounts' shared password; demo accounts log in only with VARNA_DEMO=1."""
    return "demo-varna-2026"


def is_loaded() -> bool:
    return Unit.objects.filter(code=DEMO_ROOT_CODE).exists()


@transaction.atomic
def load() -> bool:
    """Build the demo organisation; returns False when it was already there."""
    if is_loaded():
        return False
    rng = random.Random(2026)
    units: dict[str, Unit] = {}
    for code, parent_code, name, kind, _staff, _title in UNITS:
        valid_from, valid_to = CLOSED.get(
            code, (date(2025, 1, 1) if code in OPENED_2025 else date(2015, 1, 1), None)
        )
        units[code] = services.create_unit(
            code=code,
            name=name,
            kind=kind,
            parent=units[parent_code] if parent_code else None,
            valid_from=valid_from,
            valid_to=valid_to,
        )
    # One hash for every demo login: hashing is deliberately slow.
    password = make_password(demo_password())
    named_in: dict[str, int] = {}
    for username, first, last, unit_code, title, grants in PEOPLE:
        user = _make_user(username, first, last, password)
        services.employ(user=user, unit=units[unit_code], title=title, start_date=date(2019, 8, 1))
        named_in[unit_code] = named_in.get(unit_code, 0) + 1
        for role, grant_unit, role_title in grants:
            services.grant_role(user=user, unit=units[grant_unit], role=role, title=role_title)
    counter = 0
    for code, _parent, _name, _kind, staff, title in UNITS:
        for _ in range(max(staff - named_in.get(code, 0), 0)):
            counter += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            user = _make_user(f"anst{counter:04d}", first, last, None)
            services.employ(user=user, unit=units[code], title=title, start_date=date(2020, 1, 1))
            services.grant_role(user=user, unit=units[code], role=Role.EMPLOYEE)
    _headcounts(units, rng)
    return True


def _make_user(username: str, first: str, last: str, password: str | None) -> User:
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.varna.example",
        employee_number=f"DEMO-{username}",
        is_demo=True,
    )
    if password:
        user.password = password
    else:
        user.set_unusable_password()
    user.save()
    return user


def _headcounts(units: dict[str, Unit], rng: random.Random) -> None:
    """Headcount per unit and year, 2022 to this year, drifting around today's staff."""
    this_year = date.today().year
    for code, _parent, _name, _kind, staff, _title in UNITS:
        unit = units[code]
        named = sum(1 for person in PEOPLE if person[3] == code)
        current = HEADCOUNTS.get(code, max(staff, named))
        if current == 0:
            continue
        for year in range(2022, this_year + 1):
            if unit.valid_to and unit.valid_to.year < year:
                continue
            if unit.valid_from.year > year:
                continue
            drift = 0 if year == this_year else rng.randint(-2, 2)
            services.set_headcount(unit=unit, year=year, employees=max(current + drift, 1))
