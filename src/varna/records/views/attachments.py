"""Adding a file to a report or case, and downloading one through the access layer."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from varna.core import forms as base
from varna.records import attachments
from varna.reporting.models import Attachment
from varna.reporting.services import record_read


class AttachmentForm(base.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        # An empty file reaches the service, which refuses it with its own message.
        allow_empty_file=True,
        error_messages={"required": gettext_lazy("Choose a file to add.")},
    )
    part = forms.ChoiceField(
        label=gettext_lazy("Belongs to"), choices=Attachment.Part.choices, required=False
    )


def _back(request: HttpRequest, code: str, parts: list[str]) -> HttpResponse:
    """Back to the page the form was on: the case page for a handler who came from it, else
    the report page. Never an address from the request."""
    if request.POST.get("back") == "case" and Attachment.Part.CASE in parts:
        return redirect("cases:detail", code)
    return redirect("reporting:detail", code)


@login_required
@require_POST
def attachment_add(request: HttpRequest, code: str) -> HttpResponse:
    case, parts = attachments.case_for_adding(request.user, code)
    back = _back(request, code, parts)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        reasons = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, _("The file was not added: %s") % " ".join(reasons))
        return back
    try:
        attachment = attachments.add_attachment(
            report=case.report,
            part=form.cleaned_data["part"] or Attachment.Part.REPORT,
            upload=form.cleaned_data["file"],
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as error:
        messages.error(request, _("The file was not added: %s") % " ".join(error.messages))
    else:
        messages.success(request, _("“%s” was added.") % attachment.label)
    return back


@login_required
@require_GET
def attachment_download(request: HttpRequest, code: str) -> FileResponse:
    attachment, role = attachments.readable_attachment(request.user, code)
    report = attachment.report
    try:
        stored = attachment.file.storage.open(attachment.file.name or "", "rb")
    except OSError:
        raise Http404 from None
    record_read(
        user=request.user,  # type: ignore[arg-type]
        report=report,
        part="attachment+actor" if attachment.part == Attachment.Part.ACTOR else "attachment",
        role=role,
    )
    # Named by the report's number and the file's place among its files: never the name the
    # person gave it (which may say more than the download needs to).
    number = Attachment.objects.filter(report=report, pk__lte=attachment.pk).count()
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"{report.number}-{number}{attachment.extension}",
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
