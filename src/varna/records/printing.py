"""PDFs of the record (register extracts, copies for public-records requests), made like the
committee report: a template rendered to HTML, then WeasyPrint with stylesheets read from disk
and the system's fonts, so nothing is fetched over the network."""

from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

STYLESHEETS = ["varna/css/print.css", "varna/css/records.css"]


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template as a PDF (rendered with `web` False: no links back into the app)."""
    from weasyprint import CSS, HTML

    html = render_to_string(template, context | {"web": False})
    sheets = [CSS(filename=finders.find(path)) for path in STYLESHEETS]
    return bytes(HTML(string=html).write_pdf(stylesheets=sheets))
