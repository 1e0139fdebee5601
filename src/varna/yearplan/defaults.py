"""The default year plan every municipality has (templates without a municipality): the
yearly risk assessment of unlawful influence, the quarterly review of reported events at the
workplace meeting, the follow-up of reported events at every meeting of the administration's
cooperation group (FSG, which meets about once a month: a monthly activity), the yearly SAM
follow-up in the FSG and, after it, the central cooperation group (CSG) being informed, the
introduction of new employees and the yearly refresher training (ticked off by the completed
courses where the unit's staff have required training). The texts are Swedish: they
are data, written for Swedish managers. Data migrations create them; the demo puts them back
when missing. The evidence of a meeting is a link to its minutes: "protokoll", the word the
activity page uses, in the texts too."""

from typing import Any

DEFAULTS: list[dict[str, Any]] = [
    {
        "title": "Riskbedömning av otillåten påverkan",
        "description": (
            "Gå igenom enhetens risker för hot, våld, trakasserier och andra försök att påverka "
            "myndighetsutövningen, tillsammans med skyddsombud och medarbetare. Utgå från "
            "händelserna som rapporterats sedan förra bedömningen och från de riskfyllda "
            "momenten (beslut om avslag, hembesök, reception, ensamarbete, exponering på nätet). "
            "Skriv ner bedömningen och handlingsplanen i Värna och godkänn den: då bockas "
            "aktiviteten av."
        ),
        "kind": "risk_assessment",
        "recurrence": "yearly",
        "unit_kinds": ["enhet"],
        "due_month": 3,
    },
    {
        "title": "Genomgång av rapporterade händelser på APT",
        "description": (
            "Gå igenom kvartalets rapporterade händelser på arbetsplatsträffen: vad som hänt, "
            "vilka åtgärder som vidtagits och om rutinerna behöver ändras. Ta inte upp uppgifter "
            "som pekar ut enskilda. Länka till protokollet när du bockar av."
        ),
        "kind": "event_review",
        "recurrence": "quarterly",
        # Every workplace that holds its own workplace meetings.
        "unit_kinds": ["avdelning", "enhet", "arbetsgrupp"],
    },
    {
        "title": "Uppföljning av rapporterade händelser i samverkansgruppen (FSG)",
        "description": (
            "Gå igenom händelserna som rapporterats i förvaltningen sedan förra mötet med "
            "förvaltningens samverkansgrupp (FSG): vilka slags händelser och var, hur de har "
            "hanterats, vilka åtgärder som beslutats och om något behöver göras för hela "
            "förvaltningen. Ta inte upp uppgifter som pekar ut enskilda. Händelserna följs upp "
            "löpande, på varje möte. Har FSG inget möte en månad (till exempel i juli) tas "
            "händelserna upp på nästa möte: bocka då av med en anteckning om det. Länka till "
            "protokollet när du bockar av."
        ),
        "kind": "event_review",
        "recurrence": "monthly",
        "unit_kinds": ["forvaltning"],
    },
    {
        "title": "Årlig uppföljning av det systematiska arbetsmiljöarbetet",
        "description": (
            "Följ upp förvaltningens arbetsmiljöarbete för året i samverkansgruppen (FSG): har "
            "riskbedömningar gjorts, har handlingsplanernas åtgärder genomförts, hur har "
            "rapporterade händelser hanterats. Underlaget går vidare till nämnden och till den "
            "centrala samverkansgruppen (CSG)."
        ),
        "kind": "sam_follow_up",
        "recurrence": "yearly",
        "unit_kinds": ["forvaltning"],
        "due_month": 2,
    },
    {
        "title": "Information till centrala samverkansgruppen (CSG)",
        "description": (
            "Informera den centrala samverkansgruppen (CSG) om förvaltningens årliga uppföljning "
            "av arbetsmiljöarbetet, sedan den behandlats i FSG: rapporterade händelser av "
            "otillåten påverkan, riskbedömningar, handlingsplanernas åtgärder och vad som ska "
            "bli bättre. Länka till CSG:s protokoll när du bockar av."
        ),
        "kind": "sam_follow_up",
        "recurrence": "yearly",
        "unit_kinds": ["forvaltning"],
        "due_month": 3,
    },
    {
        "title": "Introduktion av ny medarbetare",
        "description": (
            "Gå igenom rutinerna vid hot och våld, larm och hur man rapporterar en händelse i "
            "Värna, enhetens riskbedömning och vem som är skyddsombud. Anteckna när "
            "introduktionen gjordes."
        ),
        "kind": "introduction",
        "recurrence": "per_employee",
        "unit_kinds": [],
        "weeks_from_start": 4,
    },
    {
        "title": "Repetitionsutbildning i bemötande och säkerhet",
        "description": (
            "Se till att enhetens medarbetare har gått de kurser som krävs av dem, till exempel "
            "grundkursen om hot och våld och repetitionsutbildningen om bemötande och enhetens "
            "säkerhetsrutiner (på en APT, en utbildningsdag eller på lärplattformen). Registrera "
            "genomförda kurser under Utbildning i Värna eller importera dem från lärplattformen. "
            "Aktiviteten bockas av automatiskt den dag ingen av enhetens medarbetare är sen "
            "med en kurs som krävs (nyanställda som ännu har tid på sig håller inte upp den); "
            "den går inte att bocka av för hand. Krävs ingen kurs av "
            "enhetens medarbetare bockar du av som vanligt, med en anteckning om vad som gjordes."
        ),
        "kind": "training",
        "recurrence": "yearly",
        "unit_kinds": ["enhet"],
        "due_month": 10,
    },
]
