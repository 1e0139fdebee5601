from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs import tree


class UnitQuerySet(models.QuerySet["Unit"]):
    def active_on(self, day: date) -> "UnitQuerySet":
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))

    def subtree_of(self, unit: "Unit") -> "UnitQuerySet":
        return self.filter(tree.subtree_q(unit.path))

    def roots(self) -> "UnitQuerySet":
        return self.filter(parent__isnull=True)


class Unit(TimeStampedModel):
    """A node of a municipality's organisation, from the kommun down to a work group."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "kommun", _("municipality")
        COMMITTEE = "namnd", _("committee")
        ADMINISTRATION = "forvaltning", _("administration")
        DEPARTMENT = "avdelning", _("department")
        UNIT = "enhet", _("unit")
        WORKGROUP = "arbetsgrupp", _("work group")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # See varna.orgs.tree for why a materialised path. Maintained only by services.
    path = models.CharField(max_length=tree.MAX_PATH, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    valid_from = models.DateField(_("valid from"), default=date(2000, 1, 1))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # The workplace's visiting address: what a police report by the employer gives instead of
    # anyone's home address. A unit without one uses the nearest unit above it that has one.
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_period",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_active(self, day: date | None = None) -> bool:
        day = day or date.today()
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)

    def ancestors(self) -> UnitQuerySet:
        """This unit and those above it, root first."""
        return Unit.objects.filter(path__in=tree.ancestor_paths(self.path)).order_by("depth")

    def municipality(self) -> "Unit":
        """The root of the unit's tree: the municipality, the employer."""
        return Unit.objects.get(path=self.path[: tree.SEGMENT])

    def workplace_address(self) -> str:
        """The visiting address of this unit or the nearest unit above it that has one."""
        for unit in self.ancestors().order_by("-depth"):
            if unit.street_address:
                return ", ".join(
                    part
                    for part in (unit.street_address, f"{unit.postal_code} {unit.city}".strip())
                    if part
                )
        return ""

    def descendants(self) -> UnitQuerySet:
        """This unit and everything below it."""
        return Unit.objects.subtree_of(self)


class Headcount(TimeStampedModel):
    """Number of employees of a unit (itself, not its subtree) in a year: the base for rates."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="headcounts")
    year = models.PositiveSmallIntegerField(_("year"))
    employees = models.PositiveIntegerField(_("employees"))

    class Meta:
        verbose_name = _("headcount")
        verbose_name_plural = _("headcounts")
        ordering = ["unit", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="headcount_unit_year"),
        ]
        # Follow-up reads one year of every unit in a subtree, employees and all.
        indexes = [
            models.Index(fields=["year", "unit"], include=["employees"], name="headcount_year"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}: {self.employees}"


class User(AbstractUser):
    """A person who can log in. Home addresses and identity numbers are never stored."""

    employee_number = models.CharField(
        _("employee number"), max_length=40, unique=True, null=True, blank=True
    )
    # Demo accounts log in only while VARNA_DEMO is on (varna.accounts.backends).
    is_demo = models.BooleanField(_("demo account"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Employment(TimeStampedModel):
    """A person's position in a unit. A person may hold several at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="employments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="employments")
    title = models.CharField(_("title"), max_length=120, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="employment_user_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user}, {self.title or '-'}, {self.unit}"


class Role(models.TextChoices):
    EMPLOYEE = "employee", _("employee")
    MANAGER = "manager", _("manager")
    SAFETY_REP = "safety_rep", _("safety representative")
    HR = "hr", _("HR")
    SECURITY = "security", _("security coordinator")
    INVESTIGATOR = "investigator", _("investigator")
    ANALYST = "analyst", _("analyst")
    AUDITOR = "auditor", _("auditor")
    COMMITTEE = "committee", _("committee member")
    ADMIN = "admin", _("administrator")
    # Writes and publishes the municipality's method handbook (varna.handbook).
    EDITOR = "editor", _("handbook editor")


class RoleGrant(TimeStampedModel):
    """A role held on a unit; it holds for the unit's whole subtree. Changed only via services."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    title = models.CharField(
        _("title"), max_length=120, blank=True, help_text=_("E.g. 1:e socialsekreterare")
    )
    # Given because the person is in a group at the municipality's identity provider (mapped in
    # the admin); such grants follow the groups at each sign-in, the others are never touched.
    is_from_group = models.BooleanField(_("from a group at sign-in"), default=False, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="rolegrant_unique"),
        ]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()} ({self.unit})"
