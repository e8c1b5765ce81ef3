"""The summary PDF's own figures (issue 17), on the bench's small database:

- the first PDF of a fresh process, without and with the warm-up gunicorn runs when a worker
  starts (each in a new Python process, so nothing is imported or cached beforehand);
- warm renders of the 1-course (2 pages), 3 × 6 and 12 × 6 bench plans, the cache off;
- a cached PDF as a multiple of the floor view, timed in the same rounds.

    python -m bench.pdf [--rounds 15]

The database is bench/results' small one (built first if missing, as `make load` does)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import databases
from bench.run import REPO, RESULTS, machine, pdf_pages


def ensure_database(dataset: str) -> str:
    url = databases.dataset_url(dataset)
    if not databases.exists(url):
        print(f"pdf: building the {dataset} bench database first …", flush=True)
        databases.create_empty(url)
        subprocess.run(
            [sys.executable, "-m", "bench.run", "--child", dataset, "--prepare-only"],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            timeout=1800,
        )
    return url


# --- children: each a fresh process -------------------------------------------------------------


def setup() -> None:
    from bench.run import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)  # a bench database built before the cache existed


def first_pdf(warm: bool) -> dict:
    """Time to the first PDF in this (fresh) process, after the warm-up if `warm`."""
    started = time.perf_counter()
    from bench.run import logged_in_client

    setup()
    from django.conf import settings
    from django.urls import reverse

    from bench.fixtures import find_bench_data
    from planner import summary_pdf

    settings.SUMMARY_PDF_CACHE_SECONDS = 0  # a render, not the PDF an earlier run cached

    data = find_bench_data()
    client = logged_in_client(data)
    client.get(reverse("bench-floor"))  # Django, the session and the ORM are warm either way
    setup_s = time.perf_counter() - started
    warm_up_s = None
    if warm:
        began = time.perf_counter()
        summary_pdf.warm_up()
        warm_up_s = time.perf_counter() - began
    began = time.perf_counter()
    response = client.get(reverse("plan-summary-pdf", args=[data.plan_ids["one_course"]]))
    first_s = time.perf_counter() - began
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    return {"setup_s": round(setup_s, 3), "warm_up_s": warm_up_s, "first_pdf_s": round(first_s, 3)}


def warm_figures(rounds: int) -> dict:
    from bench.run import logged_in_client

    setup()
    from django.conf import settings
    from django.urls import reverse

    from bench.fixtures import find_bench_data

    data = find_bench_data()
    client = logged_in_client(data)
    floor = reverse("bench-floor")
    cached = reverse("plan-summary-pdf", args=[data.plan_id])
    plans = {shape: reverse("plan-summary-pdf", args=[pk]) for shape, pk in data.plan_ids.items()}

    def timed(path):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, response

    # Renders, the cache off (each request renders).
    settings.SUMMARY_PDF_CACHE_SECONDS = 0
    rendered = {}
    for shape, path in plans.items():
        _, response = timed(path)  # warm
        samples = [timed(path)[0] for _ in range(rounds)]
        rendered[shape] = {
            "pages": pdf_pages(response.content),
            "median_ms": round(statistics.median(samples), 1),
            "min_ms": round(min(samples), 1),
        }
    # The cache on: the floor and a cached PDF, round-robin.
    settings.SUMMARY_PDF_CACHE_SECONDS = 3600
    timed(cached)
    timed(floor)
    floor_ms, cached_ms = [], []
    for _ in range(max(rounds, 50)):
        floor_ms.append(timed(floor)[0])
        cached_ms.append(timed(cached)[0])
    return {
        "rendered": rendered,
        "floor_median_ms": round(statistics.median(floor_ms), 2),
        "cached_median_ms": round(statistics.median(cached_ms), 2),
        "cached_ratio": round(statistics.median(cached_ms) / statistics.median(floor_ms), 2),
    }


# --- the parent ---------------------------------------------------------------------------------


def child(mode: str, url: str, rounds: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.pdf", "--child", mode, "--rounds", str(rounds)],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": url, "DEBUG": "false", "LOG_LEVEL": "WARNING"},
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(rounds: int = 15, fresh_runs: int = 3) -> dict:
    url = ensure_database("small")
    cold = [child("cold", url, rounds) for _ in range(fresh_runs)]
    warm = [child("warm", url, rounds) for _ in range(fresh_runs)]
    return {
        "first_pdf_without_warm_up_s": statistics.median(r["first_pdf_s"] for r in cold),
        "first_pdf_with_warm_up_s": statistics.median(r["first_pdf_s"] for r in warm),
        "warm_up_s": statistics.median(r["warm_up_s"] for r in warm),
        "fresh_runs": fresh_runs,
        **child("figures", url, rounds),
    }


def format_report(report: dict) -> str:
    lines = [
        f"Summary PDF {report['date']} · {report['engine']} · {report['machine']}",
        f"first PDF of a fresh process: {report['first_pdf_without_warm_up_s']:.2f} s without "
        f"the warm-up, {report['first_pdf_with_warm_up_s']:.2f} s after it (the warm-up itself: "
        f"{report['warm_up_s']:.2f} s, paid when the worker starts); median of "
        f"{report['fresh_runs']} processes each",
    ]
    for shape, row in report["rendered"].items():
        lines.append(
            f"render, cache off, {shape:<15} {row['pages']:>2} pages: median "
            f"{row['median_ms']:.0f} ms (min {row['min_ms']:.0f})"
        )
    lines.append(
        f"cached PDF: {report['cached_median_ms']:.2f} ms against the floor's "
        f"{report['floor_median_ms']:.2f} ms: {report['cached_ratio']:.2f}× the floor"
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--child", choices=("cold", "warm", "figures"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "figures":
            result = warm_figures(args.rounds)
        else:
            result = first_pdf(warm=args.child == "warm")
        print(json.dumps(result))
        return 0
    RESULTS.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "engine": databases.engine(databases.base_url()),
        "machine": machine(),
        **measure(args.rounds),
    }
    print(format_report(report))
    (RESULTS / f"pdf-{report['engine']}-latest.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
