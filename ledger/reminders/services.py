"""The reminder jobs: decide what is owed, write one message per person to the outbox and the in-app
notifications, and record each reminder under its unique key — all in the caller's transaction.

A run reads the keys already recorded and decides only the rest, so a reminder is never sent twice;
nothing is recorded unless its message is written in the same transaction, so none is lost to a crash.
Job runs hold a per-database lock (scheduler.lock), so two runs never decide at once; were one to record
a key first anyway, the unique constraint fails the other run whole, and its next run decides afresh.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select

from ledger.auth.models import Membership, User
from ledger.auth.scope import RoleHolders
from ledger.core import clock
from ledger.core.bulk import driver_value, insert_rows, present_rows
from ledger.core.db import db
from ledger.core.enums import ItemKind, ItemStatus, Role
from ledger.items.models import Event, Item
from ledger.orgs.models import Organisation
from ledger.outbox.services import item_url_base, notify_user, notify_users
from ledger.reminders import rules as R
from ledger.reminders.compose import Entry, digest_message, reminder_message
from ledger.reminders.models import Reminder
from ledger.reminders.rows import (
    ItemRow,
    Person,
    all_orgs,
    attach_owners,
    item_rows_query,
    open_item_rows,
    people_by_id,
)
from ledger.reminders.settings import RulesCache

log = logging.getLogger(__name__)
CHUNK = 500
BATCH = 1000  # rows per executemany / people per flush of their messages
RECORD_COLUMNS = ("kind", "item_key", "item_id", "user_id", "period", "message_id", "created_at", "decided_for")
ANALYZE_AFTER = 10_000  # reminders recorded in one run, after which PostgreSQL's statistics are refreshed
Key = tuple[str, int, int, str]  # (kind, item id or 0, user id, period): Reminder's unique key


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _stamp(moment: datetime | None) -> str:
    """``YYYYMMDDTHHMMSSZ`` in UTC (formatted by hand: strftime was a tenth of the rules' time)."""
    if not moment:
        return "-"
    m = clock.as_utc(moment)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}Z"


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
    """Who receives a kind of reminder about an item: the role holders read once per run
    (auth.scope.RoleHolders), then people by id as the reminders need them."""

    def __init__(self) -> None:
        self.holders = RoleHolders()
        self.people: dict[int, Person] = {}
        self._decided: dict[tuple[str, int, bool], list[Person]] = {}

    def load(self, owners: dict[int, Person]) -> None:
        """Read every secretary and supervisor the rows may need, with the owners already read."""
        self.people.update(owners)
        self.people.update(people_by_id(self.holders.user_ids() - set(self.people)))

    def users(self, roles: list[str], item: ItemRow, kind: str) -> list[Person]:
        found: dict[int, Person] = {}
        for role in roles:
            if role == "owner":
                # an owner who has submitted has done their part: overdue notes go to the verifiers' side
                owner = item.owner
                if owner is not None and owner.active and not (kind == "overdue"
                                                               and item.status == "awaiting_verification"):
                    found.setdefault(owner.id, owner)
                continue
            for user in self._staff(role, item.org, item.flagged):
                found.setdefault(user.id, user)
        return list(found.values())

    def _staff(self, role: str, org: Organisation, flagged: bool) -> list[Person]:
        """The active people of ``role`` for an item of ``org``: decided once per organisation (and, for the
        verifiers, per flag), not once per reminder."""
        key = (role, org.id, flagged and role not in ("secretary", "supervisors"))
        if key not in self._decided:
            if role == "secretary":
                ids = self.holders.secretaries_of(org.id)
            elif role == "supervisors":
                ids = self.holders.supervisors_over(org)
            elif flagged:  # verifiers of a flagged item: the supervisors
                ids = self.holders.supervisors_over(org)
            else:  # verifiers: the secretaries, or, lacking one, the supervisors
                ids = self.holders.secretaries_of(org.id) or self.holders.supervisors_over(org)
            self._decided[key] = [person for uid in ids if (person := self.people[uid]).active]
        return self._decided[key]


def _last_progress(item_ids: list[int]) -> dict[int, datetime]:
    result: dict[int, datetime] = {}
    for start in range(0, len(item_ids), CHUNK):
        chunk = item_ids[start:start + CHUNK]
        rows = db.session.execute(select(Event.item_id, func.max(Event.at)).where(
            Event.item_id.in_(chunk), Event.action == "progress").group_by(Event.item_id))
        result.update({item_id: at for item_id, at in rows})
    return result


def _digest_gate(users: dict[int, Person], moment: datetime) -> set[int]:
    """Users on daily-digest delivery who may receive reminders in this run: once a day, from the digest hour."""
    config = current_app.config
    tz, hour = config["LEDGER_TIMEZONE"], int(config.get("LEDGER_DIGEST_HOUR", 8))
    local = _local(moment, tz)
    digest_users = [u.id for u in users.values() if u.reminder_delivery == "digest"]
    if not digest_users or local.hour < hour:
        return set()
    opened = datetime.combine(local.date(), time(hour), ZoneInfo(tz))
    served: set[int] = set()
    for start in range(0, len(digest_users), CHUNK):
        served.update(db.session.scalars(select(Reminder.user_id).where(
            Reminder.user_id.in_(digest_users[start:start + CHUNK]), Reminder.decided_for >= opened,
            Reminder.kind != "weekly_digest")))
    return set(digest_users) - served


def _wanted(user: Person, kind: str, digest_open: set[int]) -> bool:
    if user.reminders_opt_out and kind not in R.ALWAYS_SENT:
        return False
    if user.reminder_delivery == "digest" and user.id not in digest_open:
        return False  # held until this user's daily digest (the windows keep it owed until then)
    return True


KEY_COLUMNS = (("item_key", "int"), ("user_id", "int"), ("period", "text"))  # with kind: the unique index


def _known_keys(keys: Iterable[Key]) -> set[Key]:
    """Which of ``keys`` are already recorded: per kind, one seek per key on the unique index (an item's
    older periods are never read, however long its history)."""
    by_kind: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    for kind, *rest in keys:
        by_kind[kind].add(tuple(rest))
    connection = db.session.connection()
    known: set[Key] = set()
    for kind, triples in sorted(by_kind.items()):
        found = present_rows(connection, "reminders", KEY_COLUMNS, sorted(triples), ("kind", kind))
        known.update((kind, *row) for row in found)
    return known


def _record(keys: list[tuple[Key, int | None]], moment: datetime) -> None:
    """Insert reminder rows (key, message id) in key order (core.bulk: COPY, or the driver's executemany).

    A plain INSERT: a key recorded meanwhile fails the run whole (the unique constraint), never sends twice.
    """
    connection = db.session.connection()
    at = driver_value(connection, Reminder.__table__.c.created_at, moment)
    count = insert_rows(connection, "reminders", RECORD_COLUMNS, (
        (kind, item_key, item_key or None, user_id, period, message_id, at, at)
        for (kind, item_key, user_id, period), message_id in sorted(keys)))
    if count >= ANALYZE_AFTER and connection.dialect.name == "postgresql":
        # Statistics taken while the table was small make the next run's _known_keys hash the whole
        # table once per chunk (20 s on the county) instead of seeking each key; autovacuum comes later.
        connection.exec_driver_sql("ANALYZE reminders")


def _deliver(per_user: dict[int, list[tuple[Key, Entry]]], users: dict[int, Person]) -> list[tuple[Key, int | None]]:
    """One message (and notification) per person listing all of their new reminders; returns each
    reminder's key with its message id. Written BATCH people at a time, so memory holds one batch of bodies."""
    people = list(per_user.items())
    base = item_url_base()
    recorded: list[tuple[Key, int | None]] = []
    for start in range(0, len(people), BATCH):
        batch = people[start:start + BATCH]
        notes = [(users[user_id], *reminder_message(users[user_id], [entry for _, entry in pairs], base))
                 for user_id, pairs in batch]
        messages = notify_users([(user, kind, subject, body, item_id) for user, subject, body, kind, item_id in notes])
        recorded.extend((key, message_id) for (_, pairs), message_id in zip(batch, messages, strict=True)
                        for key, _ in pairs)
    return recorded


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
    audience.load(attach_owners([item for item, _ in owed]))
    candidates: list[tuple[Key, Entry, Person]] = []
    for item, dues in owed:
        recipients = rules[item.org_id].recipients
        for due in dues:
            for user in audience.users(recipients.get(due.kind, []), item, due.kind):
                key = (due.kind, item.id, user.id, due.period)
                candidates.append((key, Entry(due.kind, item, due.days, bool(due.extra.get("flagged"))), user))
    users = {user.id: user for _, _, user in candidates}
    digest_open = _digest_gate(users, moment)
    wanted = [(key, entry) for key, entry, user in candidates if _wanted(user, key[0], digest_open)]
    known = _known_keys(key for key, _ in wanted)
    per_user: dict[int, list[tuple[Key, Entry]]] = defaultdict(list)
    for key, entry in wanted:
        if key not in known:
            per_user[key[2]].append((key, entry))
            known.add(key)  # the same key twice in one run (cannot happen, but never send it twice)
    recorded = _deliver(per_user, users)
    _record(recorded, moment)
    open_items = db.session.scalar(select(func.count()).select_from(Item).where(Item.is_open.is_(True)))
    counts = {"items": open_items, "owed": len(candidates), "reminders": len(recorded),
              "messages": len(per_user)}
    decided = Counter(key[0] for key, _ in recorded)
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
        key: Key = ("weekly_digest", 0, user.id, week.isoformat())
        if key in _known_keys([key]):
            continue  # this week's digest was already decided
        if candidates is None:
            query = item_rows_query(shown_only=True).where(
                Item.flagged.is_(True) | (Item.deadline < local.date() + timedelta(days=1)))
            candidates = [item for item in open_item_rows(query.order_by(Item.due_key, Item.id), orgs)
                          if item.flagged or item.overdue]
            attach_owners(candidates)
        paths = [org.path for org in scope]
        inside = {org.id for org in orgs.values() if any(org.path.startswith(p) for p in paths)}
        items = [item for item in candidates if item.org_id in inside]
        if not items:
            _record([(key, None)], moment)
            continue  # decided: nothing to report this week, and an empty digest is never sent
        subject, body = digest_message(user, week, items, item_url_base())
        message = notify_user(user, "weekly_digest", subject, body)
        _record([(key, message.id if message is not None else None)], moment)
        counts["digests"] += 1
        counts["items"] += len(items)
    return counts


__all__ = ["run_reminders", "run_weekly_digest"]
