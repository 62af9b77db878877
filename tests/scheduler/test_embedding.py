"""The embedded scheduler starts only in the process that serves requests, never in tests or commands."""
from __future__ import annotations

import pytest

from ledger.scheduler.service import should_embed


@pytest.fixture
def embedded(app):
    app.config["LEDGER_SCHEDULER"] = "embedded"
    app.testing = False
    yield app
    app.testing = True


@pytest.mark.parametrize(("argv", "env", "debug", "expected"), [
    (["gunicorn", "wsgi:app"], {}, False, True),  # a WSGI server's worker
    (["flask", "--app", "wsgi", "run"], {"FLASK_RUN_FROM_CLI": "true"}, False, True),
    (["flask", "--app", "wsgi", "run"], {"FLASK_RUN_FROM_CLI": "true"}, True, False),  # reloader parent
    (["flask", "--app", "wsgi", "run"], {"FLASK_RUN_FROM_CLI": "true", "WERKZEUG_RUN_MAIN": "true"}, True, True),
    (["flask", "--app", "wsgi", "run", "--no-reload"], {"FLASK_RUN_FROM_CLI": "true"}, True, True),
    (["flask", "--app", "wsgi", "ledger", "run-jobs"], {"FLASK_RUN_FROM_CLI": "true"}, False, False),
    (["flask", "--app", "wsgi", "db", "upgrade"], {"FLASK_RUN_FROM_CLI": "true"}, False, False),
])
def test_should_embed(embedded, monkeypatch, argv, env, debug, expected):
    monkeypatch.setattr("sys.argv", argv)
    for name in ("FLASK_RUN_FROM_CLI", "WERKZEUG_RUN_MAIN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    embedded.debug = debug
    assert should_embed(embedded) is expected


def test_never_in_testing_or_when_off(app):
    app.config["LEDGER_SCHEDULER"] = "embedded"
    assert should_embed(app) is False  # TESTING
    app.testing = False
    app.config["LEDGER_SCHEDULER"] = "off"
    assert should_embed(app) is False
    app.testing = True
