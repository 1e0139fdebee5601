"""Template tags for pages of other apps that point into the handbook."""

from typing import Any

from django import template

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
