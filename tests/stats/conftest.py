"""Fixtures: cheap password hashing (still argon2id) so that worlds of users build quickly."""
import pytest


@pytest.fixture(autouse=True)
def _quick_hashes(request):
    request.getfixturevalue("fast_hashing")


from tests.api.support import fast_hashing as fast_hashing  # noqa: E402, F401  (a fixture, re-exported)
