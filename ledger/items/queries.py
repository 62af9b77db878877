"""The ledger list: filters, sorting and keyset pagination on indexed columns."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, true, tuple_
from sqlalchemy.orm import defaultload, lazyload

from ledger.auth.models import User
from ledger.auth.scope import item_clause, scope_of
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemKind, ItemStatus
from ledger.core.errors import Invalid
from ledger.core.pagination import Page, decode_cursor, encode_cursor
from ledger.items.models import NO_DEADLINE, Event, Item
from ledger.orgs.models import Organisation
from ledger.orgs.services import subtree_and_total

SORTS = {"deadline": (Item.due_key, False), "-deadline": (Item.due_key, True),
         "created": (Item.id, False), "-created": (Item.id, True)}
LIGHTS = ("red", "yellow", "green", "none")


# On SQLite a subtree holding at least this many items is "wide": walking ix_items_due in deadline
# order and stopping after the page finds it sooner than reading the whole subtree by an org index
# and sorting it. The walk reads about page / (share of the ledger × share the filter keeps) rows and,
# for a rare filter, up to the whole ledger; the org index reads the subtree, a bounded cost. County
# data set (bench/): a level-2 branch (13,000 items) walks, status=closed 27 -> 2 ms; the busiest
# single organisation (2,000 items) and a level-3 branch (3,500) keep the org index (flagged=true
# 8-18 ms there, 75-105 ms walking; kind=long_term 8-13 ms, 170-220 ms walking).
WIDE_SUBTREE_ITEMS = 5000


def _subtree(org_id: int) -> tuple[list[int], int]:
    """The subtree's organisation ids and the number of organisations, in one statement."""
    ids, organisations = subtree_and_total(org_id)
    if not ids:
        raise Invalid({"org_id": "组织不存在"})
    return ids, organisations


def _subtree_clause(ids: list[int], organisations: int) -> ColumnElement | None:
    """The condition "in the subtree ``ids``", written for the access path that suits its size.

    The whole organisation tree: no condition (it holds every item). Otherwise the ids go as values,
    so the planner knows how much of the ledger the list keeps. SQLite costs an ``IN`` list of many
    ids as if each matched a few rows, picks the org index and sorts the whole subtree: for a wide
    subtree ``org_id + 0 IN (...)``, which no index serves, makes it walk ix_items_due in order and
    stop after the page. PostgreSQL estimates the list from its statistics and chooses well itself.
    """
    if len(ids) == organisations:
        return None
    if db.session.get_bind().dialect.name == "sqlite":
        sample = select(literal(1)).where(Item.org_id.in_(ids)).limit(WIDE_SUBTREE_ITEMS).subquery()
        if db.session.scalar(select(func.count()).select_from(sample)) >= WIDE_SUBTREE_ITEMS:
            return (Item.org_id + 0).in_(ids)
    return Item.org_id.in_(ids)


def _light_clause(light: str, today: date):
    # Written on due_key (= the deadline, or NO_DEADLINE without one, as the overdue filter relies on):
    # the range lets ix_items_open_due start at today instead of skipping every overdue open item
    # first (yellow / green: 300 ms of raw SQL on the county data set), and PostgreSQL estimates it.
    open_with_deadline = and_(Item.is_open.is_(True), Item.due_key < NO_DEADLINE)
    if light == "red":
        return and_(Item.is_open.is_(True), Item.due_key < today)
    if light == "yellow":
        return and_(open_with_deadline, Item.due_key >= today, Item.yellow_from <= today)
    if light == "green":
        return and_(open_with_deadline, Item.due_key >= today,
                    or_(Item.yellow_from.is_(None), Item.yellow_from > today))
    return or_(Item.is_open.is_(False), Item.deadline.is_(None))  # on no index: no MULTI-INDEX OR and sort


def _on_local_day(condition_for: Callable[[date], ColumnElement]) -> ColumnElement:
    """``condition_for(today)`` with each organisation's own today (SPEC §3: deadlines are dates in the
    organisation's time zone); one plain condition when every organisation shares one zone."""
    zones = sorted(set(db.session.scalars(select(Organisation.timezone).distinct())))
    if len(zones) <= 1:
        return condition_for(clock.today(zones[0] if zones else current_app.config["LEDGER_TIMEZONE"]))
    return or_(*(and_(Item.org_id.in_(select(Organisation.id).where(Organisation.timezone == zone)),
                      condition_for(clock.today(zone))) for zone in zones))


def _scope_clause(actor: User, organisations: int | None) -> ColumnElement:
    """``item_clause``, but nothing for a supervisor whose subtrees hold every organisation: every item
    belongs to one, and an OR over all of them only misleads the planner (SQLite, a small tree: a
    MULTI-INDEX OR and a sort of the ledger instead of walking ix_items_due)."""
    scope = scope_of(actor)
    if scope.supervised:
        if organisations is None:
            organisations = db.session.scalar(select(func.count(Organisation.id)))
        if len(scope.managed) == organisations:
            return true()
    return item_clause(actor)


def build_filters(actor: User, filters: dict) -> list:
    """SQL conditions for the list filters of SPEC §8 (all combined with the actor's scope)."""
    ids, organisations = _subtree(filters["org_id"]) if filters.get("org_id") is not None else ([], None)
    conditions = [_scope_clause(actor, organisations)]
    if organisations is not None:
        subtree = _subtree_clause(ids, organisations)
        if subtree is not None:
            conditions.append(subtree)
    statuses = filters.get("status")
    if statuses:
        bad = [s for s in statuses if s not in ItemStatus.values()]
        if bad:
            raise Invalid({"status": f"未知状态：{', '.join(bad)}"})
        conditions.append(Item.status.in_(statuses))
    if filters.get("owner_id") is not None:
        conditions.append(Item.owner_id == filters["owner_id"])
    if filters.get("overdue") is not None:
        overdue = _on_local_day(lambda today: and_(Item.is_open.is_(True), Item.due_key < today))
        conditions.append(overdue if filters["overdue"] else ~overdue)
    if filters.get("flagged") is not None:
        conditions.append(Item.flagged.is_(bool(filters["flagged"])))
    if filters.get("light"):
        if filters["light"] not in LIGHTS:
            raise Invalid({"light": "必须是 red、yellow、green 或 none"})
        conditions.append(_on_local_day(lambda today: _light_clause(filters["light"], today)))
    if filters.get("kind"):
        if filters["kind"] not in ItemKind.values():
            raise Invalid({"kind": "事项类型无效"})
        conditions.append(Item.kind == filters["kind"])
    if filters.get("category"):
        conditions.append(Item.category == filters["category"])
    if filters.get("due_before"):
        conditions.append(Item.due_key <= filters["due_before"])
    if filters.get("figure"):  # a dashboard figure's item set (with from, to, month, org_only): ledger.stats
        from ledger.stats.figures import item_filter

        conditions.append(item_filter(actor, filters))
    if filters.get("q"):
        needle = f"%{filters['q'].strip()}%"
        conditions.append(or_(Item.title.ilike(needle), Item.code.ilike(needle), Item.description.ilike(needle)))
    return conditions


def list_items(actor: User, filters: dict, limit: int, cursor: str | None, sort: str = "deadline") -> Page:
    if sort not in SORTS:
        raise Invalid({"sort": "排序方式必须是：" + "、".join(SORTS)})
    key, descending = SORTS[sort]
    # Owners' and leaders' memberships load only if something reads them (not per list page: bench/);
    # nor do the items' opinions (no list page shows them; the API reads only their ids: opinion_ids_of).
    query = select(Item).where(*build_filters(actor, filters)).options(
        defaultload(Item.owner).lazyload(User.memberships), defaultload(Item.leader).lazyload(User.memberships),
        lazyload(Item.opinions))
    after = decode_cursor(cursor)
    if after:
        query = query.where(_after(key, descending, after))
    if key is Item.id:
        order = [Item.id.desc() if descending else Item.id]
    else:
        order = [key.desc(), Item.id.desc()] if descending else [key, Item.id]
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return Page(rows, None)
    last = rows[-1]
    values = [last.id] if key is Item.id else [last.due_key, last.id]
    return Page(rows, encode_cursor(values))


def opinion_ids_of(items: list[Item]) -> dict[int, list[int]]:
    """The ids of the opinions merged into each item (by id, as Item.opinion_ids orders them), in one statement."""
    from ledger.opinions.models import Opinion

    ids: dict[int, list[int]] = {item.id: [] for item in items}
    if ids:
        pairs = db.session.execute(select(Opinion.item_id, Opinion.id)
                                   .where(Opinion.item_id.in_(list(ids))).order_by(Opinion.id))
        for item_id, opinion_id in pairs:
            ids[item_id].append(opinion_id)
    return ids


def _after(key, descending: bool, values: list):
    try:
        if key is Item.id:
            last_id = int(values[0])
            return Item.id < last_id if descending else Item.id > last_id
        last_due, last_id = date.fromisoformat(values[0]), int(values[1])
    except (ValueError, TypeError, IndexError):
        raise Invalid({"cursor": "游标无效"}) from None
    pair, bound = tuple_(Item.due_key, Item.id), tuple_(last_due, last_id)
    return pair < bound if descending else pair > bound


def events_query(item_id: int) -> Select:
    return select(Event).where(Event.item_id == item_id)


def due_within(days: int) -> date:
    return clock.today(current_app.config["LEDGER_TIMEZONE"]) + timedelta(days=days)
