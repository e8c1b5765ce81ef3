"""Browser tests drive Debian's Chromium through Playwright against pytest-django's
live server. Playwright cannot download its own browser here, so the system one is used."""

import os
import shutil

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories.accounts import totp_code

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# next to it without this, although the calls are in fact synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but no Chromium at {CHROMIUM}.")
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


def log_in(page, base_url: str, username: str, password: str = "correct-horse-battery"):
    """Log in through the real login form, as staff do; then, for a user with an
    authenticator (every clinic admin), through the second step with the code their app
    would show now."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is not None:
        page.wait_for_url(f"{base_url}/accounts/two-factor/verify/**")
        page.get_by_label("Code from the app, or a recovery code").fill(totp_code(device))
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base_url}/")


@pytest.fixture
def login(page, live_server):
    def _login(username: str, password: str = "correct-horse-battery"):
        log_in(page, live_server.url, username, password)

    return _login


@pytest.fixture(autouse=True)
def no_csp_violations(page):
    """Every browser test doubles as a check that the pages work under the strict
    Content-Security-Policy: any violation Chromium reports fails the test."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield
    assert violations == []
