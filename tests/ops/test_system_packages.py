"""`make run` and `make test` install the Debian packages they need (.ci/system-packages)."""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "system-packages"


def run(*args, env=None):
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=30)


def test_every_package_the_suite_needs_is_installed():
    # Fails on a machine where `make test` did not (or could not) install them: WeasyPrint
    # without libharfbuzz-subset0 warns, browser tests without Chromium would be skipped.
    result = run("--test", "--check")
    assert result.returncode == 0, result.stderr


def fake_system(tmp_path, *, installed: set[str], uid: int):
    """A PATH where dpkg-query knows only `installed`, id reports `uid`, and apt-get logs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/sh\nfor p in " + " ".join(sorted(installed)) + ' ; do [ "$p" = "$3" ] && '
        "printf 'install ok installed' && exit 0; done; exit 1\n"
    )
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (bin_dir / "java").write_text("#!/bin/sh\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\n')
    for tool in ("grep", "bash", "sh"):
        (bin_dir / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    return {**os.environ, "PATH": str(bin_dir)}


RUNTIME = {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b", "fonts-dejavu-core"}


def test_a_missing_package_stops_a_non_root_user_with_the_command(tmp_path):
    env = fake_system(tmp_path, installed=RUNTIME, uid=1000)
    result = run(env=env)
    assert result.returncode == 1
    assert "libharfbuzz-subset0" in result.stderr
    assert "apt-get install -y --no-install-recommends libharfbuzz-subset0" in result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_root_installs_only_what_is_missing(tmp_path):
    env = fake_system(tmp_path, installed=RUNTIME | {"poppler-utils"}, uid=0)
    result = run("--test", env=env)
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log[-1].split()[-2:] == ["libharfbuzz-subset0", "chromium"]


def test_nothing_is_installed_when_all_is_there(tmp_path):
    everything = RUNTIME | {"libharfbuzz-subset0", "chromium", "poppler-utils"}
    env = fake_system(tmp_path, installed=everything, uid=0)
    assert run("--test", env=env).returncode == 0
    assert not (tmp_path / "apt.log").exists()
