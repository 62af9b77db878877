"""Keyset pagination: opaque cursors over a tuple of sort-key values."""
from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.core.bounds import MAX_ID
from ledger.core.errors import Invalid

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        raise Invalid({"cursor": "游标无效"}) from None
    if not isinstance(values, list) or not 1 <= len(values) <= 4 or not all(map(_cursor_value, values)):
        raise Invalid({"cursor": "游标无效"})
    return values


def _cursor_value(value: Any) -> bool:
    """What our cursors hold: ids (within the id columns' range) and ISO dates. Anything else (a float such
    as 1e999, a huge integer, a nested value) is not one of ours and would fail in the query."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1 <= value <= MAX_ID
    if isinstance(value, str) and len(value) == 10:
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def parse_limit(raw: Any) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise Invalid({"limit": "必须是整数"}) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid({"limit": f"必须在 1 到 {MAX_LIMIT} 之间"})
    return limit


def page_by_id(query, model, limit: int, cursor: str | None, descending: bool = False) -> Page:
    """Page any query by its primary key ``id``."""
    after = decode_cursor(cursor)
    if after:
        last = after[0]
        if not isinstance(last, int):
            raise Invalid({"cursor": "游标无效"})
        query = query.where(model.id < last if descending else model.id > last)
    query = query.order_by(model.id.desc() if descending else model.id.asc()).limit(limit + 1)
    from ledger.core.db import db

    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].id]) if more and rows else None)
