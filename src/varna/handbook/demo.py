# A Markdown table row is one line, however long: the texts below are not wrapped at 100.
# ruff: noqa: E501
"""Demo kommun's method handbook: the routines, checklists and contacts of a municipality
whose economic-assistance staff meet people at the office, at home and on the phone.

The four default sections are there already (a new municipality gets them, see
varna.handbook.signals); this step adds Demo kommun's own sections, written for the demo, in
Swedish only (a reader of the English pages sees the Swedish text where no English is
written). Two sections have a history, so that the history and difference pages show
something: the home-visit routine and the contacts were published months ago and changed
since. An open draft by the demo editor waits on the reception routine. Grannby kommun keeps
only the defaults. Every name, number and address is made up; 112 and 114 14 are the real
public numbers.

Rows are written with the models directly, as the demo of a finished handbook: the editor's
drafts and publishing go through the handbook's pages and services.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from varna.handbook import markdown
from varna.handbook.defaults import install_defaults
from varna.handbook.models import Section, SectionLink, SectionVersion
from varna.orgs.models import Unit, User

DEMO = "DEMO"
NEIGHBOUR = "GRANN"
EDITOR = "redaktor"
# The slug whose presence means the step has run.
MARK = "fore-hembesok"
# Days ago the handbook was launched: the first version of each section was published then.
LAUNCHED_DAYS_AGO = 270


@dataclass(frozen=True)
class DemoSection:
    slug: str
    kind: str
    position: int
    title: str
    body: str
    links: tuple[tuple[str, str], ...] = ()
    in_introduction: bool = False


@dataclass(frozen=True)
class Earlier:
    """The version a section had before its current text, and what the change said."""

    body: str
    comment: str  # the comment of the later version
    changed_days_ago: int
    title: str = ""  # "" when the title did not change
    published_days_ago: int = LAUNCHED_DAYS_AGO


@dataclass(frozen=True)
class Draft:
    body: str
    comment: str
    days_ago: int
    title: str = ""


HOME_VISIT = DemoSection(
    slug="fore-hembesok",
    kind="routine",
    position=10,
    title="Före hembesök",
    links=(
        ("risk_situation", "home_visit"),
        ("risk_situation", "working_alone"),
        ("situation", "home_visit"),
        ("place", "home_visit"),
    ),
    body="""\
Hembesök hör till utredningen av försörjningsstöd, till exempel när boendet behöver ses på
plats. Du är då på den andra personens hemmaplan, ofta långt från kollegor och larm. Därför
planeras varje hembesök i förväg, och ingen gör det ensam.

## Grundregler

- **Ni är alltid två.** Ensamarbete vid hembesök förekommer inte hos oss.
- **Besöket är bokat.** Hembesök görs efter överenskommelse och med den enskildes samtycke.
- **Ni får alltid gå.** Den som känner sig otrygg avbryter besöket, utan att behöva förklara
  sig där och då.

## Innan du bokar

1. Fråga dig om besöket behövs, eller om uppgiften kan klaras på kontoret.
2. Läs akten och fråga kollegor som har haft ärendet: finns tidigare hot eller våld, vapen,
   hundar, missbruk eller andra personer i hushållet som kan påverka besöket?
3. Om något väcker oro: stäm av med 1:e socialsekreteraren innan du bokar. Ofta är det
   bättre att ses i besöksrum 1 på kontoret i stället.
4. Boka en tid på dagtid, när receptionen är bemannad och kan ta emot ert samtal efteråt.

## Samma dag, före avfärd

1. Kom överens med kollegan om vem som leder samtalet och vem som håller överblicken.
2. Bestäm ett kodord som betyder att ni avslutar och går. Hos oss är det att fråga efter
   "den blå pärmen".
3. Skriv in besöket i besöksloggen hos receptionen: ärendenummer, adress, vilka som åker,
   era tjänstemobilers nummer och när ni räknar med att vara tillbaka.
4. Ta med laddad tjänstemobil med larmappen påslagen.

## På plats

- Parkera så att ni kan köra därifrån utan att backa.
- Låt den boende gå först in i bostaden. Ställ er så att ni har fri väg till ytterdörren.
- Be att husdjur stängs in under besöket.
- Sitt hellre i rummet närmast hallen än i köket eller längre in i bostaden.
- Finns fler personer i bostaden än ni väntat er och känns det fel: boka om till ett möte på
  kontoret.
- Om stämningen blir hotfull: säg kodordet, avsluta lugnt och gå. Diskutera inte i dörren.

## Efter besöket

Ring eller skicka sms till receptionen när ni har lämnat bostaden. Har ni inte hört av er
gör receptionen så här:

| Tid efter beräknad sluttid | Vad receptionen gör |
| --- | --- |
| 15 minuter | Ringer båda tjänstemobilerna. |
| 30 minuter | Kontaktar er chef, eller säkerhetssamordnaren om chefen inte svarar. |
| 45 minuter | Chefen beslutar om att larma 112 och uppge adressen i besöksloggen. |

Prata igenom besöket med kollegan innan ni skiljs åt. Hände något, även om det "bara" var
obehagligt, rapportera det i Värna samma dag.
""",
)

HOME_VISIT_EARLIER = Earlier(
    comment=(
        "Alltid två vid hembesök, inte bara vid första besöket, och en tydlig ordning för när "
        "receptionen inte hör av er."
    ),
    changed_days_ago=62,
    body="""\
Hembesök hör till utredningen av försörjningsstöd, till exempel när boendet behöver ses på
plats. Planera varje hembesök i förväg.

## Innan du bokar

1. Fråga dig om besöket behövs, eller om uppgiften kan klaras på kontoret.
2. Läs akten: finns tidigare hot eller våld, hundar eller andra personer i hushållet?
3. Vid första hembesöket, och när något i akten väcker oro, är ni två.

## Samma dag, före avfärd

1. Skriv in besöket i besöksloggen hos receptionen: ärendenummer, adress och när du räknar
   med att vara tillbaka.
2. Ta med laddad tjänstemobil.

## På plats

- Ställ dig så att du har fri väg till ytterdörren.
- Be att husdjur stängs in under besöket.
- Om stämningen blir hotfull: avsluta lugnt och gå.

## Efter besöket

Hör av dig till receptionen när du har lämnat bostaden. Hände något, rapportera det i Värna.
""",
)

RECEPTION = DemoSection(
    slug="i-receptionen",
    kind="routine",
    position=20,
    title="I receptionen och besöksrummet",
    links=(("risk_situation", "reception"), ("place", "office")),
    body="""\
De flesta möten med sökande sker på kontoret på Stationsgatan 4. Receptionen och
besöksrummen är byggda för att du ska kunna få hjälp snabbt och alltid ta dig ut. Det
fungerar bara om alla gör likadant varje gång.

## Besöksrummen

| Rum | Larm | Utgång | Används till |
| --- | --- | --- | --- |
| Besöksrum 1 | Fast larmknapp under bordet och bärbart larm | Två dörrar | Möten med känd risk |
| Besöksrum 2 | Bärbart larm | En dörr, nära receptionen | Vanliga möten |
| Besöksrum 3 | Bärbart larm | En dörr | Korta möten och telefonmöten |

Ett möte med en person som tidigare har hotat någon hålls alltid i besöksrum 1, med två
handläggare.

## Före mötet

1. Boka rummet i kalendern och säg till receptionen vem du väntar.
2. Hämta ett bärbart larm i receptionen och bär det på dig, inte i väskan.
3. Titta över rummet: inga saxar, pärmar med annat innehåll eller heta drycker på bordet.
4. Sätt dig närmast dörren. Den sökande sitter på andra sidan bordet.

## I receptionen

- Besökare väntar i väntrummet och hämtas av handläggaren. De släpps aldrig in i
  kontorslandskapet.
- Receptionisten kan se väntrummet och besöksrummens korridor och har en egen larmknapp.
- Blir någon högljudd i väntrummet: receptionisten ber en kollega komma ut och talar lugnt
  med personen genom luckan, inte ute i väntrummet ensam.

## När någon blir arg

- Tala lugnt och kort. Säg vad du kan göra, och vad du inte kan göra i dag.
- Ställ dig upp och håll avstånd om personen reser sig.
- Säg att mötet är slut om det fortsätter, och gå ut genom närmaste dörr.
- **Tryck på larmet hellre en gång för mycket än en gång för lite.** Ingen behöver förklara
  ett larm i efterhand.

## När larmet går

| Vem | Gör |
| --- | --- |
| Kollegor i närheten | Går två och två till rummet. Går in om det behövs, annars står de synligt i dörren. |
| Receptionen | Ringer väktarna och, vid våld eller vapen, 112. |
| Den som larmade | Lämnar rummet så fort det går. |
| Chefen i tjänst | Kommer till platsen och tar över samordningen. |

## Efteråt

Den som larmade och de som kom till hjälp erbjuds ett avlastningssamtal samma dag. Den som
larmade rapporterar händelsen i Värna, även när larmet visade sig vara onödigt: det visar
hur rummen och larmen fungerar.
""",
)

RECEPTION_DRAFT = Draft(
    comment="Utkast: besöksrum 3 får fast larm och larmen testas varje vecka.",
    days_ago=4,
    body=RECEPTION.body.replace(
        "| Besöksrum 3 | Bärbart larm | En dörr | Korta möten och telefonmöten |",
        "| Besöksrum 3 | Fast larmknapp vid dörren och bärbart larm | En dörr "
        "| Korta möten och telefonmöten |",
    ).replace(
        "## Före mötet\n",
        "Receptionen testar alla larm varje måndag morgon och för in testet i larmloggen.\n\n"
        "## Före mötet\n",
    ),
)

REJECTION = DemoSection(
    slug="nar-du-lamnar-ett-avslag",
    kind="routine",
    position=30,
    title="När du lämnar ett avslag",
    links=(
        ("risk_situation", "rejection"),
        ("situation", "rejection"),
        ("situation", "repayment"),
    ),
    body="""\
Avslag, nedsatt bistånd och återkrav är de beslut som oftast följs av hot och trakasserier.
Det betyder inte att beslutet ska vänta eller mildras, utan att du förbereder hur det lämnas.

## Förbered

1. Läs beslutet som om du vore den sökande. Är skälen begripliga? Skriv på klarspråk.
2. Bedöm hur personen kan reagera. Finns tidigare händelser i akten eller i Värna?
3. Välj hur beslutet lämnas (se tabellen). Ett oväntat avslag lämnas inte i receptionsluckan.
4. Vid förhöjd risk: två handläggare, besöksrum 1 och receptionen informerad. Lägg inte
   mötet sist på dagen, när kollegorna har gått hem.

| Sätt | Passar när | Tänk på |
| --- | --- | --- |
| Brev | Beslutet är väntat och personen har inte reagerat starkt tidigare. | Ring gärna samma dag och erbjud dig att förklara. |
| Telefon | Personen behöver förklaring men ett möte känns inte nödvändigt. | Ring från tjänstetelefon med dolt nummer. Skicka beslutet skriftligt efteråt. |
| Möte i besöksrum | Beslutet är stort eller oväntat, eller personen behöver stöd att förstå det. | Två handläggare vid förhöjd risk. Följ rutinen för besöksrummet. |

## Under samtalet

- Börja med beslutet, förklara sedan skälen. Lång inledning ökar spänningen.
- Berätta hur man överklagar och hjälp gärna till med det. Att överklaga är en rättighet och
  en laglig väg att påverka.
- Berätta vad personen kan göra nu: söka igen med nya uppgifter, få budget- och
  skuldrådgivning, vända sig till andra instanser.
- Lyssna, men förhandla inte om beslutet i rummet. Till exempel: "Jag hör att du är arg.
  Beslutet gäller, men du kan överklaga det, och jag hjälper dig med blanketten."
- Avsluta mötet om personen hotar dig eller någon annan.

## Vad som är laglig påverkan

Kritik av beslutet, en överklagan eller ett klagomål till arbetsgivaren eller
tillsynsmyndigheten är lagliga sätt att påverka och ingenting du ska rapportera som
otillåten påverkan. Hot, trakasserier, uthängning och upprepade obefogade anmälningar som
syftar till att pressa dig är det däremot.

## Efteråt

- Dokumentera i akten vad som sades, sakligt och kort.
- Sades något hotfullt: skriv ner orden ordagrant och rapportera i Värna samma dag.
- Stäm av med kollegan eller 1:e socialsekreteraren innan du går hem.
""",
)

THREATS_AT_A_DISTANCE = DemoSection(
    slug="hot-telefon-brev-natet",
    kind="routine",
    position=40,
    title="Hot per telefon, brev och på nätet",
    links=(
        ("place", "phone"),
        ("place", "letter"),
        ("place", "online"),
        ("risk_situation", "online"),
        ("risk_situation", "phone"),
        ("risk_situation", "letters"),
        ("form", "harassment"),
        ("form", "threat"),
    ),
    body="""\
Mycket av det som riktas mot oss kommer på avstånd: samtal, brev, e-post och inlägg i sociala
medier. Det kan kännas mindre allvarligt än ett hot öga mot öga, men det ska rapporteras och
hanteras på samma sätt.

## Vad är det?

| Exempel | Välj i Värna | Polisanmälan? |
| --- | --- | --- |
| En sökande ringer varje dag och skäller ut dig. | Trakasserier, upprepad oönskad kontakt | Chefen bedömer med dig |
| "Jag vet var du bor" efter ett avslag. | Hot, beslöjat hot | Ja, som regel |
| Ditt namn och foto läggs ut i en grupp med uppmaning att "hälsa på". | Trakasserier, uthängning, och hot | Ja |
| Ett brev till enheten om att "det kommer att hända något". | Hot | Ja |
| Samma person gör tio anmälningar om dig på en månad. | Trakasserier, obefogade anmälningar | Sällan, men rapportera |

## I telefon

- Tala lugnt. Säg att du avslutar samtalet om hoten fortsätter, och gör det.
- Anteckna direkt: tid, numret som syntes och vad som sades, så ordagrant som möjligt.
- Ringer samma person många gånger: kom överens med chefen om att samtalen går till
  mottagningstelefonen eller till en bestämd kollega under en tid.
- Lämna aldrig ut kollegors schema, var de befinner sig eller deras direktnummer.

## Brev och e-post

- Spara originalet. Ta i brevet så lite som möjligt och lägg det och kuvertet i en
  plastficka.
- Brevet är en allmän handling och registreras som vanligt. Notera i registreringen att det
  innehåller ett hot.
- E-post: radera inte. Vidarebefordra meddelandet till säkerhetssamordnaren och rapportera i
  Värna.

## På nätet

- Svara inte och kommentera inte.
- Ta skärmbilder där adressen, datum och tid syns. Gör det direkt, inlägg tas ofta bort.
- Säkerhetssamordnaren hjälper dig att anmäla inlägget till plattformen och bedömer med din
  chef om det ska polisanmälas.
- Se över vad som syns om dig: privata konton, bilder där arbetsplatsen syns, uppgifter på
  upplysningssajter. Säkerhetssamordnaren kan hjälpa dig att se vad som går att ta bort.

## Om hotet gäller ditt privatliv

Hot mot din familj eller ditt hem, eller att någon följer efter dig, tas alltid upp med chefen
samma dag. Läs också **Stöd till dig** och **Polisanmälan** i handboken.
""",
)

BRIBES = DemoSection(
    slug="mutor-och-erbjudanden",
    kind="routine",
    position=45,
    title="Mutor och otillbörliga erbjudanden",
    links=(
        ("form", "corruption"),
        ("subform", "corruption.bribe"),
        ("subform", "corruption.attempted_bribery"),
        ("subform", "corruption.relationship"),
        ("subform", "corruption.infiltration"),
        ("subform", "corruption.conflict_of_interest"),
    ),
    body="""\
Den som beslutar om pengar blir ibland erbjuden något för att beslutet ska gå en viss väg.
Oftast är det litet och vänligt menat, ibland är det ett försök att köpa ett beslut eller
information. Den här rutinen säger hur du gör i stunden. Hur du rapporterar och när
visselblåsarkanalen gäller står i **Korruption, mutor och visselblåsning**.

## Huvudregeln

Du tar inte emot gåvor, pengar, tjänster eller förmåner från sökande, deras anhöriga eller
företrädare, oavsett värde. Att bli bjuden på en kopp kaffe vid ett hembesök är inget
problem; allt därutöver tackar du nej till.

## Vanliga situationer

| Situation | Så gör du |
| --- | --- |
| Ett kuvert med pengar läggs på bordet. | Rör det inte. Säg nej, avsluta mötet och rapportera samma dag. |
| "Jag kan fixa billigt däckbyte åt dig." | Tacka nej, tydligt. Anteckna erbjudandet och rapportera det. |
| En sökande vill bli vän med dig i sociala medier eller bjuda på lunch. | Tacka nej och håll kontakten i ärendet. Rapportera om det upprepas. |
| Någon frågar om en kollegas ärende eller ber dig slå upp en adress. | Säg att du inte kan svara. Rapportera, det kan vara ett försök att få information. |
| Ärendet gäller en granne, släkting eller vän. | Säg till chefen direkt och lämna ärendet. Du får inte handlägga det. |

## Värvning och påtryckning

Kriminella nätverk försöker ibland få anställda att lämna ut uppgifter eller godkänna
utbetalningar, med smicker, vänskap, kärlek eller hot. Det börjar ofta smått: en tjänst, en
fråga, ett samtal utanför jobbet. Det är aldrig ditt fel att bli utsatt. Det viktiga är att
du säger till tidigt, innan det har hunnit bli svårt.

## Rapportera

1. Skriv ner vad som erbjöds eller efterfrågades, av vem, när och hur.
2. Rapportera i Värna och välj Korruption. Du kan skicka rapporten till säkerhetssamordnaren i
   stället för till din chef.
3. Gäller det någon inom organisationen kan visselblåsarkanalen vara rätt väg.
""",
)

FIRST_DAYS = DemoSection(
    slug="chefens-checklista-forsta-dygnen",
    kind="checklist",
    position=110,
    title="Chefens checklista: de första dygnen",
    links=(
        ("case_step", "received"),
        ("case_step", "acknowledged"),
        ("form", "threat"),
        ("form", "violence"),
    ),
    body="""\
För dig som chef när en medarbetare har rapporterat hot eller våld. Gå igenom listan i
ordning; det mesta tar några minuter.

## Direkt när rapporten kommer

1. Läs rapporten i Värna. Är medarbetaren i säkerhet nu? Ring hellre än mejla.
2. Pågår fara: ring 112.
3. Är det ett allvarligt tillbud eller en allvarlig skada (hot med kniv eller skjutvapen,
   dödshot som uppfattas som allvarligt menat, våld, chock)? Anmäl till Arbetsmiljöverket
   samma dag och registrera anmälan i ärendet.
4. Erbjud avlastningssamtal samma dag till alla som berördes. Ordna skjuts hem om någon
   behöver det.
5. Kvittera ärendet i Värna när du har tagit kontakt.

## Första samtalet med medarbetaren

1. Fråga hur medarbetaren mår och vad hen behöver nu. Erbjud att skyddsombudet är med.
2. Utse en stödperson för de närmaste dagarna.
3. Besluta om det som behövs direkt: annan handläggare tar över, två handläggare, möten
   bara i besöksrum 1, samtal från personen går via mottagningstelefonen.
4. Bestäm tillsammans om polisanmälan och vem som gör den. Använd arbetsplatsens adress;
   Värna har ett utkast.
5. Gäller hotet privatlivet eller finns koppling till kriminella nätverk: kontakta
   säkerhetssamordnaren samma dag.

## Vem ska ha besked

| Vem | När | Hur |
| --- | --- | --- |
| Arbetsmiljöverket | Samma dag vid allvarligt tillbud eller allvarlig skada | Arbetsmiljöverkets e-tjänst |
| Polisen | När ni har beslutat om anmälan | 114 14 eller polisens e-tjänst, vid fara 112 |
| Säkerhetssamordnaren | Samma dag vid hot mot privatlivet eller vid vapen | Telefon, se Kontakter |
| Receptionen | Om personen kan komma tillbaka | Muntligt, bara det receptionen behöver veta |
| HR | Vid skada eller sjukskrivning | E-post, se Kontakter |

Kollegor får veta det de behöver för sin egen säkerhet, inte mer.
""",
)

INVESTIGATION = DemoSection(
    slug="chefens-checklista-utredning",
    kind="checklist",
    position=120,
    title="Chefens checklista: utredning och åtgärder",
    links=(("case_step", "investigated"), ("case_step", "measures_decided")),
    body="""\
Utredningen ska svara på vad som hände, varför, och om risken finns kvar. Den handlar om
arbetsmiljön, inte om vem som gjorde fel.

## Utred

1. Prata med medarbetaren, med kollegor som såg eller hörde och med skyddsombudet.
2. Beskriv händelsen i ordning: före, under och efter.
3. Leta orsaker i organisation, arbetssätt, lokaler och information, till exempel: var
   risken känd, fanns två handläggare, fungerade larmet, visste receptionen?
4. Kontrollera enhetens riskbedömning: täckte den den här situationen? Om inte, uppdatera
   den. Värna påminner när en händelse inte passar någon listad risk.

## Besluta åtgärder

1. Det som kan göras direkt görs direkt och registreras i ärendet.
2. Det som tar längre tid förs in i en skriftlig handlingsplan: vad, vem och när.
3. Stäm av åtgärderna med medarbetaren och skyddsombudet.

| Åtgärd | Passar när |
| --- | --- |
| Annan handläggare tar över ärendet | Hotet riktades mot en person, eller medarbetaren vill inte fortsätta. |
| Två handläggare i ärendet | Personen har hotat förut eller beslutet är stort. |
| Möten bara i besöksrum 1 | Personen har blivit arg eller hotfull på kontoret. |
| Kontakt bara skriftligt eller via mottagningstelefonen | Upprepade samtal eller trakasserier per telefon. |
| Rotation av de mest utsatta ärendena | Samma medarbetare får många svåra beslut. |
| Översyn av larm, möblering eller rutin | Något i lokalen eller rutinen fungerade inte. |

## Skyddsombudet

Skyddsombudet deltar i utredningen och får se åtgärderna. Begär skyddsombudet formellt
åtgärder (enligt 6 kap. 6 a § arbetsmiljölagen) ska du svara skriftligt utan dröjsmål.
Registrera både begäran och svaret i ärendet.
""",
)

CLOSING = DemoSection(
    slug="checklista-uppfoljning-avslut",
    kind="checklist",
    position=130,
    title="Checklista: uppföljning och avslut",
    links=(("case_step", "followed_up"), ("case_step", "closed")),
    body="""\
Ett ärende avslutas först när medarbetaren har fått återkoppling och åtgärderna har följts
upp.

## Uppföljning

1. Ha ett uppföljningssamtal med medarbetaren en till två veckor efter händelsen: hur mår
   du, hjälper åtgärderna, behövs mer stöd?
2. Har medarbetaren skadats, även genom chock: är arbetsskadan anmäld till
   Försäkringskassan och har medarbetaren påmints om AFA Försäkring?
3. Har åtgärderna genomförts som handlingsplanen säger? Om inte, vad behövs?
4. Hur går det med polisanmälan? Registrera diarienummer och utfall när de finns.

## Innan du avslutar

1. Berätta för medarbetaren vad som har gjorts och vad som gäller framåt.
2. Skriv en kort sammanfattning i ärendet.
3. Ta upp händelsen utan namn på nästa arbetsplatsträff, så att fler kan lära av den.
4. Behöver enhetens riskbedömning ändras? Gör det nu, eller skriv in det i årshjulet.
5. Avsluta ärendet i Värna.

Ett avslutat ärende kan öppnas igen om något nytt händer i samma sak.
""",
)

INTRODUCTION = DemoSection(
    slug="introduktion",
    kind="checklist",
    position=5,
    in_introduction=True,
    title="Introduktion: säkerhet i ditt arbete",
    body="""\
Välkommen! Den här listan går du igenom med din chef under dina första veckor. Den handlar
om hur du håller dig själv och dina kollegor säkra i arbetet med försörjningsstöd.

## Första dagen

1. Du har fått passerkort och vet vilka dörrar som alltid ska vara stängda.
2. Du vet var larmknapparna finns i receptionen och besöksrummen, och har provat ett
   bärbart larm tillsammans med en kollega.
3. Du vet var utrymningsvägarna går från kontorslandskapet och besöksrummen.
4. Du har kontaktlistan i handboken och har sparat receptionens nummer i din tjänstemobil.

## Första veckan

1. Läs rutinerna **Före hembesök**, **I receptionen och besöksrummet**, **När du lämnar ett
   avslag** och **Hot per telefon, brev och på nätet**.
2. Läs **Efter en händelse** och **Stöd till dig**, så att du vet vad som händer om något
   inträffar.
3. Gå igenom hur du rapporterar i Värna. Rapportera även det som känns litet.
4. Tänk över vad som syns om dig: använd tjänstemobilen i arbetet, inte din privata, och
   lägg inte upp bilder där arbetsplatsen eller kollegor syns.
5. Träffa skyddsombudet och säkerhetssamordnaren, eller vet åtminstone vilka de är.

## Första månaden

1. Följ med en erfaren kollega på minst två möten i besöksrummet och ett hembesök innan du
   håller egna.
2. Anmäl dig till grundkursen om hot och våld. Den ska vara gjord inom tre månader.
3. Gå igenom **Mutor och otillbörliga erbjudanden** med din chef och fråga om det som är
   oklart.
4. Stäm av med din chef: finns det något i arbetet som känns otryggt?

| Vem | Vad du kan fråga om |
| --- | --- |
| Din chef | Allt i den här listan, och hur det känns. |
| Din handledare | Hur vi gör i praktiken, i besöksrummet och på hembesök. |
| Skyddsombudet | Arbetsmiljön och dina rättigheter. |
| Säkerhetssamordnaren | Hot, korruption och skydd av dina uppgifter. |
""",
)

CONTACTS = DemoSection(
    slug="kontakter",
    kind="contacts",
    position=200,
    title="Kontakter",
    body="""\
Alla nummer nås från tjänstemobilen. Spara de viktigaste redan i dag.

## Akut

| Vad | Nummer |
| --- | --- |
| Fara för liv eller hälsa, pågående brott | 112 |
| Polisen, när det inte är akut | 114 14 |
| Väktare, Demo Bevakning larmcentral (dygnet runt) | 0100-45 11 11 |
| Kommunens tjänsteman i beredskap (kvällar, nätter, helger) | 0100-45 19 99 |

## Inom kommunen

| Funktion | Namn | Telefon | E-post |
| --- | --- | --- | --- |
| Receptionen, Försörjningsenheten | – | 0100-45 20 00 | reception.fse@demo.varna.example |
| Säkerhetssamordnare | Amir Karlsson | 0100-45 12 00 | sakerhet@demo.varna.example |
| HR-konsult, Arbetslivsförvaltningen | Emma Nilsson | 0100-45 14 10 | hr@demo.varna.example |
| Skyddsombud, Arbetslivsförvaltningen | Malin Gustafsson | 0100-45 20 41 | skyddsombud@demo.varna.example |
| Redaktör för metodhandboken | Vera Nyström | 0100-45 10 25 | redaktor@demo.varna.example |

Säkerhetssamordnaren svarar vardagar 8–17. Andra tider når du säkerhetssamordnaren genom
tjänstemannen i beredskap.

## Stöd

| Vad | Telefon | E-post |
| --- | --- | --- |
| Demo Företagshälsa, tidsbokning och krisstöd | 0100-45 30 30 | fhv@demo.varna.example |

Din chef bokar samtal på företagshälsovården. Vid krisstöd efter en allvarlig händelse kan du
också ringa själv.

## Visselblåsning

Kommunens visselblåsarkanal finns på
[visselblasning.demo.varna.example](https://visselblasning.demo.varna.example). Den hanteras
av en extern mottagare och du kan vara anonym.

## Arbetsplatsens adress

Försörjningsenheten, Stationsgatan 4, 123 47 Demostad

Använd den här adressen i polisanmälan och när polisen eller domstolen ska kontakta dig. Ange
aldrig din hemadress.
""",
)

CONTACTS_EARLIER = Earlier(
    comment=(
        "Nytt nummer till Demo Företagshälsa, och tjänstemannen i beredskap nås nu när "
        "säkerhetssamordnaren inte är i tjänst."
    ),
    changed_days_ago=19,
    published_days_ago=LAUNCHED_DAYS_AGO - 30,
    body="""\
Alla nummer nås från tjänstemobilen.

## Akut

| Vad | Nummer |
| --- | --- |
| Fara för liv eller hälsa, pågående brott | 112 |
| Polisen, när det inte är akut | 114 14 |
| Väktare, Demo Bevakning larmcentral (dygnet runt) | 0100-45 11 11 |

## Inom kommunen

| Funktion | Namn | Telefon | E-post |
| --- | --- | --- | --- |
| Receptionen, Försörjningsenheten | – | 0100-45 20 00 | reception.fse@demo.varna.example |
| Säkerhetssamordnare | Amir Karlsson | 0100-45 12 00 | sakerhet@demo.varna.example |
| HR-konsult, Arbetslivsförvaltningen | Emma Nilsson | 0100-45 14 10 | hr@demo.varna.example |
| Skyddsombud, Arbetslivsförvaltningen | Malin Gustafsson | 0100-45 20 41 | skyddsombud@demo.varna.example |

## Stöd

| Vad | Telefon | E-post |
| --- | --- | --- |
| Demo Företagshälsa, tidsbokning | 0100-45 30 00 | fhv@demo.varna.example |

Din chef bokar samtal på företagshälsovården.

## Arbetsplatsens adress

Försörjningsenheten, Stationsgatan 4, 123 47 Demostad

Använd den här adressen i polisanmälan. Ange aldrig din hemadress.
""",
)

SECTIONS: tuple[DemoSection, ...] = (
    INTRODUCTION,
    HOME_VISIT,
    RECEPTION,
    REJECTION,
    THREATS_AT_A_DISTANCE,
    BRIBES,
    FIRST_DAYS,
    INVESTIGATION,
    CLOSING,
    CONTACTS,
)
HISTORY: dict[str, Earlier] = {HOME_VISIT.slug: HOME_VISIT_EARLIER, CONTACTS.slug: CONTACTS_EARLIER}
DRAFTS: dict[str, Draft] = {RECEPTION.slug: RECEPTION_DRAFT}


def is_loaded() -> bool:
    return Section.objects.filter(municipality__code=DEMO, slug=MARK).exists()


@transaction.atomic
def load() -> bool:
    """Write Demo kommun's handbook; returns False when it was already there (or the demo
    organisation is missing)."""
    demo = Unit.objects.filter(code=DEMO, parent__isnull=True).first()
    if demo is None or is_loaded():
        return False
    # Normally done when the municipalities were created; repeated here at no cost in case
    # they were made some other way.
    install_defaults(demo)
    neighbour = Unit.objects.filter(code=NEIGHBOUR, parent__isnull=True).first()
    if neighbour is not None:
        install_defaults(neighbour)
    editor = User.objects.filter(username=EDITOR).first()
    now = timezone.now()
    for spec in SECTIONS:
        earlier = HISTORY.get(spec.slug)
        first_at = now - timedelta(
            days=earlier.published_days_ago if earlier else LAUNCHED_DAYS_AGO
        )
        section = Section.objects.create(
            municipality=demo,
            slug=spec.slug,
            kind=spec.kind,
            position=spec.position,
            in_introduction=spec.in_introduction,
        )
        Section.objects.filter(pk=section.pk).update(created_at=first_at - timedelta(days=3))
        SectionLink.objects.bulk_create(
            SectionLink(section=section, kind=kind, value=value) for kind, value in spec.links
        )
        if earlier is None:
            current = _publish(
                section, number=1, title=spec.title, body=spec.body, at=first_at, by=editor
            )
        else:
            _publish(
                section,
                number=1,
                title=earlier.title or spec.title,
                body=earlier.body,
                at=first_at,
                by=editor,
            )
            current = _publish(
                section,
                number=2,
                title=spec.title,
                body=spec.body,
                comment=earlier.comment,
                at=now - timedelta(days=earlier.changed_days_ago),
                by=editor,
            )
        section.current = current
        section.save(update_fields=["current"])
        draft = DRAFTS.get(spec.slug)
        if draft is not None:
            _draft(section, draft, base_number=current.number, at=now, by=editor)
    return True


def _publish(
    section: Section,
    *,
    number: int,
    title: str,
    body: str,
    at: datetime,
    by: User | None,
    comment: str = "",
) -> SectionVersion:
    version = SectionVersion.objects.create(
        section=section,
        status=SectionVersion.Status.PUBLISHED,
        number=number,
        base_number=number - 1 or None,
        title=title,
        body=body,
        html=markdown.render(body),
        comment=comment,
        created_by=by,
        published_at=at,
        published_by=by,
    )
    # Written a day before it was published (created_at is set on insert, so moved after).
    SectionVersion.objects.filter(pk=version.pk).update(created_at=at - timedelta(days=1))
    return version


def _draft(
    section: Section, draft: Draft, *, base_number: int | None, at: datetime, by: User | None
) -> SectionVersion:
    version = SectionVersion.objects.create(
        section=section,
        status=SectionVersion.Status.DRAFT,
        base_number=base_number,
        title=draft.title or (section.current.title if section.current else ""),
        body=draft.body,
        html=markdown.render(draft.body),
        comment=draft.comment,
        created_by=by,
    )
    SectionVersion.objects.filter(pk=version.pk).update(
        created_at=at - timedelta(days=draft.days_ago)
    )
    return version
