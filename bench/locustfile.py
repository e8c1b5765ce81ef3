"""Locust users for `make load`. bench/load.py writes the config (logged-in sessions, the
paths to request) and names the user class on locust's command line: Floor (every user on
the floor view) or Mix (recalculations, plan pages and list pages). Users wait for nothing
between requests: the run measures what the server sustains with every user's request
always in flight."""

import itertools
import json
import os
import random
from pathlib import Path

from locust import FastHttpUser, constant, task

CONFIG = json.loads(Path(os.environ["BENCH_LOAD_CONFIG"]).read_text())
_sessions = itertools.cycle(CONFIG["sessions"])


class Staff(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self):
        session = next(_sessions)
        self.cookie = f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}"
        self.csrf = session["csrftoken"]
        self.random = random.Random(session["sessionid"])

    def fetch(self, name: str, path: str, expect: str, *, post: str | None = None):
        headers = {"Cookie": self.cookie}
        if post is not None:
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "HX-Request": "true",
                    "X-CSRFToken": self.csrf,
                }
            )
        method = self.client.post if post is not None else self.client.get
        kwargs = {"data": post} if post is not None else {}
        with method(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif expect not in (response.text or ""):
                response.failure(f"no {expect!r} in the response")


class Mix(Staff):
    @task(40)
    def recalculation(self):
        recalc = CONFIG["recalculation"]
        self.fetch("recalculation", recalc["path"], recalc["expect"], post=recalc["body"])

    @task(30)
    def plan_page(self):
        self.fetch("plan page", self.random.choice(CONFIG["plan_pages"]), "<h1")

    @task(30)
    def list_page(self):
        name, path = self.random.choice(CONFIG["list_pages"])
        self.fetch(name, path, "<table")


class Floor(Staff):
    @task
    def floor(self):
        self.fetch("floor view", CONFIG["floor"], "active treatments")
