"""Settings for every environment, read from the environment.

With nothing set this is the embedded default: SQLite and files under var/, a Celery broker on the
local filesystem, so one machine runs the whole product with no servers to install. Production
sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis) and ARCHIVE_STORAGE=s3.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from contextlib import closing
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE, WASM_UNSAFE_EVAL
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; the embedded default keeps a generated one under var/."""
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Created readable by the owner only, never briefly world-readable.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "config.apps.ProjectConfig",
    "accounts",
    "archive",
    "annotations",
    "ml",
    "triage",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Answers DICOMweb's cross-origin preflights before anything else can refuse them.
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outside BadInputMiddleware, so that its refusals under /api/ are no-store too.
    "config.security.NoStoreMiddleware",
    "config.middleware.BadInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: one audit row per request to a route audit/catalog.py names.
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After sessions, auth and messages: signs out idle and over-age sessions (config/security.py).
    "config.security.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"  # what the run command and compose serve

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
        # A pooled connection is checked before it is handed out: after PostgreSQL restarts,
        # the first request gets a fresh connection instead of the dead one (and a 500).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection pool per process. Under ASGI every request runs its sync code in a thread of
    # its own, so persistent per-thread connections (CONN_MAX_AGE) would pile up to
    # PostgreSQL's limit; the pool hands each request a connection and takes it back.
    DATABASES["default"]["OPTIONS"] = {
        # Server-side parameters let psycopg prepare repeated queries (after 5 runs on a pooled
        # connection): the worklist's seven-table join costs more to plan than to run.
        "server_side_binding": True,
        "prepare_threshold": 5,
        # Short queries only: starting parallel workers to sort a few thousand rows costs more
        # than it saves, and under load they compete with the requests themselves.
        "options": "-c max_parallel_workers_per_gather=0",
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN", 1),
            "max_size": env_int("DATABASE_POOL_MAX", 8),
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 30.0),
        },
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and the DICOM listener read while one of them writes;
    # IMMEDIATE transactions take the write lock up front instead of failing on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- files ------------------------------------------------------------------------------------
ARCHIVE_STORAGE = env_str("ARCHIVE_STORAGE", "local")
if ARCHIVE_STORAGE == "local":
    _archive_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "storage"), "file_permissions_mode": 0o640},
    }
elif ARCHIVE_STORAGE == "s3":
    _archive_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    raise ImproperlyConfigured(f"ARCHIVE_STORAGE={ARCHIVE_STORAGE!r}: use 'local' or 's3'")

STORAGES = {
    "default": _archive_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [d for d in [BASE_DIR / "frontend" / "dist"] if d.exists()]
# Serve straight from STATICFILES_DIRS without collectstatic (tests' servers; development).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
WHITENOISE_AUTOREFRESH = env_bool("WHITENOISE_AUTOREFRESH", DEBUG)  # a rebuild shows at once

# Uploads are spooled next to the archive so that storing a received file is a rename, not a copy.
FILE_UPLOAD_TEMP_DIR = VAR_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)

# --- auth -------------------------------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (accounts/lockout.py): AXES_FAILURE_LIMIT wrong passwords for one user name from
# one address lock that pair out of both login forms for AXES_COOLOFF minutes.
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_float("AXES_COOLOFF", 15.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Sign-ins and failures are in the audit log; Axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
SESSION_COOKIE_HTTPONLY = True
# How long a user's permissions may be served from cache in processes that did not see the change.
PERMISSIONS_CACHE_SECONDS = env_int("PERMISSIONS_CACHE_SECONDS", 30)
# A browser session ends after this long without a request, and this long after signing in
# however active (config/security.py). API tokens are not sessions and do not time out.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)

# --- HTTPS and the browser's protections ------------------------------------------------------
# HTTPS=true (production, docker-compose.yml) when the product is reached over TLS: plain HTTP is
# redirected, browsers are told to use HTTPS only (HSTS) and cookies are sent over TLS only. Off
# in the embedded default and the tests, which serve plain HTTP on the loopback interface.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Paths (regular expressions, no leading slash) still answered over plain HTTP, e.g. a load
# balancer's health probe; none by default.
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [])
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# TLS ends at a reverse proxy in front of the web server: trust its X-Forwarded-Proto only when
# TRUSTED_PROXY says one is there (anyone could send the header otherwise).
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxy's X-Forwarded-Host and -Port name the public address in the absolute URLs DICOMweb
# answers carry (BulkDataURIs, RetrieveURLs); trusted with TRUSTED_PROXY unless set apart.
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", TRUSTED_PROXY)
USE_X_FORWARDED_PORT = env_bool("USE_X_FORWARDED_PORT", TRUSTED_PROXY)
# CORS (django-cors-headers) for DICOMweb only: a viewer served from one of these origins (OHIF,
# e.g. "https://viewer.example.org") may query and retrieve with a bearer token. Empty: no
# cross-origin access. Cookies never cross origins, so a page elsewhere cannot ride a session.
CORS_ALLOWED_ORIGINS = env_list("DICOMWEB_CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/dicomweb/"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "POST", "OPTIONS"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "prefer",
    "cache-control",
    "x-requested-with",
]
# The response headers DICOMweb clients read besides the CORS-safelisted ones.
CORS_EXPOSE_HEADERS = [
    "content-type",
    "content-length",
    "content-location",
    "warning",
    "x-total-count",
    "preference-applied",
]
CORS_PREFLIGHT_MAX_AGE = 600
# Frames in one study- or series-level rendered answer (archive/dicomweb/rendered_apis.py).
DICOMWEB_RENDERED_MAX_FRAMES = env_int("DICOMWEB_RENDERED_MAX_FRAMES", 1000)
# Content-Security-Policy (django-csp): scripts only from our origin, none inline (the API
# schema page's one starter script runs by a per-response nonce), no eval; 'wasm-unsafe-eval'
# lets Cornerstone3D compile its WebAssembly image decoders, which run in web workers. Inline
# styles are allowed: the login page, Swagger UI and Django admin set them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, WASM_UNSAFE_EVAL, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Imaging triage API",
    "VERSION": "0.1.0",
    # Admins only (accounts/permissions.py says why); others 403, anonymous 401.
    "SERVE_PERMISSIONS": ["accounts.permissions.ReadsApiSchema"],
    "ENUM_NAME_OVERRIDES": {
        "WorklistStatusEnum": "triage.models.WorklistEntry.Status",
        "AiStatusEnum": "triage.models.WorklistEntry.AiStatus",
    },
    # Swagger UI at /api/schema/ from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True


def _sqlite_wal(path: Path) -> None:
    """Put a SQLite file in WAL mode (it stays so): readers then never wait for the writer."""
    import sqlite3

    with closing(sqlite3.connect(path, timeout=60)) as db:
        db.execute("PRAGMA journal_mode=WAL")


# --- Celery ---------------------------------------------------------------------------------
# The embedded default's broker is kombu's SQLAlchemy transport on a SQLite file of its own
# (config/embedded_broker.py says why). kombu's filesystem transport, used before, creates a
# message file and then writes it; a worker that read such a file in between died with
# JSONDecodeError, and the whole product with it.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
if CELERY_BROKER_URL.startswith("sqlite:"):
    CELERY_BROKER_TRANSPORT = "config.embedded_broker:Transport"
    _sqlite_wal(Path(CELERY_BROKER_URL.removeprefix("sqlite:///")))
    # Passed to SQLAlchemy's create_engine: wait for another process's write rather than fail.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 60}}
    CELERY_INCLUDE = ["config.embedded_broker"]
else:
    # Redis learns of a worker's death only by the time its unacknowledged messages have been
    # out: a SIGKILLed worker's messages come back after the visibility timeout, looked for every
    # few seconds. Short, so a study a dead worker held is scored again within about 35 s. A
    # task may therefore be handed out twice (one that runs longer, or waits on a countdown
    # longer than this): every task is safe to run twice (scoring is claimed, stability checks
    # are conditional updates), and no countdown or retry delay may exceed this timeout.
    if CELERY_BROKER_URL.startswith(("redis:", "rediss:")):
        # kombu's, with the worker kept alive when Redis goes away (config/redis_broker.py).
        CELERY_BROKER_TRANSPORT = "config.redis_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_float("CELERY_VISIBILITY_TIMEOUT_SECONDS", 30.0),
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
        # A worker killed while restoring held the restore lock: let it lapse soon.
        "unacked_mutex_expire": 30,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"triage.study_score": {"queue": "inference"}}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- archive ----------------------------------------------------------------------------------
# A study is complete ("stable") when no instance has arrived for this many seconds.
# Short, because scoring waits for it: a study's place on the worklist is due within 2 s of STOW.
ARCHIVE_STABILITY_SECONDS = env_float("ARCHIVE_STABILITY_SECONDS", 1.0)
if "visibility_timeout" in CELERY_BROKER_TRANSPORT_OPTIONS:
    # A stability check waits out the window on a countdown: were that longer than the
    # visibility timeout, each check would be handed out again, and each copy re-queue itself.
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = max(
        float(CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]),  # type: ignore[arg-type]
        2 * ARCHIVE_STABILITY_SECONDS + 10,
    )
# Stored files no index row names, and spooled uploads, older than this are removed by the storage
# sweep (every ARCHIVE_STORAGE_SWEEP_SECONDS): longer than any ingest takes, so a file whose row
# is about to commit is never taken for one a killed process left behind.
ARCHIVE_ORPHAN_GRACE_SECONDS = env_float("ARCHIVE_ORPHAN_GRACE_SECONDS", 3600.0)
ARCHIVE_STORAGE_SWEEP_SECONDS = env_float("ARCHIVE_STORAGE_SWEEP_SECONDS", 3600.0)
# QIDO-RS answers at most this many matches at once, with a Warning when it leaves some out.
QIDO_MAX_RESULTS = env_int("QIDO_MAX_RESULTS", 1000)
# An instance with more frames of compressed pixel data than this is refused at ingest (each
# frame keeps an entry in the frame index; native frames are located by arithmetic, unbounded).
ARCHIVE_MAX_FRAMES = env_int("ARCHIVE_MAX_FRAMES", 50_000)
# Binary elements larger than this are served as bulk data instead of inline in metadata.
ARCHIVE_BULK_DATA_THRESHOLD = env_int("ARCHIVE_BULK_DATA_THRESHOLD", 4096)
DICOM_AE_TITLE = env_str("DICOM_AE_TITLE", "TRIAGE")
DICOM_BIND_ADDRESS = env_str("DICOM_BIND_ADDRESS", "127.0.0.1")
DICOM_PORT = env_int("DICOM_PORT", 11112)
# The listener admits only known devices (archive.models.DicomDevice); true lets any calling AE
# title store, query and retrieve, for a lab bench only (the called AE title is still checked).
DICOM_ACCEPT_UNKNOWN_CALLERS = env_bool("DICOM_ACCEPT_UNKNOWN_CALLERS", False)
# C-FIND answers at most this many matches (then a failure status saying so).
DICOM_FIND_MAX_RESULTS = env_int("DICOM_FIND_MAX_RESULTS", 10_000)
DICOM_MAX_ASSOCIATIONS = env_int("DICOM_MAX_ASSOCIATIONS", 16)
# `manage.py load_demo_data` reads dicom/ and classification/pneumoniamnist/ from here.
DEMO_DATA_DIR = Path(env_str("DEMO_DATA_DIR", str(BASE_DIR.parent / "shared" / "data")))

# --- audit log (audit/): DICOM PS3.15 A.5 events, also as JSON lines -------------------------
# Where each audit row also goes as one JSON line: file:<path>, stdout, syslog:/dev/log or
# syslog:<host>:<port>. Never the application console: the lines name patients.
AUDIT_LOG_TARGET = env_str("AUDIT_LOG_TARGET", f"file:{VAR_DIR / 'audit' / 'events.jsonl'}")
# AuditSourceID and AuditEnterpriseSiteID of the messages (A.5 AuditSourceIdentification).
AUDIT_SOURCE_ID = env_str("AUDIT_SOURCE_ID", DICOM_AE_TITLE)
AUDIT_ENTERPRISE_SITE_ID = env_str("AUDIT_ENTERPRISE_SITE_ID", "")
# Reverse proxies whose X-Forwarded-For is believed for the client's address (exact addresses);
# empty: the audit records REMOTE_ADDR, which a client cannot forge.
AUDIT_TRUSTED_PROXIES = env_list("AUDIT_TRUSTED_PROXIES", [])

# --- logging: key=value lines, ids only, never patient data -----------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"format": "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"},
        "message": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "kv"},
        "audit": {
            "()": "audit.log_handlers.audit_handler",
            "target": AUDIT_LOG_TARGET,
            "formatter": "message",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "audit.events": {"handlers": ["audit"], "level": "INFO", "propagate": False},
        "pynetdicom": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- models and triage ------------------------------------------------------------------------
# Quiets TensorFlow's C++ info and warning logs in workers (TF 2.21 still prints a few lines at
# import: CPU features and the CUDA probe on machines without a GPU).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Model weights are kept in storage; workers cache a local copy here to load them.
ML_MODEL_CACHE_DIR = Path(env_str("ML_MODEL_CACHE_DIR", str(VAR_DIR / "model_cache")))
# Epochs for `manage.py train_initial_model` (the run command trains one when none exists).
ML_INITIAL_EPOCHS = env_int("ML_INITIAL_EPOCHS", 0)  # 0: the training config's default
# A scoring claimed longer ago than this is taken to have died with its worker and is re-queued.
TRIAGE_SCORING_STALE_SECONDS = env_float("TRIAGE_SCORING_STALE_SECONDS", 300.0)
# A queued scoring whose message went out longer ago than this is sent again (lost message).
TRIAGE_SCORING_RESEND_SECONDS = env_float("TRIAGE_SCORING_RESEND_SECONDS", 600.0)
TRIAGE_SWEEP_SECONDS = env_float("TRIAGE_SWEEP_SECONDS", 30.0)
# Hard limit of one scoring task; the soft limit is 80% of it.
TRIAGE_SCORING_TIME_LIMIT = env_int("TRIAGE_SCORING_TIME_LIMIT", 240)
# Priority policy and site rules (JSON); empty: the defaults documented in triage/priority.py.
TRIAGE_PRIORITY_POLICY = env_str("TRIAGE_PRIORITY_POLICY", "")
TRIAGE_SITE_RULES = env_str("TRIAGE_SITE_RULES", "")
# A reader's claim on a study lasts this long unless the open viewer renews it (every minute).
TRIAGE_CLAIM_SECONDS = env_float("TRIAGE_CLAIM_SECONDS", 600.0)
# How often each live worklist stream looks for changes, and how long change events are kept.
TRIAGE_EVENTS_POLL_SECONDS = env_float("TRIAGE_EVENTS_POLL_SECONDS", 0.5)
TRIAGE_EVENTS_KEEP_HOURS = env_float("TRIAGE_EVENTS_KEEP_HOURS", 24.0)
# An idle stream sends a comment this often, so proxies keep it open and dead clients show.
TRIAGE_EVENTS_KEEPALIVE_SECONDS = env_float("TRIAGE_EVENTS_KEEPALIVE_SECONDS", 15.0)

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "triage-sweep-scorings": {
        "task": "triage.scorings_sweep",
        "schedule": TRIAGE_SWEEP_SECONDS,
    },
    "triage-expire-claims": {
        "task": "triage.claims_expire",
        "schedule": TRIAGE_SWEEP_SECONDS,
    },
    "archive-sweep-unstable-studies": {
        "task": "archive.studies_sweep_unstable",
        "schedule": env_float("ARCHIVE_SWEEP_SECONDS", 30.0),
    },
    "archive-reconcile-storage": {
        "task": "archive.storage_reconcile",
        "schedule": ARCHIVE_STORAGE_SWEEP_SECONDS,
    },
}
if CELERY_BROKER_URL.startswith("sqlite:"):
    CELERY_BEAT_SCHEDULE["embedded-broker-prune"] = {
        "task": "config.embedded_broker_prune",
        "schedule": 3600.0,
    }

# --- annotation queue: pool scoring (ml/pool_tasks.py) -----------------------------------------
# The active model scores every eligible unlabelled image for the active-learning queue, on the
# inference queue, every POOL_SCORING_SECONDS and after a promotion. A run stops after
# POOL_SCORING_RUN_SECONDS (under the broker's visibility timeout, so no second worker is handed
# it meanwhile) and sends the rest as a new run; POOL_SCORING_CHUNK images are in memory at once.
POOL_SCORING_SECONDS = env_float("POOL_SCORING_SECONDS", 300.0)
POOL_SCORING_RUN_SECONDS = env_float("POOL_SCORING_RUN_SECONDS", 20.0)
POOL_SCORING_CHUNK = env_int("POOL_SCORING_CHUNK", 256)
POOL_SCORING_TIME_LIMIT = env_int("POOL_SCORING_TIME_LIMIT", 240)
CELERY_TASK_ROUTES["ml.pool_score"] = {"queue": "inference"}
# Task modules autodiscovery (tasks.py) does not find: pool scoring, the queue's batch choice.
CELERY_INCLUDE = [*globals().get("CELERY_INCLUDE", []), "ml.pool_tasks", "annotations.queue_tasks"]
CELERY_BEAT_SCHEDULE["ml-pool-score"] = {"task": "ml.pool_score", "schedule": POOL_SCORING_SECONDS}

# --- retraining loop: training runs (ml/training_runs.py, ml/tasks.py) ------------------------
# A running run's worker holds a lease this long and renews it every third of it; a run whose
# lease lapsed (the worker died) is resumed from its checkpoint by the sweep (every
# TRAINING_SWEEP_SECONDS), at most TRAINING_MAX_ATTEMPTS times, then failed with the reason. A
# queued run whose message went out TRAINING_RESEND_SECONDS ago and that nothing claimed is sent
# again. Checkpoints live under TRAINING_DIR/<run id>/.
TRAINING_LEASE_SECONDS = env_float("TRAINING_LEASE_SECONDS", 60.0)
TRAINING_SWEEP_SECONDS = env_float("TRAINING_SWEEP_SECONDS", 30.0)
TRAINING_MAX_ATTEMPTS = env_int("TRAINING_MAX_ATTEMPTS", 3)
TRAINING_RESEND_SECONDS = env_float("TRAINING_RESEND_SECONDS", 120.0)
TRAINING_DIR = Path(env_str("TRAINING_DIR", str(VAR_DIR / "training")))
# For fast runs (tests, CI): epochs of a run (0: the training config's default) and seed images
# per split a run trains on (0: all).
TRAINING_EPOCHS = env_int("TRAINING_EPOCHS", 0)
TRAINING_SEED_LIMIT = env_int("TRAINING_SEED_LIMIT", 0)
# Hard limit of one training task (the soft limit is 95% of it).
TRAINING_TIME_LIMIT = env_int("TRAINING_TIME_LIMIT", 6 * 3600)
CELERY_TASK_ROUTES["ml.training_run"] = {"queue": "training"}
CELERY_INCLUDE = [*CELERY_INCLUDE, "ml.tasks"]
CELERY_BEAT_SCHEDULE["ml-training-runs-sweep"] = {
    "task": "ml.training_runs_sweep",
    "schedule": TRAINING_SWEEP_SECONDS,
}

# --- retraining loop: shadow scoring (ml/shadow.py, ml/shadow_tasks.py) ------------------------
# A candidate in shadow scores each study the active version scored, on the inference queue; the
# sweep closes deployments whose time is up every SHADOW_SWEEP_SECONDS.
SHADOW_SWEEP_SECONDS = env_float("SHADOW_SWEEP_SECONDS", 60.0)
CELERY_TASK_ROUTES["ml.shadow_score"] = {"queue": "inference"}
CELERY_INCLUDE = [*CELERY_INCLUDE, "ml.shadow_tasks"]
CELERY_BEAT_SCHEDULE["ml-shadow-sweep"] = {
    "task": "ml.shadow_sweep",
    "schedule": SHADOW_SWEEP_SECONDS,
}
# One name for the training mode's choices (runs, schedules and the settings' default_mode).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["TrainingModeEnum"] = "ml.models.TrainingRun.Mode"
# Runs' status and the two "kind" choices (schedules', labels') by name, not by hash.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "TrainingRunStatusEnum": "ml.models.TrainingRun.Status",
        "RetrainScheduleKindEnum": "ml.models.RetrainSchedule.Kind",
        "LabelKindEnum": "annotations.models.Label.Kind",
    }
)
