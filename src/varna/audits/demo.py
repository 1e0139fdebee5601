"""Demo kommun's audit: the auditors' review of how Arbetslivsnämnden works against threats,
violence and unlawful influence, its five recommendations, the committee's answer to each and
the measures it decided, followed up since.

Written for the demo from the findings Värna was built on: only about a quarter of the staff
reported their latest event, employees did not know whether risk assessments were made,
management lacked data to follow up, and training was not aimed where the risk is. Dated back
from today (the report about fourteen months ago, the answer three months later), so the demo
always shows most measures done with notes and evidence, one under way, one not started and
one overdue (for more than the month after which the reminders escalate).

The rows are written directly rather than through the services: the demo records a history
(notes dated in the past, measures whose due date has passed), which the services rightly
refuse for new input. Deterministic; a second load changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from varna.audits.models import Audit, Measure, MeasureNote, Recommendation
from varna.orgs.models import Unit, User

UNIT = "DEMO-ALN"
TITLE = "Granskning av arbetet mot hot och våld och otillåten påverkan inom Arbetslivsnämnden"
AUDITORS = "Demo kommuns förtroendevalda revisorer, biträdda av sakkunnigt biträde"
SUMMARY = (
    "Revisorerna har granskat om Arbetslivsnämnden har en ändamålsenlig styrning och "
    "uppföljning av arbetet mot hot, våld och otillåten påverkan mot medarbetare som utövar "
    "myndighet. Den sammanfattande bedömningen är att arbetet delvis är ändamålsenligt. Risken "
    "bedöms som hög, särskilt inom försörjningsstödet. En enkät till medarbetarna visar att "
    "bara omkring en fjärdedel rapporterade sin senaste händelse i avvikelsesystemet, och "
    "många vet inte om det finns en riskbedömning för deras arbete. Ledningen saknar underlag "
    "för att se var händelser inträffar och vilka åtgärder som ger effekt, och "
    "utbildningsinsatserna är inte riktade dit risken är störst."
)
REPORT_URL = "https://intranat.demo.example/revision/granskning-hot-vald-otillaten-paverkan.pdf"
EVIDENCE = "https://intranat.demo.example/"


@dataclass(frozen=True)
class DemoNote:
    # Days after the committee's answer.
    after: int
    text: str
    status: str
    link: str = ""


@dataclass(frozen=True)
class DemoMeasure:
    text: str
    responsible: str  # a demo login
    # Due: days after the committee's answer, or (when `from_today`) days from today.
    due: int
    notes: list[DemoNote] = field(default_factory=list)
    from_today: bool = False


@dataclass(frozen=True)
class DemoRecommendation:
    text: str
    answer: str
    measures: list[DemoMeasure]


S, D = Measure.Status.STARTED, Measure.Status.DONE

RECOMMENDATIONS = [
    DemoRecommendation(
        "Säkerställ att händelser av hot, våld och otillåten påverkan rapporteras. Endast "
        "omkring en fjärdedel av medarbetarna uppger att de rapporterade sin senaste händelse, "
        "bland annat för att avvikelsesystemets kategorier inte passar händelserna.",
        "Nämnden instämmer. Det ska vara lätt att göra rätt: ett eget sätt att rapportera "
        "otillåten påverkan med Brås indelning införs, cheferna går igenom rapporteringen med "
        "sina medarbetare och förvaltningen följer upp hur stor del av händelserna som "
        "rapporteras.",
        [
            DemoMeasure(
                "Införa rapportering av otillåten påverkan med Brås indelning: trakasserier, "
                "hot, våld, skadegörelse och otillbörliga erbjudanden.",
                "forvaltningschef",
                90,
                [
                    DemoNote(30, "Upphandling klar, införandet planeras med HR.", S),
                    DemoNote(
                        84,
                        "Rapporteringen är införd i hela förvaltningen och presenterad i FSG.",
                        D,
                        EVIDENCE + "alf/rapportera-otillaten-paverkan",
                    ),
                ],
            ),
            DemoMeasure(
                "Gå igenom hur och varför man rapporterar på en arbetsplatsträff i varje grupp "
                "inom Försörjningsenheten.",
                "avdelningschef",
                150,
                [
                    DemoNote(110, "Genomgånget i grupp 1A och 2A.", S),
                    DemoNote(
                        141,
                        "Genomgånget i alla grupper; minnesanteckningarna finns i intranätet.",
                        D,
                        EVIDENCE + "alf/fse/apt-minnesanteckningar",
                    ),
                ],
            ),
            DemoMeasure(
                "Följa upp hur stor del av händelserna som rapporteras med en anonym "
                "medarbetarenkät varje år.",
                "forvaltningschef",
                120,
                [
                    DemoNote(
                        200,
                        "Första enkäten är genomförd; nästa omgång jämförs med den.",
                        S,
                        EVIDENCE + "alf/medarbetarenkat-otillaten-paverkan",
                    ),
                ],
                from_today=True,
            ),
        ],
    ),
    DemoRecommendation(
        "Säkerställ att riskbedömningar görs för arbetet med myndighetsutövning och att "
        "medarbetarna känner till dem. Många medarbetare vet inte om det har gjorts någon "
        "riskbedömning för deras arbete.",
        "Nämnden instämmer. Riskbedömningar och handlingsplaner dokumenteras i SAM-årshjulet "
        "och gås igenom med medarbetarna varje år.",
        [
            DemoMeasure(
                "Dokumentera varje enhets riskbedömning och handlingsplan i SAM-årshjulet.",
                "enhetschef",
                120,
                [
                    DemoNote(
                        115,
                        "Riskbedömningen för Försörjningsstöd 1 är godkänd och dokumenterad.",
                        D,
                        EVIDENCE + "alf/fse1/riskbedomning",
                    ),
                ],
            ),
            DemoMeasure(
                "Gå igenom enhetens riskbedömning med medarbetarna på en arbetsplatsträff.",
                "enhetschef",
                # Overdue for about six weeks: past the month after which it escalates.
                -45,
                [DemoNote(250, "Genomgånget i grupp 1A; övriga grupper återstår.", S)],
                from_today=True,
            ),
        ],
    ),
    DemoRecommendation(
        "Förbättra uppföljningen så att ledningen får underlag om var händelser inträffar, "
        "vilka åtgärder som vidtas och vilka som ger effekt.",
        "Nämnden instämmer. Förvaltningen redovisar rapporterade händelser, vidtagna åtgärder "
        "och riskbedömningarnas status för nämnden två gånger om året.",
        [
            DemoMeasure(
                "Redovisa rapporterade händelser och vidtagna åtgärder för nämnden varje halvår.",
                "forvaltningschef",
                180,
                [
                    DemoNote(
                        170,
                        "Första halvårsredovisningen lämnad till nämnden.",
                        D,
                        EVIDENCE + "aln/protokoll/halvarsredovisning",
                    ),
                ],
            ),
        ],
    ),
    DemoRecommendation(
        "Rikta utbildningen till de verksamheter och yrkesgrupper där risken är störst, "
        "utifrån rapporterade händelser.",
        "Nämnden instämmer delvis. Alla medarbetare i myndighetsutövning får en grundutbildning "
        "om otillåten påverkan; fördjupningen riktas till de enheter som rapporterar flest "
        "händelser.",
        [
            DemoMeasure(
                "Ta fram en utbildningsplan med obligatorisk grundutbildning för medarbetare i "
                "myndighetsutövning.",
                "chef.hr",
                150,
                [
                    DemoNote(
                        146,
                        "Utbildningsplanen är fastställd; kursen är obligatorisk från årsskiftet.",
                        D,
                        EVIDENCE + "hr/utbildningsplan-otillaten-paverkan",
                    ),
                ],
            ),
            DemoMeasure(
                "Ge fördjupad utbildning till de enheter inom Försörjningsenheten som "
                "rapporterar flest händelser.",
                "avdelningschef",
                90,
                from_today=True,
            ),
        ],
    ),
    DemoRecommendation(
        "Uppdatera metodhandboken så att den beskriver hur medarbetare stöds efter en "
        "händelse, också när de utsätts i privatlivet.",
        "Nämnden instämmer. Metodhandboken uppdateras, och en arbetsgrupp med två utredare "
        "stödjer medarbetare, bland annat vid polisanmälan.",
        [
            DemoMeasure(
                "Uppdatera metodhandboken med stöd efter händelse och vid polisanmälan.",
                "forvaltningschef",
                100,
                [
                    DemoNote(
                        96,
                        "Den uppdaterade metodhandboken är publicerad.",
                        D,
                        EVIDENCE + "metodhandbok/stod-efter-handelse",
                    ),
                ],
            ),
        ],
    ),
]


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


@transaction.atomic
def load() -> bool:
    """Record the demo's audit once; returns False when it is there already (or when the demo
    organisation is not)."""
    unit = Unit.objects.filter(code=UNIT).first()
    if unit is None or Audit.objects.filter(unit=unit, title=TITLE).exists():
        return False
    logins = {measure.responsible for item in RECOMMENDATIONS for measure in item.measures}
    people = {user.username: user for user in User.objects.filter(username__in=logins)}
    if len(people) < len(logins):
        return False
    today = timezone.localdate()
    reported_on = today - relativedelta(months=14)
    answered_on = today - relativedelta(months=11)
    audit = Audit.objects.create(
        unit=unit,
        title=TITLE,
        reported_on=reported_on,
        auditors=AUDITORS,
        summary=SUMMARY,
        report_url=REPORT_URL,
    )
    for number, item in enumerate(RECOMMENDATIONS, start=1):
        recommendation = Recommendation.objects.create(
            audit=audit,
            number=number,
            text=item.text,
            answer=item.answer,
            answered_on=answered_on,
            decision=f"ALN § 112/{answered_on.year}",
        )
        for planned in item.measures:
            base = today if planned.from_today else answered_on
            responsible = people[planned.responsible]
            measure = Measure.objects.create(
                recommendation=recommendation,
                text=planned.text,
                responsible=responsible,
                due_on=base + timedelta(days=planned.due),
            )
            for note in planned.notes:
                day = min(answered_on + timedelta(days=note.after), today - timedelta(days=1))
                MeasureNote.objects.create(
                    measure=measure,
                    at=_at(day),
                    by=responsible,
                    text=note.text,
                    link=note.link,
                    status=note.status,
                )
                measure.status = note.status
                measure.done_on = day if note.status == D else None
            measure.save(update_fields=["status", "done_on"])
    return True
