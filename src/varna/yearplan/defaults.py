"""The default year plan every municipality has (templates without a municipality): the
yearly risk assessment of unlawful influence, the quarterly review of reported events at the
workplace meeting, the yearly SAM follow-up for the cooperation group, the introduction of new
employees and the yearly refresher training. The texts are Swedish: they are data, written for
Swedish managers. A data migration creates them; the demo puts them back when missing."""

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
            "som pekar ut enskilda. Länka till minnesanteckningarna när du bockar av."
        ),
        "kind": "event_review",
        "recurrence": "quarterly",
        # Every workplace that holds its own workplace meetings.
        "unit_kinds": ["avdelning", "enhet", "arbetsgrupp"],
    },
    {
        "title": "Årlig uppföljning av det systematiska arbetsmiljöarbetet",
        "description": (
            "Följ upp förvaltningens arbetsmiljöarbete för året i samverkansgruppen (FSG): har "
            "riskbedömningar gjorts, har handlingsplanernas åtgärder genomförts, hur har "
            "rapporterade händelser hanterats. Underlaget går vidare till nämnden."
        ),
        "kind": "sam_follow_up",
        "recurrence": "yearly",
        "unit_kinds": ["forvaltning"],
        "due_month": 2,
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
            "Se till att enhetens medarbetare har gått årets repetitionsutbildning om bemötande, "
            "hot och våld och enhetens säkerhetsrutiner, till exempel på en APT eller en "
            "utbildningsdag."
        ),
        "kind": "training",
        "recurrence": "yearly",
        "unit_kinds": ["enhet"],
        "due_month": 10,
    },
]
