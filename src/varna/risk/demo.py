"""Demo risk assessments: most units of the demo have a current, approved assessment with an
action plan; some are overdue, one has a superseded earlier version, one is a draft in
progress, one safety representative disagrees, and a few units have none yet.

Built through the services (a few dozen rows), dated back from today, deterministic.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from varna.orgs import selectors
from varna.orgs.models import Role, Unit, User
from varna.risk import services
from varna.risk.models import Assessment, Participant, PlanMeasure
from varna.risk.models import RiskSituation as S

# (situation, likelihood, consequence, protections, what can happen)
RISKS: dict[str, tuple[int, int, str, str]] = {
    S.REJECTION: (
        3,
        3,
        "Beslut om avslag lämnas i bokat rum med larm; kollega i närheten.",
        "Klienten blir arg när avslaget lämnas och hotar handläggaren.",
    ),
    S.RECEPTION: (
        3,
        2,
        "Väktare på förmiddagar, överfallslarm i receptionen.",
        "Besökare utan bokad tid kräver att få träffa sin handläggare.",
    ),
    S.HOME_VISIT: (
        2,
        4,
        "Hembesök görs två och två efter riskbedömning av ärendet.",
        "Hot eller våld vid hembesök där anhöriga finns på plats.",
    ),
    S.PHONE: (4, 1, "Samtal kan avbrytas; hot dokumenteras.", "Upprepade hotfulla samtal."),
    S.ONLINE: (
        2,
        3,
        "",
        "Handläggare hängs ut med namn och bild i sociala medier.",
    ),
    S.DETAILS_FINDABLE: (
        2,
        3,
        "Endast förnamn och direktnummer i beslut.",
        "Hemadressen går att hitta via upplysningstjänster.",
    ),
    S.WORKING_ALONE: (2, 3, "", "Sena eftermiddagar är en handläggare ensam på plats."),
    S.MONEY: (1, 3, "Ingen kontanthantering.", "Krav på utbetalning på plats."),
}
# Measures per situation: (what, months after the assessment it is due)
MEASURES: dict[str, tuple[str, int]] = {
    S.REJECTION: ("Rutin för att lämna avslag: förberedelse, två handläggare vid känd risk", 1),
    S.RECEPTION: ("Se över receptionens möblering och utrymningsväg; öva larmet", 2),
    S.HOME_VISIT: ("Checklista inför hembesök i verksamhetssystemet", 2),
    S.ONLINE: ("Utbildning: att hantera uthängning och hat på nätet", 4),
    S.DETAILS_FINDABLE: ("Erbjud skyddad adress via arbetsgivaren; spärra uppgifter", 1),
    S.WORKING_ALONE: ("Schema så att ingen arbetar ensam efter kl. 16", 1),
    S.PHONE: ("Rutin för att avsluta och dokumentera hotfulla samtal", 3),
}


@dataclass(frozen=True)
class Plan:
    unit: str
    months_ago: int  # when the current assessment was made
    situations: tuple[str, ...]
    earlier: bool = False  # an older, superseded version exists
    draft: bool = False  # the current work is a draft in progress
    disagree: bool = False  # the safety representative records disagreement
    confirmed: bool = True


PLANS = [
    Plan(
        "DEMO-FSE1", 9, (S.REJECTION, S.RECEPTION, S.HOME_VISIT, S.DETAILS_FINDABLE), earlier=True
    ),
    # Thirteen months ago: the next one is overdue.
    Plan("DEMO-FSE2", 13, (S.REJECTION, S.RECEPTION, S.PHONE)),
    Plan("DEMO-FSE3", 0, (S.REJECTION, S.ONLINE), draft=True),
    Plan("DEMO-MOT", 4, (S.RECEPTION, S.PHONE, S.WORKING_ALONE), disagree=True),
    Plan("DEMO-BOU", 14, (S.HOME_VISIT, S.DETAILS_FINDABLE, S.ONLINE), confirmed=False),
    Plan("DEMO-VUX", 6, (S.HOME_VISIT, S.REJECTION)),
    Plan("DEMO-AME", 2, (S.RECEPTION, S.WORKING_ALONE)),
    Plan("DEMO-BIS", 8, (S.REJECTION, S.PHONE)),
    Plan("DEMO-OFK", 5, (S.MONEY, S.DETAILS_FINDABLE)),
    Plan("GRANN-EB", 7, (S.REJECTION, S.RECEPTION)),
]


def load() -> bool:
    """Make the demo's assessments once; returns False when they exist already."""
    if Assessment.objects.filter(unit__code__startswith="DEMO").exists():
        return False
    today = timezone.localdate()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        for plan in PLANS:
            unit = Unit.objects.filter(code=plan.unit).first()
            if unit is not None:
                _make(unit, plan, today)
    return True


def _people(unit: Unit) -> tuple[User | None, User | None, list[User]]:
    manager = next(iter(selectors.nearest_holders(unit, Role.MANAGER)), None)
    safety_rep = next(iter(selectors.nearest_holders(unit, Role.SAFETY_REP)), None)
    staff = [
        employment.user for employment in selectors.staff_of(unit)[:2] if employment.user != manager
    ]
    if not staff:
        child_staff = (
            User.objects.filter(employments__unit__parent=unit, is_active=True)
            .exclude(role_grants__role=Role.MANAGER)
            .order_by("pk")
            .distinct()[:2]
        )
        staff = list(child_staff)
    return manager, safety_rep, staff


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _make(unit: Unit, plan: Plan, today: date) -> None:
    manager, safety_rep, staff = _people(unit)
    if manager is None:
        return
    participants = [
        (person, Participant.Capacity.EMPLOYEE) for person in staff if person != safety_rep
    ]
    if safety_rep is not None:
        participants.append((safety_rep, Participant.Capacity.SAFETY_REP))
    if plan.earlier:
        _assessment(
            unit, manager, safety_rep, participants, plan.situations[:2],
            today - relativedelta(months=plan.months_ago + 12), today, approve=True,
            confirm=True, disagree=False,
        )  # fmt: skip
    _assessment(
        unit, manager, safety_rep, participants, plan.situations,
        today - relativedelta(months=plan.months_ago), today, approve=not plan.draft,
        confirm=plan.confirmed and not plan.draft, disagree=plan.disagree,
    )  # fmt: skip


def _assessment(
    unit: Unit,
    manager: User,
    safety_rep: User | None,
    participants: list[tuple[User, str]],
    situations: tuple[str, ...],
    assessed_on: date,
    today: date,
    *,
    approve: bool,
    confirm: bool,
    disagree: bool,
) -> Assessment:
    start = _at(assessed_on, 9)
    assessment = services.start_assessment(
        unit=unit,
        by=manager,
        assessed_on=assessed_on,
        participants=participants,
        other_participants="Företagshälsovården" if unit.code == "DEMO-FSE1" else "",
        conclusion=(
            "Störst risk vid avslag och i receptionen. Rutinerna finns men är inte kända "
            "av alla nyanställda."
        ),
        now=start,
    )
    for situation in situations:
        likelihood, consequence, protections, description = RISKS[situation]
        risk = services.add_risk(
            assessment,
            by=manager,
            data={
                "situation": situation,
                "description": description,
                "likelihood": likelihood,
                "consequence": consequence,
                "protections": protections,
            },
            now=start,
        )
        if situation not in MEASURES:
            continue
        what, months = MEASURES[situation]
        due_on = assessed_on + relativedelta(months=months)
        measure = services.add_measure(
            assessment,
            by=manager,
            data={
                "what": what,
                "owner": manager,
                "due_on": due_on,
                "risk": risk,
                "follow_up_on": due_on + timedelta(days=60),
            },
            now=start,
        )
        # Older measures are mostly done; the last one of a plan past its due date is not.
        if due_on < today - timedelta(days=30) and situation != situations[-1]:
            services.update_measure(
                measure,
                by=manager,
                status=PlanMeasure.Status.DONE,
                done_on=due_on,
                follow_up="Genomfört och uppföljt på APT.",
                now=_at(due_on, 15),
            )
        elif due_on < today:
            services.update_measure(
                measure, by=manager, status=PlanMeasure.Status.IN_PROGRESS, now=_at(due_on, 15)
            )
    if approve:
        services.approve(
            assessment,
            by=manager,
            no_safety_rep_reason=(
                "" if safety_rep is not None else "Enheten har inget skyddsombud utsett."
            ),
            now=_at(assessed_on, 15),
        )
    if safety_rep is not None and (confirm or disagree):
        services.respond(
            assessment,
            by=safety_rep,
            response=Assessment.Response.DISAGREES if disagree else Assessment.Response.CONFIRMED,
            note=(
                "Ensamarbete på eftermiddagar är en högre risk än bedömningen säger."
                if disagree
                else ""
            ),
            now=_at(assessed_on + timedelta(days=2), 10),
        )
    return assessment
