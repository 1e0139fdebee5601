"""Keeping the record lawfully: retention periods from each municipality's information
management plan, the logged destruction batches that follow them.

A retention period is never edited in place: each change adds a row, so the latest row per
municipality and kind is the rule and the earlier rows are its history. Written only through
varna.records.services.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from varna.orgs.models import Unit


class Kind(models.TextChoices):
    """A kind of information with its own retention period."""

    CASES = "cases", _("Reports and cases closed as unlawful influence")
    NOT_UNLAWFUL = "not_unlawful", _("Reports and cases found not to be unlawful influence")
    ACTOR = "actor", _("The part about who did it")
    ATTACHMENTS = "attachments", _("Attachments")
    NOTIFICATIONS = "notifications", _("Notifications")
    READ_LOG = "read_log", _("Read log")
    DRAFTS = "drafts", _("Unsent drafts")
    SECURITY_LOG = "security_log", _("Security log")


# Kinds kept per installation rather than per municipality: a draft and a security event
# belong to a person, not to a unit.
INSTALLATION_KINDS = frozenset({Kind.DRAFTS, Kind.SECURITY_LOG})


class RetentionPeriod(models.Model):
    """How long one kind of information is kept, counted from when it was closed or made.

    `municipality` is None for the installation's own kinds (INSTALLATION_KINDS)."""

    municipality = models.ForeignKey(
        Unit,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("information"), max_length=20, choices=Kind.choices)
    months = models.PositiveIntegerField(_("kept for (months)"))
    # Where the period comes from: the plan's name and reference number.
    basis = models.CharField(_("basis in the information management plan"), max_length=300)
    set_at = models.DateTimeField(_("set"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        ordering = ["municipality", "kind", "-set_at", "-pk"]
        indexes = [models.Index(fields=["municipality", "kind", "-set_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.months}"


class DestructionRun(models.Model):
    """One day's destruction. The row for the day is the claim: a second worker that tries to
    make it fails on the unique day and does nothing."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("destruction run")
        verbose_name_plural = _("destruction runs")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)


class DestructionBatch(models.Model):
    """What one run destroyed of one kind in one municipality: the kind, how many, under which
    rule and when. Never the content, nor which records."""

    run = models.ForeignKey(DestructionRun, on_delete=models.PROTECT, related_name="batches")
    municipality = models.ForeignKey(
        Unit,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("information"), max_length=20, choices=Kind.choices)
    count = models.PositiveIntegerField(_("destroyed"))
    months = models.PositiveIntegerField(_("kept for (months)"))
    rule = models.ForeignKey(
        RetentionPeriod,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("destruction batch")
        verbose_name_plural = _("destruction batches")
        ordering = ["-at", "kind"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}: {self.count}"
