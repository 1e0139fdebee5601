import secrets
import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.core.record_keys import new_record_key
from varna.orgs.models import Unit
from varna.reporting.taxonomy import (
    ActorRelation,
    Answer,
    Form,
    KiaType,
    Place,
    Situation,
    TimeOfDay,
)

DESCRIPTION_MAX = 20_000


def attachment_storage() -> Storage:
    """The storage for attachments: the file system by default, object storage by setting."""
    return storages["attachments"]


def new_code() -> str:
    """An unguessable identifier for URLs: reports are never addressed by a sequential id."""
    return secrets.token_urlsafe(12)


class Report(TimeStampedModel):
    """One reported event of unlawful influence. Written only through reporting.services."""

    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    number = models.CharField(_("report number"), max_length=12, unique=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_made"
    )
    # The person the event happened to: the reporter, or a colleague reported on behalf of.
    affected = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports_about"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reports")
    record_key = models.PositiveIntegerField(default=new_record_key, editable=False)
    idempotency_key = models.UUIDField(unique=True, editable=False)

    main_form = models.CharField(_("what happened"), max_length=20, choices=Form.choices)
    other_forms = models.JSONField(_("further forms"), default=list, blank=True)
    subforms = models.JSONField(_("kinds"), default=list, blank=True)
    occurred_on = models.DateField(_("date"))
    time_of_day = models.CharField(
        _("approximate time"), max_length=10, choices=TimeOfDay.choices, blank=True
    )
    place = models.CharField(_("place"), max_length=20, choices=Place.choices, blank=True)
    situation = models.CharField(
        _("authority exercise"), max_length=30, choices=Situation.choices, blank=True
    )
    decision_delivered = models.CharField(
        _("decision delivered at the time"), max_length=6, choices=Answer.choices, blank=True
    )
    actor_relation = models.CharField(
        _("who did it"), max_length=20, choices=ActorRelation.choices, blank=True
    )
    actor_count = models.PositiveSmallIntegerField(_("number of people"), null=True, blank=True)
    actor_known = models.CharField(
        _("known from earlier events"), max_length=6, choices=Answer.choices, blank=True
    )
    consequences = models.JSONField(_("consequences"), default=list, blank=True)
    targets = models.JSONField(_("aimed at"), default=list, blank=True)
    purpose_to_influence = models.CharField(
        _("purpose to influence"), max_length=6, choices=Answer.choices, blank=True
    )
    # What the reporter believes the person wanted: Purpose codes, none or several.
    purposes = models.JSONField(_("what they wanted"), default=list, blank=True)
    felt_pressed = models.CharField(
        _("felt pressed to change a decision"), max_length=6, choices=Answer.choices, blank=True
    )
    decision_changed = models.CharField(
        _("a decision was changed"), max_length=6, choices=Answer.choices, blank=True
    )
    wants_police_report = models.BooleanField(_("wants a police report"), default=False)
    wants_manager_talk = models.BooleanField(_("wants a talk with the manager"), default=False)
    wants_occupational_health = models.BooleanField(_("wants occupational health"), default=False)
    workplace_address_only = models.BooleanField(
        _("contact through the workplace address only"), default=False
    )
    route_to_security = models.BooleanField(
        _("send to the security coordinator instead of the line manager"), default=False
    )
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX)
    kia_type = models.CharField(_("KIA event type"), max_length=20, choices=KiaType.choices)
    submitted_at = models.DateTimeField(_("submitted"))
    # Raised by every completion, correction and reclassification (ReportChange): a save
    # made from an older version is refused instead of overwriting the other one.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["unit", "occurred_on"]),
            models.Index(fields=["reporter", "-submitted_at"]),
            models.Index(fields=["affected", "-submitted_at"]),
            models.Index(fields=["main_form", "occurred_on"]),
        ]

    def __str__(self) -> str:
        return self.number


class ReportChange(models.Model):
    """One version of a report after it was sent: who changed what, when, and why.

    The report row holds the current answers; this history holds each change as the fields'
    values before and after, and text added to the description (the description as sent is
    never overwritten). Rows are only ever added, by reporting.services and cases.services.
    """

    class Kind(models.TextChoices):
        COMPLETED = "completed", _("Completed by the employee")
        CORRECTED = "corrected", _("Completed or corrected by the handler")
        RECLASSIFIED = "reclassified", _("Reclassified")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField(_("version"))
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # [{"field": name, "before": value, "after": value}, ...] in the report's own codes.
    fields = models.JSONField(_("changed"), default=list, blank=True)
    added_text = models.TextField(_("added to the description"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # Whether the change touches the part about who did it (shown only to those who see it).
    touches_actor = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "version"]
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="one_change_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.version}"


def attachment_name(instance: "Attachment", filename: str) -> str:
    """Where a file is stored: a random name under the report's year, never the uploaded name."""
    return f"attachments/{timezone.now():%Y}/{secrets.token_hex(16)}{instance.extension}"


class Attachment(models.Model):
    """A file kept with a report: a screenshot, a photo, a letter, an e-mail as PDF, a recording.

    Stored through Django's storage API (settings.STORAGES["attachments"]), under a random name.
    `part` says which part of the record it belongs to, and so who may see it: the report
    (everyone who reads the report), the actor part (as the actor part) or the case (those who
    read the handling).
    """

    class Part(models.TextChoices):
        REPORT = "report", _("the report")
        ACTOR = "actor", _("who did it")
        CASE = "case", _("the case")

    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    part = models.CharField(_("belongs to"), max_length=10, choices=Part.choices)
    file = models.FileField(upload_to=attachment_name, storage=attachment_storage, max_length=200)
    # What the person called it, cleaned (shown in lists; the stored name is random).
    label = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]
        constraints = [
            # The same file twice on one report is stored once.
            models.UniqueConstraint(fields=["report", "sha256"], name="attachment_once_per_report")
        ]

    def __str__(self) -> str:
        return self.label


def field_label(name: str) -> str:
    """The human name of a report field (as its history shows it)."""
    labels = {field.name: str(field.verbose_name) for field in Report._meta.fields}
    return labels.get(name, name)


def field_choices(name: str) -> dict[str, str]:
    """The labels of a report field's codes (empty for a field without choices)."""
    field = next((f for f in Report._meta.fields if f.name == name), None)
    return {str(code): str(label) for code, label in (field.choices or [])} if field else {}


class ReportSequence(models.Model):
    """The last human number given out per year (2026-0042): one row per year, locked on use."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Draft(TimeStampedModel):
    """What someone has typed into the report form but not yet submitted.

    A draft belongs to a user; a draft typed after the session expired belongs to a browser
    (`claim_token`, kept in a cookie) until the person logs in again and claims it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_drafts",
    )
    claim_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Whose session ended: only that person gets an unclaimed draft back (a shared computer
    # must not hand one person's words to the next).
    meant_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    idempotency_key = models.UUIDField(default=uuid.uuid4)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="one_draft_per_user"),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(claim_token__isnull=False),
                name="draft_has_owner",
            ),
        ]


class Notification(TimeStampedModel):
    """A message in someone's inbox in the app, with its e-mail delivery state."""

    class Kind(models.TextChoices):
        NEW_REPORT = "new_report", _("New report")
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalated reminder")
        SAFETY_REQUEST = "safety_request", _("Request for measures")
        ASSIGNED = "assigned", _("Case assigned")
        REPORT_COMPLETED = "report_completed", _("The employee added to a report")
        NOT_UNLAWFUL = "not_unlawful", _("Your report was assessed")

    class Topic(models.TextChoices):
        """What a reminder is about (the deadlines of varna.cases, the year plan, action plans)."""

        ACKNOWLEDGE = "acknowledge", _("Contact with the employee is overdue")
        NOTICE = "notice", _("Notice to Arbetsmiljöverket is due today")
        INJURY_REPORT = "injury_report", _("The work-injury report to Försäkringskassan is due")
        MEASURE = "measure", _("A measure is overdue")
        SUPPORT_FOLLOW_UP = "support_follow_up", _("A follow-up contact after support is due")
        SAFETY_REQUEST = "safety_request", _("A safety representative's request is unanswered")
        ASSIGNED = "assigned", _("A case has been assigned to you")
        ACTIVITY = "activity", _("A year-plan activity is overdue")
        PLAN_MEASURE = "plan_measure", _("An action-plan measure is overdue")
        TRAINING = "training", _("Required training is overdue or due soon")
        AUDIT_MEASURE = "audit_measure", _("A measure answering an audit is overdue")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Empty for a notice about a unit rather than a report (a request for measures).
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # For a reminder about the year plan or an action plan, what it is about (no report).
    activity = models.ForeignKey(
        "yearplan.Activity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    plan_measure = models.ForeignKey(
        "risk.PlanMeasure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    audit_measure = models.ForeignKey(
        "audits.Measure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # For a reminder about a unit's staff (their training, varna.training.reminders): the unit
    # the link leads to, and the counts shown (never names), which also tell whether the
    # situation changed since the last reminder.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    figures = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What a reminder is about (a varna.cases Reminder kind), shown in the list and e-mail.
    topic = models.CharField(max_length=30, choices=Topic.choices, blank=True)
    # Sent in the daily digest together with the recipient's other reminders.
    in_digest = models.BooleanField(default=False)
    reason = models.CharField(max_length=20, blank=True)  # the role that made them a recipient
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.report} \u2192 {self.recipient}"


class ReadLog(models.Model):
    """Who read which part of which report, and when. Rows are only ever added."""

    created_at = models.DateTimeField(_("read at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reads")
    part = models.CharField(_("part"), max_length=30)
    role = models.CharField(_("capacity"), max_length=20)

    class Meta:
        verbose_name = _("read log entry")
        verbose_name_plural = _("read log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.role} {self.part}"

    def get_role_label(self) -> str:
        return str(READER_ROLES.get(self.role, self.role))

    def get_part_label(self) -> str:
        return str(READ_PARTS.get(self.part, self.part))


# How the read log names the capacity a person read in, and the part they read.
READER_ROLES = {
    "manager": _("manager"),
    "safety_rep": _("safety representative"),
    "security": _("security coordinator"),
    "investigator": _("investigator"),
    "hr": _("HR"),
    "reporter": _("the employee"),
    "admin": _("administrator (register extract)"),
}
READ_PARTS = {
    "report": _("the report"),
    "report+actor": _("the report with the actor part"),
    "case": _("the case"),
    "case+actor": _("the case with the actor part"),
    "case:support": _("the case's support and injury parts"),
    "police_draft": _("the police-report draft"),
    "attachment": _("an attachment"),
    "attachment+actor": _("an attachment to the actor part"),
    "records_copy": _("a copy for a public-records request"),
    "register_extract": _("a register extract"),
}
