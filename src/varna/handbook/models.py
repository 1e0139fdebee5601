"""The method handbook: sections a municipality writes and keeps, each a chain of versions.

A section (a routine, a checklist, the contacts) belongs to one municipality. Its text lives in
versions: an editor saves drafts, and publishing a draft makes it the section's current
version with the next number. A published version is never changed; the next change is a new
draft. Text is Markdown, stored as written and rendered once, sanitised, when saved
(varna.handbook.markdown). A section is tied to the work through links (a form of event, a
case step, a risk situation, ...; see varna.handbook.links).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Unit

# The longest text a version holds, in characters: a long routine is some thousands.
BODY_MAX = 50_000
TITLE_MAX = 200


class Section(TimeStampedModel):
    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        CHECKLIST = "checklist", _("Checklist")
        CONTACTS = "contacts", _("Contacts")

    municipality = models.ForeignKey(
        Unit,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="handbook_sections",
    )
    slug = models.SlugField(_("address"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # Where the section stands in the handbook's table of contents (lowest first).
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    # The introduction of a new employee points to it.
    in_introduction = models.BooleanField(_("part of the introduction"), default=False)
    # The version readers see; None until the first version is published.
    current = models.ForeignKey(
        "SectionVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("handbook section")
        verbose_name_plural = _("handbook sections")
        ordering = ["municipality", "position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="section_slug"),
        ]

    def __str__(self) -> str:
        return self.current.title if self.current else self.slug


class SectionVersion(models.Model):
    """One text of a section: a draft, or a version that was published (and then kept)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="versions")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # 1, 2, 3, ... in the order published; None while a draft.
    number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    # The number of the published version the draft was written from (None: the first text).
    # Publishing a draft whose base is no longer current is refused: someone else published.
    base_number = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    # English text: shown when the page is in English; the Swedish text otherwise.
    title_en = models.CharField(_("title in English"), max_length=TITLE_MAX, blank=True)
    body_en = models.TextField(_("text in English"), max_length=BODY_MAX, blank=True)
    # Rendered from the Markdown and sanitised when the version is saved.
    html = models.TextField(editable=False)
    html_en = models.TextField(editable=False, blank=True)
    # What an editor says about the change ("Nytt telefonnummer till larmcentralen").
    comment = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("handbook version")
        verbose_name_plural = _("handbook versions")
        ordering = ["section", "-number", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"],
                condition=Q(number__isnull=False),
                name="sectionversion_number",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True, published_at__isnull=True)
                | Q(status="published", number__isnull=False, published_at__isnull=False),
                name="sectionversion_published_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.number or _('draft')})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class SectionLink(models.Model):
    """Ties a section to the work: `kind` names what (a form, a case step, ...; the kinds are
    registered in varna.handbook.links by the apps that own them) and `value` which one."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20)
    value = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "kind", "value"], name="sectionlink_unique"),
        ]
        indexes = [models.Index(fields=["kind", "value"], name="sectionlink_target")]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"
