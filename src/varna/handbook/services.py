"""Writes for the method handbook: sections, their links to the work, drafts and publishing.

Each service checks its rules and changes the rows in one transaction; a refusal raises
ValidationError, naming the field where there is one, and stores nothing. The versions are
the section's history: a draft is a new row every time it is saved, publishing a draft gives
it the next number and makes it current, and nothing changes a published version after that.
Two editors may write drafts from the same version at the same time; the first to publish
wins, and the second is told who published what when, with their draft kept to compare and
publish again (see `publish`).
"""

import re
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from varna.core.validators import has_visible_character
from varna.handbook import access, markdown
from varna.handbook import links as link_kinds
from varna.handbook.models import BODY_MAX, TITLE_MAX, Section, SectionLink, SectionVersion
from varna.orgs.models import Unit, User

COMMENT_MAX = 300
POSITION_MAX = 32767  # a PositiveSmallIntegerField
# Lower-case letters, digits and single hyphens: the address stays readable and the same in
# every browser. Words the handbook's own addresses use after the municipality are kept out,
# since a section named so could never be reached.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80
RESERVED_SLUGS = frozenset({"ny", "sok", "utskrift", "pdf"})


def _editor_only(by: User, municipality: Unit) -> None:
    # The views ask first and answer 404; this keeps any other caller to the same rule.
    if not access.may_edit(by, municipality):
        raise PermissionDenied("Not an editor of this municipality's handbook.")


def _check_settings(kind: str, position: int) -> dict[str, str]:
    errors = {}
    if kind not in Section.Kind.values:
        errors["kind"] = _("Choose what kind of section it is.")
    if not 0 <= position <= POSITION_MAX:
        errors["position"] = _("Enter a position from 0 to %(max)s.") % {"max": POSITION_MAX}
    return errors


def _taken() -> str:
    return _("The handbook already has a section with this address.")


@transaction.atomic
def create_section(
    *,
    municipality: Unit,
    slug: str,
    kind: str,
    position: int = 100,
    in_introduction: bool = False,
    links: dict[str, list[str]] | None = None,
    by: User,
) -> Section:
    """A new section of the municipality's handbook, without text until a draft is saved."""
    _editor_only(by, municipality)
    errors = _check_settings(kind, position)
    if municipality.parent_id is not None:
        errors["municipality"] = _("A handbook belongs to a whole municipality.")
    if not SLUG.match(slug) or len(slug) > SLUG_MAX:
        errors["slug"] = _(
            "Use only lower-case letters a–z, digits and hyphens (at most %(max)s), for "
            "example hembesok."
        ) % {"max": SLUG_MAX}
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("This address is used by the handbook itself. Choose another.")
    elif Section.objects.filter(municipality=municipality, slug=slug).exists():
        errors["slug"] = _taken()
    if errors:
        raise ValidationError(errors)
    try:
        # A savepoint: another editor may create the same address between the check above and
        # this write, and the caller's transaction must stay usable for the refusal.
        with transaction.atomic():
            section = Section.objects.create(
                municipality=municipality,
                slug=slug,
                kind=kind,
                position=position,
                in_introduction=in_introduction,
            )
    except IntegrityError:
        # The address is the section's only unique constraint.
        raise ValidationError({"slug": _taken()}) from None
    set_links(section=section, links=links or {})
    return section


@transaction.atomic
def set_links(*, section: Section, links: dict[str, list[str]]) -> None:
    """Tie the section to exactly these values of each kind (any other link is removed)."""
    wanted: set[tuple[str, str]] = set()
    for key, values in links.items():
        kind = link_kinds.kind(key)
        if kind is None:
            raise ValidationError(
                {"links": _("Unknown kind of link: %(kind)s.") % {"kind": key}}, code="kind"
            )
        known = {str(value) for value, _label in kind.choices()}
        for value in values:
            if value not in known:
                raise ValidationError(
                    {
                        "links": _("%(kind)s has no choice %(value)s.")
                        % {"kind": kind.label, "value": value}
                    },
                    code="value",
                )
            wanted.add((key, value))
    existing = set(section.links.values_list("kind", "value"))
    for key, value in existing - wanted:
        section.links.filter(kind=key, value=value).delete()
    SectionLink.objects.bulk_create(
        SectionLink(section=section, kind=key, value=value)
        for key, value in sorted(wanted - existing)
    )


@transaction.atomic
def update_section(
    *,
    section: Section,
    kind: str,
    position: int,
    in_introduction: bool,
    links: dict[str, list[str]],
    by: User,
) -> Section:
    """Change what kind of section it is, where it stands, and what it is tied to. These are
    not versioned: they take effect at once, whatever drafts are waiting."""
    _editor_only(by, section.municipality)
    errors = _check_settings(kind, position)
    if errors:
        raise ValidationError(errors)
    section.kind = kind
    section.position = position
    section.in_introduction = in_introduction
    section.save(update_fields=["kind", "position", "in_introduction", "updated_at"])
    set_links(section=section, links=links)
    return section


def _text_errors(field: str, text: str, *, required: bool) -> dict[str, str]:
    """What is wrong with one Markdown text (Swedish or English), by field."""
    if len(text) > BODY_MAX:
        # Counted before rendering: a text this long is refused without being parsed.
        message = _("The text is %(length)s characters; a section holds at most %(max)s.")
        return {
            field: message
            % {
                "length": number_format(len(text), force_grouping=True),
                "max": number_format(BODY_MAX, force_grouping=True),
            }
        }
    if markdown.too_deep(text):
        message = _(
            "Lists or quotes are nested more than %(levels)s levels deep, and the deepest "
            "would not be shown. Nest them less."
        )
        return {field: message % {"levels": markdown.MAX_NESTING - 2}}
    if (required or text) and not markdown.plain(text):
        return {field: _("The text shows nothing yet. Write what the section says.")}
    return {}


def _title_errors(field: str, title: str) -> dict[str, str]:
    if not has_visible_character(title):
        return {field: _("Write a title.")}
    if len(title) > TITLE_MAX:
        return {field: _("Keep the title to %(max)s characters.") % {"max": TITLE_MAX}}
    return {}


@transaction.atomic
def save_draft(
    *,
    section: Section,
    title: str,
    body: str,
    title_en: str = "",
    body_en: str = "",
    comment: str = "",
    base_number: int | None,
    by: User,
) -> SectionVersion:
    """A new draft of the section, written from its published version `base_number` (None:
    from nothing). Every save is a new row, so a published version is never touched."""
    _editor_only(by, section.municipality)
    # Browsers send a text area's line breaks as CR LF; one kind of break keeps lengths and
    # differences honest.
    title, title_en = title.strip(), title_en.strip()
    body, body_en = body.replace("\r\n", "\n"), body_en.replace("\r\n", "\n")
    # English that shows nothing is no English: the Swedish is shown instead.
    title_en = title_en if has_visible_character(title_en) else ""
    body_en = body_en if has_visible_character(body_en) else ""
    comment = comment.strip()
    base = None
    if base_number is not None:
        base = section.versions.filter(
            status=SectionVersion.Status.PUBLISHED, number=base_number
        ).first()
        if base is None:
            raise ValidationError(
                _("The version this text was written from does not exist. Open the section again."),
                code="base",
            )
    errors = _title_errors("title", title) | _text_errors("body", body, required=True)
    if title_en or body_en:
        if not title_en:
            errors["title_en"] = _("Give the English text a title too.")
        elif "title_en" not in errors:
            errors |= _title_errors("title_en", title_en)
        if not body_en:
            errors["body_en"] = _("Write the English text too, or leave the English title empty.")
        else:
            errors |= _text_errors("body_en", body_en, required=True)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("Keep this to %(max)s characters.") % {"max": COMMENT_MAX}
    if errors:
        raise ValidationError(errors)
    if (
        base is not None
        and base.pk == section.current_id
        and (base.title, base.body, base.title_en, base.body_en) == (title, body, title_en, body_en)
    ):
        raise ValidationError(
            _("Nothing has changed since version %(number)s, so there is nothing to save.")
            % {"number": base.number},
            code="unchanged",
        )
    return SectionVersion.objects.create(
        section=section,
        base_number=base_number,
        title=title,
        body=body,
        title_en=title_en,
        body_en=body_en,
        html=markdown.render(body),
        html_en=markdown.render(body_en) if body_en else "",
        comment=comment,
        created_by=by,
    )


def _conflict(current: SectionVersion | None) -> ValidationError:
    """The refusal that tells who published which version when, and that the draft is kept."""
    if current is None or current.published_at is None:
        # Only a hand-made row could lead here: every published version stays current or
        # is followed by a newer one.
        return ValidationError(
            _("This draft was not written from the current version. Your draft is kept."),
            code="conflict",
        )
    who = current.published_by
    return ValidationError(
        _(
            "%(name)s published version %(number)s at %(at)s, after this draft was "
            "started. Your draft is kept: open it, compare it with version %(number)s "
            "and publish again."
        )
        % {
            "name": str(who) if who else _("Another editor"),
            "number": current.number,
            "at": date_format(timezone.localtime(current.published_at), "Y-m-d H:i"),
        },
        code="conflict",
    )


@transaction.atomic
def publish(*, version: SectionVersion, by: User, now: datetime | None = None) -> SectionVersion:
    """Make the draft the section's current version with the next number. Refused when the
    draft was not written from the version that is current now: someone published between."""
    # The section row is the lock: two editors publishing at once queue here, and the second
    # sees the first one's version as current.
    section = Section.objects.select_for_update().get(pk=version.section_id)
    _editor_only(by, section.municipality)
    version = SectionVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationError(
            _("Version %(number)s is already published; a published version stays as it is.")
            % {"number": version.number},
            code="published",
        )
    current_version = (
        SectionVersion.objects.select_related("published_by").get(pk=section.current_id)
        if section.current_id
        else None
    )
    current_number = current_version.number if current_version else None
    if version.base_number != current_number:
        raise _conflict(current_version)
    highest = section.versions.aggregate(highest=Max("number"))["highest"] or 0
    version.status = SectionVersion.Status.PUBLISHED
    version.number = highest + 1
    version.published_at = now or timezone.now()
    version.published_by = by
    version.save(update_fields=["status", "number", "published_at", "published_by"])
    section.current = version
    section.save(update_fields=["current", "updated_at"])
    return version
