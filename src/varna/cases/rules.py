"""Rules that follow from the law and our settings: serious events and working days."""

from datetime import date, datetime, time, timedelta
from functools import cache

import holidays
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.reporting.models import Report
from varna.reporting.taxonomy import Consequence, Form, KiaType


class Serious(models.TextChoices):
    """Why an event may be an allvarligt tillbud or an olycka that Arbetsmiljöverket must hear of
    the same day (AML 3 kap. 3 a §). The handler can add reasons the report does not show."""

    VIOLENCE = "violence", _("Violence")
    THREAT_TO_LIFE = "threat_to_life", _("Threat to life or health")
    INJURY = "injury", _("Physical injury")
    SHOCK = "shock", _("Shock or psychological injury")
    SERIOUS_NEAR_MISS = "serious_near_miss", _("Classified as a serious near miss")
    WEAPON = "weapon", _("A knife, firearm or other weapon")
    SEVERAL_INJURED = "several_injured", _("Several people injured")
    OTHER = "other", _("Other serious circumstance")


INJURY_CONSEQUENCES = {Consequence.INJURY, Consequence.SHOCK, Consequence.SICK_LEAVE}


def serious_reasons(report: Report) -> list[str]:
    """The reasons the report itself gives to treat the event as possibly serious."""
    reasons = []
    forms = {report.main_form, *report.other_forms}
    if Form.VIOLENCE in forms:
        reasons.append(Serious.VIOLENCE)
    if "threat.direct" in report.subforms:
        reasons.append(Serious.THREAT_TO_LIFE)
    if Consequence.INJURY in report.consequences:
        reasons.append(Serious.INJURY)
    if Consequence.SHOCK in report.consequences:
        reasons.append(Serious.SHOCK)
    if report.kia_type == KiaType.SERIOUS_INCIDENT:
        reasons.append(Serious.SERIOUS_NEAR_MISS)
    return [str(reason) for reason in reasons]


def has_injury(report: Report) -> bool:
    """An injury, physical or from shock, or sick leave: a work-injury report is due."""
    return bool(INJURY_CONSEQUENCES & set(report.consequences))


@cache
def _public_holidays(year: int) -> frozenset[date]:
    """Public holidays and the eves that are days off in practice (midsommarafton, julafton,
    nyårsafton)."""
    return frozenset(holidays.country_holidays("SE", years=year, categories=("public", "de_facto")))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the working day `days` working days after `start` (Swedish public holidays
    and weekends do not count): a report on Friday afternoon is due by Monday evening."""
    day = timezone.localtime(start).date()
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return end_of_day(day)


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


def start_of_day(day: date) -> datetime:
    """Early enough for the morning's digest to carry it."""
    return timezone.make_aware(datetime.combine(day, time(5, 0)))


def acknowledge_due(opened_at: datetime) -> datetime:
    return add_working_days(opened_at, settings.VARNA_ACKNOWLEDGE_WORKING_DAYS)


# The employer reports a work injury to Försäkringskassan at once (socialförsäkringsbalken
# 42 kap.); a working day leaves time to fill it in with the injured person and the safety
# representative, who sign it with the employer.
INJURY_REPORT_WORKING_DAYS = 1


def injury_report_due(recorded_at: datetime) -> datetime:
    """When the work-injury report is due, counted from when the injury was recorded."""
    return add_working_days(recorded_at, INJURY_REPORT_WORKING_DAYS)


# The law asks for the answer to a safety representative's request "without delay"; the
# safety representative sets the date, and this many working days is what the form suggests.
REQUEST_ANSWER_WORKING_DAYS = 10


def request_answer_due(made_at: datetime) -> date:
    """The date suggested for the employer's answer to a request made at `made_at`."""
    return add_working_days(made_at, REQUEST_ANSWER_WORKING_DAYS).date()


def escalation_due(reminded_at: datetime) -> datetime:
    """When an unmet deadline goes one level further up the tree: early on the working day
    `VARNA_ESCALATION_WORKING_DAYS` after the reminder, so that day's digest carries it."""
    day = add_working_days(reminded_at, settings.VARNA_ESCALATION_WORKING_DAYS).date()
    return start_of_day(day)
