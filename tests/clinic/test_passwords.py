"""The predictable-password rule, through Django's own validate_password (so it is registered)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from clinic.passwords import PREDICTABLE_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "qwertyuiopas",
        "poiuytrewqlk",  # reversed keyboard
        "abcabcabcabc",
        "ab12ab12ab12",
        "abcdefgh1234",
        "zyxwvutsrqpo",  # reversed alphabet
        "098765432109",
        "asdfghjkl;'#",
        "1qaz2wsx3edc",
        "QWERTYuiopAS",
    ],
)
def test_predictable_password_refused_with_message(password, front_desk):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, front_desk)

    assert PREDICTABLE_PASSWORD in refused.value.messages


@pytest.mark.parametrize(
    "password", ["violet-harbour-anvil-42", "Tr0ub4dor&3xyz-7", "maple syrup at dawn"]
)
def test_unpredictable_password_accepted(password, front_desk):
    validate_password(password, front_desk)
