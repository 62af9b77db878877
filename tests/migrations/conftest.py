"""Migration tests start from an EMPTY database of their own (not the migrated template)."""
from __future__ import annotations

import pytest

from ledger import create_app
from ledger.core.db import db
from tests import databases


@pytest.fixture
def empty_database_url(backend, tmp_path):
    if backend == "postgresql":
        reason = databases.pg_reachable()
        if reason:
            pytest.skip(reason)
        name = databases.new_pg_database()
        yield databases.pg_url(name)
        databases.drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"


@pytest.fixture
def bare_app(empty_database_url, tmp_path):
    """An app on the empty database, inside an app context; nothing migrated yet."""
    app = create_app({"TESTING": True, "LEDGER_ENV": "test", "LEDGER_SECRET_KEY": "test-secret",
                      "LEDGER_INSTANCE_PATH": str(tmp_path), "INSTANCE_PATH": str(tmp_path),
                      "LEDGER_DATABASE_URL": empty_database_url, "LEDGER_UPLOAD_DIR": str(tmp_path / "uploads"),
                      "LEDGER_SCHEDULER": "off"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
