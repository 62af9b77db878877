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


@pytest.mark.slow
def test_embedded_in_two_gunicorn_workers_one_acts(app, f, cli_env, tmp_path):
    import subprocess
    import time
    from datetime import timedelta

    from ledger.core import clock
    from ledger.core.db import db
    from tests.scheduler.conftest import ROOT, free_port, runs, wait_for

    with clock.frozen_at(clock.now() - timedelta(days=30)):
        f.world()
    db.session.remove()
    env = cli_env(LEDGER_SCHEDULER="embedded")
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b",
                                   f"127.0.0.1:{free_port()}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: len(runs("outbox", "ok")) >= 3, what="the embedded scheduler's runs")
        time.sleep(2)
        acting = {r.pid for r in runs()}
        assert len(acting) == 1 and server.pid not in acting  # a worker, never the gunicorn master
        assert {r.source for r in runs()} == {"scheduler"}
    finally:
        server.terminate()
        server.wait(timeout=30)
