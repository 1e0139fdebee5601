"""The privacy notice: what Värna does with what a person reports, for everyone who may
report. The retention periods shown are the ones in force for the reader's municipality."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from varna.orgs.models import Unit
from varna.orgs.selectors import employments_of
from varna.records import retention
from varna.records.models import Kind

# What the notice tells a reporter about, in the order it tells it.
SHOWN_KINDS = [Kind.CASES, Kind.NOT_UNLAWFUL, Kind.ACTOR, Kind.ATTACHMENTS]


def _municipality(request: HttpRequest) -> Unit | None:
    employment = employments_of(request.user).first()  # type: ignore[arg-type]
    if employment is None:
        return None
    return employment.unit.municipality()


@login_required
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    municipality = _municipality(request)
    periods = retention.current_periods(municipality) if municipality else {}
    shown = [
        periods.get(kind) or retention.Period(kind, retention.default_months(kind), None)
        for kind in SHOWN_KINDS
    ]
    context = {
        "municipality": municipality,
        "periods": shown,
        "dpo_contact": settings.VARNA_DPO_CONTACT,
    }
    return render(request, "records/privacy.html", context)
