"""The one settings module. Everything that differs between machines comes from the
environment; production mode (DJANGO_ENV=production) refuses to start on insecure values."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


ENVIRONMENT = env_str("DJANGO_ENV", "development").lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production: it shows patient data on errors.")


def dev_secret_key() -> str:
    """Generated once per checkout into a git-ignored file, so sessions survive restarts
    and no key is ever committed."""
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY")
if PRODUCTION:
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "Production needs SECRET_KEY: a random value of at least 50 characters."
        )
elif not SECRET_KEY:
    SECRET_KEY = dev_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("Production needs ALLOWED_HOSTS: the clinic's host names, no '*'.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "clinic.admin_site.ClinicAdminConfig",  # django.contrib.admin, for clinic admins only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic",
    "planner",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second factor?
    "django_otp.middleware.OTPMiddleware",
    "clinic.middleware.ClinicLoginRequiredMiddleware",
    "clinic.middleware.SessionLifetimeMiddleware",
    "clinic.middleware.PrivateResponseMiddleware",
    "clinic.middleware.DatabaseUnavailableMiddleware",
    "clinic.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses logins while a username/IP pair is locked out; must come first.
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, reading permissions in one query (every view checks one).
    "clinic.auth_backend.ClinicModelBackend",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
            ],
            # {% url %} that remembers the URLs it reversed (clinic/templatetags/cached_url.py).
            "builtins": ["clinic.templatetags.cached_url"],
        },
    },
]

# SQLite by default (one machine, `make run`); PostgreSQL in production via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer saves; IMMEDIATE transactions plus a busy
    # timeout make concurrent saves wait their turn instead of failing with "locked".
    # Connections are kept (DB_CONN_MAX_AGE, as on PostgreSQL) with a page cache of up to
    # 32 MiB each and the file memory-mapped: a fresh connection per request started with an
    # empty cache, so on a 100,000-plan database every request read its index pages afresh
    # (the day board 1.24x its time on a small database; 1.11x with them). SQLite notices another
    # connection's writes by itself, so a kept cache never serves stale rows.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Django's cache, shared by every app server: the database's own table (created by `migrate`,
# see clinic.apps), so a clinic chain needs no cache server and a write on one server is seen
# by all. It holds finished summary PDFs (planner.summary_pdf), which contain patient data:
# the same database, the same protection and backups as the records themselves.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "clinic_cache",
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 1000)},
    }
}
# Summary PDFs: how long a finished PDF is kept (0: never cached), how many render at once in
# one server process (each also takes one of gunicorn's threads), and after how many seconds
# the "being prepared" page asks again.
SUMMARY_PDF_CACHE_SECONDS = env_int("SUMMARY_PDF_CACHE_SECONDS", 24 * 3600)
SUMMARY_PDF_RENDERS_PER_PROCESS = env_int("SUMMARY_PDF_RENDERS_PER_PROCESS", 1)
SUMMARY_PDF_RETRY_SECONDS = env_int("SUMMARY_PDF_RETRY_SECONDS", 3)
# Render in a separate, lower-priority process per server process (planner.summary_pdf).
SUMMARY_PDF_RENDER_PROCESS = env_bool("SUMMARY_PDF_RENDER_PROCESS", True)
# What the plan page works out from a plan (its results panel, moves, change log...) and the
# summary page's sheet, kept in the shared cache under the versions of what they show
# (planner.fragments, planner.plan_page); 0: always worked out afresh.
FRAGMENT_CACHE_SECONDS = env_int("FRAGMENT_CACHE_SECONDS", 24 * 3600)
# The reports page's figures (planner.board.report_cache): counted at most once per this
# many seconds per period and day, in the shared cache; the page says when (0: always live).
REPORTS_CACHE_SECONDS = env_int("REPORTS_CACHE_SECONDS", 10 * 60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # "aaaaaaaaaaaa", "qwertyuiopas", "abcabcabcabc": repeats and keyboard/alphabet runs.
    {"NAME": "clinic.passwords.PredictablePasswordValidator"},
]

# Lockout: 5 failures for one username from one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Not on the password alone: a user with a second factor would otherwise get 4 fresh code
# guesses after every correct password. clinic.two_factor.login_completed resets the count
# once the login is complete (password, and the code where the user has one).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind the TLS proxy every connection comes from the proxy: the client is read from
# X-Forwarded-For, but only on connections from AXES_TRUSTED_PROXIES (or, with
# AXES_PROXY_COUNT alone, from any connection). See clinic/client_ip.py.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_TRUSTED_IPS = env_list("AXES_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "clinic.client_ip.client_ip"
if AXES_IPWARE_PROXY_COUNT < 0:
    raise ImproperlyConfigured("AXES_PROXY_COUNT must be 0 or more.")

# The admin's history pages show old versions; their "revert" form would save one back
# with only view-or-change permission checked, bypassing the planner's and catalog's rules.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Idle logoff: a session lasts SESSION_IDLE_MINUTES past the last request, and never more
# than SESSION_MAX_HOURS from login (enforced by clinic.middleware.SessionLifetimeMiddleware).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 15)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# What the clinic prints on patient material.
CLINIC_NAME = env_str("CLINIC_NAME", "Your Clinic")
CLINIC_ADDRESS = env_str("CLINIC_ADDRESS", "")
CLINIC_CONTACT = env_str("CLINIC_CONTACT", "")
QUOTE_VALID_DAYS = env_int("QUOTE_VALID_DAYS", 30)
CURRENCY = env_str("CURRENCY", "USD").upper()
if len(CURRENCY) != 3 or not CURRENCY.isalpha():
    raise ImproperlyConfigured("CURRENCY must be a three-letter ISO code such as USD.")

# Second factor (clinic.two_factor): wrong codes count toward the axes lockout above, so
# django-otp's own growing delay is off; it would refuse a right code typed soon after a
# wrong one and tell the user nothing useful.
OTP_TOTP_ISSUER = CLINIC_NAME  # the account name shown in the authenticator app
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret key

# Production hardening; `manage.py check --deploy --fail-level WARNING` passes with these.
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# Content-Security-Policy: scripts only from our own static files (htmx included), no
# inline scripts. Inline style attributes stay allowed for the Django admin's widgets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own default config also prints to the console; one copy is enough.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # Failed and successful logins, lockouts.
        "axes": {"level": "INFO"},
        "clinic.auth": {"level": "INFO"},
        # WeasyPrint reports every font and image it loads at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Signing links (planner.signing): how long a private link to a plan stays open.
SIGNING_LINK_DAYS = env_int("SIGNING_LINK_DAYS", 14)
# Requests a single address may make to the public signing pages in SIGNING_RATE_MINUTES.
SIGNING_RATE_LIMIT = env_int("SIGNING_RATE_LIMIT", 30)
SIGNING_RATE_MINUTES = env_int("SIGNING_RATE_MINUTES", 10)

# Email (the signing link): SMTP from the environment in production; the console in
# development, so a link "sent" locally is printed instead.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
