"""The portal's one settings module.

Every value comes from the environment (see the configuration table in README.md); with no
environment set, everything runs on embedded defaults: SQLite, a broker that needs no server,
local-memory cache and a file-based mail box.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
# Parallel test processes (pytest-xdist) each get their own files, queue and cache keys; the
# subprocesses they start (workers, sandbox) inherit the variable and so join the same ones.
TEST_WORKER = environ.Env().str("PYTEST_XDIST_WORKER", default="")
if TEST_WORKER:
    VAR_DIR = VAR_DIR / TEST_WORKER
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError as _exc:
    raise ImproperlyConfigured(f"PORTAL_VAR_DIR cannot be created: {_exc}") from None

env = environ.Env()


class SettingError(ImproperlyConfigured):
    """A required setting is missing or malformed; the message names the variable."""


def _setting(name: str, parse, **kwargs):
    try:
        return parse(name, **kwargs)
    except ImproperlyConfigured as exc:
        raise SettingError(f"{name}: {exc}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise SettingError(f"{name} is malformed: {exc}") from None


def _url_setting(name: str, default: str, schemes: set[str]) -> str:
    value = env.str(name, default=default)
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        raise SettingError(
            f"{name} is malformed: scheme {parsed.scheme or '(none)'!r} is not one of {sorted(schemes)}"
        )
    return value


DEBUG = _setting("DEBUG", env.bool, default=True)
TESTING = "pytest" in sys.modules or env.bool("PORTAL_TESTING", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me-" + "x" * 20)
else:
    SECRET_KEY = _setting("SECRET_KEY", env.str)
    if len(SECRET_KEY) < 50:
        raise SettingError("SECRET_KEY must be at least 50 characters when DEBUG is off")

ALLOWED_HOSTS = _setting(
    "ALLOWED_HOSTS", env.list, default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = _setting("CSRF_TRUSTED_ORIGINS", env.list, default=[])
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "web.admin.PortalAdminConfig",  # django.contrib.admin, on the portal's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    # The wiring itself: listed so that every Django process, whatever its settings module, imports the
    # `portal` package and so its Celery app; without it a task would be published to Celery's default
    # broker instead of the configured one.
    "portal",
    "axes",
    "csp",
    "web",
    "accounts",
    "connections",
    "contacts",
    "brandadmin",
    "surveys",
    "distributions",
    "responses",
    "apiconsole",
    "workflows",
    "gateway",
    "subscriptions",
    "dashboard",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "web.headers.NoStoreForSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "web.htmx.HtmxMessagesMiddleware",
    "web.params.InputGuardMiddleware",
    "web.errors.ExplainErrorsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it turns a lockout into the log-in page
]

if not DEBUG:  # in development runserver serves static files itself
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "connections.context_processors.layout",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_db_url = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
if urlparse(_db_url).scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
    raise SettingError("DATABASE_URL is malformed: use sqlite:///path or postgres://user@host:port/name")
DATABASES = {"default": _setting("DATABASE_URL", lambda name, **kw: env.db_url_config(_db_url))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file (not shared memory) for the test database: the live server and in-process workers
    # write from other threads, which a shared in-memory database answers with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# Connections are kept between requests rather than opened for each; a health check replaces one
# that went away.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also carries the shared Qualtrics rate budget) ----------------------------------
CACHES = {"default": _setting("CACHE_URL", env.cache_url, default="locmemcache://portal")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # While Redis is unreachable, reads answer as misses and writes are dropped (web/cache.py) rather than
    # every page failing; a Redis that does not answer is given up on after a second or two, not waited for.
    CACHES["default"]["BACKEND"] = "web.cache.TolerantRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=1.0, socket_timeout=2.0)
if TEST_WORKER:
    CACHES["default"]["KEY_PREFIX"] = TEST_WORKER
# With a cache every process shares, sessions are read from it (kept in the database too), which saves
# every page a query. A per-process cache would keep serving a session another process ended (log-out).
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- E-mail ---------------------------------------------------------------------------------
_email_default = f"filemail://{VAR_DIR / 'mail'}" if not TESTING else "memorymail://"
_email = _setting("EMAIL_URL", env.email_url, default=_email_default)
vars().update(_email)
if _email.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
    # django-environ drops the leading slash of the URL's path, so filemail:///srv/mail would write to
    # srv/mail under whatever folder the process started in. Three slashes name an absolute folder;
    # filemail://var/mail a folder under the project.
    _where = urlparse(env.str("EMAIL_URL", default=_email_default))
    _folder = unquote(_where.netloc + _where.path)
    EMAIL_FILE_PATH = str(BASE_DIR / _folder) if _folder else str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Qualtrics portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Qualtrics ------------------------------------------------------------------------------
QUALTRICS_API_BASE_URL = env.str("QUALTRICS_API_BASE_URL", default="https://{datacenter}.qualtrics.com/API/v3")
if "{datacenter}" not in QUALTRICS_API_BASE_URL and not QUALTRICS_API_BASE_URL.startswith("http://127."):
    raise SettingError("QUALTRICS_API_BASE_URL must contain {datacenter} (or point at a local sandbox)")
if urlparse(QUALTRICS_API_BASE_URL.replace("{datacenter}", "dc")).scheme not in {"http", "https"}:
    raise SettingError("QUALTRICS_API_BASE_URL is malformed: it must be an http(s) URL template")
QUALTRICS_CONNECT_TIMEOUT = env.float("QUALTRICS_CONNECT_TIMEOUT", default=5.0)
QUALTRICS_READ_TIMEOUT = env.float("QUALTRICS_READ_TIMEOUT", default=30.0)
# A CA file to trust for Qualtrics calls instead of the system's (the sandbox's --tls CA, or a TLS-inspecting
# proxy's); empty: the system's trust store.
QUALTRICS_CA_FILE = env.str("QUALTRICS_CA_FILE", default="")
QUALTRICS_BRAND_BUDGET_PER_MINUTE = env.int("QUALTRICS_BRAND_BUDGET_PER_MINUTE", default=3000)
# While the cache holding the shared budget is unreachable, each process allows itself this share of it.
QUALTRICS_LOCAL_BUDGET_FRACTION = env.float("QUALTRICS_LOCAL_BUDGET_FRACTION", default=0.1)
if not 0 < QUALTRICS_LOCAL_BUDGET_FRACTION <= 1:
    raise SettingError("QUALTRICS_LOCAL_BUDGET_FRACTION is malformed: it must be more than 0 and at most 1")

# Optional ceiling on the connections the whole portal holds; unset or empty: no limit.
_max_connections = env.str("PORTAL_MAX_CONNECTIONS", default="").strip()
try:
    PORTAL_MAX_CONNECTIONS = int(_max_connections) if _max_connections else None
except ValueError:
    raise SettingError(f"PORTAL_MAX_CONNECTIONS is malformed: {_max_connections!r} is not a whole number") from None
if PORTAL_MAX_CONNECTIONS is not None and PORTAL_MAX_CONNECTIONS < 1:
    raise SettingError("PORTAL_MAX_CONNECTIONS is malformed: it must be 1 or more (leave it unset for no limit)")

# Token encryption: a comma-separated list of Fernet keys; the first encrypts, all decrypt.
_keys = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not _keys:
    if not DEBUG:
        raise SettingError("FIELD_ENCRYPTION_KEY is required when DEBUG is off (a Fernet key)")
    # Development only: a fixed key derived from SECRET_KEY keeps tokens readable between restarts.
    import base64
    import hashlib

    _keys = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
FIELD_ENCRYPTION_KEYS = _keys
try:
    from cryptography.fernet import Fernet

    for _k in FIELD_ENCRYPTION_KEYS:
        Fernet(_k)
except (ValueError, TypeError):
    raise SettingError(
        "FIELD_ENCRYPTION_KEY is malformed: each key must be 32 url-safe base64-encoded bytes"
    ) from None

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = _url_setting(
    "CELERY_BROKER_URL",
    f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}",
    {"sqla+sqlite", "sqla+postgresql", "redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem", "memory"},
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=150)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# Publishing gives up after one quick retry when the broker is unreachable, rather than after the
# connection timeout: every task has its row in the database, which a sweep publishes again once the
# broker is back, and a web request (the subscriptions' receiver above all) must answer at once.
# Redis redelivers a task whose worker died after `visibility_timeout` seconds. (The server-less
# SQLAlchemy transport passes every option to create_engine, so it gets none.)
_PUBLISH_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if CELERY_BROKER_URL.startswith(("redis", "rediss")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
                                       "socket_connect_timeout": 2, **_PUBLISH_FAST}
elif CELERY_BROKER_URL.startswith(("amqp", "amqps", "pyamqp")):
    CELERY_BROKER_TRANSPORT_OPTIONS = dict(_PUBLISH_FAST)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_DEFAULT_QUEUE = f"celery-{TEST_WORKER}" if TEST_WORKER else "celery"
CELERY_BEAT_SCHEDULE: dict = {}  # filled by portal.celery from each app's BEAT_SCHEDULE

# A list page waits this long for Qualtrics; slower, the page is sent at once and its table loads after it.
LIST_TABLE_GRACE_SECONDS = env.float("LIST_TABLE_GRACE_SECONDS", default=0.5)

# --- XM Directory ---------------------------------------------------------------------------
# Region assumed for phone numbers written without a country code (normalised to E.164).
CONTACTS_PHONE_REGION = env.str("CONTACTS_PHONE_REGION", default="US")
# Contacts sent per transaction-contacts import call.
CONTACT_IMPORT_CHUNK_SIZE = env.int("CONTACT_IMPORT_CHUNK_SIZE", default=500)
# Seconds before a chunk whose call may have reached Qualtrics, and is not found there, is sent again.
CONTACT_IMPORT_RECOVERY_GRACE = env.float("CONTACT_IMPORT_RECOVERY_GRACE", default=300.0)
# Days an uploaded CSV file (personal data) is kept after its import ended, for the rejected-rows
# download; then an hourly sweep deletes it.
CONTACT_IMPORT_FILE_RETENTION_DAYS = env.int("CONTACT_IMPORT_FILE_RETENTION_DAYS", default=30)

# --- Distributions --------------------------------------------------------------------------
# A row left "sending" this long is taken back by the reaper (it must outlast any call in flight).
DISTRIBUTIONS_STALE_SENDING_SECONDS = env.int(
    "DISTRIBUTIONS_STALE_SENDING_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60
)
# A row "queued" this long without a worker taking it (its broker message lost) is enqueued again.
DISTRIBUTIONS_LOST_QUEUED_SECONDS = env.int("DISTRIBUTIONS_LOST_QUEUED_SECONDS", default=300)
# First retry delay after a transient failure; it doubles with each attempt.
DISTRIBUTIONS_RETRY_BASE_SECONDS = env.float("DISTRIBUTIONS_RETRY_BASE_SECONDS", default=5.0)

# --- Survey responses -----------------------------------------------------------------------
# Where export files are kept in the default storage (a folder of MEDIA_ROOT, or a prefix of a bucket).
RESPONSES_EXPORT_FOLDER = env.str("RESPONSES_EXPORT_FOLDER", default="response-exports")
# Days an export file is kept after it was made; an hourly sweep then deletes it.
RESPONSES_EXPORT_RETENTION_DAYS = env.int("RESPONSES_EXPORT_RETENTION_DAYS", default=30)
# Seconds a worker holds an export between heartbeats: one killed mid-export is replaced after this.
RESPONSES_EXPORT_LEASE_SECONDS = env.int("RESPONSES_EXPORT_LEASE_SECONDS", default=90)
# How long a worker works on one export before it hands the rest to a later task (its lease is renewed meanwhile).
RESPONSES_EXPORT_STEP_SECONDS = env.int("RESPONSES_EXPORT_STEP_SECONDS", default=40)

# --- Workflow triggers ----------------------------------------------------------------------
# Senders (Celery tasks) working through one run's events at once.
WORKFLOWS_RUN_SENDERS = env.int("WORKFLOWS_RUN_SENDERS", default=4)

# The API gateway (/api/qualtrics/...): integrations call Qualtrics with a portal API key. Off: every call
# through it is refused (503), keys and their screens stay.
GATEWAY_ENABLED = _setting("GATEWAY_ENABLED", env.bool, default=True)
# Days each gateway call's audit row is kept; a daily sweep deletes older ones.
GATEWAY_CALL_RETENTION_DAYS = env.int("GATEWAY_CALL_RETENTION_DAYS", default=90)
# Seconds a web process reuses a key it looked up (with its connection); 0 reads them for every call.
GATEWAY_KEY_CACHE_SECONDS = env.float("GATEWAY_KEY_CACHE_SECONDS", default=2.0)
# An event left "sending" this long (its worker died mid-call) is marked "may have arrived", never resent by itself.
WORKFLOWS_STALE_SENDING_SECONDS = env.int("WORKFLOWS_STALE_SENDING_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
# A sending run with due events and no sender's heartbeat for this long gets its senders started again.
WORKFLOWS_IDLE_SENDERS_SECONDS = env.int("WORKFLOWS_IDLE_SENDERS_SECONDS", default=60)

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:  # hashing speed only matters for tests; production keeps Django's default hashers
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.ProfileModelBackend"]

# Log-in throttling (django-axes): after LOGIN_FAILURE_LIMIT failures an account, and separately an
# address, is refused for LOGIN_LOCKOUT_MINUTES. The address is the client's, read behind
# PORTAL_TRUSTED_PROXIES reverse proxies (the one TLS proxy of the production set-up by default).
PORTAL_TRUSTED_PROXIES = _setting("PORTAL_TRUSTED_PROXIES", env.int, default=0 if DEBUG else 1)
AXES_FAILURE_LIMIT = _setting("LOGIN_FAILURE_LIMIT", env.int, default=10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_setting("LOGIN_LOCKOUT_MINUTES", env.int, default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures and lockouts only: successful log-ins are not recorded
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"
AXES_USERNAME_CALLABLE = "accounts.throttling.attempted_username"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no banner on every start; lockouts are still logged
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded CSV files wait here for the worker that imports them: web and workers must share it.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

MESSAGE_TAGS = {40: "danger"}

# --- Security (production-like when DEBUG is off) -------------------------------------------
# Content-Security-Policy: scripts, styles, fonts and requests from the portal itself only; no inline
# script without the page's nonce, no inline style or event handler, no eval (htmx is configured so:
# see templates/base.html). Bootstrap's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Cookies only over HTTPS; `bin/run`'s local demo, which runs like production but on plain HTTP at
    # 127.0.0.1, turns this off (as it turns off the redirect to HTTPS and HSTS).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "filters": {"refusals_on_one_line": {"()": "web.log_filters.RefusalsOnOneLine"}},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "django.request": {"filters": ["refusals_on_one_line"]},
    },
}

# --- Event subscriptions (webhooks from Qualtrics, forwarded on) ------------------------------------
# Outgoing webhooks go to HTTPS addresses outside the portal's own networks. In development only (DEBUG), this
# lets them reach this machine too (loopback, plain HTTP allowed), for a local test receiver.
SUBSCRIPTIONS_LOCAL_DESTINATIONS = DEBUG and env.bool("SUBSCRIPTIONS_LOCAL_DESTINATIONS", default=False)
# A CA file to trust for outgoing webhooks (a test receiver's own CA); empty: the system's trust store.
SUBSCRIPTIONS_DESTINATION_CA_FILE = env.str("SUBSCRIPTIONS_DESTINATION_CA_FILE", default="")
# First retry delay of a failed forward (doubles each time); after SUBSCRIPTIONS_RETRY_HOURS it is a dead letter.
SUBSCRIPTIONS_RETRY_BASE_SECONDS = env.float("SUBSCRIPTIONS_RETRY_BASE_SECONDS", default=30.0)
SUBSCRIPTIONS_RETRY_HOURS = env.float("SUBSCRIPTIONS_RETRY_HOURS", default=24.0)
# A delivery or an event left claimed this long (its worker died) is taken up again by the sweep.
# A due event or forward whose task was published this long ago without a worker taking it is published again.
SUBSCRIPTIONS_LOST_QUEUED_SECONDS = env.int("SUBSCRIPTIONS_LOST_QUEUED_SECONDS", default=120)
SUBSCRIPTIONS_STALE_CLAIM_SECONDS = env.int("SUBSCRIPTIONS_STALE_CLAIM_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
