"""`make load`: gunicorn on 127.0.0.1, configured as in production
(clinic/deploy/gunicorn.conf.py: threads, the PDF warm-up), against a copy of the bench's
large database, driven by locust (headless) with 32 logged-in staff, each with a plan of
their own. Three phases:

1. the floor view, every user on it (the ratio's denominator);
2. the mix staff produce: recalculations, saves (the editor's real form POST with its CSRF
   token and version), PDF downloads (through the "being prepared" page when the server is
   busy), plan pages and lists;
3. the PDF storm: 50 more staff ask for the largest plan's PDF (12 courses × 12 sessions) at
   the same moment while 16 others read plain pages.

Reports requests/s and p50/p95/p99 per kind of request, the mix's throughput as a ratio to
the floor's, and the plain pages' p95 during the storm; any failed request fails the run.
Loopback only, time-bounded, and gunicorn is stopped at the end whatever happens.

    python -m bench.load [--users 32] [--duration 30] [--storm-duration 60] [--dataset large]
                         [--profile]"""

import argparse
import contextlib
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench import databases, mix_profile
from bench.run import REPO, RESULTS, machine

BIN = Path(sys.executable).parent
PLAN_PAGE_SAMPLE = 200
# py-spy's samples a second per process with `--profile`: some 4,000 samples in 30 s, and
# py-spy's own CPU (it shares the machine) stays small.
PROFILE_RATE = 20


# --- setup, inside Django on the copy ----------------------------------------------------------


STORM_PDF_USERS = 50
STORM_PAGE_USERS = 16
LARGEST = (12, 12)  # courses × sessions: the largest plan the issue names


def load_user(number: int, group):
    """A clinician of its own for each simulated user: one user's saves never meet another's,
    and each user's PDFs and render slot are their own, as with real staff."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=f"bench-load-{number}", defaults={"first_name": "Load", "last_name": f"{number}"}
    )
    if created:
        user.set_unusable_password()  # sessions come from force_login only
        user.save()
        user.groups.add(group)
    return user


def own_plan(user, patient, shape: tuple[int, int], title: str) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from bench.fixtures import course_drafts
    from planner import actions

    courses, sessions = shape
    drafts = course_drafts(courses, sessions, today=timezone.localdate())
    plan = actions.plan_save(
        plan=None,
        patient=patient,
        fields=actions.PlanFields(
            title=title,
            indications=["skin_quality"],
            ready_by=drafts[-1].first_session + timedelta(days=sessions * 31 + 60),
            notes="Load test plan.",
        ),
        drafts=drafts,
        user=user,
    )
    return plan.pk


def login(user, path: str) -> dict:
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(path).status_code == 200  # sets the CSRF cookie
    return {
        "sessionid": client.cookies["sessionid"].value,
        "csrftoken": client.cookies["csrftoken"].value,
    }


def write_config(path: Path, users: int) -> None:
    """Sessions for `users` staff (force_login, no password), each with a 3 × 6 plan of its
    own, 50 more for the PDF storm, the largest plan, and the paths everyone requests."""
    from bench.run import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.urls import reverse

    from bench.fixtures import SEARCH_TERM, editor_post_data, find_bench_data
    from clinic.roles import CLINICIAN
    from planner.models import Patient, Plan

    call_command("createcachetable", verbosity=0)  # a bench database built before the cache existed
    data = find_bench_data()
    patient = Patient.objects.get(pk=data.patient_id)
    clinicians = Group.objects.get(name=CLINICIAN)
    sessions = []
    for number in range(users):
        user = load_user(number, clinicians)
        plan_id = own_plan(user, patient, (3, 6), f"Load plan {number}")
        edit_path = reverse("plan-edit", args=[plan_id])
        sessions.append(
            {
                **login(user, edit_path),
                "plan": plan_id,
                "edit_path": edit_path,
                "recalculation_body": urlencode(editor_post_data(plan_id), doseq=True),
                "pdf_path": reverse("plan-summary-pdf", args=[plan_id]),
            }
        )
    largest = own_plan(
        load_user(0, clinicians), patient, LARGEST, f"Largest plan: {LARGEST[0]} × {LARGEST[1]}"
    )
    storm = [
        login(load_user(users + number, clinicians), "/patients/")
        for number in range(STORM_PDF_USERS)
    ]
    # Plan pages of seeded plans of every status, the same sample on every run.
    plan_ids = sorted(Plan.objects.values_list("pk", flat=True))
    sample = random.Random(7).sample(plan_ids, min(PLAN_PAGE_SAMPLE, len(plan_ids)))
    config = {
        "sessions": sessions,
        "storm_sessions": storm,
        "storm_pdf_users": STORM_PDF_USERS,
        "floor": "/bench/floor/",
        "largest_pdf": reverse("plan-summary-pdf", args=[largest]),
        "retry_seconds": settings.SUMMARY_PDF_RETRY_SECONDS,
        "plan_pages": [f"/plans/{pk}/" for pk in sorted({*sample, data.plan_id})],
        "list_pages": [
            ["patients list", "/patients/"],
            ["plans list", "/plans/"],
            ["patients search", f"/patients/?q={SEARCH_TERM}"],
            ["plans search", f"/plans/?q={SEARCH_TERM}"],
        ],
    }
    path.write_text(json.dumps(config))


# --- the run ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before serving.")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on {url} within {seconds:.0f} s.")


def warm_up(url: str, config: dict, rounds: int) -> None:
    """A few requests of each kind, so every worker has imported and compiled what it needs
    before the clock runs."""
    session = config["sessions"][0]
    cookie = f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}"
    paths = [config["floor"], config["plan_pages"][0]] + [p for _, p in config["list_pages"]]
    for _ in range(rounds):
        for path in paths:
            request = urllib.request.Request(f"{url}{path}", headers={"Cookie": cookie})
            urllib.request.urlopen(request, timeout=30).read()
        request = urllib.request.Request(
            f"{url}{session['edit_path']}",
            data=session["recalculation_body"].encode(),
            headers={
                "Cookie": cookie,
                "X-CSRFToken": session["csrftoken"],
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        urllib.request.urlopen(request, timeout=30).read()


def wait_for_quiet_renders(server_pid: int, *, limit_s: float = 60.0) -> None:
    """Wait until the PDF render processes have finished warming up (each worker's warms
    WeasyPrint in the background when it starts, some 3 s of CPU): otherwise the floor
    phase shares the machine with them and the floor reads low."""
    deadline = time.monotonic() + limit_s
    last = cpu_seconds(server_pid)["render"]
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(server_pid)["render"]
        if now - last < 0.05:
            return
        last = now


def read_stats(prefix: Path) -> dict:
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "mean_ms": round(float(row["Average Response Time"]), 1),
            }
    return rows


def _cpu(process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def cpu_seconds(server_pid: int) -> dict:
    """CPU seconds used so far, by kind of process: the app server (gunicorn's master and
    workers), its PDF render processes (spawned by multiprocessing), the database server
    (PostgreSQL's processes; SQLite works inside the app server) and the whole machine
    (busy and idle, every core). Locust's own are counted apart (run_locust: it is a child
    of this process, reaped at the end of its phase)."""
    import psutil

    counts = {"server": 0.0, "render": 0.0, "database": 0.0}
    try:
        root = psutil.Process(server_pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for process in tree:
        # A render process replaced mid-phase: its seconds are lost, not misfiled.
        with contextlib.suppress(psutil.NoSuchProcess):
            kind = "render" if "multiprocessing" in " ".join(process.cmdline()) else "server"
            counts[kind] += _cpu(process)
    counts["database"] = _database_cpu(psutil)
    machine = psutil.cpu_times()
    counts["machine_idle"] = machine.idle
    counts["machine_busy"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return counts


def _database_cpu(psutil) -> float:
    """PostgreSQL's CPU seconds so far: its main process's own, those of its backends still
    running, and those of the backends that have ended (a connection closed mid-run takes
    its seconds with it otherwise; the main process has reaped them)."""
    total = 0.0
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] not in ("postgres", "postmaster"):
            continue
        with contextlib.suppress(psutil.NoSuchProcess):
            total += _cpu(process)
            if psutil.Process(process.info["ppid"]).name() not in ("postgres", "postmaster"):
                times = process.cpu_times()  # the main process: add its ended children
                total += times.children_user + times.children_system
    return total


def cpu_split(before: dict, after: dict, locust_s: float) -> dict:
    """Where a phase's CPU went, in seconds (rounded), from two cpu_seconds readings."""
    split = {kind: round(after[kind] - before[kind], 1) for kind in before}
    split["locust"] = round(locust_s, 1)
    return split


def run_locust(user_classes: list[str], users: int, duration: int, url: str, config_path) -> dict:
    prefix = RESULTS / f".locust-{'-'.join(user_classes).lower()}"
    command = [
        str(BIN / "locust"),
        "-f",
        str(REPO / "bench" / "locustfile.py"),
        *user_classes,
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        "5",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    print(f"load: {' + '.join(user_classes)}, {users} users for {duration} s …", flush=True)
    children_before = os.times()
    completed = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "BENCH_LOAD_CONFIG": str(config_path)},
        timeout=duration + 180,
        capture_output=True,
        text=True,
    )
    children_after = os.times()
    stats = read_stats(prefix)
    stats["_locust_cpu_s"] = (children_after.children_user - children_before.children_user) + (
        children_after.children_system - children_before.children_system
    )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists() and len(failures.read_text().splitlines()) > 1:
        print(failures.read_text()[-3000:])
    for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"):
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    if completed.returncode not in (0, 1):  # 1: some requests failed, reported below
        print(completed.stdout[-3000:], completed.stderr[-3000:], sep="\n")
        raise SystemExit(f"locust exited with {completed.returncode}")
    return stats


def plain_pages(rows: dict) -> dict:
    """Plan pages and list pages together: the storm's plain pages, as one figure."""
    plain = [
        row
        for name, row in rows.items()
        if name == "plan page" or name.endswith(("list", "search"))
    ]
    return {
        "requests": sum(r["requests"] for r in plain),
        "failures": sum(r["failures"] for r in plain),
        "p95_ms_worst": max((r["p95_ms"] for r in plain), default=0.0),
    }


def stop(process) -> None:
    """Stop gunicorn (master and workers: its own process group), politely, then not."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def format_report(report: dict) -> str:
    lines = [
        f"Load {report['date']} · {report['engine']} · {report['machine']} · gunicorn "
        f"{report['workers']} workers × {report['threads']} threads · {report['users']} users "
        f"× {report['duration_s']} s · {report['dataset']} database",
        "",
        f"{'':<44} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'p99 ms':>8}",
    ]
    for phase in ("floor", "mix", "storm"):
        for name, row in report[phase].items():
            label = f"{phase}: {name}" if name != "Aggregated" else f"{phase} (all)"
            lines.append(
                f"{label[:44]:<44} {row['requests']:>9} {row['failures']:>9} {row['rps']:>8}"
                f" {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f}"
            )
    storm = report["storm_plain_pages"]
    lines += [
        "",
        f"throughput of the mix: {report['mix_to_floor']:.2f} × the floor view's",
        f"PDF storm ({report['storm_pdf_users']} PDFs of the largest plan asked at once, "
        f"{report['storm_duration_s']} s): plain pages' worst p95 {storm['p95_ms_worst']:.0f} ms "
        f"over {storm['requests']} requests; PDFs delivered: {report['storm_pdfs_delivered']}",
        f"failed requests: {report['failures']}",
        "",
        "CPU seconds by phase (server: gunicorn; render: its PDF processes; locust: the load;"
        " machine: every core, busy and idle):",
    ]
    for phase, split in report.get("cpu_seconds", {}).items():
        lines.append(f"  {phase:<6} " + ", ".join(f"{kind} {s:g}" for kind, s in split.items()))
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase")
    parser.add_argument("--storm-duration", type=int, default=60, help="seconds of the PDF storm")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--dataset", default="large", choices=("small", "large"))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the server's CPU during the mix with py-spy (bench/mix_profile.py)",
    )
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.setup:
        write_config(Path(args.setup), args.users)
        return 0
    base = databases.base_url()
    engine = databases.engine(base)
    RESULTS.mkdir(exist_ok=True)
    source = databases.dataset_url(args.dataset, base)
    if not databases.exists(source):
        print(f"load: building the {args.dataset} bench database first …", flush=True)
        databases.create_empty(source)
        subprocess.run(
            [sys.executable, "-m", "bench.run", "--child", args.dataset, "--prepare-only"],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": source},
            check=True,
            timeout=1800,
        )
    copy = databases.dataset_url("load", base)
    databases.copy(source, copy)
    env = {
        **os.environ,
        "DATABASE_URL": copy,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    config_path = RESULTS / "load-config.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--setup",
            str(config_path),
            "--users",
            str(args.users),
        ],
        cwd=REPO,
        env=env,
        check=True,
        timeout=300,
    )
    config = json.loads(config_path.read_text())
    profile_path = RESULTS / f"load-{engine}-mix-profile.txt"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--config",
            str(REPO / "clinic" / "deploy" / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
            "--graceful-timeout",
            "5",
        ],
        cwd=REPO,
        env={
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
        },
        start_new_session=True,  # its own process group: stopped as one at the end
    )
    try:
        wait_until_up(url, gunicorn)
        warm_up(url, config, rounds=2 * args.workers)
        wait_for_quiet_renders(gunicorn.pid)
        cpu = {}

        profile = {}

        def phase(name: str, *locust_args) -> dict:
            recording = None
            if args.profile and name == "mix":
                recording = mix_profile.start_recording(
                    BIN / "py-spy",
                    gunicorn.pid,
                    duration=args.duration,
                    rate=PROFILE_RATE,
                    output=profile_path,
                )
            before = cpu_seconds(gunicorn.pid)
            stats = run_locust(*locust_args)
            cpu[name] = cpu_split(before, cpu_seconds(gunicorn.pid), stats.pop("_locust_cpu_s"))
            if recording is not None:
                profile.update(
                    mix_profile.as_dict(
                        mix_profile.finish_recording(recording, profile_path),
                        rate=PROFILE_RATE,
                        server_cpu_s=cpu[name]["server"],
                        render_cpu_s=cpu[name]["render"],
                    )
                )
            return stats

        floor = phase("floor", ["Floor"], args.users, args.duration, url, config_path)
        mix = phase("mix", ["Mix"], args.users, args.duration, url, config_path)
        storm = phase(
            "storm",
            ["StormPdf", "StormPages"],
            config["storm_pdf_users"] + STORM_PAGE_USERS,
            args.storm_duration,
            url,
            config_path,
        )
    finally:
        stop(gunicorn)
        config_path.unlink(missing_ok=True)
    now = datetime.now(UTC)
    phases = (floor, mix, storm)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "engine": engine,
        "machine": machine(),
        "dataset": args.dataset,
        "workers": args.workers,
        "threads": args.threads,
        "users": args.users,
        "duration_s": args.duration,
        "storm_duration_s": args.storm_duration,
        "storm_pdf_users": config["storm_pdf_users"],
        "floor": floor,
        "mix": mix,
        "storm": storm,
        "mix_to_floor": round(mix["Aggregated"]["rps"] / floor["Aggregated"]["rps"], 3),
        "storm_plain_pages": plain_pages(storm),
        "storm_pdfs_delivered": storm.get("storm pdf: asked to delivered", {}).get("requests", 0),
        "cpu_seconds": cpu,
        "failures": sum(phase["Aggregated"]["failures"] for phase in phases),
    }
    if profile:
        report["mix_profile"] = profile
    print(format_report(report))
    if profile:
        print(mix_profile.format_profile(profile))
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for name in (f"load-{engine}-{stamp}.json", f"load-{engine}-latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=1))
    print(f"\nJSON: bench/results/load-{engine}-{stamp}.json")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
