"""Follow-up: the dashboard, its tables as CSV and XLSX, the logged case export, and the
committee report built in the background."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from varna.core import perturbation
from varna.orgs import access as org_access
from varna.orgs.access import Action
from varna.stats import access, charts, exports, selectors, services
from varna.stats.figures import Chosen, Dashboard
from varna.stats.forms import FilterForm
from varna.stats.models import ReportJob


def _follows_up(request: HttpRequest) -> None:
    if not org_access.can(request.user, Action.VIEW_STATS):
        raise Http404


def chosen_from(request: HttpRequest, data: QueryDict | None = None) -> tuple[Chosen, FilterForm]:
    """The filter from the URL, with a message for whatever was not understood."""
    chosen, form, problems = selectors.parse(
        request.user, request.GET if data is None else data, timezone.localdate()
    )
    for problem in problems:
        messages.warning(request, problem)
    return chosen, form


def board_charts(board: Dashboard) -> list[charts.Chart]:
    period, previous = board.chosen.period, board.chosen.period.previous()
    form_table = board.tables["form"]
    rows = [row for row in form_table.rows if not row.is_total]
    found = [
        charts.bar_chart(
            "form",
            form_table.caption,
            _("Bars per form, this period and the previous one; the figures are in the table."),
            [row.label for row in rows],
            [
                (period.label, [row.cells[0] for row in rows]),
                (previous.label, [row.cells[1] for row in rows]),
            ],
        )
    ]
    month_table = board.tables["month"]
    if len(month_table.rows) > 1:
        # Which span is set against which, so that a part of a year is never read as a fall.
        description = _("Bars per month, this period and the same month of the previous one.")
        found.append(
            charts.bar_chart(
                "month",
                month_table.caption,
                f"{description} {period.comparison}".strip(),
                [row.label[2:] for row in month_table.rows],
                [
                    (period.label, [row.cells[0] for row in month_table.rows]),
                    (previous.label, [row.cells[2] for row in month_table.rows]),
                ],
            )
        )
    return found


def _crumbs(request: HttpRequest, board: Dashboard) -> list[tuple[str, str]]:
    """The units above the chosen one that the user follows up, with their links."""
    if board.chosen.unit is None:
        return []
    return [
        (unit.name, "?" + board.chosen.query(unit=unit.code))
        for unit in board.chosen.unit.ancestors()
        if unit.pk != board.chosen.unit.pk and access.may_follow_up(request.user, unit)
    ]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _follows_up(request)
    chosen, form = chosen_from(request)
    board = selectors.dashboard(request.user, chosen)
    if board.updated is not None:
        # Events have waited more than a minute: make sure a fold is on its way (the one asked
        # for may have failed, or the worker was down).
        services.schedule_fold()
    context = {
        "board": board,
        "form": form,
        "training": selectors.training_table(
            board, timezone.localdate(), reader=request.user, kept=True
        ),
        "charts": board_charts(board),
        "crumbs": _crumbs(request, board),
        "query": chosen.query(),
        "may_export_cases": access.may_export_cases(request.user, board.scope),
        "explanation": perturbation.explanation(),
        "web": True,
    }
    return render(request, "stats/dashboard.html", context)


@login_required
@require_GET
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One table of the dashboard, as the page shows it (adjusted where the page is)."""
    _follows_up(request)
    chosen, _form = chosen_from(request)
    board = selectors.dashboard(request.user, chosen)
    if table == "training":
        # Read only when asked for: the committee report and the other tables do without it.
        found = selectors.training_table(
            board, timezone.localdate(), reader=request.user, kept=True
        )
        if found is not None:
            board.tables[table] = found
    if table not in board.tables or fmt not in {"csv", "xlsx"}:
        raise Http404
    rows = exports.table_rows(board.tables[table])
    name = f"uppfoljning-{table}-{chosen.period.param}"
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx(board.tables[table].caption, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def export_cases(request: HttpRequest) -> HttpResponse:
    """The chosen cases row by row, for those who may open them; every exported case is
    written to the read log."""
    _follows_up(request)
    chosen, _form = chosen_from(request)
    scope = [chosen.unit] if chosen.unit else access.tops(request.user)
    if not access.may_export_cases(request.user, scope):
        raise Http404
    keys, rows = exports.case_rows(exports.cases_for_export(request.user, scope, chosen))
    services.record_case_export(user=request.user, report_ids=keys)  # type: ignore[arg-type]
    response = HttpResponse(exports.to_csv(rows), content_type="text/csv; charset=utf-8")
    name = f"arenden-{chosen.unit.code if chosen.unit else 'alla'}-{chosen.period.param}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
@require_POST
def report_new(request: HttpRequest) -> HttpResponse:
    """Queue the committee report of the dashboard as filtered."""
    _follows_up(request)
    chosen, _form, problems = selectors.parse(request.user, request.POST, timezone.localdate())
    if problems:
        # The filters come from the page's hidden fields: what was not understood was changed
        # on the way, and a report of other figures than the page showed must not be made.
        messages.error(
            request,
            _(
                "The committee report was not made: its filters were not understood. "
                "Choose the filters again and make the report from the page they show."
            ),
        )
        return redirect("stats:dashboard")
    board_title = chosen.unit.name if chosen.unit else _("Everything you follow up")
    job = services.request_report(
        owner=request.user,  # type: ignore[arg-type]
        query=chosen.query(),
        title=f"{board_title}, {chosen.period.label}",
    )
    return redirect("stats:report", code=job.code)


def _job_for(request: HttpRequest, code: str) -> ReportJob:
    """The report job if it is the user's own; 404 otherwise."""
    return get_object_or_404(ReportJob.objects.defer("pdf"), code=code, owner=request.user.pk)


@login_required
@require_GET
def report(request: HttpRequest, code: str) -> HttpResponse:
    job = _job_for(request, code)
    return render(request, "stats/report_job.html", {"job": job})


@login_required
@require_GET
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    job = get_object_or_404(
        ReportJob, code=code, owner=request.user.pk, status=ReportJob.Status.DONE
    )
    response = HttpResponse(bytes(job.pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="namndrapport-{job.created_at:%Y-%m-%d}.pdf"'
    )
    return response
