from allauth.account.forms import LoginForm as AllauthLoginForm
from django.contrib.auth.forms import SetPasswordForm

from varna.core import forms as base


class LoginForm(AllauthLoginForm):
    """The local password form: user name and password, labelled, with no placeholders."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["login"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].help_text = ""
        self.fields["password"].widget.attrs.pop("placeholder", None)


class InvitationPasswordForm(SetPasswordForm):
    """Choose the first password; the rules are shown before the person types."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"


class EmptyForm(base.Form):
    pass
