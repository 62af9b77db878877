"""One message's failure, of any kind, is that message's alone (issue 14, finding 2): broken rows planted
between good ones, sent over a real SMTP server on loopback (aiosmtpd) and to the log. The good ones
arrive, each bad one is marked with its error (failed at once when the row can make no mail, retried
with backoff when the server refused it for now), and the next run still works."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text

from ledger.core import clock
from ledger.core.db import db
from ledger.outbox.models import Message, Notification
from ledger.outbox.services import BACKOFF_SECONDS, notify_user
from tests.outbox.test_smtp import send, smtp, start_of_test  # noqa: F401  (smtp: the fixture)

INJECTED = "a@b.org\r\nBcc: c@d.org"

# (name, row fields, whether it is refused before any SMTP traffic)
BROKEN = [
    ("crlf-address-and-subject", {"to_address": INJECTED, "subject": "坏\r\nBcc: c@d.org"}),
    ("two-addresses", {"to_address": "x@example.org, y@example.org"}),
    ("no-address", {"to_address": None}),
    ("not-an-address", {"to_address": "13800138000"}),
    # Python's email raises AttributeError (not ValueError) building this header
    ("broken-domain-literal", {"to_address": "a@[1.2.3"}),
    ("bcc-in-display-name", {"to_address": '"x\r\nBcc: c@d.org" <x@example.org>'}),
]


def _raw(**fields) -> int:
    """A message row written straight to the table, past every check at entry."""
    row = {"kind": "test", "subject": "主题", "body": "正文", "status": "pending", "attempts": 0,
           "next_attempt_at": clock.now(), "created_at": clock.now(), **fields}
    return db.session.execute(insert(Message).values(**row).returning(Message.id)).scalar_one()


def _good(user, n: int) -> int:
    return notify_user(user, "test", f"好消息{n}", f"正文{n}").id


def _plant(f, backend) -> tuple[list[int], dict[str, int], list]:
    """Good messages with every broken one between two of them; answers (good ids, broken ids, users)."""
    w = f.world()
    users = [w.owner_a, w.sec_a, w.owner_b, w.sec_b, w.sup_a, w.owner_a2, w.sup_root]
    good, broken = [_good(users[0], 0)], {}
    for n, (name, fields) in enumerate(BROKEN, 1):
        broken[name] = _raw(**fields)
        good.append(_good(users[n % len(users)], n))
    if backend == "sqlite":  # SQLite keeps a BLOB in a TEXT column: the body is bytes, set_content raises TypeError
        broken["blob-body"] = _raw(to_address="blob@example.org")
        db.session.execute(text("UPDATE messages SET body = x'e6ada3e69687' WHERE id = :id"),
                           {"id": broken["blob-body"]})
        good.append(_good(users[0], 99))
    db.session.commit()
    return good, broken, users


def _by_id(ids) -> dict[int, Message]:
    return {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(list(ids))))}


def _assert_broken_marked(broken: dict[str, int]) -> None:
    rows = _by_id(broken.values())
    for name, message_id in broken.items():
        message = rows[message_id]
        assert message.status == "failed", name
        assert message.attempts == 1 and message.last_error and message.sent_at is None, name


def test_good_messages_arrive_around_broken_ones_over_smtp(app, smtp, f, backend):  # noqa: F811
    good, broken, users = _plant(f, backend)
    smtp.start()
    summary = send(app)
    assert summary == f"sent={len(good)} logged=0 retry=0 failed={len(broken)}"
    received = smtp.handler.received
    assert len(received) == len(good)
    assert {email["Subject"] for _, _, email in received} == {m.subject for m in _by_id(good).values()}
    for _, rcpt, email in received:  # no injected header or recipient reached the server
        assert rcpt != ["c@d.org"] and "c@d.org" not in rcpt and email["Bcc"] is None
    assert {m.status for m in _by_id(good).values()} == {"sent"}
    _assert_broken_marked(broken)
    rows = _by_id(broken.values())
    assert "linefeed or carriage return" in rows[broken["crlf-address-and-subject"]].last_error
    assert rows[broken["broken-domain-literal"]].last_error.startswith("AttributeError") or \
        rows[broken["broken-domain-literal"]].last_error.startswith("ValueError")
    if "blob-body" in broken:
        assert rows[broken["blob-body"]].last_error.startswith("TypeError")

    # the next run works, delivers what is new, and tries no broken message again
    later = _good(users[1], 100)
    db.session.commit()
    assert send(app) == "sent=1 logged=0 retry=0 failed=0"
    assert _by_id([later])[later].status == "sent"
    assert len(smtp.handler.received) == len(good) + 1
    _assert_broken_marked(broken)


def test_without_smtp_good_messages_are_logged_and_broken_ones_marked(app, f, backend):
    app.config.pop("LEDGER_SMTP_URL", None)
    good, broken, users = _plant(f, backend)
    assert send(app) == f"sent=0 logged={len(good)} retry=0 failed={len(broken)}"
    assert {m.status for m in _by_id(good).values()} == {"logged"}
    _assert_broken_marked(broken)
    later = _good(users[1], 100)
    db.session.commit()
    assert send(app) == "sent=0 logged=1 retry=0 failed=0"
    assert _by_id([later])[later].status == "logged"


class Picky:
    """An aiosmtpd handler that answers RCPT or DATA for some recipients with a set reply."""

    def __init__(self, rcpt: dict[str, str], data: dict[str, str]):
        self.rcpt, self.data, self.received = rcpt, data, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt:
            return self.rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address in self.data:
                return self.data[address]
        self.received.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@pytest.mark.parametrize("stage, reply, outcome", [
    ("rcpt", "550 5.1.1 Mailbox unavailable", "failed"),
    ("rcpt", "452 4.2.2 Mailbox full", "retry"),
    ("data", "554 5.7.1 Message rejected", "failed"),
    ("data", "451 4.3.0 Try again later", "retry"),
    ("data", "421 4.7.0 Closing connection", "retry"),  # smtplib drops the connection: the next gets a new one
], ids=["rcpt-550", "rcpt-452", "data-554", "data-451", "data-421"])
def test_a_refused_recipient_holds_back_no_other(app, smtp, f, backend, stage, reply, outcome):  # noqa: F811
    w = f.world()
    refused = f.user("refused", [(w.org_a, "owner")], email="refused@example.org")
    ids = [_good(w.owner_a, 1), _good(refused, 2), _good(w.sec_a, 3), _good(refused, 4), _good(w.owner_b, 5)]
    db.session.commit()
    smtp.handler = Picky({"refused@example.org": reply} if stage == "rcpt" else {},
                         {"refused@example.org": reply} if stage == "data" else {})
    smtp.start()
    moment = start_of_test()
    assert send(app, moment) == f"sent=3 logged=0 retry={2 * (outcome == 'retry')} failed={2 * (outcome == 'failed')}"
    assert smtp.handler.received == [["owner_a@example.org"], ["sec_a@example.org"], ["owner_b@example.org"]]
    rows = _by_id(ids)
    for message_id in (ids[1], ids[3]):
        message = rows[message_id]
        assert reply.split()[0] in message.last_error and message.attempts == 1
        if outcome == "failed":
            assert message.status == "failed"
        else:
            assert message.status == "pending"
            assert message.next_attempt_at == moment + timedelta(seconds=BACKOFF_SECONDS[0])
    assert send(app, moment) == "sent=0 logged=0 retry=0 failed=0"  # nothing is due again before its time


@pytest.mark.parametrize("how", ["notify_user", "notify_users", "notify_submitter"])
def test_subjects_are_one_header_line_whoever_queues_them(app, smtp, f, backend, how):  # noqa: F811
    from ledger.outbox import services

    w = f.world()
    subject = "【A-1】事项“窗口\r\n午休\n无人”\u2028已超期\x85Bcc: c@d.org\u202e"
    if how == "notify_user":
        services.notify_user(w.owner_a, "test", subject, "正文")
    elif how == "notify_users":
        services.notify_users([(w.owner_a, "test", subject, "正文", None)])
    else:
        opinion = f.opinion(w.sec_a, w.org_a, submitter_contact="someone@example.org")
        services.notify_submitter(opinion, "test", subject, "正文")
    db.session.commit()
    expected = "【A-1】事项“窗口 午休 无人” 已超期 Bcc: c@d.org"
    assert [m.subject for m in db.session.scalars(select(Message))] == [expected]
    if how != "notify_submitter":
        assert [n.subject for n in db.session.scalars(select(Notification))] == [expected]
    smtp.start()
    assert send(app).startswith("sent=1 ")
    (_, _, email), = smtp.handler.received
    assert email["Subject"] == expected and email["Bcc"] is None


def test_a_long_title_makes_a_subject_that_fits_its_column(app, f, backend):
    from ledger.outbox import services

    w = f.world()
    services.notify_user(w.owner_a, "test", "【A-1】" + "很长的标题" * 100, "正文")
    db.session.commit()
    (message,) = db.session.scalars(select(Message))
    assert len(message.subject) == 300 and message.subject.endswith("…")
