"""What pages work out and render that changes only with what it shows, kept in Django's
shared cache: the plan page's reading (planner.plan_page: its results panel, moves, change
log...) and the summary page's sheet.

Why: a plan's results panel (estimate, schedule, timeline) and a patient summary cost more to
render than everything else on their pages together, yet stay the same until the plan, the
catalog, the day or the code changes; staff open the same plan again and again.

How it stays correct on several app servers: the cache is Django's (the database cache in
settings, which every server shares), and each key is made of the versions of everything the
fragment shows, so a write anywhere leads every server to a new key and the old entry is never
read again (it ages out after FRAGMENT_CACHE_SECONDS, or is culled). There is nothing to
invalidate, and no copy held by one process. FRAGMENT_CACHE_SECONDS = 0 renders every time."""

import functools
import hashlib
import pickle
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

REPO = Path(__file__).resolve().parent.parent
CACHE_PREFIX = "fragment"


@functools.cache
def code_version() -> str:
    """A digest of the code, templates and stylesheets a page or PDF is made with, plus the
    settings printed on them, so that a deploy or a settings change never serves HTML or a
    PDF made before."""
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode())
    for folder, pattern in (
        ("planner", "**/*.py"),
        ("clinic", "**/*.py"),
        ("templates", "**/*.html"),
        ("static/css", "*.css"),
    ):
        for path in sorted((REPO / folder).glob(pattern)):
            if "migrations" not in path.parts:
                digest.update(path.read_bytes())
    for name in (
        "CLINIC_NAME",
        "CLINIC_ADDRESS",
        "CLINIC_CONTACT",
        "QUOTE_VALID_DAYS",
        "CURRENCY",
        "TIME_ZONE",
    ):
        digest.update(f"{name}={getattr(settings, name)!r};".encode())
    return digest.hexdigest()[:16]


def fragment_key(name: str, parts: Iterable) -> str:
    digest = hashlib.sha256("|".join(map(str, [*parts, code_version()])).encode()).hexdigest()
    return f"{CACHE_PREFIX}:{name}:{digest}"


def cached(name: str, parts: Iterable | None, build: Callable[[], object]):
    """What `build` returns, from the shared cache under `name` and `parts` (the versions of
    everything it shows) when there, else built and stored. `parts` None (a version that
    cannot be read, such as a flushed database's missing catalog token) builds every time.

    Kept compressed: a plan's results panel is some 40 KB of HTML (two SVG pictures), which
    the database cache would otherwise carry and decode as 57 KB of base64 on every view."""
    seconds = settings.FRAGMENT_CACHE_SECONDS
    if parts is None or seconds <= 0:
        return build()
    key = fragment_key(name, parts)
    kept = cache.get(key)
    if kept is not None:
        return pickle.loads(zlib.decompress(kept))
    value = build()
    cache.set(key, zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1), seconds)
    return value
