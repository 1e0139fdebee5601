"""Files kept with a report: who may add and read them, and how an upload is checked and stored.

An upload is read only up to the per-file limit (and one byte more, to know it is over). Its
type is decided by its content (`filetype`), never by its name, against a short allow-list.
Images are decoded and saved again by Pillow without any metadata (EXIF with the GPS position,
XMP, comments), turned upright first, so a photo taken at home does not give the home away.
The file goes through Django's storage API under a random name (the model decides it); if the
database write fails, the stored file is removed again.
"""

import hashlib
import io
import os
import unicodedata
import warnings
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from varna.cases import selectors as case_selectors
from varna.cases import services as case_services
from varna.cases.access import HANDLERS, capacity
from varna.cases.models import Case, State
from varna.orgs.access import AnyUser
from varna.orgs.models import User
from varna.reporting import access as report_access
from varna.reporting import selectors as report_selectors
from varna.reporting.models import Attachment, Report

Part = Attachment.Part

LABEL_MAX = 100
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file: what it is stored and served as."""

    content_type: str
    extension: str
    name: str  # shown in the form's help text
    image_format: str = ""  # Pillow's format: set for images, which are re-encoded


# What `filetype` detects from the content, mapped to how the file is kept. Anything else is
# refused. (filetype names WAV and FLAC with the old x- types; they are served as the standard.)
ACCEPTED: dict[str, FileType] = {
    "image/jpeg": FileType("image/jpeg", ".jpg", "JPEG", "JPEG"),
    "image/png": FileType("image/png", ".png", "PNG", "PNG"),
    "image/gif": FileType("image/gif", ".gif", "GIF", "GIF"),
    "image/webp": FileType("image/webp", ".webp", "WebP", "WEBP"),
    "application/pdf": FileType("application/pdf", ".pdf", "PDF"),
    "audio/mpeg": FileType("audio/mpeg", ".mp3", "MP3"),
    "audio/mp4": FileType("audio/mp4", ".m4a", "M4A"),
    "audio/ogg": FileType("audio/ogg", ".ogg", "Ogg"),
    "audio/x-wav": FileType("audio/wav", ".wav", "WAV"),
    "audio/amr": FileType("audio/amr", ".amr", "AMR"),
    "audio/x-flac": FileType("audio/flac", ".flac", "FLAC"),
}


def accepted_names() -> str:
    """The accepted kinds of file, for help texts: "JPEG, PNG, …"."""
    return ", ".join(kind.name for kind in ACCEPTED.values())


def accept_attribute() -> str:
    """The accepted types for the file input's `accept` (a hint to the browser only)."""
    types = sorted({kind.content_type for kind in ACCEPTED.values()})
    return ",".join(types + sorted({kind.extension for kind in ACCEPTED.values()}))


# Who may add and read ------------------------------------------------------------------------


def addable_parts(user: AnyUser, case: Case) -> list[str]:
    """The parts the user may add files to: all three for the case's handlers, the report and
    the actor part for the employee (who reported it or whom it is about); none for others."""
    if capacity(user, case) in HANDLERS:
        return [Part.REPORT, Part.ACTOR, Part.CASE]
    if report_access.is_own(user, case.report):
        return [Part.REPORT, Part.ACTOR]
    return []


def case_for_adding(user: AnyUser, code: str) -> tuple[Case, list[str]]:
    """The case of the report with this code and the parts the user may add files to; 404 if
    they may add to none. A closed case is found (the service refuses it with a message)."""
    case = (
        Case.objects.select_related("report", "report__reporter", "report__affected", "unit")
        .prefetch_related("assignments")
        .filter(report__code=code)
        .first()
    )
    parts = addable_parts(user, case) if case is not None else []
    if case is None or not parts:
        raise Http404
    return case, parts


def readable_attachment(user: AnyUser, code: str) -> tuple[Attachment, str]:
    """The attachment with this code and the capacity the user reads it in; 404 unless they
    see the part it belongs to: on the report page (the report and, for those who see it, the
    actor part) or on the case page (as their capacity allows)."""
    attachment = Attachment.objects.select_related("report").filter(code=code).first()
    if attachment is None:
        raise Http404
    report = attachment.report
    if report_access.visible_reports(user).filter(pk=report.pk).exists() and (
        report_selectors.report_attachments(user, report).filter(pk=attachment.pk).exists()
    ):
        return attachment, report_access.viewer_role(user, report)
    case = (
        Case.objects.select_related("report", "unit")
        .prefetch_related("assignments")
        .filter(report=report)
        .first()
    )
    role = capacity(user, case) if case is not None else None
    if (
        case is not None
        and role is not None
        and case_selectors.case_attachments(user, case, role).filter(pk=attachment.pk).exists()
    ):
        return attachment, str(role)
    raise Http404


# Checking an upload --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, ready to store."""

    data: bytes  # what is stored: the upload, or for an image the re-encoded copy
    kind: FileType
    sha256: str  # of the bytes as uploaded
    label: str


def read_bounded(upload: UploadedFile, limit: int) -> bytes:
    """The upload's bytes, but never more than `limit` + 1 (enough to tell it is too large)."""
    upload.seek(0)
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = upload.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def clean_label(name: str, extension: str) -> str:
    """The name shown for a file: its base name without control characters, NFC, at most
    LABEL_MAX characters keeping its extension; a generic name when nothing readable is left.
    Only ever shown: the file is stored under a random name."""
    visible = (
        char
        for char in name or ""
        if unicodedata.category(char)[0] != "C"  # control, format, surrogate, unassigned
    )
    text = unicodedata.normalize("NFC", "".join(visible))
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, ext = os.path.splitext(text)
    if len(ext) > 10 or not ext[1:].isalnum():
        stem, ext = text, ""
    if not any(char.isalnum() for char in stem):
        return _("attachment") + extension
    if len(text) > LABEL_MAX:
        text = stem[: LABEL_MAX - len(ext)].rstrip() + ext
    return text


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Read and check one upload; raise ValidationError with a message saying what is wrong."""
    limit = settings.VARNA_ATTACHMENT_MAX_BYTES
    data = read_bounded(upload, limit)
    if not data:
        raise _refuse(_("The file is empty (0 bytes). Choose the file again."), "empty")
    if len(data) > limit:
        raise _refuse(
            _("The file is larger than %(limit)s, the most one file may be.")
            % {"limit": filesizeformat(limit)},
            "too_large",
        )
    detected = filetype.guess_mime(data)
    kind = ACCEPTED.get(detected or "")
    if kind is None:
        raise _refuse(
            _(
                "This kind of file cannot be added, whatever its name says. "
                "Accepted: %(types)s. Save a document as PDF, or take a screenshot."
            )
            % {"types": accepted_names()},
            "type",
        )
    stored = _clean_image(data, kind) if kind.image_format else data
    return CheckedFile(
        data=stored,
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        label=clean_label(upload.name or "", kind.extension),
    )


def _clean_image(data: bytes, kind: FileType) -> bytes:
    """The image decoded and saved again with its pixels only: upright, no metadata."""
    unreadable = _refuse(
        _("The picture could not be read. It may be damaged; save it again and try once more."),
        "image",
    )
    too_large = _refuse(
        _("The picture has too many pixels (at most %(pixels)s million). Make it smaller.")
        % {"pixels": settings.VARNA_ATTACHMENT_MAX_PIXELS // 1_000_000 or 1},
        "pixels",
    )
    try:
        with warnings.catch_warnings():
            # Pillow's own guard against decompression bombs: a warning, made an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind.image_format]) as image:
                width, height = image.size
                if width * height > settings.VARNA_ATTACHMENT_MAX_PIXELS:
                    raise too_large
                upright = ImageOps.exif_transpose(image)
            return _encode(upright, kind.image_format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise unreadable from None


def _encode(image: Image.Image, image_format: str) -> bytes:
    # Nothing of the original's info is kept (EXIF, XMP, ICC, comments, text chunks) but the
    # transparent colour, which is part of the picture.
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    if image_format == "JPEG" and image.mode not in {"RGB", "L", "CMYK"}:
        image = image.convert("RGB")
    if image_format == "WEBP" and image.mode not in {"RGB", "RGBA"}:
        image = image.convert("RGBA")
    out = io.BytesIO()
    if image_format in {"JPEG", "WEBP"}:
        image.save(out, format=image_format, quality=90)
    else:
        image.save(out, format=image_format)
    return out.getvalue()


# Adding --------------------------------------------------------------------------------------


def add_attachment(*, report: Report, part: str, upload: UploadedFile, by: User) -> Attachment:
    """Check the upload and keep it with the report in `part`, with a line on the case's
    timeline. Refuses (ValidationError) a closed case, a part the person may not add to, a
    file that fails a check, the same file twice and files beyond the per-case limit."""
    case = Case.objects.select_related("report", "unit").get(report=report)
    if part not in addable_parts(by, case):
        raise _refuse(_("You cannot add files to this part."), "part")
    if case.state == State.CLOSED:
        raise _refuse(_("The case is closed, so no files can be added to it."), "closed")
    checked = check_upload(upload)
    attachment = Attachment(
        report=case.report,
        part=part,
        label=checked.label,
        content_type=checked.kind.content_type,
        extension=checked.kind.extension,
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=by,
    )
    stored = ""
    try:
        with transaction.atomic():
            # Locks the case (two uploads to one case are checked one after the other) and
            # refuses a case closed in the meantime.
            case_services.record_attachment(case, by=by, label=_timeline_label(checked, part))
            _check_room(case, checked)
            attachment.file.save(
                "upload" + checked.kind.extension, ContentFile(checked.data), save=False
            )
            stored = attachment.file.name or ""
            attachment.save()
    except IntegrityError:
        _remove(attachment, stored)
        raise _already_attached() from None
    except BaseException:
        _remove(attachment, stored)
        raise
    return attachment


def _timeline_label(checked: CheckedFile, part: str) -> str:
    # The timeline is read by more people than the actor part (the safety representative):
    # a file's name there could say who did it.
    if part == Part.ACTOR:
        return _("a file about who did it")
    return checked.label


def _already_attached() -> ValidationError:
    return _refuse(_("This file is already attached to the report."), "duplicate")


def _check_room(case: Case, checked: CheckedFile) -> None:
    files = Attachment.objects.filter(report=case.report)
    if files.filter(sha256=checked.sha256).exists():
        raise _already_attached()
    used = files.aggregate(total=Sum("size"))["total"] or 0
    limit = settings.VARNA_ATTACHMENT_CASE_MAX_BYTES
    if used + len(checked.data) > limit:
        raise _refuse(
            _(
                "The report's files would take more than %(limit)s together "
                "(%(used)s used). Add a smaller file."
            )
            % {"limit": filesizeformat(limit), "used": filesizeformat(used)},
            "case_full",
        )


def _remove(attachment: Attachment, name: str) -> None:
    """Remove a stored file whose row was not written: nothing is left half-stored."""
    if name:
        attachment.file.storage.delete(name)
