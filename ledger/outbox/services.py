"""Queue messages in the caller's transaction; deliver them later over SMTP (or to the log)."""
from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlparse

from flask import current_app
from sqlalchemy import func, select, update

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.bulk import driver_value, insert_rows
from ledger.core.contacts import envelope_address, header_text, looks_like_email
from ledger.core.db import db
from ledger.core.enums import MessageStatus
from ledger.outbox.models import Message, Notification

log = logging.getLogger(__name__)
BACKOFF_SECONDS = (60, 300, 900, 3600, 4 * 3600, 12 * 3600)


def item_url_base() -> str:
    """Item links are this prefix + the item id."""
    return f"{current_app.config['LEDGER_BASE_URL'].rstrip('/')}/items/"


def item_url(item_id: int) -> str:
    return f"{item_url_base()}{item_id}"


def notify_user(user: User, kind: str, subject: str, body: str, item_id: int | None = None,
                dedupe_key: str | None = None) -> Message | None:
    """An in-app notification, and an e-mail when the user has an address, in the caller's transaction.
    The subject is made one header line here, for every caller (it often holds an item's title)."""
    message, subject = None, header_text(subject)
    if user.email:
        message = Message(kind=kind, item_id=item_id, recipient_user_id=user.id, to_address=user.email,
                          subject=subject, body=body, dedupe_key=dedupe_key)
        db.session.add(message)
        db.session.flush()
    db.session.add(Notification(user_id=user.id, kind=kind, item_id=item_id, subject=subject, body=body,
                                message_id=message.id if message else None))
    return message


def notify_users(notes: list[tuple[User, str, str, str, int | None]]) -> list[int | None]:
    """``notify_user`` for many people, (user, kind, subject, body, item_id) each, at most one note per person:
    the same rows, written by one multi-row INSERT and one bulk insert (core.bulk) instead of two statements
    per person. Returns the message id of each note (None: no e-mail address, an in-app notification only)."""
    messages, notifications = Message.__table__, Notification.__table__
    notes = [(user, kind, header_text(subject), body, item_id) for user, kind, subject, body, item_id in notes]
    mailed = [{"kind": kind, "item_id": item_id, "recipient_user_id": user.id, "to_address": user.email,
               "subject": subject, "body": body} for user, kind, subject, body, item_id in notes if user.email]
    connection = db.session.connection()
    ids: dict[int, int] = {}
    if mailed:  # one message per person, so the recipient tells which id is whose
        ids = dict(connection.execute(messages.insert().returning(messages.c.recipient_user_id, messages.c.id),
                                      mailed).all())
    message_ids = [ids[user.id] if user.email else None for user, *_ in notes]
    now = driver_value(connection, notifications.c.created_at, clock.now())
    columns = ("user_id", "kind", "item_id", "subject", "body", "message_id", "created_at")
    insert_rows(connection, "notifications", columns, ((user.id, kind, item_id, subject, body, mid, now)
                for (user, kind, subject, body, item_id), mid in zip(notes, message_ids, strict=True)))
    return message_ids


def notify_submitter(opinion, kind: str, subject: str, body: str) -> Message | None:
    """Feedback to the person who raised an opinion: by e-mail, or by hand where they left a phone."""
    contact = (opinion.submitter_contact or "").strip()
    if not contact:
        return None
    # a contact with an @ is mailed (and refused when it is no address, as a failed message the admin sees)
    status = MessageStatus.pending.value if looks_like_email(contact) else MessageStatus.manual.value
    message = Message(kind=kind, item_id=opinion.item_id, opinion_id=opinion.id, to_address=contact[:200],
                      subject=header_text(subject), body=body, status=status)
    db.session.add(message)
    return message


def _smtp_settings(url: str) -> dict:
    parsed = urlparse(url)
    return {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 25,
            "user": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
            "ssl": parsed.scheme == "smtps", "starttls": parsed.scheme == "smtp+starttls"}


def _build_email(message: Message, sender: str) -> tuple[EmailMessage, str]:
    """The mail for one message and its envelope recipient; raises (ValueError and others) when the row
    cannot make one: a recipient that is not one valid address, a header Python's ``email`` refuses.
    Subjects are made one line when queued; an older row's is made one here rather than refused."""
    email = EmailMessage()
    email["From"] = formataddr(("整改销号台账", sender))
    email["To"] = message.to_address
    email["Subject"] = header_text(message.subject)
    # stable per message, so a receiver can recognise a copy re-sent after a crash mid-delivery
    domain = sender.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<ledger-message-{message.id}@{domain}>"
    email.set_content(message.body)
    # after the header: Python's own refusal (CR/LF, a broken address) keeps its words in last_error
    envelope = envelope_address(message.to_address)
    return email, envelope


LEASE_SECONDS = 600  # a claimed message is not tried again by anyone for this long (a crash mid-send)


def _due_ids(limit: int) -> list[int]:
    return list(db.session.scalars(select(Message.id).where(
        Message.status == MessageStatus.pending.value, Message.next_attempt_at <= clock.now())
        .order_by(Message.id).limit(limit)))


def _claim(message_id: int) -> Message | None:
    """Take one message for sending, atomically: a second sender (another process running the outbox
    job) finds it no longer due. The caller commits before any SMTP traffic, so no transaction (and, on
    SQLite, no write lock) stays open while the mail server is slow."""
    now = clock.now()
    claimed = db.session.execute(update(Message).where(
        Message.id == message_id, Message.status == MessageStatus.pending.value, Message.next_attempt_at <= now)
        .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))).rowcount
    return db.session.get(Message, message_id, populate_existing=True) if claimed == 1 else None


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= code < 600 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


class _Smtp:
    """One connection for a batch, opened on first use. A refused connection defers the rest of the batch
    (don't hammer a server that is down); any other failure concerns one message only."""

    def __init__(self, settings: dict):
        self.settings, self.connection, self.down = settings, None, None

    def send(self, email: EmailMessage, envelope: str) -> None:
        if self.down is not None:
            raise self.down
        kept = self.connection is not None
        if not kept:
            self._open()
        try:
            self._transmit(email, envelope)
        except smtplib.SMTPServerDisconnected:
            if not kept:
                raise
            self._open()  # the server closed the connection kept from an earlier message: once more, anew
            self._transmit(email, envelope)

    def _transmit(self, email: EmailMessage, envelope: str) -> None:
        try:
            self.connection.send_message(email, to_addrs=[envelope])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            if getattr(exc, "smtp_code", None) == 421:
                self.close()  # "closing connection": smtplib has dropped it already
            raise
        except Exception:
            self.close()  # its state is unknown after anything else: the next message gets a new connection
            raise

    def _open(self) -> None:
        try:
            self.connection = _connect(self.settings)
        except (smtplib.SMTPException, OSError) as exc:
            self.down = exc
            raise

    def close(self) -> None:
        self.connection = _close(self.connection)


def send_outbox(limit: int = 500) -> dict[str, int]:
    """Deliver due pending messages; each is marked sent, logged or (after retries) failed — never dropped.
    A failure of any kind while building or sending one message is recorded on that message alone."""
    config = current_app.config
    smtp_url = config.get("LEDGER_SMTP_URL")
    smtp = _Smtp(_smtp_settings(smtp_url)) if smtp_url else None
    counts = {"sent": 0, "logged": 0, "retry": 0, "failed": 0}
    ids = _due_ids(limit)
    db.session.commit()
    try:
        for message_id in ids:
            outcome = _send_one(message_id, smtp, config)
            if outcome is not None:
                counts[outcome] += 1
            db.session.commit()  # one message at a time: a crash never re-sends what was already marked
    finally:
        if smtp is not None:
            smtp.close()
    return counts


def _send_one(message_id: int, smtp: _Smtp | None, config) -> str | None:
    """Claim, build and deliver one message; its outcome, or None when another sender has it."""
    message = _claim(message_id)
    if message is None:
        return None
    try:
        email, envelope = _build_email(message, config["LEDGER_MAIL_FROM"])
    except Exception as exc:  # this row makes no mail, and will not tomorrow: failed, alone
        log.warning("message #%s cannot be built: %s: %s", message.id, type(exc).__name__, exc)
        return _record_failure(message, exc, True, config["LEDGER_OUTBOX_MAX_ATTEMPTS"])
    if smtp is None:
        log.info("mail (no SMTP configured) #%s kind=%s subject=%s", message.id, message.kind, email["Subject"])
        _mark(message, MessageStatus.logged)
        return "logged"
    db.session.commit()  # the claim is saved before any SMTP traffic
    try:
        smtp.send(email, envelope)
    except Exception as exc:  # an SMTP refusal or anything else: this message's failure only
        return _record_failure(db.session.get(Message, message_id), exc, _is_permanent(exc),
                               config["LEDGER_OUTBOX_MAX_ATTEMPTS"])
    _mark(db.session.get(Message, message_id), MessageStatus.sent)
    return "sent"


def tls_context() -> ssl.SSLContext:
    """The server's certificate and host name are checked (ASVS 12.3.2), not Python's unverified default."""
    return ssl.create_default_context()


def _connect(settings: dict) -> smtplib.SMTP:
    if settings["ssl"]:
        connection = smtplib.SMTP_SSL(settings["host"], settings["port"], timeout=20, context=tls_context())
    else:
        connection = smtplib.SMTP(settings["host"], settings["port"], timeout=20)
    if settings["starttls"]:
        connection.starttls(context=tls_context())
    if settings["user"]:
        connection.login(settings["user"], settings["password"] or "")
    return connection


def _close(connection) -> None:
    if connection is not None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return None


def _mark(message: Message, status: MessageStatus) -> None:
    message.status = status.value
    message.sent_at = clock.now()
    message.attempts += 1
    message.last_error = None


def _record_failure(message: Message, exc: Exception, permanent: bool, max_attempts: int) -> str:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or message.attempts >= max_attempts:
        message.status = MessageStatus.failed.value
        log.warning("message #%s failed permanently after %s attempts", message.id, message.attempts)
        return "failed"
    delay = BACKOFF_SECONDS[min(message.attempts - 1, len(BACKOFF_SECONDS) - 1)]
    message.next_attempt_at = clock.now() + timedelta(seconds=delay)
    return "retry"


def retry_message(message_id: int) -> None:
    """Put a failed message back in the queue (admin's retry button)."""
    db.session.execute(update(Message).where(Message.id == message_id, Message.status == MessageStatus.failed.value)
                       .values(status=MessageStatus.pending.value, attempts=0, next_attempt_at=clock.now()))


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    return {status: count for status, count in rows}


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    condition = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if notification_ids is not None:
        condition.append(Notification.id.in_(notification_ids))
    result = db.session.execute(update(Notification).where(*condition).values(read_at=clock.now()))
    return result.rowcount


__all__ = ["notify_user", "notify_users", "notify_submitter", "send_outbox", "retry_message", "outbox_counts"]
