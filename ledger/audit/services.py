"""Writing the audit log: ``record_audit`` appends an entry to the hash chain in the current transaction.

Services call it with the acting user (None for the command line, the scheduler or an anonymous failed
login); the client address comes from ``client_address``, set per request by the app's request hook.
"""
from __future__ import annotations

import contextvars
import hashlib
import json
from datetime import UTC

from sqlalchemy import select, update

from ledger.audit.models import AuditEntry, AuditHead
from ledger.core import clock
from ledger.core.db import db, separate_write, write_intent

GENESIS = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Entries about refused attempts: the request that records them answers 4xx and rolls back, yet they stay.
OUTLIVE_ROLLBACK = frozenset({"auth.login_failed", "auth.locked", "auth.second_factor_failed"})

client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_address", default=None)
# Per request (None outside one): entries to write after the request's own commit or rollback.
_after_request: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("audit_after", default=None)
_kept: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("audit_kept", default=None)


def canonical(fields: dict) -> bytes:
    """The bytes an entry's hash is taken over: its fields and the previous hash, as sorted-key JSON."""
    at = fields["at"]
    data = {"id": fields["id"], "at": clock.as_utc(at).astimezone(UTC).strftime(TIME_FORMAT),
            "actor_id": fields["actor_id"], "action": fields["action"], "target_type": fields["target_type"],
            "target_id": fields["target_id"], "details": fields["details"] or {}, "address": fields["address"],
            "prev_hash": fields["prev_hash"]}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(fields: dict) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def record_audit(actor, action: str, *, target_type: str | None = None, target_id: int | None = None,
                 details: dict | None = None, outlive_rollback: bool = False) -> None:
    """Append an audit entry in the current transaction (flushed, not committed).

    ``outlive_rollback`` (implied for the actions in OUTLIVE_ROLLBACK): the entry is written again after the
    request's rollback, for attempts that are refused (a failed login answers 401 and saves nothing else).
    """
    fields = {"at": clock.now(), "actor_id": getattr(actor, "id", None), "action": action,
              "target_type": target_type, "target_id": target_id,
              "details": json.loads(json.dumps(details or {}, ensure_ascii=False, default=str)),
              "address": client_address.get()}
    later, kept = _after_request.get(), _kept.get()
    if kept is not None and (outlive_rollback or action in OUTLIVE_ROLLBACK):
        kept.append(fields)
    if later is not None and not write_intent.get() and db.session.get_bind().dialect.name == "sqlite":
        # An SQLite read transaction must not turn into a write (it fails when another connection wrote
        # since it began): entries of a GET (an export) are written after its answer, in a write of their own.
        later.append(fields)
        return
    _append(fields)


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """The values of ``fields`` on ``obj`` (None: a row not there yet), to compare after a change."""
    return {name: getattr(obj, name, None) if obj is not None else None for name in fields}


def record_changes(actor, action: str, before: dict, obj, *, target_type: str, target_id: int | None,
                   **details) -> None:
    """One entry naming each field that changed since ``before`` as [old, new]; none when nothing changed."""
    changes = {name: [old, getattr(obj, name, None)] for name, old in before.items()
               if getattr(obj, name, None) != old}
    if changes:
        record_audit(actor, action, target_type=target_type, target_id=target_id,
                     details={**details, "changes": changes})


def _append(fields: dict) -> AuditEntry:
    """Link one entry to the head of the chain. The head row is locked first: PostgreSQL waits there for any
    other appending transaction; SQLite's write transaction (BEGIN IMMEDIATE) already holds the database."""
    last_id, last_hash = db.session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()).one()
    entry = dict(fields, id=last_id + 1, prev_hash=last_hash)
    entry["hash"] = entry_hash(entry)
    db.session.add(AuditEntry(**entry))
    db.session.execute(update(AuditHead).where(AuditHead.id == 1)
                       .values(last_id=entry["id"], last_hash=entry["hash"]))
    db.session.flush()
    return entry


def start_request(address: str | None) -> None:
    """Called before each request: its client address, and empty lists of entries to write after it."""
    client_address.set(address)
    _after_request.set([])
    _kept.set([])


def unit_started() -> tuple:
    """A command's or job's unit of work begins (ledger.core.db.unit_of_work): entries it cannot write in its
    own transaction (an SQLite read) wait for its end. Nesting keeps the outer unit's lists. No client address:
    a command or a job acts from no address (a thread that served requests must not lend it the last one)."""
    return _after_request.set([]), _kept.set([]), client_address.set(None)


def unit_finished(tokens: tuple, committed: bool) -> None:
    try:
        finish_request(committed)
    finally:
        _after_request.reset(tokens[0])
        _kept.reset(tokens[1])
        client_address.reset(tokens[2])


def finish_request(committed: bool) -> None:
    """Called after the request's commit or rollback, in a write transaction of its own: after a commit what
    it deferred; after a rollback only the entries that outlive it (the rest never happened)."""
    pending = list((_after_request.get() if committed else _kept.get()) or [])
    _after_request.set(None)
    _kept.set(None)
    if not pending:
        return
    with separate_write():
        for fields in sorted(pending, key=lambda f: f["at"]):
            _append(fields)


__all__ = ["record_audit", "snapshot", "record_changes", "canonical", "entry_hash", "start_request", "finish_request",
           "client_address",
           "GENESIS", "OUTLIVE_ROLLBACK"]
