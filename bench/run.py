"""`make bench`: server time and query count of the requests staff wait on, each as a
multiple of a floor view measured in the same process, on a small and on a
clinic-chain-sized database.

    python -m bench.run                  # small and large database: a table, JSON in bench/results/
    python -m bench.run --quick          # tiny data, few iterations (the smoke test's run)
    python -m bench.run --datasets small --profile recalculation   # plus a pyinstrument report

DATABASE_URL picks the engine (SQLite by default, or PostgreSQL); the bench never touches
the database it names, only its own copies (see bench/databases.py). Each dataset is built
and measured in a child process of its own: migrate, seed_demo, the bench's own plans, a
warm-up, the query counts, then the timings, round-robin over the requests so drift
affects them all alike."""

import argparse
import gc
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench import databases

REPO = Path(__file__).resolve().parent.parent
RESULTS = databases.RESULTS

# Each figure as a multiple of the floor view's median.
RATIO_TARGETS = {
    "recalculation": 3.0,
    "plan_page": 3.0,
    "summary_html": 3.0,
    # The pages of this round (issue 17: each at most 4× the floor).
    "day_board": 4.0,
    "lot_page": 4.0,
    "signing_page": 4.0,
}
PDF_SECONDS = 1.0
PDF_PAGES = 2
# Issue 17: every page on the large database within this multiple of its small-database
# time (the floor view itself is the yardstick, not a page).
SCALE_LIMIT = 1.2
# The clinic's numbers (planner/board): the reports page and each CSV, as multiples of the
# floor and of their own small-database time. They aggregate over every plan, so the
# indexes of migration 0012 are what keeps them near their small-database time.
REPORTS = {
    "reports": ("reports page", "/reports/", "<svg"),
    **{
        f"report_csv_{slug}": (f"reports CSV, {slug}", f"/reports/{slug}.csv", header)
        for slug, header in (
            ("pipeline", "status,currency"),
            ("conversion", "month,presented"),
            ("ahead", "month,sessions planned"),
            ("treatments", "treatment,courses"),
            ("products", "product,sessions performed"),
            ("sessions", "month,performed"),
        )
    },
}
REPORT_RATIO_LIMIT = 4.0
SIZES = {"small": (200, 1000), "large": (20000, 100000)}  # patients, plans
QUICK_SIZES = {"small": (20, 60), "large": (40, 150)}


class BenchError(Exception):
    pass


# --- the child: one database, one Django process ----------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    import django

    # whitenoise looks for collected static files, which the bench's pages do not need.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)

    django.setup()


def send(client, endpoint):
    """One request; its server time is what the caller measures around this call."""
    if endpoint.method == "post":
        # Form-encoded, as htmx and browsers send it (the test client's default is multipart).
        return client.post(
            endpoint.path,
            urlencode(endpoint.data, doseq=True),
            content_type="application/x-www-form-urlencoded",
            headers={"HX-Request": "true"} if endpoint.htmx else {},
        )
    return client.get(endpoint.path)


def check(endpoint, response) -> None:
    if response.status_code != 200 or endpoint.expect.encode() not in response.content:
        raise BenchError(
            f"{endpoint.label} ({endpoint.method.upper()} {endpoint.path}) answered "
            f"{response.status_code} without {endpoint.expect!r}: the bench times only "
            "real pages."
        )


class QueryLog:
    """Every query of the requests inside the block, with its own duration (Django's
    CaptureQueriesContext rounds to milliseconds, too coarse here)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter_ns() - started) / 1e6
            self.queries.append({"sql": sql, "ms": round(elapsed, 3)})


def count_queries(client, endpoint, *, runs: int = 2) -> dict:
    """Queries of one request. Run twice, the smaller kept: the session's idle stamp is
    renewed at most once a minute, and that one write is not the page's."""
    from django.db import connection

    logs = []
    for _ in range(runs):
        log = QueryLog()
        with connection.execute_wrapper(log):
            check(endpoint, send(client, endpoint))
        logs.append(log.queries)
    queries = min(logs, key=len)
    return {
        "count": len(queries),
        "db_ms": round(sum(q["ms"] for q in queries), 3),
        "sql": queries,
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def pdf_pages(content: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a dev dependency; fall back to counting page objects
        return len(re.findall(rb"/Type\s*/Page\b", content))
    return len(PdfReader(io.BytesIO(content)).pages)


def queries_by_courses(client, data, names, *, warm: bool = True, runs: int = 2) -> dict:
    """Query counts of the per-plan requests for the 1-course and the 12-course plan."""
    from bench.fixtures import endpoints

    counts = {}
    for shape in ("one_course", "twelve_courses"):
        for endpoint in endpoints(data, plan_id=data.plan_ids[shape]):
            if endpoint.name in names:
                if warm:
                    check(endpoint, send(client, endpoint))  # this plan's first request
                counts.setdefault(endpoint.name, {})[shape] = count_queries(
                    client, endpoint, runs=runs
                )["count"]
    return counts


def report_endpoints(data) -> list:
    """The reports' requests. The bench user is given the reports permission alone: a clinic
    admin's role also asks for a second factor, which is not what is timed here."""
    from django.contrib.auth.models import Permission

    from bench.fixtures import Endpoint

    permission = Permission.objects.get(content_type__app_label="planner", codename="view_reports")
    Permission.user_set.through.objects.get_or_create(user_id=data.user_id, permission=permission)
    return [
        Endpoint(name, label, path, expect=expect)
        for name, (label, path, expect) in REPORTS.items()
    ]


def logged_in_client(data):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.fixtures import open_signing_link

    client = Client()
    client.force_login(get_user_model().objects.get(pk=data.user_id))
    open_signing_link(client, data)
    return client


def board_endpoints() -> list:
    """The staff home (the day board): its six lists over the whole database, each one page."""
    from django.urls import reverse

    from bench.fixtures import Endpoint

    return [Endpoint("day_board", "day board (staff home)", reverse("day-board"), expect="Today, ")]


def measure(
    data,
    *,
    iterations: int,
    warmup: int,
    pdf_iterations: int,
    count_runs: int = 2,
    per_plan: tuple[str, ...] | None = None,
) -> dict:
    """Time and count every endpoint for the bench's plans; Django must be set up.
    `per_plan` names the requests whose counts are compared for 1 and 12 courses
    (default: every per-plan request)."""
    from bench.fixtures import PER_PLAN, endpoints

    client = logged_in_client(data)
    timed = endpoints(data) + report_endpoints(data) + board_endpoints()
    for endpoint in timed:
        for _ in range(min(warmup, 2) if endpoint.slow else warmup):
            check(endpoint, send(client, endpoint))

    queries = {e.name: count_queries(client, e, runs=count_runs) for e in timed}
    by_courses = queries_by_courses(
        client,
        data,
        PER_PLAN if per_plan is None else per_plan,
        warm=warmup > 0,
        runs=count_runs,
    )

    samples = {e.name: [] for e in timed}
    gc.collect()
    for round_number in range(iterations):
        for endpoint in timed:
            if endpoint.slow and round_number >= pdf_iterations:
                continue
            started = time.perf_counter_ns()
            response = send(client, endpoint)
            samples[endpoint.name].append((time.perf_counter_ns() - started) / 1e6)
            check(endpoint, response)
            if endpoint.name == "summary_pdf":
                last_pdf = response.content

    floor = statistics.median(samples["floor"])
    figures = {}
    for endpoint in timed:
        values = samples[endpoint.name]
        median = statistics.median(values)
        figures[endpoint.name] = {
            "label": endpoint.label,
            "request": f"{endpoint.method.upper()} {endpoint.path}",
            "samples": len(values),
            "median_ms": round(median, 3),
            "p95_ms": round(percentile(values, 0.95), 3),
            "min_ms": round(min(values), 3),
            "ratio": round(median / floor, 2),
            "queries": queries[endpoint.name]["count"],
            "db_ms": queries[endpoint.name]["db_ms"],
            "sql": queries[endpoint.name]["sql"],
        }
    return {
        "endpoints": figures,
        "queries_by_courses": by_courses,
        "pdf_pages": pdf_pages(last_pdf) if pdf_iterations else None,
    }


def profile(data, name: str, rounds: int, path: Path) -> str:
    """A pyinstrument report of `rounds` requests of one endpoint."""
    from pyinstrument import Profiler

    from bench.fixtures import endpoints

    by_name = {e.name: e for e in endpoints(data) + board_endpoints()}
    if name not in by_name:
        raise BenchError(f"No endpoint {name!r}; choose from {', '.join(by_name)}.")
    endpoint = by_name[name]
    client = logged_in_client(data)
    check(endpoint, send(client, endpoint))
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(rounds):
        send(client, endpoint)
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False)
    path.write_text(text)
    path.with_suffix(".html").write_text(profiler.output_html())
    return text


def table_rows() -> dict[str, int]:
    from planner.models import Course, Patient, Plan

    return {
        "patients": Patient.objects.count(),
        "plans": Plan.objects.count(),
        "courses": Course.objects.count(),
        "plan_history": Plan.history.count(),
    }


def child(args) -> int:
    setup_django(os.environ["DATABASE_URL"])
    from django.core.management import call_command

    from bench.fixtures import create_bench_data

    patients, plans = args.sizes[args.child]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", patients=patients, plans=plans, stdout=io.StringIO())
    seed_seconds = time.perf_counter() - started
    data = create_bench_data()
    if args.prepare_only:
        return 0
    from django.conf import settings

    # The summary PDF row times a render; a cached PDF is bench/pdf.py's figure.
    settings.SUMMARY_PDF_CACHE_SECONDS = 0
    result = measure(
        data,
        iterations=args.iterations,
        warmup=args.warmup,
        pdf_iterations=args.pdf_iterations,
    )
    result.update(
        dataset=args.child,
        seeded={"patients": patients, "plans": plans, "seconds": round(seed_seconds, 1)},
        rows=table_rows(),
    )
    if args.profile:
        path = RESULTS / f"profile-{args.engine}-{args.child}-{args.profile}.txt"
        profile(data, args.profile, args.profile_rounds, path)
        result["profile"] = str(path.relative_to(REPO))
    Path(args.output).write_text(json.dumps(result, indent=1))
    return 0


# --- the parent: datasets, verdicts, table, JSON ----------------------------------------------


def verdicts(results: dict) -> list[dict]:
    """Each target of the issue, met or not, from the datasets measured."""
    checks = []

    def add(what, ok, detail):
        checks.append({"check": what, "ok": bool(ok), "detail": detail})

    for dataset, result in results.items():
        figures = result["endpoints"]
        for name, limit in RATIO_TARGETS.items():
            if name not in figures:  # a database without lots or links (--quick's)
                add(f"{dataset}: {name} measured", False, "not measured")
                continue
            ratio = figures[name]["ratio"]
            add(
                f"{dataset}: {figures[name]['label']} <= {limit}× floor",
                ratio <= limit,
                f"{ratio}×",
            )
        for name in REPORTS:
            ratio = figures[name]["ratio"]
            add(
                f"{dataset}: {figures[name]['label']} <= {REPORT_RATIO_LIMIT:g}× floor",
                ratio <= REPORT_RATIO_LIMIT,
                f"{ratio}×",
            )
        pdf = figures["summary_pdf"]
        add(
            f"{dataset}: summary PDF < {PDF_SECONDS:g} s (the target names {PDF_PAGES} pages)",
            pdf["median_ms"] < PDF_SECONDS * 1000,
            f"{pdf['median_ms']:.0f} ms for {result['pdf_pages']} pages",
        )
        for name, counts in result["queries_by_courses"].items():
            add(
                f"{dataset}: {figures[name]['label']} queries, 1 vs 12 courses",
                counts["one_course"] == counts["twelve_courses"],
                f"{counts['one_course']} vs {counts['twelve_courses']}",
            )
    if "small" in results and "large" in results:
        small, large = results["small"]["endpoints"], results["large"]["endpoints"]
        for name in small:
            add(
                f"queries of {small[name]['label']}, small vs large database",
                small[name]["queries"] == large[name]["queries"],
                f"{small[name]['queries']} vs {large[name]['queries']}",
            )
        limits = {name: SCALE_LIMIT for name in small if name != "floor"}
        for name, limit in limits.items():
            ratio = large[name]["median_ms"] / small[name]["median_ms"]
            add(
                f"{small[name]['label']}: large database <= {limit}× small",
                ratio <= limit,
                f"{ratio:.2f}×",
            )
    return checks


def counts_in(result: dict, name: str) -> list[str]:
    """The COUNT queries of one request, with their time: a paginator's count grows with
    the table."""
    return [f"{q['ms']:.1f} ms" for q in result["endpoints"][name]["sql"] if "COUNT(*)" in q["sql"]]


def format_report(report: dict) -> str:
    results = report["datasets"]
    names = list(next(iter(results.values()))["endpoints"])
    lines = [
        f"Bench {report['date']} · {report['engine']} · {report['machine']}",
        "  "
        + "; ".join(
            f"{d}: {r['rows']['patients']} patients, {r['rows']['plans']} plans "
            f"(seeded in {r['seeded']['seconds']} s)"
            for d, r in results.items()
        ),
        "",
    ]
    header = f"{'request':<28}"
    for dataset in results:
        header += f" | {dataset + ' median':>13} {'p95':>7} {'×floor':>7} {'queries':>7}"
    if len(results) == 2:
        header += f" | {'large/small':>11}"
    lines += [header, "-" * len(header)]
    for name in names:
        row = f"{results[next(iter(results))]['endpoints'][name]['label']:<28}"
        for result in results.values():
            f = result["endpoints"][name]
            row += (
                f" | {f['median_ms']:>10.2f} ms {f['p95_ms']:>7.2f} {f['ratio']:>6.2f}×"
                f" {f['queries']:>7}"
            )
        if len(results) == 2:
            small, large = (results[d]["endpoints"][name]["median_ms"] for d in ("small", "large"))
            row += f" | {large / small:>10.2f}×"
        lines.append(row)
    lines.append("")
    for dataset, result in results.items():
        per_plan = ", ".join(
            f"{results[dataset]['endpoints'][n]['label']} {c['one_course']}/{c['twelve_courses']}"
            for n, c in result["queries_by_courses"].items()
        )
        lines.append(f"queries with 1/12 courses ({dataset}): {per_plan}")
        counted = {n: times for n in names if (times := counts_in(result, n))}
        if counted:
            lines.append(
                f"COUNT queries ({dataset}): "
                + ", ".join(f"{n} {', '.join(t)}" for n, t in counted.items())
            )
    lines.append("")
    for item in report["checks"]:
        lines.append(f"  {'ok    ' if item['ok'] else 'MISSED'} {item['check']}: {item['detail']}")
    return "\n".join(lines)


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="small,large", help="comma-separated: small,large")
    parser.add_argument("--iterations", type=int, default=100, help="timed rounds per request")
    parser.add_argument("--warmup", type=int, default=15, help="untimed requests per endpoint")
    parser.add_argument("--pdf-iterations", type=int, default=15, help="timed PDF renders")
    parser.add_argument("--small", default=None, help="PATIENTS,PLANS (default 200,1000)")
    parser.add_argument("--large", default=None, help="PATIENTS,PLANS (default 20000,100000)")
    parser.add_argument("--quick", action="store_true", help="tiny data, 3 rounds: a smoke run")
    parser.add_argument("--profile", metavar="ENDPOINT", help="also write a pyinstrument report")
    parser.add_argument("--profile-rounds", type=int, default=50)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = dict(QUICK_SIZES if args.quick else SIZES)
    for name in ("small", "large"):
        given = getattr(args, name)
        if given:
            patients, plans = (int(part) for part in given.split(","))
            sizes[name] = (patients, plans)
    args.sizes = sizes
    if args.quick:
        args.iterations, args.warmup, args.pdf_iterations = 3, 1, 1
    return args


def child_command(args, dataset: str, output: Path, engine: str) -> list[str]:
    command = [sys.executable, "-m", "bench.run", "--child", dataset, "--output", str(output)]
    command += ["--engine", engine, "--iterations", str(args.iterations)]
    command += ["--warmup", str(args.warmup), "--pdf-iterations", str(args.pdf_iterations)]
    command += ["--" + dataset, ",".join(str(n) for n in args.sizes[dataset])]
    if args.profile:
        command += ["--profile", args.profile, "--profile-rounds", str(args.profile_rounds)]
    return command


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args)
    base = databases.base_url()
    engine = databases.engine(base)
    RESULTS.mkdir(exist_ok=True)
    results = {}
    for dataset in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        if dataset not in SIZES:
            raise SystemExit(f"Unknown dataset {dataset!r}: small or large.")
        url = databases.dataset_url(dataset, base)
        databases.create_empty(url)
        output = RESULTS / f".child-{engine}-{dataset}.json"
        print(f"bench: {dataset} database ({engine}), {args.sizes[dataset]} …", flush=True)
        subprocess.run(
            child_command(args, dataset, output, engine),
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": url, "DEBUG": "false"},
            check=True,
            timeout=1800,
        )
        results[dataset] = json.loads(output.read_text())
        output.unlink()
    now = datetime.now(UTC)
    report = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "engine": engine,
        "machine": machine(),
        "quick": args.quick,
        "datasets": results,
        "checks": verdicts(results),
    }
    print(format_report(report))
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for name in (f"bench-{engine}-{stamp}.json", f"bench-{engine}-latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=1))
    print(f"\nJSON: bench/results/bench-{engine}-{stamp}.json")
    missed = [c for c in report["checks"] if not c["ok"]]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
