"""Real processes, a real SMTP server on loopback (aiosmtpd) and helpers to watch the database."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from ledger.core.db import db
from ledger.outbox.models import Message
from ledger.reminders.models import Reminder
from ledger.scheduler.models import JobRun

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(ROOT / ".venv" / "bin" / "flask")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping what it accepted; can refuse a recipient (550) or hold sessions at RCPT."""

    def __init__(self) -> None:
        self.received: list = []
        self.refuse: set[str] = set()
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()  # set while a session is held at the gate

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        while not self.gate.is_set():
            self.waiting.set()
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.received]


class SmtpServer:
    """Start and stop a loopback SMTP server on one fixed port (stopped = connection refused)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.mailbox.gate.set()
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """A server on a port that is not listening yet; call ``.start()`` to bring it up."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def cli_env(fresh_database_url, tmp_path):
    """Environment for ``flask --app wsgi ledger …`` subprocesses on the test's own database."""
    def make(**extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGER_", "FLASK_"))}
        env.update({"LEDGER_DATABASE_URL": fresh_database_url, "LEDGER_INSTANCE_PATH": str(tmp_path / "inst"),
                    "LEDGER_SECRET_KEY": "test-secret", "LEDGER_ENV": "test", "LEDGER_BASE_URL": "http://ledger.test",
                    "LEDGER_SCHEDULER": "off", "LEDGER_SCHEDULER_CHECK_SECONDS": "0.5",
                    "LEDGER_OUTBOX_INTERVAL": "1",
                    "PYTHONWARNINGS": "ignore", **{k: str(v) for k, v in extra.items()}})
        return env
    return make


def start_cli(env: dict, *args: str, log: Path | None = None) -> subprocess.Popen:
    command = [FLASK, "--app", "wsgi", "ledger", *args]
    if log is None:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def run_cli(env: dict, *args: str, timeout: float = 120) -> str:
    result = subprocess.run([FLASK, "--app", "wsgi", "ledger", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def kill9(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill9(process)


def clear_of_midnight(zone: str = "Asia/Shanghai", margin: timedelta = timedelta(minutes=3)) -> None:
    """Tests whose real scheduler reads the real clock: start after the local midnight if it is near,
    so the day (and what it owes) cannot change under them."""
    local = datetime.now(ZoneInfo(zone))
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight - local < margin:
        time.sleep((midnight - local).total_seconds() + 1)


def fresh() -> None:
    """Drop this test process's view so the next query sees what other processes committed."""
    db.session.rollback()
    db.session.expire_all()


def wait_for(condition, timeout: float = 60, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh()
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def count(model, *where) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def reminder_keys() -> list[tuple]:
    fresh()
    return sorted((r.kind, r.item_key, r.user_id, r.period) for r in db.session.scalars(select(Reminder)))


def reminder_message_ids() -> set[int]:
    fresh()
    return set(db.session.scalars(select(Reminder.message_id).where(Reminder.message_id.is_not(None))))


def runs(job: str | None = None, status: str | None = None) -> list[JobRun]:
    fresh()
    query = select(JobRun).order_by(JobRun.id)
    if job:
        query = query.where(JobRun.job == job)
    if status:
        query = query.where(JobRun.status == status)
    return list(db.session.scalars(query))


def iso(moment: datetime) -> str:
    return moment.isoformat()


__all__ = ["Message", "sys"]


ITEM_REMINDERS, ITEM_MESSAGES = 11, 6  # see build_owed
EXPECTED_REMINDERS = ITEM_REMINDERS + 2  # and the week's digest to the two supervisors over org_a
EXPECTED_REMINDER_MESSAGES = ITEM_MESSAGES + 2


def build_owed(f, now: datetime):
    """A world and items owing, at ``now``: 2 overdue 9 days (owner + secretary; escalated to 2
    supervisors), 1 due in 2 days, 1 unclaimed for 3 days (org_b), 1 awaiting verification for 4 days —
    11 reminders in 6 messages (owner_a, owner_a2, owner_b, sec_a, sup_a, sup_root)."""
    from datetime import timedelta

    from ledger.core import clock

    with clock.frozen_at(now - timedelta(days=30)):
        w = f.world()
    with clock.frozen_at(now - timedelta(days=10)):
        late = [f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress", days=1) for _ in range(2)]
    with clock.frozen_at(now):
        soon = f.item(w.sec_a, w.org_a, w.owner_a2, status="claimed", days=2)
    with clock.frozen_at(now - timedelta(days=3)):
        unclaimed = f.item(w.sec_b, w.org_b, w.owner_b, status="pending", days=20)
    with clock.frozen_at(now - timedelta(days=4)):
        waiting = f.item(w.sec_a, w.org_a, w.owner_a, status="awaiting_verification", days=20)
    db.session.commit()
    db.session.remove()
    return w, {"late": late, "soon": soon, "unclaimed": unclaimed, "waiting": waiting}
