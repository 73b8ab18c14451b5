"""Covenant settings: one module, driven by environment variables.

Defaults run the whole portal on one machine with no servers (SQLite, a
filesystem Celery transport). Debug is off unless DJANGO_DEBUG=1 asks for it
(`make run` does); production sets DJANGO_SECRET_KEY, DATABASE_URL and
CELERY_BROKER_URL; see the README.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Fail closed: a deployment that forgets DJANGO_DEBUG runs without debug pages
# and must bring its own secret key. `make run` and bin/run ask for debug.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("COVENANT_TESTING", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production needs a long random secret key "
            "(e.g. DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')); "
            "for local development run with DJANGO_DEBUG=1 (`make run` does), for tests COVENANT_TESTING=1."
        )
    SECRET_KEY = _DEV_SECRET_KEY
# Earlier keys, still accepted while a rotation settles (sessions, signed links, webhook secrets).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("COVENANT_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    # Sign-in, second factors, re-authentication and session list (accounts/identity/).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    # Per-organization OpenID Connect sign-in (configured with the SSO work).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
    "audit",
    "outbox",
    "webhooks",
    "contracts",
    "incidents",
    "availability",
    "corrective",
    "reports",
    "disputes",
    "reviews",
    "holds",
    "simulator",
    "portal",
]
# Demo data and `seed_demo` are for development and tests: a production install (DJANGO_DEBUG=0) leaves them out.
if DEBUG or TESTING or env.bool("COVENANT_DEMO", default=False):
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # One query for the person's memberships, unread count and organizations, before anything asks.
    "accounts.middleware.MembershipCacheMiddleware",
    # After allauth's: people who must hold a second factor enrol before anything else.
    "accounts.identity.middleware.MfaRequiredMiddleware",
    # Last, as django-axes asks: it inspects the response of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.membership",
                "config.context_processors.navigation",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'covenant.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the one
    # writer, IMMEDIATE takes the write lock at BEGIN (no lock upgrades that
    # deadlock), and the busy timeout waits instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not memory) so a real Celery worker process can see the test
    # data; one per test process so parallel runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in by email address as well as username.
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: per username *and* address, so a stranger hammering someone's name
# from elsewhere cannot lock the real person out; the cool-off ends every
# lockout by itself.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Behind proxies every request arrives from the proxy's address: the client is
# read from X-Forwarded-For, trusting exactly this many proxy hops (0: the
# header is ignored, a client could forge it). Lockout, API throttles and the
# password-reset limit all use accounts.client_ip.client_ip.
COVENANT_TRUSTED_PROXIES = env.int("COVENANT_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
# allauth's login form names its field `login` (a username or an email address).
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "accounts.identity.adapter.lockout_username"
# Password-reset mail: at most this many per hour per email address and per
# client address; requests past the limit get the same answer and send nothing.
# (The suite shares one client address and one cache: its defaults are high, and
# the tests of these limits set their own.)
COVENANT_PASSWORD_RESET_PER_EMAIL = env.int("COVENANT_PASSWORD_RESET_PER_EMAIL", default=1000 if TESTING else 3)
COVENANT_PASSWORD_RESET_PER_IP = env.int("COVENANT_PASSWORD_RESET_PER_IP", default=1000 if TESTING else 10)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sign-in through django-allauth (accounts/identity/): username or email and a
# password, then a second factor for those who hold one. Nobody signs up: people
# come by invitation.
ACCOUNT_ADAPTER = "accounts.identity.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("COVENANT_STEP_UP_SECONDS", default=300)
# django-axes counts failures and locks out; allauth's own login limit would answer differently.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Covenant"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or TESTING
MFA_FORMS = {
    "authenticate": "accounts.identity.forms.AuthenticateForm",
    "reauthenticate": "accounts.identity.forms.ReauthenticateForm",
}
# Sessions are listed from sign-in on; tracking each request's address would cost a write per request.
USERSESSIONS_TRACK_ACTIVITY = False
# Single sign-on per organization (accounts/sso/): each organization's OpenID Connect
# provider is an allauth app; the adapter matches or provisions people into that
# organization only and never links accounts by email on allauth's own.
SOCIALACCOUNT_ADAPTER = "accounts.sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Step-up: signing, accepting terms, approving credits and settlements and changing
# organization settings need an authentication at most this many seconds old.
COVENANT_STEP_UP_SECONDS = ACCOUNT_REAUTHENTICATION_TIMEOUT
# The suite signs people in with force_login (no second factor, no authentication
# record): it runs with both rules off, and the identity tests turn them on.
COVENANT_MFA_ENFORCED = env.bool("COVENANT_MFA_ENFORCED", default=not TESTING)
COVENANT_STEP_UP_ENFORCED = env.bool("COVENANT_STEP_UP_ENFORCED", default=not TESTING)
# API tokens: 90 days unless asked otherwise, never more than a year.
COVENANT_TOKEN_DAYS = 90
COVENANT_TOKEN_MAX_DAYS = 365

SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts only from our own static files (no inline script, no eval). Styles
# allow inline: templates and the server-drawn SVG charts use style attributes,
# which cannot carry a nonce. Redoc starts a web worker from a blob.
_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF, "'unsafe-inline'"],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "worker-src": [_SELF, "blob:"],
        "object-src": ["'none'"],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": ["'none'"],
    },
}
# Powerful browser features the portal never uses are switched off for it and anything it embeds.
COVENANT_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Tests run with debug off but speak plain HTTP to the test client.
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not TESTING)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- i18n / time -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media ----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("COVENANT_MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)  # the manifest exists only after collectstatic
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
COVENANT_MAX_DOCUMENT_BYTES = env.int("COVENANT_MAX_DOCUMENT_BYTES", default=20 * 1024 * 1024)
COVENANT_MAX_MONITORING_BYTES = env.int("COVENANT_MAX_MONITORING_BYTES", default=5 * 1024 * 1024)

# --- governance calendar ---------------------------------------------------------
COVENANT_REVIEW_LEAD_DAYS = env.int("COVENANT_REVIEW_LEAD_DAYS", default=30)
COVENANT_RENEWAL_MILESTONES = env.list("COVENANT_RENEWAL_MILESTONES", cast=int, default=[120, 90, 60, 30, 7])

# --- document signing and the audit key --------------------------------------------
# PDFs the portal issues carry a PAdES signature by this key (core/signing.py); certificates of
# rotated keys stay listed so older documents keep verifying. Development and tests use a
# self-signed pair under var/signing (`manage.py make_signing_key`); production names its own
# files, and with none set nothing is issued (signing refuses: no document goes out unsigned).
_DEV_SIGNING = VAR_DIR / "signing"
COVENANT_SIGNING_KEY_FILE = env(
    "COVENANT_SIGNING_KEY_FILE", default=str(_DEV_SIGNING / "signing-key.pem") if DEBUG or TESTING else ""
)
COVENANT_SIGNING_CERT_FILE = env(
    "COVENANT_SIGNING_CERT_FILE", default=str(_DEV_SIGNING / "signing-cert.pem") if DEBUG or TESTING else ""
)
COVENANT_SIGNING_OLD_CERT_FILES = env.list("COVENANT_SIGNING_OLD_CERT_FILES", default=[])
# The audit chain's HMAC key (audit/chain.py), kept apart from SECRET_KEY and from the database, so
# someone who can write the database cannot re-hash the trail. COVENANT_AUDIT_KEY or a file holding
# it; without one, production refuses to write audit entries (and so any audited change).
COVENANT_AUDIT_KEY = env("COVENANT_AUDIT_KEY", default="")
if not COVENANT_AUDIT_KEY and env("COVENANT_AUDIT_KEY_FILE", default=""):
    COVENANT_AUDIT_KEY = Path(env("COVENANT_AUDIT_KEY_FILE")).read_text().strip()
if not COVENANT_AUDIT_KEY and (DEBUG or TESTING):
    COVENANT_AUDIT_KEY = "dev-only-insecure-audit-key-do-not-use-in-production"
# Anonymous uploads to /verify/ per client address and hour.
COVENANT_VERIFY_PER_IP = env.int("COVENANT_VERIFY_PER_IP", default=1000 if TESTING else 30)

# --- mail ----------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Covenant <covenant@localhost>")

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated request gets 401 with WWW-Authenticate.
        "accounts.identity.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Bodies held to DATA_UPLOAD_MAX_MEMORY_SIZE (413) and JSON to core.jsonbody's limits (400).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser", "core.parsers.FormParser", "core.parsers.MultiPartParser"],
    # Answers 429 in the one error shape with Retry-After. The suite runs with
    # far higher defaults so no test trips them by accident (tests that check
    # the limit set their own rates).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.AnonThrottle", "accounts.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("COVENANT_API_RATE_ANON", default="100000/minute" if TESTING else "60/minute"),
        "user": env("COVENANT_API_RATE_USER", default="100000/minute" if TESTING else "1200/minute"),
    },
}
# Throttle and password-reset counters. The default is per process: with several
# web processes set CACHE_URL (e.g. redis://redis:6379/2) so they share counts.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# With a cache every web process shares (Redis, memcached), sessions are read through it: one
# query fewer on every page. A per-process cache would keep serving a session that another
# process ended (signed out, expired), so without one they are read from the database.
SESSION_ENGINE = env(
    "COVENANT_SESSION_ENGINE",
    default="django.contrib.sessions.backends."
    + ("db" if CACHES["default"]["BACKEND"].endswith("LocMemCache") else "cached_db"),
)
SPECTACULAR_SETTINGS = {
    "TITLE": "Covenant API",
    "DESCRIPTION": "The shared, auditable record of software support SLAs between buyers and vendors.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PartyKindEnum": "accounts.models.Organization.Kind",
        "MembershipRoleEnum": "accounts.models.Membership.Role",
        "SourceStatusEnum": "availability.models.MonitoringSource.Status",
        "SourceSideEnum": "availability.models.MonitoringSource.Side",
        "DiscrepancyStatusEnum": "availability.models.Discrepancy.Status",
        "DiscrepancyResolutionEnum": "availability.models.Discrepancy.Resolution",
        "ProposedResolutionEnum": ["source", "split"],
    },
    # The schema and its docs are for signed-in people (session) and API clients (token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Celery ------------------------------------------------------------------------
# The default transport keeps messages in files under var/: web, worker and beat
# on one machine need no broker server. Production points at Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
COVENANT_REDIS_TRANSPORT_OPTIONS: dict[str, object] = {
    # A message unacknowledged this long goes back to the queue for another worker (a killed worker's
    # tasks come back so). It must outlast the longest task (CELERY_TASK_TIME_LIMIT, 10 minutes) and the
    # longest retry countdown a worker holds (10 minutes), or a live task would run twice: 12 minutes,
    # checked every 30 seconds.
    "visibility_timeout": 12 * 60,
    "unacked_restore_interval": 30,
    "unacked_restore_throttle": 1,
    # A refused or frozen broker costs a publisher seconds, never a hang (the relay and beat publish).
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "health_check_interval": 10,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Tests get their own folders so a running `make run` worker never eats a test's task.
    _broker_dir = VAR_DIR / ("test-broker" if TESTING else "broker")
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "broker-control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
        # The transport polls its folder; its default (1 s) left a worker idle ~0.85 s between tasks.
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = COVENANT_REDIS_TRANSPORT_OPTIONS
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker child that rendered many PDFs is replaced before it grows (WeasyPrint keeps font and style
# caches): after this many tasks, or once it holds more than this much resident memory (KiB).
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=512_000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# One beat publishes at a time, however many run (outbox/beat.py: a lease in the database).
CELERY_BEAT_SCHEDULER = "outbox.beat:LeaderScheduler"
# Slow document work (period close, report and packet PDFs) and mail get their own queues, so a burst of
# PDFs never delays a notification; everything else (escalation watcher, outbox flush) stays on "celery".
# One worker consumes all three by default (bin/run); production can run a worker per queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "reports.tasks.*": {"queue": "reports"},
    "reviews.tasks.*": {"queue": "reports"},
    "accounts.tasks.email_notifications": {"queue": "notifications"},
    "accounts.tasks.email_invitation": {"queue": "notifications"},
    "reports.tasks.email_report": {"queue": "notifications"},
    # Webhook deliveries wait on other people's servers (5 s timeout each): never in front of the outbox flush.
    "webhooks.tasks.*": {"queue": "notifications"},
}
CELERY_QUEUE_NAMES = ("celery", "reports", "notifications")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A worker reconnects for as long as the broker is away: it never gives up and exits.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# On a lost connection running tasks finish (their ack reaches the broker once it is back); cancelling them
# would leave their claims held until the claim times out. The messages restored meanwhile run again and
# find the work done: every task is idempotent by its claim.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# --- logging -----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Celery beat's periodic jobs (config/schedules.py), written to the database by `manage.py setup_schedules`.
from config import schedules  # noqa: E402

COVENANT_SCHEDULES = schedules.SCHEDULES
