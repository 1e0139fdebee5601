"""Training pages: a person's own training, a unit's coverage, and registering completions."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from varna.core.forms import show_refusal
from varna.orgs import access, tree
from varna.orgs.access import Action
from varna.orgs.models import Employment, Unit, User
from varna.training import forms, reminders, selectors, services
from varna.training.coverage import DUE_DAYS
from varna.training.models import Completion, Course


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "courses": selectors.own_courses(request.user.pk, today),  # type: ignore[arg-type]
        "completions": selectors.completions_of(request.user),  # type: ignore[arg-type]
        "tops": selectors.top_units(request.user),
        "today": today,
    }
    return render(request, "training/mine.html", context)


def _ancestors(user: access.AnyUser, unit: Unit, action: Action) -> list[Unit]:
    """The units above `unit` that the user may also open, root first (the breadcrumb)."""
    return [
        ancestor
        for ancestor in unit.ancestors().exclude(pk=unit.pk)
        if access.can(user, action, ancestor)
    ]


@login_required
@require_GET
def unit_coverage(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.get_unit_for(request.user, code, Action.VIEW_TRAINING)
    today = timezone.localdate()
    context = {
        "unit": unit,
        "training": selectors.unit_training(unit, today),
        "ancestors": _ancestors(request.user, unit, Action.VIEW_TRAINING),
        "may_register": access.can(request.user, Action.REGISTER_TRAINING, unit),
        "due_days": DUE_DAYS,
        "today": today,
    }
    if context["may_register"]:
        context["recent"] = services.registered_recently(registrar=request.user, unit=unit)  # type: ignore[arg-type]
    # Reading the unit's training is what its training reminders asked for.
    reminders.mark_read(user=request.user, unit=unit)  # type: ignore[arg-type]
    return render(request, "training/unit.html", context)


@login_required
@require_POST
def withdraw(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Take back a completion registered by mistake (see services.withdraw_completion)."""
    unit = access.get_unit_for(request.user, code, Action.REGISTER_TRAINING)
    completion = Completion.objects.select_related("person", "course").filter(pk=pk).first()
    if completion is None:
        raise Http404
    try:
        services.withdraw_completion(completion=completion, unit=unit, by=request.user)  # type: ignore[arg-type]
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(course)s on %(day)s is no longer registered for %(name)s.")
            % {
                "course": completion.course,
                "day": date_format(completion.completed_on, "j F Y"),
                "name": completion.person,
            },
        )
    return redirect("training:unit", code=unit.code)


def _staff(unit: Unit) -> tuple[list[int], dict[int, str]]:
    """The people employed in the unit's subtree today, and where each of them works."""
    today = timezone.localdate()
    employments = (
        Employment.objects.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=today),
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            unit__in=Unit.objects.subtree_of(unit),
        )
        .order_by("unit__path")
        .values_list("user_id", "unit__name")
    )
    places: dict[int, list[str]] = defaultdict(list)
    for user_id, name in employments:
        places[user_id].append(name)
    return list(places), {user_id: ", ".join(names) for user_id, names in places.items()}


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.get_unit_for(request.user, code, Action.REGISTER_TRAINING)
    people, workplaces = _staff(unit)
    courses = Course.objects.filter(
        municipality__path=unit.path[: tree.SEGMENT], is_active=True
    ).order_by("name")
    form = forms.RegisterForm(
        request.POST if request.method == "POST" else None,
        courses=courses,
        staff=User.objects.filter(pk__in=people).order_by("last_name", "first_name", "pk"),
        workplaces=workplaces,
    )
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["people"])
        try:
            added = services.register_completions(
                course=form.cleaned_data["course"],
                people=chosen,
                completed_on=form.cleaned_data["completed_on"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            values = {
                "count": added,
                "course": form.cleaned_data["course"].name,
                "day": form.cleaned_data["completed_on"].isoformat(),
            }
            text = (
                ngettext(
                    "%(count)s person is registered as having completed %(course)s on %(day)s.",
                    "%(count)s people are registered as having completed %(course)s on %(day)s.",
                    added,
                )
                % values
            )
            already = len(chosen) - added
            if already:
                text += " " + ngettext(
                    "%(already)s was registered already.",
                    "%(already)s were registered already.",
                    already,
                ) % {"already": already}
            messages.success(request, text)
            return redirect("training:unit", code=unit.code)
    context = {
        "unit": unit,
        "form": form,
        "has_courses": courses.exists(),
        "has_staff": bool(people),
    }
    return render(request, "training/register.html", context)
