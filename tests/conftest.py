"""Test fixtures. Every test gets its own database, built by running the migrations once per session
into a template and copying it; the same tests run on SQLite and (when reachable) PostgreSQL."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask_migrate import upgrade

from ledger import create_app
from ledger.core.db import db
from tests import databases
from tests.factories import Factory

BACKENDS = ["sqlite", "postgresql"]


def pytest_addoption(parser):
    parser.addoption("--db", action="append", choices=BACKENDS,
                     help="database(s) to run on (default: both; PostgreSQL skipped when unreachable)")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("db") or BACKENDS
        if metafunc.definition.get_closest_marker("one_database"):
            chosen = chosen[:1]  # what it checks is decided before any SQL: once is enough
        metafunc.parametrize("backend", chosen, scope="session", ids=chosen)


def _settings(tmp: Path, url: str, **extra) -> dict:
    return {"TESTING": True, "LEDGER_ENV": "test", "LEDGER_SECRET_KEY": "test-secret",
            "LEDGER_INSTANCE_PATH": str(tmp), "INSTANCE_PATH": str(tmp),
            "LEDGER_DATABASE_URL": url, "LEDGER_UPLOAD_DIR": str(tmp / "uploads"),
            "LEDGER_SCHEDULER": "off", "LEDGER_BASE_URL": "http://ledger.test",
            "LEDGER_LOGIN_LIMIT_ACCOUNT": "1000 per minute", "LEDGER_LOGIN_LIMIT_ADDRESS": "1000 per minute",
            "WTF_CSRF_ENABLED": True, **extra}


@pytest.fixture(scope="session")
def template_db(backend, tmp_path_factory):
    """A database migrated to head once per session and backend."""
    if backend == "postgresql":
        reason = databases.pg_reachable()
        if reason:
            pytest.skip(reason)
        name = databases.new_pg_database()
        app = create_app(_settings(tmp_path_factory.mktemp("pgtemplate"), databases.pg_url(name)))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield ("postgresql", name)
        databases.wait_for_drops()
        databases.drop_pg_database(name)
    else:
        directory = tmp_path_factory.mktemp("sqlite-template")
        path = directory / "template.sqlite"
        app = create_app(_settings(directory, f"sqlite:///{path}"))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield ("sqlite", path)


@pytest.fixture
def fresh_database_url(template_db, tmp_path):
    """The URL of a database of this test's own, at the schema's head."""
    kind, source = template_db
    if kind == "sqlite":
        yield f"sqlite:///{databases.copy_sqlite(source, tmp_path)}"
    else:
        name = databases.new_pg_database(template=source)
        yield databases.pg_url(name)
        databases.drop_pg_database_later(name)


@pytest.fixture
def app_settings(tmp_path, fresh_database_url) -> dict:
    return _settings(tmp_path, fresh_database_url)


def _fresh_request_state(app) -> None:
    """Test requests run inside the test's application context, so ``g`` would outlive a request and leak
    Flask-Login's user or Flask-WTF's token from one client to the next. Start each request with an empty
    ``g``, as a real server does — first of all hooks, so extensions' own request state is untouched."""
    from flask import g

    def forget() -> None:
        for key in list(g):
            g.pop(key, None)
    app.before_request_funcs.setdefault(None, []).insert(0, forget)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch):
    """Still argon2id, with tiny costs, so a world of a dozen users builds in milliseconds. Tests about the
    hashing itself carry ``@pytest.mark.real_hashing``."""
    if request.node.get_closest_marker("real_hashing"):
        return
    from argon2 import PasswordHasher

    from ledger.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(app_settings):
    app = create_app(app_settings)
    _fresh_request_state(app)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def f(app) -> Factory:
    """Deterministic factories: organisations, users, opinions and items (through the services)."""
    return Factory()


class ApiClient:
    """Calls the JSON API with a bearer token; answers (status, json)."""

    def __init__(self, client, token: str | None = None):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def call(self, method: str, path: str, body=None, raw: bytes | None = None, **kw):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.client.open(f"/api/v1{path}", method=method, data=data,
                                     headers=self._headers({"Content-Type": "application/json"} if data else None),
                                     **kw)
        return response.status_code, response.get_json(silent=True)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)


@pytest.fixture
def api(client, f):
    """``api(user)`` → an ApiClient acting as that user (token issued through the service)."""
    from ledger.auth.services import issue_token

    def as_user(user=None):
        token = None
        if user is not None:
            token = issue_token(user, "test")
            db.session.commit()
        return ApiClient(client, token)
    return as_user
