"""The committee report: the dashboard of a subtree and period as a PDF for a nämnd, an FSG
or a workplace meeting, with the measures taken, the state of the risk assessments, how well
the year plan was kept and the audit's recommendations still open."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models import Count, Q, Sum
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from varna.audits.access import visible_audits
from varna.audits.models import Audit
from varna.audits.models import Measure as AuditMeasure
from varna.cases.models import Measure
from varna.core import perturbation
from varna.core.perturbation import Tally
from varna.orgs import access, tree
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit
from varna.risk.models import Assessment, PlanMeasure
from varna.stats import selectors
from varna.stats.figures import NOT_STATED, Cell, Dashboard, Row, Table, figure_cell
from varna.stats.models import ReportJob
from varna.stats.rollups import scope_q
from varna.yearplan import selectors as yearplan_selectors

# Units that make risk assessments of their own (the risk pages leave out kommun and nämnd).
ASSESSING_KINDS = [
    Unit.Kind.ADMINISTRATION,
    Unit.Kind.DEPARTMENT,
    Unit.Kind.UNIT,
    Unit.Kind.WORKGROUP,
]


@dataclass
class RiskStatus:
    label: str
    units: int
    current: int
    overdue: int
    missing: int


def risk_status(board: Dashboard, today: date) -> list[RiskStatus]:
    """Per unit shown on the dashboard (or the whole scope): how many units below it have an
    approved risk assessment that is current, one that is overdue, or none of their own."""
    units_table = board.tables.get("units")
    codes = [row.code for row in (units_table.rows if units_table else []) if row.code]
    by_code = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)}
    groups = [(by_code[code].name, [by_code[code]]) for code in codes if code in by_code]
    if not groups:
        groups = [(board.title, board.scope)]
    found = []
    for label, tops in groups:
        units = list(
            Unit.objects.filter(scope_q(tops, "path"), kind__in=ASSESSING_KINDS)
            .active_on(today)
            .values_list("pk", flat=True)
        )
        latest: dict[int, date] = {}
        for unit_id, due in (
            Assessment.objects.filter(unit__in=units, status=Assessment.Status.APPROVED)
            .order_by("unit", "assessed_on")
            .values_list("unit", "next_due_on")
        ):
            latest[unit_id] = due
        current = sum(1 for due in latest.values() if due >= today)
        found.append(
            RiskStatus(
                label=label,
                units=len(units),
                current=current,
                overdue=len(latest) - current,
                missing=len(units) - len(latest),
            )
        )
    return found


def measure_tables(user: AnyUser, board: Dashboard) -> list[Table]:
    """Measures decided in the cases of the period (counted like events: adjusted unless the
    reader may open the cases) and the action plans' measures due in the period."""
    period = board.chosen.period
    scope = scope_q(board.scope, "case__unit__path")
    measures = Measure.objects.filter(
        scope,
        case__report__occurred_on__gte=period.first,
        case__report__occurred_on__lt=period.end,
    ).exclude(status=Measure.Status.CANCELLED)
    # The page's events: its forms and situations, none found not to be unlawful influence.
    measures = measures.exclude(case__not_unlawful=True)
    if board.chosen.forms:
        measures = measures.filter(case__main_form__in=board.chosen.forms)
    if board.chosen.contexts:
        contexts = [NOT_STATED if code == "none" else code for code in board.chosen.contexts]
        measures = measures.filter(case__report__situation__in=contexts)
    if board.reveal:
        measures = measures.filter(case__security_routed=False)
    # Counted like events: each measure keyed by its event's record key, so the same
    # measures always give the same figure.
    kinds = {
        row["kind"]: Tally(row["n"], row["k"] or 0)
        for row in measures.values("kind")
        .annotate(n=Count("pk"), k=Sum("case__report__record_key"))
        .order_by()
    }
    case_rows = [
        Row(
            str(label),
            [figure_cell(perturbation.figure(kinds.get(kind, Tally()), reveal=board.reveal))],
        )
        for kind, label in Measure.Kind.choices
    ]
    every = perturbation.total(list(kinds.values()))
    case_rows.append(
        Row(
            _("All measures"),
            [figure_cell(perturbation.figure(every, reveal=board.reveal))],
            is_total=True,
        )
    )
    plans = PlanMeasure.objects.filter(
        scope_q(board.scope, "unit__path"), due_on__gte=period.first, due_on__lt=period.end
    )
    statuses = Counter(plans.values_list("status", flat=True))
    plan_rows = [
        Row(str(label), [Cell(str(statuses.get(status, 0)), statuses.get(status, 0))])
        for status, label in PlanMeasure.Status.choices
    ]
    return [
        Table(
            "case_measures",
            _("Measures decided after the period's events"),
            _("Kind"),
            [_("Measures")],
            case_rows,
        ),
        Table(
            "plan_measures",
            _("Action-plan measures due in the period"),
            _("Status"),
            [_("Measures")],
            plan_rows,
        ),
    ]


def yearplan_table(user: AnyUser, board: Dashboard, today: date) -> Table | None:
    """How many of the year plan's activities due in the period were done by their due date:
    per unit below the report's unit (every one, with or without events) and the unit's own,
    or per top of the reader's scope; None if the reader may not follow the year plan up
    there (the report then leaves it out)."""
    if not any(access.can(user, Action.VIEW_YEARPLAN_COMPLIANCE, unit) for unit in board.scope):
        return None
    first, end = board.chosen.period.first, board.chosen.period.end
    if len(board.scope) == 1:
        found = yearplan_selectors.compliance_rows(user, board.scope[0], first, end, today)
    else:
        found = yearplan_selectors.compliance_of(user, board.scope, first, end, today)
    rows, total = [], yearplan_selectors.Compliance(unit=board.scope[0])
    for part in found:
        label = part.unit.name
        if part.own:
            label = _("%(name)s (its own activities)") % {"name": label}
        rows.append(_compliance_row(label, part))
        total.add(part)
    if len(rows) > 1:
        rows.append(_compliance_row(_("All units"), total, is_total=True))
    return Table(
        "yearplan",
        _("The year plan's activities due in the period"),
        _("Unit"),
        [
            _("Done on time"),
            _("Done late"),
            _("Overdue, not done"),
            _("Share done on time"),
            _("Not yet due"),
        ],
        rows,
        note=_(
            "Done on time: marked done, with its evidence, by the due date. The share done on "
            "time is of the activities that are done or past their due date; those not yet "
            "due are counted apart."
        ),
    )


def _compliance_row(
    label: str, found: yearplan_selectors.Compliance, *, is_total: bool = False
) -> Row:
    share = found.share_on_time
    return Row(
        label,
        [
            Cell(str(found.on_time), found.on_time),
            Cell(str(found.late), found.late),
            Cell(str(found.overdue), found.overdue),
            Cell("–" if share is None else f"{share}\u00a0%", share),
            Cell(str(found.upcoming), found.upcoming),
        ],
        is_total=is_total,
    )


@dataclass
class OpenAuditMeasure:
    text: str
    responsible: str
    due_on: date
    status: str
    overdue: bool


@dataclass
class OpenRecommendation:
    number: int
    text: str
    decision: str
    measures: list[OpenAuditMeasure]


@dataclass
class OpenAudit:
    title: str
    unit: str
    reported_on: date
    recommendations: list[OpenRecommendation]


RECOMMENDATION_CHARS = 200


def open_recommendations(user: AnyUser, board: Dashboard, today: date) -> list[OpenAudit]:
    """The audits' recommendations that still have a measure not done, with those measures.

    The audits are those of the report's units and the units below them, and those of the
    units above them up to the municipality (an audit of the whole municipality or of the
    committee concerns the report's units too), as far as the reader may read audits there:
    a report never shows what its maker could not open in Värna."""
    above = {path for unit in board.scope for path in tree.ancestor_paths(unit.path)}
    audits = visible_audits(user).filter(
        scope_q(board.scope, "unit__path") | Q(unit__path__in=above)
    )
    measures = (
        AuditMeasure.objects.filter(recommendation__audit__in=audits)
        .exclude(status=AuditMeasure.Status.DONE)
        .select_related("responsible", "recommendation__audit__unit")
        .order_by(
            "-recommendation__audit__reported_on",
            "recommendation__audit__title",
            "recommendation__audit_id",
            "recommendation__number",
            "due_on",
            "pk",
        )
    )
    found: dict[int, OpenAudit] = {}
    recommendations: dict[int, OpenRecommendation] = {}
    for measure in measures:
        recommendation = measure.recommendation
        audit: Audit = recommendation.audit
        if audit.pk not in found:
            found[audit.pk] = OpenAudit(
                title=audit.title,
                unit=audit.unit.name,
                reported_on=audit.reported_on,
                recommendations=[],
            )
        if recommendation.pk not in recommendations:
            recommendations[recommendation.pk] = OpenRecommendation(
                number=recommendation.number,
                text=Truncator(" ".join(recommendation.text.split())).chars(RECOMMENDATION_CHARS),
                decision=recommendation.decision,
                measures=[],
            )
            found[audit.pk].recommendations.append(recommendations[recommendation.pk])
        recommendations[recommendation.pk].measures.append(
            OpenAuditMeasure(
                text=measure.text,
                responsible=measure.responsible.get_full_name() or measure.responsible.username,
                due_on=measure.due_on,
                status=str(measure.get_status_display()),
                overdue=measure.due_on < today,
            )
        )
    return list(found.values())


def render_pdf(user: AnyUser, board: Dashboard, charts: list[Any], today: date) -> bytes:
    from weasyprint import CSS, HTML

    context = {
        "board": board,
        "charts": charts,
        "risk": risk_status(board, today),
        "measures": measure_tables(user, board),
        "yearplan": yearplan_table(user, board, today),
        "audits": open_recommendations(user, board, today),
        "explanation": perturbation.explanation(),
        "today": today,
        "web": False,
    }
    html = render_to_string("stats/report_print.html", context)
    # The stylesheets are read from disk: the PDF is made without fetching anything over HTTP.
    sheets = [
        CSS(filename=finders.find("varna/css/print.css")),
        CSS(filename=finders.find("varna/css/stats.css")),
    ]
    return bytes(HTML(string=html).write_pdf(stylesheets=sheets))


def build(job: ReportJob, progress: Callable[[int], None]) -> bytes:
    """The PDF of the job's dashboard, for its owner as they may see it today."""
    from varna.stats.views import board_charts

    user = job.owner
    today = timezone.localdate()
    with translation.override(translation.get_language() or "sv"):
        chosen, _form, _problems = selectors.parse(user, QueryDict(job.query), today)
        progress(20)
        board = selectors.dashboard(user, chosen)
        progress(50)
        pdf = render_pdf(user, board, board_charts(board), today)
    progress(90)
    return pdf
