"""The reminder jobs: decide what is owed, record each reminder under its unique key, and write one
message per person to the outbox and the in-app notifications — all in the caller's transaction.

A key another run (or another process) already recorded is skipped by the database itself
(INSERT … ON CONFLICT DO NOTHING), so a reminder is never sent twice, and nothing is recorded
unless its message is written in the same transaction, so none is lost to a crash.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ledger.auth.models import Membership, User
from ledger.auth.scope import secretaries_of, supervisors_over
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemKind, Role
from ledger.items.models import Event, Item
from ledger.orgs.models import Organisation
from ledger.outbox.services import notify_user
from ledger.reminders import rules as R
from ledger.reminders.compose import Entry, digest_message, reminder_message
from ledger.reminders.models import Reminder
from ledger.reminders.settings import RulesCache

log = logging.getLogger(__name__)
CHUNK = 500


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _stamp(moment: datetime | None) -> str:
    return clock.as_utc(moment).strftime("%Y%m%dT%H%M%SZ") if moment else "-"


def _facts(item: Item, tz: str, last_progress: dict[int, datetime]) -> R.ItemFacts:
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

    def users(self, roles: list[str], item: Item, kind: str) -> list[User]:
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


def record_keys(rows: list[dict]) -> set[tuple[str, int, int, str]]:
    """Insert reminder rows; the database skips keys already present. Returns the keys this call inserted.

    Rows are inserted in key order so two concurrent runs wait on each other instead of deadlocking.
    """
    if not rows:
        return set()
    rows = sorted(rows, key=lambda r: (r["kind"], r["item_key"], r["user_id"], r["period"]))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    inserted: set[tuple[str, int, int, str]] = set()
    for start in range(0, len(rows), CHUNK):
        statement = (dialect.insert(Reminder).values(rows[start:start + CHUNK])
                     .on_conflict_do_nothing(index_elements=["kind", "item_key", "user_id", "period"])
                     .returning(Reminder.kind, Reminder.item_key, Reminder.user_id, Reminder.period))
        inserted.update(tuple(row) for row in db.session.execute(statement))
    return inserted


def _deliver(per_user: dict[int, list[tuple[tuple, Entry]]], users: dict[int, User]) -> int:
    """One message (and notification) per person listing all of their newly recorded reminders."""
    messages = 0
    for user_id, pairs in per_user.items():
        user = users[user_id]
        subject, body, kind, item_id = reminder_message(user, [entry for _, entry in pairs])
        message = notify_user(user, kind, subject, body, item_id)
        messages += 1
        if message is not None:
            for kind_, item_key, uid, period in (key for key, _ in pairs):
                db.session.execute(update(Reminder).where(
                    Reminder.kind == kind_, Reminder.item_key == item_key, Reminder.user_id == uid,
                    Reminder.period == period).values(message_id=message.id))
    return messages


def run_reminders() -> dict[str, int]:
    """Decide every item reminder owed at ``clock.now()``; write them in the current transaction."""
    moment = clock.now()
    rules_cache, audience = RulesCache(), Audience()
    items = list(db.session.scalars(select(Item).where(Item.is_open.is_(True)).order_by(Item.id)).unique())
    long_term = [i.id for i in items if i.kind == ItemKind.long_term.value]
    last_progress = _last_progress(long_term)
    candidates: list[tuple[tuple, Entry, User]] = []
    for item in items:
        org = item.org
        rules = rules_cache.for_org(org)
        for due in R.reminders_due(_facts(item, org.timezone, last_progress), rules, clock.today(org.timezone)):
            for user in audience.users(rules.recipients.get(due.kind, []), item, due.kind):
                key = (due.kind, item.id, user.id, due.period)
                candidates.append((key, Entry(due.kind, item, due.days, bool(due.extra.get("flagged"))), user))
    users = {user.id: user for _, _, user in candidates}
    digest_open = _digest_gate(users, moment)
    wanted = [(key, entry) for key, entry, user in candidates if _wanted(user, key[0], digest_open)]
    inserted = record_keys([{"kind": k[0], "item_key": k[1], "item_id": k[1], "user_id": k[2], "period": k[3],
                             "created_at": moment, "decided_for": moment} for k, _ in wanted])
    per_user: dict[int, list] = defaultdict(list)
    for key, entry in wanted:
        if key in inserted:
            per_user[key[2]].append((key, entry))
            inserted.discard(key)  # the same key twice in one run (cannot happen, but never send it twice)
    messages = _deliver(per_user, users)
    counts = {"items": len(items), "owed": len(candidates), "reminders": sum(len(p) for p in per_user.values()),
              "messages": messages}
    for kind in R.KINDS:
        counts[kind] = sum(1 for pairs in per_user.values() for key, _ in pairs if key[0] == kind)
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
    candidates = list(db.session.scalars(select(Item).where(
        Item.is_open.is_(True), (Item.flagged.is_(True)) | (Item.deadline < local.date() + timedelta(days=1)))
        .order_by(Item.due_key, Item.id)).unique())
    candidates = [item for item in candidates if item.flagged or item.overdue]
    for user_id, orgs in sorted(_supervisor_scopes().items()):
        user = db.session.get(User, user_id)
        if user is None or not user.active or user.reminders_opt_out:
            continue
        counts["supervisors"] += 1
        paths = [org.path for org in orgs]
        items = [item for item in candidates if any(item.org.path.startswith(p) for p in paths)]
        key = ("weekly_digest", 0, user.id, week.isoformat())
        row = {"kind": key[0], "item_key": 0, "item_id": None, "user_id": user.id, "period": key[3],
               "created_at": moment, "decided_for": moment}
        if not record_keys([row]):
            continue  # this week's digest was already decided
        if not items:
            continue  # decided: nothing to report this week, and an empty digest is never sent
        subject, body = digest_message(user, week, items)
        message = notify_user(user, "weekly_digest", subject, body)
        if message is not None:
            db.session.execute(update(Reminder).where(Reminder.kind == key[0], Reminder.item_key == 0,
                                                      Reminder.user_id == user.id, Reminder.period == key[3])
                               .values(message_id=message.id))
        counts["digests"] += 1
        counts["items"] += len(items)
    return counts


__all__ = ["run_reminders", "run_weekly_digest", "record_keys"]
