"""Writes for follow-up: the rollup's recount, the logged case export, committee report jobs.

The rollup (`MonthlyCount`) is recomputed for one unit and month at a time from the reports and
cases themselves, so a recount is always right however the events changed: the services that
write reports and cases call `count_event` after every change, and `rebuild` recounts
everything (after bulk loading, and from `manage.py rebuild_stats`). The subtree rollup
(`SubtreeMonthlyCount`, and `SubtreeYearlyCount` from it) is summed from `MonthlyCount` in the
same recount, for the unit's ancestors it covers; `recount_moved` redoes it where a unit left
and joined the tree (after a move in the admin or an organisation import, told by
varna.orgs.signals.units_moved).
"""

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncYear
from django.utils import timezone

from varna.cases.models import Case, Measure, PoliceDecision
from varna.orgs import tree
from varna.orgs.models import Unit, User
from varna.reporting.models import ReadLog, Report
from varna.reporting.taxonomy import Answer
from varna.stats.models import (
    ACTOR_COLUMNS,
    BELIEVED_COLUMNS,
    CONSEQUENCE_COLUMNS,
    COUNT_COLUMNS,
    PLACE_COLUMNS,
    PURPOSE_COLUMNS,
    SITUATION_COLUMNS,
    SUBFORM_COLUMNS,
    SUBTREE_DEPTH,
    MonthlyCount,
    ReportJob,
    RetiredEvent,
    SubtreeMonthlyCount,
    SubtreeYearlyCount,
)

Key = tuple[int, date, str, str, bool]

_SUBFORM_COLUMN = {f"{form}.{code}": column for column, (form, code) in SUBFORM_COLUMNS.items()}
_PLACE_COLUMN = {code: column for column, code in PLACE_COLUMNS.items()}
_ACTOR_COLUMN = {code: column for column, code in ACTOR_COLUMNS.items()}
_CONSEQUENCE_COLUMN = {code: column for column, code in CONSEQUENCE_COLUMNS.items()}
_BELIEVED_COLUMN = {code: column for column, code in BELIEVED_COLUMNS.items()}
_PURPOSE_COLUMN = {code: column for column, code in PURPOSE_COLUMNS.items()}
_POLICE_COLUMN = {
    PoliceDecision.EMPLOYER_FILES: "police_employer",
    PoliceDecision.EMPLOYEE_WITH_HELP: "police_employee",
    PoliceDecision.NO_REPORT: "police_none",
}
_FIELDS = [
    "unit_id",
    "occurred_on",
    "main_form",
    "situation",
    "route_to_security",
    "subforms",
    "place",
    "actor_relation",
    "consequences",
    "purpose_to_influence",
    "purposes",
    "case__opened_at",
    "case__acknowledged_at",
    "case__acknowledge_due_at",
    "case__police_decision",
    "case__serious_reasons",
    "case__notice_due_at",
    "case__notice_sent_at",
    "case__decision_influenced",
    "case__not_unlawful",
    "has_measures",
]


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _event_rows(reports: Any) -> Iterator[dict[str, Any]]:
    measures = Measure.objects.filter(case=OuterRef("pk")).exclude(status=Measure.Status.CANCELLED)
    return (
        reports.annotate(has_measures=Exists(measures))
        .values(*_FIELDS)
        .order_by("unit_id", "occurred_on")
        .iterator(chunk_size=5_000)
    )


def _add(totals: dict[str, int], row: dict[str, Any]) -> None:
    """Count one event in every column it belongs to; one found not to be unlawful influence
    in that column alone."""
    if row["case__not_unlawful"]:
        totals["not_unlawful"] += 1
        return
    totals["events"] += 1
    for code in set(row["subforms"] or []):
        if code in _SUBFORM_COLUMN:
            totals[_SUBFORM_COLUMN[code]] += 1
    if row["place"] in _PLACE_COLUMN:
        totals[_PLACE_COLUMN[row["place"]]] += 1
    if row["actor_relation"] in _ACTOR_COLUMN:
        totals[_ACTOR_COLUMN[row["actor_relation"]]] += 1
    for code in set(row["consequences"] or []):
        if code in _CONSEQUENCE_COLUMN:
            totals[_CONSEQUENCE_COLUMN[code]] += 1
    if row["purpose_to_influence"] in _BELIEVED_COLUMN:
        totals[_BELIEVED_COLUMN[row["purpose_to_influence"]]] += 1
    for code in set(row["purposes"] or []):
        if code in _PURPOSE_COLUMN:
            totals[_PURPOSE_COLUMN[code]] += 1
    acknowledged, due = row["case__acknowledged_at"], row["case__acknowledge_due_at"]
    if acknowledged is not None:
        totals["ack_in_time" if due is None or acknowledged <= due else "ack_late"] += 1
        minutes = (acknowledged - row["case__opened_at"]).total_seconds() // 60
        totals["ack_minutes"] += max(int(minutes), 0)
    if row["has_measures"]:
        totals["with_measures"] += 1
    if row["case__police_decision"] in _POLICE_COLUMN:
        totals[_POLICE_COLUMN[row["case__police_decision"]]] += 1
    if row["case__serious_reasons"]:
        totals["serious"] += 1
        sent, notice_due = row["case__notice_sent_at"], row["case__notice_due_at"]
        if sent is not None and (notice_due is None or sent <= notice_due):
            totals["serious_in_time"] += 1
    if row["case__decision_influenced"] == Answer.YES:
        totals["influenced"] += 1


def tally(rows: Iterable[dict[str, Any]]) -> dict[Key, dict[str, int]]:
    """The rollup rows for these events, keyed by (unit, month, form, situation, routing)."""
    counted: dict[Key, dict[str, int]] = {}
    for row in rows:
        key = (
            row["unit_id"],
            month_of(row["occurred_on"]),
            row["main_form"],
            row["situation"] or "",
            bool(row["route_to_security"]),
        )
        if key not in counted:
            counted[key] = dict.fromkeys(COUNT_COLUMNS, 0)
        _add(counted[key], row)
    return counted


def _objects(counted: dict[Key, dict[str, int]]) -> list[MonthlyCount]:
    return [
        MonthlyCount(
            unit_id=unit_id,
            month=month,
            form=form,
            situation=situation,
            security_routed=routed,
            **columns,
        )
        for (unit_id, month, form, situation, routed), columns in counted.items()
    ]


def _subtree_paths(path: str) -> list[str]:
    """The paths whose subtree rollup counts the events of the unit at `path`."""
    return tree.ancestor_paths(path)[: SUBTREE_DEPTH + 1]


def _lock(unit_ids: Iterable[int]) -> dict[int, str]:
    """Lock the units and the ancestors whose subtree rollup counts them, in path order (so
    two recounts wait for each other instead of deadlocking); returns the units' paths."""
    paths = dict(Unit.objects.filter(pk__in=list(unit_ids)).values_list("pk", "path"))
    wanted = set(paths.values())
    for path in paths.values():
        wanted.update(_subtree_paths(path))
    # Two recounts in one subtree must not both replace its rows with sums that each miss
    # the other's event: the lock on the subtree's top makes the second wait.
    list(
        Unit.objects.select_for_update(no_key=True)
        .filter(path__in=sorted(wanted))
        .order_by("path")
        .values_list("pk", flat=True)
    )
    return paths


def _subtree_objects(rows: QuerySet[MonthlyCount], length: int) -> list[SubtreeMonthlyCount]:
    """The subtree rollup rows summed from these base rows, for the units whose path is
    `length` long (the base rows' units at that depth or below it)."""
    # The situations first: after `events` is annotated, "events" names the sum, not the column.
    sums: dict[str, Any] = {
        column: Sum("events", filter=Q(situation=code))
        for column, code in SITUATION_COLUMNS.items()
    }
    sums.update({column: Sum(column) for column in COUNT_COLUMNS})
    grouped = list(
        rows.filter(unit__depth__gte=length // tree.SEGMENT - 1)
        .annotate(top=Substr("unit__path", 1, length))
        .values("top", "month", "form", "security_routed")
        .annotate(**sums)
        .order_by()
    )
    ids = dict(
        Unit.objects.filter(path__in={row["top"] for row in grouped}).values_list("path", "pk")
    )
    return [
        SubtreeMonthlyCount(
            unit_id=ids[row["top"]],
            **{key: value or 0 for key, value in row.items() if key != "top"},
        )
        for row in grouped
    ]


def yearly_objects(rows: QuerySet[SubtreeMonthlyCount]) -> list[SubtreeYearlyCount]:
    """The yearly subtree rows summed from these monthly ones."""
    # After values(), a sum may take the name of the column it sums.
    grouped = (
        rows.annotate(year=TruncYear("month"))
        .values("unit_id", "year", "form", "security_routed")
        .annotate(**{column: Sum(column) for column in [*COUNT_COLUMNS, *SITUATION_COLUMNS]})
        .order_by()
    )
    return [
        SubtreeYearlyCount(
            month=row["year"], **{key: value or 0 for key, value in row.items() if key != "year"}
        )
        for row in grouped
    ]


def _recount_subtrees(paths: Iterable[str], month: date | None = None) -> None:
    """Recompute the subtree rollups of the units at `paths` from the base rollup, for one
    month (and its year) or (None) all of them."""
    for path in paths:
        rows = MonthlyCount.objects.filter(tree.subtree_q(path, "unit__path"))
        stored = SubtreeMonthlyCount.objects.filter(unit__path=path)
        years = SubtreeYearlyCount.objects.filter(unit__path=path)
        if month is not None:
            rows, stored = rows.filter(month=month), stored.filter(month=month)
            years = years.filter(month=month.replace(month=1))
        stored.delete()
        years.delete()
        SubtreeMonthlyCount.objects.bulk_create(_subtree_objects(rows, len(path)))
        monthly = SubtreeMonthlyCount.objects.filter(unit__path=path)
        if month is not None:
            monthly = monthly.filter(month__year=month.year)
        SubtreeYearlyCount.objects.bulk_create(yearly_objects(monthly))


def _retired(rows: QuerySet[RetiredEvent]) -> dict[Key, dict[str, int]]:
    """The rollup rows the destroyed events in `rows` still count for."""
    counted: dict[Key, dict[str, int]] = {}
    for event in rows.order_by().iterator(chunk_size=5_000):
        key = (event.unit_id, event.month, event.form, event.situation, event.security_routed)
        totals = counted.setdefault(key, dict.fromkeys(COUNT_COLUMNS, 0))
        for column, value in event.columns.items():
            if column in totals:
                totals[column] += value
    return counted


def _merge(into: dict[str, int], columns: dict[str, int]) -> None:
    for column, value in columns.items():
        into[column] += value


@transaction.atomic
def recount(*, unit_id: int, month: date) -> None:
    """Recompute the rollups of one unit and month from its events (those still held, and what
    destroyed ones left behind)."""
    month = month_of(month)
    path = _lock([unit_id])[unit_id]
    events = Report.objects.filter(
        unit_id=unit_id, occurred_on__gte=month, occurred_on__lt=_next_month(month)
    )
    counted = tally(_event_rows(events))
    for key, columns in _retired(RetiredEvent.objects.filter(unit_id=unit_id, month=month)).items():
        _merge(counted.setdefault(key, dict.fromkeys(COUNT_COLUMNS, 0)), columns)
    MonthlyCount.objects.filter(unit_id=unit_id, month=month).delete()
    MonthlyCount.objects.bulk_create(_objects(counted))
    _recount_subtrees(_subtree_paths(path), month)


@transaction.atomic
def count_event(report: Report, *, moved_from: tuple[int, date] | None = None) -> None:
    """Bring the rollup up to date after the report or its case was written. An event moved
    to another unit or date also recounts where it was (`moved_from`: unit id and date)."""
    units = [report.unit_id] if moved_from is None else [report.unit_id, moved_from[0]]
    _lock(units)  # both places at once, in one order, before either is recounted
    recount(unit_id=report.unit_id, month=report.occurred_on)
    if moved_from is not None and (moved_from[0], month_of(moved_from[1])) != (
        report.unit_id,
        month_of(report.occurred_on),
    ):
        recount(unit_id=moved_from[0], month=moved_from[1])


def _increment(model: Any, key: dict[str, Any], columns: dict[str, int]) -> None:
    """Add `columns` to the rollup row at `key`, making it if it is not there yet."""
    added = {column: value for column, value in columns.items() if value}
    if not model.objects.filter(**key).update(**{c: F(c) + v for c, v in added.items()}):
        model.objects.create(**key, **added)


@transaction.atomic
def add_event(report: Report) -> None:
    """Count a new report, and the case opened with it, into both rollups by adding to their
    counters: a report must not recount its whole unit and month while the reporter waits.
    It takes the same locks as `recount`, so that a recount at the same moment can neither
    miss the event nor overwrite the addition; the report services call it last, so the lock
    on the municipality is held only until the report commits."""
    paths = _lock([report.unit_id])
    (((unit_id, month, form, situation, routed), columns),) = tally(
        _event_rows(Report.objects.filter(pk=report.pk))
    ).items()
    _increment(
        MonthlyCount,
        {
            "unit_id": unit_id,
            "month": month,
            "form": form,
            "situation": situation,
            "security_routed": routed,
        },
        columns,
    )
    subtree_columns = dict(columns)
    for column, code in SITUATION_COLUMNS.items():
        subtree_columns[column] = columns["events"] if situation == code else 0
    tops = Unit.objects.filter(path__in=_subtree_paths(paths[unit_id])).values_list("pk", flat=True)
    for top in tops:
        for model, start in (
            (SubtreeMonthlyCount, month),
            (SubtreeYearlyCount, month.replace(month=1)),
        ):
            _increment(
                model,
                {"unit_id": top, "month": start, "form": form, "security_routed": routed},
                subtree_columns,
            )


@transaction.atomic
def retire(reports: QuerySet[Report]) -> int:
    """Keep what these reports count for in the follow-up before they are destroyed: each
    event's contribution to its rollup row, without its day, people or text. The rollups
    themselves are unchanged (the same events, now counted from here); returns how many."""
    retired = [
        RetiredEvent(
            unit_id=unit_id,
            month=month,
            form=form,
            situation=situation,
            security_routed=routed,
            columns={column: value for column, value in columns.items() if value},
        )
        for row in _event_rows(reports)
        for (unit_id, month, form, situation, routed), columns in tally([row]).items()
    ]
    RetiredEvent.objects.bulk_create(retired, batch_size=2_000)
    return len(retired)


def count_case(case: Case) -> None:
    """`count_event` for the report of a case that changed."""
    count_event(case.report)


@transaction.atomic
def recount_moved(*, moves: list[tuple[str, str]]) -> None:
    """Recompute the subtree rollup after units moved in the tree (`moves`: old and new path
    of each unit put under another parent, all already moved), each subtree that lost or
    gained a unit once. The base rollup needs nothing: it is per unit, and a subtree is read
    by path."""
    paths: set[str] = set()
    for old_path, new_path in moves:
        paths.update(path for path in _subtree_paths(old_path) if path != old_path)
        paths.update(_subtree_paths(new_path))
        moved = Unit.objects.filter(tree.subtree_q(new_path), depth__lte=SUBTREE_DEPTH)
        paths.update(moved.values_list("path", flat=True))
    # An old path no unit holds any more (its unit moved too) is recounted at its new one.
    paths = set(Unit.objects.filter(path__in=paths).values_list("path", flat=True))
    list(
        Unit.objects.select_for_update(no_key=True)
        .filter(path__in=sorted(paths))
        .order_by("path")
        .values_list("pk", flat=True)
    )
    # Units of a moved subtree that are now too deep for the subtree rollup lose their rows.
    for _old_path, new_path in moves:
        for model in (SubtreeMonthlyCount, SubtreeYearlyCount):
            model.objects.filter(
                tree.subtree_q(new_path, "unit__path"), unit__depth__gt=SUBTREE_DEPTH
            ).delete()
    _recount_subtrees(sorted(paths))


@transaction.atomic
def rebuild() -> int:
    """Recount both rollups from the events; returns the number of base rows written."""
    MonthlyCount.objects.all().delete()
    SubtreeMonthlyCount.objects.all().delete()
    SubtreeYearlyCount.objects.all().delete()
    written = 0
    batch: dict[Key, dict[str, int]] = {}
    # What destroyed events still count for joins the first batch holding its row's key
    # (a key is in one batch only: batches end where a unit ends), or the last one.
    retired = _retired(RetiredEvent.objects.all())
    current_unit = None
    for row in _event_rows(Report.objects.all()):
        if row["unit_id"] != current_unit and len(batch) >= 5_000:
            # Rows come ordered by unit: a unit's rows are complete once the next one starts.
            MonthlyCount.objects.bulk_create(_objects(batch), batch_size=2_000)
            written += len(batch)
            batch = {}
        current_unit = row["unit_id"]
        for key, columns in tally([row]).items():
            if key in batch:
                _merge(batch[key], columns)
            else:
                batch[key] = columns
                if key in retired:
                    _merge(columns, retired.pop(key))
    batch.update(retired)
    MonthlyCount.objects.bulk_create(_objects(batch), batch_size=2_000)
    rebuild_subtrees()
    return written + len(batch)


def rebuild_subtrees() -> None:
    """Sum the whole base rollup into the subtree rollup, in the database: the same sums as
    `_subtree_objects` (the tests compare them), without a round trip per row, for after a
    bulk load; then those into the yearly one."""
    table = SubtreeMonthlyCount._meta.db_table
    situations = list(SITUATION_COLUMNS.items())
    names = ", ".join(f'"{c}"' for c in [*COUNT_COLUMNS, *(column for column, _ in situations)])
    sums = ", ".join(
        [
            *(f'SUM(m."{column}")' for column in COUNT_COLUMNS),
            *("SUM(CASE WHEN m.situation = %s THEN m.events ELSE 0 END)" for _ in situations),
        ]
    )
    # Only names from the models go into the text; the situation codes are parameters.
    insert = (
        f'INSERT INTO "{table}" (unit_id, month, form, security_routed, {names})'  # noqa: S608
        f" SELECT t.id, m.month, m.form, m.security_routed, {sums}"
        f' FROM "{MonthlyCount._meta.db_table}" m'
        f' JOIN "{Unit._meta.db_table}" u ON u.id = m.unit_id'
        f' JOIN "{Unit._meta.db_table}" t ON t.path = substr(u.path, 1, %s)'
        " WHERE t.depth = %s AND u.depth >= %s"
        " GROUP BY t.id, m.month, m.form, m.security_routed"
    )
    SubtreeMonthlyCount.objects.all().delete()
    SubtreeYearlyCount.objects.all().delete()
    with connection.cursor() as cursor:
        for depth in range(SUBTREE_DEPTH + 1):
            # Each counted unit goes to the unit at `depth` above it: its path's prefix.
            cursor.execute(
                insert,
                [*(code for _, code in situations), (depth + 1) * tree.SEGMENT, depth, depth],
            )
    SubtreeYearlyCount.objects.bulk_create(
        yearly_objects(SubtreeMonthlyCount.objects.all()), batch_size=2_000
    )


# The case export -----------------------------------------------------------------------

EXPORT_PART = "case:export"


def record_case_export(*, user: User, report_ids: list[int]) -> None:
    """Log a case-level export in the read log: one row per exported case, like a read."""
    ReadLog.objects.bulk_create(
        [
            ReadLog(user=user, report_id=report_id, part=EXPORT_PART, role="manager")
            for report_id in report_ids
        ],
        batch_size=2_000,
    )


# Committee reports ---------------------------------------------------------------------


def request_report(*, owner: User, query: str, title: str) -> ReportJob:
    """Queue a committee report for the dashboard filter in `query`, built by the task worker."""
    from varna.stats.tasks import build_report

    job = ReportJob.objects.create(owner=owner, query=query[:2000], title=title[:300])
    transaction.on_commit(lambda: build_report.enqueue(job.pk))
    return job


def report_progress(
    job: ReportJob, *, progress: int, status: str = ReportJob.Status.RUNNING
) -> None:
    ReportJob.objects.filter(pk=job.pk).update(status=status, progress=progress)


def finish_report(job: ReportJob, *, pdf: bytes | None, error: str = "") -> None:
    status = ReportJob.Status.DONE if pdf is not None else ReportJob.Status.FAILED
    ReportJob.objects.filter(pk=job.pk).update(
        status=status,
        progress=100 if pdf is not None else job.progress,
        pdf=pdf,
        error=error[:300],
        finished_at=timezone.now(),
    )


def unit_months(reports: Iterable[Report]) -> set[tuple[int, date]]:
    """The (unit, month) pairs these reports are counted in."""
    return {(report.unit_id, month_of(report.occurred_on)) for report in reports}


def recount_all(pairs: Iterable[tuple[int, date]]) -> None:
    for unit_id, month in sorted(pairs):
        recount(unit_id=unit_id, month=month)
