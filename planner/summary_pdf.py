"""The summary PDF's machinery, apart from its content (planner.summary) and its view:
rendering with WeasyPrint, warming WeasyPrint up when a server process starts, a shared cache
of finished PDFs, and the bound on how many PDFs render at once.

Rendering is CPU work (0.2–4 s a PDF) that would otherwise take every server worker when many
staff print at once, and a plain page would wait behind them. So:

- a finished PDF is kept in Django's cache (the database cache: every app server shares it)
  under a key made of everything the PDF shows, so an unchanged plan is served without
  rendering, and any change renders afresh (`cache_key`); and a render is also kept under
  the digest of its HTML (`content_key`), so a change that alters nothing printed (the
  plan's internal notes, a staff member's unrelated edit) costs an HTML page, not a render;
- at most SUMMARY_PDF_RENDERS_PER_PROCESS renders run at once in one server process, and one
  per user across all servers; a request beyond that is told the PDF is being prepared and
  asks again (`render_slot`, the view's "being prepared" page)."""

import functools
import hashlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.db import connection

from planner.fragments import code_version

# Relative links in the PDF templates resolve against this; the fetcher reads only the path,
# so the host is never contacted (.invalid is reserved and never resolves).
PDF_BASE_URL = "https://summary.invalid/"
# A render holds its user's slot at most this long, should its process die mid-render.
USER_SLOT_SECONDS = 60
CACHE_PREFIX = "summary-pdf"
# How much lower than the server's the render processes' CPU priority is (nice 0 to 19).
# Tried at 19 (29 Nov): a render then waits for any other busy process on the machine (an
# 8 s 4-page PDF beside a bench, none of the storm's 50 PDFs delivered in 60 s), for no
# clear gain to plain pages; 10 lets PDFs progress while pages still come first.
RENDER_NICENESS = 10


def static_only_fetcher():
    """A WeasyPrint URL fetcher that reads files found by the staticfiles finders and
    refuses everything else, so rendering a PDF never touches the network."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_prefix = urlsplit(settings.STATIC_URL).path

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = urlsplit(url).path
            if not path.startswith(static_prefix):
                raise ValueError(f"Only static files are loaded into the PDF, not {url}")
            try:
                found = finders.find(unquote(path.removeprefix(static_prefix)))
            except SuspiciousFileOperation:
                found = None
            if not found:
                raise ValueError(f"No static file at {url}")
            file = Path(found)
            mime = "text/css" if file.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(
                file.as_uri(), file.read_bytes(), headers={"Content-Type": mime}
            )

    return StaticOnlyFetcher()


SUMMARY_STYLESHEET = "css/summary.css"
_parsed = threading.local()


def summary_stylesheet():
    """The summary's stylesheet, parsed once per thread and again only when the file changes:
    parsing it for every PDF was about a tenth of a 2-page render. Per thread because
    WeasyPrint does not say its stylesheet objects may be shared between threads (a render
    process renders one PDF at a time; without it, a server's threads render side by side).
    A stylesheet passed to WeasyPrint counts as the reader's, below the document's own: the
    PDF templates' page setup (size, margin boxes) still wins over its print rules."""
    from weasyprint import CSS

    found = finders.find(SUMMARY_STYLESHEET)
    version = (found, os.stat(found).st_mtime_ns)
    cached = getattr(_parsed, "summary", None)
    if cached is None or cached[0] != version:
        sheet = CSS(
            filename=found,
            base_url=f"{PDF_BASE_URL}{settings.STATIC_URL.strip('/')}/{SUMMARY_STYLESHEET}",
            url_fetcher=static_only_fetcher(),
        )
        cached = _parsed.summary = (version, sheet)
    return cached[1]


def render_pdf_here(html: str) -> bytes:
    """A tagged PDF (PDF/UA-1: a screen reader can follow headings, lists and tables),
    rendered in this process, with the summary's stylesheet (the PDF templates do not link
    it: see summary_stylesheet)."""
    # Imported here: WeasyPrint loads Pango and fonts, which only the PDF views need.
    from weasyprint import HTML

    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_fetcher()).write_pdf(
        pdf_variant="pdf/ua-1", stylesheets=[summary_stylesheet()]
    )


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _start_render_process() -> None:
    """A render process runs at a lower CPU priority than the server's processes, so the
    operating system gives a plain page the CPU first while PDFs render; it needs Django's
    settings (the static files) but never the database."""
    os.nice(RENDER_NICENESS)
    # A graceful stop signals the whole process group: the worker finishes its requests, so
    # its render process must finish theirs too. It ends when the worker closes the pool, or
    # when the worker is gone (its task queue closes).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import django

    django.setup()
    render_pdf_here(WARM_UP_HTML)


def _render_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=max(settings.SUMMARY_PDF_RENDERS_PER_PROCESS, 1),
                # Not fork: the server process has threads (gthread) and open connections.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_render_process,
            )
        return _pool


def render_pdf(html: str) -> bytes:
    """The PDF of `html`: in this server process's render process (SUMMARY_PDF_RENDER_PROCESS,
    the default) or here. In a process of its own, a render neither holds this process's GIL,
    which its threads serving plain pages need, nor competes with them for the CPU on equal
    terms (it runs at a lower priority)."""
    global _pool
    if not settings.SUMMARY_PDF_RENDER_PROCESS:
        return render_pdf_here(html)
    try:
        return _render_pool().submit(render_pdf_here, html).result()
    except BrokenProcessPool:
        with _pool_lock:  # the render process died (killed, out of memory): start afresh next time
            _pool = None
        raise


# What warm_up renders: the summary's stylesheet, its font in the weights and styles the
# summary uses, a table, a list, margin boxes and an SVG with text, so that the first real
# PDF finds fonts discovered, shaping caches filled and every module imported.
WARM_UP_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Warm-up</title>
<style>@page { size: A4; @bottom-right { content: "Page " counter(page) " of " counter(pages);
font: 7.5pt "DejaVu Sans", sans-serif; } }</style></head>
<body class="summary-pdf"><article class="summary"><h1>Warm-up 0123456789 – “”</h1>
<dl class="summary-facts"><div><dt>Patient</dt><dd>Warm Up</dd></div></dl>
<p><strong>Bold</strong> <em>italic</em> <span class="src">[source]</span> USD 1,000–2,000</p>
<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 200 40" width="200" height="40"
 font-family="DejaVu Sans, Verdana, sans-serif" font-size="11"><title>Timeline</title>
<rect width="50" height="8" fill="#f3d9c4"/><text x="5" y="30" font-weight="600">12 Jan</text></svg>
<table class="summary-table"><thead><tr><th scope="col">Session</th></tr></thead>
<tbody><tr><td>1 of 3</td></tr></tbody></table><ul class="summary-list"><li>Item</li></ul>
</article></body></html>"""


def warm_up() -> int:
    """Start this process's render process and render a small PDF, so that the first real
    one pays neither the process's start nor font discovery and WeasyPrint's imports (seconds
    on a fresh worker); digest the code and compile the template. Returns the PDF's size."""
    from django.template.loader import get_template

    code_version()
    get_template("planner/summary_pdf.html")
    return len(render_pdf(WARM_UP_HTML))


def warm_up_in_background() -> None:
    """warm_up without waiting for it, for gunicorn's post_worker_init: a worker that has not
    finished booting within gunicorn's timeout is killed and replaced, and starting a render
    process can take that long on a busy machine. The worker serves pages meanwhile; a PDF
    asked for before the render process is ready waits for it."""
    if settings.SUMMARY_PDF_RENDER_PROCESS:
        _render_pool().submit(render_pdf_here, WARM_UP_HTML)
    else:
        warm_up()
    # Here, in the worker itself: the code digest (reads the source tree, about a second)
    # and the PDF template, which the first PDF request would otherwise pay for.
    from django.template.loader import get_template

    code_version()
    get_template("planner/summary_pdf.html")


# --- the cache ----------------------------------------------------------------------------------


@functools.cache
def catalog_history_tables() -> tuple[str, ...]:
    """Every history table of the clinic app (treatments, prices, products, lots, storage
    readings, evidence notes...): each catalog write adds a row to one of them, so their
    newest ids together change whenever the catalog a PDF prints from changes."""
    models = [m for m in apps.get_app_config("clinic").get_models() if hasattr(m, "history")]
    return tuple(sorted(m.history.model._meta.db_table for m in models))


@functools.cache
def _stamp_sql() -> str:
    """Built once per process: the ORM would rebuild and compile a dozen subqueries for every
    PDF request (about 1 ms, most of a cached PDF's time). Each MAX reads one end of a
    primary-key index, on SQLite and PostgreSQL alike."""
    from planner.delivery.models import TreatmentSession
    from planner.models import Patient, Plan

    quote = connection.ops.quote_name
    plan, patient = quote(Plan._meta.db_table), quote(Patient._meta.db_table)
    users = quote(get_user_model()._meta.db_table)
    acknowledged_by = quote(Plan._meta.get_field("due_diligence_acknowledged_by").column)
    sessions = quote(TreatmentSession.history.model._meta.db_table)
    catalog = ", ".join(
        f"(SELECT MAX(history_id) FROM {quote(table)})" for table in catalog_history_tables()
    )
    return (
        f"SELECT p.id, p.version, pt.version, u.first_name, u.last_name, u.username, "
        f"(SELECT MAX(history_id) FROM {sessions} WHERE plan_id = p.id), {catalog} "
        f"FROM {plan} p JOIN {patient} pt ON pt.id = p.patient_id "
        f"LEFT JOIN {users} u ON u.id = p.{acknowledged_by} WHERE p.id = %s"
    )


def plan_stamp(plan_id: int) -> dict | None:
    """In one query, the versions of everything a plan's summary shows: the plan (its courses
    and quote are saved with it and bump its version), the patient, the name of who accepted
    its open due-diligence questions (a name can change without the plan changing), the plan's
    session records and the catalog. None when there is no such plan."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(), [plan_id])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, version, patient_version, *acknowledged_by, sessions = row[:7]
    return {
        "pk": pk,
        "version": version,
        "patient_version": patient_version,
        "acknowledged_by": tuple(acknowledged_by),
        "sessions": sessions,
        "catalog": tuple(row[7:]),
    }


def summary_parts(*, stamp: dict, user, today) -> list[str]:
    """What a summary, on paper or on screen, is a function of: the plan's stamp, who prepares
    it (printed on it; None for nobody) and the day (the quote's expiry and the timeline's
    "today" depend on it). The code is the last part of every key
    (planner.fragments.code_version)."""
    who = "nobody" if user is None else f"{user.pk}:{user.get_full_name()}:{user.get_username()}"
    return [
        *(f"{name}={value}" for name, value in sorted(stamp.items())),
        f"user={who}",
        f"today={today.isoformat()}",
    ]


def cache_key(*, stamp: dict, user, today, paper: str) -> str:
    """The PDF's cache key: the summary's parts, the paper and the code."""
    parts = [
        *summary_parts(stamp=stamp, user=user, today=today),
        f"paper={paper}",
        f"code={code_version()}",
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"{CACHE_PREFIX}:{stamp['pk']}:{digest}"


def content_key(html: str) -> str:
    """The key of a render by what it prints: the exact HTML handed to WeasyPrint and the
    code that renders it. A save that changes nothing printed (say, the plan's internal notes)
    misses the stamp key above, but finds the PDF rendered from the same HTML here."""
    digest = hashlib.sha256(f"{code_version()}|{html}".encode()).hexdigest()
    return f"{CACHE_PREFIX}:html:{digest}"


def cached_render(key: str) -> bytes | None:
    if settings.SUMMARY_PDF_CACHE_SECONDS <= 0:
        return None
    return cache.get(key)


def store_render(key: str, pdf: bytes) -> None:
    if settings.SUMMARY_PDF_CACHE_SECONDS > 0:
        cache.set(key, pdf, timeout=settings.SUMMARY_PDF_CACHE_SECONDS)


@dataclass(frozen=True)
class CachedPdf:
    pdf: bytes
    filename: str


def cached_pdf(key: str) -> CachedPdf | None:
    if settings.SUMMARY_PDF_CACHE_SECONDS <= 0:
        return None
    return cache.get(key)


def store_pdf(key: str, document: CachedPdf) -> None:
    if settings.SUMMARY_PDF_CACHE_SECONDS > 0:
        cache.set(key, document, timeout=settings.SUMMARY_PDF_CACHE_SECONDS)


# --- how many render at once --------------------------------------------------------------------

_slots_lock = threading.Lock()
_slots: dict[int, threading.Semaphore] = {}


def _process_slots() -> threading.Semaphore:
    """This process's render slots (one semaphore per configured size, so a test that
    changes the setting gets a semaphore of the new size)."""
    size = settings.SUMMARY_PDF_RENDERS_PER_PROCESS
    with _slots_lock:
        return _slots.setdefault(size, threading.Semaphore(max(size, 0)))


@contextmanager
def render_slot(user) -> Iterator[bool]:
    """True inside the block when this request may render now: a free slot in this process
    and no other render of this user's under way on any server (the shared cache holds that
    mark). False when the caller must answer "being prepared" instead. Never waits."""
    slots = _process_slots()
    if not slots.acquire(blocking=False):
        yield False
        return
    try:
        user_key = f"{CACHE_PREFIX}:rendering:user:{user.pk}"
        if not cache.add(user_key, 1, timeout=USER_SLOT_SECONDS):
            yield False
            return
        try:
            yield True
        finally:
            cache.delete(user_key)
    finally:
        slots.release()
