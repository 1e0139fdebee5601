"""The audit's recommendations followed to the end: audits, their recommendations, the
committee's answer to each, the measures decided, and their status with dated notes.

An audit (a granskning by the municipality's auditors) concerns a part of the tree, usually a
committee (nämnd) or the whole municipality: whoever follows up that part sees it. Each
recommendation gets the committee's answer as decided (the decision's date and paragraph) and
the measures it decided, each with who is responsible and by when. A measure's status changes
only through notes, so the history of what was done, and the evidence, is kept.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Unit
from varna.reporting.models import new_code

TEXT_MAX = 5_000


class Audit(TimeStampedModel):
    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    # The part of the tree the audit concerns (a committee or the municipality).
    unit = models.ForeignKey(
        Unit, verbose_name=_("audited"), on_delete=models.PROTECT, related_name="audits"
    )
    title = models.CharField(_("title"), max_length=200)
    reported_on = models.DateField(_("date of the audit report"))
    auditors = models.CharField(_("auditors"), max_length=300)
    summary = models.TextField(_("summary"), max_length=TEXT_MAX, blank=True)
    report_url = models.URLField(_("link to the audit report"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-reported_on", "title"]

    def __str__(self) -> str:
        return self.title


class Recommendation(TimeStampedModel):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="recommendations")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("recommendation"), max_length=TEXT_MAX)
    # The committee's answer, as decided.
    answer = models.TextField(_("the committee's answer"), max_length=TEXT_MAX, blank=True)
    answered_on = models.DateField(_("decided on"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=100, blank=True, help_text=_("E.g. ALN § 45/2026")
    )

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="recommendation_number"),
        ]

    def __str__(self) -> str:
        return f"{self.audit} {self.number}"


class Measure(TimeStampedModel):
    """A measure the committee decided in answer to a recommendation."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Not started")
        STARTED = "started", _("Started")
        DONE = "done", _("Done")

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="measures"
    )
    text = models.TextField(_("measure"), max_length=TEXT_MAX)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="audit_measures",
    )
    due_on = models.DateField(_("to be done by"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit measure")
        verbose_name_plural = _("audit measures")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="auditmeasure_due")]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE


class MeasureNote(models.Model):
    """One dated line of a measure's history: what was done, the evidence, the status after.
    Rows are only ever added."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("note"), max_length=TEXT_MAX)
    link = models.URLField(_("link to the evidence"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Measure.Status.choices)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_status_display()}"
