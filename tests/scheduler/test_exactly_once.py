"""Running the jobs twice, in two real processes at once, or after a SIGKILL sends each reminder once."""
from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ledger.core import clock
from ledger.core.db import db
from ledger.outbox.models import Message
from ledger.scheduler.jobs import run_all
from tests.scheduler.conftest import (
    EXPECTED_REMINDER_MESSAGES,
    EXPECTED_REMINDERS,
    ITEM_MESSAGES,
    ITEM_REMINDERS,
    build_owed,
    clear_of_midnight,
    count,
    fresh,
    kill9,
    reminder_keys,
    reminder_message_ids,
    run_cli,
    runs,
    start_cli,
    terminate,
    wait_for,
)

MOMENT = datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
RESULTS: dict = {}  # counts from these runs, printed for the closing note


def _record(name: str, **values) -> None:
    RESULTS[name] = values
    print(f"\nCOUNTS {name}: {json.dumps(values, ensure_ascii=False)}")


def _assert_delivered_once(smtp) -> int:
    """Every message in the outbox reached the SMTP server exactly once; returns how many."""
    fresh()
    messages = list(db.session.scalars(select(Message).where(Message.to_address.is_not(None))))
    ids = Counter(smtp.mailbox.ids())
    assert all(n == 1 for n in ids.values()), [k for k, n in ids.items() if n > 1]
    expected = {f"<ledger-message-{m.id}@localhost>" for m in messages}
    assert set(ids) == expected
    assert all(m.status == "sent" for m in messages)
    return len(ids)


def test_running_twice_for_the_same_moment_sends_once(app, f, backend):
    build_owed(f, MOMENT)
    first = run_all(MOMENT)
    again = run_all(MOMENT)
    assert first[0].result["reminders"] == ITEM_REMINDERS and first[0].result["messages"] == ITEM_MESSAGES
    assert first[1].result["digests"] == 2 and again[1].result["digests"] == 0
    assert again[0].result["reminders"] == 0 and again[0].result["messages"] == 0
    assert len(reminder_keys()) == EXPECTED_REMINDERS == len(set(reminder_keys()))
    assert len(reminder_message_ids()) == EXPECTED_REMINDER_MESSAGES
    _record(f"twice-{backend}", reminders=EXPECTED_REMINDERS, messages=EXPECTED_REMINDER_MESSAGES,
            second_run_reminders=again[0].result["reminders"])


@pytest.mark.slow
def test_two_processes_at_once_send_each_reminder_once(app, f, backend, cli_env, smtp):
    build_owed(f, MOMENT)
    at = MOMENT.isoformat()
    rounds = 3
    for number in range(rounds):  # several races, each two real processes started together
        # in the first, each holds its decision open for 2 s before committing, so the two surely overlap
        env = cli_env(LEDGER_SMTP_URL=smtp.url, LEDGER_FAULT_PAUSE="reminders:2" if number == 0 else "")
        processes = [start_cli(env, "run-jobs", "--at", at) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
        assert all(p.returncode == 0 for p in processes), outputs
    assert len(reminder_keys()) == EXPECTED_REMINDERS == len(set(reminder_keys()))
    assert len(reminder_message_ids()) == EXPECTED_REMINDER_MESSAGES
    delivered = _assert_delivered_once(smtp)
    decided = [r.result["reminders"] for r in runs("reminders")]
    assert sum(decided) == ITEM_REMINDERS and len(decided) == 2 * rounds
    a, b = runs("reminders")[:2]
    overlapped = a.started_at < b.finished_at and b.started_at < a.finished_at
    assert overlapped
    _record(f"two-processes-{backend}", runs=2 * rounds, reminders_per_run=decided,
            reminders=len(reminder_keys()), reminder_messages=len(reminder_message_ids()),
            smtp_delivered=delivered, smtp_duplicates=0, first_race_overlapped=overlapped)


@pytest.mark.slow
def test_scheduler_killed_mid_run_then_run_again_sends_everything_once(app, f, backend, cli_env, smtp, tmp_path):
    clear_of_midnight()
    now = clock.now()
    build_owed(f, now)
    log = tmp_path / "scheduler.log"
    env = cli_env(LEDGER_SMTP_URL=smtp.url)
    # 1. a real scheduler process whose reminders run is killed after deciding, before committing
    first = start_cli(cli_env(LEDGER_SMTP_URL=smtp.url, LEDGER_FAULT_PAUSE="reminders:60"), "scheduler", log=log)
    try:
        wait_for(lambda: runs("reminders", "running"), what="the reminders run to start")
        time.sleep(1.0)  # inside the pause: decided, not committed
        kill9(first)
    finally:
        terminate(first)
    assert reminder_keys() == [] and reminder_message_ids() == set()
    # 2. a scheduler again: marks the killed run interrupted, catches up, and is killed mid-delivery
    smtp.mailbox.gate.clear()  # SMTP sessions now hang at RCPT
    second = start_cli(env, "scheduler", log=log)
    try:
        wait_for(lambda: runs("reminders", "ok") and runs("weekly_digest", "ok"), what="the catch-up runs")
        wait_for(smtp.mailbox.waiting.is_set, what="a delivery in flight")
        kill9(second)
    finally:
        terminate(second)
    smtp.mailbox.gate.set()
    assert [r.status for r in runs("reminders")] == ["interrupted", "ok"]
    assert len(reminder_keys()) == EXPECTED_REMINDERS == len(set(reminder_keys()))
    in_flight = count(Message, Message.status == "pending")
    # 3. a third scheduler delivers the rest; the message whose session died waits out its lease
    third = start_cli(env, "scheduler", log=log)
    try:
        wait_for(lambda: count(Message, Message.status == "pending") <= 1, what="delivery")
    finally:
        terminate(third)
    run_cli(env, "run-jobs", "--at", (now + timedelta(minutes=15)).isoformat())
    assert len(reminder_keys()) == EXPECTED_REMINDERS
    delivered = _assert_delivered_once(smtp)
    _record(f"sigkill-{backend}", killed=2, reminders=len(reminder_keys()),
            reminder_messages=len(reminder_message_ids()), pending_after_second_kill=in_flight,
            smtp_delivered=delivered, smtp_duplicates=0)
