"""Small helpers shared by the forms and views that read raw request values."""


def int_or_none(value) -> int | None:
    """`value` as an int, or None for anything that is not one (blank, text, None)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
