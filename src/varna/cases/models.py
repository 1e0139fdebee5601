"""A report handled as a case: workflow, investigation, measures, police, authorities, support.

Every model here is written only through varna.cases.services, which also writes the case's
timeline in the same transaction. The personal data about the actor lives in its own table
(`ActorDetails`) so that narrower access to it is a matter of not joining it.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from varna.core.models import TimeStampedModel
from varna.orgs.models import Unit
from varna.reporting.models import Notification, Report, new_code
from varna.reporting.taxonomy import Answer, Form

TEXT_MAX = 5_000


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATED = "investigated", _("Investigated")
    MEASURES_DECIDED = "measures_decided", _("Measures decided")
    FOLLOWED_UP = "followed_up", _("Followed up")
    CLOSED = "closed", _("Closed")


OPEN_STATES = [state for state in State if state != State.CLOSED]


class Cause(models.TextChoices):
    """Why it could happen: the contributing circumstances found in the investigation."""

    WORKING_ALONE = "working_alone", _("Working alone")
    DETAILS_KNOWN = "details_known", _("The employee's personal details were known or findable")
    UNPREPARED_DECISION = "unprepared_decision", _("A decision was delivered without preparation")
    NO_ALARM = "no_alarm", _("No alarm or way to call for help")
    ROOM_LAYOUT = "room_layout", _("The room or reception was unsuitable")
    KNOWN_RISK = "known_risk", _("A known risk person without a safety plan")
    HOME_VISIT_ALONE = "home_visit_alone", _("Home visit without a colleague")
    ONLINE = "online", _("Exposure online")
    NO_ROUTINE = "no_routine", _("No routine, or the routine was not known")
    OTHER = "other", _("Other")


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class PoliceDecision(models.TextChoices):
    EMPLOYER_FILES = "employer_files", _("The employer files the report as complainant")
    EMPLOYEE_WITH_HELP = "employee_with_help", _("The employee files with the employer's help")
    NO_REPORT = "no_report", _("No police report")


class PoliceOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for the police")
    INVESTIGATION = "investigation", _("Preliminary investigation opened")
    CLOSED_NO_CRIME = "closed", _("Investigation closed or not opened")
    PROSECUTION = "prosecution", _("Prosecution brought")
    JUDGMENT = "judgment", _("Judgment")


class Case(TimeStampedModel):
    """The handling of one report. Opened in the same transaction as the report."""

    report = models.OneToOneField(
        Report, primary_key=True, on_delete=models.CASCADE, related_name="case"
    )
    # Copied from the report, which never changes them, so that the inbox filters and sorts
    # on one table.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases")
    main_form = models.CharField(_("what happened"), max_length=20, choices=Form.choices)
    security_routed = models.BooleanField(default=False)
    opened_at = models.DateTimeField(_("received"))

    state = models.CharField(_("status"), max_length=20, choices=State, default=State.RECEIVED)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_handled",
    )
    # The earliest open deadline of any kind (contact, notice, measure, follow-up, a safety
    # representative's request): what the inbox sorts on and calls overdue.
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)

    acknowledge_due_at = models.DateTimeField(_("contact the employee by"))
    acknowledged_at = models.DateTimeField(_("employee contacted"), null=True, blank=True)

    what_happened = models.TextField(_("what happened"), max_length=TEXT_MAX, blank=True)
    causes = models.JSONField(_("why it could happen"), default=list, blank=True)
    causes_other = models.CharField(_("other cause"), max_length=300, blank=True)
    recurrence_risk = models.CharField(
        _("risk that it happens again"), max_length=10, choices=Risk.choices, blank=True
    )
    decision_influenced = models.CharField(
        _("a decision was influenced"), max_length=6, choices=Answer.choices, blank=True
    )
    no_measures_reason = models.TextField(
        _("why no measures are needed"), max_length=TEXT_MAX, blank=True
    )
    follow_up_note = models.TextField(_("follow-up"), max_length=TEXT_MAX, blank=True)
    outcome = models.TextField(_("outcome told to the employee"), max_length=TEXT_MAX, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Closed as lawful influence (an appeal, a complaint, criticism: DOMAIN §2), with the reason
    # told to the employee: the event is then counted apart from unlawful influence.
    not_unlawful = models.BooleanField(_("not unlawful influence"), default=False)
    not_unlawful_reason = models.TextField(
        _("why it is not unlawful influence"), max_length=TEXT_MAX, blank=True
    )

    # A legal hold (police investigation, court, work-injury claim) stops the case's
    # destruction under the retention plan until it is lifted.
    hold_reason = models.TextField(_("reason for the legal hold"), max_length=TEXT_MAX, blank=True)
    hold_since = models.DateTimeField(_("legal hold since"), null=True, blank=True)
    hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("legal hold set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    police_decision = models.CharField(
        _("police report"), max_length=20, choices=PoliceDecision.choices, blank=True
    )
    police_no_report_reason = models.TextField(
        _("why no police report"), max_length=TEXT_MAX, blank=True
    )
    police_filed_on = models.DateField(_("filed on"), null=True, blank=True)
    police_reference = models.CharField(_("police reference number"), max_length=40, blank=True)
    police_outcome = models.CharField(
        _("outcome"), max_length=20, choices=PoliceOutcome.choices, blank=True
    )

    # Serious event (allvarligt tillbud or olycka): flagged by rules.serious_reasons or by the
    # handler; Arbetsmiljöverket must be told the same day.
    serious_reasons = models.JSONField(_("why it may be serious"), default=list, blank=True)
    notice_due_at = models.DateTimeField(
        _("notice to Arbetsmiljöverket due"), null=True, blank=True
    )
    notice_sent_at = models.DateTimeField(
        _("notice to Arbetsmiljöverket sent"), null=True, blank=True
    )
    notice_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notice_reference = models.CharField(
        _("Arbetsmiljöverket's reference"), max_length=40, blank=True
    )
    not_serious_reason = models.TextField(
        _("why no notice is needed"), max_length=TEXT_MAX, blank=True
    )
    injury = models.BooleanField(_("someone was injured"), default=False)
    # Once an injury is recorded, the work-injury report to Försäkringskassan is due
    # (rules.injury_report_due); the case closes only with it made or found not needed.
    injury_report_due_at = models.DateTimeField(
        _("work-injury report to Försäkringskassan due"), null=True, blank=True
    )
    injury_report_on = models.DateField(
        _("work-injury report to Försäkringskassan"), null=True, blank=True
    )
    no_injury_report_reason = models.TextField(
        _("why no work-injury report is needed"), max_length=TEXT_MAX, blank=True
    )
    afa_informed_on = models.DateField(
        _("employee told about AFA insurance"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        # Shaped by bench/inbox.py: the counts read the first index alone, the default
        # sort and the newest-first sort walk the next two (INCLUDE is PostgreSQL's). The
        # fourth is a view by state and form (closed threats, all open ones) in its own order:
        # its first page and its capped count stop after the rows they need instead of
        # filtering every case newest first. The last holds the open cases only (a few
        # percent): the headline on every inbox page counts them from it alone.
        indexes = [
            models.Index(
                fields=["unit", "state", "main_form", "security_routed"], name="case_scope"
            ),
            models.Index(fields=["next_due_at", "-opened_at", "report"], name="case_due"),
            models.Index(
                fields=["-opened_at", "report"],
                include=["unit", "security_routed", "state", "main_form"],
                name="case_opened",
            ),
            models.Index(
                fields=["state", "main_form", "-opened_at", "report"],
                include=["unit", "security_routed"],
                name="case_state_form",
            ),
            models.Index(
                fields=["unit", "state"],
                include=["next_due_at", "handler", "security_routed", "report"],
                condition=Q(state__in=OPEN_STATES),
                name="case_open",
            ),
            models.Index(fields=["handler", "state"], name="case_handler_state"),
        ]

    def __str__(self) -> str:
        return str(self.report.number)

    @property
    def code(self) -> str:
        return str(self.report.code)

    @property
    def on_hold(self) -> bool:
        return self.hold_since is not None

    @property
    def is_serious(self) -> bool:
        return bool(self.serious_reasons)

    @property
    def notice_pending(self) -> bool:
        return self.is_serious and self.notice_sent_at is None and not self.not_serious_reason

    @property
    def injury_report_pending(self) -> bool:
        """An injury is recorded and the report to Försäkringskassan is neither made nor found
        not needed."""
        return self.injury and self.injury_report_on is None and not self.no_injury_report_reason


class CaseEvent(models.Model):
    """One line of the case's timeline: who did what, when. Rows are only ever added."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        ACKNOWLEDGED = "acknowledged", _("Employee contacted")
        INVESTIGATION_SAVED = "investigation_saved", _("Investigation updated")
        INVESTIGATED = "investigated", _("Investigation finished")
        MEASURE_ADDED = "measure_added", _("Measure added")
        MEASURE_CHANGED = "measure_changed", _("Measure updated")
        MEASURES_DECIDED = "measures_decided", _("Measures decided")
        NO_MEASURES = "no_measures", _("Decided that no measures are needed")
        FOLLOWED_UP = "followed_up", _("Measures followed up")
        CLOSED = "closed", _("Case closed")
        REOPENED = "reopened", _("Case reopened")
        POLICE = "police", _("Police report updated")
        SERIOUS_FLAGGED = "serious_flagged", _("Marked as a possibly serious event")
        NOTICE_SENT = "notice_sent", _("Notice to Arbetsmiljöverket recorded")
        NOT_SERIOUS = "not_serious", _("Assessed as not requiring a notice")
        INSURANCE = "insurance", _("Work-injury report and AFA updated")
        SUPPORT = "support", _("Support updated")
        ACTOR = "actor", _("Details about the actor updated")
        COMMENT = "comment", _("Comment")
        ASSIGNED = "assigned", _("Assigned")
        HANDLER = "handler", _("Handler changed")
        REQUEST = "request", _("Request from the safety representative")
        REQUEST_CONFIRMED = "request_confirmed", _("Receipt of the request confirmed in writing")
        REQUEST_ANSWERED = "request_answered", _("Request from the safety representative answered")
        REQUEST_TO_AUTHORITY = (
            "request_to_authority",
            _("The safety representative turned to Arbetsmiljöverket"),
        )
        REPORT_COMPLETED = "report_completed", _("The employee added to the report")
        REPORT_CORRECTED = "report_corrected", _("The report was completed or corrected")
        RECLASSIFIED = "reclassified", _("Reclassified")
        NOT_UNLAWFUL = "not_unlawful", _("Closed: not unlawful influence")
        ATTACHMENT = "attachment", _("Attachment added")
        HOLD_SET = "hold_set", _("Legal hold set")
        HOLD_LIFTED = "hold_lifted", _("Legal hold lifted")
        DESTROYED = "destroyed", _("Destroyed under the retention plan")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    from_state = models.CharField(max_length=20, choices=State, blank=True)
    to_state = models.CharField(max_length=20, choices=State, blank=True)
    # A short, non-sensitive note (a comment, a reason); never the actor's personal data.
    note = models.TextField(max_length=TEXT_MAX, blank=True)
    # Shown to the employee on their report page (status changes, measures concerning them).
    for_employee = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class Measure(TimeStampedModel):
    class Scope(models.TextChoices):
        INDIVIDUAL = "individual", _("For the employee")
        UNIT = "unit", _("For the unit")

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support")
        PROTECTED_ADDRESS = "protected_address", _("Protected personal data or address")
        CHANGED_ASSIGNMENTS = "changed_assignments", _("Changed assignments or case rotation")
        ESCORT = "escort", _("Escort or two officials together")
        ROUTINES = "routines", _("Routines")
        TRAINING = "training", _("Training")
        PHYSICAL_SECURITY = "physical_security", _("Physical security (alarm, reception, locks)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    scope = models.CharField(_("for whom"), max_length=12, choices=Scope.choices)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    what = models.TextField(_("what"), max_length=TEXT_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="case_measures",
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    follow_up = models.TextField(_("follow-up"), max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.status in {self.Status.PLANNED, self.Status.IN_PROGRESS}

    @property
    def concerns_employee(self) -> bool:
        return self.scope == self.Scope.INDIVIDUAL


class Support(TimeStampedModel):
    """Support offered to the employee: offered, then accepted or declined, then given."""

    class Kind(models.TextChoices):
        MANAGER_TALK = "manager_talk", _("Talk with the manager")
        DEFUSING = "defusing", _("Defusing talk or debriefing")
        SUPPORT_PERSON = "support_person", _("A support person in the following days")
        TRANSPORT = "transport", _("Transport home")
        OCCUPATIONAL_HEALTH = "occupational_health", _("Occupational health service")
        CRISIS = "crisis", _("Crisis support")
        HOME_SECURITY = "home_security", _("Review of home security or protected personal data")
        LEGAL = "legal", _("Legal support")

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        GIVEN = "given", _("Given")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supports")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFERED
    )
    offered_on = models.DateField(_("offered on"))
    given_on = models.DateField(_("given on"), null=True, blank=True)
    # A follow-up contact one to two weeks after the support was given.
    follow_up_due_on = models.DateField(_("follow-up contact due"), null=True, blank=True)
    followed_up_on = models.DateField(_("follow-up contact made"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=TEXT_MAX, blank=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("support")
        ordering = ["offered_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_status_display()}"


class ActorDetails(TimeStampedModel):
    """Personal data about who did it: only the case's handlers read or write this part."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="actor")
    name = models.CharField(_("name"), max_length=200, blank=True)
    client_reference = models.CharField(
        _("client case number"),
        max_length=60,
        blank=True,
        help_text=_("Refer to the client's case by its number; do not copy its content here."),
    )
    description = models.TextField(_("description"), max_length=TEXT_MAX, blank=True)
    threat_wording = models.TextField(_("the threat's wording"), max_length=TEXT_MAX, blank=True)
    earlier_events = models.CharField(_("earlier events"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("details about the actor")
        verbose_name_plural = _("details about the actor")

    def __str__(self) -> str:
        return str(_("details about the actor"))


class Assignment(TimeStampedModel):
    """A security coordinator or investigator given a case outside their own routing."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_assignments"
    )
    role = models.CharField(max_length=20)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="assignment_case_user"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} \u2192 {self.user_id}"


class SafetyRequest(TimeStampedModel):
    """A safety representative's formal request for measures or for an investigation
    (AML 6 kap. 6 a §).

    The employer must confirm its receipt in writing at once (unconfirmed, it is overdue at
    once) and answer without delay, by the date the safety representative asked for. Left
    unanswered past that date, or refused, the safety representative can ask Arbetsmiljöverket
    to step in; that they did is recorded here too.
    """

    class Kind(models.TextChoices):
        MEASURES = "measures", _("Request for measures")
        INVESTIGATION = "investigation", _("Request for an investigation")

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted in full")
        PARTLY = "partly", _("Partly accepted")
        REJECTED = "rejected", _("Rejected")

    code = models.CharField(max_length=24, unique=True, default=new_code, editable=False)
    kind = models.CharField(
        _("what is requested"), max_length=16, choices=Kind.choices, default=Kind.MEASURES
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="safety_requests")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="safety_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="safety_requests"
    )
    demand = models.TextField(_("what is requested and why"), max_length=TEXT_MAX)
    answer_due_on = models.DateField(_("answer wanted by"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("receipt confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receipt confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.TextField(_("the employer's written answer"), max_length=TEXT_MAX, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    authority_sent_on = models.DateField(_("sent to Arbetsmiljöverket on"), null=True, blank=True)
    authority_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent to Arbetsmiljöverket by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("request for measures")
        verbose_name_plural = _("requests for measures")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["unit", "answered_on"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.created_at:%Y-%m-%d}"

    @property
    def is_answered(self) -> bool:
        return self.answered_on is not None

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def is_late(self, today: date) -> bool:
        """Unanswered past the date the safety representative asked for the answer by."""
        return (
            not self.is_answered and self.answer_due_on is not None and self.answer_due_on < today
        )

    @property
    def is_refused(self) -> bool:
        """Answered, but not with all that was asked for."""
        return self.decision in {self.Decision.REJECTED, self.Decision.PARTLY}

    def may_go_to_authority(self, today: date) -> bool:
        """Whether the safety representative can now ask Arbetsmiljöverket to step in
        (AML 6 kap. 6 a §): the answer is late or a refusal."""
        return self.is_late(today) or self.is_refused


class Reminder(models.Model):
    """A deadline that, once passed, reminds someone and then escalates up the tree.

    The worker claims due rows with a conditional UPDATE (`claimed_at IS NULL`), so two
    workers never act on the same row. A row whose deadline is met is cancelled.
    """

    Kind = Notification.Topic

    kind = models.CharField(max_length=20, choices=Kind.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    support = models.ForeignKey(
        Support, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    request = models.ForeignKey(
        SafetyRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    # The deadlines of the SAM year plan and of the risk assessments' action plans.
    activity = models.ForeignKey(
        "yearplan.Activity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    plan_measure = models.ForeignKey(
        "risk.PlanMeasure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # 0 reminds the person responsible; 1, 2, ... the managers one, two, ... levels further up.
    level = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=40, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                name="reminder_waiting",
                condition=Q(claimed_at__isnull=True, cancelled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} L{self.level} {self.due_at:%Y-%m-%d %H:%M}"


class DigestRun(models.Model):
    """One row per day the daily digest was sent: inserting it is how a worker claims the day."""

    day = models.DateField(primary_key=True)
    started_at = models.DateTimeField(auto_now_add=True)
    worker = models.CharField(max_length=40)

    def __str__(self) -> str:
        return str(self.day)
