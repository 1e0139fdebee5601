"""Guidance after a report: what happens next for each form of event, and the handbook
sections that say more.

The steps are the same everywhere; what they point to is the municipality's own method
handbook. A step names the address of a default section (varna.handbook.defaults makes the four
in every new handbook) and links to it where the reporter's municipality has it published.
Below the steps the receipt lists the sections tied to what was reported, so a routine an
editor publishes for threats reaches the next person who reports one.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from varna.handbook import links, selectors
from varna.handbook.models import Section
from varna.handbook.selectors import Entry
from varna.reporting.models import Report
from varna.reporting.taxonomy import Consequence, Form

# The handbook sections the steps point to, by their address.
AFTER_AN_EVENT = "efter-en-handelse"
SUPPORT = "stod"
POLICE_REPORT = "polisanmalan"
CORRUPTION = "korruption"


@dataclass(frozen=True)
class Step:
    text: Promise | str
    section: str = ""  # the address of the handbook section that says more


@dataclass(frozen=True)
class ReceiptStep:
    text: Promise | str
    section: Entry | None  # None: the municipality has not published that section


@dataclass(frozen=True)
class Guidance:
    steps: list[ReceiptStep]
    sections: list[Entry]  # the published routines and checklists tied to what was reported


def for_receipt(report: Report) -> Guidance:
    """The next steps with their handbook links, and the handbook sections tied to the report's
    form, sub-forms, situation and place, in the municipality where it happened."""
    municipality = report.unit.municipality()
    steps = next_steps(report)
    wanted = {step.section for step in steps if step.section}
    published = selectors.published(municipality).filter(slug__in=wanted)
    found = {entry.section.slug: entry for entry in selectors.entries(published)}
    targets = [
        (links.FORM, report.main_form),
        *((links.SUBFORM, subform) for subform in report.subforms),
        (links.SITUATION, report.situation),
        (links.PLACE, report.place),
    ]
    # Routines and checklists (the contacts are one link away in the handbook). Left out: a
    # section a step already links to, and one tied to a step of the case, which is for
    # whoever handles the case rather than for the person who reported.
    tied = selectors.for_targets(
        municipality, targets, [Section.Kind.ROUTINE, Section.Kind.CHECKLIST]
    )
    listed = [
        section
        for section in tied
        if section.slug not in found
        and not any(link.kind == links.CASE_STEP for link in section.links.all())
    ]
    return Guidance(
        [ReceiptStep(step.text, found.get(step.section)) for step in steps],
        selectors.entries(listed),
    )


def next_steps(report: Report) -> list[Step]:
    """What happens next for this report, in the order the reporter will meet it."""
    days = settings.VARNA_ACKNOWLEDGE_WORKING_DAYS
    threat_or_violence = report.main_form in {Form.THREAT, Form.VIOLENCE}
    injured = bool({Consequence.INJURY, Consequence.SHOCK} & set(report.consequences))
    steps: list[Step] = []
    if report.route_to_security:
        steps.append(
            Step(
                _(
                    "The security coordinator has been told and will contact you. "
                    "Your manager has not been told."
                )
            )
        )
    else:
        steps.append(
            Step(
                _(
                    "Your manager and your safety representative have been told. "
                    "The e-mail they got holds no details, only a link."
                )
            )
        )
    steps.append(
        Step(
            ngettext(
                "Your manager will contact you within %(days)s working day to talk about what "
                "happened and what you need.",
                "Your manager will contact you within %(days)s working days to talk about what "
                "happened and what you need.",
                days,
            )
            % {"days": days},
            AFTER_AN_EVENT,
        )
    )
    if threat_or_violence or injured:
        support = _(
            "If you feel unsafe now, say so to your manager today. Support is available at once: "
            "a defusing talk, occupational health, crisis support."
        )
    else:
        support = _(
            "You can get support: a talk with your manager, occupational health or crisis support."
        )
    steps.append(Step(support, SUPPORT))
    if report.main_form in {Form.THREAT, Form.VIOLENCE, Form.DAMAGE}:
        steps.append(
            Step(
                _(
                    "Threats, violence and damage are often crimes, and what happened counts "
                    "as unlawful influence whether or not it is one. Your manager decides with "
                    "you whether to report it to the police: the employer files the report, or "
                    "helps you file it, using the workplace address, never yours."
                ),
                POLICE_REPORT,
            )
        )
    if report.main_form == Form.CORRUPTION:
        steps.append(
            Step(
                _(
                    "If the report concerns someone inside the organisation, it may belong in the "
                    "whistleblowing channel, where your identity is protected by law."
                ),
                CORRUPTION,
            )
        )
    if injured:
        steps.append(
            Step(
                _(
                    "An injury, including shock, is reported to Försäkringskassan as a work "
                    "injury, and you may claim from AFA Försäkring. Your manager helps you with "
                    "both."
                )
            )
        )
    steps.append(Step(_("In an emergency, call 112.")))
    return steps
