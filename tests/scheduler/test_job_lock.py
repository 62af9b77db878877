"""One job run at a time per database: a second run waits for the first instead of failing."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from ledger.scheduler.lock import job_run_lock


def test_a_second_job_run_waits_for_the_lock_held_by_another_process(app, fresh_database_url, tmp_path):
    ready, leaving, hold = tmp_path / "ready", tmp_path / "leaving", 2.0
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from flask import Flask
        from ledger.scheduler.lock import job_run_lock
        app = Flask("holder", instance_path={str(tmp_path)!r})
        app.config["SQLALCHEMY_DATABASE_URI"] = {fresh_database_url!r}
        with job_run_lock(app):
            Path({str(ready)!r}).touch()
            time.sleep({hold})
            Path({str(leaving)!r}).touch()
    """)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "the holder never took the lock"
            time.sleep(0.05)
        with job_run_lock(app):
            assert leaving.exists()  # we got in only once the holder had let go
    finally:
        holder.wait(timeout=60)
    assert holder.returncode == 0
