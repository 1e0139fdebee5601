"""Checks for text a person types that must match something exactly elsewhere."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control and format characters (a zero-width space, a soft hyphen, a direction mark) are
# invisible on screen, so a value holding one looks right and never matches.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}


def visible_characters_only(value: str) -> None:
    if any(unicodedata.category(char) in _INVISIBLE for char in value):
        raise ValidationError(
            _(
                "The text holds an invisible character (for example a zero-width space). "
                "Type it again rather than pasting it."
            ),
            code="invisible",
        )
