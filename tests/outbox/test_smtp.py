"""``flask ledger send-outbox`` against a real SMTP server on loopback (aiosmtpd), on both databases:
delivered once and marked sent; retried with backoff while the server is down; failed — never dropped —
after LEDGER_OUTBOX_MAX_ATTEMPTS or on a permanent (5xx) refusal."""
from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from ledger.core import clock
from ledger.core.db import db
from ledger.outbox.models import Message
from ledger.outbox.services import BACKOFF_SECONDS, notify_user


class Recorder:
    """An aiosmtpd handler that keeps what it received, or answers RCPT / DATA with a set reply."""

    def __init__(self):
        self.received: list = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    """A loopback SMTP server (not started yet) that the app is configured to use."""
    server = SmtpServer()
    app.config["LEDGER_SMTP_URL"] = server.url
    app.config["LEDGER_MAIL_FROM"] = "ledger@example.org"
    yield server
    server.stop()


@pytest.fixture
def queued(f, backend):
    """Two pending messages to two users, committed; answers their ids."""
    w = f.world()
    ids = [notify_user(user, "test", f"【测试】给 {user.username}", "正文：请及时处理。").id
           for user in (w.owner_a, w.sec_a)]
    db.session.commit()
    return ids


def send(app, at: datetime | None = None) -> str:
    with clock.frozen_at(at or clock.now()):
        result = app.test_cli_runner().invoke(args=["ledger", "send-outbox"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    db.session.expire_all()
    return result.output.strip()


def messages(ids: list[int]) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id)))


def start_of_test() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


def test_delivered_once_and_marked_sent(app, smtp, queued):
    smtp.start()
    assert send(app) == "sent=2 logged=0 retry=0 failed=0"
    received = smtp.handler.received
    assert [rcpt for _, rcpt, _ in received] == [["owner_a@example.org"], ["sec_a@example.org"]]
    mail_from, _, email = received[0]
    assert mail_from == "ledger@example.org"
    assert email["Subject"] == "【测试】给 owner_a" and "请及时处理" in email.get_content()
    for message in messages(queued):
        assert message.status == "sent" and message.attempts == 1 and message.sent_at and not message.last_error
    assert send(app) == "sent=0 logged=0 retry=0 failed=0"
    assert len(smtp.handler.received) == 2  # nothing delivered twice


def test_server_down_retries_with_backoff_then_fails_and_keeps_the_message(app, smtp, queued):
    app.config["LEDGER_OUTBOX_MAX_ATTEMPTS"] = 3
    moment = start_of_test()
    assert send(app, moment) == "sent=0 logged=0 retry=2 failed=0"
    for message in messages(queued):
        assert message.status == "pending" and message.attempts == 1
        assert "Connection" in message.last_error or "refused" in message.last_error.lower()
        assert message.next_attempt_at == moment + timedelta(seconds=BACKOFF_SECONDS[0])

    assert send(app, moment + timedelta(seconds=30)) == "sent=0 logged=0 retry=0 failed=0"  # not due yet
    assert {m.attempts for m in messages(queued)} == {1}

    moment += timedelta(seconds=BACKOFF_SECONDS[0])
    assert send(app, moment) == "sent=0 logged=0 retry=2 failed=0"
    assert {(m.attempts, m.next_attempt_at) for m in messages(queued)} == {
        (2, moment + timedelta(seconds=BACKOFF_SECONDS[1]))}

    moment += timedelta(seconds=BACKOFF_SECONDS[1])
    assert send(app, moment) == "sent=0 logged=0 retry=0 failed=2"
    for message in messages(queued):
        assert message.status == "failed" and message.attempts == 3 and message.last_error
        assert message.sent_at is None

    smtp.start()  # the server is back, but a failed message waits for the admin's retry
    assert send(app, moment + timedelta(days=1)) == "sent=0 logged=0 retry=0 failed=0"
    assert smtp.handler.received == []
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.id.in_(queued))) == 2


def test_delivered_after_the_server_comes_back(app, smtp, queued):
    moment = start_of_test()
    assert send(app, moment) == "sent=0 logged=0 retry=2 failed=0"
    smtp.start()
    assert send(app, moment + timedelta(seconds=BACKOFF_SECONDS[0])) == "sent=2 logged=0 retry=0 failed=0"
    assert len(smtp.handler.received) == 2
    assert {(m.status, m.attempts) for m in messages(queued)} == {("sent", 2)}


@pytest.mark.parametrize("stage, reply", [
    ("rcpt", "550 5.1.1 Mailbox unavailable"),
    ("data", "554 5.7.1 Message rejected"),
], ids=["rcpt-550", "data-554"])
def test_permanent_refusal_marks_failed_at_once(app, smtp, queued, stage, reply):
    setattr(smtp.handler, f"{stage}_reply", reply)
    smtp.start()
    assert send(app) == "sent=0 logged=0 retry=0 failed=2"
    for message in messages(queued):
        assert message.status == "failed" and message.attempts == 1
        assert reply.split()[0] in message.last_error


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_temporary_refusal_is_retried(app, smtp, queued, stage):
    setattr(smtp.handler, f"{stage}_reply", "451 4.3.0 Try again later")
    smtp.start()
    moment = start_of_test()
    assert send(app, moment) == "sent=0 logged=0 retry=2 failed=0"
    assert {(m.status, m.attempts) for m in messages(queued)} == {("pending", 1)}
    setattr(smtp.handler, f"{stage}_reply", None)
    assert send(app, moment + timedelta(seconds=BACKOFF_SECONDS[0])) == "sent=2 logged=0 retry=0 failed=0"
