"""What the attachment form tells people: the accepted types and the limits (from settings)."""

from django import template
from django.conf import settings

from varna.records.attachments import accept_attribute, accepted_names
from varna.reporting.models import Attachment

register = template.Library()


@register.simple_tag
def attachment_rules() -> dict[str, object]:
    return {
        "types": accepted_names(),
        "accept": accept_attribute(),
        "max_file": settings.VARNA_ATTACHMENT_MAX_BYTES,
        "max_case": settings.VARNA_ATTACHMENT_CASE_MAX_BYTES,
        "parts": Attachment.Part.choices,
    }
