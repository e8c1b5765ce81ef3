"""How a patient is found: the normalised keys planner.actions.patient_save stores beside
each record, and how a search box's words are matched against them.

Pure functions. Names and emails are compared without accents, case or punctuation, and a
name's words in any order ("anderson alice" finds "Alice Anderson"); phone numbers by their
digits ("5550199" finds "555-0199")."""

import re
import unicodedata

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_NOT_DIGIT = re.compile(r"[^0-9]+")
_DIGIT_GROUPS = re.compile(r"[0-9 ]+")


def fold(text: str) -> str:
    """Lower case, accents removed, anything but letters and digits a single space:
    'Zoë  O’Brien-Núñez' -> 'zoe o brien nunez'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def name_key(full_name: str) -> str:
    """The name's words, folded and sorted: the same for 'Alice Anderson' and
    'ANDERSON, Alice'."""
    return " ".join(sorted(fold(full_name).split()))


# Two numbers with the same last ten digits are the same line: '+1 617 555 0142' and
# '(617) 555-0142'.
PHONE_KEY_DIGITS = 10


def phone_digits(phone: str) -> str:
    return _NOT_DIGIT.sub("", phone or "")


def phone_key(phone: str) -> str:
    """The number's last ten digits, so a country code written or not is the same phone."""
    return phone_digits(phone)[-PHONE_KEY_DIGITS:]


def email_key(email: str) -> str:
    return (email or "").strip().casefold()


def _as_number(folded: str) -> str:
    """A folded text made only of digit groups, run together: search_words reads such a
    query as one number, so the text must hold it that way too ('0:0' -> '00')."""
    return folded.replace(" ", "") if " " in folded and _DIGIT_GROUPS.fullmatch(folded) else ""


def search_text(*, full_name: str, phone: str, email: str) -> str:
    """Everything a search may match, folded: the name's words, the email's words and the
    phone's digits, space-separated (a word of the search must occur in it)."""
    name, mail = fold(full_name), fold(email)
    parts = (name, _as_number(name), mail, _as_number(mail), phone_digits(phone))
    return " ".join(part for part in parts if part)


def search_keys(*, full_name: str, phone: str, email: str) -> dict[str, str]:
    """The four columns planner.models.Patient keeps for finding it, by field name."""
    return {
        "search_text": search_text(full_name=full_name, phone=phone, email=email),
        "name_key": name_key(full_name)[:200],
        "phone_key": phone_key(phone)[:40],
        "email_key": email_key(email)[:254],
    }


def search_words(query: str) -> list[str]:
    """The words a patient's search text must all contain; a number typed with separators
    ('555-0199', '(555) 0199') is one word of digits."""
    folded = fold(query)
    if _DIGIT_GROUPS.fullmatch(folded):
        return [folded.replace(" ", "")]
    return folded.split()
