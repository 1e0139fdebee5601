"""Attachments: what is accepted and how it is kept, who may add and download, bad input."""

import hashlib
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import constants, get_messages
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import DatabaseError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from PIL import ExifTags, Image, PngImagePlugin

from varna.cases import services as case_services
from varna.cases.models import Case, CaseEvent
from varna.orgs.models import Role, User
from varna.records import attachments
from varna.reporting.models import Attachment, ReadLog
from varna.reporting.services import submit_report

ROOT = Path(__file__).resolve().parents[1]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"PE\x00\x00"


def case_for(cast, *, by: str = "medarbetare") -> Case:
    data = {
        "main_form": "threat",
        "occurred_on": timezone.localdate(),
        "unit": cast.unit("DEMO-FSE1A"),
        "description": "Ett hotfullt brev kom till kontoret.",
    }
    report, _created = submit_report(reporter=cast[by], data=data, idempotency_key=uuid.uuid4())
    return Case.objects.select_related("report", "unit").get(report=report)


def pdf(size: int | None = None, *, tag: str = "") -> bytes:
    """A small PDF, padded to exactly `size` bytes; `tag` makes its content (and hash) unique."""
    body = PDF + f"% {tag or uuid.uuid4().hex}\n".encode()
    if size is None:
        return body
    assert size >= len(body)
    return body + b"%" * (size - len(body))


def photo(
    size: tuple[int, int] = (20, 10), *, description: str = "", comment: bytes = b""
) -> bytes:
    """A JPEG as a phone makes it: turned by EXIF orientation, with the GPS position and XMP."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown turned a quarter: 20x10 stored, 10x20 seen
    exif[ExifTags.Base.Make] = "Telefon"
    if description:
        exif[ExifTags.Base.ImageDescription] = description
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (59.0, 19.0, 30.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (18.0, 4.0, 10.0),
        }
    )
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>59,19N</exif:GPSLatitude>'
    image.save(out, "JPEG", exif=exif, comment=comment, xmp=xmp + b"</x:xmpmeta>")
    return out.getvalue()


def stored_files() -> set[str]:
    root = storages["attachments"].location
    return {
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def post_file(client, case: Case, name: str, data: bytes, **fields: str):
    url = reverse("records:attachment_add", kwargs={"code": case.code})
    return client.post(url, {"file": upload(name, data), "back": "report", **fields})


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def download(client, attachment: Attachment):
    return client.get(reverse("records:attachment", kwargs={"code": attachment.code}))


def add(cast, case: Case, data: bytes, *, by: str = "medarbetare", part: str = "report", name=""):
    return attachments.add_attachment(
        report=case.report, part=part, upload=upload(name or "fil.pdf", data), by=cast[by]
    )


def refused(case: Case, call, code: str) -> ValidationError:
    """`call` is refused with the error `code`, and nothing was kept: no row, no file, no line
    on the timeline."""
    rows = Attachment.objects.count()
    files = stored_files()
    events = CaseEvent.objects.filter(case=case).count()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        call()
    assert info.value.code == code, info.value.messages
    assert Attachment.objects.count() == rows
    assert stored_files() == files
    assert CaseEvent.objects.filter(case=case).count() == events
    return info.value


# Adding: the rules -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_employee_adds_a_file_to_their_report_under_a_random_name(cast):
    case = case_for(cast)
    data = pdf()
    client = english(cast.client("medarbetare"))
    response = post_file(client, case, "Brevet från klienten.pdf", data)
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:detail", kwargs={"code": case.code})
    assert [level for level, _text in messages_of(response)] == [constants.SUCCESS]
    attachment = Attachment.objects.get(report=case.report)
    assert attachment.label == "Brevet från klienten.pdf"
    assert attachment.part == Attachment.Part.REPORT
    assert attachment.content_type == "application/pdf" and attachment.extension == ".pdf"
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.uploaded_by == cast["medarbetare"]
    # Stored through the storage under a name of its own, never the person's.
    assert "Brevet" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    assert attachment.file.name in stored_files()
    with attachment.file.open("rb") as stored:
        assert stored.read() == data
    # A line on the case's timeline, which the employee sees too.
    event = CaseEvent.objects.get(case=case, kind="attachment")
    assert event.actor == cast["medarbetare"] and event.note == attachment.label


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (PDF, "application/pdf", ".pdf"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64, "audio/mpeg", ".mp3"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 64, "audio/mp4", ".m4a"),
        (b"OggS\x00\x02" + b"\x00" * 64, "audio/ogg", ".ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64, "audio/wav", ".wav"),
        (b"#!AMR\n" + b"\x00" * 64, "audio/amr", ".amr"),
        (b"fLaC\x00\x00\x00\x22" + b"\x00" * 64, "audio/flac", ".flac"),
    ],
    ids=["pdf", "mp3", "m4a", "ogg", "wav", "amr", "flac"],
)
def test_documents_and_recordings_on_the_allow_list_are_kept_as_they_came(
    data, content_type, extension
):
    checked = attachments.check_upload(upload("inspelning.bin", data))
    assert checked.kind.content_type == content_type
    assert checked.kind.extension == extension
    assert checked.data == data  # not images: kept byte for byte


@pytest.mark.parametrize(
    "data",
    [
        EXE,  # a Windows program
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64,  # a Linux program
        b"PK\x03\x04" + b"\x00" * 64,  # a zip archive (also every .docx)
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"plain text that is not on the list",
    ],
    ids=["exe", "elf", "zip", "html", "svg", "text"],
)
def test_a_file_not_on_the_allow_list_is_refused_whatever_its_name(data):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        attachments.check_upload(upload("brev.pdf", data))
    assert info.value.code == "type"
    assert "whatever its name says" in info.value.messages[0]


@pytest.mark.django_db
def test_an_executable_named_pdf_is_refused_with_a_message_and_nothing_kept(cast):
    case = case_for(cast)
    files = stored_files()
    client = english(cast.client("medarbetare"))
    response = post_file(client, case, "faktura.pdf", EXE)
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == constants.ERROR
    assert "was not added" in text and "whatever its name says" in text
    assert not Attachment.objects.filter(report=case.report).exists()
    assert stored_files() == files
    assert not CaseEvent.objects.filter(case=case, kind="attachment").exists()


@pytest.mark.django_db
def test_a_zero_byte_file_is_refused_with_its_own_message(cast):
    case = case_for(cast)
    refused(case, lambda: add(cast, case, b""), "empty")
    # Through the form too: the form lets it through to the service's message.
    response = post_file(english(cast.client("medarbetare")), case, "tom.pdf", b"")
    [(level, text)] = messages_of(response)
    assert level == constants.ERROR and "empty (0 bytes)" in text
    assert not Attachment.objects.filter(report=case.report).exists()


@pytest.mark.django_db
def test_posting_without_a_file_says_to_choose_one(cast):
    case = case_for(cast)
    client = english(cast.client("medarbetare"))
    url = reverse("records:attachment_add", kwargs={"code": case.code})
    response = client.post(url, {"back": "report"})
    [(level, text)] = messages_of(response)
    assert level == constants.ERROR and "Choose a file" in text


@pytest.mark.django_db
@override_settings(VARNA_ATTACHMENT_MAX_BYTES=1000)
def test_a_file_of_exactly_the_limit_is_kept_and_one_byte_over_is_refused(cast):
    case = case_for(cast)
    error = refused(case, lambda: add(cast, case, pdf(1001)), "too_large")
    assert "1000" in error.messages[0] or "KB" in error.messages[0]
    assert add(cast, case, pdf(1000)).size == 1000


class CountingFile(io.BytesIO):
    """A file that counts how much was read from it."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data


def test_a_large_upload_is_read_only_up_to_the_limit_and_one_byte():
    body = CountingFile(b"%PDF" + b"x" * 500_000)
    with override_settings(VARNA_ATTACHMENT_MAX_BYTES=1000), pytest.raises(ValidationError):
        attachments.check_upload(UploadedFile(body, name="stor.pdf", size=500_004))
    assert body.consumed == 1001


@pytest.mark.django_db
@override_settings(VARNA_ATTACHMENT_CASE_MAX_BYTES=1500)
def test_the_files_of_one_report_together_stay_within_the_per_case_limit(cast):
    case = case_for(cast)
    add(cast, case, pdf(1000))
    refused(case, lambda: add(cast, case, pdf(501)), "case_full")
    # Up to the limit exactly is fine, for the handler's files as for the employee's.
    add(cast, case, pdf(500), by="forste", part="case")
    assert sum(Attachment.objects.filter(report=case.report).values_list("size", flat=True)) == (
        1500
    )


@pytest.mark.django_db
def test_the_same_file_twice_on_one_report_is_kept_once(cast):
    case = case_for(cast)
    data = pdf()
    add(cast, case, data)
    error = refused(case, lambda: add(cast, case, data, by="forste", part="case"), "duplicate")
    assert "already attached" in error.messages[0]
    assert Attachment.objects.filter(report=case.report).count() == 1
    # Another report may hold the same file.
    assert add(cast, case_for(cast), data).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.django_db
def test_the_same_image_twice_is_recognised_by_the_uploaded_bytes(cast):
    case = case_for(cast)
    data = photo()
    add(cast, case, data, name="bild.jpg")
    refused(case, lambda: add(cast, case, data, name="bild igen.jpg"), "duplicate")


@pytest.mark.django_db
def test_a_closed_case_takes_no_files_from_anyone(cast):
    case = case_for(cast)
    case_services.close_not_unlawful(case, by=cast["forste"], reason="Ett överklagande.")
    refused(case, lambda: add(cast, case, pdf()), "closed")
    refused(case, lambda: add(cast, case, pdf(), by="forste", part="case"), "closed")
    response = post_file(english(cast.client("medarbetare")), case, "sent.pdf", pdf())
    [(level, text)] = messages_of(response)
    assert level == constants.ERROR and "closed" in text
    # And the employee's report page no longer offers the form.
    page = cast.client("medarbetare").get(reverse("reporting:detail", kwargs={"code": case.code}))
    assert 'enctype="multipart/form-data"' not in page.content.decode()


@pytest.mark.django_db
def test_the_employee_adds_to_the_report_and_actor_parts_but_not_the_case(cast):
    case = case_for(cast)
    assert add(cast, case, pdf(), part="actor").part == "actor"
    refused(case, lambda: add(cast, case, pdf(), part="case"), "part")
    response = post_file(cast.client("medarbetare"), case, "x.pdf", pdf(), part="case")
    assert response.status_code == 302
    assert not Attachment.objects.filter(report=case.report, part="case").exists()


@pytest.mark.django_db
def test_a_file_about_who_did_it_is_not_named_on_the_timeline(cast):
    case = case_for(cast)
    add(cast, case, pdf(), part="actor", name="Klient Hemlig-Namnsson hotar.pdf")
    event = CaseEvent.objects.get(case=case, kind="attachment")
    assert "Hemlig" not in event.note


@pytest.mark.django_db
def test_nothing_is_half_stored_when_the_database_write_fails(cast, monkeypatch):
    case = case_for(cast)
    files = stored_files()

    def failing_save(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Attachment, "save", failing_save)
    with pytest.raises(DatabaseError):
        add(cast, case, pdf())
    assert stored_files() == files
    assert not CaseEvent.objects.filter(case=case, kind="attachment").exists()


@pytest.mark.django_db
def test_two_uploads_of_one_file_at_once_keep_one_and_tell_the_second(cast, monkeypatch):
    case = case_for(cast)
    data = pdf()
    add(cast, case, data)
    # The second upload passed its check before the first was written: the database's
    # constraint stops it, and its stored file is removed again.
    monkeypatch.setattr(attachments, "_check_room", lambda case, checked: None)
    refused(case, lambda: add(cast, case, data), "duplicate")


# Names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\brev.pdf", "brev.pdf"),
        ("brev\x00.exe.pdf", "brev.exe.pdf"),
        ("ra\u0308kning\u202e.pdf", "räkning.pdf"),  # NFC; a direction override removed
        ("😀", "attachment.pdf"),
        ("😀😀.pdf", "attachment.pdf"),
        ("../..", "attachment.pdf"),
        ("", "attachment.pdf"),
        ("   brev 2.pdf  ", "brev 2.pdf"),
    ],
)
def test_a_name_is_cleaned_to_a_label_that_is_only_shown(name, label):
    with translation.override("en"):
        assert attachments.clean_label(name, ".pdf") == label


def test_a_300_character_name_is_cut_to_100_keeping_its_extension():
    label = attachments.clean_label("å" * 296 + ".pdf", ".pdf")
    assert len(label) == 100 and label.endswith("å.pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("..\\..\\hemligt.pdf", "hemligt.pdf"),
        ("brev\x00.pdf", "brev.pdf"),
        ("b" * 296 + ".pdf", "b" * 96 + ".pdf"),
        ("😀.pdf", "attachment.pdf"),
    ],
)
def test_bad_names_through_the_form_become_clean_labels(cast, name, label):
    case = case_for(cast)
    response = post_file(english(cast.client("medarbetare")), case, name, pdf())
    assert response.status_code == 302
    attachment = Attachment.objects.get(report=case.report)
    assert attachment.label == label
    assert name not in attachment.file.name and ".." not in attachment.file.name


# Images ----------------------------------------------------------------------------------


def reopened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_photo_loses_its_gps_position_exif_xmp_and_comment_and_stays_upright():
    original = photo(comment=b"Taken at home")
    assert reopened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise
    checked = attachments.check_upload(upload("IMG_0001.JPG", original))
    image = reopened(checked.data)
    assert image.format == "JPEG" and checked.kind.extension == ".jpg"
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    assert b"Telefon" not in checked.data and b"GPSLatitude" not in checked.data
    # Turned by the orientation it had, so it still looks as it did on the phone.
    assert image.size == (10, 20)
    # The hash is of what was uploaded (so the same photo twice is recognised).
    assert checked.sha256 == hashlib.sha256(original).hexdigest()


def test_an_image_whose_metadata_is_larger_than_its_pixels_comes_out_small():
    original = photo((8, 8), description="d" * 60_000, comment=b"c" * 60_000)
    assert len(original) > 120_000
    checked = attachments.check_upload(upload("liten.jpg", original))
    assert len(checked.data) < 2_000
    assert reopened(checked.data).size == (8, 8)


def test_a_png_with_megabytes_of_text_chunks_comes_out_small_and_keeps_transparency():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "x" * 2_000_000)
    info.add_text("XML:com.adobe.xmp", "<gps>59,19N</gps>" * 1000, zip=True)
    out = io.BytesIO()
    Image.new("RGBA", (4, 4), (10, 20, 30, 128)).save(out, "PNG", pnginfo=info)
    checked = attachments.check_upload(upload("skärmbild.png", out.getvalue()))
    assert len(checked.data) < 1_000
    image = reopened(checked.data)
    assert not set(image.info) & {"Comment", "XML:com.adobe.xmp"}
    assert image.getpixel((0, 0)) == (10, 20, 30, 128)


@pytest.mark.parametrize("image_format", ["GIF", "WEBP"])
def test_gif_and_webp_images_are_re_encoded_in_their_own_format(image_format):
    out = io.BytesIO()
    metadata = {"GIF": {"comment": b"hemma"}, "WEBP": {"xmp": b"<gps>hemma</gps>"}}
    Image.new("RGB", (6, 6), (0, 0, 255)).save(out, image_format, **metadata[image_format])
    assert b"hemma" in out.getvalue()  # the test's premise
    checked = attachments.check_upload(upload("bild", out.getvalue()))
    assert reopened(checked.data).format == image_format
    assert b"hemma" not in checked.data


def forged_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    import struct
    import zlib

    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 8_000)])
def test_a_decompression_bomb_is_refused_with_a_message_before_it_is_decoded(size):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        attachments.check_upload(upload("bomb.png", forged_png(*size)))
    assert info.value.code == "pixels"
    assert "too many pixels" in info.value.messages[0]


@override_settings(VARNA_ATTACHMENT_MAX_PIXELS=100)
def test_an_image_over_the_pixel_setting_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (11, 10)).save(out, "PNG")
    with pytest.raises(ValidationError) as info:
        attachments.check_upload(upload("stor.png", out.getvalue()))
    assert info.value.code == "pixels"


@pytest.mark.parametrize(
    "data",
    [b"\xff\xd8\xff\xe0" + b"\x00" * 100, photo()[:300], b"\x89PNG\r\n\x1a\n" + b"x" * 50],
    ids=["jpeg-header-only", "jpeg-cut-short", "png-garbage"],
)
def test_an_image_pillow_cannot_decode_is_refused_with_a_message(data):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        attachments.check_upload(upload("trasig.jpg", data))
    assert info.value.code == "image"
    assert "could not be read" in info.value.messages[0]


# Downloading -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manager_downloads_the_employees_photo_without_its_gps_data(cast):
    case = case_for(cast)
    post_file(cast.client("medarbetare"), case, "IMG_0001.JPG", photo())
    attachment = Attachment.objects.get(report=case.report)
    response = download(cast.client("forste"), attachment)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    image = reopened(data)
    assert len(image.getexif()) == 0 and "exif" not in image.info
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


@pytest.mark.django_db
def test_a_download_is_an_attachment_named_by_the_report_never_by_the_person(cast):
    case = case_for(cast)
    add(cast, case, pdf(), name="första.pdf")
    second = add(cast, case, photo(), name="Sara Svensson hemma.jpg")
    response = download(cast.client("forste"), second)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (f'attachment; filename="{case.report.number}-2.jpg"')
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_every_download_is_in_the_read_log(cast):
    case = case_for(cast)
    report_file = add(cast, case, pdf())
    actor_file = add(cast, case, pdf(), part="actor")
    manager = cast.client("forste")
    for _time in range(2):
        assert download(manager, report_file).status_code == 200
    assert download(manager, actor_file).status_code == 200
    assert download(cast.client("medarbetare"), report_file).status_code == 200
    reads = ReadLog.objects.filter(report=case.report, part__startswith="attachment")
    assert sorted(reads.values_list("user__username", "part", "role")) == [
        ("forste", "attachment", "manager"),
        ("forste", "attachment", "manager"),
        ("forste", "attachment+actor", "manager"),
        ("medarbetare", "attachment", "reporter"),
    ]


def other_employee() -> User:
    return (
        User.objects.filter(employments__unit__code="DEMO-FSE1A")
        .exclude(role_grants__role__in=[role for role in Role if role != Role.EMPLOYEE])
        .exclude(username="medarbetare")
        .order_by("pk")
        .first()
    )


@pytest.mark.django_db
def test_each_reader_downloads_only_the_parts_they_see(cast):
    case = case_for(cast)
    case_services.assign(case, by=cast["forste"], user=cast["utredare"])
    files = {
        "report": add(cast, case, pdf()),
        "actor": add(cast, case, pdf(), part="actor"),
        "case": add(cast, case, pdf(), by="forste", part="case"),
    }
    stranger = other_employee()
    assert stranger is not None
    expected = {
        "medarbetare": {"report": 200, "actor": 200, "case": 404},
        "forste": {"report": 200, "actor": 200, "case": 200},
        "enhetschef": {"report": 200, "actor": 200, "case": 200},
        "skyddsombud": {"report": 200, "actor": 404, "case": 200},
        "utredare": {"report": 200, "actor": 404, "case": 200},
        "hr": {"report": 404, "actor": 404, "case": 404},
        "sakerhet": {"report": 404, "actor": 404, "case": 404},
        "chef.grannby": {"report": 404, "actor": 404, "case": 404},
        "admin": {"report": 404, "actor": 404, "case": 404},
        stranger.username: {"report": 404, "actor": 404, "case": 404},
    }
    got = {
        name: {part: download(cast.client(name), item).status_code for part, item in files.items()}
        for name in expected
    }
    assert got == expected
    assert cast.client(None).get(f"/bilagor/{files['report'].code}/").status_code == 302
    assert cast.client("forste").get("/bilagor/finns-inte/").status_code == 404


@pytest.mark.django_db
def test_a_file_missing_from_storage_is_a_404_not_an_error(cast):
    case = case_for(cast)
    attachment = add(cast, case, pdf())
    attachment.file.storage.delete(attachment.file.name)
    assert download(cast.client("forste"), attachment).status_code == 404


# Who may add, and the pages ----------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_employee_and_the_handlers_may_add(cast):
    case = case_for(cast)
    for name in ["skyddsombud", "hr", "utredare", "chef.grannby", other_employee().username]:
        response = post_file(cast.client(name), case, "x.pdf", pdf())
        assert response.status_code == 404, name
    assert not Attachment.objects.filter(report=case.report).exists()
    response = post_file(cast.client("forste"), case, "x.pdf", pdf(), part="actor", back="case")
    assert response["Location"] == reverse("cases:detail", kwargs={"code": case.code})
    assert Attachment.objects.get(report=case.report).part == "actor"


@pytest.mark.django_db
def test_the_form_goes_back_only_to_the_report_or_case_page(cast):
    case = case_for(cast)
    report_page = reverse("reporting:detail", kwargs={"code": case.code})
    for name, back in [("forste", "https://evil.example/"), ("medarbetare", "case")]:
        response = post_file(cast.client(name), case, "x.pdf", pdf(), back=back)
        assert response["Location"] == report_page, name


@pytest.mark.django_db
def test_the_pages_list_the_files_each_reader_may_see_and_offer_the_form(cast):
    case = case_for(cast)
    add(cast, case, pdf(), name="Brevet.pdf")
    add(cast, case, pdf(), part="actor", name="Hotaren.pdf")
    add(cast, case, pdf(), by="forste", part="case", name="Anteckning.pdf")
    report_url = reverse("reporting:detail", kwargs={"code": case.code})
    case_url = reverse("cases:detail", kwargs={"code": case.code})

    own = cast.client("medarbetare").get(report_url).content.decode()
    assert "Brevet.pdf" in own and "Hotaren.pdf" in own and "Anteckning.pdf" not in own
    assert 'enctype="multipart/form-data"' in own and 'name="part"' not in own

    manager = cast.client("forste").get(case_url).content.decode()
    assert all(label in manager for label in ["Brevet.pdf", "Hotaren.pdf", "Anteckning.pdf"])
    assert 'enctype="multipart/form-data"' in manager and 'name="part"' in manager

    safety = cast.client("skyddsombud").get(case_url).content.decode()
    assert "Brevet.pdf" in safety and "Anteckning.pdf" in safety and "Hotaren.pdf" not in safety
    assert 'enctype="multipart/form-data"' not in safety
    safety_report = cast.client("skyddsombud").get(report_url).content.decode()
    assert "Brevet.pdf" in safety_report and "Hotaren.pdf" not in safety_report

    hr = cast.client("hr").get(case_url).content.decode()
    assert not any(label in hr for label in ["Brevet.pdf", "Hotaren.pdf", "Anteckning.pdf"])


# Storage -------------------------------------------------------------------------------------


def storage_with(**env: str) -> list[str]:
    """The attachments storage as settings make it in a fresh interpreter (settings are read
    at start); nothing is contacted."""
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import storages;"
        "s = storages['attachments'];"
        "print(type(s).__module__ + '.' + type(s).__name__, s.location);"
        "print(getattr(s, 'bucket_name', ''), getattr(s, 'default_acl', ''),"
        " getattr(s, 'endpoint_url', ''), getattr(s, 'file_overwrite', ''))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VARNA_", "DJANGO_"))}
    clean |= {
        "DJANGO_SETTINGS_MODULE": "varna.settings",
        "VARNA_DATA_DIR": str(ROOT / "var"),
        "VARNA_SECRET_KEY": "x" * 50,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean | env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_bucket_setting_stores_attachments_in_s3_compatible_object_storage():
    found = storage_with(
        VARNA_ATTACHMENT_BUCKET="varna-bilagor",
        VARNA_ATTACHMENT_ENDPOINT="https://s3.kommun.example",
    )
    assert found == [
        "storages.backends.s3.S3Storage",
        "varna",
        "varna-bilagor",
        "private",
        "https://s3.kommun.example",
        "False",
    ]


def test_without_a_bucket_attachments_stay_on_the_file_system_outside_the_static_root():
    found = storage_with()
    assert found[:2] == [
        "django.core.files.storage.filesystem.FileSystemStorage",
        str(ROOT / "var" / "attachments"),
    ]
    assert not found[1].startswith(str(ROOT / "var" / "static"))
