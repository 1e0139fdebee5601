"""The classification of events: Brå's five forms with sub-forms, and the other dimensions.

Codes are stable identifiers stored in the database and used in statistics; labels are shown.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Form(models.TextChoices):
    HARASSMENT = "harassment", _("Harassment")
    THREAT = "threat", _("Threat")
    VIOLENCE = "violence", _("Violence")
    DAMAGE = "damage", _("Property damage")
    CORRUPTION = "corruption", _("Corruption")


# Plain-words explanation and an example for each form, shown beside the choice.
FORM_HELP = {
    Form.HARASSMENT: (
        _(
            "Insults, repeated unwanted contact, being hung out online, being followed or watched, "
            "unfounded complaints about you."
        ),
        _("Example: a client calls you every day and posts your name and photo on Facebook."),
    ),
    Form.THREAT: (
        _(
            "Someone threatens you, your family or your property, directly, veiled or through "
            "someone else."
        ),
        _("Example: “I know where you live” after a rejected application."),
    ),
    Form.VIOLENCE: (
        _("Someone hurts or tries to hurt you or your relatives physically."),
        _("Example: a visitor pushes you against the wall in the reception."),
    ),
    Form.DAMAGE: (
        _("Someone damages your own or the workplace's property."),
        _("Example: your car is scratched outside the office after a decision."),
    ),
    Form.CORRUPTION: (
        _(
            "Someone offers you money, gifts or favours, or tries to get close to you, to "
            "influence a decision or get information."
        ),
        _("Example: an applicant offers you cash to speed up a payment."),
    ),
}

SUBFORMS: dict[str, list[tuple[str, str]]] = {
    Form.HARASSMENT: [
        ("insults", _("Insults and abuse")),
        ("unwanted_contact", _("Repeated unwanted contact (calls, mail, texts)")),
        ("online_exposure", _("Exposure online (name, photos, films)")),
        ("following", _("Following or watching (outside home, school)")),
        ("unfounded_complaints", _("Unfounded complaints to authorities or the employer")),
        ("document_requests", _("Requests for documents used to harass")),
        ("disinformation", _("Disinformation campaign")),
        ("mass_mailing", _("Mass mailings")),
    ],
    Form.THREAT: [
        ("direct", _("Direct threat to life or health")),
        ("veiled", _("Veiled threat (“I know where you live”)")),
        ("relatives", _("Threat against relatives")),
        ("property", _("Threat against property")),
        ("third_party", _("Threat through a third party")),
    ],
    Form.VIOLENCE: [
        ("assault", _("Assault")),
        ("attempted_assault", _("Attempted assault")),
        ("relatives", _("Violence against relatives")),
    ],
    Form.DAMAGE: [
        ("private_property", _("Damage to private property (car, home)")),
        ("workplace_property", _("Damage to workplace property")),
    ],
    Form.CORRUPTION: [
        ("bribe", _("Improper offer or bribe")),
        ("attempted_bribery", _("Attempted bribery")),
        ("relationship", _("Friendship corruption, relationship-building")),
        ("infiltration", _("Infiltration or insider recruitment")),
        ("conflict_of_interest", _("Conflict of interest (jäv)")),
    ],
}
SUBFORM_CHOICES = [
    (f"{form}.{code}", label) for form, items in SUBFORMS.items() for code, label in items
]


class Place(models.TextChoices):
    OFFICE = "office", _("Office or reception")
    HOME_VISIT = "home_visit", _("Home visit")
    MEETING = "meeting", _("Meeting elsewhere")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter or e-mail")
    ONLINE = "online", _("Online or social media")
    PRIVATE_LIFE = "private_life", _("In private life")
    # Added after "meeting" had read "Court or meeting elsewhere": events stored as "meeting"
    # before then stay there, since which of the two they were cannot be told afterwards.
    COURT = "court", _("Court")
    OTHER = "other", _("Other")


class Situation(models.TextChoices):
    ECONOMIC_ASSISTANCE = "economic_assistance", _("Economic assistance")
    REJECTION = "rejection", _("Delivering a rejection")
    REPAYMENT = "repayment", _("Repayment claim")
    INVESTIGATION = "investigation", _("Investigation")
    COMPULSORY_CARE = "compulsory_care", _("Child-protection or compulsory care (LVU/LVM)")
    HOME_VISIT = "home_visit", _("Home visit")
    GUARDIANSHIP = "guardianship", _("Guardianship matter")
    PLACEMENT = "placement", _("Placement")
    OTHER = "other", _("Other")


class ActorRelation(models.TextChoices):
    CLIENT = "client", _("Applicant or client")
    RELATIVE = "relative", _("Relative of a client")
    REPRESENTATIVE = "representative", _("Representative")
    DESPERATE = "desperate", _("A person in a desperate situation")
    LITIGIOUS = "litigious", _("Litigious person (rättshaverist)")
    CRIMINAL = "criminal", _("Individual criminal")
    ORGANISED_CRIME = "organised_crime", _("Organised crime")
    GROUP = "group", _("Loosely organised gang or network")
    EXTREMIST = "extremist", _("Extremist")
    ACTIVIST = "activist", _("Activist")
    UNKNOWN = "unknown", _("Unknown")
    OTHER = "other", _("Other")


class Consequence(models.TextChoices):
    INJURY = "injury", _("Physical injury")
    SHOCK = "shock", _("Psychological injury or shock")
    SICK_LEAVE = "sick_leave", _("Sick leave")
    PROPERTY = "property", _("Damage to property")
    FEAR = "fear", _("Fear or worry")
    FAMILY = "family", _("Family affected")
    CHANGED_BEHAVIOUR = "changed_behaviour", _("Changed behaviour at work (hesitated, avoided)")
    NONE = "none", _("None")


class Target(models.TextChoices):
    EMPLOYEE = "employee", _("The employee")
    RELATIVE = "relative", _("A relative")
    COLLEAGUE = "colleague", _("A colleague")
    ORGANISATION = "organisation", _("The organisation")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Unsure")


class Purpose(models.TextChoices):
    """What the reporter believes the person wanted (Brå's purposes; more than one may apply)."""

    INFLUENCE_DECISION = "influence_decision", _("Influence a decision")
    STOP_CHECK = "stop_check", _("Stop an investigation or a check")
    SPEED_PAYMENT = "speed_payment", _("Speed up a payment")
    REVENGE = "revenge", _("Revenge for a decision")
    SCARE = "scare", _("Scare in general")
    OBTAIN_INFORMATION = "obtain_information", _("Obtain information")
    UNKNOWN = "unknown", _("Unknown purpose")


class TimeOfDay(models.TextChoices):
    MORNING = "morning", _("Morning (before 12)")
    AFTERNOON = "afternoon", _("Afternoon (12–17)")
    EVENING = "evening", _("Evening (17–22)")
    NIGHT = "night", _("Night (22–06)")


class KiaType(models.TextChoices):
    ACCIDENT = "olycksfall", _("Accident (olycksfall)")
    INCIDENT = "tillbud", _("Near miss (tillbud)")
    SERIOUS_INCIDENT = "allvarligt_tillbud", _("Serious near miss (allvarligt tillbud)")
    RISK = "riskobservation", _("Risk observation")


# Threats and violence are always at least a near miss (tillbud), even when chosen by hand.
NEVER_RISK_ONLY_FORMS = frozenset({Form.THREAT, Form.VIOLENCE})
ACCIDENT_CONSEQUENCES = frozenset({Consequence.INJURY, Consequence.SHOCK})


def kia_type_by_rule(*, consequences: list[str], forms: list[str]) -> str:
    """The KIA event type of an event of these forms (the main form and any further ones):
    olycksfall when someone was injured (however slightly, or in shock); a near miss (tillbud)
    for threats and violence always; a risk observation for corruption alone (an improper offer
    is a risk seen rather than harm that nearly happened) and for harassment that did no harm
    (no consequence given, or "none"); otherwise a near miss: damage, and harassment that left
    fear, sick leave or changed behaviour, can lead to ill health. Whether a near miss is
    serious is the handler's assessment (the case flags the events that may be)."""
    chosen = set(forms)
    if ACCIDENT_CONSEQUENCES & set(consequences):
        return KiaType.ACCIDENT
    if chosen & {Form.THREAT, Form.VIOLENCE}:
        return KiaType.INCIDENT
    if chosen == {Form.CORRUPTION}:
        return KiaType.RISK
    harm = set(consequences) - {Consequence.NONE}
    if chosen <= {Form.HARASSMENT, Form.CORRUPTION} and not harm:
        return KiaType.RISK
    return KiaType.INCIDENT
