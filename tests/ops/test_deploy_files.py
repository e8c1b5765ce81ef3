"""The files the README's Deploying section tells an operator to install."""

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "clinic" / "deploy"
UNIT = DEPLOY / "exosome-planner.service"


def unit_settings() -> dict[str, str]:
    settings = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def test_the_unit_stops_every_worker_and_restarts_on_failure():
    settings = unit_settings()
    assert settings["KillMode"] == "control-group"
    assert settings["Restart"] == "on-failure"
    assert "gunicorn.conf.py" in settings["ExecStart"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_unit_file_is_valid_for_systemd(tmp_path):
    # verify needs the unit's binaries to exist; point ExecStart at one that does.
    unit = tmp_path / "exosome-planner.service"
    unit.write_text(
        UNIT.read_text()
        .replace("/srv/exosome-planner/.venv/bin/gunicorn", shutil.which("true"))
        .replace("User=planner", "User=root")
        .replace("Group=planner", "Group=root")
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in result.stderr.splitlines()
        if "exosome-planner.service" in line and "EnvironmentFile" not in line
    ]
    assert problems == [], result.stderr


def test_the_access_log_leaves_out_query_strings():
    namespace: dict = {}
    exec((DEPLOY / "gunicorn.conf.py").read_text(), namespace)
    assert "%(U)s" in namespace["access_log_format"]
    assert "%(r)s" not in namespace["access_log_format"]
    assert "%(q)s" not in namespace["access_log_format"]


def test_gunicorn_accepts_the_config():
    gunicorn = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=DEPLOY.parents[1],
    )
    assert result.returncode == 0, result.stderr
