"""Reads for risk assessments: the assessment that holds for a unit, the unit's action list
(measures from its action plan and from its cases together), and its events since an assessment.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from varna.cases.models import Measure
from varna.core import perturbation
from varna.core.perturbation import Figure, Tally
from varna.orgs import tree
from varna.orgs.models import Unit
from varna.reporting.models import Report
from varna.reporting.taxonomy import Form
from varna.risk.models import (
    PLACE_SITUATIONS,
    SITUATION_SITUATIONS,
    Assessment,
    Participant,
    PlanMeasure,
    Risk,
    RiskSituation,
)

UNSPECIFIED = "unspecified"


def with_details(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Assessments with what their pages show, in a fixed number of queries."""
    return assessments.select_related(
        "unit", "approved_by", "safety_rep", "created_by", "superseded_by"
    ).prefetch_related(
        Prefetch("participants", Participant.objects.select_related("user")),
        Prefetch("risks", Risk.objects.prefetch_related("measures")),
        Prefetch("measures", PlanMeasure.objects.select_related("owner", "risk")),
    )


def governing(unit: Unit) -> Assessment | None:
    """The approved assessment that holds for the unit: its own, else the nearest unit above's
    (a work group is covered by its unit's assessment)."""
    return (
        with_details(
            Assessment.objects.filter(
                unit__path__in=tree.ancestor_paths(unit.path), status=Assessment.Status.APPROVED
            )
        )
        .order_by("-unit__depth", "-assessed_on", "-pk")
        .first()
    )


def assessments_of(unit: Unit) -> QuerySet[Assessment]:
    """Every assessment of the unit itself, newest first (drafts, the current, superseded)."""
    return (
        Assessment.objects.filter(unit=unit)
        .select_related("approved_by", "safety_rep")
        .order_by("-assessed_on", "-pk")
    )


def ranked_risks(assessment: Assessment) -> list[Risk]:
    """The assessment's risks, the highest first."""
    return sorted(assessment.risks.all(), key=lambda risk: (-risk.score, risk.pk))


@dataclass(frozen=True)
class ActionRow:
    """One line of a unit's action list, from its action plan or from one of its cases."""

    what: str
    owner: str
    due_on: date
    status: str
    is_open: bool
    is_overdue: bool
    source: Promise | str
    link: str


def action_list(unit: Unit, *, case_links: bool, today: date | None = None) -> list[ActionRow]:
    """The measures for the unit: its action plan and the unit-wide measures decided in the
    cases of its subtree. Measures for one employee stay in the case: they concern a person."""
    today = today or timezone.localdate()
    rows: list[ActionRow] = []
    plan = (
        PlanMeasure.objects.filter(unit=unit)
        .exclude(assessment__status=Assessment.Status.SUPERSEDED, status__in=["done", "cancelled"])
        .select_related("owner", "assessment")
    )
    for measure in plan:
        assert measure.assessment is not None
        rows.append(
            ActionRow(
                what=measure.what,
                owner=measure.owner.get_full_name() or measure.owner.username,
                due_on=measure.due_on,
                status=measure.get_status_display(),
                is_open=measure.is_open,
                is_overdue=measure.is_open and measure.due_on < today,
                source=_("Risk assessment %(date)s")
                % {"date": measure.assessment.assessed_on.isoformat()},
                link=reverse("risk:detail", kwargs={"code": measure.assessment.code}),
            )
        )
    from_cases = (
        Measure.objects.filter(tree.subtree_q(unit.path, "case__unit__path"))
        .filter(scope=Measure.Scope.UNIT)
        .exclude(
            status__in=[Measure.Status.DONE, Measure.Status.CANCELLED],
            due_on__lt=today.replace(year=today.year - 1),
        )
        .select_related("owner", "case__report")
    )
    for case_measure in from_cases:
        is_open = case_measure.is_open
        rows.append(
            ActionRow(
                what=case_measure.what,
                owner=case_measure.owner.get_full_name() or case_measure.owner.username,
                due_on=case_measure.due_on,
                status=case_measure.get_status_display(),
                is_open=is_open,
                is_overdue=is_open and case_measure.due_on < today,
                source=_("Case %(number)s") % {"number": case_measure.case.report.number},
                link=(
                    reverse("cases:detail", kwargs={"code": case_measure.case.report.code})
                    if case_links
                    else ""
                ),
            )
        )
    rows.sort(key=lambda row: (not row.is_open, row.due_on))
    return rows


def _context(situation: str, place: str) -> str:
    """The listed risk situation an event falls under, or UNSPECIFIED."""
    return SITUATION_SITUATIONS.get(situation) or PLACE_SITUATIONS.get(place) or UNSPECIFIED


@dataclass(frozen=True)
class EventCounts:
    since: date | None
    by_form: list[tuple[str, Figure]]
    by_context: list[tuple[str, Figure]]
    total: Figure
    # Listed situations in which events happened that the assessment does not cover; only
    # for readers who may see the events (a count of one could point at a person).
    uncovered: list[str]
    # Why the figures are adjusted, for a reader who may not see the events; else empty.
    explanation: str = ""


def events_since(
    unit: Unit, since: date | None, *, reveal: bool, covered: set[str] | None = None
) -> EventCounts:
    """The unit's reported events since `since` (its subtree), by form and by context: exact
    for a reader who may see the events (`reveal`), adjusted as the follow-up adjusts them
    (varna.core.perturbation) otherwise."""
    # The events the follow-up counts: not those found not to be unlawful influence, and
    # in exact figures not those sent to security (as varna.stats counts them).
    reports = Report.objects.filter(tree.subtree_q(unit.path, "unit__path")).exclude(
        case__not_unlawful=True
    )
    if reveal:
        reports = reports.filter(route_to_security=False)
    if since is not None:
        reports = reports.filter(occurred_on__gte=since)
    # Counted in the database: a large subtree without an assessment reaches far back. Each
    # count with its events' key sum, for the follow-up's one disclosure control.
    forms: dict[str, Tally] = defaultdict(Tally)
    contexts: dict[str, Tally] = defaultdict(Tally)
    grouped = (
        reports.order_by()
        .values_list("main_form", "situation", "place")
        .annotate(n=Count("pk"), k=Sum("record_key"))
    )
    for form, situation, place, count, key in grouped:
        forms[form] += Tally(count, key)
        contexts[_context(situation, place)] += Tally(count, key)
    context_keys = [key for key in RiskSituation.values if key != RiskSituation.OTHER]

    def show(tally: Tally) -> Figure:
        return perturbation.figure(tally, reveal=reveal)

    form_figures = {form: show(forms[form]) for form in Form.values}
    context_figures = {key: show(contexts[key]) for key in [*context_keys, UNSPECIFIED]}
    total = show(perturbation.total(list(forms.values())))
    labels = dict(RiskSituation.choices) | {UNSPECIFIED: _("Not stated")}
    uncovered = []
    if reveal and covered is not None:
        uncovered = [
            str(labels[key])
            for key, count in contexts.items()
            if count.count and key != UNSPECIFIED and key not in covered
        ]
    return EventCounts(
        since=since,
        by_form=[(str(Form(form).label), form_figures[form]) for form in Form.values],
        by_context=[
            (str(labels[key]), figure)
            for key, figure in context_figures.items()
            if figure.value != 0
        ],
        total=total,
        uncovered=sorted(uncovered),
        explanation="" if reveal else perturbation.explanation(),
    )


@dataclass(frozen=True)
class Attention:
    unit: Unit
    assessment: Assessment | None
    overdue: bool
    uncovered: list[str]


def needing_attention(units: QuerySet[Unit], *, limit: int = 20) -> list[Attention]:
    """Of the units a manager keeps assessments for (units, not work groups), those without a
    current assessment, with one overdue, or with events in situations it does not cover.
    Four queries whatever the number of units: it is on the start page."""
    today = timezone.localdate()
    listed = list(units.filter(kind=Unit.Kind.UNIT).active_on(today).order_by("path")[:limit])  # type: ignore[attr-defined]
    current = {
        assessment.unit_id: assessment
        for assessment in Assessment.objects.filter(
            unit__in=listed, status=Assessment.Status.APPROVED
        ).prefetch_related("risks")
    }
    # The situations of each unit's events since its own assessment, in one grouped query.
    since = Q(pk__in=[])
    for unit in listed:
        if unit.pk in current:
            since |= tree.subtree_q(unit.path, "unit__path") & Q(
                occurred_on__gte=current[unit.pk].assessed_on
            )
    happened: dict[int, set[str]] = {}
    grouped = (
        # The events the manager may open, as events_since counts them.
        Report.objects.filter(since, route_to_security=False)
        .exclude(case__not_unlawful=True)
        .order_by()
        .values_list("unit__path", "situation", "place")
    )
    for path, situation, place in grouped.distinct():
        owner = max(
            (unit for unit in listed if path.startswith(unit.path)), key=lambda u: len(u.path)
        )
        happened.setdefault(owner.pk, set()).add(_context(situation, place))
    labels = dict(RiskSituation.choices)
    found: list[Attention] = []
    for unit in listed:
        assessment = current.get(unit.pk)
        if assessment is None:
            found.append(Attention(unit, None, True, []))
            continue
        covered = {risk.situation for risk in assessment.risks.all()}
        uncovered = sorted(
            str(labels[key]) for key in happened.get(unit.pk, set()) - covered if key != UNSPECIFIED
        )
        overdue = assessment.next_due_on < today
        if overdue or uncovered:
            found.append(Attention(unit, assessment, overdue, uncovered))
    return found
