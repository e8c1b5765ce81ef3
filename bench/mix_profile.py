"""`make load LOAD_ARGS=--profile`: where the app server's CPU goes during the mix, sampled
with py-spy across gunicorn's workers and their PDF render processes.

py-spy reads each process's stacks from outside and leaves out threads that are waiting (for
a request, a lock, a socket). It counts a thread that is *runnable* though, and on a machine
this busy (about seven runnable threads for two cores) a runnable thread mostly waits for a
core, the PDF render processes (at a lower priority) longest. So samples are not CPU time:
they are read as shares within each kind of process (the server's workers; their render
processes), and each share is turned into CPU seconds with that kind's CPU as measured by
`make load` (psutil) in the same phase.

Two readings of the server's samples:
- by **where**: the view handling the request (the outermost function of a views module of
  ours), or request handling outside any view (gunicorn reading and writing, middleware,
  the session and the user);
- by **what**: the code the sampled frame itself was running (the innermost frame), grouped
  by library: templates, the ORM, the database driver, forms, the PDF libraries, our code.

Pure functions over py-spy's "raw" (collapsed) output with full file names, one stack a
line: `frame;frame;...;frame count`, each frame `function (file:line)`, the processes first
as `process PID:"command"` frames (gunicorn's master, a worker, a worker's render process)."""

import re
import subprocess
import sysconfig
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]+?)(?::\d+)?\)$")
# File names are shown from the package: site-packages/django/db/... -> django/db/...
_ROOTS = (
    sysconfig.get_paths()["purelib"] + "/",
    sysconfig.get_paths()["platlib"] + "/",
    sysconfig.get_paths()["stdlib"] + "/",
    str(Path(__file__).resolve().parent.parent) + "/",
)
# gunicorn's master, then a worker: a third process is a worker's PDF render process.
RENDER_DEPTH = 3
# A views module of ours: planner/views/plans.py, clinic/views.py, planner/signing/views.py.
_OUR_VIEWS = re.compile(r"^(planner|clinic)/(.+/)?views(/[^/]+)?\.py$")

# By what the innermost frame was running: the first prefix that its file starts with.
WHAT = (
    (
        "PDF libraries (WeasyPrint, pydyf, fonts, CSS, HTML parser)",
        (
            "weasyprint/",
            "pydyf/",
            "fontTools/",
            "tinycss2/",
            "cssselect2/",
            "tinyhtml5/",
            "cffi/",
            "PIL/",
        ),
    ),
    ("templates (Django, Jinja2)", ("django/template/", "jinja2/", "django/templatetags/")),
    ("database driver calls", ("django/db/backends/", "sqlite3/", "psycopg/")),
    ("ORM (building queries, making rows)", ("django/db/",)),
    ("forms", ("django/forms/",)),
    ("gunicorn (sockets, HTTP parsing)", ("gunicorn/",)),
    ("our code (planner, clinic)", ("planner/", "clinic/")),
    ("Django, other", ("django/",)),
)


@dataclass(frozen=True)
class Frame:
    function: str
    file: str


def parse_frame(text: str) -> Frame | None:
    """`plan_detail (planner/views/plans.py:120)` -> Frame; None for a process frame."""
    if text.startswith("process "):
        return None
    match = _FRAME.match(text)
    if not match:
        return Frame(function=text, file="")
    file = match["file"]
    for root in _ROOTS:
        if file.startswith(root):
            file = file.removeprefix(root)
            break
    return Frame(function=match["function"], file=file)


@dataclass(frozen=True)
class Stack:
    render: bool  # sampled in a PDF render process, not in a server worker
    frames: list[Frame]  # the outermost first
    count: int


def parse_line(line: str) -> Stack | None:
    """One collapsed stack; None for a line that is not one."""
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not stack or not count.isdigit():
        return None
    texts = stack.split(";")
    processes = sum(text.startswith("process ") for text in texts)
    frames = [frame for text in texts if (frame := parse_frame(text))]
    return Stack(render=processes >= RENDER_DEPTH, frames=frames, count=int(count))


def where(frames: list[Frame]) -> str:
    """Which part of a server worker a stack belongs to (the module docstring's "where")."""
    for frame in frames:
        if _OUR_VIEWS.match(frame.file):
            return f"view {frame.function} ({frame.file})"
    if any(f.file.startswith(("django/", "gunicorn/")) for f in frames):
        return "request handling outside any view (gunicorn, middleware, session, user)"
    return "other (process start, idle loops)"


def what(frames: list[Frame]) -> str:
    """What the innermost frame was running, by library (the module docstring's "what")."""
    leaf = frames[-1].file if frames else ""
    for label, prefixes in WHAT:
        if leaf.startswith(prefixes):
            return label
    return "Python's standard library and other"


@dataclass(frozen=True)
class Profile:
    server_samples: int
    render_samples: int
    server_where: list[tuple[str, int]]  # most samples first
    server_what: list[tuple[str, int]]
    render_what: list[tuple[str, int]]


def summarize(lines) -> Profile:
    server_where, server_what, render_what = Counter(), Counter(), Counter()
    for line in lines:
        stack = parse_line(line)
        if stack is None:
            continue
        if stack.render:
            render_what[what(stack.frames)] += stack.count
        else:
            server_where[where(stack.frames)] += stack.count
            server_what[what(stack.frames)] += stack.count
    return Profile(
        server_samples=sum(server_where.values()),
        render_samples=sum(render_what.values()),
        server_where=server_where.most_common(),
        server_what=server_what.most_common(),
        render_what=render_what.most_common(),
    )


def as_dict(profile: Profile, *, rate: int, server_cpu_s: float, render_cpu_s: float) -> dict:
    """For the JSON report: each name's share of its kind's samples in per cent, and the CPU
    seconds that share is of the kind's measured CPU."""

    def rows(counts, total: int, cpu_s: float):
        return [
            {
                "name": name,
                "share_pc": round(100 * n / total, 1),
                "cpu_s": round(cpu_s * n / total, 1),
            }
            for name, n in counts
        ]

    return {
        "rate_hz": rate,
        "server_samples": profile.server_samples,
        "render_samples": profile.render_samples,
        "server_cpu_s": server_cpu_s,
        "render_cpu_s": render_cpu_s,
        "server_where": rows(profile.server_where, profile.server_samples, server_cpu_s),
        "server_what": rows(profile.server_what, profile.server_samples, server_cpu_s),
        "render_what": rows(profile.render_what, profile.render_samples, render_cpu_s),
    }


def format_profile(report: dict, top: int = 12) -> str:
    lines = [
        f"\nWhere the CPU went during the mix (py-spy at {report['rate_hz']} Hz; shares of each "
        f"kind's samples, as CPU seconds of its measured CPU):"
    ]
    for title, key, kind in (
        ("server workers, by where", "server_where", "server"),
        ("server workers, by what", "server_what", "server"),
        ("PDF render processes, by what", "render_what", "render"),
    ):
        lines.append(
            f"  {title} ({report[f'{kind}_samples']} samples, "
            f"{report[f'{kind}_cpu_s']} CPU-s measured):"
        )
        for row in report[key][:top]:
            lines.append(f"    {row['share_pc']:5.1f} %  {row['cpu_s']:5.1f} CPU-s  {row['name']}")
    return "\n".join(lines)


def start_recording(
    py_spy: Path, pid: int, *, duration: int, rate: int, output: Path
) -> subprocess.Popen:
    """py-spy on gunicorn's master and every process under it, for `duration` seconds."""
    return subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--full-filenames",
            "--nonblocking",
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_recording(recording: subprocess.Popen, output: Path) -> Profile:
    _, errors = recording.communicate(timeout=120)
    if recording.returncode != 0 or not output.exists():
        raise SystemExit(f"py-spy failed ({recording.returncode}): {errors[-2000:]}")
    with output.open() as raw:
        return summarize(raw)
