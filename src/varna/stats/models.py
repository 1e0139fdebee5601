"""Stored figures for follow-up, and the committee report's background jobs.

`MonthlyCount` is a rollup: the events of one unit (itself, not its subtree) that happened in
one month, per main form, situation and routing, with one column per category the dashboards
show, and beside each count the sum of its events' record keys (`<column>_key`), from which
varna.core.perturbation adjusts a published figure. Counts and key sums both add up, so any
page, over any period, filter and level, is a sum of rollup rows.

`SubtreeMonthlyCount` is the same summed over the subtrees of the roots of the tree and the
units directly below them (depth <= SUBTREE_DEPTH), per month, form and routing, with the
situations as columns: a municipality's month is ~10 rows instead of ~100. `SubtreeYearlyCount`
is that per calendar year, for pages over the whole country.

All three are written in one place only, varna.stats.services.fold: the services that write
reports and cases leave a `PendingFold` row, and the task worker folds them in by recounting the
unit's month from the events; a full rebuild is folding every unit and month.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Unit
from varna.reporting.models import new_code
from varna.reporting.taxonomy import (
    SUBFORMS,
    ActorRelation,
    Answer,
    Consequence,
    Form,
    Place,
    Purpose,
    Situation,
)

# The counted categories, as rollup columns. Codes are stable (taxonomy.py); a new code is a
# new column and a migration.
SUBFORM_COLUMNS = {
    f"sub_{form}_{code}": (str(form), code) for form, items in SUBFORMS.items() for code, _ in items
}
PLACE_COLUMNS = {f"place_{code}": code for code in Place.values}
ACTOR_COLUMNS = {f"actor_{code}": code for code in ActorRelation.values}
CONSEQUENCE_COLUMNS = {f"cons_{code}": code for code in Consequence.values}
# Brå's test: whether the employee believed the purpose was to influence their work (yes, no,
# unsure; the rest did not answer), and what they believe the person wanted (none or several).
BELIEVED_COLUMNS = {f"believed_{code}": code for code in Answer.values}
PURPOSE_COLUMNS = {f"purpose_{code}": code for code in Purpose.values}
# Handling, counted on the event's case (varna.cases.models.Case).
HANDLING_COLUMNS = [
    "ack_in_time",  # the employee was contacted by the deadline
    "ack_late",  # contacted, but after the deadline
    "ack_minutes",  # minutes from opening to contact, summed over contacted cases
    "with_measures",  # at least one measure decided (not cancelled)
    "police_employer",  # the employer files the police report
    "police_employee",  # the employee files with the employer's help
    "police_none",  # decided not to report
    "serious",  # flagged as a serious event (notice to Arbetsmiljöverket)
    "serious_in_time",  # serious, and the notice was sent by its deadline
    "influenced",  # the investigation found that a decision was influenced
    # Reported, but found not to be unlawful influence (an appeal, a complaint): counted here
    # alone, in none of the columns above (not even `events`).
    "not_unlawful",
]
# Events per situation, for the subtree rollup (which has no situation in its key); the events
# with no or an unknown situation are the rest.
SITUATION_COLUMNS = {f"sit_{code}": code for code in Situation.values}
# The subtree rollup covers the roots (depth 0) and the units directly below them.
SUBTREE_DEPTH = 1
# Summed over the events counted, not a count: it has no key.
NOT_COUNTS = {"ack_minutes"}
COUNT_COLUMNS = [
    "events",
    *SUBFORM_COLUMNS,
    *PLACE_COLUMNS,
    *ACTOR_COLUMNS,
    *CONSEQUENCE_COLUMNS,
    *BELIEVED_COLUMNS,
    *PURPOSE_COLUMNS,
    *HANDLING_COLUMNS,
]
# Beside every count, the sum of the record keys of the events it counts.
KEY_COLUMNS = {
    column: f"{column}_key"
    for column in [*COUNT_COLUMNS, *SITUATION_COLUMNS]
    if column not in NOT_COUNTS
}


class MonthlyCount(models.Model):
    """Events of one unit in one month, by form, situation and routing (see the module)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month the events happened in
    form = models.CharField(max_length=20, choices=Form.choices)
    situation = models.CharField(max_length=30, blank=True)
    # Sent to the security coordinator: not among the cases a line manager may open.
    security_routed = models.BooleanField(default=False)
    events = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "form", "situation", "security_routed"],
                name="monthlycount_key",
            )
        ]
        indexes = [models.Index(fields=["month"], name="monthlycount_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.form}: {self.events}"


for _column in COUNT_COLUMNS[1:]:
    MonthlyCount.add_to_class(_column, models.PositiveIntegerField(default=0))
for _column in COUNT_COLUMNS:
    if _column in KEY_COLUMNS:
        MonthlyCount.add_to_class(KEY_COLUMNS[_column], models.BigIntegerField(default=0))


class _SubtreeCount(models.Model):
    """Events of a unit's whole subtree in a span of time, by form and routing."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the span's first month
    form = models.CharField(max_length=20, choices=Form.choices)
    security_routed = models.BooleanField(default=False)
    events = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


def _subtree_meta(name: str) -> dict[str, list]:
    return {
        "constraints": [
            models.UniqueConstraint(
                fields=["unit", "month", "form", "security_routed"], name=f"{name}_key"
            )
        ],
        "indexes": [
            # The events of the units below the tops, for a country's table of units, read
            # from the index alone instead of the ~90 columns of every row (PostgreSQL; the
            # other databases take it without the included column).
            models.Index(
                fields=["month", "unit", "form", "security_routed"],
                include=["events"],
                name=f"{name}_events",
            )
        ],
    }


class SubtreeMonthlyCount(_SubtreeCount):
    """Events of a unit's whole subtree in one month, by form and routing (see the module)."""

    class Meta:
        constraints = _subtree_meta("subtreecount")["constraints"]
        indexes = _subtree_meta("subtreecount")["indexes"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.form} (subtree): {self.events}"


class SubtreeYearlyCount(_SubtreeCount):
    """The subtree rollup summed per calendar year: a year's page (every page for a reader who
    may not see the events) reads a twelfth of the rows. `month` is January of the year."""

    class Meta:
        constraints = _subtree_meta("subtreeyear")["constraints"]
        indexes = _subtree_meta("subtreeyear")["indexes"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y} {self.form} (subtree): {self.events}"


for _model in (SubtreeMonthlyCount, SubtreeYearlyCount):
    for _column in [*COUNT_COLUMNS[1:], *SITUATION_COLUMNS]:
        _model.add_to_class(_column, models.PositiveIntegerField(default=0))
    for _key in KEY_COLUMNS.values():
        _model.add_to_class(_key, models.BigIntegerField(default=0))


class RetiredEvent(models.Model):
    """What a destroyed report and case still count for in the follow-up.

    The retention plan destroys reports and cases, but the statistics stay (DOMAIN §10): the
    event's contribution to its rollup row is kept here, without the day, the people or any
    text, and every recount adds it to the events still held. Written only by
    varna.stats.services.retire.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    form = models.CharField(max_length=20, choices=Form.choices)
    situation = models.CharField(max_length=30, blank=True)
    security_routed = models.BooleanField(default=False)
    # The rollup columns this event counted in: {"events": 1, "place_office": 1, ...}.
    columns = models.JSONField(default=dict)
    # The destroyed event's record key: its published figures stay the same.
    record_key = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["unit", "month"], name="retiredevent_unit_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.form}"


class PendingFold(models.Model):
    """A unit's month whose rollup rows must be recounted: written by the services that write
    reports and cases (beside their own rows, nothing else), folded in and deleted by
    varna.stats.services.fold. `subtree`: recount only the subtree rollup of this unit (a top
    whose subtree changed when units moved)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    subtree = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="pendingfold_created")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


class FoldState(models.Model):
    """One row: when the rollups were last folded. Locked by a fold, so folds take turns."""

    folded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"folded {self.folded_at}"


class ReportJob(TimeStampedModel):
    """A committee report being built in the background, for its owner only."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being built")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_jobs"
    )
    # The dashboard's filter as its query string: the report shows what that page shows.
    query = models.CharField(max_length=2000, blank=True)
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # per cent
    error = models.CharField(max_length=300, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("committee report")
        verbose_name_plural = _("committee reports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
