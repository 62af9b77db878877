"""Fixtures for the API tests."""
from tests.api.support import fast_hashing as fast_hashing  # a fixture, re-exported for pytest
from tests.api.support import isolated_requests as isolated_requests
