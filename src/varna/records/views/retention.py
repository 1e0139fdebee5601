"""The retention pages: a municipality's retention periods with their history, the recent
destruction batches and what the coming 90 days will destroy. For the administrators of a
whole municipality; the installation's own kinds (drafts, the security log) for superusers.
Everyone else gets 404. Administering is not reading: no page shows what a record says."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from varna.core import forms as base
from varna.core.forms import show_refusal
from varna.orgs import access
from varna.orgs.access import Action
from varna.orgs.models import Unit
from varna.records import retention
from varna.records.models import Kind


@dataclass(frozen=True)
class Scope:
    """Whose plan a page is about: a municipality, or the installation (None)."""

    municipality: Unit | None

    @property
    def name(self) -> str:
        return self.municipality.name if self.municipality else str(_("The installation"))

    def url(self, page: str, **kwargs: str) -> str:
        if self.municipality is None:
            return reverse(f"records:retention_installation{page}", kwargs=kwargs)
        return reverse(
            f"records:retention{page}", kwargs={"code": self.municipality.code, **kwargs}
        )


def _municipality(request: HttpRequest, code: str) -> Scope:
    unit = access.get_unit_for(request.user, code, Action.ADMINISTER)
    if unit.parent_id is not None:
        raise Http404
    return Scope(unit)


def _installation(request: HttpRequest) -> Scope:
    if not access.administers_installation(request.user):
        raise Http404
    return Scope(None)


def _kind(scope: Scope, kind: str) -> Kind:
    if kind not in retention.kinds_for(scope.municipality):
        raise Http404
    return Kind(kind)


class PeriodForm(base.Form):
    months = forms.IntegerField(
        label=_("Kept for (months)"),
        help_text=_("At least 1, at most 1,200 (100 years)."),
        error_messages={"required": retention.MESSAGES["months_required"]},
    )
    basis = forms.CharField(
        label=_("Basis in the information management plan"),
        help_text=_("The plan's name and the decision's reference number."),
        max_length=300,
        error_messages={"required": retention.MESSAGES["basis_required"]},
    )


def _overview(request: HttpRequest, scope: Scope) -> HttpResponse:
    context = {
        "scope": scope,
        "periods": [
            (period, scope.url("_period", kind=period.kind))
            for period in retention.current_periods(scope.municipality).values()
        ],
        "batches": retention.recent_batches(scope.municipality),
        "preview_url": scope.url("_preview"),
        "installation": access.administers_installation(request.user)
        and scope.municipality is not None,
    }
    return render(request, "records/retention_overview.html", context)


def _period(request: HttpRequest, scope: Scope, kind: Kind) -> HttpResponse:
    current = retention.current_periods(scope.municipality)[kind]
    initial = {"months": current.months, "basis": current.rule.basis if current.rule else ""}
    form = PeriodForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            retention.set_period(
                municipality=scope.municipality,
                kind=kind,
                months=form.cleaned_data["months"],
                basis=form.cleaned_data["basis"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("The retention period is saved."))
            return redirect(scope.url(""))
    context = {
        "scope": scope,
        "current": current,
        "form": form,
        "history": retention.history(scope.municipality, kind),
        "default_months": retention.default_months(kind),
        "back_url": scope.url(""),
    }
    return render(request, "records/retention_period.html", context)


def _preview(request: HttpRequest, scope: Scope) -> HttpResponse:
    context = {
        "scope": scope,
        "preview": retention.preview(scope.municipality),
        "back_url": scope.url(""),
    }
    return render(request, "records/retention_preview.html", context)


@login_required
@require_GET
def municipality(request: HttpRequest, code: str) -> HttpResponse:
    return _overview(request, _municipality(request, code))


@login_required
@require_http_methods(["GET", "POST"])
def municipality_period(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    scope = _municipality(request, code)
    return _period(request, scope, _kind(scope, kind))


@login_required
@require_GET
def municipality_preview(request: HttpRequest, code: str) -> HttpResponse:
    return _preview(request, _municipality(request, code))


@login_required
@require_GET
def installation(request: HttpRequest) -> HttpResponse:
    return _overview(request, _installation(request))


@login_required
@require_http_methods(["GET", "POST"])
def installation_period(request: HttpRequest, kind: str) -> HttpResponse:
    scope = _installation(request)
    return _period(request, scope, _kind(scope, kind))


@login_required
@require_GET
def installation_preview(request: HttpRequest) -> HttpResponse:
    return _preview(request, _installation(request))
