"""Settings come from the environment; production refuses to start on insecure values.

Each case runs in a fresh interpreter, because settings are read once at import."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(48)  # 64 characters
PRINT_DATABASE = (
    "import json, clinic.settings as s; db = s.DATABASES['default']; "
    "print(json.dumps({k: str(v) if k == 'NAME' else v for k, v in db.items()}))"
)


def run(args, **env) -> subprocess.CompletedProcess:
    """Run in the repository with only the environment given (and what Python needs)."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def import_settings(**env) -> subprocess.CompletedProcess:
    return run(["-c", "import clinic.settings"], **env)


def production(**env):
    return import_settings(**{"DJANGO_ENV": "production", **env})


def assert_refused(result, message):
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr


# Production refuses insecure values


def test_production_without_secret_key_refused():
    assert_refused(
        production(ALLOWED_HOSTS="clinic.example"),
        "Production needs SECRET_KEY: a random value of at least 50 characters.",
    )


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(30),  # 40 characters: too short
        "django-insecure-" + secrets.token_urlsafe(48),  # Django's startproject placeholder
        "a" * 64,  # long but not random
    ],
    ids=["short", "django-insecure", "repetitive"],
)
def test_production_weak_secret_key_refused(key):
    assert_refused(
        production(SECRET_KEY=key, ALLOWED_HOSTS="clinic.example"),
        "Production needs SECRET_KEY",
    )


def test_production_without_allowed_hosts_refused():
    assert_refused(
        production(SECRET_KEY=GOOD_KEY),
        "Production needs ALLOWED_HOSTS: the clinic's host names, no '*'.",
    )


@pytest.mark.parametrize("hosts", ["*", "clinic.example,*", " , "])
def test_production_wildcard_or_blank_allowed_hosts_refused(hosts):
    assert_refused(
        production(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=hosts), "Production needs ALLOWED_HOSTS"
    )


def test_production_debug_refused():
    assert_refused(
        production(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="clinic.example", DEBUG="true"),
        "DEBUG must be off in production",
    )


def test_unreadable_debug_value_refused():
    assert_refused(
        import_settings(SECRET_KEY=GOOD_KEY, DEBUG="maybe"), "DEBUG must be true or false"
    )


def test_unknown_environment_refused():
    assert_refused(
        import_settings(DJANGO_ENV="staging", SECRET_KEY=GOOD_KEY),
        "DJANGO_ENV must be 'development' or 'production'.",
    )


def test_production_good_values_pass_deploy_check():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="clinic.example",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_secure():
    result = run(
        [
            "-c",
            "import json, clinic.settings as s; print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_HSTS_SECONDS]))",
        ],
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="clinic.example, www.clinic.example",
    )

    assert result.returncode == 0, result.stderr
    debug, hosts, session_secure, csrf_secure, ssl_redirect, hsts = json.loads(result.stdout)
    assert debug is False
    assert hosts == ["clinic.example", "www.clinic.example"]
    assert session_secure and csrf_secure and ssl_redirect
    assert hsts >= 31536000


# Development and the database


def test_development_sqlite_default_uses_wal_and_busy_timeout():
    result = run(["-c", PRINT_DATABASE], SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(REPO / "db.sqlite3")
    assert "PRAGMA journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5


def test_sqlite_connection_in_wal_mode_with_busy_timeout(tmp_path):
    # A throwaway file, so the developer's own db.sqlite3 is never touched; the options are
    # the same ones the default database gets.
    code = (
        "import django; django.setup(); from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA cache_size'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA mmap_size'); print(c.fetchone()[0])\n"
        "print(connection.settings_dict['CONN_MAX_AGE'])\n"
    )
    result = run(["-c", code], SECRET_KEY=GOOD_KEY, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")

    assert result.returncode == 0, result.stderr
    journal_mode, busy_timeout_ms, cache_size, mmap_size, max_age = result.stdout.split()
    assert journal_mode == "wal"
    assert int(busy_timeout_ms) >= 5000
    # Kept connections with a page cache worth keeping (negative: KiB) and the file mapped.
    assert int(cache_size) <= -32768
    assert int(mmap_size) >= 256 * 2**20
    assert int(max_age) == 60


def test_database_url_postgres_parsed():
    result = run(
        ["-c", PRINT_DATABASE],
        SECRET_KEY=GOOD_KEY,
        DATABASE_URL="postgres://u:p@localhost/db",
    )

    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"]) == ("db", "u", "p", "localhost")
    # SQLite's pragmas must not leak into a PostgreSQL configuration.
    assert "init_command" not in db.get("OPTIONS", {})


def test_development_defaults_work_locally():
    result = run(
        [
            "-c",
            "import json, clinic.settings as s; print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS]))",
        ],
        SECRET_KEY=GOOD_KEY,
    )

    assert result.returncode == 0, result.stderr
    debug, hosts = json.loads(result.stdout)
    assert debug is True
    assert {"127.0.0.1", "localhost"} <= set(hosts)
    assert "*" not in hosts
