"""Training: the courses a municipality gives, who must take which, and who has taken them.

A course is valid for a number of months after it is completed (or for good). A requirement
says who must hold a valid completion of a course: the staff with a role (e.g. every employee,
every manager) and/or in a kind of unit (e.g. every "enhet"), within some months of starting.
A completion is one person's course on one day, registered by a manager or imported from the
learning platform; the same person, course and day is one completion however often it is
registered. Whether someone's training is valid, due or overdue is worked out from these rows
(varna.training.coverage), never stored.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Role, Unit


class Course(TimeStampedModel):
    municipality = models.ForeignKey(
        Unit, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="courses"
    )
    # The course's id at the learning platform: what its export gives in the course column.
    code = models.SlugField(_("course code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=2_000, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("How long a completion holds; empty means for good."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="course_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Requirement(TimeStampedModel):
    """Who must hold a valid completion of `course`: staff holding `role` (any role when
    empty) employed in a unit of `unit_kind` (any kind when empty)."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="requirements"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    unit_kind = models.CharField(
        _("kind of unit"), max_length=20, choices=Unit.Kind.choices, blank=True
    )
    within_months = models.PositiveSmallIntegerField(
        _("within (months of starting)"),
        default=3,
        help_text=_("A new employee has this long from their first day to take the course."),
    )

    class Meta:
        verbose_name = _("training requirement")
        verbose_name_plural = _("training requirements")
        ordering = ["course", "role", "unit_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "role", "unit_kind"], name="requirement_unique"
            ),
        ]

    def __str__(self) -> str:
        who = [str(self.get_role_display()) if self.role else str(_("all staff"))]
        if self.unit_kind:
            who.append(str(self.get_unit_kind_display()))
        return f"{self.course}: {', '.join(who)}"


class Completion(TimeStampedModel):
    class Source(models.TextChoices):
        MANAGER = "manager", _("Registered by a manager")
        IMPORT = "import", _("Imported from the learning platform")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="completions",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="completions"
    )
    completed_on = models.DateField(_("completed on"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("completed course")
        verbose_name_plural = _("completed courses")
        ordering = ["-completed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course", "completed_on"], name="completion_once_a_day"
            ),
        ]
        indexes = [
            models.Index(fields=["course", "person", "completed_on"], name="completion_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.course} {self.completed_on:%Y-%m-%d}"
