"""Writes for follow-up: folding events into the rollups, the logged case export, committee
report jobs.

The rollups (varna.stats.models) are written in one place: `fold`. The services that write
reports and cases only leave a `PendingFold` row for the event's unit and month (`mark`), in
their own transaction, and ask the task worker to fold (`varna.stats.tasks.fold_rollups`). A
fold takes the pending rows in batches, recounts each unit's month from the events themselves
(and what destroyed events left behind), sums the subtree rollups of the months it touched and
deletes the rows it did; a rebuild is a fold of every unit and month. No report waits for a lock
on its municipality, and a recount is right however the events changed.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncYear
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from varna.cases.models import Case, Measure, PoliceDecision
from varna.orgs import tree
from varna.orgs.models import Unit, User
from varna.reporting.models import ReadLog, Report
from varna.reporting.taxonomy import Answer
from varna.stats import rollups
from varna.stats.models import (
    ACTOR_COLUMNS,
    BELIEVED_COLUMNS,
    CONSEQUENCE_COLUMNS,
    COUNT_COLUMNS,
    KEY_COLUMNS,
    PLACE_COLUMNS,
    PURPOSE_COLUMNS,
    SITUATION_COLUMNS,
    SUBFORM_COLUMNS,
    SUBTREE_DEPTH,
    FoldState,
    MonthlyCount,
    PendingFold,
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
# The base rollup's columns: the counts and, beside each, its key sum.
BASE_COLUMNS = [*COUNT_COLUMNS, *(KEY_COLUMNS[c] for c in COUNT_COLUMNS if c in KEY_COLUMNS)]
# The subtree rollups' columns: those, and the events per situation with their key sums.
SUBTREE_COLUMNS = [
    *BASE_COLUMNS,
    *SITUATION_COLUMNS,
    *(KEY_COLUMNS[column] for column in SITUATION_COLUMNS),
]
_FIELDS = [
    "unit_id",
    "occurred_on",
    "record_key",
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


def counted_in(row: dict[str, Any]) -> list[str]:
    """The count columns one event counts in; one found not to be unlawful influence in that
    column alone."""
    if row["case__not_unlawful"]:
        return ["not_unlawful"]
    found = ["events"]
    found += sorted({_SUBFORM_COLUMN[c] for c in row["subforms"] or [] if c in _SUBFORM_COLUMN})
    for code, columns in (
        (row["place"], _PLACE_COLUMN),
        (row["actor_relation"], _ACTOR_COLUMN),
        (row["purpose_to_influence"], _BELIEVED_COLUMN),
    ):
        if code in columns:
            found.append(columns[code])
    if row["case__police_decision"] in _POLICE_COLUMN:
        found.append(_POLICE_COLUMN[row["case__police_decision"]])
    for codes, columns in (
        (row["consequences"], _CONSEQUENCE_COLUMN),
        (row["purposes"], _PURPOSE_COLUMN),
    ):
        found += sorted({columns[code] for code in codes or [] if code in columns})
    acknowledged, due = row["case__acknowledged_at"], row["case__acknowledge_due_at"]
    if acknowledged is not None:
        found.append("ack_in_time" if due is None or acknowledged <= due else "ack_late")
    if row["has_measures"]:
        found.append("with_measures")
    if row["case__serious_reasons"]:
        found.append("serious")
        sent, notice_due = row["case__notice_sent_at"], row["case__notice_due_at"]
        if sent is not None and (notice_due is None or sent <= notice_due):
            found.append("serious_in_time")
    if row["case__decision_influenced"] == Answer.YES:
        found.append("influenced")
    return found


def _add(totals: dict[str, int], row: dict[str, Any]) -> None:
    """Count one event in every column it belongs to, with its key beside each count."""
    for column in counted_in(row):
        totals[column] += 1
        totals[KEY_COLUMNS[column]] += row["record_key"]
    acknowledged = row["case__acknowledged_at"]
    if acknowledged is not None and not row["case__not_unlawful"]:
        minutes = (acknowledged - row["case__opened_at"]).total_seconds() // 60
        totals["ack_minutes"] += max(int(minutes), 0)


def tally(rows: Iterable[dict[str, Any]]) -> dict[Key, dict[str, int]]:
    """The base rollup rows for these events, keyed by (unit, month, form, situation,
    routing)."""
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
            counted[key] = dict.fromkeys(BASE_COLUMNS, 0)
        _add(counted[key], row)
    return counted


def _retired(rows: QuerySet[RetiredEvent]) -> dict[Key, dict[str, int]]:
    """The rollup rows the destroyed events in `rows` still count for."""
    counted: dict[Key, dict[str, int]] = {}
    for event in rows.order_by().iterator(chunk_size=5_000):
        key = (event.unit_id, event.month, event.form, event.situation, event.security_routed)
        totals = counted.setdefault(key, dict.fromkeys(BASE_COLUMNS, 0))
        for column, value in event.columns.items():
            if column in totals:
                totals[column] += value
                if column in KEY_COLUMNS:
                    totals[KEY_COLUMNS[column]] += event.record_key * value
    return counted


# Marking and folding -------------------------------------------------------------------------


def mark(report: Report, *, moved_from: tuple[int, date] | None = None) -> None:
    """Leave the report's unit and month to be folded into the rollups (and, for an event
    moved to another unit or date, where it was: `moved_from`, its unit id and date)."""
    rows = [PendingFold(unit_id=report.unit_id, month=month_of(report.occurred_on))]
    if moved_from is not None:
        rows.append(PendingFold(unit_id=moved_from[0], month=month_of(moved_from[1])))
    PendingFold.objects.bulk_create(rows)
    transaction.on_commit(schedule_fold)


def count_case(case: Case) -> None:
    """`mark` for the report of a case that changed (handling is counted per event)."""
    mark(case.report)


def schedule_fold() -> None:
    """Ask the task worker to fold, unless a fold is already waiting to start (it will see
    the rows committed before it starts)."""
    from varna.stats.tasks import fold_rollups

    waiting = DBTaskResult.objects.filter(
        task_path=fold_rollups.module_path, status=TaskResultStatus.READY
    ).exists()
    if not waiting:
        fold_rollups.using(run_after=timezone.now() + FOLD_DELAY).enqueue()


def _fold_lock() -> FoldState:
    """Take the fold's turn (the FoldState row) for this transaction: folds, rebuilds, moves
    and retirements each see the others' work whole."""
    FoldState.objects.get_or_create(pk=1)
    return FoldState.objects.select_for_update().get(pk=1)


def _key_of(path: str) -> int:
    """The key of the unit at the end of a path (a path is the keys of the units on it)."""
    return int(path[-tree.SEGMENT :])


@transaction.atomic
def mark_moved(*, moves: list[tuple[str, str]]) -> None:
    """After units moved in the tree (`moves`: old and new path of each unit put under another
    parent, already moved), leave the subtree rollups that lost or gained events to be folded
    again: the tops above each unit before and after, and the moved units that were or are
    near enough the root to have subtree rows, for every month the moved units have events
    in. The base rollup needs nothing: it is per unit, and a subtree is read by path."""
    _fold_lock()
    tops: set[int] = set()
    months: set[date] = set()
    for old_path, new_path in moves:
        # Found by key, not path: an ancestor may have moved in the same change.
        before = {_key_of(path) for path in _tops_of(old_path)}
        after = {_key_of(path) for path in _tops_of(new_path)}
        tops.update(before | after)
        rise = max(len(new_path) - len(old_path), 0) // tree.SEGMENT
        moved = Unit.objects.filter(tree.subtree_q(new_path), depth__lte=SUBTREE_DEPTH + rise)
        tops.update(moved.values_list("pk", flat=True))
        months.update(
            MonthlyCount.objects.filter(tree.subtree_q(new_path, "unit__path"))
            .values_list("month", flat=True)
            .distinct()
        )
    existing = Unit.objects.filter(pk__in=tops).values_list("pk", flat=True)
    PendingFold.objects.bulk_create(
        [
            PendingFold(unit_id=top, month=month, subtree=True)
            for top in sorted(existing)
            for month in sorted(months)
        ],
        batch_size=2_000,
    )
    transaction.on_commit(schedule_fold)


FOLD_BATCH = 20_000
# A fold waits this long after the first event that asks for it, so that the events of a
# busy moment are folded together rather than one fold each.
FOLD_DELAY = timedelta(seconds=2)


def fold(*, batch: int = FOLD_BATCH) -> int:
    """Fold the pending rows into the rollups, a batch per transaction, until none are left;
    returns how many were folded. Folds take turns on the FoldState row."""
    done = 0
    while True:
        with transaction.atomic():
            state = _fold_lock()
            pending = list(PendingFold.objects.order_by("pk")[:batch])
            if pending:
                fold_in(
                    {(row.unit_id, row.month) for row in pending if not row.subtree},
                    {(row.unit_id, row.month) for row in pending if row.subtree},
                )
                # By key, not up to the last one: a row with a lower key may commit later.
                PendingFold.objects.filter(pk__in=[row.pk for row in pending]).delete()
            state.folded_at = timezone.now()
            state.save(update_fields=["folded_at"])
        done += len(pending)
        if len(pending) < batch:
            return done


def _by_month(pairs: Iterable[tuple[int, date]]) -> dict[date, list[int]]:
    found: dict[date, set[int]] = defaultdict(set)
    for unit_id, month in pairs:
        found[month_of(month)].add(unit_id)
    return {month: sorted(units) for month, units in sorted(found.items())}


def fold_in(pairs: set[tuple[int, date]], subtrees: set[tuple[int, date]] | None = None) -> None:
    """Recount the base rollup of these (unit, month) pairs from the events, then the subtree
    rollups of every top above them (and of the (unit, month) pairs in `subtrees`) for those
    months, then their years."""
    paths = dict(
        Unit.objects.filter(pk__in={unit for unit, _month in pairs}).values_list("pk", "path")
    )
    tops: dict[date, set[int]] = defaultdict(set)
    top_ids = dict(
        Unit.objects.filter(
            path__in={p for path in paths.values() for p in _tops_of(path)}
        ).values_list("path", "pk")
    )
    for month, units in _by_month(pairs).items():
        end = _next_month(month)
        counted = tally(
            _event_rows(
                Report.objects.filter(
                    unit_id__in=units, occurred_on__gte=month, occurred_on__lt=end
                )
            )
        )
        retired = RetiredEvent.objects.filter(unit_id__in=units, month=month)
        for key, columns in _retired(retired).items():
            into = counted.setdefault(key, dict.fromkeys(BASE_COLUMNS, 0))
            for column, value in columns.items():
                into[column] += value
        MonthlyCount.objects.filter(unit_id__in=units, month=month).delete()
        _write(
            MonthlyCount,
            [
                MonthlyCount(
                    unit_id=unit_id,
                    month=month,
                    form=form,
                    situation=situation,
                    security_routed=routed,
                    **columns,
                )
                for (unit_id, month, form, situation, routed), columns in counted.items()
            ],
        )
        for unit in units:
            tops[month].update(top_ids[path] for path in _tops_of(paths[unit]))
    for unit_id, month in subtrees or set():
        tops[month_of(month)].add(unit_id)
    _fold_subtrees(tops)


def _tops_of(path: str) -> list[str]:
    """The paths whose subtree rollup counts the events of the unit at `path`."""
    return tree.ancestor_paths(path)[: SUBTREE_DEPTH + 1]


def _fold_subtrees(tops: dict[date, set[int]]) -> None:
    """Recount the subtree rollup rows of these tops in these months from the base rollup,
    and their yearly rows from the monthly ones."""
    units = {
        unit.pk: unit
        for unit in Unit.objects.filter(pk__in={pk for ids in tops.values() for pk in ids})
    }
    years: dict[int, set[int]] = defaultdict(set)
    for month, ids in sorted(tops.items()):
        SubtreeMonthlyCount.objects.filter(unit_id__in=ids, month=month).delete()
        shallow = [units[pk] for pk in ids if pk in units and units[pk].depth <= SUBTREE_DEPTH]
        for depth in sorted({unit.depth for unit in shallow}):
            same = [unit for unit in shallow if unit.depth == depth]
            length = (depth + 1) * tree.SEGMENT
            rows = MonthlyCount.objects.filter(rollups.in_tops(same), month=month)
            _write(
                SubtreeMonthlyCount, _subtree_objects(rows, length, {u.path: u.pk for u in same})
            )
        years[month.year].update(ids)
    grouped: Any
    for year, ids in sorted(years.items()):
        SubtreeYearlyCount.objects.filter(unit_id__in=ids, month=date(year, 1, 1)).delete()
        monthly = SubtreeMonthlyCount.objects.filter(unit_id__in=ids, month__year=year)
        grouped = (
            monthly.annotate(year=TruncYear("month"))
            .values("unit_id", "year", "form", "security_routed")
            .annotate(**{f"sum_{c}": Sum(c) for c in SUBTREE_COLUMNS})
            .order_by()
        )
        _write(
            SubtreeYearlyCount,
            [
                SubtreeYearlyCount(
                    unit_id=row["unit_id"],
                    month=row["year"],
                    form=row["form"],
                    security_routed=row["security_routed"],
                    **{c: row[f"sum_{c}"] or 0 for c in SUBTREE_COLUMNS},
                )
                for row in grouped
            ],
        )


def _write(model: Any, objects: list[Any]) -> None:
    """Insert rollup rows: on PostgreSQL by COPY (a row has some 150 columns, and COPY writes
    them ten times faster than INSERT), elsewhere in batches."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=500)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in objects:
            copy.write_row([getattr(row, field.attname) for field in fields])


def _subtree_objects(
    rows: QuerySet[MonthlyCount], length: int, ids: dict[str, int]
) -> list[SubtreeMonthlyCount]:
    """The subtree rollup rows summed from these base rows, for the tops whose path is
    `length` long (`ids`: their keys by path)."""
    sums: dict[str, Any] = {f"sum_{column}": Sum(column) for column in BASE_COLUMNS}
    for column, code in SITUATION_COLUMNS.items():
        sums[f"sum_{column}"] = Sum("events", filter=Q(situation=code))
        sums[f"sum_{KEY_COLUMNS[column]}"] = Sum("events_key", filter=Q(situation=code))
    grouped: Any = (
        rows.annotate(top=Substr("unit__path", 1, length))
        .values("top", "month", "form", "security_routed")
        .annotate(**sums)
        .order_by()
    )
    return [
        SubtreeMonthlyCount(
            unit_id=ids[row["top"]],
            month=row["month"],
            form=row["form"],
            security_routed=row["security_routed"],
            **{c: row[f"sum_{c}"] or 0 for c in SUBTREE_COLUMNS},
        )
        for row in grouped
    ]


@transaction.atomic
def rebuild() -> int:
    """Empty the rollups and fold every unit and month with events in; returns the number of
    base rows written."""
    _fold_lock()
    waiting = list(PendingFold.objects.values_list("pk", flat=True))
    MonthlyCount.objects.all().delete()
    SubtreeMonthlyCount.objects.all().delete()
    SubtreeYearlyCount.objects.all().delete()
    pairs = {
        (unit_id, month_of(day))
        for unit_id, day in Report.objects.values_list("unit_id", "occurred_on").distinct()
    }
    pairs.update(RetiredEvent.objects.values_list("unit_id", "month").distinct())
    fold_in(pairs)
    # What was waiting is folded in now (rows left since are folded by the worker).
    PendingFold.objects.filter(pk__in=waiting).delete()
    return MonthlyCount.objects.count()


@transaction.atomic
def retire(reports: QuerySet[Report]) -> int:
    """Keep what these reports count for in the follow-up before they are destroyed: each
    event's contribution to its rollup row and its record key, without its day, people or
    text. The rollups themselves are unchanged (the same events, now counted from here);
    returns how many."""
    _fold_lock()  # a fold must not count an event both as held and as retired
    retired = []
    for row in _event_rows(reports):
        for (unit_id, month, form, situation, routed), columns in tally([row]).items():
            retired.append(
                RetiredEvent(
                    unit_id=unit_id,
                    month=month,
                    form=form,
                    situation=situation,
                    security_routed=routed,
                    record_key=row["record_key"],
                    columns={
                        column: value
                        for column, value in columns.items()
                        if value and column in COUNT_COLUMNS
                    },
                )
            )
    RetiredEvent.objects.bulk_create(retired, batch_size=2_000)
    return len(retired)


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
