"""The project's settings, unchanged but for the bench's URLconf (the floor view) and DEBUG,
which is always off here: DEBUG keeps every query in memory and renders errors slowly."""

from clinic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False

# Every force_login would log a line; the bench prints its own table.
LOGGING["loggers"]["axes"]["level"] = "WARNING"  # noqa: F405
LOGGING["loggers"]["clinic.auth"]["level"] = "WARNING"  # noqa: F405
