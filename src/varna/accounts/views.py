from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from varna.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_expired"] = self.request.GET.get("expired") == "1"
        return context


def locked_out(
    request: HttpRequest, credentials: dict[str, Any], *args: Any, **kw: Any
) -> HttpResponse:
    """Shown instead of the login result while an account or address is throttled."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request, data=request.POST or None)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes},
        status=429,
    )


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """Renews the session (every request does); called by the timeout warning's button.
    401 rather than a redirect when the session has already ended, so the page can tell."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)
