"""The handbook's pages: reading, searching and printing (read), writing and publishing (edit)."""

from varna.handbook.views.edit import edit, history, new_section, publish, version
from varna.handbook.views.read import (
    contents,
    index,
    pdf_all,
    pdf_section,
    print_all,
    print_section,
    search,
    section,
)

__all__ = [
    "contents",
    "edit",
    "history",
    "index",
    "new_section",
    "pdf_all",
    "pdf_section",
    "print_all",
    "print_section",
    "publish",
    "search",
    "section",
    "version",
]
