"""Fixtures for the access matrix."""
import pytest

from tests.api.support import build_scene
from tests.api.support import fast_hashing as fast_hashing  # a fixture, re-exported for pytest


@pytest.fixture
def scene(f, request):
    request.getfixturevalue("fast_hashing")
    return build_scene(f)


@pytest.fixture
def as_role(api, scene):
    """``as_role(name)`` → an ApiClient for that role of the scene (``anonymous``: no credentials)."""
    clients = {}

    def get(role: str):
        if role not in clients:
            clients[role] = api(None if role == "anonymous" else scene.users[role])
        return clients[role]
    return get
