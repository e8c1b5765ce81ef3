"""`make load --profile` reads py-spy's samples into where the server's CPU went during the
mix: by the view serving the request (or the PDF render processes) and by the library the
sampled code belongs to. The README's account of the mix rests on these shares."""

import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from bench.mix_profile import (
    as_dict,
    finish_recording,
    format_profile,
    parse_line,
    start_recording,
    summarize,
    what,
    where,
)
from bench.run import REPO

SITE = sysconfig.get_paths()["purelib"]
STDLIB = sysconfig.get_paths()["stdlib"]
WORKER = 'process 100:"gunicorn: master";process 101:"gunicorn: worker"'
RENDER = WORKER + ';process 102:"python -c from multiprocessing.spawn import spawn_main"'
HANDLER = (
    f"_bootstrap ({STDLIB}/threading.py:995);run ({SITE}/gunicorn/workers/gthread.py:120);"
    f"__call__ ({SITE}/django/core/handlers/wsgi.py:124);"
    f"_get_response ({SITE}/django/core/handlers/base.py:197);"
    f"_wrapper_view ({SITE}/django/views/decorators/http.py:64);"
    f"wrapped ({REPO}/clinic/permissions.py:40)"
)

RAW = [
    # A recalculation rendering its template: 30 samples.
    f"{WORKER};{HANDLER};plan_recalculate ({REPO}/planner/views/plans.py:300);"
    f"render ({REPO}/planner/fragments.py:20);render ({SITE}/django/template/base.py:170);"
    f"_resolve_lookup ({SITE}/django/template/base.py:880) 30\n",
    # The same view waiting on SQLite: 10 samples.
    f"{WORKER};{HANDLER};plan_recalculate ({REPO}/planner/views/plans.py:300);"
    f"execute ({SITE}/django/db/backends/sqlite3/base.py:354) 10\n",
    # A helper inside the views module counts for the view that called it.
    f"{WORKER};{HANDLER};plan_summary_pdf ({REPO}/planner/views/summary.py:150);"
    f"_prepare ({REPO}/planner/views/summary.py:130);"
    f"compile ({SITE}/django/db/models/sql/compiler.py:570) 5\n",
    # Middleware before any view: the session.
    f"{WORKER};_bootstrap ({STDLIB}/threading.py:995);"
    f"load ({SITE}/django/contrib/sessions/backends/db.py:40) 5\n",
    # A render process laying out a PDF (30), and writing it (10): its own kind.
    f"{RENDER};_process_worker ({STDLIB}/concurrent/futures/process.py:251);"
    f"render_pdf_here ({REPO}/planner/summary_pdf.py:130);"
    f"layout ({SITE}/weasyprint/layout/block.py:90) 30\n",
    f"{RENDER};_process_worker ({STDLIB}/concurrent/futures/process.py:251);"
    f"render_pdf_here ({REPO}/planner/summary_pdf.py:130);"
    f"write ({SITE}/pydyf/__init__.py:600) 10\n",
    "not a stack line\n",
]


def test_samples_are_attributed_to_their_kind_of_process_view_and_library():
    profile = summarize(RAW)

    assert (profile.server_samples, profile.render_samples) == (50, 40)
    assert dict(profile.server_where) == {
        "view plan_recalculate (planner/views/plans.py)": 40,
        "view plan_summary_pdf (planner/views/summary.py)": 5,
        "request handling outside any view (gunicorn, middleware, session, user)": 5,
    }
    assert dict(profile.server_what) == {
        "templates (Django, Jinja2)": 30,
        "database driver calls": 10,
        "ORM (building queries, making rows)": 5,
        "Django, other": 5,
    }
    assert dict(profile.render_what) == {
        "PDF libraries (WeasyPrint, pydyf, fonts, CSS, HTML parser)": 40
    }


def test_shares_become_cpu_seconds_of_each_kinds_measured_cpu():
    report = as_dict(summarize(RAW), rate=20, server_cpu_s=20.0, render_cpu_s=8.0)
    where_rows = {row["name"]: row for row in report["server_where"]}

    # 40 of the workers' 50 samples, of their 20 CPU-seconds.
    assert where_rows["view plan_recalculate (planner/views/plans.py)"] == {
        "name": "view plan_recalculate (planner/views/plans.py)",
        "share_pc": 80.0,
        "cpu_s": 16.0,
    }
    assert report["render_what"][0]["cpu_s"] == 8.0  # all of the render processes' samples
    text = format_profile(report)
    assert "server workers, by where (50 samples, 20.0 CPU-s measured)" in text
    assert "80.0 %" in text and "16.0 CPU-s" in text


def test_a_frame_outside_our_views_is_not_taken_for_a_view():
    stack = parse_line(
        f"{WORKER};{HANDLER};get_plan_with_catalog ({REPO}/planner/access.py:60);"
        f"execute ({SITE}/psycopg/cursor.py:700) 3"
    )
    assert stack.count == 3 and not stack.render
    assert where(stack.frames).startswith("request handling outside any view")
    assert what(stack.frames) == "database driver calls"
    assert parse_line("") is None


@pytest.mark.slow
@pytest.mark.skipif(
    not shutil.which("py-spy", path=str(Path(sys.executable).parent)),
    reason="py-spy is not installed",
)
def test_py_spy_records_a_child_process_and_its_samples_are_read(tmp_path):
    """The recording itself, on a process that burns CPU in a child as gunicorn's render
    processes do: py-spy's output parses and the child's samples are there. Skipped where
    the machine does not let one process read another's memory (py-spy needs ptrace)."""
    script = tmp_path / "burner.py"
    script.write_text(
        "import multiprocessing, time\n"
        "def burn():\n"
        "    end = time.time() + 3\n"
        "    while time.time() < end:\n"
        "        sum(range(1000))\n"
        "if __name__ == '__main__':\n"
        "    child = multiprocessing.get_context('spawn').Process(target=burn)\n"
        "    child.start()\n"
        "    child.join()\n"
    )
    burner = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    try:
        time.sleep(0.8)  # the child is started
        output = tmp_path / "raw.txt"
        recording = start_recording(
            Path(sys.executable).parent / "py-spy",
            burner.pid,
            duration=1,
            rate=50,
            output=output,
        )
        try:
            profile = finish_recording(recording, output)
        except SystemExit as refused:
            said = str(refused).lower()
            if any(word in said for word in ("ptrace", "permission", "not permitted")):
                pytest.skip(f"py-spy may not read other processes here: {refused}")
            raise
    finally:
        burner.kill()
        burner.wait()
    # About 50 samples from the busy child in a second; its parent only waits (not sampled).
    # The child is the second process of the tree py-spy was pointed at, not a render process.
    assert profile.server_samples >= 20
    assert profile.render_samples == 0
    assert profile.server_what == [("Python's standard library and other", profile.server_samples)]
    assert "burn" in output.read_text()
