"""Backups: SQLite through its online backup API; PostgreSQL through pg_dump."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app

from ledger.core import clock
from ledger.core.db import db
from ledger.core.errors import Invalid

PG_GUIDANCE = ("PostgreSQL: run `pg_dump --format=custom --file=ledger.dump \"$LEDGER_DATABASE_URL\"` "
               "and restore with `pg_restore --clean --dbname=...`; schedule it with cron.")


def backup(target: str | None = None) -> str:
    url = db.engine.url
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    directory = Path(current_app.instance_path) / "backups"
    if url.get_backend_name() == "sqlite":
        destination = Path(target) if target else directory / f"ledger-{stamp}.sqlite"
        destination.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(destination)
        try:
            source.backup(copy)  # consistent even while the app is writing
        finally:
            copy.close()
            source.close()
        return f"backup written to {destination}"
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise Invalid({"pg_dump": "pg_dump not found. " + PG_GUIDANCE})
    destination = Path(target) if target else directory / f"ledger-{stamp}.dump"
    destination.parent.mkdir(parents=True, exist_ok=True)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run([pg_dump, "--format=custom", f"--file={destination}", dsn], check=True)
    return f"backup written to {destination}\n{PG_GUIDANCE}"
