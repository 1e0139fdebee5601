"""Template tags for the handbook's own pages and for pages of other apps that point into it."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from varna.handbook import selectors
from varna.handbook.selectors import Entry
from varna.orgs.models import Unit

register = template.Library()


@register.simple_tag(takes_context=True)
def routines_for_risk(context: Any, unit: Unit, situation: str) -> list[Entry]:
    """The published routines of the unit's municipality tied to the risk situation.

    A table of risks asks once per row; the municipality's routines are looked up once per
    rendering of the template and kept in its render context."""
    key = ("handbook.routines_for_risk", unit.pk)
    cache = context.render_context
    if key not in cache:
        cache[key] = selectors.routines_by_risk_situation(unit.municipality())
    return list(cache[key].get(situation, []))


@register.filter
def headings_from(html: str, top: int) -> SafeString:
    """A version's `html` or `html_en` with the author's highest heading made an <h`top`>, so
    that the page keeps its title as the one h1. Only for those two fields: they were
    rendered from Markdown and sanitised when the version was saved (varna.handbook.markdown).
    """
    return mark_safe(selectors.with_headings_from(str(html), int(top)))  # noqa: S308
