"""Dashboard tables as CSV and XLSX (the figures as shown: hidden stays hidden), and the
case-level export for those who may open the cases (no descriptions, nothing about the actor)."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from varna.cases.access import visible_cases
from varna.cases.models import Case, Measure
from varna.orgs.access import AnyUser
from varna.orgs.models import Unit
from varna.stats.figures import NOT_STATED, Chosen, Table
from varna.stats.rollups import scope_q


def table_rows(table: Table) -> list[list[Any]]:
    """The table as rows of plain values: a header, then label and cells (numbers where
    shown, the text "<5" or "hidden" where not)."""
    rows: list[list[Any]] = [[table.label_header, *table.columns]]
    for row in table.rows:
        rows.append(
            [
                row.label,
                *(cell.value if cell.value is not None else cell.text for cell in row.cells),
            ]
        )
    return rows


def to_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")  # what Excel expects in Swedish settings
    for row in rows:
        writer.writerow(row)
    # A byte-order mark so that Excel reads å, ä and ö.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPORT_MAX = 50_000
CASE_FIELDS = [
    "report__number",
    "unit__code",
    "unit__name",
    "report__occurred_on",
    "main_form",
    "report__subforms",
    "report__place",
    "report__situation",
    "report__purpose_to_influence",
    "report__purposes",
    "report__kia_type",
    "state",
    "opened_at",
    "acknowledged_at",
    "police_decision",
    "serious_reasons",
    "notice_sent_at",
    "decision_influenced",
    "measure_count",
    "closed_at",
    "not_unlawful",
]


def cases_for_export(user: AnyUser, scope: list[Unit], chosen: Chosen) -> QuerySet[Case]:
    """The line cases the user may open in the chosen subtree, period, forms and contexts."""
    cases = visible_cases(user).filter(
        scope_q(scope),
        security_routed=False,
        report__occurred_on__gte=chosen.period.first,
        report__occurred_on__lt=chosen.period.end,
    )
    if chosen.forms:
        cases = cases.filter(main_form__in=chosen.forms)
    if chosen.contexts:
        contexts = [NOT_STATED if code == "none" else code for code in chosen.contexts]
        cases = cases.filter(report__situation__in=contexts)
    return cases.annotate(
        measure_count=Count("measures", filter=~Q(measures__status=Measure.Status.CANCELLED))
    ).order_by("report__occurred_on", "report__number")


def case_rows(cases: QuerySet[Case]) -> tuple[list[int], list[list[Any]]]:
    """The report keys (for the read log) and the rows of the case export."""
    header = [
        _("Report number"),
        _("Unit code"),
        _("Unit"),
        _("Date"),
        _("Form"),
        _("Kinds"),
        _("Place"),
        _("Authority exercise"),
        _("Purpose to influence work or a decision"),
        _("What they wanted"),
        _("KIA event type"),
        _("Status"),
        _("Received"),
        _("Employee contacted"),
        _("Police report"),
        _("Serious event"),
        _("Notice to Arbetsmiljöverket sent"),
        _("A decision was influenced"),
        _("Measures"),
        _("Closed"),
        _("Not unlawful influence"),
    ]
    keys: list[int] = []
    rows: list[list[Any]] = [header]

    def when(value: Any) -> str:
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""

    for case in cases.values("pk", *CASE_FIELDS)[:EXPORT_MAX]:
        keys.append(case["pk"])
        rows.append(
            [
                case["report__number"],
                case["unit__code"],
                case["unit__name"],
                case["report__occurred_on"].isoformat(),
                case["main_form"],
                ", ".join(case["report__subforms"] or []),
                case["report__place"],
                case["report__situation"],
                case["report__purpose_to_influence"],
                ", ".join(case["report__purposes"] or []),
                case["report__kia_type"],
                case["state"],
                when(case["opened_at"]),
                when(case["acknowledged_at"]),
                case["police_decision"],
                _("yes") if case["serious_reasons"] else _("no"),
                when(case["notice_sent_at"]),
                case["decision_influenced"],
                case["measure_count"],
                when(case["closed_at"]),
                _("yes") if case["not_unlawful"] else _("no"),
            ]
        )
    return keys, rows
