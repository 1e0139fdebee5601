"""Demo events: about 560 invented reports in Demo kommun over the three years before today,
and a few dozen in the neighbour, Grannby kommun.

The volume is that of a real municipality of Demo kommun's size (its headcounts are in
varna.orgs.demo): some ten reported events per 100 employees a year, a few dozen in economic
assistance, the highest; far fewer than the six in ten social workers in authority roles who
are exposed in a year (DOMAIN §1), which is the under-reporting the follow-up should show.

The figures follow the shape described in the domain notes: most events where money is decided
(Försörjningsenheten), then child and family services and guardianship; harassment and threats
far more common than violence; more events in autumn and in January and February, fewer in July.

Reports are written straight into the table with bulk_create instead of through
`services.submit_report`: demo events must notify nobody, and loading runs at every test
database setup, so it has to be fast. The seed is fixed; dates are counted back from today.
"""

import random
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from varna.orgs.demo import DEMO_ROOT_CODE, PEOPLE
from varna.orgs.models import Employment, Unit
from varna.reporting.models import Report, ReportSequence
from varna.reporting.taxonomy import (
    ActorRelation,
    Answer,
    Consequence,
    Form,
    Place,
    Purpose,
    Situation,
    Target,
    TimeOfDay,
    kia_type_by_rule,
)

EVENTS = 560
PREDECESSOR = "DEMO-EKB"
YEARS_BACK = 3
SEED = 2026

# Where events happen: unit code -> (share of all events, kind of work done there).
UNITS: dict[str, tuple[float, str]] = {
    "DEMO-FSE1A": (0.15, "fse"),
    "DEMO-FSE2A": (0.15, "fse"),
    "DEMO-FSE3A": (0.12, "fse"),
    "DEMO-FSE1": (0.01, "fse"),
    "DEMO-FSE2": (0.01, "fse"),
    "DEMO-FSE3": (0.01, "fse"),
    "DEMO-MOT": (0.06, "mot"),
    "DEMO-BOU": (0.14, "bou"),
    "DEMO-VUX": (0.07, "vux"),
    "DEMO-OFK": (0.03, "ofk"),
    "DEMO-AME": (0.06, "ame"),
    "DEMO-BIS": (0.02, "vo"),
    "DEMO-LSS": (0.01, "vo"),
    "DEMO-HEM": (0.005, "vo"),
    "DEMO-SOL": (0.005, "vo"),
}
# The small neighbour gets a few events of its own, so that its people and the cross-municipal
# access rules have something to see (and to be kept from seeing).
NEIGHBOUR_EVENTS = 30
NEIGHBOUR_UNITS: dict[str, tuple[float, str]] = {"GRANN-EB": (1.0, "fse")}

MONTH_FACTOR: dict[int, float] = {
    1: 1.3, 2: 1.25, 3: 1.05, 4: 1.0, 5: 0.95, 6: 0.85,
    7: 0.45, 8: 0.9, 9: 1.25, 10: 1.3, 11: 1.25, 12: 0.85,
}  # fmt: skip

FORMS: dict[str, dict[str, float]] = {
    # harassment, threat, violence, damage, corruption
    "fse": dict(zip(Form.values, [0.50, 0.37, 0.04, 0.07, 0.02], strict=True)),
    "mot": dict(zip(Form.values, [0.48, 0.36, 0.06, 0.08, 0.02], strict=True)),
    "bou": dict(zip(Form.values, [0.47, 0.38, 0.07, 0.07, 0.01], strict=True)),
    "vux": dict(zip(Form.values, [0.46, 0.36, 0.08, 0.08, 0.02], strict=True)),
    "ofk": dict(zip(Form.values, [0.55, 0.30, 0.02, 0.05, 0.08], strict=True)),
    "ame": dict(zip(Form.values, [0.50, 0.35, 0.05, 0.08, 0.02], strict=True)),
    "vo": dict(zip(Form.values, [0.55, 0.33, 0.05, 0.05, 0.02], strict=True)),
}

SITUATIONS: dict[str, dict[str, float]] = {
    "fse": {
        Situation.REJECTION: 0.38, Situation.ECONOMIC_ASSISTANCE: 0.30,
        Situation.REPAYMENT: 0.12, Situation.INVESTIGATION: 0.08,
        Situation.HOME_VISIT: 0.04, Situation.OTHER: 0.08,
    },
    "mot": {
        Situation.INVESTIGATION: 0.35, Situation.ECONOMIC_ASSISTANCE: 0.15,
        Situation.REJECTION: 0.15, Situation.COMPULSORY_CARE: 0.15, Situation.OTHER: 0.20,
    },
    "bou": {
        Situation.COMPULSORY_CARE: 0.35, Situation.INVESTIGATION: 0.30,
        Situation.PLACEMENT: 0.15, Situation.HOME_VISIT: 0.12, Situation.OTHER: 0.08,
    },
    "vux": {
        Situation.COMPULSORY_CARE: 0.20, Situation.INVESTIGATION: 0.25,
        Situation.PLACEMENT: 0.15, Situation.REJECTION: 0.15,
        Situation.ECONOMIC_ASSISTANCE: 0.05, Situation.HOME_VISIT: 0.08, Situation.OTHER: 0.12,
    },
    "ofk": {Situation.GUARDIANSHIP: 0.75, Situation.INVESTIGATION: 0.10, Situation.OTHER: 0.15},
    "ame": {
        Situation.REJECTION: 0.25, Situation.ECONOMIC_ASSISTANCE: 0.25,
        Situation.INVESTIGATION: 0.10, Situation.OTHER: 0.40,
    },
    "vo": {
        Situation.REJECTION: 0.40, Situation.INVESTIGATION: 0.35,
        Situation.HOME_VISIT: 0.15, Situation.OTHER: 0.10,
    },
}  # fmt: skip

SUBFORMS: dict[str, dict[str, float]] = {
    Form.HARASSMENT: {
        "insults": 0.40, "unwanted_contact": 0.25, "online_exposure": 0.12,
        "unfounded_complaints": 0.10, "following": 0.05, "document_requests": 0.05,
        "disinformation": 0.02, "mass_mailing": 0.01,
    },
    Form.THREAT: {
        "veiled": 0.40, "direct": 0.35, "relatives": 0.12, "property": 0.05, "third_party": 0.08,
    },
    Form.VIOLENCE: {"attempted_assault": 0.55, "assault": 0.42, "relatives": 0.03},
    Form.DAMAGE: {"workplace_property": 0.6, "private_property": 0.4},
    Form.CORRUPTION: {
        "bribe": 0.35, "attempted_bribery": 0.20, "relationship": 0.25,
        "infiltration": 0.08, "conflict_of_interest": 0.12,
    },
}  # fmt: skip

# Where it happened, by kind of event: the sub-form decides more than the main form does.
PLACES: dict[str, dict[str, float]] = {
    "harassment.insults": {
        Place.OFFICE: 0.40, Place.PHONE: 0.35, Place.LETTER: 0.15,
        Place.HOME_VISIT: 0.05, Place.MEETING: 0.03, Place.COURT: 0.02,
    },
    "harassment.unwanted_contact": {Place.PHONE: 0.55, Place.LETTER: 0.35, Place.ONLINE: 0.10},
    "harassment.online_exposure": {Place.ONLINE: 1.0},
    "harassment.unfounded_complaints": {Place.LETTER: 1.0},
    "harassment.following": {Place.PRIVATE_LIFE: 0.8, Place.OTHER: 0.2},
    "harassment.document_requests": {Place.LETTER: 1.0},
    "harassment.disinformation": {Place.ONLINE: 1.0},
    "harassment.mass_mailing": {Place.LETTER: 1.0},
    "threat": {
        Place.OFFICE: 0.40, Place.PHONE: 0.35, Place.LETTER: 0.10, Place.ONLINE: 0.05,
        Place.PRIVATE_LIFE: 0.05, Place.HOME_VISIT: 0.03, Place.MEETING: 0.02,
        Place.COURT: 0.03,
    },
    "violence": {
        Place.OFFICE: 0.70, Place.HOME_VISIT: 0.12, Place.MEETING: 0.05, Place.COURT: 0.03,
        Place.PRIVATE_LIFE: 0.08, Place.OTHER: 0.02,
    },
    "violence.relatives": {Place.PRIVATE_LIFE: 1.0},
    "damage.workplace_property": {Place.OFFICE: 1.0},
    "damage.private_property": {Place.PRIVATE_LIFE: 0.8, Place.OTHER: 0.2},
    "corruption": {
        Place.OFFICE: 0.35, Place.PHONE: 0.15, Place.LETTER: 0.15, Place.MEETING: 0.15,
        Place.PRIVATE_LIFE: 0.15, Place.ONLINE: 0.05,
    },
}  # fmt: skip

ACTORS: dict[str, dict[str, float]] = {
    "default": {
        ActorRelation.CLIENT: 0.52, ActorRelation.RELATIVE: 0.14,
        ActorRelation.REPRESENTATIVE: 0.03, ActorRelation.DESPERATE: 0.04,
        ActorRelation.LITIGIOUS: 0.03, ActorRelation.CRIMINAL: 0.02,
        ActorRelation.ORGANISED_CRIME: 0.01, ActorRelation.UNKNOWN: 0.08,
        ActorRelation.GROUP: 0.03, ActorRelation.EXTREMIST: 0.005,
        ActorRelation.ACTIVIST: 0.005, ActorRelation.OTHER: 0.07,
    },
    "bou": {
        ActorRelation.CLIENT: 0.15, ActorRelation.RELATIVE: 0.55,
        ActorRelation.REPRESENTATIVE: 0.05, ActorRelation.DESPERATE: 0.03,
        ActorRelation.LITIGIOUS: 0.02, ActorRelation.UNKNOWN: 0.07,
        ActorRelation.GROUP: 0.05, ActorRelation.ACTIVIST: 0.01, ActorRelation.OTHER: 0.07,
    },
    "ofk": {
        ActorRelation.CLIENT: 0.22, ActorRelation.RELATIVE: 0.35,
        ActorRelation.REPRESENTATIVE: 0.20, ActorRelation.LITIGIOUS: 0.08,
        ActorRelation.UNKNOWN: 0.05, ActorRelation.OTHER: 0.10,
    },
    "corruption": {
        ActorRelation.CLIENT: 0.40, ActorRelation.RELATIVE: 0.15, ActorRelation.GROUP: 0.10,
        ActorRelation.ORGANISED_CRIME: 0.10, ActorRelation.CRIMINAL: 0.05,
        ActorRelation.UNKNOWN: 0.08, ActorRelation.OTHER: 0.12,
    },
}  # fmt: skip

# Brå's question: did you believe the purpose was to influence your work? (yes, no, unsure)
PURPOSE: dict[str, tuple[float, float, float]] = {
    Form.HARASSMENT: (0.55, 0.15, 0.30),
    Form.THREAT: (0.70, 0.10, 0.20),
    Form.VIOLENCE: (0.45, 0.25, 0.30),
    Form.DAMAGE: (0.40, 0.10, 0.50),
    Form.CORRUPTION: (0.90, 0.00, 0.10),
}
# What those who answer believe the person wanted, by form (a second purpose now and then).
PURPOSES: dict[str, dict[str, float]] = {
    Form.HARASSMENT: {
        Purpose.INFLUENCE_DECISION: 0.35, Purpose.REVENGE: 0.30, Purpose.SCARE: 0.25,
        Purpose.STOP_CHECK: 0.05, Purpose.OBTAIN_INFORMATION: 0.05,
    },
    Form.THREAT: {
        Purpose.INFLUENCE_DECISION: 0.45, Purpose.REVENGE: 0.25, Purpose.SCARE: 0.20,
        Purpose.STOP_CHECK: 0.07, Purpose.SPEED_PAYMENT: 0.03,
    },
    Form.VIOLENCE: {Purpose.REVENGE: 0.45, Purpose.INFLUENCE_DECISION: 0.30, Purpose.SCARE: 0.25},
    Form.DAMAGE: {Purpose.REVENGE: 0.60, Purpose.SCARE: 0.40},
    Form.CORRUPTION: {
        Purpose.SPEED_PAYMENT: 0.35, Purpose.INFLUENCE_DECISION: 0.35,
        Purpose.OBTAIN_INFORMATION: 0.30,
    },
}  # fmt: skip
WANTS_POLICE: dict[str, float] = {
    Form.HARASSMENT: 0.06,
    Form.THREAT: 0.28,
    Form.VIOLENCE: 0.70,
    Form.DAMAGE: 0.50,
    Form.CORRUPTION: 0.30,
}

# Descriptions are put together from an actor, a place and a situation phrase, so that a
# few templates give many believable variants. No names, no addresses.
ACTOR_WORDS: dict[str, list[str]] = {
    ActorRelation.CLIENT: ["Sökanden", "En klient", "Klienten"],
    ActorRelation.RELATIVE: ["En anhörig till klienten", "Klientens sambo", "En släkting"],
    ActorRelation.REPRESENTATIVE: ["Klientens ombud"],
    ActorRelation.DESPERATE: [
        "En sökande i en desperat situation",
        "En person som sa sig inte ha något kvar att förlora",
    ],
    ActorRelation.LITIGIOUS: ["En person som driver många ärenden mot förvaltningen"],
    ActorRelation.CRIMINAL: ["En person med kriminell bakgrund"],
    ActorRelation.ORGANISED_CRIME: ["En person med koppling till ett kriminellt nätverk"],
    ActorRelation.EXTREMIST: ["En person från en våldsbejakande extremistisk miljö"],
    ActorRelation.ACTIVIST: ["En aktivist som driver frågor om socialtjänsten"],
    ActorRelation.UNKNOWN: ["En okänd person"],
    ActorRelation.GROUP: ["Personer i klientens umgänge", "Några personer i ett nätverk"],
    ActorRelation.OTHER: ["En person med koppling till ärendet"],
}
ACTOR_WORDS_BY_PROFILE: dict[str, dict[str, list[str]]] = {
    "bou": {ActorRelation.RELATIVE: ["En förälder", "Barnets pappa", "Barnets mamma"]},
    "ofk": {
        ActorRelation.CLIENT: ["Huvudmannen"],
        ActorRelation.RELATIVE: ["En anhörig till huvudmannen"],
        ActorRelation.REPRESENTATIVE: ["En ställföreträdare"],
    },
}
PLACE_WORDS: dict[str, list[str]] = {
    Place.OFFICE: ["i receptionen", "i besöksrummet"],
    Place.HOME_VISIT: ["i hemmet"],
    Place.MEETING: ["vid ett möte på annan plats", "vid ett möte utanför kontoret"],
    Place.COURT: ["i förvaltningsrätten", "utanför rättssalen"],
    Place.PHONE: ["i telefon"],
    Place.LETTER: ["i ett mejl", "i ett brev"],
    Place.ONLINE: ["i ett inlägg på sociala medier"],
    Place.PRIVATE_LIFE: ["när jag var ledig", "i mataffären på fritiden"],
    Place.OTHER: [""],
}
SITUATION_WORDS: dict[str, list[str]] = {
    Situation.ECONOMIC_ASSISTANCE: ["i ett ärende om ekonomiskt bistånd"],
    Situation.REJECTION: ["när jag meddelade avslag på ansökan", "efter ett avslag"],
    Situation.REPAYMENT: ["efter beslutet om återkrav"],
    Situation.INVESTIGATION: ["under en pågående utredning"],
    Situation.COMPULSORY_CARE: ["i ett ärende om tvångsvård"],
    Situation.HOME_VISIT: ["när vi gjorde hembesök"],
    Situation.GUARDIANSHIP: [
        "efter att vi påtalat brister i årsräkningen",
        "i ett ärende om byte av ställföreträdare",
    ],
    Situation.PLACEMENT: ["efter beslutet om placering"],
    Situation.OTHER: ["i ett pågående ärende"],
}
SITUATION_WORDS_BY_PROFILE: dict[tuple[str, str], list[str]] = {
    ("fse", Situation.REJECTION): ["när jag meddelade avslag på försörjningsstöd"],
    ("bou", Situation.COMPULSORY_CARE): ["efter beslutet om omedelbart omhändertagande enligt LVU"],
    ("vux", Situation.COMPULSORY_CARE): ["när vi meddelade att vi ansöker om vård enligt LVM"],
    ("vo", Situation.REJECTION): ["efter ett avslag på ansökan om insats"],
}
TEMPLATES: dict[str, list[str]] = {
    "harassment.insults": [
        "{A} kallade mig för kränkande saker {p} {s}. Höjde rösten och ville inte avsluta.",
        "{A} skrek okvädningsord {p} {s} och sa att jag inte borde få arbeta med människor.",
    ],
    "harassment.unwanted_contact": [
        "{A} har ringt och mejlat mig flera gånger om dagen i en vecka, {s}. "
        "Kräver att bara få tala med mig.",
        "{A} söker upp mig och ringer min direkttelefon trots en annan kontaktväg. "
        "Det började {s}.",
    ],
    "harassment.online_exposure": [
        "{A} har lagt ut mitt namn och en bild på mig i en öppen grupp på sociala medier, {s}.",
        "Ett filmklipp där jag syns har lagts ut på nätet med mitt namn. Det spelades in {s}.",
    ],
    "harassment.unfounded_complaints": [
        "{A} har anmält mig till JO och skrivit till förvaltningschefen {s}. "
        "Anmälningarna saknar grund.",
        "{A} skickar klagomål om mig till politikerna och kräver att jag byts ut. Det började {s}.",
    ],
    "harassment.following": [
        "{A} väntade vid parkeringen när jag gick hem och följde efter en bit. Det hände {s}.",
        "Jag har sett {a} utanför mitt barns förskola två gånger. Det började {s}.",
    ],
    "harassment.document_requests": [
        "{A} begär ut alla handlingar där mitt namn finns, flera gånger i veckan. Det började {s}.",
    ],
    "harassment.disinformation": [
        "Det sprids påståenden på nätet om att jag tar emot mutor och förstör familjer. "
        "Inläggen kom {s}.",
    ],
    "harassment.mass_mailing": [
        "{A} skickade över hundra mejl till mig och mina kollegor på ett dygn, {s}.",
    ],
    "threat.direct": [
        '{A} hotade {p} att skada mig, {s}. Orden var ungefär "Du ska få se vad som händer."',
        '{A} sa att jag "inte kommer att gå hem levande" om beslutet står fast. Det hände {p} {s}.',
    ],
    "threat.veiled": [
        '{A} sa "Jag vet var du bor" {p} {s}.',
        '{A} frågade "Har du familj?" och sa att sånt här kan gå illa. Det hände {p} {s}.',
    ],
    "threat.relatives": [
        "{A} nämnde mina barn och vilken skola de går på {p}, {s}.",
    ],
    "threat.property": [
        '{A} sa att det "vore synd om något hände med bilen", {s}.',
    ],
    "threat.third_party": [
        'En kollega fick höra av {a} att "någon kommer att hälsa på" mig, {s}.',
    ],
    "violence.assault": [
        "{A} knuffade mig mot väggen {p} {s}. En kollega larmade och personen gick.",
    ],
    "violence.assault.injury": [
        "{A} slog mig på armen {p} {s}. Jag fick ett blåmärke och sökte vård.",
        "{A} drog mig i håret och knuffade omkull mig {p} {s}. Jag slog i knät.",
    ],
    "violence.attempted_assault": [
        "{A} kastade en stol mot mig {p} {s} men missade. Vi larmade.",
        "{A} gick mot mig med höjda knytnävar {p} {s}. En kollega ställde sig emellan.",
    ],
    "violence.relatives": [
        "Min partner blev knuffad av {a} utanför en butik. "
        'Personen sa att det var "för det du gjorde". Det hände {s}.',
    ],
    "damage.workplace_property": [
        "{A} slog sönder en skärm och välte stolar i besöksrummet {s}.",
        "{A} sparkade sönder glasdörren i entrén {s}.",
    ],
    "damage.private_property": [
        "Min bil blev repad och fick ett punkterat däck. Jag misstänker {a}; det hände {s}.",
    ],
    "corruption.bribe": [
        '{A} erbjöd mig kontanter för att "skynda på" ärendet, {s}. Jag sa nej.',
    ],
    "corruption.attempted_bribery": [
        "{A} lämnade ett kuvert med presentkort och en lapp om ärendet, {s}. "
        "Jag lämnade tillbaka det.",
    ],
    "corruption.relationship": [
        "{A} har vid flera möten varit ovanligt personlig, bjudit på fika och frågat om mitt "
        "privatliv, {s}.",
    ],
    "corruption.infiltration": [
        "En person jag lärt känna privat frågar ingående om en klient och om beslut som är på "
        "gång. Personen verkar ha kopplingar till ärendet.",
        "{A} föreslog att jag skulle få jobb hos en bekant och ville i gengäld veta hur vi "
        "handlägger ett visst ärende.",
    ],
    "corruption.conflict_of_interest": [
        "Jag har fått ett ärende där sökanden är släkt med en nära vän till mig. "
        "Sökanden har hänvisat till vår bekantskap.",
    ],
}


def load() -> bool:
    """Add the demo events to Demo kommun; returns False when they are there already (or
    when there is no Demo kommun to add them to)."""
    if not Unit.objects.filter(code=DEMO_ROOT_CODE).exists():
        return False
    if Report.objects.filter(unit__code__startswith=DEMO_ROOT_CODE).exists():
        return False
    with transaction.atomic():
        _load()
    return True


def _load() -> None:
    rng = random.Random(SEED)
    plan = {**UNITS, **NEIGHBOUR_UNITS}
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=plan)}
    staff = _staff_by_unit(units)
    now = timezone.now()
    today = timezone.localdate(now)
    days = _days(today)
    day_weights = [_day_weight(day, days[0], today) for day in days]

    reports = []
    for where, count in [(UNITS, EVENTS), (NEIGHBOUR_UNITS, NEIGHBOUR_EVENTS)]:
        codes = [code for code in where if staff.get(code)]
        if not codes:
            continue
        unit_weights = [where[code][0] for code in codes]
        for occurred_on in rng.choices(days, day_weights, k=count):
            code = rng.choices(codes, unit_weights)[0]
            profile = where[code][1]
            reports.append(_report(rng, units[code], profile, staff[code], occurred_on, now))
    # Försörjningsenheten was formed on 2025-01-01; before that the same work, and its events,
    # belonged to the unit it replaced, so statistics follow the tree as it was at the time.
    predecessor = Unit.objects.filter(code=PREDECESSOR).first()
    for report in reports:
        if predecessor and report.occurred_on < report.unit.valid_from:
            report.unit = predecessor
    _number(reports)
    Report.objects.bulk_create(reports, batch_size=500)


def _staff_by_unit(units: dict[str, Unit]) -> dict[str, list[tuple[int, float]]]:
    """Who works where, with a weight: the named demo logins report less than the rest, so
    that their own lists stay short enough to read."""
    named = {person[0] for person in PEOPLE}
    staff: dict[str, list[tuple[int, float]]] = {}
    rows = Employment.objects.filter(unit__in=units.values()).order_by("unit__code", "user_id")
    for code, user_id, username in rows.values_list("unit__code", "user_id", "user__username"):
        staff.setdefault(code, []).append((user_id, 0.3 if username in named else 1.0))
    return staff


def _days(today: date) -> list[date]:
    """Every day from three years back to yesterday: today's events are not yet reported."""
    first = today - timedelta(days=round(365.25 * YEARS_BACK))
    return [first + timedelta(days=n) for n in range((today - first).days)]


def _day_weight(day: date, first: date, today: date) -> float:
    """Season, weekday and a slow rise in reporting as the routines became known."""
    weekday = 1.0 if day.weekday() < 5 else 0.15
    trend = 0.8 + 0.4 * (day - first).days / max((today - first).days, 1)
    return MONTH_FACTOR[day.month] * weekday * trend


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def _answer(rng: random.Random, yes: float, no: float, unsure: float) -> str:
    return rng.choices([Answer.YES, Answer.NO, Answer.UNSURE], [yes, no, unsure])[0]


def _report(
    rng: random.Random,
    unit: Unit,
    profile: str,
    staff: Sequence[tuple[int, float]],
    occurred_on: date,
    now: datetime,
) -> Report:
    main_form = _pick(rng, FORMS[profile])
    subform = _pick(rng, SUBFORMS[main_form])
    subforms = [f"{main_form}.{subform}"]
    if main_form == Form.HARASSMENT and _chance(rng, 0.2):
        extra = _pick(rng, SUBFORMS[main_form])
        if extra != subform:
            subforms.append(f"{main_form}.{extra}")
    place_key = f"{main_form}.{subform}"
    place = _pick(rng, PLACES.get(place_key) or PLACES[main_form])
    situation = _pick(rng, SITUATIONS[profile])
    if situation == Situation.HOME_VISIT and place in {Place.OFFICE, Place.MEETING}:
        place = Place.HOME_VISIT
    other_forms = _other_forms(rng, main_form)
    actors = "corruption" if main_form == Form.CORRUPTION else profile
    actor_relation = _pick(rng, ACTORS.get(actors, ACTORS["default"]))
    if main_form == Form.HARASSMENT and subform == "disinformation":
        actor_relation = rng.choice([ActorRelation.UNKNOWN, ActorRelation.GROUP])
    actor_known = _answer(rng, 0.45, 0.35, 0.20)
    if actor_relation == ActorRelation.UNKNOWN:
        actor_known = rng.choice([Answer.NO, Answer.UNSURE])
    targets = _targets(rng, main_form, subform)
    consequences = _consequences(rng, main_form, subform)
    time_of_day = _time_of_day(rng, place)
    wants_police = _chance(rng, WANTS_POLICE[main_form])
    affected, reporter = _people(rng, staff)
    submitted_at = _submitted_at(rng, occurred_on, time_of_day, now)
    report = Report(
        number="",
        reporter_id=reporter,
        affected_id=affected,
        unit=unit,
        idempotency_key=uuid.UUID(int=rng.getrandbits(128)),
        main_form=main_form,
        other_forms=other_forms,
        subforms=subforms,
        occurred_on=occurred_on,
        time_of_day=time_of_day,
        place=place,
        situation=situation,
        decision_delivered=_decision_delivered(rng, situation),
        actor_relation=actor_relation,
        actor_count=_actor_count(rng, actor_relation),
        actor_known=actor_known,
        consequences=consequences,
        targets=targets,
        purpose_to_influence=_answer(rng, *PURPOSE[main_form]),
        felt_pressed=_answer(
            rng, *((0.4, 0.4, 0.2) if main_form == Form.THREAT else (0.2, 0.65, 0.15))
        ),
        decision_changed=_answer(rng, 0.02, 0.93, 0.05),
        wants_police_report=wants_police,
        wants_manager_talk=_chance(rng, 0.55),
        wants_occupational_health=_chance(rng, 0.4 if main_form == Form.VIOLENCE else 0.1),
        workplace_address_only=_chance(rng, 0.7 if wants_police else 0.05),
        route_to_security=main_form == Form.CORRUPTION and _chance(rng, 0.4),
        description=_description(
            rng,
            profile,
            main_form,
            subform,
            place,
            situation,
            actor_relation,
            actor_known,
            consequences,
            targets,
        ),
        kia_type=kia_type_by_rule(consequences=consequences, forms=[main_form, *other_forms]),
        submitted_at=submitted_at,
    )
    # From a generator of its own, so that every other answer stays as it was before the
    # question was asked.
    report.purposes = _purposes(
        random.Random(f"{SEED}:{report.idempotency_key}"),
        main_form,
        situation,
        report.purpose_to_influence,
    )
    return report


def _purposes(rng: random.Random, main_form: str, situation: str, believed: str) -> list[str]:
    """An optional question: often left blank, mostly by those who did not believe the
    purpose was to influence them; the unsure often do not know."""
    if believed == Answer.NO or _chance(rng, 0.25):
        return []
    if believed == Answer.UNSURE and _chance(rng, 0.5):
        return [Purpose.UNKNOWN]
    weights = dict(PURPOSES[main_form])
    if situation in {Situation.INVESTIGATION, Situation.GUARDIANSHIP}:
        weights[Purpose.STOP_CHECK] = weights.get(Purpose.STOP_CHECK, 0) + 0.3
    first, second = _pick(rng, weights), _pick(rng, weights)
    return [first, second] if first != second and _chance(rng, 0.2) else [first]


def _other_forms(rng: random.Random, main_form: str) -> list[str]:
    if main_form == Form.THREAT and _chance(rng, 0.15):
        return [Form.HARASSMENT]
    if main_form == Form.VIOLENCE and _chance(rng, 0.4):
        return [Form.THREAT]
    if main_form == Form.DAMAGE and _chance(rng, 0.2):
        return [Form.THREAT]
    return []


def _targets(rng: random.Random, main_form: str, subform: str) -> list[str]:
    targets: list[str] = [Target.EMPLOYEE]
    if subform == "relatives":
        return [*targets, Target.RELATIVE]
    if main_form == Form.DAMAGE and subform == "workplace_property":
        return [Target.ORGANISATION]
    if _chance(rng, 0.08):
        targets.append(Target.COLLEAGUE)
    if subform in {"unfounded_complaints", "mass_mailing", "disinformation"} and _chance(rng, 0.4):
        targets.append(Target.ORGANISATION)
    return targets


def _consequences(rng: random.Random, main_form: str, subform: str) -> list[str]:
    """Injury only ever follows violence; shock and sick leave mostly after threats and
    violence; a good share of harassment leaves no consequence the reporter names."""
    table: dict[str, dict[str, float]] = {
        Form.HARASSMENT: {Consequence.FEAR: 0.35, Consequence.CHANGED_BEHAVIOUR: 0.15,
                          Consequence.SICK_LEAVE: 0.02, Consequence.FAMILY: 0.03},
        Form.THREAT: {Consequence.FEAR: 0.65, Consequence.SHOCK: 0.08,
                      Consequence.CHANGED_BEHAVIOUR: 0.20, Consequence.SICK_LEAVE: 0.04,
                      Consequence.FAMILY: 0.5 if subform == "relatives" else 0.03},
        Form.VIOLENCE: {Consequence.INJURY: 0.25, Consequence.SHOCK: 0.30,
                        Consequence.FEAR: 0.60, Consequence.SICK_LEAVE: 0.12,
                        Consequence.FAMILY: 0.8 if subform == "relatives" else 0.0},
        Form.DAMAGE: {Consequence.PROPERTY: 0.9, Consequence.FEAR: 0.30},
        Form.CORRUPTION: {Consequence.FEAR: 0.15, Consequence.CHANGED_BEHAVIOUR: 0.10},
    }  # fmt: skip
    found = [consequence for consequence, p in table[main_form].items() if _chance(rng, p)]
    return found or [Consequence.NONE]


def _time_of_day(rng: random.Random, place: str) -> str:
    if place in {Place.PRIVATE_LIFE, Place.ONLINE}:
        weights = (0.15, 0.30, 0.40, 0.15)
    else:
        weights = (0.50, 0.42, 0.05, 0.03)
    return rng.choices(TimeOfDay.values, weights)[0]


def _decision_delivered(rng: random.Random, situation: str) -> str:
    if _chance(rng, 0.1):
        return ""
    if situation in {Situation.REJECTION, Situation.REPAYMENT, Situation.COMPULSORY_CARE}:
        return _answer(rng, 0.7, 0.2, 0.1)
    return _answer(rng, 0.3, 0.6, 0.1)


def _actor_count(rng: random.Random, actor_relation: str) -> int | None:
    if actor_relation == ActorRelation.UNKNOWN and _chance(rng, 0.5):
        return None
    if actor_relation == ActorRelation.GROUP:
        return rng.randint(2, 6)
    return rng.choices([1, 2, 3], [0.85, 0.11, 0.04])[0]


def _people(rng: random.Random, staff: Sequence[tuple[int, float]]) -> tuple[int, int]:
    """The affected employee and who reported: mostly themselves, sometimes a colleague."""
    ids = [user_id for user_id, _weight in staff]
    affected = rng.choices(ids, [weight for _user_id, weight in staff])[0]
    others = [user_id for user_id in ids if user_id != affected]
    if others and _chance(rng, 0.08):
        return affected, rng.choice(others)
    return affected, affected


def _submitted_at(
    rng: random.Random, occurred_on: date, time_of_day: str, now: datetime
) -> datetime:
    """Office hours, the same day up to three days later; never after `now`."""
    earliest = 0 if time_of_day in {TimeOfDay.MORNING, TimeOfDay.AFTERNOON} else 1
    delay = rng.choices(range(earliest, 4), [0.55, 0.25, 0.12, 0.08][earliest:])[0]
    day = occurred_on + timedelta(days=delay)
    while day.weekday() >= 5 and (day - occurred_on).days < 3:
        day += timedelta(days=1)
    first_hour = 8
    if day == occurred_on:  # after the event itself
        first_hour = 14 if time_of_day == TimeOfDay.AFTERNOON else 10
    moment = time(rng.randint(first_hour, 16), rng.randint(0, 59), rng.randint(0, 59))
    submitted_at = timezone.make_aware(datetime.combine(day, moment))
    if submitted_at >= now:
        submitted_at = now - timedelta(minutes=rng.randint(5, 120))
    return submitted_at


def _description(
    rng: random.Random,
    profile: str,
    main_form: str,
    subform: str,
    place: str,
    situation: str,
    actor_relation: str,
    actor_known: str,
    consequences: list[str],
    targets: list[str],
) -> str:
    key = f"{main_form}.{subform}"
    if key == "violence.assault" and Consequence.INJURY in consequences:
        key = "violence.assault.injury"
    actor_words = ACTOR_WORDS_BY_PROFILE.get(profile, {}).get(actor_relation)
    actor = rng.choice(actor_words or ACTOR_WORDS[actor_relation])
    situation_words = SITUATION_WORDS_BY_PROFILE.get((profile, situation))
    text = rng.choice(TEMPLATES[key]).format(
        A=actor,
        a=actor[0].lower() + actor[1:],
        p=rng.choice(PLACE_WORDS[place]),
        s=rng.choice(situation_words or SITUATION_WORDS[situation]),
    )
    endings = []
    if actor_known == Answer.YES:
        endings.append("Samma person har betett sig så här tidigare.")
    if Consequence.FEAR in consequences:
        endings.append("Jag är orolig inför nästa kontakt med personen.")
    if Target.COLLEAGUE in targets:
        endings.append("En kollega var med och kan bekräfta.")
    if Consequence.CHANGED_BEHAVIOUR in consequences:
        endings.append("Jag har dragit mig för att ta ärendet sedan dess.")
    if endings and _chance(rng, 0.6):
        text = f"{text} {rng.choice(endings)}"
    return " ".join(text.split()).replace(" ,", ",").replace(" .", ".")


def _number(reports: list[Report]) -> None:
    """Human numbers in the order the reports were sent, per year, continuing any sequence
    already given out, and the sequences moved on so that new reports follow."""
    reports.sort(key=lambda report: report.submitted_at)
    years = Counter(timezone.localtime(report.submitted_at).year for report in reports)
    last = dict(ReportSequence.objects.filter(year__in=years).values_list("year", "last"))
    for report in reports:
        year = timezone.localtime(report.submitted_at).year
        last[year] = last.get(year, 0) + 1
        report.number = f"{year}-{last[year]:04d}"
    for year in years:
        ReportSequence.objects.update_or_create(year=year, defaults={"last": last[year]})
