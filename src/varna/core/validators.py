"""Checks for text a person types: that it shows something, and that text which must match
something exactly elsewhere holds nothing invisible."""

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


# What shows nothing on screen by itself: white space, control and format characters (a
# zero-width space or joiner, a word joiner, a soft hyphen, a byte-order mark), marks that
# combine with a letter when there is none, and the few letters drawn blank (Hangul fillers,
# the blank Braille pattern).
_BLANK = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_character(value: str) -> bool:
    """True if the text shows at least one character on screen."""
    return any(
        not char.isspace()
        and char not in _BLANK_LETTERS
        and unicodedata.category(char) not in _BLANK
        for char in value
    )


def something_visible(value: str) -> None:
    if not has_visible_character(value):
        raise ValidationError(
            _(
                "Write something that can be seen: the text holds only spaces or invisible "
                "characters."
            ),
            code="invisible_only",
        )
