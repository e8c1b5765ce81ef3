"""Locust users for `make load`. bench/load.py writes the config (logged-in sessions, each
with its own plan, and the paths to request) and names the user classes on locust's command
line: Floor (every user on the floor view), Mix (what staff do all day: recalculations,
saves, PDFs, plan pages, lists) or the PDF storm (StormPdf: 50 staff asking for the largest
plan's PDF at once; StormPages: plain pages meanwhile). Users wait for nothing between
requests: the run measures what the server sustains with every user's request in flight."""

import itertools
import json
import os
import random
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, task

try:
    from bench.editor_form import editor_fields
except ImportError:  # locust puts this file's folder on the path, not the repository's
    from editor_form import editor_fields

CONFIG = json.loads(Path(os.environ["BENCH_LOAD_CONFIG"]).read_text())
_sessions = itertools.cycle(CONFIG["sessions"])
_storm_sessions = itertools.cycle(CONFIG.get("storm_sessions") or CONFIG["sessions"])
SAVED = "/plans/{plan}/"


class Staff(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    network_timeout = 120.0  # a PDF render in the mix waits for its render process
    pool = _sessions

    def on_start(self):
        session = next(self.pool)
        self.session = session
        self.cookie = f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}"
        self.csrf = session["csrftoken"]
        self.random = random.Random(session["sessionid"])
        self.saves = 0

    def fetch(self, name: str, path: str, expect: str | None, *, post=None, htmx=False, ok=(200,)):
        headers = {"Cookie": self.cookie}
        if post is not None:
            headers.update(
                {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf}
            )
        if htmx:
            headers["HX-Request"] = "true"
        method = self.client.post if post is not None else self.client.get
        kwargs = {"data": post} if post is not None else {}
        with method(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in ok:
                response.failure(f"status {response.status_code}")
            elif expect is not None and expect not in (response.text or ""):
                response.failure(f"no {expect!r} in the response")
            else:
                response.success()  # locust counts 286 (htmx: stop polling) as an error
            return response

    # --- the kinds of request -------------------------------------------------------------------

    def recalculation(self):
        self.fetch(
            "recalculation",
            self.session["edit_path"],
            'id="plan-total"',
            post=self.session["recalculation_body"],
            htmx=True,
        )

    def save(self):
        """As the browser saves: the editor page, its form as it stands, one field changed,
        the Save button; the answer is the redirect to the saved plan. Every other save
        changes the title, which the summary prints (its PDF renders afresh), the others the
        internal notes, which it does not (the PDF rendered from the same HTML is reused)."""
        page = self.fetch("editor page (before a save)", self.session["edit_path"], "plan-form")
        self.saves += 1
        changed = "title" if self.saves % 2 == 0 else "notes"
        fields = [(n, v) for n, v in editor_fields(page.text or "") if n != changed]
        fields += [(changed, f"Load test save {self.saves}"), ("action", "save")]
        response = self.fetch(
            "save", self.session["edit_path"], None, post=urlencode(fields), ok=(302,)
        )
        location = response.headers.get("Location", "") if response.status_code == 302 else ""
        if response.status_code == 302 and location != SAVED.format(plan=self.session["plan"]):
            response.failure(f"saved, but sent to {location}")

    def pdf(self, path: str, name: str = "pdf"):
        """A PDF as staff get it: at once, or through the "being prepared" page, which polls
        (htmx) until the PDF is ready and then offers the download."""
        response = self.fetch(name, path, None, ok=(200, 302))
        if response.status_code == 200:
            if not (response.content or b"").startswith(b"%PDF"):
                response.failure("not a PDF")
            return
        preparing = response.headers.get("Location", "")
        self.fetch(f"{name}: being prepared page", preparing, "Your PDF is being prepared")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            gevent.sleep(CONFIG["retry_seconds"])
            poll = self.fetch(f"{name}: poll", preparing, None, htmx=True, ok=(204, 286))
            if poll.status_code == 286:
                download = self.fetch(f"{name}: download when ready", path, None, ok=(200, 302))
                if download.status_code == 200:
                    return
        with self.client.get(
            path, name=f"{name}: never ready", catch_response=True, headers={}
        ) as response:
            response.failure("not ready within 120 s")

    def plan_page(self):
        self.fetch("plan page", self.random.choice(CONFIG["plan_pages"]), "<h1")

    def list_page(self):
        name, path = self.random.choice(CONFIG["list_pages"])
        self.fetch(name, path, "<table")


class Mix(Staff):
    @task(35)
    def recalculate(self):
        self.recalculation()

    @task(5)
    def save_plan(self):
        self.save()

    @task(5)
    def download_pdf(self):
        self.pdf(self.session["pdf_path"])

    @task(25)
    def read_plan(self):
        self.plan_page()

    @task(30)
    def read_list(self):
        self.list_page()


class Floor(Staff):
    @task
    def floor(self):
        self.fetch("floor view", CONFIG["floor"], "active treatments")


class StormPdf(Staff):
    """One of 50 staff who all ask for the largest plan's PDF at the same moment, each once."""

    fixed_count = CONFIG.get("storm_pdf_users", 50)
    pool = _storm_sessions
    # The request that renders waits for the render (a 17-page PDF; longer on a busy machine).
    network_timeout = 300.0

    @task
    def largest_pdf(self):
        started = time.monotonic()
        self.pdf(CONFIG["largest_pdf"], name="storm pdf")
        self.environment.events.request.fire(
            request_type="FLOW",
            name="storm pdf: asked to delivered",
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
        while True:  # once each: the storm is the first 50 requests, not a loop
            gevent.sleep(3600)


class StormPages(Staff):
    """Plain pages while the storm lasts: what the rest of the clinic waits on."""

    @task(50)
    def read_plan(self):
        self.plan_page()

    @task(50)
    def read_list(self):
        self.list_page()
