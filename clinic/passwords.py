"""A password validator for what the built-in ones let through: one character or a short
pattern repeated ("aaaaaaaaaaaa", "abcabcabcabc") and runs along the keyboard, the alphabet
or the digits ("qwertyuiopas", "abcdefgh1234", "987654321"), forwards or backwards."""

from django.core.exceptions import ValidationError

PREDICTABLE_PASSWORD = (
    "This password is too predictable: it is mostly a repeated character or pattern, or a "
    "run of neighbouring keys, letters or digits (like qwerty, abcdef or 123456)."
)

SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertyuiopasdfghjklzxcvbnm",  # the letter rows typed one after another
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",  # keyboard columns
    "qazwsxedcrfvtgbyhnujmikolp",
    "!@#$%^&*()",
)
MIN_RUN = 4  # a run this long counts as predictable; shorter ones occur in real words
MAX_PATTERN = 4  # "abab…", "abcabc…", "1212…" up to this length repeated


def _predictable_spans(text: str) -> int:
    """How many characters of `text` lie in runs of MIN_RUN+ neighbouring keys/letters/digits
    (either direction) or in a repeated short pattern."""
    covered = [False] * len(text)
    forward = SEQUENCES
    backward = tuple(s[::-1] for s in SEQUENCES)
    for sequence in forward + backward:
        i = 0
        while i < len(text):
            j = i
            while j + 1 < len(text):
                pos = sequence.find(text[j])
                if pos < 0 or pos + 1 >= len(sequence) or sequence[pos + 1] != text[j + 1]:
                    break
                j += 1
            if j - i + 1 >= MIN_RUN:
                for k in range(i, j + 1):
                    covered[k] = True
            i = j + 1
    for size in range(1, MAX_PATTERN + 1):
        for start in range(len(text) - size):
            end = start + size
            while end < len(text) and text[end] == text[end - size]:
                end += 1
            if end - start >= max(MIN_RUN, 2 * size + 1):
                for k in range(start, end):
                    covered[k] = True
    return sum(covered)


class PredictablePasswordValidator:
    """Refuses a password of which at least `share` (default half) is predictable."""

    def __init__(self, share: float = 0.5):
        self.share = share

    def validate(self, password: str, user=None) -> None:
        text = password.lower()
        if text and _predictable_spans(text) >= self.share * len(text):
            raise ValidationError(PREDICTABLE_PASSWORD, code="password_predictable")

    def get_help_text(self) -> str:
        return (
            "Your password can't be mostly a repeated character or pattern, or a run of "
            "neighbouring keys, letters or digits."
        )
