"""API: the caller's in-app notifications."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify
from pydantic import Field
from sqlalchemy import select

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Body, Id, Out, actor, arg, cursor_arg, limit_arg, many, parse_body
from ledger.api.registry import api_route
from ledger.core.pagination import page_by_id
from ledger.outbox import services
from ledger.outbox.models import Notification


class NotificationOut(Out):
    id: int
    kind: str
    item_id: int | None
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


class MarkRead(Body):
    ids: list[Id] | None = Field(default=None, max_length=1000)


@api_route(bp, "/notifications", "GET", list_of=NotificationOut,
           query=(params.boolean("unread", "only unread"), *params.PAGED))
def list_notifications():
    """The caller's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == actor().id)
    if arg("unread"):
        query = query.where(Notification.read_at.is_(None))
    return many(NotificationOut, page_by_id(query, Notification, limit_arg(), cursor_arg(), descending=True))


@api_route(bp, "/notifications/read", "POST", body=MarkRead)
def mark_notifications_read():
    """Mark the given (or all) notifications read."""
    body = parse_body(MarkRead)
    return jsonify({"marked": services.mark_read(actor(), body.ids)})
