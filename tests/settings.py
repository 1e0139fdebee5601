"""Settings for the test suite: production settings with a fixed key and fast hashing."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("VARNA_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("VARNA_HTTPS", "0")
os.environ.setdefault("VARNA_DEMO", "1")

from varna.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# The real database queue: tests run the worker with `db_worker --batch`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT = DATA_DIR / "static-test"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
# Attachments go to a fresh temporary directory per test process, removed when it ends.
_ATTACHMENTS = tempfile.mkdtemp(prefix="varna-test-attachments-")
atexit.register(shutil.rmtree, _ATTACHMENTS, ignore_errors=True)
STORAGES["attachments"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": _ATTACHMENTS, "base_url": None},
}
