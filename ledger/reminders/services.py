"""The reminder jobs: decide what is owed, record each reminder under its unique key, and write one
message per person to the outbox and the in-app notifications — all in the caller's transaction.

A key another run (or another process) already recorded is skipped by the database itself
(INSERT … ON CONFLICT DO NOTHING), so a reminder is never sent twice, and nothing is recorded
unless its message is written in the same transaction, so none is lost to a crash.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ledger.auth.models import Membership, User
from ledger.auth.scope import secretaries_of, supervisors_over
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemKind, ItemStatus, Role
from ledger.items.models import Event, Item
from ledger.orgs.models import Organisation
from ledger.outbox.services import notify_user, notify_users
from ledger.reminders import rules as R
from ledger.reminders.compose import Entry, digest_message, reminder_message
from ledger.reminders.models import Reminder
from ledger.reminders.rows import ItemRow, all_orgs, attach_owners, item_rows_query, open_item_rows
from ledger.reminders.settings import RulesCache

log = logging.getLogger(__name__)
CHUNK = 500
BATCH = 1000  # rows per executemany / people per flush of their messages


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _stamp(moment: datetime | None) -> str:
    return clock.as_utc(moment).strftime("%Y%m%dT%H%M%SZ") if moment else "-"


def _facts(item: ItemRow, tz: str, last_progress: dict[int, datetime]) -> R.ItemFacts:
    zone = ZoneInfo(tz)
    assigned = clock.as_utc(item.assigned_at or item.created_at)
    submitted = clock.as_utc(item.submitted_at)
    progress = last_progress.get(item.id)
    return R.ItemFacts(
        status=item.status, kind=item.kind, deadline=item.deadline, flagged=bool(item.flagged),
        assigned_on=assigned.astimezone(zone).date(), assigned_stamp=_stamp(assigned),
        submitted_on=submitted.astimezone(zone).date() if submitted else None, submitted_stamp=_stamp(submitted),
        last_progress_on=clock.as_utc(progress).astimezone(zone).date() if progress else None)


class Audience:
    """Who receives a kind of reminder about an item, looked up once per organisation per run."""

    def __init__(self) -> None:
        self._secretaries: dict[int, list[User]] = {}
        self._supervisors: dict[int, list[User]] = {}

    def secretaries(self, org: Organisation) -> list[User]:
        if org.id not in self._secretaries:
            self._secretaries[org.id] = secretaries_of(org.id)
        return self._secretaries[org.id]

    def supervisors(self, org: Organisation) -> list[User]:
        if org.id not in self._supervisors:
            self._supervisors[org.id] = supervisors_over(org)
        return self._supervisors[org.id]

    def users(self, roles: list[str], item: ItemRow, kind: str) -> list[User]:
        found: dict[int, User] = {}
        for role in roles:
            if role == "owner":
                # an owner who has submitted has done their part: overdue notes go to the verifiers' side
                if item.owner is not None and not (kind == "overdue" and item.status == "awaiting_verification"):
                    people = [item.owner]
                else:
                    people = []
            elif role == "secretary":
                people = self.secretaries(item.org)
            elif role == "supervisors":
                people = self.supervisors(item.org)
            else:  # verifiers: supervisors for a flagged item, else the secretaries (or, lacking one, supervisors)
                people = (self.supervisors(item.org) if item.flagged
                          else self.secretaries(item.org) or self.supervisors(item.org))
            for user in people:
                if user.active:
                    found.setdefault(user.id, user)
        return list(found.values())


def _last_progress(item_ids: list[int]) -> dict[int, datetime]:
    result: dict[int, datetime] = {}
    for start in range(0, len(item_ids), CHUNK):
        chunk = item_ids[start:start + CHUNK]
        rows = db.session.execute(select(Event.item_id, func.max(Event.at)).where(
            Event.item_id.in_(chunk), Event.action == "progress").group_by(Event.item_id))
        result.update({item_id: at for item_id, at in rows})
    return result


def _digest_gate(users: dict[int, User], moment: datetime) -> set[int]:
    """Users on daily-digest delivery who may receive reminders in this run: once a day, from the digest hour."""
    config = current_app.config
    tz, hour = config["LEDGER_TIMEZONE"], int(config.get("LEDGER_DIGEST_HOUR", 8))
    local = _local(moment, tz)
    digest_users = [u.id for u in users.values() if u.reminder_delivery == "digest"]
    if not digest_users or local.hour < hour:
        return set()
    opened = datetime.combine(local.date(), time(hour), ZoneInfo(tz))
    served = set(db.session.scalars(select(Reminder.user_id).where(
        Reminder.user_id.in_(digest_users), Reminder.decided_for >= opened, Reminder.kind != "weekly_digest")))
    return set(digest_users) - served


def _wanted(user: User, kind: str, digest_open: set[int]) -> bool:
    if user.reminders_opt_out and kind not in R.ALWAYS_SENT:
        return False
    if user.reminder_delivery == "digest" and user.id not in digest_open:
        return False  # held until this user's daily digest (the windows keep it owed until then)
    return True


def _insert_keys(rows: Iterable[dict]) -> dict[tuple[str, int, int, str], int]:
    """Insert reminder rows, given in key order (built lazily, BATCH at a time, to bound memory); the database
    skips keys already present. Returns key → id of the rows inserted. One statement run as executemany
    (SQLAlchemy batches it into multi-row INSERT … RETURNING), compiled once.

    Rows go in key order so two concurrent runs wait on each other instead of deadlocking.
    """
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    table = Reminder.__table__
    statement = (dialect.insert(table).on_conflict_do_nothing(index_elements=["kind", "item_key", "user_id", "period"])
                 .returning(table.c.id, table.c.kind, table.c.item_key, table.c.user_id, table.c.period))
    connection = db.session.connection()
    inserted: dict[tuple[str, int, int, str], int] = {}
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        inserted.update((tuple(key), id_) for id_, *key in connection.execute(statement, batch))
    return inserted


def _link(links: list[tuple[int, int]]) -> None:
    """Point reminders at their messages: (reminder id, message id) pairs in one executemany UPDATE."""
    if links:
        table = Reminder.__table__
        db.session.connection().execute(
            update(table).where(table.c.id == bindparam("rid")).values(message_id=bindparam("mid")),
            [{"rid": rid, "mid": mid} for rid, mid in links])


def _deliver(per_user: dict[int, list[tuple[tuple, Entry]]], users: dict[int, User], ids: dict[tuple, int]) -> int:
    """One message (and notification) per person listing all of their newly recorded reminders.

    Written BATCH people at a time (one flush for their messages), so memory holds one batch of bodies.
    """
    people = list(per_user.items())
    for start in range(0, len(people), BATCH):
        batch = people[start:start + BATCH]
        notes = [(users[user_id], *reminder_message(users[user_id], [entry for _, entry in pairs]))
                 for user_id, pairs in batch]
        messages = notify_users([(user, kind, subject, body, item_id) for user, subject, body, kind, item_id in notes])
        _link([(ids[key], message_id) for (_, pairs), message_id in zip(batch, messages, strict=True)
               if message_id is not None for key, _ in pairs])
    return len(people)


def _owing_rows(orgs: dict[int, Organisation], rules: dict[int, R.Rules]) -> list[ItemRow]:
    """Open items that may owe a reminder today, in id order: a superset the rules then decide on.

    Due soon or overdue needs a deadline at most the longest due-soon window after the latest local
    today; unclaimed, unverified and progress requests have their own statuses or kind.
    """
    today = max((clock.today(org.timezone) for org in orgs.values()), default=clock.today())
    window = max((max(r.due_soon_days, default=0) for r in rules.values()), default=0)
    query = item_rows_query().where(or_(
        Item.deadline <= today + timedelta(days=window),
        Item.status.in_([ItemStatus.pending.value, ItemStatus.awaiting_verification.value]),
        Item.kind == ItemKind.long_term.value)).order_by(Item.id)
    return list(open_item_rows(query, orgs))


def run_reminders() -> dict[str, int]:
    """Decide every item reminder owed at ``clock.now()``; write them in the current transaction."""
    moment = clock.now()
    audience, orgs = Audience(), all_orgs()
    rules_cache = RulesCache()
    rules = {org_id: rules_cache.for_org(org) for org_id, org in orgs.items()}
    rows = _owing_rows(orgs, rules)
    last_progress = _last_progress([r.id for r in rows if r.kind == ItemKind.long_term.value])
    owed: list[tuple[ItemRow, list[R.Due]]] = []
    for item in rows:
        dues = R.reminders_due(_facts(item, item.org.timezone, last_progress), rules[item.org_id], item.today)
        if dues:
            owed.append((item, dues))
    attach_owners([item for item, _ in owed])
    candidates: list[tuple[tuple, Entry, User]] = []
    for item, dues in owed:
        recipients = rules[item.org_id].recipients
        for due in dues:
            for user in audience.users(recipients.get(due.kind, []), item, due.kind):
                key = (due.kind, item.id, user.id, due.period)
                candidates.append((key, Entry(due.kind, item, due.days, bool(due.extra.get("flagged"))), user))
    users = {user.id: user for _, _, user in candidates}
    digest_open = _digest_gate(users, moment)
    wanted = [(key, entry) for key, entry, user in candidates if _wanted(user, key[0], digest_open)]
    ids = _insert_keys({"kind": k[0], "item_key": k[1], "item_id": k[1], "user_id": k[2], "period": k[3],
                            "created_at": moment, "decided_for": moment} for k in sorted(k for k, _ in wanted))
    inserted = set(ids)
    per_user: dict[int, list] = defaultdict(list)
    for key, entry in wanted:
        if key in inserted:
            per_user[key[2]].append((key, entry))
            inserted.discard(key)  # the same key twice in one run (cannot happen, but never send it twice)
    messages = _deliver(per_user, users, ids)
    open_items = db.session.scalar(select(func.count()).select_from(Item).where(Item.is_open.is_(True)))
    counts = {"items": open_items, "owed": len(candidates), "reminders": sum(len(p) for p in per_user.values()),
              "messages": messages}
    decided = Counter(key[0] for pairs in per_user.values() for key, _ in pairs)
    counts.update({kind: decided[kind] for kind in R.KINDS})
    log.info("reminders at %s: %s", moment.isoformat(), counts)
    return counts


def _supervisor_scopes() -> dict[int, list[Organisation]]:
    rows = db.session.execute(select(Membership.user_id, Organisation).join(
        Organisation, Organisation.id == Membership.org_id).where(Membership.role == Role.supervisor.value))
    scopes: dict[int, list[Organisation]] = defaultdict(list)
    for user_id, org in rows:
        scopes[user_id].append(org)
    return scopes


def run_weekly_digest() -> dict[str, int]:
    """Each supervisor's weekly digest of overdue and flagged items in scope: once a week, never empty."""
    config = current_app.config
    moment = clock.now()
    local = _local(moment, config["LEDGER_TIMEZONE"])
    week = R.digest_week_start(local.date(), local.hour, int(config.get("LEDGER_DIGEST_WEEKDAY", 0)),
                               int(config.get("LEDGER_DIGEST_HOUR", 8)))
    counts = {"supervisors": 0, "digests": 0, "items": 0}
    orgs = all_orgs()
    candidates: list[ItemRow] | None = None  # read once, and only if some digest is still to be decided
    for user_id, scope in sorted(_supervisor_scopes().items()):
        user = db.session.get(User, user_id)
        if user is None or not user.active or user.reminders_opt_out:
            continue
        counts["supervisors"] += 1
        row = {"kind": "weekly_digest", "item_key": 0, "item_id": None, "user_id": user.id,
               "period": week.isoformat(), "created_at": moment, "decided_for": moment}
        ids = _insert_keys([row])
        if not ids:
            continue  # this week's digest was already decided
        if candidates is None:
            query = item_rows_query().where(Item.flagged.is_(True) | (Item.deadline < local.date() + timedelta(days=1)))
            candidates = [item for item in open_item_rows(query.order_by(Item.due_key, Item.id), orgs)
                          if item.flagged or item.overdue]
            attach_owners(candidates)
        paths = [org.path for org in scope]
        inside = {org.id for org in orgs.values() if any(org.path.startswith(p) for p in paths)}
        items = [item for item in candidates if item.org_id in inside]
        if not items:
            continue  # decided: nothing to report this week, and an empty digest is never sent
        subject, body = digest_message(user, week, items)
        message = notify_user(user, "weekly_digest", subject, body)
        if message is not None:
            _link([(reminder_id, message.id) for reminder_id in ids.values()])
        counts["digests"] += 1
        counts["items"] += len(items)
    return counts


__all__ = ["run_reminders", "run_weekly_digest"]
