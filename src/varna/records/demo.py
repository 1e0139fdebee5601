"""The demo's record: a few reports completed after sending, one reclassified, a few closed as
not unlawful influence, two cases under a legal hold, and Demo kommun's retention plan.

Runs after the case demo and before the follow-up is counted (VARNA_DEMO_STEPS), writing the
rows the services would write, without notifying anyone. Idempotent: nothing is done when the
demo already has report versions.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from varna.cases.models import Case, CaseEvent, PoliceOutcome, State
from varna.orgs.models import Unit
from varna.records.models import Kind, RetentionPeriod
from varna.reporting.models import ReportChange
from varna.reporting.taxonomy import Form, Place

COMPLETIONS = [
    (
        {"place": Place.PHONE},
        "Han ringde igen dagen efter och upprepade samma sak.",
    ),
    (
        {"place": Place.LETTER},
        "Brevet kom till enhetens adress. Jag har sparat det och lämnat det till min chef.",
    ),
    ({"place": Place.OFFICE}, "En kollega såg vad som hände och kan berätta om det."),
]
LAWFUL_REASONS = [
    "Klienten överklagade beslutet och skrev till förvaltningsrätten. Att överklaga är ett "
    "lagligt sätt att påverka ett beslut, så det räknas inte som otillåten påverkan. Bra att "
    "du rapporterade: när du är osäker ska du alltid rapportera.",
    "Kritiken på sociala medier gällde enhetens beslut, inte dig som person, och innehöll inga "
    "hot eller kränkningar. Det är tillåten kritik. Tack för att du rapporterade.",
]
HOLD_REASON = "Förundersökning pågår hos polisen; ärendet kan behövas i rättegång."
# Demo kommun's information management plan (informationshanteringsplan), in months.
PLAN_BASIS = "Informationshanteringsplan för socialnämnden 2026, dnr SN 2026/14"
PLAN = {
    Kind.CASES: 120,
    Kind.NOT_UNLAWFUL: 24,
    Kind.ACTOR: 36,
    Kind.ATTACHMENTS: 60,
    Kind.NOTIFICATIONS: 12,
    Kind.READ_LOG: 36,
}


def load() -> bool:
    if ReportChange.objects.filter(report__unit__code__startswith="DEMO").exists():
        return False
    demo = Unit.objects.filter(code="DEMO").first()
    if demo is None:
        return False
    with transaction.atomic():
        now = timezone.now()
        cases = Case.objects.filter(unit__code__startswith="DEMO", security_routed=False)
        _completions(cases, now)
        _reclassification(cases, now)
        _not_unlawful(cases)
        _holds(cases, now)
        _plan(demo, now)
    return True


def _event(case: Case, kind: str, at, note: str, *, for_employee: bool = False) -> CaseEvent:
    return CaseEvent(
        case=case, actor=case.handler, kind=kind, at=at, note=note, for_employee=for_employee
    )


def _completions(cases, now) -> None:
    """Three open cases whose employee added to the report a day after sending it."""
    chosen = cases.filter(state__in=[State.ACKNOWLEDGED, State.INVESTIGATED]).select_related(
        "report"
    )
    events, changes = [], []
    for case, (fields, text) in zip(chosen.order_by("-opened_at")[:3], COMPLETIONS, strict=False):
        report = case.report
        at = min(report.submitted_at + timedelta(days=1), now)
        changed = [
            {"field": name, "before": getattr(report, name), "after": value}
            for name, value in fields.items()
            if getattr(report, name) != value
        ]
        for name, value in fields.items():
            setattr(report, name, value)
        report.version += 1
        report.save(update_fields=[*fields, "version"])
        changes.append(
            ReportChange(
                report=report,
                version=report.version,
                at=at,
                by=report.reporter,
                kind=ReportChange.Kind.COMPLETED,
                fields=changed,
                added_text=text,
            )
        )
        events.append(
            CaseEvent(
                case=case,
                actor=report.reporter,
                kind=CaseEvent.Kind.REPORT_COMPLETED,
                at=at,
                for_employee=True,
            )
        )
    ReportChange.objects.bulk_create(changes)
    CaseEvent.objects.bulk_create(events)


def _reclassification(cases, now) -> None:
    """One harassment that the handler found to be a veiled threat."""
    case = (
        cases.filter(state=State.INVESTIGATED, main_form=Form.HARASSMENT)
        .select_related("report")
        .order_by("-opened_at")
        .first()
    )
    if case is None:
        return
    report = case.report
    reason = "Samtalet innehöll ett dolt hot (”jag vet var du bor”), inte bara trakasserier."
    change = ReportChange(
        report=report,
        version=report.version + 1,
        at=now - timedelta(hours=2),
        by=case.handler,
        kind=ReportChange.Kind.RECLASSIFIED,
        fields=[
            {"field": "main_form", "before": report.main_form, "after": Form.THREAT},
            {"field": "subforms", "before": report.subforms, "after": ["threat.veiled"]},
        ],
        reason=reason,
    )
    report.main_form, report.subforms, report.version = (
        Form.THREAT,
        ["threat.veiled"],
        change.version,
    )
    report.save(update_fields=["main_form", "subforms", "version"])
    Case.objects.filter(pk=case.pk).update(main_form=Form.THREAT)
    change.save()
    _event(case, CaseEvent.Kind.RECLASSIFIED, change.at, reason).save()


def _not_unlawful(cases) -> None:
    """Two closed harassment reports that turned out to be lawful influence."""
    # The most recent ones, so that this year's follow-up shows them counted apart.
    chosen = cases.filter(state=State.CLOSED, main_form=Form.HARASSMENT).order_by("-opened_at")
    for case, reason in zip(chosen[:2], LAWFUL_REASONS, strict=False):
        assert case.closed_at is not None
        Case.objects.filter(pk=case.pk).update(
            not_unlawful=True, not_unlawful_reason=reason, outcome=reason
        )
        _event(case, CaseEvent.Kind.NOT_UNLAWFUL, case.closed_at, reason, for_employee=True).save()


def _holds(cases, now) -> None:
    """Two closed cases the police are still investigating, kept under a legal hold."""
    chosen = cases.filter(
        state=State.CLOSED,
        police_outcome__in=[PoliceOutcome.INVESTIGATION, PoliceOutcome.PROSECUTION],
    ).order_by("opened_at")[:2]
    for case in chosen:
        assert case.closed_at is not None
        at = case.closed_at + timedelta(minutes=5)
        Case.objects.filter(pk=case.pk).update(
            hold_since=at, hold_by=F("handler"), hold_reason=HOLD_REASON
        )
        _event(case, CaseEvent.Kind.HOLD_SET, at, HOLD_REASON).save()


def _plan(demo: Unit, now) -> None:
    RetentionPeriod.objects.bulk_create(
        RetentionPeriod(
            municipality=demo, kind=kind, months=months, basis=PLAN_BASIS, set_at=now, set_by=None
        )
        for kind, months in PLAN.items()
    )
