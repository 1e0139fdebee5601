from typing import Any
from urllib.parse import urlsplit

from allauth.account.views import LoginView as AllauthLoginView
from allauth.core.internal import ratelimit
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from requests import RequestException

from varna.accounts import oidc, services
from varna.accounts.forms import InvitationPasswordForm, LoginForm
from varna.accounts.identity import needs_mfa
from varna.accounts.middleware import SIGNED_IN_WITH
from varna.orgs.models import User

# The invitation's token moves from the link into the session, so it does not stay in the
# address bar, the history or a Referer header while the person chooses a password.
INVITATION_SESSION_KEY = "varna_invitation_token"


def sign_in_choices(request: HttpRequest) -> list[dict[str, str]]:
    """The municipality's identity providers, as buttons on the login page."""
    choices = []
    for app in get_social_adapter().list_apps(request):
        provider = app.get_provider(request)
        idp = app.settings.get("idp", {})
        address = app.settings.get("server_url") or idp.get("sso_url") or idp.get("metadata_url")
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(address)) if address else ""
        choices.append({"name": app.name, "url": provider.get_login_url(request), "origin": origin})
    return choices


def with_sign_in_forms(response: HttpResponse, choices: list[dict[str, str]]) -> HttpResponse:
    """Let the login page's forms lead on to the identity providers: browsers apply the
    policy's form-action to the redirect that follows the form, not only to the form."""
    origins = [choice["origin"] for choice in choices if choice["origin"]]
    if origins:
        policy: dict[str, Any] = dict(settings.SECURE_CSP)
        policy["form-action"] = [*policy.get("form-action", [CSP.SELF]), *origins]
        response._csp_config = policy  # type: ignore[attr-defined]
    return response


class LoginView(AllauthLoginView):
    template_name = "accounts/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.VARNA_PASSWORD_LOGIN:
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        return with_sign_in_forms(response, context["sso_choices"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["session_expired"] = self.request.GET.get("expired") == "1"
        context["sso_choices"] = sign_in_choices(self.request)
        context["password_login"] = settings.VARNA_PASSWORD_LOGIN
        return context


def locked_out(
    request: HttpRequest, credentials: dict[str, Any], *args: Any, **kw: Any
) -> HttpResponse:
    """Shown instead of the login result while an account or address is throttled."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(data=request.POST or None, request=request)
    choices = sign_in_choices(request)
    response = render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "locked_out": True,
            "cooloff_minutes": minutes,
            "sso_choices": choices,
            "password_login": settings.VARNA_PASSWORD_LOGIN,
        },
        status=429,
    )
    return with_sign_in_forms(response, choices)


@login_not_required
def sso_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start single sign-on; a provider that does not answer leaves the password login open."""
    try:
        return oidc.login(request, provider_id)
    except RequestException:
        return render(
            request,
            "accounts/sso_unavailable.html",
            {"password_login": settings.VARNA_PASSWORD_LOGIN},
            status=503,
        )


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """Renews the session (every request does); called by the timeout warning's button.
    401 rather than a redirect when the session has already ended, so the page can tell."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


def invitation_gone(request: HttpRequest, invalid: services.InvitationInvalid) -> HttpResponse:
    """Why a link cannot be used (expired, used, replaced, left or unknown)."""
    return render(
        request, "accounts/invitation_invalid.html", {"reason": invalid.reason}, status=410
    )


@login_not_required
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation e-mail: checked, kept in the session, then out of the URL."""
    # allauth's limiter leaves GET alone unless asked; a link is opened with GET.
    if not ratelimit.consume(request, app="allauth.account", action="invitation", limit_get=True):
        return render(request, "429.html", status=429)
    try:
        services.usable_invitation(token)
    except services.InvitationInvalid as invalid:
        return invitation_gone(request, invalid)
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("accounts:set_password")


@login_not_required
@never_cache
def set_password(request: HttpRequest) -> HttpResponse:
    """Choose the first password with the invitation held in the session."""
    token = request.session.get(INVITATION_SESSION_KEY)
    if not token:
        raise Http404
    try:
        found = services.usable_invitation(token)
    except services.InvitationInvalid as invalid:
        request.session.pop(INVITATION_SESSION_KEY, None)
        return invitation_gone(request, invalid)
    form = InvitationPasswordForm(found.person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                token=token, password=form.cleaned_data["new_password1"], request=request
            )
        except services.InvitationInvalid as invalid:
            return invitation_gone(request, invalid)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            messages.success(request, _("Your password is set. Log in with it now."))
            return redirect("account_login")
    return render(
        request, "accounts/invitation_password.html", {"form": form, "person": found.person}
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """One's own sign-in: sessions, password and second factors."""
    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "accounts/security.html",
        {
            "signed_in_with": request.session.get(SIGNED_IN_WITH, "password"),
            "has_password": user.has_usable_password(),
            "mfa_required": needs_mfa(user),
        },
    )


@login_required
@require_POST
def end_my_sessions(request: HttpRequest) -> HttpResponse:
    """Log out everywhere: every session of the person ends, this one included."""
    services.end_sessions(person=request.user, by=request.user, request=request)  # type: ignore[arg-type]
    logout(request)
    messages.success(request, _("You are logged out everywhere."))
    return redirect("account_login")
