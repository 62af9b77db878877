"""Queue messages in the caller's transaction; deliver them later over SMTP (or to the log)."""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlparse

from flask import current_app
from sqlalchemy import func, select, update

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.bulk import driver_value, insert_rows
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
    """An in-app notification, and an e-mail when the user has an address, in the caller's transaction."""
    message = None
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
    status = MessageStatus.pending.value if "@" in contact else MessageStatus.manual.value
    message = Message(kind=kind, item_id=opinion.item_id, opinion_id=opinion.id, to_address=contact,
                      subject=subject, body=body, status=status)
    db.session.add(message)
    return message


def _smtp_settings(url: str) -> dict:
    parsed = urlparse(url)
    return {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 25,
            "user": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
            "ssl": parsed.scheme == "smtps", "starttls": parsed.scheme == "smtp+starttls"}


def _build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr(("整改销号台账", sender))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    # stable per message, so a receiver can recognise a copy re-sent after a crash mid-delivery
    domain = sender.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<ledger-message-{message.id}@{domain}>"
    email.set_content(message.body)
    return email


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


def send_outbox(limit: int = 500) -> dict[str, int]:
    """Deliver due pending messages; each is marked sent, logged or (after retries) failed — never dropped."""
    config = current_app.config
    smtp_url = config.get("LEDGER_SMTP_URL")
    max_attempts = config["LEDGER_OUTBOX_MAX_ATTEMPTS"]
    counts = {"sent": 0, "logged": 0, "retry": 0, "failed": 0}
    ids = _due_ids(limit)
    db.session.commit()
    if not smtp_url:
        for message_id in ids:
            message = _claim(message_id)
            if message is not None:
                log.info("mail (no SMTP configured) #%s kind=%s subject=%s", message.id, message.kind,
                         message.subject)
                _mark(message, MessageStatus.logged)
                counts["logged"] += 1
            db.session.commit()
        return counts
    settings = _smtp_settings(smtp_url)
    connection, down = None, None
    for message_id in ids:
        message = _claim(message_id)
        email = _build_email(message, config["LEDGER_MAIL_FROM"]) if message is not None else None
        db.session.commit()
        if email is None:
            continue  # another sender has it
        try:
            if down is not None:
                raise down  # the server refused the connection: defer the rest of this batch, don't hammer it
            if connection is None:
                try:
                    connection = _connect(settings)
                except (smtplib.SMTPException, OSError) as exc:
                    down = exc
                    raise
            connection.send_message(email)
            _mark(db.session.get(Message, message_id), MessageStatus.sent)
            counts["sent"] += 1
        except (smtplib.SMTPException, OSError) as exc:
            outcome = _record_failure(db.session.get(Message, message_id), exc, _is_permanent(exc), max_attempts)
            counts[outcome] += 1
            if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException):
                connection = _close(connection)
        db.session.commit()  # one message at a time: a crash never re-sends what was already marked
    _close(connection)
    return counts


def _connect(settings: dict) -> smtplib.SMTP:
    cls = smtplib.SMTP_SSL if settings["ssl"] else smtplib.SMTP
    connection = cls(settings["host"], settings["port"], timeout=20)
    if settings["starttls"]:
        connection.starttls()
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
