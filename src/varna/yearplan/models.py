"""The SAM year plan: activities that recur for kinds of units, and their occurrences.

An `ActivityTemplate` says what recurs (the yearly risk assessment, the quarterly review of
events at the workplace meeting, the introduction of a new employee, ...), for which kinds of
units and when it is due. `Activity` is one occurrence: template x unit x period (x employment
for introductions), with a due date, a status and the evidence that it was done. Every model
here is written only through varna.yearplan.services, which also writes the activity's history.
"""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Employment, Role, Unit
from varna.reporting.models import new_code

TEXT_MAX = 5_000


class Kind(models.TextChoices):
    """What an activity is about; `risk_assessment` is ticked off by an approved assessment."""

    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
    EVENT_REVIEW = "event_review", _("Review of reported events")
    SAM_FOLLOW_UP = "sam_follow_up", _("Yearly follow-up of SAM")
    INTRODUCTION = "introduction", _("Introduction of a new employee")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class Recurrence(models.TextChoices):
    YEARLY = "yearly", _("Every year")
    QUARTERLY = "quarterly", _("Every quarter")
    MONTHLY = "monthly", _("Every month")
    PER_EMPLOYEE = "per_employee", _("For every new employee")


class ActivityTemplate(TimeStampedModel):
    """What recurs in the year plan, for which kinds of units, and when it is due.

    Yearly activities are due at the end of `due_month`, quarterly ones at the end of the
    quarter, monthly ones at the end of the month, and introductions `weeks_from_start` weeks
    after the employment's start date.
    """

    municipality = models.ForeignKey(
        Unit,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activity_templates",
        limit_choices_to={"parent__isnull": True},
        help_text=_("Leave empty for an activity every municipality has."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("what to do"),
        max_length=TEXT_MAX,
        help_text=_("Written for the managers who carry it out."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recurrence = models.CharField(_("recurs"), max_length=16, choices=Recurrence.choices)
    unit_kinds = models.JSONField(
        _("kinds of units"),
        default=list,
        blank=True,
        help_text=_("The kinds of units that carry it out; empty means every kind."),
    )
    due_month = models.PositiveSmallIntegerField(
        _("due in month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("For yearly activities: the month (1–12) by whose end it is done."),
    )
    weeks_from_start = models.PositiveSmallIntegerField(
        _("weeks from the start date"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text=_("For introductions: within how many weeks of the employment's start."),
    )
    responsible_role = models.CharField(
        _("responsible role"), max_length=20, choices=Role.choices, default=Role.MANAGER
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("year-plan activity")
        verbose_name_plural = _("year-plan activities")
        ordering = ["municipality__path", "due_month", "title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(recurrence="yearly") | Q(due_month__isnull=False),
                name="template_yearly_has_month",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence="per_employee") | Q(weeks_from_start__isnull=False),
                name="template_introduction_has_weeks",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def applies_to(self, unit: Unit) -> bool:
        return not self.unit_kinds or unit.kind in self.unit_kinds


class Activity(TimeStampedModel):
    """One occurrence of a template for a unit and period: what the year plan shows."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not done")
        DONE = "done", _("Done")

    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    template = models.ForeignKey(
        ActivityTemplate, on_delete=models.PROTECT, related_name="activities"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="activities")
    # Only for introductions: whose introduction this is.
    employment = models.ForeignKey(
        Employment, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    # Copied from the template so that filters and the overview read one table.
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_on = models.DateField(_("due date"))
    responsible_role = models.CharField(
        _("responsible role"), max_length=20, choices=Role.choices, default=Role.MANAGER
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The evidence: at least one of these is set while the activity is done.
    assessment = models.ForeignKey(
        "risk.Assessment",
        verbose_name=_("risk assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="yearplan_activities",
    )
    minutes_url = models.URLField(_("link to the minutes"), max_length=500, blank=True)
    note = models.TextField(_("note"), max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "unit", "period_start"],
                condition=Q(employment__isnull=True),
                name="activity_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["template", "employment"],
                condition=Q(employment__isnull=False),
                name="activity_once_per_employment",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "due_on", "status"], name="activity_unit_due"),
            models.Index(fields=["due_on", "status"], name="activity_due"),
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.unit}, {self.due_on})"

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    def is_overdue(self, today: date) -> bool:
        return not self.is_done and self.due_on < today


class ActivityEvent(models.Model):
    """One line of an activity's history: who did what, when. Rows are only ever added."""

    class Kind(models.TextChoices):
        DONE = "done", _("Marked done")
        ASSESSMENT = "assessment", _("Done by an approved risk assessment")
        # By the system (no actor), the day every required course of the unit's staff is valid.
        TRAINING = "training", _("Done by completed training")
        REOPENED = "reopened", _("Reopened")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # The reason for reopening, or the evidence given (kept after a reopening clears it).
    note = models.TextField(max_length=TEXT_MAX, blank=True)
    link = models.URLField(max_length=500, blank=True)
    assessment = models.ForeignKey(
        "risk.Assessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
