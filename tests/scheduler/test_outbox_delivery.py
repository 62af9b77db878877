"""SMTP down: messages stay pending and are retried with backoff; back up: delivered exactly once;
refused for good: marked failed and listed by ``scheduler --status``."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ledger.core.db import db
from ledger.outbox.models import Message
from ledger.outbox.services import BACKOFF_SECONDS
from ledger.scheduler.jobs import run_all
from tests.scheduler.conftest import ITEM_MESSAGES, build_owed, fresh, run_cli
from tests.scheduler.test_exactly_once import _record

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _outbox(moment: datetime) -> dict:
    (run,) = run_all(moment, only=["outbox"])
    assert run.status == "ok", run.error
    return run.result


def _messages() -> list[Message]:
    fresh()
    return list(db.session.scalars(select(Message).where(Message.to_address.is_not(None)).order_by(Message.id)))


def test_smtp_down_then_up_retries_with_backoff_and_delivers_once(app, f, backend, smtp_down):
    app.config["LEDGER_SMTP_URL"] = smtp_down.url
    build_owed(f, T0)
    run_all(T0, only=["reminders"])
    total = len(_messages())
    assert total >= ITEM_MESSAGES
    first = _outbox(T0)
    assert first == {"sent": 0, "logged": 0, "retry": total, "failed": 0}
    messages = _messages()
    assert {m.status for m in messages} == {"pending"} and {m.attempts for m in messages} == {1}
    assert all(m.next_attempt_at == T0 + timedelta(seconds=BACKOFF_SECONDS[0]) for m in messages)
    assert "ConnectionRefusedError" in messages[0].last_error
    # inside the backoff nothing is tried
    assert _outbox(T0 + timedelta(seconds=30)) == {"sent": 0, "logged": 0, "retry": 0, "failed": 0}
    t1 = T0 + timedelta(seconds=BACKOFF_SECONDS[0] + 1)
    assert _outbox(t1)["retry"] == total
    assert {m.attempts for m in _messages()} == {2}
    assert all(m.next_attempt_at == t1 + timedelta(seconds=BACKOFF_SECONDS[1]) for m in _messages())
    assert _outbox(t1 + timedelta(seconds=BACKOFF_SECONDS[1] - 5))["retry"] == 0  # the backoff grew
    # the server comes back
    smtp_down.start()
    t2 = t1 + timedelta(seconds=BACKOFF_SECONDS[1] + 1)
    assert _outbox(t2) == {"sent": total, "logged": 0, "retry": 0, "failed": 0}
    assert _outbox(t2 + timedelta(hours=1)) == {"sent": 0, "logged": 0, "retry": 0, "failed": 0}
    received = smtp_down.mailbox.ids()
    assert len(received) == len(set(received)) == total
    assert {m.status for m in _messages()} == {"sent"}
    subjects = [str(m["Subject"]) for m in smtp_down.mailbox.received]
    assert any("已超期" in s for s in subjects)
    _record(f"smtp-down-{backend}", messages=total, attempts_while_down=2, delivered_when_up=len(received),
            duplicates=len(received) - len(set(received)))


def test_permanent_refusal_is_marked_failed_and_listed(app, f, backend, smtp, cli_env):
    app.config["LEDGER_SMTP_URL"] = smtp.url
    w, items = build_owed(f, T0)
    smtp.mailbox.refuse.add("owner_a2@example.org")  # 550: this mailbox does not exist
    run_all(T0, only=["reminders"])
    result = _outbox(T0)
    assert result["failed"] >= 1 and result["retry"] == 0
    failed = [m for m in _messages() if m.status == "failed"]
    assert failed and {m.to_address for m in failed} == {"owner_a2@example.org"}
    assert all(m.attempts == 1 and "550" in m.last_error for m in failed)
    # still there later, not retried, not dropped
    assert _outbox(T0 + timedelta(days=2))["failed"] == 0
    assert len([m for m in _messages() if m.status == "failed"]) == len(failed)
    status = run_cli(cli_env(), "scheduler", "--status")
    assert f"failed={len(failed)}" in status
    for message in failed:
        assert f"failed #{message.id} to owner_a2@example.org" in status
    assert "job reminders: last" in status and "job outbox: last" in status and "next 20" in status
    _record(f"permanent-failure-{backend}", failed=len(failed), listed_in_status=len(failed),
            sent=result["sent"])


def test_smtp_temporary_failures_give_up_after_the_attempt_limit(app, f, backend, smtp_down):
    app.config["LEDGER_SMTP_URL"] = smtp_down.url
    app.config["LEDGER_OUTBOX_MAX_ATTEMPTS"] = 3
    build_owed(f, T0)
    moment = T0
    outcomes = []
    for _ in range(3):
        outcomes.append(_outbox(moment))
        moment += timedelta(days=1)
    total = len(_messages())
    assert [o["retry"] for o in outcomes] == [total, total, 0]
    assert outcomes[-1]["failed"] == total
    assert {m.status for m in _messages()} == {"failed"}
