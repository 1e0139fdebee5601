"""The cast: Demo kommun, built once per test database by the same steps as `make run`.

Tests refer to people by their demo login (`cast["enhetschef"]`) and to units by code.
"""

import os

import pytest
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string

from varna.orgs.models import Unit, User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        for step in settings.VARNA_DEMO_STEPS:
            import_string(step)()


class Cast:
    def __getitem__(self, username: str) -> User:
        return User.objects.get(username=username)

    def unit(self, code: str) -> Unit:
        return Unit.objects.get(code=code)

    def client(self, username: str | None) -> Client:
        client = Client()
        if username:
            client.force_login(self[username], backend="varna.accounts.backends.VarnaBackend")
        return client


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


@pytest.fixture(autouse=True)
def _fresh_start():
    """Every test starts with no rate limit used (they count in the cache per address) and in
    Swedish (a request earlier in the same thread may have left another language active)."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
