"""Checking the chain: every entry's hash is its own content's, each links to the one before, none is missing."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ledger.audit.models import AuditEntry, AuditHead
from ledger.audit.services import GENESIS, entry_hash
from ledger.core.db import db

FIELDS = ("id", "at", "actor_id", "action", "target_type", "target_id", "details", "address", "prev_hash")
BATCH = 2000


@dataclass
class Verdict:
    ok: bool
    count: int
    broken_id: int | None = None
    reason: str = ""


def _rows():
    """Every entry in chain order, a batch at a time (the log grows without bound)."""
    after = 0
    while True:
        batch = db.session.execute(select(*(getattr(AuditEntry, c) for c in FIELDS), AuditEntry.hash)
                                   .where(AuditEntry.id > after).order_by(AuditEntry.id).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


def _broken_link(prev_hash: str) -> str:
    chained_to = db.session.scalar(select(AuditEntry.id).where(AuditEntry.hash == prev_hash))
    if chained_to is not None:
        return f"reordered: it was chained after entry {chained_to}"
    return "removed or replaced: the entry before it is not the one it was chained to"


def verify_chain() -> Verdict:
    """The first entry that breaks the chain, and why: changed (its hash is not its content's), removed (a
    number is missing, or the head names a later entry than the last), reordered (it links to another entry)."""
    expected_id, expected_prev, count = 1, GENESIS, 0
    for row in _rows():
        fields = {c: getattr(row, c) for c in FIELDS}
        if row.id != expected_id:
            return Verdict(False, count, row.id, f"removed: entries {expected_id}–{row.id - 1} are missing")
        if entry_hash(fields) != row.hash:
            return Verdict(False, count, row.id, "changed: its content does not match its hash")
        if row.prev_hash != expected_prev:
            return Verdict(False, count, row.id, _broken_link(row.prev_hash))
        expected_id, expected_prev, count = row.id + 1, row.hash, count + 1
    head = db.session.get(AuditHead, 1)
    if head is None or head.last_id != expected_id - 1 or head.last_hash != expected_prev:
        last = head.last_id if head is not None else None
        return Verdict(False, count, last, f"removed: the chain's head names entry {last}, the last present is "
                                           f"{expected_id - 1}")
    return Verdict(True, count)
