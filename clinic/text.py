"""Checks on names people type: a name must have something a reader can see."""

import unicodedata

from django.core.exceptions import ValidationError

NAME_INVISIBLE = (
    "Enter a name with visible letters: this one is only invisible or text-direction characters."
)


def is_invisible_only(value: str) -> bool:
    """True when `value` has characters but none a reader can see: only spaces, format
    characters (zero-width space U+200B, direction controls U+202A–U+202E, U+2066–U+2069,
    the BOM) and other control, separator or unassigned characters."""
    if not value:
        return False
    return all(unicodedata.category(char)[0] in {"C", "Z"} for char in value)


def validate_visible_name(value: str) -> None:
    if is_invisible_only(value):
        raise ValidationError(NAME_INVISIBLE, code="invisible")
