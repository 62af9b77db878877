"""Fixtures for the API tests (also used by tests/access)."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.fixture
def fast_hashing(monkeypatch):
    """Still argon2id, with tiny costs: worlds of eight users build in milliseconds, not seconds.

    Not for tests about password hashing itself (tests/api/test_auth.py checks the real parameters)."""
    from ledger.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
