"""Written risk assessments of unlawful influence per unit, and the unit's action plan.

An assessment is a draft while the manager works on it with the participants, approved when
the manager signs it off, and superseded (still readable) when a newer one is approved for the
same unit. Approval needs a safety representative among those who took part, or the
manager's recorded reason why none could (AFS 2023:1 makes the assessment a joint task). The
safety representative confirms taking part or records disagreement. Every model here is
written only through varna.risk.services.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Unit
from varna.reporting.models import new_code
from varna.reporting.taxonomy import Place, Situation

TEXT_MAX = 5_000
SCALE = (1, 4)  # likelihood and consequence are both rated 1–4

# The dates a person types are held within bounds that catch a mistyped year (1899, 2999):
# an assessment is dated from 2000 up to three months ahead (a draft may be started for a
# meeting already booked); the next one is due within five years of it; a measure is due
# within five years of today and followed up within a year of its due date.
EARLIEST = date(2000, 1, 1)
AHEAD_MONTHS = 3
AHEAD_YEARS = 5
FOLLOW_UP_YEARS = 1


def assessment_date_errors(
    assessed_on: date, next_due_on: date | None, *, today: date
) -> dict[str, list[str]]:
    """What is wrong with an assessment's date and next due date, by field; empty if nothing.
    An empty next due date is left to the default (a year after the assessment)."""
    errors: dict[str, list[str]] = {}
    latest = today + relativedelta(months=AHEAD_MONTHS)
    if not EARLIEST <= assessed_on <= latest:
        errors["assessed_on"] = [
            _("The date of the assessment must be from %(earliest)s to %(latest)s.")
            % {"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()}
        ]
    if next_due_on is not None:
        if next_due_on <= assessed_on:
            errors["next_due_on"] = [
                _("The next assessment must be due after this one's date, %(date)s.")
                % {"date": assessed_on.isoformat()}
            ]
        elif next_due_on > assessed_on + relativedelta(years=AHEAD_YEARS):
            errors["next_due_on"] = [
                _(
                    "The next assessment must be due within five years of this one, by "
                    "%(latest)s at the latest."
                )
                % {"latest": (assessed_on + relativedelta(years=AHEAD_YEARS)).isoformat()}
            ]
    return errors


class RiskSituation(models.TextChoices):
    """The catalogue of risky moments in authority work (DOMAIN.md §7)."""

    REJECTION = "rejection", _("Delivering a rejection or another negative decision")
    HOME_VISIT = "home_visit", _("Home visits")
    RECEPTION = "reception", _("Reception and visitor rooms")
    PHONE = "phone", _("Phone calls")
    WORKING_ALONE = "working_alone", _("Working alone")
    ONLINE = "online", _("Exposure online")
    DETAILS_FINDABLE = "details_findable", _("The employee's personal details being findable")
    COURT = "court", _("Court hearings and meetings elsewhere")
    MONEY = "money", _("Handling money")
    LETTERS = "letters", _("Letters and e-mail")
    OTHER = "other", _("Other (describe it)")


# Which listed risk covers an event reported in a given context: an event in a context that no
# listed risk covers prompts the manager to update the assessment. Our own mapping of the
# report form's place and situation onto the catalogue.
PLACE_SITUATIONS: dict[str, str] = {
    Place.OFFICE: RiskSituation.RECEPTION,
    Place.HOME_VISIT: RiskSituation.HOME_VISIT,
    Place.MEETING: RiskSituation.COURT,
    Place.COURT: RiskSituation.COURT,
    Place.PHONE: RiskSituation.PHONE,
    Place.LETTER: RiskSituation.LETTERS,
    Place.ONLINE: RiskSituation.ONLINE,
    Place.PRIVATE_LIFE: RiskSituation.DETAILS_FINDABLE,
}
SITUATION_SITUATIONS: dict[str, str] = {
    Situation.REJECTION: RiskSituation.REJECTION,
    Situation.REPAYMENT: RiskSituation.REJECTION,
    Situation.COMPULSORY_CARE: RiskSituation.REJECTION,
    Situation.HOME_VISIT: RiskSituation.HOME_VISIT,
}


class Level(models.TextChoices):
    """The risk level from likelihood × consequence, always shown in words."""

    LOW = "low", _("Low risk")
    MODERATE = "moderate", _("Moderate risk")
    HIGH = "high", _("High risk")
    VERY_HIGH = "very_high", _("Very high risk")


def risk_level(likelihood: int, consequence: int) -> Level:
    """The level of a risk in the 4 × 4 matrix."""
    score = likelihood * consequence
    if score <= 3:
        return Level.LOW
    if score <= 6:
        return Level.MODERATE
    if score <= 9:
        return Level.HIGH
    return Level.VERY_HIGH


class Likelihood(models.IntegerChoices):
    UNLIKELY = 1, _("1 – unlikely")
    POSSIBLE = 2, _("2 – possible")
    LIKELY = 3, _("3 – likely")
    VERY_LIKELY = 4, _("4 – very likely")


class Consequence(models.IntegerChoices):
    MINOR = 1, _("1 – minor")
    NOTABLE = 2, _("2 – notable")
    SERIOUS = 3, _("3 – serious")
    VERY_SERIOUS = 4, _("4 – very serious")


class Assessment(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded")

    class Occasion(models.TextChoices):
        YEARLY = "yearly", _("The yearly assessment")
        SERIOUS_EVENT = "serious_event", _("After a serious event")
        CLUSTER = "cluster", _("After several events")
        CHANGE = "change", _("Before a change or a risky moment")
        REQUEST = "request", _("The safety representative asked for it")

    class Response(models.TextChoices):
        CONFIRMED = "confirmed", _("Took part and agrees")
        DISAGREES = "disagrees", _("Took part and disagrees")

    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="risk_assessments")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    occasion = models.CharField(
        _("occasion"), max_length=16, choices=Occasion.choices, default=Occasion.YEARLY
    )
    assessed_on = models.DateField(_("date of the assessment"))
    next_due_on = models.DateField(_("next assessment due"))
    other_participants = models.CharField(
        _("other participants"),
        max_length=300,
        blank=True,
        help_text=_("For example occupational health or security; names are not needed."),
    )
    conclusion = models.TextField(_("overall conclusion"), max_length=TEXT_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    safety_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("safety representative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    safety_rep_response = models.CharField(
        _("the safety representative's response"),
        max_length=10,
        choices=Response.choices,
        blank=True,
    )
    safety_rep_note = models.TextField(
        _("the safety representative's comment"), max_length=TEXT_MAX, blank=True
    )
    safety_rep_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    no_safety_rep_reason = models.TextField(
        _("why no safety representative took part"), max_length=TEXT_MAX, blank=True
    )

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_on", "-pk"]
        indexes = [models.Index(fields=["unit", "status", "-assessed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_due_on__gt=models.F("assessed_on")),
                name="assessment_next_after",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.assessed_on}"

    def clean(self) -> None:
        # Checked here so that a form shows the rule next to its field, not the name of the
        # database constraint that backs it.
        if self.assessed_on is not None:
            errors = assessment_date_errors(
                self.assessed_on, self.next_due_on, today=timezone.localdate()
            )
            if errors:
                raise ValidationError(errors)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def has_safety_rep(self) -> bool:
        """Whether a safety representative is recorded as having taken part."""
        return any(
            participant.capacity == Participant.Capacity.SAFETY_REP
            for participant in self.participants.all()
        )


class Participant(models.Model):
    class Capacity(models.TextChoices):
        MANAGER = "manager", _("Manager")
        SAFETY_REP = "safety_rep", _("Safety representative")
        EMPLOYEE = "employee", _("Employee")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    capacity = models.CharField(max_length=12, choices=Capacity.choices)

    class Meta:
        ordering = ["capacity", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_capacity_display()})"


class Risk(TimeStampedModel):
    """One risky situation in an assessment, rated for likelihood and consequence."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="risks")
    situation = models.CharField(_("situation"), max_length=20, choices=RiskSituation.choices)
    description = models.TextField(
        _("what can happen"),
        max_length=TEXT_MAX,
        blank=True,
        help_text=_("Describe the situation; needed when it is not in the list."),
    )
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"),
        choices=Likelihood.choices,
        validators=[MinValueValidator(SCALE[0]), MaxValueValidator(SCALE[1])],
    )
    consequence = models.PositiveSmallIntegerField(
        _("consequence"),
        choices=Consequence.choices,
        validators=[MinValueValidator(SCALE[0]), MaxValueValidator(SCALE[1])],
    )
    protections = models.TextField(
        _("protections already in place"), max_length=TEXT_MAX, blank=True
    )

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=SCALE[0], likelihood__lte=SCALE[1]),
                name="risk_likelihood_scale",
            ),
            models.CheckConstraint(
                condition=Q(consequence__gte=SCALE[0], consequence__lte=SCALE[1]),
                name="risk_consequence_scale",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        if self.situation == RiskSituation.OTHER and self.description:
            return self.description.split("\n", 1)[0][:80]
        return str(self.get_situation_display())

    @property
    def score(self) -> int:
        return self.likelihood * self.consequence

    @property
    def level(self) -> Level:
        return risk_level(self.likelihood, self.consequence)


class PlanMeasure(TimeStampedModel):
    """A measure in the unit's written action plan: what, who, by when, and its follow-up."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.PLANNED, Status.IN_PROGRESS)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="plan_measures")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    risk = models.ForeignKey(
        Risk,
        verbose_name=_("for the risk"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
    )
    what = models.TextField(_("what"), max_length=TEXT_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="plan_measures",
    )
    due_on = models.DateField(_("by when"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up = models.TextField(_("follow-up"), max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = _("action-plan measure")
        verbose_name_plural = _("action-plan measures")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["unit", "status", "due_on"]),
            models.Index(fields=["owner", "status", "due_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.what[:60]} ({self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class AssessmentEvent(models.Model):
    """One line of an assessment's history: who did what, when. Rows are only ever added."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Assessment started")
        CHANGED = "changed", _("Details changed")
        RISK_ADDED = "risk_added", _("Risk added")
        RISK_CHANGED = "risk_changed", _("Risk changed")
        RISK_REMOVED = "risk_removed", _("Risk removed")
        MEASURE_ADDED = "measure_added", _("Measure added")
        MEASURE_CHANGED = "measure_changed", _("Measure updated")
        APPROVED = "approved", _("Approved by the manager")
        CONFIRMED = "confirmed", _("The safety representative confirmed taking part")
        DISAGREED = "disagreed", _("The safety representative recorded disagreement")
        SUPERSEDED = "superseded", _("Superseded by a newer assessment")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(max_length=TEXT_MAX, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
