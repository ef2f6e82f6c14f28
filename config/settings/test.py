"""Test settings: PostgreSQL from DATABASE_URL (make test starts a throwaway cluster)."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("TANDEM_DEMO", "0")
# The EIT reference files of ../shared (read in place, never copied into the repository).
os.environ.setdefault(
    "TANDEM_EIT_REFERENCE_DIR",
    os.path.join(
        os.environ.get("TANDEM_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")),
        "data",
        "real",
        "eit",
    ),
)

from .base import *  # noqa: E402,F403

# The test runner creates, flushes and switches databases: no pool in the test process (the served-app test
# tests/test_served_connections.py runs the real settings, pool included, in a server process).
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = "!!MISSING %s!!"  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["*"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 — whitenoise warns (an error in tests) otherwise
WHITENOISE_AUTOREFRESH = True
