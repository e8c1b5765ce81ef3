"""Lockout behind the TLS proxy: axes records and locks the client's address from
X-Forwarded-For on connections from a trusted proxy, and the connection's own address
otherwise (a forged header from anywhere else changes nothing)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.0.0.5"
CLIENT = "203.0.113.7"
STRANGER = "198.51.100.9"


@pytest.fixture
def behind_proxy(settings):
    settings.AXES_IPWARE_PROXY_TRUSTED_IPS = [PROXY]
    settings.AXES_IPWARE_PROXY_COUNT = 1


def fail_login(remote: str, forwarded: str | None = None, username: str = "desk"):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return Client(REMOTE_ADDR=remote).post(
        LOGIN, {"username": username, "password": "wrong password"}, headers=headers
    )


def recorded_addresses() -> set[str]:
    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


def test_trusted_proxy_forwarded_client_recorded(behind_proxy, front_desk):
    fail_login(PROXY, CLIENT)

    assert recorded_addresses() == {CLIENT}


def test_trusted_proxy_rightmost_hop_wins_over_spoofed_leftmost(behind_proxy, front_desk):
    # The client wrote "1.2.3.4" itself; the proxy appended the address it saw.
    fail_login(PROXY, f"1.2.3.4, {CLIENT}")

    assert recorded_addresses() == {CLIENT}


def test_untrusted_connection_forged_header_ignored(behind_proxy, front_desk):
    fail_login(STRANGER, CLIENT)

    assert recorded_addresses() == {STRANGER}


def test_no_proxy_configured_header_ignored(front_desk):
    fail_login(STRANGER, CLIENT)

    assert recorded_addresses() == {STRANGER}


def test_lockout_keyed_by_forwarded_client_not_proxy(behind_proxy, front_desk):
    for _ in range(5):
        fail_login(PROXY, CLIENT)

    locked = fail_login(PROXY, CLIENT)
    # Another client behind the same proxy still reaches the login form.
    other = Client(REMOTE_ADDR=PROXY).post(
        LOGIN,
        {"username": "desk", "password": "correct-horse-battery"},
        headers={"X-Forwarded-For": "203.0.113.8"},
    )

    assert locked.status_code == 429
    assert other.status_code == 302
