"""The project's settings, unchanged but for the bench's URLconf (the floor view) and DEBUG,
which is always off here: DEBUG keeps every query in memory and renders errors slowly."""

from clinic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False

# Every force_login would log a line; the bench prints its own table.
LOGGING["loggers"]["axes"]["level"] = "WARNING"  # noqa: F405
LOGGING["loggers"]["clinic.auth"]["level"] = "WARNING"  # noqa: F405

# The bench opens one patient's signing page thousands of times from one address; a patient
# is limited to 30 requests in 10 minutes (clinic/settings.py), which would answer 429.
SIGNING_RATE_LIMIT = 10**9
