"""Tandem settings. Every value comes from the environment; the README documents each variable."""

import mimetypes
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TANDEM_DEMO = env_bool("TANDEM_DEMO", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TANDEM_DEMO:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY doit être défini (variable d'environnement) hors mode DEBUG/démo."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# An expired session or an old form: a French page in the site's layout, not Django's English default.
CSRF_FAILURE_VIEW = "tandem.www.views.errors.csrf_failure"

VAR_DIR = Path(os.environ.get("TANDEM_VAR_DIR", BASE_DIR / "var"))


def default_database_url() -> str:
    """DATABASE_URL, else the demo's private cluster (scripts/pg-cluster.sh keeps its port in var/pg/port)."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    port_file = VAR_DIR / "pg" / "port"
    if port_file.exists():
        return f"postgres://postgres@127.0.0.1:{port_file.read_text().strip()}/tandem"
    raise ImproperlyConfigured(
        "DATABASE_URL doit être défini (postgres://utilisateur:motdepasse@hôte:5432/tandem), "
        "ou la base de démonstration créée par « make demo » (var/pg)."
    )


DATABASES = {
    "default": dj_database_url.parse(
        default_database_url(),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
# PostgreSQL + PostGIS is the only engine (GeoDjango's backend; needs the GDAL and GEOS system libraries).
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# PostgreSQL's JIT compiler off for Tandem's sessions (DATABASE_JIT=1 turns it back on): the permission layer's
# correlated subqueries make the planner over-estimate small queries (a land list of 20 sites estimated past
# `jit_above_cost`), and compiling them took 1.7 s of a 1.8 s query in the load benchmark (bench/load.py).
# Behind PgBouncer, which refuses the `options` start-up parameter, set `ALTER DATABASE … SET jit = off` instead
# and DATABASE_JIT=1 (docs/deployment.md).
if not env_bool("DATABASE_JIT", False):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Connections: one psycopg pool per process, at most DATABASE_POOL_MAX_SIZE connections each, whatever the
# number of threads serving requests (a request waits up to DATABASE_POOL_TIMEOUT seconds for one, then fails
# cleanly). Size PostgreSQL's max_connections ≥ Σ processes × pool size (docs/deployment.md). 0 turns the pool off
# (then DATABASE_CONN_MAX_AGE applies: 0, a connection per request, closed at its end).
DATABASE_POOL_MAX_SIZE = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4"))
if DATABASE_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django must not
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "20")),
        "max_idle": 300,
    }

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "procrastinate.contrib.django",
    "tandem.core",
    "tandem.imports",
    "tandem.accounts",
    "tandem.territories",
    "tandem.organizations",
    "tandem.land",
    "tandem.companies",
    "tandem.prospects",
    "tandem.eit",
    "tandem.decarbonation",
    "tandem.catalogue",
    "tandem.skills",
    "tandem.steering",
    "tandem.demo",
    "tandem.www",
    "tandem.api",
    "axes",
]

MIDDLEWARE = [
    "tandem.core.middleware.RequestTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tandem.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tandem.imports.middleware.UploadSizeMiddleware",
    "tandem.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tandem.organizations.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "tandem.accounts.backends.LoginThrottleBackend",  # django-axes: refuses logins while locked out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "www:login"
LOGIN_REDIRECT_URL = "www:home"
LOGOUT_REDIRECT_URL = "www:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tandem.www.context_processors.tandem",
            ],
            # French figures (`num`, `eur`, `ha`, `frdate`…) in every template without `{% load %}`.
            "builtins": ["tandem.www.templatetags.fr", "tandem.www.templatetags.labels"],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Front-end assets come from the npm registry at set-up (`npm ci`), never from a CDN at run time.
NODE_MODULES_DIR = Path(os.environ.get("TANDEM_NODE_MODULES", BASE_DIR / "node_modules"))
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [
    # MapLibre GL JS: an ES module (maplibre-gl.mjs) that starts its worker from maplibre-gl-worker.mjs beside it.
    ("vendor/maplibre-gl", NODE_MODULES_DIR / "maplibre-gl" / "dist"),
]
# Module scripts are refused unless served as JavaScript: do not depend on the system's mime.types for `.mjs`.
mimetypes.add_type("text/javascript", ".mjs")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Uploaded files (imports waiting for the job worker, …) go through Django's storage: MEDIA_ROOT by default,
# another backend through STORAGES["default"] in production.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Background jobs: Procrastinate, in PostgreSQL (docs/adr/0001-background-jobs.md). Tasks live in each app's
# tasks.py; the worker is `tandem procrastinate worker` (make demo starts one beside the web server).
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
# A job whose worker sent no heartbeat for this long is stalled (its worker died): retried or marked failed.
TANDEM_JOBS_STALLED_SECONDS = int(os.environ.get("TANDEM_JOBS_STALLED_SECONDS", "60"))
# Finished jobs are deleted from the queue's tables after this many days (periodic job core.finished_jobs_delete).
TANDEM_JOBS_KEEP_DAYS = int(os.environ.get("TANDEM_JOBS_KEEP_DAYS", "30"))
# Each import runs in a subprocess of the worker limited to this much address space (RLIMIT_AS).
TANDEM_IMPORT_MEMORY_MB = int(os.environ.get("TANDEM_IMPORT_MEMORY_MB", "3072"))
# Exports and PDFs (tandem.core.files): up to these sizes the request serves them at once; above, a job writes
# them to the storage and the user downloads them from a progress page until they expire.
TANDEM_EXPORT_SYNC_MAX_ROWS = int(os.environ.get("TANDEM_EXPORT_SYNC_MAX_ROWS", "20000"))
# The site list's CSV: each site's readiness is computed in Python (~0.5 ms): the Région's thousands by a job.
TANDEM_EXPORT_SYNC_MAX_SITES = int(os.environ.get("TANDEM_EXPORT_SYNC_MAX_SITES", "1000"))
TANDEM_PDF_SYNC_MAX_SITES = int(os.environ.get("TANDEM_PDF_SYNC_MAX_SITES", "5"))
TANDEM_GENERATED_FILE_HOURS = int(os.environ.get("TANDEM_GENERATED_FILE_HOURS", "24"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# E-mail (the daily reminders of the follow-up): an SMTP server, or the console in DEBUG/demo without one.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not (DEBUG or TANDEM_DEMO)
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = EMAIL_HOST or "localhost"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")
# The public address of this instance (https://tandem.example.fr), for links in e-mails; empty: no links.
TANDEM_SITE_URL = os.environ.get("TANDEM_SITE_URL", "")

# Import limits (docs/security-imports.md). Every import checks them with a French message; uploads are also
# refused before they are read when the request announces a larger body.
_MB = 1024 * 1024
TANDEM_IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("TANDEM_IMPORT_MAX_UPLOAD_MB", "50")) * _MB
TANDEM_IMPORT_MAX_EXPANDED_BYTES = int(os.environ.get("TANDEM_IMPORT_MAX_EXPANDED_MB", "500")) * _MB
TANDEM_IMPORT_MAX_ZIP_ENTRIES = int(os.environ.get("TANDEM_IMPORT_MAX_ZIP_ENTRIES", "100"))
TANDEM_IMPORT_MAX_ROWS = int(os.environ.get("TANDEM_IMPORT_MAX_ROWS", "500000"))
TANDEM_IMPORT_MAX_FIELD_CHARS = int(os.environ.get("TANDEM_IMPORT_MAX_FIELD_CHARS", "1000000"))
# Official boundaries an operator loads from the command line (`load_geography --boundaries`, ADMIN EXPRESS).
TANDEM_GEOGRAPHY_MAX_FILE_BYTES = int(os.environ.get("TANDEM_GEOGRAPHY_MAX_FILE_MB", "8192")) * _MB
# Django's own limits: form fields (files excluded) and number of files of one request; files over
# FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file, never held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(5 * _MB // 2)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(5 * _MB // 2)))
DATA_UPLOAD_MAX_NUMBER_FILES = int(os.environ.get("DATA_UPLOAD_MAX_NUMBER_FILES", "20"))

# Base map raster tiles: any XYZ/WMTS template ({z}/{x}/{y}) usable by MapLibre; empty disables them. Maps stay
# usable without them: the boundaries and names of the loaded geography are Tandem's own vector tiles.
TANDEM_TILE_URL = os.environ.get(
    "TANDEM_TILE_URL",
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
    "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
)
TANDEM_TILE_ATTRIBUTION = os.environ.get("TANDEM_TILE_ATTRIBUTION", "© IGN Plan IGN")
# The instance's region (INSEE code): the region pages, dashboards and the matching open on when a user's
# organisation names none. Read through `tandem.territories.selectors.instance_region_code`.
TANDEM_REGION = os.environ.get("TANDEM_REGION", "44")
# AGPL-3.0 section 13: users of the network service can get its source.
TANDEM_SOURCE_URL = os.environ.get("TANDEM_SOURCE_URL", "")
# EIT reference nomenclatures (EWC, NAF/NACE, R/D ↔ ICPE, HotMaps costs): a directory of the real files
TANDEM_EIT_REFERENCE_DIR = os.environ.get("TANDEM_EIT_REFERENCE_DIR", "")
# Industrial decarbonation trajectory (docs/decarbonation.md): the −5,300 ktCO2e target is measured from the
# reference year's emissions and reached in the target year (straight line between them).
TANDEM_DECARBONATION_REFERENCE_YEAR = int(os.environ.get("TANDEM_DECARBONATION_REFERENCE_YEAR", "2019"))
TANDEM_DECARBONATION_TARGET_YEAR = int(os.environ.get("TANDEM_DECARBONATION_TARGET_YEAR", "2030"))
# EIT estimated flows: establishments of at least this many employees (by their SIRENE headcount band) get them
TANDEM_EIT_ESTIMATE_MIN_HEADCOUNT = int(os.environ.get("TANDEM_EIT_ESTIMATE_MIN_HEADCOUNT", "10"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "tandem.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "tandem.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Tandem",
    "DESCRIPTION": "API REST de Tandem (géographie officielle, organisations, périmètres).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps the whole API: signed-in users only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # The error answers of every operation (400, 401, 403, 404, 406), documented with their body.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tandem.api.schema.document_error_responses",
    ],
    # Explicit names where several models have a `kind`, `status` or `action` field.
    "ENUM_NAME_OVERRIDES": {
        "EpciKindEnum": "tandem.territories.models.Epci.Kind",
        "PerimeterKindEnum": "tandem.territories.models.Perimeter.Kind",
        "OrganizationKindEnum": "tandem.organizations.models.Organization.Kind",
        "VisibilityEnum": "tandem.organizations.models.Visibility",
        "AuditActionEnum": "tandem.core.models.AuditEvent.Action",
        "ProspectStatusEnum": "tandem.prospects.models.Prospect.Status",
        "SignalStatusEnum": "tandem.companies.models.fragility.Signal.Status",
        "SignalActionEnum": "tandem.companies.models.fragility.Signal.Action",
        "SignalDismissalReasonEnum": "tandem.companies.models.fragility.Signal.DismissalReason",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Requests slower than TANDEM_SLOW_REQUEST_MS, whatever LOG_LEVEL says (tandem.core.middleware).
    "loggers": {"tandem.requests": {"level": "WARNING"}},
}
TANDEM_SLOW_REQUEST_MS = int(os.environ.get("TANDEM_SLOW_REQUEST_MS", "1000"))

# Login throttling (django-axes, docs/security.md): after TANDEM_LOGIN_FAILURE_LIMIT failed logins for one
# username, or from one address, logins are refused for TANDEM_LOGIN_LOCKOUT_MINUTES (each new failure
# restarts the wait), the right password included. `tandem axes_reset_username NAME` lifts a lockout.
AXES_FAILURE_LIMIT = int(os.environ.get("TANDEM_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TANDEM_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "tandem.accounts.backends.throttle_username"
AXES_CLIENT_IP_CALLABLE = "tandem.accounts.backends.client_ip"
AXES_LOCKOUT_CALLABLE = "tandem.www.views.errors.login_locked"
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front of Tandem that append the client address to X-Forwarded-For (0: none).
TANDEM_PROXY_COUNT = int(os.environ.get("TANDEM_PROXY_COUNT", "0"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TANDEM_DEMO)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS on HTTPS responses outside DEBUG (browsers ignore it over plain HTTP, so the demo is unaffected).
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
if TANDEM_PROXY_COUNT > 0:
    # The trusted proxy terminates TLS and says so; without this every request would look like plain HTTP.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
