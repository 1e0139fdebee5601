"""The year plan: the overview rolled up the tree, how well it is kept, a unit's plan and an
activity's page."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from varna.core.forms import show_refusal
from varna.handbook.models import Section
from varna.orgs import access as org_access
from varna.orgs import tree
from varna.orgs.access import Action
from varna.orgs.models import Unit
from varna.reporting.models import Notification
from varna.training import coverage
from varna.training.models import Course
from varna.yearplan import access, forms, selectors, services
from varna.yearplan.models import Activity, Kind
from varna.yearplan.selectors import MONTHS


def _filtered(request: HttpRequest, action: Action) -> dict[str, Any]:
    """The unit and year chosen in the address for a page of `action`'s scope, with the filter
    form and where the user may go up or across to."""
    today = timezone.localdate()
    form = forms.FilterForm(request.GET or None, this_year=today.year)
    tops = access.top_units(request.user, action)
    unit, year = tops[0], today.year
    if form.is_bound:
        # An unusable year or unit is shown next to its field, and the page falls back to
        # this year and the top of the user's scope.
        if form.is_valid():
            year = form.cleaned_data["ar"] or year
        # Only a code the form accepted is looked up (not one too long or with a NUL byte).
        code = form.cleaned_data.get("enhet", "") if "enhet" not in form.errors else ""
        if code:
            found = access.yearplan_unit(request.user, code, action)
            if found is None:
                form.add_error(
                    "enhet", _("There is no unit with that code in your part of the organisation.")
                )
            else:
                unit = found
    return {
        "form": form,
        "unit": unit,
        "year": year,
        "today": today,
        "tops": tops if len(tops) > 1 else [],
        "ancestors": [
            ancestor
            for ancestor in unit.ancestors().exclude(pk=unit.pk)
            if org_access.can(request.user, action, ancestor)
        ],
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    if not org_access.can(request.user, Action.VIEW_YEARPLAN):
        raise Http404
    context = _filtered(request, Action.VIEW_YEARPLAN)
    unit, year = context["unit"], context["year"]
    context["rows"] = selectors.overview(request.user, unit, year, context["today"])
    context["months"] = [date(year, month, 1) for month in MONTHS]
    return render(request, "yearplan/yearplan_overview.html", context)


@login_required
@require_GET
def compliance(request: HttpRequest) -> HttpResponse:
    """How well the year plan is kept, per unit: read-only, for everyone who follows it up."""
    if not org_access.can(request.user, Action.VIEW_YEARPLAN_COMPLIANCE):
        raise Http404
    context = _filtered(request, Action.VIEW_YEARPLAN_COMPLIANCE)
    year = context["year"]
    context["rows"] = selectors.compliance_rows(
        request.user, context["unit"], date(year, 1, 1), date(year + 1, 1, 1), context["today"]
    )
    # Links to the plans themselves only where the user may open them.
    context["plans"] = {
        row.unit.pk for row in context["rows"] if access.sees_plan(request.user, row.unit)
    }
    return render(request, "yearplan/yearplan_compliance.html", context)


def _year(request: HttpRequest, today_year: int) -> int:
    form = forms.FilterForm(request.GET, this_year=today_year)
    if form.is_valid() and form.cleaned_data["ar"]:
        return int(form.cleaned_data["ar"])
    if "ar" in form.errors:
        messages.warning(request, str(form.errors["ar"][0]))
    return today_year


@login_required
@require_GET
def unit_plan(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_access.get_unit_for(request.user, code, Action.VIEW_YEARPLAN)
    today = timezone.localdate()
    year = _year(request, today.year)
    context = {
        "unit": unit,
        "year": year,
        "today": today,
        "months": [
            (date(year, month, 1), items) for month, items in selectors.unit_plan(unit, year)
        ],
        "sees_names": access.sees_names(request.user, unit),
        "years": [year - 1, year + 1],
    }
    return render(request, "yearplan/yearplan_unit.html", context)


@dataclass(frozen=True)
class RequiredCourse:
    """A course required of a new employee, as the introduction checklist shows it."""

    name: str
    standing: str  # where the person stands, in words ("" for those who may not see it)


@dataclass(frozen=True)
class HandbookLink:
    title: str
    url: str


# The order in which a course required under two rules is shown by the stricter one.
_STRICTER = [
    coverage.Status.OVERDUE,
    coverage.Status.NEW,
    coverage.Status.EXPIRING,
    coverage.Status.VALID,
]


def _strictness(standing: coverage.Standing) -> tuple[int, date]:
    return _STRICTER.index(standing.status), standing.due_on or date.max


def _in_english() -> bool:
    return (get_language() or "").startswith("en")


def _standing_text(standing: coverage.Standing) -> str:
    day = standing.due_on.isoformat() if standing.due_on else ""
    match standing.status:
        case coverage.Status.VALID:
            return _("Valid until %(day)s") % {"day": day} if day else _("Valid")
        case coverage.Status.EXPIRING:
            return _("Valid until %(day)s: runs out soon") % {"day": day}
        case coverage.Status.NEW:
            return _("To be taken by %(day)s") % {"day": day}
    return _("Overdue since %(day)s") % {"day": day} if day else _("Overdue")


def _introduction(
    activity: Activity, today: date, *, sees_training: bool
) -> tuple[list[RequiredCourse], list[HandbookLink]]:
    """The new employee's checklist: the courses required of them (with where they stand, for
    those who see the unit's training) and the handbook sections marked for the
    introduction."""
    assert activity.employment is not None
    # Read as from the first day when it is still to come: before it the person has no
    # employment that counts, and so nothing required yet.
    start = activity.employment.start_date
    day = max(today, start) if start else today
    # One line per course: a course required under two rules counts once, by the stricter
    # (the earlier deadline of two graces, say).
    strictest: dict[int, coverage.Standing] = {}
    for standing in coverage.of_person(activity.employment.user_id, day):
        other = strictest.get(standing.course_id)
        if other is None or _strictness(standing) < _strictness(other):
            strictest[standing.course_id] = standing
    names = {
        course.pk: course.name_en if _in_english() and course.name_en else course.name
        for course in Course.objects.filter(pk__in=strictest)
    }
    courses = sorted(
        (
            RequiredCourse(names[pk], _standing_text(standing) if sees_training else "")
            for pk, standing in strictest.items()
        ),
        key=lambda course: course.name,
    )
    municipality = Unit.objects.get(path=activity.unit.path[: tree.SEGMENT])
    sections = (
        Section.objects.filter(municipality=municipality, in_introduction=True)
        .filter(current__isnull=False)
        .select_related("current")
        .order_by("position", "slug")
    )
    links = []
    for section in sections:
        version = section.current
        assert version is not None  # filtered on above
        links.append(
            HandbookLink(
                version.title_en if _in_english() and version.title_en else version.title,
                reverse("handbook:section", args=[municipality.code, section.slug]),
            )
        )
    return courses, links


@login_required
def activity_detail(request: HttpRequest, code: str) -> HttpResponse:
    activity = access.get_activity_for(request.user, code)
    may_manage = access.may_manage(request.user, activity)
    if request.method == "POST" and not may_manage:
        raise Http404
    today = timezone.localdate()
    # A yearly training activity of a unit whose staff have required courses is ticked off by
    # the completions: the page shows the coverage instead of the form.
    training = services.training_tally(activity, today)
    step = request.POST.get("step", "")
    data = request.POST if request.method == "POST" else None
    complete_form = reopen_form = None
    if may_manage and not activity.is_done and training is None:
        complete_form = forms.CompleteForm(data if step == "done" else None, activity=activity)
    elif may_manage and activity.is_done:
        reopen_form = forms.ReopenForm(data if step == "reopen" else None)
    if request.method == "POST":
        form = complete_form if step == "done" else reopen_form if step == "reopen" else None
        if form is None:
            if step == "done" and training is not None and not activity.is_done:
                messages.error(request, services.by_training_message())
            else:
                messages.error(request, _("That step cannot be taken now. The page shows why."))
            return redirect("yearplan:activity", code=activity.code)
        if form.is_valid():
            try:
                if form is complete_form:
                    services.complete_activity(
                        activity,
                        by=request.user,  # type: ignore[arg-type]
                        assessment=form.cleaned_data["assessment"],
                        link=form.cleaned_data["link"],
                        note=form.cleaned_data["note"],
                    )
                    done = _("The activity is marked done.")
                else:
                    services.reopen_activity(
                        activity,
                        by=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                    done = _("The activity is open again.")
            except ValidationError as error:
                show_refusal(form, error)
            else:
                messages.success(request, done)
                return redirect("yearplan:activity", code=activity.code)
    else:
        Notification.objects.filter(
            recipient=request.user.pk, activity=activity, read_at=None
        ).update(read_at=timezone.now())
    sees_training = org_access.can(request.user, Action.VIEW_TRAINING, activity.unit)
    context = {
        "activity": activity,
        "today": today,
        "events": activity.events.select_related("actor", "assessment"),
        "complete_form": complete_form,
        "reopen_form": reopen_form,
        "sees_names": access.sees_names(request.user, activity.unit),
        "sees_assessments": org_access.can(request.user, Action.VIEW_RISK, activity.unit),
        "training": training,
        "due_days": coverage.DUE_DAYS,
        "training_share": round(training.share * 100) if training and training.share else 0,
        "training_link": (
            reverse("training:unit", args=[activity.unit.code]) if sees_training else ""
        ),
    }
    if activity.kind == Kind.INTRODUCTION and activity.employment is not None:
        context["sees_training"] = sees_training
        context["courses"], context["handbook"] = _introduction(
            activity, today, sees_training=sees_training
        )
        context["introduction"] = True
    return render(request, "yearplan/activity_detail.html", context)
