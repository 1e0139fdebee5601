"""Who reads and who writes the method handbook: the handbook side of the one access layer.

Everyone who holds a role in a municipality reads its published handbook: an employee's grant
lies deep in the tree, so reading looks up to the municipality rather than down a subtree
(`access.in_municipality`). Editors (Role.EDITOR, granted on the municipality itself) write
drafts and publish them; nobody else sees drafts or the history of drafts. Administrators are
not editors: administering is not writing the routines, and an editor reads no reports.
"""

from django.db.models import QuerySet
from django.http import Http404

from varna.handbook.models import Section
from varna.orgs import access
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Unit

access.register_scoped(Section, "municipality__path")


def municipality_for_reading(user: AnyUser, code: str) -> Unit:
    """The municipality with this code if the user holds a role in it; 404 otherwise."""
    unit = Unit.objects.filter(code=code, parent__isnull=True).first()
    if unit is None or not access.in_municipality(user, unit):
        raise Http404
    return unit


def municipalities(user: AnyUser) -> QuerySet[Unit]:
    """The municipalities whose handbook the user reads."""
    return Unit.objects.filter(path__in=access.municipality_paths(user)).order_by("name")


def may_edit(user: AnyUser, municipality: Unit) -> bool:
    return access.can(user, Action.EDIT_HANDBOOK, municipality)


def section_for_reading(user: AnyUser, code: str, slug: str) -> Section:
    """The section, if it is published and in a municipality the user reads; 404 otherwise.
    Editors of the municipality also reach sections not published yet."""
    municipality = municipality_for_reading(user, code)
    section = (
        Section.objects.select_related("current", "municipality")
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if section is None or (section.current_id is None and not may_edit(user, municipality)):
        raise Http404
    return section


def section_for_editing(user: AnyUser, code: str, slug: str) -> Section:
    """The section if the user edits its municipality's handbook; 404 otherwise."""
    section = section_for_reading(user, code, slug)
    if not may_edit(user, section.municipality):
        raise Http404
    return section
