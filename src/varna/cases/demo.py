"""Demo case handling: a case for every demo report, handled as a municipality would.

The reporting demo writes its reports straight into the table, so no case exists for them;
this step opens one per report with the same fields as `services.open_case` and then plays the
handling forward by the event's age: events older than about two months are almost all closed
with a full timeline, the last few weeks are spread over every state, with some deadlines
missed (contact, measures, support follow-up, a safety representative's request).

Rows are written in bulk (bulk_create; the timeline, the largest table, with one executemany),
not through the services: the step runs at every test database setup and must take seconds,
and demo handling must notify nobody. Reminder rows are left exactly as the services would
leave them for the work that is still open, and `next_due_at` is computed as
`services.refresh_due` does. The seed is fixed; dates are counted back from now.
"""

import random
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.translation import gettext

from varna.cases import rules, services
from varna.cases.models import (
    OPEN_STATES,
    ActorDetails,
    Assignment,
    Case,
    CaseEvent,
    Cause,
    Measure,
    PoliceDecision,
    PoliceOutcome,
    Reminder,
    Risk,
    SafetyRequest,
    State,
    Support,
)
from varna.orgs import selectors as org_selectors
from varna.orgs.models import Role, Unit, User
from varna.reporting.models import Report
from varna.reporting.taxonomy import ActorRelation, Answer, Consequence, Form, Place, Situation

SEED = 2026
BATCH = 500
Kind = CaseEvent.Kind
ORDER = [
    State.RECEIVED,
    State.ACKNOWLEDGED,
    State.INVESTIGATED,
    State.MEASURES_DECIDED,
    State.FOLLOWED_UP,
    State.CLOSED,
]

# The state a case has reached, by the event's age in days (upper bound of the age, weights).
TARGETS: list[tuple[int, dict[State, float]]] = [
    (3, {State.RECEIVED: 0.45, State.ACKNOWLEDGED: 0.40, State.INVESTIGATED: 0.15}),
    (14, {
        State.RECEIVED: 0.10, State.ACKNOWLEDGED: 0.30, State.INVESTIGATED: 0.30,
        State.MEASURES_DECIDED: 0.25, State.FOLLOWED_UP: 0.05,
    }),
    (30, {
        State.RECEIVED: 0.03, State.ACKNOWLEDGED: 0.07, State.INVESTIGATED: 0.20,
        State.MEASURES_DECIDED: 0.35, State.FOLLOWED_UP: 0.15, State.CLOSED: 0.20,
    }),
    (60, {
        State.INVESTIGATED: 0.05, State.MEASURES_DECIDED: 0.20, State.FOLLOWED_UP: 0.15,
        State.CLOSED: 0.60,
    }),
    (100_000, {State.MEASURES_DECIDED: 0.01, State.FOLLOWED_UP: 0.02, State.CLOSED: 0.97}),
]  # fmt: skip

# The share of events reported to the police, by form (a wish of the employee raises it).
POLICE_SHARE: dict[str, float] = {
    Form.HARASSMENT: 0.05,
    Form.THREAT: 0.50,
    Form.VIOLENCE: 0.85,
    Form.DAMAGE: 0.40,
    Form.CORRUPTION: 0.30,
}
SUPPORT_SHARE: dict[str, float] = {
    Form.HARASSMENT: 0.20,
    Form.THREAT: 0.75,
    Form.VIOLENCE: 0.95,
    Form.DAMAGE: 0.25,
    Form.CORRUPTION: 0.10,
}
RISK: dict[str, tuple[float, float, float]] = {  # low, medium, high
    Form.HARASSMENT: (0.60, 0.35, 0.05),
    Form.THREAT: (0.25, 0.50, 0.25),
    Form.VIOLENCE: (0.10, 0.50, 0.40),
    Form.DAMAGE: (0.50, 0.40, 0.10),
    Form.CORRUPTION: (0.40, 0.50, 0.10),
}

# Investigation texts: generic, never naming anyone.
WHAT_FORM: dict[str, list[str]] = {
    Form.HARASSMENT: [
        "Medarbetaren har utsatts för kränkningar från en person med koppling till ett ärende.",
        "En person i ett pågående ärende har upprepade gånger hört av sig med nedsättande "
        "omdömen om medarbetaren.",
    ],
    Form.THREAT: [
        "Medarbetaren blev hotad av en person med koppling till ett ärende.",
        "En person uttalade hot mot medarbetaren i samband med handläggningen.",
    ],
    Form.VIOLENCE: [
        "En person använde våld mot medarbetaren.",
        "Medarbetaren utsattes för våld eller försök till våld av en besökare.",
    ],
    Form.DAMAGE: ["Egendom skadades i samband med ett ärende."],
    Form.CORRUPTION: [
        "Medarbetaren fick ett otillbörligt erbjudande med koppling till ett ärende.",
        "En person försökte få otillbörligt inflytande över handläggningen.",
    ],
}
WHAT_PLACE: dict[str, str] = {
    Place.OFFICE: "Det hände i receptionen eller besöksrummet under kontorstid.",
    Place.HOME_VISIT: "Det hände under ett hembesök.",
    Place.MEETING: "Det hände vid ett möte utanför kontoret.",
    Place.PHONE: "Kontakten skedde per telefon.",
    Place.LETTER: "Kontakten skedde skriftligt.",
    Place.ONLINE: "Det skedde i sociala medier.",
    Place.PRIVATE_LIFE: "Det skedde på medarbetarens fritid.",
}
WHAT_SITUATION: dict[str, str] = {
    Situation.REJECTION: "Det hade samband med ett avslagsbeslut.",
    Situation.REPAYMENT: "Det hade samband med ett beslut om återkrav.",
    Situation.COMPULSORY_CARE: "Det hade samband med ett beslut om tvångsvård.",
    Situation.PLACEMENT: "Det hade samband med ett beslut om placering.",
    Situation.GUARDIANSHIP: "Det hade samband med granskningen i ett ställföreträdarärende.",
}

# What a measure of each kind says; the kind decides whom it is for (INDIVIDUAL below).
MEASURES: dict[str, list[str]] = {
    Measure.Kind.CHANGED_ASSIGNMENTS: [
        "Ärendet flyttas till en annan handläggare.",
        "Medarbetaren avlastas från ärendet under utredningstiden.",
    ],
    Measure.Kind.ESCORT: [
        "Möten med personen hålls alltid med två handläggare.",
        "Hembesök i ärendet görs två och två.",
    ],
    Measure.Kind.PROTECTED_ADDRESS: [
        "Stöd i ansökan om skyddade personuppgifter hos Skatteverket.",
        "Genomgång av vilka personuppgifter om medarbetaren som syns på nätet.",
    ],
    Measure.Kind.SUPPORT: [
        "Uppföljande samtal med chefen efter två veckor.",
        "Kontakt med företagshälsovården.",
    ],
    Measure.Kind.ROUTINES: [
        "Rutinen för avslagsbesked ses över: besked i kända hotärenden lämnas med kollega.",
        "Genomgång av hot- och våldsrutinen på arbetsplatsträffen.",
    ],
    Measure.Kind.TRAINING: [
        "Utbildning i bemötande och konfliktdämpning för gruppen.",
        "Övning med överfallslarmet för alla i gruppen.",
    ],
    Measure.Kind.PHYSICAL_SECURITY: [
        "Överfallslarm installeras i besöksrummet.",
        "Besöksrummet möbleras om så att handläggaren sitter närmast dörren.",
        "Receptionen får en skyddad disk.",
    ],
    Measure.Kind.OTHER: ["Kontakten med personen sker skriftligt tills vidare."],
}
INDIVIDUAL = {
    Measure.Kind.CHANGED_ASSIGNMENTS,
    Measure.Kind.ESCORT,
    Measure.Kind.PROTECTED_ADDRESS,
    Measure.Kind.SUPPORT,
}
MEASURE_DONE_NOTES = ["Genomfört.", "Genomfört; fungerar enligt medarbetaren.", "Klart."]
NO_MEASURES = [
    "Engångshändelse; befintliga rutiner räcker och följdes.",
    "Ärendet med personen är avslutat; inga ytterligare åtgärder behövs.",
]
ACK_NOTES = [
    "",
    "",
    "Samtal med medarbetaren per telefon.",
    "Träffade medarbetaren och gick igenom händelsen.",
]
FOLLOW_UP_NOTES = [
    "Åtgärderna följdes upp med medarbetaren, som känner sig trygg i arbetet.",
    "Uppföljning på arbetsplatsträffen: rutinen är känd och används.",
    "Inga nya händelser sedan åtgärderna infördes.",
    "Uppföljt med medarbetaren och skyddsombudet; åtgärderna fungerar.",
]
OUTCOMES = [
    "Händelsen är utredd och åtgärderna är genomförda. Tack för att du anmälde.",
    "Ärendet avslutas efter uppföljning med dig. Hör av dig om något nytt händer.",
    "Utredningen är klar och åtgärderna är uppföljda.",
]
NOT_SERIOUS = [
    "Efter samtal med medarbetaren bedöms händelsen inte som ett allvarligt tillbud.",
    "Ingen allvarlig fara för liv eller hälsa enligt bedömning med skyddsombudet.",
]
NO_REPORT = {
    Form.HARASSMENT: [
        "Inget brott enligt bedömning",
        "Inget brott enligt bedömning",
        "Inget brott enligt bedömning",
        "Medarbetaren vill inte att händelsen polisanmäls",
    ],
    "other": [
        "Medarbetaren vill inte att händelsen polisanmäls",
        "Otillräckliga uppgifter för en polisanmälan",
        "Inget brott enligt bedömning",
    ],
}
ACTOR_DESCRIPTIONS = [
    "Sökande i ett pågående ärende.",
    "Klient med flera tidigare ärenden hos enheten.",
    "Anhörig till en klient; har haft kontakt med enheten länge.",
]
THREAT_WORDING = {
    "threat.direct": "Hot om att skada handläggaren om beslutet står fast.",
    "threat.veiled": "Antydde att personen vet var handläggaren bor.",
    "threat.relatives": "Nämnde handläggarens barn och deras skola.",
}
EARLIER = ["Två tidigare anmälningar om hot mot enheten.", "Tidigare trakasserier mot en kollega."]

# Visiting addresses (fictitious) for the levels police-report drafts fall back on.
ADDRESSES: dict[str, tuple[str, str, str]] = {
    "DEMO-KLF": ("Storgatan 12", "123 45", "Demostad"),
    "DEMO-ALF": ("Stationsgatan 4", "123 47", "Demostad"),
    "DEMO-IFO": ("Kyrkogatan 7", "123 46", "Demostad"),
    "DEMO-VOF": ("Parkvägen 3", "123 50", "Demostad"),
    "GRANN": ("Torget 1", "987 65", "Grannby"),
}
SAFETY_REP = "skyddsombud"
ANSWERED_DEMAND = (
    "Skyddsombudet begär att besöksrummen i Grupp 2A förses med överfallslarm och att "
    "avslagsbesked i ärenden med känd hotbild lämnas av två handläggare."
)
ANSWER = (
    "Överfallslarm installeras i besöksrummen under kvartalet. Avslagsbesked i ärenden med "
    "känd hotbild lämnas av två handläggare från och med nu."
)
OPEN_DEMAND = (
    "Skyddsombudet begär att ensamarbete i receptionen upphör och att hembesök i ärenden med "
    "hot görs två och två, i avvaktan på en ny riskbedömning för Grupp 1A."
)


def load() -> bool:
    """Open and handle a case for every report that has none; returns False when every report
    already has its case (and the workplace addresses are set)."""
    addressed = _addresses()
    reports = list(
        Report.objects.filter(case__isnull=True)
        .select_related("unit")
        .order_by("submitted_at", "pk")
    )
    if not reports:
        return addressed
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        _load(reports, timezone.now())
    return True


def _addresses() -> bool:
    changed = 0
    for code, (street, postal_code, city) in ADDRESSES.items():
        changed += Unit.objects.filter(code=code, street_address="").update(
            street_address=street, postal_code=postal_code, city=city
        )
    return changed > 0


@dataclass
class _Out:
    """What the step writes, collected in memory and written in bulk at the end."""

    cases: list[Case] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    supports: list[Support] = field(default_factory=list)
    actors: list[ActorDetails] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    # (case, created) of unanswered requests whose receipt is not confirmed: due at once.
    requests: list[tuple[int, datetime]] = field(default_factory=list)
    notice_due: dict[int, datetime] = field(default_factory=dict)

    def event(
        self,
        case: Case,
        actor: User | int | None,
        kind: str,
        at: datetime,
        *,
        note: str = "",
        for_employee: bool = False,
        from_state: str = "",
        to_state: str = "",
    ) -> None:
        actor_id = actor.pk if isinstance(actor, User) else actor
        self.events.append((case.pk, at, actor_id, kind, from_state, to_state, note, for_employee))

    def move(
        self, case: Case, actor: User, to: State, kind: str, at: datetime, note: str = ""
    ) -> None:
        self.event(
            case, actor, kind, at, note=note, for_employee=True, from_state=case.state, to_state=to
        )
        case.state = to


class _People:
    """Who handles a unit's cases, looked up once per unit and role."""

    def __init__(self) -> None:
        self._levels: dict[tuple[int, str], list[list[User]]] = {}
        self._due: dict[date, datetime] = {}

    def acknowledge_due(self, opened: datetime) -> datetime:
        """`rules.acknowledge_due`, which depends on the local day alone, once per day."""
        day = _day(opened)
        if day not in self._due:
            self._due[day] = rules.acknowledge_due(opened)
        return self._due[day]

    def levels(self, unit: Unit, role: str) -> list[list[User]]:
        key = (unit.pk, role)
        if key not in self._levels:
            self._levels[key] = org_selectors.holders_by_level(unit, role)
        return self._levels[key]

    def handler(self, report: Report) -> User | None:
        """As `services.open_case` chooses: the nearest holder who is not the reporter."""
        role = Role.SECURITY if report.route_to_security else Role.MANAGER
        people = (user for level in self.levels(report.unit, role) for user in level)
        return next((user for user in people if user.pk != report.reporter_id), None)

    def own_handler(self, report: Report) -> User | None:
        """Who takes a case that found no handler (the reporter is the only one above): the
        reporter themselves, as `services.set_handler` allows."""
        role = Role.SECURITY if report.route_to_security else Role.MANAGER
        levels = self.levels(report.unit, role)
        return levels[0][0] if levels else None


@dataclass
class _Forced:
    """Cases the demo logins need to see in a given state."""

    states: dict[int, State] = field(default_factory=dict)
    # Received cases to flag as possibly serious when no recent report is serious by itself.
    flag: set[int] = field(default_factory=set)
    # The reporter's case kept in progress with a measure concerning them.
    in_progress: set[int] = field(default_factory=set)


def _load(reports: list[Report], now: datetime) -> None:
    rng = random.Random(SEED)
    people = _People()
    forced = _forced(reports, now)
    out = _Out()
    for report in reports:
        _handle(rng, out, people, report, now, forced)

    Case.objects.bulk_create(out.cases, batch_size=BATCH)
    Measure.objects.bulk_create(out.measures, batch_size=BATCH)
    Support.objects.bulk_create(out.supports, batch_size=BATCH)
    ActorDetails.objects.bulk_create(out.actors, batch_size=BATCH)
    Assignment.objects.bulk_create(_security_assignments(out.cases), batch_size=BATCH)
    _safety_requests(rng, out, people, now)
    _insert_events(out.events)
    _reminders(out)
    Reminder.objects.bulk_create(out.reminders, batch_size=BATCH)

    open_cases = _next_due(out)
    Case.objects.bulk_update(open_cases, ["next_due_at"], batch_size=BATCH)


def _security_assignments(cases: list[Case]) -> list[Assignment]:
    """Serious threats go to the nearest security coordinators too, as services.open_case does."""
    nearest: dict[int, list[User]] = {}
    found = []
    for case in cases:
        if case.security_routed or not services.SECURITY_REASONS & set(case.serious_reasons):
            continue
        if case.unit_id not in nearest:
            nearest[case.unit_id] = [
                user for user in org_selectors.nearest_holders(case.unit, Role.SECURITY)
            ]
        found += [
            Assignment(case=case, user=user, role=Role.SECURITY, assigned_by=None)
            for user in nearest[case.unit_id]
            if user.pk != case.report.affected_id
        ]
    return found


def _next_due(out: _Out) -> list[Case]:
    """`next_due_at` of the open cases, computed as `services.refresh_due` does but from the
    rows in memory (a query per case and kind would take as long as the rest of the step)."""
    deadlines: dict[int, list[datetime]] = {}
    for case in out.cases:
        if case.state == State.CLOSED:
            continue
        due = deadlines.setdefault(case.pk, [])
        if case.state == State.RECEIVED:
            due.append(case.acknowledge_due_at)
        if case.notice_pending and case.notice_due_at:
            due.append(case.notice_due_at)
        if case.injury_report_pending and case.injury_report_due_at:
            due.append(case.injury_report_due_at)
    for measure in out.measures:
        if measure.is_open and measure.case_id in deadlines:
            deadlines[measure.case_id].append(rules.end_of_day(measure.due_on))
    for support in out.supports:
        followed = support.followed_up_on is not None
        if support.follow_up_due_on and not followed and support.case_id in deadlines:
            deadlines[support.case_id].append(rules.end_of_day(support.follow_up_due_on))
    for case_id, created_at in out.requests:
        if case_id in deadlines:
            deadlines[case_id].append(created_at)
    open_cases = [case for case in out.cases if case.state in OPEN_STATES]
    for case in open_cases:
        case.next_due_at = min(deadlines[case.pk], default=None)
    return open_cases


def _forced(reports: Sequence[Report], now: datetime) -> _Forced:
    """Grupp 1A's managers ("forste", and "enhetschef" above) get at least three new cases,
    one of them possibly serious; the reporter "medarbetare" has a case in progress."""
    forced = _Forced()
    today = _day(now)
    ids = dict(
        User.objects.filter(username__in=["forste", "medarbetare"]).values_list("username", "pk")
    )

    def age(report: Report) -> int:
        return (today - _day(report.submitted_at)).days

    line = [r for r in reports if r.unit.code == "DEMO-FSE1A" and not r.route_to_security]
    own = [r for r in line if r.reporter_id == ids.get("medarbetare")]
    if own:
        settled = [r for r in own if age(r) >= 14]
        chosen = settled[-1] if settled else own[-1]
        forced.states[chosen.pk] = State.MEASURES_DECIDED
        forced.in_progress.add(chosen.pk)
    recent = [
        r
        for r in reversed(line)
        if r.reporter_id != ids.get("forste") and age(r) <= 45 and r.pk not in forced.states
    ]
    for report in recent[:3]:
        forced.states[report.pk] = State.RECEIVED
    serious = next(
        (
            r
            for r in recent
            if Form.VIOLENCE in {r.main_form, *r.other_forms} or "threat.direct" in r.subforms
        ),
        None,
    )
    if serious is not None:
        forced.states[serious.pk] = State.RECEIVED
    else:
        threat = next((r for r in recent[:3] if r.main_form == Form.THREAT), None)
        target = threat or (recent[0] if recent else None)
        if target is not None:
            forced.flag.add(target.pk)
    return forced


# Time helpers ------------------------------------------------------------------------------


def _day(at: datetime) -> date:
    """`timezone.localdate` without looking up the active time zone every time."""
    return at.astimezone(timezone.get_default_timezone()).date()


@cache
def _working_day(day: date) -> date:
    while not rules.is_working_day(day):
        day += timedelta(days=1)
    return day


def _office(rng: random.Random, day: date, after: datetime) -> datetime:
    """A time in office hours on `day`, later than `after`."""
    moment = time(rng.randint(8, 16), rng.randint(0, 59))
    at = timezone.make_aware(datetime.combine(day, moment), timezone.get_default_timezone())
    if at <= after:
        at = after + timedelta(minutes=rng.randint(5, 90))
    return at


def _later(rng: random.Random, start: datetime, low: int, high: int) -> datetime:
    """Office hours on a working day `low` to `high` days after `start`."""
    day = _day(start)
    day += timedelta(days=rng.randint(low, high))
    return _office(rng, _working_day(day), start)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """Office hours on a day from `start` to `end` when that fits, otherwise halfway."""
    first, last = _day(start), _day(end)
    day = _working_day(first + timedelta(days=rng.randint(0, max((last - first).days, 0))))
    at = _office(rng, day, start)
    return at if at < end else (start + (end - start) / 2).replace(microsecond=0)


def _pick(rng: random.Random, weights: dict[State, float]) -> State:
    return rng.choices(list(weights), list(weights.values()))[0]


def _chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


# One case ----------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """The case being played forward and the limits it must stay within."""

    rng: random.Random
    out: _Out
    report: Report
    case: Case
    now: datetime
    today: date
    limit: int  # index in ORDER of the furthest state allowed
    last: datetime  # the latest side event (support, insurance): closing comes after it

    def can(self, state: State, at: datetime) -> bool:
        return ORDER.index(state) <= self.limit and at <= self.now - timedelta(minutes=10)


def _handle(
    rng: random.Random,
    out: _Out,
    people: _People,
    report: Report,
    now: datetime,
    forced: _Forced,
) -> None:
    opened = report.submitted_at
    reasons = rules.serious_reasons(report)
    case = Case(
        report=report,
        unit=report.unit,
        main_form=report.main_form,
        security_routed=report.route_to_security,
        opened_at=opened,
        handler=people.handler(report),
        acknowledge_due_at=people.acknowledge_due(opened),
        serious_reasons=reasons,
        notice_due_at=rules.end_of_day(_day(opened)) if reasons else None,
        injury=rules.has_injury(report),
    )
    if case.injury:
        case.injury_report_due_at = rules.injury_report_due(opened)
    out.cases.append(case)
    if reasons:
        assert case.notice_due_at is not None
        out.notice_due[case.pk] = min(opened + timedelta(hours=2), case.notice_due_at)
    out.event(
        case, report.reporter_id, Kind.OPENED, opened, for_employee=True, to_state=State.RECEIVED
    )

    today = _day(now)
    age = (today - _day(opened)).days
    target = forced.states.get(report.pk)
    if target is None:
        target = _pick(rng, next(weights for bound, weights in TARGETS if age <= bound))
    ctx = _Ctx(rng, out, report, case, now, today, ORDER.index(target), opened)

    handler = case.handler
    if handler is None:
        handler = people.own_handler(report)
        taken_at = opened + timedelta(minutes=rng.randint(30, 180))
        if handler is None or not ctx.can(State.ACKNOWLEDGED, taken_at):
            return
        case.handler = handler
        out.event(case, handler, Kind.HANDLER, taken_at, note=handler.get_full_name())
    if report.pk in forced.flag:
        _flag_serious(ctx, handler)
    _play(ctx, handler, in_progress=report.pk in forced.in_progress)


def _flag_serious(ctx: _Ctx, handler: User) -> None:
    """As `services.flag_serious`: the handler judged a threat possibly serious."""
    case = ctx.case
    at = min(case.opened_at + timedelta(minutes=40), ctx.now - timedelta(minutes=5))
    case.serious_reasons = [*case.serious_reasons, str(rules.Serious.THREAT_TO_LIFE)]
    case.notice_due_at = rules.end_of_day(_day(at))
    ctx.out.notice_due[case.pk] = min(at + timedelta(hours=2), case.notice_due_at)
    label = str(rules.Serious.THREAT_TO_LIFE.label)
    ctx.out.event(case, handler, Kind.SERIOUS_FLAGGED, at, note=label)


def _ack_time(ctx: _Ctx) -> datetime:
    """Most managers make contact within the working-day target; some are late."""
    rng, opened, due = ctx.rng, ctx.case.opened_at, ctx.case.acknowledge_due_at
    if _chance(rng, 0.12):
        return _later(rng, due, 1, 6)
    if opened.astimezone(timezone.get_default_timezone()).hour < 15 and _chance(rng, 0.5):
        return opened + timedelta(minutes=rng.randint(15, 120))
    return min(_later(rng, opened, 1, 1), due)


def _play(ctx: _Ctx, handler: User, *, in_progress: bool) -> None:
    rng, out, case, report = ctx.rng, ctx.out, ctx.case, ctx.report
    acked = _ack_time(ctx)
    if not ctx.can(State.ACKNOWLEDGED, acked):
        return
    out.move(case, handler, State.ACKNOWLEDGED, Kind.ACKNOWLEDGED, acked, rng.choice(ACK_NOTES))
    case.acknowledged_at = acked

    files = _chance(
        rng, max(POLICE_SHARE[report.main_form], 0.75 if report.wants_police_report else 0)
    )
    police_at = _later(rng, acked, 0, 3)
    if files and ctx.can(State.ACKNOWLEDGED, police_at):
        _police_filed(ctx, handler, police_at)
    _notice(ctx, handler)
    if report.actor_relation in {ActorRelation.CLIENT, ActorRelation.RELATIVE} and _chance(
        rng, 0.35
    ):
        _actor(ctx, handler, acked + timedelta(minutes=rng.randint(10, 60)))

    investigated = _later(rng, acked, 1, 10)
    reached = ctx.can(State.INVESTIGATED, investigated)
    if reached or _chance(rng, 0.4):
        saved = investigated - timedelta(minutes=rng.randint(10, 90))
        if not reached:
            saved = _between(rng, acked, ctx.now - timedelta(minutes=10))
        _investigation(ctx, handler, max(saved, acked + timedelta(minutes=5)))
    closes = ORDER.index(State.CLOSED) <= ctx.limit
    _support(ctx, handler, acked, closes)
    if not reached:
        return
    out.move(case, handler, State.INVESTIGATED, Kind.INVESTIGATED, investigated)
    if not case.police_decision:
        _police_no_report(ctx, handler, investigated + timedelta(minutes=5))
    _insurance(ctx, handler, closes)

    decided = _later(rng, investigated, 0, 5)
    if not ctx.can(State.MEASURES_DECIDED, decided):
        at = investigated + timedelta(minutes=20)
        if _chance(rng, 0.3) and ctx.can(State.INVESTIGATED, at):
            # An immediate measure before the plan is complete.
            for measure in _measures(ctx, handler, at, immediate=True):
                _carry_out(ctx, handler, measure, at, None)
        return
    reason = ""
    low_risk = case.recurrence_risk == Risk.LOW
    if not in_progress and _chance(rng, 0.25 if low_risk else 0.03):
        reason = rng.choice(NO_MEASURES)
        if low_risk and _chance(rng, 0.5):
            reason = "Risken bedöms som låg och hanteras inom befintliga rutiner."
        measures: list[Measure] = []
    else:
        measures = _measures(ctx, handler, decided - timedelta(minutes=15), in_progress=in_progress)
    out.move(case, handler, State.MEASURES_DECIDED, Kind.MEASURES_DECIDED, decided)
    if reason:
        case.no_measures_reason = reason
        out.event(case, handler, Kind.NO_MEASURES, decided, note=reason, for_employee=True)

    # The measures are carried out; the case is followed up once they all are.
    last = decided
    for measure in measures:
        assert measure.done_on is not None
        last = max(last, _office(rng, measure.done_on, decided))
    followed = _later(rng, last, 2, 12) if measures else _later(rng, decided, 7, 20)
    reached = ctx.can(State.FOLLOWED_UP, followed) and not in_progress
    for index, measure in enumerate(measures):
        _carry_out(ctx, handler, measure, decided, followed if reached else None, cancel=index > 0)
    if not reached:
        return
    note = rng.choice(FOLLOW_UP_NOTES)
    out.move(case, handler, State.FOLLOWED_UP, Kind.FOLLOWED_UP, followed, note)
    case.follow_up_note = note

    closed = _later(rng, max(followed, ctx.last), 0, 7)
    if not ctx.can(State.CLOSED, closed) or case.injury_report_pending:
        return
    outcome = rng.choice(OUTCOMES)
    out.move(case, handler, State.CLOSED, Kind.CLOSED, closed, outcome)
    case.closed_at = closed
    case.outcome = outcome


def _investigation(ctx: _Ctx, handler: User, at: datetime) -> None:
    rng, case, report = ctx.rng, ctx.case, ctx.report
    parts = [rng.choice(WHAT_FORM[report.main_form])]
    parts += [
        text
        for text in (WHAT_PLACE.get(report.place), WHAT_SITUATION.get(report.situation))
        if text
    ]
    if report.actor_known == Answer.YES:
        parts.append("Personen är känd från tidigare händelser.")
    case.what_happened = " ".join(parts)
    case.causes = _causes(rng, report)
    low, medium, high = RISK[report.main_form]
    if report.actor_known == Answer.YES:
        low, high = low / 2, high * 1.5
    case.recurrence_risk = rng.choices([Risk.LOW, Risk.MEDIUM, Risk.HIGH], [low, medium, high])[0]
    if report.decision_changed == Answer.YES:
        case.decision_influenced = Answer.YES
    else:
        case.decision_influenced = rng.choices([Answer.NO, Answer.UNSURE], [0.85, 0.15])[0]
    ctx.out.event(case, handler, Kind.INVESTIGATION_SAVED, at)


def _causes(rng: random.Random, report: Report) -> list[str]:
    found: list[str] = []
    if report.place == Place.OFFICE:
        found += rng.sample([Cause.ROOM_LAYOUT, Cause.NO_ALARM, Cause.WORKING_ALONE], k=1)
    if report.place == Place.HOME_VISIT:
        found.append(Cause.HOME_VISIT_ALONE)
    if report.place in {Place.ONLINE, Place.PRIVATE_LIFE}:
        found.append(Cause.ONLINE if report.place == Place.ONLINE else Cause.DETAILS_KNOWN)
    if report.situation in {Situation.REJECTION, Situation.REPAYMENT} and _chance(rng, 0.5):
        found.append(Cause.UNPREPARED_DECISION)
    if report.actor_known == Answer.YES and _chance(rng, 0.6):
        found.append(Cause.KNOWN_RISK)
    if not found or _chance(rng, 0.15):
        found.append(Cause.NO_ROUTINE)
    return [str(cause) for cause in dict.fromkeys(found)]


@cache
def _label(choices: type[TextChoices], value: str) -> str:
    return str(choices(value).label)


def _measure_note(measure: Measure) -> str:
    return f"{_label(Measure.Kind, measure.kind)}: {_label(Measure.Status, measure.status)}"


def _measures(
    ctx: _Ctx, handler: User, at: datetime, *, immediate: bool = False, in_progress: bool = False
) -> list[Measure]:
    """Add measures (planned); each gets a planned completion date in `done_on` that
    `_carry_out` turns into its real status."""
    rng, report = ctx.rng, ctx.report
    individual = [Measure.Kind.SUPPORT, Measure.Kind.CHANGED_ASSIGNMENTS, Measure.Kind.ESCORT]
    if report.place in {Place.ONLINE, Place.PRIVATE_LIFE} or "threat.relatives" in report.subforms:
        individual.append(Measure.Kind.PROTECTED_ADDRESS)
    unit = [Measure.Kind.ROUTINES, Measure.Kind.TRAINING, Measure.Kind.OTHER]
    if report.place == Place.OFFICE:
        unit.append(Measure.Kind.PHYSICAL_SECURITY)
    count = 1 if immediate else rng.choices([1, 2, 3], [0.45, 0.40, 0.15])[0]
    kinds: list[str] = []
    if in_progress:
        kinds.append(Measure.Kind.PROTECTED_ADDRESS)
    elif _chance(rng, 0.6):
        kinds.append(rng.choice(individual))
    while len(kinds) < count:
        kinds.append(rng.choice(unit + individual))
    made = []
    decided_on = _day(at)
    for kind in dict.fromkeys(kinds):
        due_on = decided_on + timedelta(days=rng.randint(5, 30))
        measure = Measure(
            case=ctx.case,
            scope=Measure.Scope.INDIVIDUAL if kind in INDIVIDUAL else Measure.Scope.UNIT,
            kind=kind,
            what=rng.choice(MEASURES[kind]),
            owner=handler,
            due_on=due_on,
            done_on=max(due_on + timedelta(days=rng.randint(-8, 6)), decided_on),
        )
        if in_progress and kind == Measure.Kind.PROTECTED_ADDRESS:
            measure.done_on = ctx.today + timedelta(days=30)
        made.append(measure)
        ctx.out.measures.append(measure)
        ctx.out.event(
            ctx.case,
            handler,
            Kind.MEASURE_ADDED,
            at,
            note=_label(Measure.Kind, kind),
            for_employee=measure.concerns_employee,
        )
    return made


def _carry_out(
    ctx: _Ctx,
    handler: User,
    measure: Measure,
    decided: datetime,
    followed: datetime | None,
    *,
    cancel: bool = False,
) -> None:
    """Done on its planned day if that has passed (always before a follow-up), otherwise
    still open, some of them past their due date."""
    rng, out = ctx.rng, ctx.out
    planned = measure.done_on
    assert planned is not None
    measure.done_on = None
    if followed is None and planned >= ctx.today:
        if _chance(rng, 0.55) or planned > ctx.today + timedelta(days=20):
            measure.status = Measure.Status.IN_PROGRESS
            at = _between(rng, decided, ctx.now - timedelta(minutes=10))
            out.event(
                ctx.case,
                handler,
                Kind.MEASURE_CHANGED,
                at,
                note=_measure_note(measure),
                for_employee=measure.concerns_employee,
            )
            if planned > ctx.today + timedelta(days=20):  # a long-running measure, rescheduled
                measure.due_on = ctx.today + timedelta(days=14)
        return
    measure.status = Measure.Status.DONE
    if cancel and followed is not None and _chance(rng, 0.06):
        measure.status = Measure.Status.CANCELLED
        measure.follow_up = "Behövdes inte efter att ärendet flyttats."
    else:
        measure.done_on = planned
        measure.follow_up = rng.choice(MEASURE_DONE_NOTES)
    at = _office(rng, planned, decided)
    if followed is not None:
        at = min(at, followed - timedelta(minutes=30))
    out.event(
        ctx.case,
        handler,
        Kind.MEASURE_CHANGED,
        max(at, decided + timedelta(minutes=1)),
        note=_measure_note(measure),
        for_employee=measure.concerns_employee,
    )


def _police_filed(ctx: _Ctx, handler: User, at: datetime) -> None:
    rng, case = ctx.rng, ctx.case
    case.police_decision = rng.choices(
        [PoliceDecision.EMPLOYER_FILES, PoliceDecision.EMPLOYEE_WITH_HELP], [0.75, 0.25]
    )[0]
    filed_on = _day(at)
    case.police_filed_on = filed_on
    case.police_reference = f"5000-K{rng.randint(100000, 999999)}-{filed_on.year % 100:02d}"
    case.police_outcome = PoliceOutcome.PENDING
    note = str(PoliceDecision(case.police_decision).label)
    ctx.out.event(case, handler, Kind.POLICE, at, note=note, for_employee=True)
    waited = (ctx.today - filed_on).days
    if waited < 30:
        return
    outcomes = {
        PoliceOutcome.PENDING: 0.30,
        PoliceOutcome.INVESTIGATION: 0.40,
        PoliceOutcome.CLOSED_NO_CRIME: 0.30,
    }
    if waited > 120:
        outcomes = {
            PoliceOutcome.INVESTIGATION: 0.10,
            PoliceOutcome.CLOSED_NO_CRIME: 0.55,
            PoliceOutcome.PROSECUTION: 0.15,
            PoliceOutcome.JUDGMENT: 0.20,
        }
    outcome = rng.choices(list(outcomes), list(outcomes.values()))[0]
    if outcome != PoliceOutcome.PENDING:
        case.police_outcome = outcome
        heard = _later(rng, at, 20, min(waited - 5, 120))
        if heard < ctx.now:
            ctx.out.event(case, handler, Kind.POLICE, heard, note=note, for_employee=True)


def _police_no_report(ctx: _Ctx, handler: User, at: datetime) -> None:
    case = ctx.case
    reasons = NO_REPORT.get(case.main_form, NO_REPORT["other"])
    case.police_decision = PoliceDecision.NO_REPORT
    case.police_no_report_reason = ctx.rng.choice(reasons)
    note = str(PoliceDecision(case.police_decision).label)
    ctx.out.event(case, handler, Kind.POLICE, at, note=note, for_employee=True)


def _notice(ctx: _Ctx, handler: User) -> None:
    """Serious events: the notice to Arbetsmiljöverket, mostly the same day."""
    rng, case = ctx.rng, ctx.case
    if not case.serious_reasons or case.notice_due_at is None:
        return
    roll = rng.random()
    if roll < 0.08:
        at = case.acknowledged_at or case.opened_at
        case.not_serious_reason = rng.choice(NOT_SERIOUS)
        ctx.out.event(case, handler, Kind.NOT_SERIOUS, at, note=case.not_serious_reason)
        return
    if roll < 0.92:
        sent = min(
            case.opened_at + timedelta(minutes=rng.randint(30, 240)),
            case.notice_due_at - timedelta(minutes=1),
        )
    else:  # late: the next working day
        sent = _later(rng, case.opened_at, 1, 1)
    if sent > ctx.now - timedelta(minutes=10):
        return
    case.notice_sent_at = sent
    case.notice_sent_by = handler
    case.notice_reference = f"AV {sent.year}/{rng.randint(1000, 99999):06d}"
    ctx.out.event(case, handler, Kind.NOTICE_SENT, sent, note=case.notice_reference)


def _insurance(ctx: _Ctx, handler: User, closes: bool) -> None:
    """A work-injury report and the AFA reminder for injuries: always before closing."""
    rng, case = ctx.rng, ctx.case
    if not case.injury or not (closes or _chance(rng, 0.5)):
        return
    opened_on = _day(case.opened_at)
    reported = opened_on + timedelta(days=rng.randint(1, 7))
    informed = reported + timedelta(days=rng.randint(0, 3))
    at = _office(rng, informed, case.acknowledged_at or case.opened_at)
    if at > ctx.now - timedelta(minutes=10):
        return
    case.injury_report_on = reported
    case.afa_informed_on = informed
    ctx.out.event(case, handler, Kind.INSURANCE, at)
    ctx.last = max(ctx.last, at)


def _support(ctx: _Ctx, handler: User, acked: datetime, closes: bool) -> None:
    """Support offered when contact is made: accepted or declined, given, then a follow-up
    contact; a case that will close has all of it settled."""
    rng, report = ctx.rng, ctx.report
    if not _chance(rng, SUPPORT_SHARE[report.main_form]):
        return
    kinds: list[str] = []
    if report.wants_manager_talk or _chance(rng, 0.5):
        kinds.append(Support.Kind.MANAGER_TALK)
    if report.main_form == Form.VIOLENCE:
        kinds += [
            kind
            for kind, share in (
                (Support.Kind.DEFUSING, 0.8),
                (Support.Kind.SUPPORT_PERSON, 0.3),
                (Support.Kind.TRANSPORT, 0.2),
            )
            if _chance(rng, share)
        ]
    if report.wants_occupational_health:
        kinds.append(Support.Kind.OCCUPATIONAL_HEALTH)
    if Consequence.SHOCK in report.consequences:
        kinds.append(Support.Kind.CRISIS)
    if {"threat.relatives", "harassment.following", "harassment.online_exposure"} & set(
        report.subforms
    ):
        kinds.append(Support.Kind.HOME_SECURITY)
    if ctx.case.police_decision == PoliceDecision.EMPLOYEE_WITH_HELP:
        kinds.append(Support.Kind.LEGAL)
    offered_at = acked + timedelta(minutes=rng.randint(5, 30))
    if offered_at > ctx.now - timedelta(minutes=10):
        return
    offered_on = _day(offered_at)
    for kind in dict.fromkeys(kinds or [Support.Kind.MANAGER_TALK]):
        support = Support(case=ctx.case, kind=kind, offered_on=offered_on)
        ctx.out.supports.append(support)
        label = _label(Support.Kind, kind)
        ctx.out.event(
            ctx.case, handler, Kind.SUPPORT, offered_at, note=gettext("Offered: %s") % label
        )
        _support_steps(ctx, handler, support, offered_at, closes)


def _support_steps(
    ctx: _Ctx, handler: User, support: Support, offered_at: datetime, closes: bool
) -> None:
    rng, out = ctx.rng, ctx.out
    label = _label(Support.Kind, support.kind)
    latest = ctx.today - timedelta(days=1)

    def record(status: str, day: date) -> None:
        at = _office(rng, day, offered_at)
        if at < ctx.now - timedelta(minutes=10):
            note = f"{label}: {_label(Support.Status, status)}"
            out.event(ctx.case, handler, Kind.SUPPORT, at, note=note)
            ctx.last = max(ctx.last, at)

    if _chance(rng, 0.15):
        day = support.offered_on + timedelta(days=rng.randint(0, 3))
        if day <= latest or closes:
            support.status = Support.Status.DECLINED
            record(support.status, min(day, latest))
        return
    given_on = support.offered_on + timedelta(days=rng.randint(0, 7))
    if given_on > latest and not closes:
        if support.offered_on < latest:
            support.status = Support.Status.ACCEPTED
            record(support.status, support.offered_on + timedelta(days=1))
        return
    support.status = Support.Status.GIVEN
    support.given_on = max(min(given_on, latest), support.offered_on)
    support.follow_up_due_on = support.given_on + timedelta(
        days=settings.VARNA_SUPPORT_FOLLOW_UP_DAYS
    )
    record(support.status, support.given_on)
    followed_on = support.follow_up_due_on + timedelta(days=rng.randint(-3, 4))
    followed_on = max(followed_on, support.given_on + timedelta(days=1))
    if closes or (followed_on <= latest and _chance(rng, 0.7)):
        support.followed_up_on = min(followed_on, latest)
        record(support.status, support.followed_up_on)


def _actor(ctx: _Ctx, handler: User, at: datetime) -> None:
    rng, report = ctx.rng, ctx.report
    if at > ctx.now - timedelta(minutes=10):
        return
    who = "Klient" if report.actor_relation == ActorRelation.CLIENT else "Anhörig"
    opened_year = _day(report.submitted_at).year
    threat = next((THREAT_WORDING[s] for s in report.subforms if s in THREAT_WORDING), "")
    ctx.out.actors.append(
        ActorDetails(
            case=ctx.case,
            name=f"{who} {rng.choice(string.ascii_uppercase)}",
            client_reference=f"Dnr {opened_year - rng.randint(0, 2)}-{rng.randint(100, 999)}",
            description=rng.choice(ACTOR_DESCRIPTIONS),
            threat_wording=threat,
            earlier_events=rng.choice(EARLIER) if report.actor_known == Answer.YES else "",
        )
    )
    ctx.out.event(ctx.case, handler, Kind.ACTOR, at)


# After the cases exist ---------------------------------------------------------------------


def _safety_requests(rng: random.Random, out: _Out, people: _People, now: datetime) -> None:
    """The safety representative's requests for measures (AML 6 kap. 6 a §): one answered in
    Grupp 2A some months ago, one in Grupp 1A still waiting for its answer."""
    rep = User.objects.filter(username=SAFETY_REP).first()
    if rep is None or SafetyRequest.objects.filter(requested_by=rep).exists():
        return

    def latest(code: str, states: Iterable[str], min_age: int) -> Case | None:
        found = [
            case
            for case in out.cases
            if case.unit.code == code
            and not case.security_routed
            and case.state in states
            and case.acknowledged_at is not None
            and (now - case.opened_at).days >= min_age
            and case.main_form in {Form.THREAT, Form.VIOLENCE, Form.HARASSMENT}
        ]
        return found[-1] if found else None

    closed = latest("DEMO-FSE2A", [State.CLOSED], 60)
    if closed is not None and closed.acknowledged_at and closed.closed_at:
        asked = _later(rng, closed.acknowledged_at, 0, 1)
        answered = _later(rng, asked, 1, 2)
        if answered >= closed.closed_at:
            asked = closed.acknowledged_at + timedelta(minutes=30)
            answered = asked + timedelta(hours=2)
        nearest = people.levels(closed.unit, Role.MANAGER)
        answerer = nearest[0][0] if nearest else closed.handler
        confirmed = asked + timedelta(minutes=20)
        request = SafetyRequest.objects.create(
            unit=closed.unit,
            case=closed,
            requested_by=rep,
            demand=ANSWERED_DEMAND,
            answer_due_on=rules.request_answer_due(asked),
            confirmed_at=confirmed,
            confirmed_by=answerer,
            answer=ANSWER,
            decision=SafetyRequest.Decision.PARTLY,
            answered_on=_day(answered),
            answered_by=answerer,
        )
        SafetyRequest.objects.filter(pk=request.pk).update(created_at=asked, updated_at=answered)
        label = _label(SafetyRequest.Kind, request.kind)
        out.event(closed, rep, Kind.REQUEST, asked, note=f"{label}: {ANSWERED_DEMAND}")
        out.event(closed, answerer, Kind.REQUEST_CONFIRMED, confirmed, note=label)
        out.event(closed, answerer, Kind.REQUEST_ANSWERED, answered, note=ANSWER)

    unit = Unit.objects.filter(code="DEMO-FSE1A").first()
    if unit is None:
        return
    waiting = latest("DEMO-FSE1A", [s for s in OPEN_STATES if s != State.RECEIVED], 0)
    earliest = now - timedelta(days=2)
    if waiting is not None and waiting.acknowledged_at is not None:
        earliest = max(earliest, waiting.acknowledged_at + timedelta(minutes=30))
    asked = _between(rng, earliest, now - timedelta(hours=1))
    request = SafetyRequest.objects.create(
        unit=unit,
        case=waiting,
        requested_by=rep,
        demand=OPEN_DEMAND,
        answer_due_on=rules.request_answer_due(asked),
    )
    SafetyRequest.objects.filter(pk=request.pk).update(created_at=asked, updated_at=asked)
    request.created_at = asked
    if waiting is not None:
        label = _label(SafetyRequest.Kind, request.kind)
        out.event(waiting, rep, Kind.REQUEST, asked, note=f"{label}: {OPEN_DEMAND}")
        out.requests.append((waiting.pk, asked))
    out.reminders.append(Reminder(kind=Reminder.Kind.SAFETY_REQUEST, due_at=asked, request=request))


def _insert_events(rows: list[tuple[Any, ...]]) -> None:
    """The timeline rows, in the order made (which breaks ties of time), with one
    executemany: ten times faster than bulk_create for the step's largest table."""
    quote = connection.ops.quote_name
    names = ["case", "at", "actor", "kind", "from_state", "to_state", "note", "for_employee"]
    fields = {each.name: each for each in CaseEvent._meta.concrete_fields}
    columns = [str(fields[name].column) for name in names]
    adapt = connection.ops.adapt_datetimefield_value
    # Only names from the model's own metadata go into the statement.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(CaseEvent._meta.db_table),
        ", ".join(quote(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 10):
            cursor.executemany(
                sql,
                [(row[0], adapt(row[1]), *row[2:]) for row in rows[start : start + BATCH * 10]],
            )


def _reminders(out: _Out) -> None:
    """The reminder rows the services leave for open work; closed work has none."""
    for case in out.cases:
        if case.state == State.CLOSED:
            continue
        if case.state == State.RECEIVED:
            out.reminders.append(
                Reminder(kind=Reminder.Kind.ACKNOWLEDGE, due_at=case.acknowledge_due_at, case=case)
            )
        if case.notice_pending:
            out.reminders.append(
                Reminder(kind=Reminder.Kind.NOTICE, due_at=out.notice_due[case.pk], case=case)
            )
        if case.injury_report_pending and case.injury_report_due_at:
            out.reminders.append(
                Reminder(
                    kind=Reminder.Kind.INJURY_REPORT, due_at=case.injury_report_due_at, case=case
                )
            )
    for measure in out.measures:
        if measure.is_open and measure.case.state != State.CLOSED:
            out.reminders.append(
                Reminder(
                    kind=Reminder.Kind.MEASURE,
                    due_at=rules.end_of_day(measure.due_on),
                    measure=measure,
                )
            )
    for support in out.supports:
        if (
            support.follow_up_due_on is not None
            and support.followed_up_on is None
            and support.case.state != State.CLOSED
        ):
            out.reminders.append(
                Reminder(
                    kind=Reminder.Kind.SUPPORT_FOLLOW_UP,
                    due_at=rules.start_of_day(support.follow_up_due_on),
                    support=support,
                )
            )
