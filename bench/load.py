"""`make load`: gunicorn on 127.0.0.1 against a copy of the bench's large database, driven
by locust (headless) with 32 logged-in users for 30 s: first all on the floor view, then
on the mix staff produce (recalculations, plan pages, list pages). Reports p50/p95/p99 and
requests/s of both, and the mix's throughput as a ratio to the floor's; any failed
request fails the run. Loopback only, time-bounded, and gunicorn is stopped at the end
whatever happens.

    python -m bench.load [--users 32] [--duration 30] [--workers 5] [--dataset large]"""

import argparse
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

from bench import databases
from bench.run import REPO, RESULTS, machine

BIN = Path(sys.executable).parent
PLAN_PAGE_SAMPLE = 200


# --- setup, inside Django on the copy ----------------------------------------------------------


def write_config(path: Path, users: int) -> None:
    """Sessions for `users` users (force_login, no password) and the paths they request."""
    from bench.run import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.fixtures import SEARCH_TERM, editor_post_data, find_bench_data
    from planner.models import Plan

    data = find_bench_data()
    user = get_user_model().objects.get(pk=data.user_id)
    edit_path = f"/plans/{data.plan_id}/edit/"
    sessions = []
    for _ in range(users):
        client = Client()
        client.force_login(user)
        assert client.get(edit_path).status_code == 200  # sets the CSRF cookie
        sessions.append(
            {
                "sessionid": client.cookies["sessionid"].value,
                "csrftoken": client.cookies["csrftoken"].value,
            }
        )
    # Plan pages of seeded plans of every status, the same sample on every run.
    plan_ids = sorted(Plan.objects.values_list("pk", flat=True))
    sample = random.Random(7).sample(plan_ids, min(PLAN_PAGE_SAMPLE, len(plan_ids)))
    config = {
        "sessions": sessions,
        "floor": "/bench/floor/",
        "recalculation": {
            "path": edit_path,
            "body": urlencode(editor_post_data(data.plan_id), doseq=True),
            "expect": 'id="plan-total"',
        },
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


def wait_until_up(url: str, process, seconds: float = 30) -> None:
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
    recalc = config["recalculation"]
    paths = [config["floor"], config["plan_pages"][0]] + [p for _, p in config["list_pages"]]
    for _ in range(rounds):
        for path in paths:
            request = urllib.request.Request(f"{url}{path}", headers={"Cookie": cookie})
            urllib.request.urlopen(request, timeout=30).read()
        request = urllib.request.Request(
            f"{url}{recalc['path']}",
            data=recalc["body"].encode(),
            headers={
                "Cookie": cookie,
                "X-CSRFToken": session["csrftoken"],
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        urllib.request.urlopen(request, timeout=30).read()


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


def run_locust(user_class: str, url: str, config_path: Path, args) -> dict:
    prefix = RESULTS / f".locust-{user_class.lower()}"
    command = [
        str(BIN / "locust"),
        "-f",
        str(REPO / "bench" / "locustfile.py"),
        user_class,
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        "--run-time",
        f"{args.duration}s",
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
    print(f"load: {user_class}, {args.users} users for {args.duration} s …", flush=True)
    completed = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "BENCH_LOAD_CONFIG": str(config_path)},
        timeout=args.duration + 120,
        capture_output=True,
        text=True,
    )
    stats = read_stats(prefix)
    for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"):
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    if completed.returncode not in (0, 1):  # 1: some requests failed, reported below
        print(completed.stdout[-3000:], completed.stderr[-3000:], sep="\n")
        raise SystemExit(f"locust exited with {completed.returncode}")
    return stats


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
        f"{report['workers']} workers · {report['users']} users × {report['duration_s']} s "
        f"· {report['dataset']} database",
        "",
        f"{'':<22} {'requests':>9} {'failures':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'p99 ms':>8}",
    ]
    for phase in ("floor", "mix"):
        for name, row in report[phase].items():
            label = f"{phase}: {name}" if name != "Aggregated" else f"{phase} (all)"
            lines.append(
                f"{label:<22} {row['requests']:>9} {row['failures']:>9} {row['rps']:>8}"
                f" {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f}"
            )
    lines += [
        "",
        f"throughput of the mix: {report['mix_to_floor']:.2f} × the floor view's",
        f"failed requests: {report['failures']}",
    ]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--dataset", default="large", choices=("small", "large"))
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
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "clinic.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,  # its own process group: stopped as one at the end
    )
    try:
        wait_until_up(url, gunicorn)
        warm_up(url, config, rounds=2 * args.workers)
        floor = run_locust("Floor", url, config_path, args)
        mix = run_locust("Mix", url, config_path, args)
    finally:
        stop(gunicorn)
        config_path.unlink(missing_ok=True)
    now = datetime.now(UTC)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "engine": engine,
        "machine": machine(),
        "dataset": args.dataset,
        "workers": args.workers,
        "users": args.users,
        "duration_s": args.duration,
        "floor": floor,
        "mix": mix,
        "mix_to_floor": round(mix["Aggregated"]["rps"] / floor["Aggregated"]["rps"], 3),
        "failures": floor["Aggregated"]["failures"] + mix["Aggregated"]["failures"],
    }
    print(format_report(report))
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for name in (f"load-{engine}-{stamp}.json", f"load-{engine}-latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=1))
    print(f"\nJSON: bench/results/load-{engine}-{stamp}.json")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
