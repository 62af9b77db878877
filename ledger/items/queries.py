"""The ledger list: filters, sorting and keyset pagination on indexed columns."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.orm import aliased, defaultload, lazyload

from ledger.auth.models import User
from ledger.auth.scope import item_clauses, readable_org_ids
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemKind, ItemStatus
from ledger.core.errors import Invalid
from ledger.core.pagination import Page, decode_cursor, encode_cursor
from ledger.items import lights
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


def filter_subtree(actor: User | None, org_id: int) -> tuple[list[int], int]:
    """An organisation filter's subtree ids and the number of organisations, in one statement. One the
    actor may not list (``readable_org_ids``: an ancestor, a sibling) is an empty subtree, as a missing
    one is: the answer is the same, nothing, and tells neither which ids exist nor where the actor's
    organisation sits in the tree (issue 14, finding 11). ``actor`` None: the command line, everything."""
    readable = readable_org_ids(actor) if actor is not None else None
    if readable is not None and org_id not in readable:
        return [], 0
    return subtree_and_total(org_id)


def _subtree_clause(ids: list[int], organisations: int) -> ColumnElement | None:
    """The condition "in the subtree ``ids``", written for the access path that suits its size.

    The whole organisation tree: no condition (it holds every item). Otherwise the ids go as values,
    so the planner knows how much of the ledger the list keeps. SQLite costs an ``IN`` list of many
    ids as if each matched a few rows, picks the org index and sorts the whole subtree: for a wide
    subtree ``org_id + 0 IN (...)``, which no index serves, makes it walk ix_items_due in order and
    stop after the page. PostgreSQL estimates the list from its statistics and chooses well itself.
    """
    if not ids:
        return false()
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


def build_filters(actor: User, filters: dict) -> list:
    """SQL conditions for the list filters of SPEC §8 (all combined with the actor's scope)."""
    alternatives, conditions = _scope_and_filters(actor, filters)
    return [alternatives[0] if len(alternatives) == 1 else or_(*alternatives), *conditions]


def _scope_and_filters(actor: User, filters: dict) -> tuple[list[ColumnElement], list]:
    """The actor's scope as alternatives (``auth.scope.item_clauses``) and the filters' conditions."""
    ids, organisations = (filter_subtree(actor, filters["org_id"]) if filters.get("org_id") is not None
                           else ([], None))
    alternatives = item_clauses(actor)
    conditions = []
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
        # the text as typed: % and _ match themselves (LIKE … ESCAPE), not any run or any one character
        needle = filters["q"].strip()
        conditions.append(or_(*(column.icontains(needle, autoescape=True)
                                for column in (Item.title, Item.code, Item.description))))
    return alternatives, conditions


def _order(key, descending: bool) -> list:
    if key is Item.id:
        return [Item.id.desc() if descending else Item.id]
    return [key.desc(), Item.id.desc()] if descending else [key, Item.id]


def _page(base: Select, actor: User, filters: dict, limit: int, cursor: str | None, sort: str,
          entities: bool) -> Page:
    """``base`` (a select of Item, or of columns that include ``id`` and ``due_key``) restricted to the
    actor's scope and the filters, one page of ``limit`` rows in ``sort`` order after ``cursor``."""
    if sort not in SORTS:
        raise Invalid({"sort": "排序方式必须是：" + "、".join(SORTS)})
    key, descending = SORTS[sort]
    alternatives, conditions = _scope_and_filters(actor, filters)
    after = decode_cursor(cursor)
    if after:
        conditions.append(_after(key, descending, after))
    order = _order(key, descending)
    if len(alternatives) == 1:
        statement = base.where(alternatives[0], *conditions)
    else:
        statement = base.where(Item.id.in_(_page_ids(alternatives, conditions, order, key, limit + 1)))
    statement = statement.order_by(*order).limit(limit + 1)
    # Item entities come with joined owner/leader/org: unique() as the ORM requires; plain rows need none.
    rows = list(db.session.scalars(statement).unique() if entities else db.session.execute(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return Page(rows, None)
    last = rows[-1]
    values = [last.id] if key is Item.id else [last.due_key, last.id]
    return Page(rows, encode_cursor(values))


def _page_ids(alternatives: list[ColumnElement], conditions: list, order: list, key, size: int):
    """The ids that can make the page when the scope has several alternatives (a secretary's organisations,
    the items they own, the items they lead): the union of each alternative's first ``size`` rows.

    The page is the first ``size`` rows of the union of the alternatives, so it is within the union of each
    one's first ``size``: each is a short walk on its own index, not the OR that SQLite answers with a
    MULTI-INDEX OR and a sort of every matching item (county, busiest secretary: 4,020 rows sorted for a
    page of 51, bench/). In deadline order each alternative is walked once for open and once for closed
    items: the (org | owner | leader, is_open, due_key, id) indexes then give the order with no sort.
    """
    halves = [Item.is_open.is_(True), Item.is_open.is_(False)] if key is Item.due_key else [true()]
    arms = [select(Item.id).where(alternative, half, *conditions).order_by(*order).limit(size).subquery()
            for alternative in alternatives for half in halves]
    # "SELECT id FROM (arm)": naming the column as text spares building each subquery's column collection.
    return union(*(select(literal_column("id")).select_from(arm) for arm in arms))


def list_items(actor: User, filters: dict, limit: int, cursor: str | None, sort: str = "deadline") -> Page:
    """The page as Item objects (pages that read more than a list row shows: the home page, opinions)."""
    # Owners' and leaders' memberships load only if something reads them (not per list page: bench/);
    # nor do the items' opinions (no list page shows them; the API reads only their ids: opinion_ids_of).
    query = select(Item).options(
        defaultload(Item.owner).lazyload(User.memberships), defaultload(Item.leader).lazyload(User.memberships),
        lazyload(Item.opinions))
    return _page(query, actor, filters, limit, cursor, sort, entities=True)


class Named:
    """An organisation or owner on a list row: only its name (what ``item.org.name`` reads in a template)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class ListRow:
    """One ledger row read as plain columns, not an Item (loading entities was most of a list page's CPU,
    bench/): the columns asked for, ``org`` and ``owner`` with their names when asked, and the light and
    overdue days worked out once, as ``Item.light`` / ``Item.overdue_days`` would."""

    def __init__(self, values: dict, today: date) -> None:
        self.__dict__.update(values)
        self.light = lights.light(values["is_open"], values["deadline"], values["yellow_from"], today)
        self.overdue_days = lights.overdue_days(values["is_open"], values["deadline"], today)


_OWNER = aliased(User)
# Besides the caller's columns every row carries its keyset values and the inputs of its light.
_ROW_COLUMNS = ("id", "due_key", "is_open", "deadline", "yellow_from")


@functools.cache
def _row_select(columns: tuple[str, ...], names: bool) -> Select:
    """The select ``list_rows`` starts from, built once per shape (a select is immutable; building one of
    30 columns on every request cost more than running it)."""
    wanted = [getattr(Item, name) for name in dict.fromkeys(_ROW_COLUMNS + columns)]
    query = select(*wanted, Organisation.timezone.label("_timezone")).outerjoin(
        Organisation, Organisation.id == Item.org_id)
    if names:
        query = query.add_columns(
            Organisation.name.label("_org_name"), _OWNER.display_name.label("_owner_display"),
            _OWNER.username.label("_owner_username")).outerjoin(_OWNER, _OWNER.id == Item.owner_id)
    return query


def list_rows(actor: User, filters: dict, limit: int, cursor: str | None, sort: str = "deadline",
              columns: tuple[str, ...] = (), names: bool = False) -> Page:
    """The page of ``list_items`` as ``ListRow``s holding Item's ``columns`` (attribute names), and with
    ``names`` the organisation's and the owner's names: one statement, no ORM entities."""
    page = _page(_row_select(tuple(columns), names), actor, filters, limit, cursor, sort, entities=False)
    days: dict[str, date] = {}  # today, per organisation time zone (SPEC §3), once per page
    rows = []
    for row in page.rows:
        values = row._asdict()
        zone = values.pop("_timezone") or current_app.config["LEDGER_TIMEZONE"]
        today = days.get(zone) or days.setdefault(zone, clock.today(zone))
        if names:
            display, username = values.pop("_owner_display"), values.pop("_owner_username")
            values["org"] = Named(values.pop("_org_name"))
            values["owner"] = Named(display or username) if username is not None else None
        rows.append(ListRow(values, today))
    return Page(rows, page.next_cursor)


@functools.cache
def _opinion_ids_statement() -> Select:
    """Built once, on the table (no ORM entity to load): the (item_id, opinion id) pairs of some items."""
    from ledger.opinions.models import Opinion

    opinions = Opinion.__table__
    return (select(opinions.c.item_id, opinions.c.id)
            .where(opinions.c.item_id.in_(bindparam("item_ids", expanding=True))).order_by(opinions.c.id))


def opinion_ids_of(item_ids: list[int]) -> dict[int, list[int]]:
    """The ids of the opinions merged into each item (by id, as Item.opinion_ids orders them), in one statement."""
    ids: dict[int, list[int]] = {item_id: [] for item_id in item_ids}
    if ids:
        for item_id, opinion_id in db.session.execute(_opinion_ids_statement(), {"item_ids": list(ids)}):
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
