"""The few columns of an item, and of a person, the reminder jobs read, as plain rows.

Loading ``Item`` entities would also load each one's organisation, owner and leader (joined) and every
opinion (selectin): at county scale that is 100,000 items and a million opinions held in one session.
A job reads the columns below instead; the organisation and the owner are shared objects looked up once.
People are read as ``Person`` rows too: a ``User`` entity also loads its memberships (selectin).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, null, select

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.db import db
from ledger.items import lights
from ledger.items.models import Item
from ledger.orgs.models import Organisation

COLUMNS = (Item.id, Item.code, Item.title, Item.org_id, Item.owner_id, Item.status, Item.kind, Item.deadline,
           Item.flagged, Item.assigned_at, Item.created_at, Item.submitted_at)
CHUNK = 500


@dataclass(slots=True, frozen=True)
class Person:
    """A user as the reminder jobs need them: who, where to write, and how they want reminders."""

    id: int
    username: str
    display_name: str
    email: str | None
    active: bool
    reminders_opt_out: bool
    reminder_delivery: str

    @property
    def name(self) -> str:  # as User.name
        return self.display_name or self.username


PERSON_COLUMNS = (User.id, User.username, User.display_name, User.email, User.active, User.reminders_opt_out,
                  User.reminder_delivery)


@dataclass(slots=True)
class ItemRow:
    """An open item as the reminder messages show it (the attributes of ``Item`` that compose.py reads)."""

    id: int
    code: str
    title: str
    org_id: int
    owner_id: int | None
    status: str
    kind: str
    deadline: date | None
    flagged: bool
    assigned_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None
    org: Organisation | None = None
    owner: Person | None = None
    today: date | None = None  # in the organisation's time zone (the clock is frozen for a job run)
    overdue_days: int = 0  # as of ``today``: set once, read by every message that lists the item

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def open_item_rows(query: Select, orgs: dict[int, Organisation]) -> Iterator[ItemRow]:
    """Rows of ``query`` (a select of COLUMNS over open items), streamed, each with its organisation."""
    today = {tz: clock.today(tz) for tz in {org.timezone for org in orgs.values()}}
    for values in db.session.execute(query.execution_options(yield_per=2000)):
        row = ItemRow(*values)
        row.org = orgs[row.org_id]
        row.today = today[row.org.timezone]
        row.overdue_days = lights.overdue_days(True, row.deadline, row.today)
        yield row


# What a message shows of an item: the moments the rules read (assigned, created, submitted) left out.
SHOWN_COLUMNS = tuple(null().label(c.key) if c.key in ("assigned_at", "created_at", "submitted_at") else c
                      for c in COLUMNS)


def item_rows_query(shown_only: bool = False) -> Select:
    """Open items as ItemRow columns; ``shown_only``: without the moments only the rules need."""
    return select(*(SHOWN_COLUMNS if shown_only else COLUMNS)).where(Item.is_open.is_(True))


def all_orgs() -> dict[int, Organisation]:
    return {org.id: org for org in db.session.scalars(select(Organisation))}


def people_by_id(user_ids: Iterable[int]) -> dict[int, Person]:
    """People in chunks of ids (one query per CHUNK, not one per user)."""
    ids = sorted(set(user_ids))
    found: dict[int, Person] = {}
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(select(*PERSON_COLUMNS).where(User.id.in_(ids[start:start + CHUNK])))
        found.update((row.id, Person(*row)) for row in rows)
    return found


def attach_owners(rows: list[ItemRow]) -> dict[int, Person]:
    """Set each row's owner; returns the people read."""
    owners = people_by_id(r.owner_id for r in rows if r.owner_id is not None)
    for row in rows:
        row.owner = owners.get(row.owner_id) if row.owner_id is not None else None
    return owners
