"""Guidance after a report: what happens next for each form of event, and the guidance texts."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from varna.reporting.models import Report
from varna.reporting.taxonomy import Consequence, Form


@dataclass(frozen=True)
class Topic:
    slug: str
    title: Promise


TOPICS = {
    topic.slug: topic
    for topic in [
        Topic("efter-en-handelse", _("After an event: what happens now")),
        Topic("stod", _("Support for you")),
        Topic("polisanmalan", _("Police reports: how the employer helps")),
        Topic("korruption", _("Corruption, bribes and whistleblowing")),
    ]
}


@dataclass(frozen=True)
class Step:
    text: Promise | str
    topic: Topic | None = None


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
            TOPICS["efter-en-handelse"],
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
    steps.append(Step(support, TOPICS["stod"]))
    if report.main_form in {Form.THREAT, Form.VIOLENCE, Form.DAMAGE}:
        steps.append(
            Step(
                _(
                    "Threats, violence and damage are often crimes, and what happened counts "
                    "as unlawful influence whether or not it is one. Your manager decides with "
                    "you whether to report it to the police: the employer files the report, or "
                    "helps you file it, using the workplace address, never yours."
                ),
                TOPICS["polisanmalan"],
            )
        )
    if report.main_form == Form.CORRUPTION:
        steps.append(
            Step(
                _(
                    "If the report concerns someone inside the organisation, it may belong in the "
                    "whistleblowing channel, where your identity is protected by law."
                ),
                TOPICS["korruption"],
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
