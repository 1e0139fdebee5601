"""Forms for writing the handbook. They check the shape of what was typed; the rules of the
handbook (how long, how deep, English with English) are the services', whose refusals the
views put back next to the fields with everything typed still in place."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from varna.core import forms as base
from varna.handbook import links as link_kinds
from varna.handbook.models import TITLE_MAX, Section
from varna.handbook.services import COMMENT_MAX, POSITION_MAX, SLUG_MAX

LINK_PREFIX = "link_"


class SettingsForm(base.Form):
    """What kind of section it is, where it stands, and what in the work it is tied to: one
    group of checkboxes per kind of link the other apps have registered."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=Section.Kind.choices, widget=forms.RadioSelect
    )
    position = forms.IntegerField(
        label=_("Place in the table of contents"),
        min_value=0,
        max_value=POSITION_MAX,
        initial=100,
        help_text=_("Sections with lower numbers come first."),
    )
    in_introduction = forms.BooleanField(
        label=_("Part of the introduction for new employees"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in link_kinds.kinds():
            self.fields[LINK_PREFIX + kind.key] = forms.MultipleChoiceField(
                label=str(kind.label),
                choices=kind.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    @property
    def link_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(LINK_PREFIX)]

    @property
    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("kind", "position", "in_introduction")]

    def links(self) -> dict[str, list[str]]:
        """The ticked values by kind of link, for services.set_links."""
        return {
            name.removeprefix(LINK_PREFIX): list(self.cleaned_data.get(name) or [])
            for name in self.fields
            if name.startswith(LINK_PREFIX)
        }

    @staticmethod
    def initial_of(section: Section) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": section.kind,
            "position": section.position,
            "in_introduction": section.in_introduction,
        }
        for kind, value in section.links.values_list("kind", "value"):
            initial.setdefault(LINK_PREFIX + kind, []).append(value)
        return initial


class TextForm(base.Form):
    """The text of a draft. The text areas have no length limit in the browser: a browser
    would cut a long paste short without a word, so the service counts and says instead."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("Written in Markdown; see how below."),
    )
    title_en = forms.CharField(label=_("Title in English"), max_length=TITLE_MAX, required=False)
    body_en = forms.CharField(
        label=_("Text in English"),
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "lang": "en"}),
        help_text=_("Shown to those who use Värna in English; the Swedish text otherwise."),
    )
    comment = forms.CharField(
        label=_("What changed"),
        max_length=COMMENT_MAX,
        required=False,
        help_text=_("A line for the history, for example “New number to the alarm centre”."),
    )
    # The published version the text was written from: publishing is refused when another
    # version has been published since.
    base_number = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title_en"].widget.attrs["lang"] = "en"


class NewSectionForm(SettingsForm, TextForm):
    """A new section: its address and settings, and the text of its first draft."""

    slug = forms.CharField(
        label=_("Address"),
        max_length=SLUG_MAX,
        help_text=_(
            "The last part of the section's web address: lower-case letters a–z, digits and "
            "hyphens, for example hembesok. It cannot be changed later."
        ),
    )

    # A first draft is written from nothing.
    base_number = None  # type: ignore[assignment]
    field_order = ["slug", "title", "body", "title_en", "body_en", "comment", "kind", "position"]

    def clean_slug(self) -> str:
        return str(self.cleaned_data["slug"]).lower()

    @property
    def text_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("title", "body", "title_en", "body_en")]
