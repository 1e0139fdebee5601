"""The sections every municipality's handbook starts with, in Swedish and English.

They replace the four fixed guidance pages that the receipt used to point to: what happens
after an event, support, police reports, corruption and whistleblowing. A new municipality
(a root unit) gets them published as version 1 (varna.handbook.signals), and migration 0002
gave them to the municipalities that existed before the handbook. From then on they are the
municipality's own text: editors change them like any other section.

The texts never name a number of working days for the manager's first contact: each
installation sets its own (VARNA_ACKNOWLEDGE_WORKING_DAYS) and the receipt states it.

DEFAULTS is plain data, read also by the migration; only install_defaults uses the models.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from varna.handbook import markdown
from varna.handbook.models import Section, SectionLink, SectionVersion
from varna.orgs.models import Unit, User

# The values of the link kinds registered by the reporting app (varna.reporting.taxonomy.Form),
# written out because the handbook sits below the apps that own them.
ALL_FORMS = ("harassment", "threat", "violence", "damage", "corruption")
# What version 1 of a default section says about itself in the history.
COMMENT = "Grundtext som följer med Värna."


@dataclass(frozen=True)
class Default:
    slug: str
    kind: str  # a Section.Kind value
    position: int
    in_introduction: bool
    title: str
    body: str
    title_en: str
    body_en: str
    links: tuple[tuple[str, str], ...]  # (link kind, value)


AFTER_AN_EVENT = Default(
    slug="efter-en-handelse",
    kind="routine",
    position=50,
    in_introduction=True,
    title="Efter en händelse: vad händer nu",
    body="""\
Du har rapporterat en händelse, eller funderar på att göra det. Här kan du läsa om vad som
händer sedan och vad du kan förvänta dig av din arbetsgivare.

## Vem som får veta

När du skickar en rapport får din chef och skyddsombudet för din enhet besked direkt.
E-postmeddelandet de får innehåller inga detaljer, bara en länk till rapporten i Värna.

Om du rapporterar korruption och väljer att skicka rapporten till säkerhetssamordnaren är det
bara säkerhetssamordnaren som får besked, inte din chef.

## Din chef kontaktar dig

Din chef kontaktar dig inom det antal arbetsdagar som kvittensen på din rapport anger. Ni
pratar om vad som hände, hur du mår och vad du behöver just nu. Du behöver inte ha alla svar
redan i det första samtalet.

- Om du känner dig otrygg nu, säg det till din chef samma dag. Vänta inte på att chefen hör
  av sig.
- Om din chef inte är på plats, kontakta chefen på nivån ovanför.
- Du kan ta med ditt skyddsombud eller en kollega till samtalet.

## Händelsen utreds

Din chef, eller någon som chefen ger i uppdrag, utreder vad som hände, varför det hände och
om samma risk finns kvar för dig eller dina kollegor. Den som utreder kan prata med dig, med
kollegor som såg händelsen och med skyddsombudet.

Utredningen handlar om arbetsmiljön, inte om huruvida du har gjort något fel.

## Åtgärder

Din chef beslutar vad som ska göras. Det som kan göras direkt görs direkt. Några exempel:

- Två handläggare hanterar ärendet eller går på möten tillsammans.
- Någon annan tar över ärendet, tillfälligt eller för gott.
- Möten med personen hålls bara i ett rum med larm och fri väg ut.
- De mest utsatta ärendena delas eller roteras mellan kollegor.

Åtgärder som tar längre tid förs in i en skriftlig handlingsplan som anger vad som ska göras,
vem som gör det och när det ska vara klart.

Allvarliga händelser, till exempel hot med kniv eller skjutvapen, ett dödshot som du tror är
allvarligt menat eller våld, anmäler arbetsgivaren till Arbetsmiljöverket samma dag. Om du
skadades, även genom chock, hjälper din chef dig att anmäla arbetsskada till
Försäkringskassan och påminner dig om att du kan ha rätt till ersättning från AFA Försäkring.

## Uppföljning

- Några dagar senare följer din chef upp hur du mår och om åtgärderna hjälper.
- Du får veta resultatet innan ärendet avslutas.
- Händelser gås igenom på arbetsplatsträffen utan namn, så att alla kan lära sig av dem.
- Din rapport blir underlag för enhetens riskbedömning och för de siffror som ledningen
  använder för att avgöra var åtgärder behövs.

## Skyddsombudets roll

Skyddsombudet företräder dig och dina kollegor i arbetsmiljöfrågor. Skyddsombudet får besked
om rapporter från din enhet och kan delta i utredningen och i beslut om åtgärder.

Om skyddsombudet anser att mer behövs kan det formellt begära åtgärder av arbetsgivaren.
Arbetsgivaren måste då svara skriftligt utan dröjsmål. Du kan alltid kontakta ditt
skyddsombud direkt.

## Om du inte har rapporterat än

- Rapportera även om det känns litet, och även om det inte är ett brott.
- Rapportera också händelser på din fritid, om de har koppling till ditt arbete.
- Det är vad du tror att syftet var som räknas. Du behöver inte vara säker.
""",
    title_en="After an event: what happens now",
    body_en="""\
You have reported an event, or you are thinking about doing it. This page tells you what
happens next and what you can expect from your employer.

## Who is told

When you send a report, your manager and your unit's safety representative are told at once.
The e-mail they get holds no details, only a link to the report in Värna.

If you report corruption and choose to send it to the security coordinator, only the
security coordinator is told. Your manager is not.

## Your manager contacts you

Your manager contacts you within the number of working days stated on the receipt of your
report. You talk about what happened, how you feel and what you need now. You do not have to
have all the answers in that first talk.

- If you feel unsafe now, tell your manager the same day. Do not wait for the call.
- If your manager is away, contact the manager above them.
- You can bring your safety representative or a colleague to the talk.

## The event is investigated

Your manager, or someone they ask, looks into what happened, why it happened and whether the
same risk remains for you or your colleagues. They may talk to you, to colleagues who saw it
and to the safety representative.

The investigation is about the work environment, not about whether you did something wrong.

## Measures

Your manager decides what to do. What can be done at once is done at once. Some examples:

- Two officials handle the case or go to meetings together.
- Someone else takes over the case, for a while or for good.
- Meetings with the person are held only in a room with an alarm and a free way out.
- The most exposed cases are shared or rotated among colleagues.

Measures that take longer go into a written action plan that says what will be done, who
does it and by when.

Serious events, such as a threat with a knife or a firearm, a death threat you believe is
meant, or violence, are reported by the employer to Arbetsmiljöverket the same day. If you
were injured, including by shock, your manager helps you report a work injury to
Försäkringskassan and reminds you that you may claim from AFA Försäkring.

## Follow-up

- Your manager follows up with you some days later to see how you are and whether the
  measures help.
- You are told the outcome before the case is closed.
- Events are reviewed at the workplace meeting without names, so that everyone can learn from
  them.
- Your report feeds the unit's risk assessment and the figures management uses to decide
  where to act.

## The safety representative's role

The safety representative speaks for you and your colleagues on work environment matters.
They are told of reports from your unit and can take part in the investigation and in
deciding measures.

If they think more is needed, they can formally demand measures from the employer. The
employer must then answer in writing without delay. You can always contact your safety
representative directly.

## If you have not reported yet

- Report even if it feels small, and even if it is not a crime.
- Report events in your free time too, if they are linked to your work.
- It is what you believe the purpose was that counts. You do not need to be sure.
""",
    links=tuple(("form", form) for form in ALL_FORMS),
)

SUPPORT = Default(
    slug="stod",
    kind="routine",
    position=60,
    in_introduction=False,
    title="Stöd till dig",
    body="""\
Att bli trakasserad, hotad eller angripen på grund av ditt arbete påverkar dig, även när du
hanterar det bra. Din arbetsgivare erbjuder stöd. Allt stöd är frivilligt, och du kan tacka ja
senare även om du först tackade nej.

## Direkt efter händelsen

- Var inte ensam. Gå till din chef eller en kollega.
- Du erbjuds ett avlastningssamtal samma dag: ett kort samtal med alla som berördes om vad som
  hände och hur ni reagerade.
- Om du är skakad eller känner dig otrygg ordnar arbetsgivaren så att du kommer hem.
- Du behöver inte återgå till ärendet eller möta personen igen den dagen.

## Dagarna efter

En stödperson, ofta en kollega eller din chef, hör av sig till dig under de närmaste dagarna.
Din chef har också ett uppföljningssamtal med dig.

Det är vanligt att sova dåligt, känna oro eller gå igenom händelsen om och om igen. Det är
normala reaktioner. Säg till din chef om de inte går över, så att du får mer hjälp.

## Företagshälsovård

Du kan prata med en psykolog eller samtalsterapeut på företagshälsovården. Din chef ordnar
det och arbetsgivaren betalar. Det du säger där stannar mellan dig och dem.

## Krisstöd

Efter en allvarlig händelse, till exempel våld eller hot mot ditt liv, erbjuds du krisstöd
direkt. Fråga din chef, eller säg till om du behöver det senare.

## Om du känner dig otrygg hemma

Om hotet gäller ditt hem eller din familj, berätta det för din chef. I allvarliga fall går
arbetsgivaren igenom säkerheten i ditt hem tillsammans med dig och hjälper dig att ansöka om
skyddade personuppgifter, så att din adress blir svårare att hitta.

- Värna frågar aldrig efter din hemadress.
- Din hemadress och ditt privata telefonnummer hålls hemliga i personalregistret.
- Berätta för din chef om din familj har drabbats, så att stödet omfattar dem också.

## Förändringar i arbetet

Stöd handlar också om ditt arbete. Du och din chef kan komma överens om att någon annan tar
över ärendet, att du bara träffar personen tillsammans med en kollega eller att du undviker
att arbeta ensam under en tid.

## Skada och försäkring

Om du skadades, även genom chock, hjälper din chef och skyddsombudet dig att anmäla
arbetsskada till Försäkringskassan. Du kan också ha rätt till ersättning från AFA Försäkring.
""",
    title_en="Support for you",
    body_en="""\
Being harassed, threatened or attacked because of your work affects you, even when you handle
it well. Your employer offers support. All of it is voluntary, and you can say yes later even
if you said no at first.

## Right after the event

- Do not stay alone. Go to your manager or a colleague.
- You are offered a defusing talk the same day: a short talk with everyone affected about
  what happened and how you reacted.
- If you are shaken or feel unsafe, the employer arranges transport home.
- You do not have to go back to the case or the person that day.

## In the days after

A support person, often a colleague or your manager, checks in on you in the following days.
Your manager also has a follow-up talk with you.

It is common to sleep badly, feel worried or go over the event again and again. These are
normal reactions. Tell your manager if they do not ease, so that you get more help.

## Occupational health

You can talk to a psychologist or counsellor at the occupational health service
(företagshälsovård). Your manager arranges it and the employer pays. What you say there
stays between you and them.

## Crisis support

After a serious event, such as violence or a threat against your life, you are offered
crisis support at once. Ask your manager, or tell them if you need it later.

## If you feel unsafe at home

If the threat concerns your home or your family, tell your manager. In serious cases the
employer reviews your home security with you and helps you apply for protected personal
data, so that your address is harder to find.

- Värna never asks for your home address.
- Your home address and private phone number are kept secret in the personnel records.
- Tell your manager if your family has been affected, so that the support covers them too.

## Changes at work

Support is also about your work. You and your manager can agree that someone else takes over
the case, that you meet the person only together with a colleague, or that you avoid working
alone for a while.

## Injury and insurance

If you were injured, including by shock, your manager and the safety representative help you
report a work injury to Försäkringskassan. You may also claim from AFA Försäkring.
""",
    links=tuple(("form", form) for form in ALL_FORMS),
)

POLICE_REPORT = Default(
    slug="polisanmalan",
    kind="routine",
    position=70,
    in_introduction=False,
    title="Polisanmälan: så hjälper arbetsgivaren till",
    body="""\
Hot, våld och skadegörelse är ofta brott. Bara en liten del av dem når polisen, och det gör
att de som ligger bakom kan fortsätta. Din arbetsgivare vill att de polisanmäls och hjälper
dig att göra det.

## Så hjälper arbetsgivaren till

Din chef bestämmer tillsammans med dig om en polisanmälan ska göras och vem som gör den.

- Arbetsgivaren gör anmälan själv när det går, till exempel när arbetsplatsens egendom har
  skadats.
- När brottet riktades mot dig är du ofta målsägande. Arbetsgivaren skriver då anmälan
  tillsammans med dig och lämnar in den, eller hjälper dig att lämna in den.
- Du kan ha din chef eller en kollega med dig när du pratar med polisen.
- Arbetsgivaren ger dig juridiskt stöd om ärendet går vidare.

## Dina personuppgifter

Många avstår från att anmäla eftersom de är rädda att personen ska få reda på var de bor. Den
rädslan är förståelig, och din arbetsgivare tar den på allvar.

- I anmälan används din arbetsplatsadress, inte din hemadress.
- Säg till polisen att du vill bli kontaktad via din arbetsplats.
- Din hemadress och ditt privata telefonnummer omfattas av stark sekretess i
  personalregistret.
- Värna frågar aldrig efter din hemadress. Utkast till polisanmälan i Värna fylls i med
  arbetsplatsens adress.
- Om du är orolig, prata med din chef innan anmälan lämnas in. I allvarliga fall hjälper
  arbetsgivaren dig att ansöka om skyddade personuppgifter.

## Det här ska du skriva ner om ett hot

Skriv ner det så snart du kan, medan du minns det väl. Polisen behöver veta:

- **Ordalydelsen:** vad som sades eller skrevs, så ordagrant som möjligt.
- **När:** datum och klockslag.
- **Mot vem:** dig, en kollega, din familj eller arbetsplatsen.
- **Hur:** personligen, per telefon, med brev eller e-post, eller på nätet.
- **Vem som låg bakom:** namn eller ärendenummer om du vet det, annars en beskrivning.
- Om personen är känd från tidigare händelser.
- Vilka andra som såg eller hörde det.

Spara meddelanden, e-post, brev och röstmeddelanden. Ta skärmbilder av inlägg på nätet innan
de tas bort. Radera ingenting.

## Efter våld eller en annan akut händelse

- Skriv ner plats, tid, vilka som var inblandade och vad som hände, i tur och ordning.
- Beskriv eventuella skador och låt en läkare titta på dem, även om de verkar små.
- Fotografera skador på dig och på egendom.

## Vad som registreras

Värna registrerar beslutet: att arbetsgivaren anmäler, att du anmäler med hjälp, eller att
ingen anmälan görs och varför. Där registreras också datum, polisens diarienummer och
resultatet, så att du och din chef kan följa ärendet.

Om du inte vill polisanmäla nu kan du ändra dig senare. Prata med din chef.
""",
    title_en="Police reports: how the employer helps",
    body_en="""\
Threats, violence and damage are often crimes. Only a small share of them reach the police,
which means the people behind them can go on. Your employer wants them reported and helps
you do it.

## How the employer helps

Your manager decides with you whether a police report is made and who makes it.

- The employer files the report itself where it can, for example when workplace property was
  damaged.
- When the crime was aimed at you, you are often the injured party. The employer then writes
  the report with you and files it, or helps you file it.
- You can have your manager or another colleague with you when you talk to the police.
- The employer gives you legal support if the case goes further.

## Your personal data

Many people do not report because they fear that the person will find out where they live.
That fear is understandable, and your employer takes it seriously.

- The report uses your workplace address, not your home address.
- Tell the police that you want to be contacted through your workplace.
- Your home address and private phone number are under strong secrecy in the personnel
  records.
- Värna never asks for your home address. Police report drafts in Värna are filled in with
  the workplace address.
- If you are worried, talk to your manager before the report is filed. In serious cases the
  employer helps you apply for protected personal data.

## What to write down about a threat

Write it down as soon as you can, while you remember it well. The police need:

- **The wording:** what was said or written, as close to the exact words as you can.
- **When:** the date and the time.
- **To whom:** you, a colleague, your family or the workplace.
- **The channel:** in person, by phone, by letter or e-mail, or online.
- **Who made it:** a name or a case number if you know it, otherwise a description.
- Whether the person is known from earlier events.
- Who else saw or heard it.

Keep messages, e-mails, letters and voicemails. Take screenshots of posts online before they
are removed. Do not delete anything.

## After violence or another acute event

- Write down the place, the time, the people involved and what happened, in order.
- Describe any injuries and have them seen by a doctor, even if they seem small.
- Take photographs of injuries and damage.

## What is recorded

Värna records the decision: the employer files, you file with help, or no report is made and
why. It also records the date, the police reference number and the outcome, so that you and
your manager can follow the case.

If you do not want a police report now, you can change your mind later. Talk to your
manager.
""",
    links=(("form", "threat"), ("form", "violence"), ("form", "damage")),
)

CORRUPTION = Default(
    slug="korruption",
    kind="routine",
    position=80,
    in_introduction=False,
    title="Korruption, mutor och visselblåsning",
    body="""\
Korruption är när någon erbjuder pengar, gåvor eller tjänster, eller bygger upp en relation
med dig, för att påverka ett beslut eller få information. Även det är otillåten påverkan,
också när erbjudandet är litet eller kommer i form av vänlighet.

## Om någon erbjuder dig något

- Tacka nej, tydligt och vänligt. Ta inte emot något, inte ens något litet.
- Skriv ner vad som erbjöds, av vem, när och hur, och vad personen ville ha i gengäld.
- Rapportera det i Värna så snart du kan.

## Varningstecken

- Gåvor, inbjudningar eller vänlighet som går utöver vad ärendet kräver.
- Frågor om kollegors ärenden eller om uppgifter som du inte hanterar.
- Någon som har intresse av ditt arbete och försöker komma nära dig, även romantiskt.
- Påtryckningar för att skynda på en utbetalning eller hoppa över en kontroll.
- Ett ärende som gäller en släkting eller vän till dig. Säg till din chef och lämna över
  ärendet till någon annan.

## Rapportera i Värna

Välj Korruption som det som hände. Du kan skicka rapporten till säkerhetssamordnaren i
stället för till din närmaste chef, till exempel om du tror att din chef kan vara inblandad.
Då är det bara säkerhetssamordnaren som får besked.

## När det gäller någon inom organisationen

Om din rapport gäller en kollega, en chef eller någon annan inom organisationen kan den i
stället höra hemma i visselblåsarkanalen. Där skyddas din identitet enligt lag.

## Visselblåsarkanalen

Enligt visselblåsarlagen (lag 2021:890) ska arbetsgivare med 50 eller fler arbetstagare ha
en intern visselblåsarkanal. När du använder den gäller följande:

- Du får inom 7 dagar en bekräftelse på att din rapport har tagits emot.
- Du får inom 3 månader återkoppling om vad som har gjorts.
- Din rapport hanteras av personer som är oberoende och inte inblandade i saken.
- Din identitet hålls hemlig.
- Det är förbjudet att utsätta dig för repressalier för att du har rapporterat.

## Vem som får använda den

Anställda, praktikanter, uppdragstagare och arbetssökande får använda visselblåsarkanalen.
Klienter får inte det; de använder de vanliga vägarna för att klaga.

## Osäker?

Rapportera ändå, eller be säkerhetssamordnaren om råd. Det är bättre att rapportera något som
visar sig vara oskyldigt än att tiga om något som inte var det.
""",
    title_en="Corruption, bribes and whistleblowing",
    body_en="""\
Corruption is when someone offers money, gifts or favours, or builds a relationship with you,
to influence a decision or to get information. It is unlawful influence too, even when the
offer is small or comes as friendliness.

## If someone offers you something

- Say no, clearly and politely. Do not accept anything, not even something small.
- Write down what was offered, by whom, when, how, and what the person wanted in return.
- Report it in Värna as soon as you can.

## Signs to watch for

- Gifts, invitations or friendliness that go beyond the case.
- Questions about colleagues' cases or about information you do not handle.
- Someone trying to get close to you, also romantically, who has an interest in your work.
- Pressure to speed up a payment or to skip a check.
- A case that concerns a relative or friend of yours. Tell your manager and step aside from
  the case.

## Reporting in Värna

Choose corruption as what happened. You can send the report to the security coordinator
instead of your line manager, for example if you think your manager could be involved. Then
only the security coordinator is told.

## When it is about someone inside the organisation

If your report concerns a colleague, a manager or someone else inside the organisation, it
may belong in the whistleblowing channel instead. There your identity is protected by law.

## The whistleblowing channel

The Whistleblower Act (lag 2021:890) requires employers with 50 or more workers to have an
internal whistleblowing channel. When you use it:

- You get a confirmation that your report was received within 7 days.
- You get feedback on what has been done within 3 months.
- Your report is handled by people who are independent of the matter.
- Your identity is kept secret.
- Reprisals against you for reporting are banned.

## Who may use it

Employees, trainees, contractors and job applicants may use the whistleblowing channel.
Clients may not: they use the ordinary ways to complain.

## Not sure?

Report it anyway, or ask the security coordinator for advice. It is better to report
something that turns out to be innocent than to stay silent about something that was not.
""",
    links=(("form", "corruption"),),
)

DEFAULTS: tuple[Default, ...] = (AFTER_AN_EVENT, SUPPORT, POLICE_REPORT, CORRUPTION)


@transaction.atomic
def install_defaults(municipality: Unit, *, by: User | None = None) -> int:
    """Give the municipality each default section it lacks, published as version 1; returns
    how many were created. A section already there (by its slug) is left as its editors keep
    it, so running this again changes nothing."""
    if municipality.parent_id is not None:
        raise ValueError("The handbook belongs to a municipality (a unit without a parent).")
    present = set(Section.objects.filter(municipality=municipality).values_list("slug", flat=True))
    now = timezone.now()
    created = 0
    for default in DEFAULTS:
        if default.slug in present:
            continue
        section = Section.objects.create(
            municipality=municipality,
            slug=default.slug,
            kind=default.kind,
            position=default.position,
            in_introduction=default.in_introduction,
        )
        section.current = SectionVersion.objects.create(
            section=section,
            status=SectionVersion.Status.PUBLISHED,
            number=1,
            base_number=None,
            title=default.title,
            body=default.body,
            title_en=default.title_en,
            body_en=default.body_en,
            html=markdown.render(default.body),
            html_en=markdown.render(default.body_en),
            comment=COMMENT,
            created_by=by,
            published_at=now,
            published_by=by,
        )
        section.save(update_fields=["current", "updated_at"])
        SectionLink.objects.bulk_create(
            SectionLink(section=section, kind=kind, value=value) for kind, value in default.links
        )
        created += 1
    return created
