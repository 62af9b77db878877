"""The content of each kind of notice, built from the ledger as plain JSON-ready data.

A draft shows a fresh build; publication freezes one in ``Notice.content`` and nothing rebuilds it.
Only what the public may see goes in: submitters appear masked, anonymous ones as 匿名.
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, case, func, or_, select

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import Channel, ItemKind, ItemStatus, OpinionStatus, ReviewMethod
from ledger.items.models import Item, Urge
from ledger.notices.masking import clean_text, public_submitter
from ledger.opinions.models import Opinion
from ledger.orgs.models import Organisation
from ledger.reviews.models import Review

STATUSES = [s.value for s in ItemStatus]


def _rate(part: int, whole: int) -> str | None:
    """A percentage with two decimals, as text (exact in JSON); None when there is nothing to divide."""
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _subtree(org: Organisation) -> list[Row]:
    """(id, name) of the organisation and everything under it, in tree order (columns: a scheduled run
    asks this of every organisation, and entities would each bring their settings along)."""
    return list(db.session.execute(select(Organisation.id, Organisation.name)
                                   .where(Organisation.path.like(f"{org.path}%")).order_by(Organisation.path)))


def _bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    return (datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone))


def _local_day(moment: datetime | None, tz: str) -> str | None:
    return clock.as_utc(moment).astimezone(ZoneInfo(tz)).date().isoformat() if moment else None


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name, User.username).where(User.id.in_(user_ids)))
    return {uid: clean_text(display or username) for uid, display, username in rows}


def _item_row(item: Item | Row, orgs: dict[int, str], names: dict[int, str], as_of: date) -> dict:
    overdue = (as_of - item.deadline).days if item.is_open and item.deadline and as_of > item.deadline else 0
    return {"id": item.id, "code": item.code, "title": clean_text(item.title), "org_name": orgs.get(item.org_id, ""),
            "category": clean_text(item.category or ""), "kind": ItemKind(item.kind).title,
            "owner": names.get(item.owner_id, ""), "leader": names.get(item.leader_id, ""),
            "deadline": item.deadline.isoformat() if item.deadline else None,
            "original_deadline": item.original_deadline.isoformat() if item.original_deadline else None,
            "status": item.status, "status_title": ItemStatus(item.status).title, "flagged": bool(item.flagged),
            "overdue_days": overdue, "progress_percent": item.progress_percent or 0, "round": item.round,
            "measures": clean_text(item.measures)}


# The columns a notice's item row shows (``_item_row``): rows, not ``Item`` entities, so a wide subtree
# never loads each item's organisation, people and opinions.
ROW_COLUMNS = (Item.id, Item.code, Item.title, Item.org_id, Item.category, Item.kind, Item.owner_id, Item.leader_id,
               Item.deadline, Item.original_deadline, Item.status, Item.is_open, Item.flagged,
               Item.progress_percent, Item.round, Item.measures)


def _progress_counts(org_ids: list[int] | None, as_of: date, low: datetime, high: datetime) -> list[tuple]:
    """(org_id, status, items, first item id, due, overdue, closed in period, new in period) per organisation
    and status (of every organisation when ``org_ids`` is None), counted by the database, not item by item."""
    def count(*condition) -> object:
        return func.sum(case((and_(*condition), 1), else_=0))

    closed = Item.status == ItemStatus.closed.value
    dated = Item.deadline.is_not(None)
    query = select(
        Item.org_id, Item.status, func.count(), func.min(Item.id),
        count(or_(closed, and_(dated, Item.deadline <= as_of))),
        count(Item.is_open.is_(True), dated, Item.deadline < as_of),
        count(closed, Item.closed_at >= low, Item.closed_at < high),
        count(Item.created_at >= low, Item.created_at < high),
    ).group_by(Item.org_id, Item.status)
    return list(db.session.execute(query if org_ids is None else query.where(Item.org_id.in_(org_ids))))


def _progress_facts(org_names: dict[int, str] | None, as_of: date, low: datetime,
                    high: datetime) -> tuple[dict[int, list[tuple]], dict[int, list[dict]]]:
    """Per organisation (those of ``org_names``, or all when None): its count groups and its overdue item rows."""
    everyone = org_names is None
    if everyone:
        org_names = {o.id: clean_text(o.name) for o in db.session.scalars(select(Organisation))}
    in_scope = [] if everyone else [Item.org_id.in_(list(org_names))]
    groups: dict[int, list[tuple]] = {}
    for row in _progress_counts(None if everyone else list(org_names), as_of, low, high):
        groups.setdefault(row[0], []).append(tuple(row))
    late = list(db.session.execute(select(*ROW_COLUMNS).where(
        *in_scope, Item.is_open.is_(True), Item.deadline < as_of)))
    names = _names({i.owner_id for i in late if i.owner_id} | {i.leader_id for i in late if i.leader_id})
    overdue: dict[int, list[dict]] = {}
    for item in late:
        overdue.setdefault(item.org_id, []).append(_item_row(item, org_names, names, as_of))
    return groups, overdue


# Set by a job that drafts many progress notices at one moment (notices.jobs): the ledger's counts and
# overdue rows are read once for every organisation and each notice takes its subtree's share, instead
# of every ancestor reading its whole subtree again. Nothing writes items meanwhile.
_shared: contextvars.ContextVar[dict | None] = contextvars.ContextVar("notice_progress_facts", default=None)


@contextmanager
def shared_progress_facts() -> Iterator[None]:
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def build_progress(org: Organisation, start: date, end: date, as_of: date) -> dict:
    """整改进展通报: counts by status per organisation (ranked), the overdue list, this period's movement."""
    orgs = _subtree(org)
    org_names = {o.id: clean_text(o.name) for o in orgs}
    low, high = _bounds(start, end, org.timezone)
    cache = _shared.get()
    if cache is None:
        groups, late = _progress_facts(org_names, as_of, low, high)
    else:
        if (as_of, low, high) not in cache:
            cache[(as_of, low, high)] = _progress_facts(None, as_of, low, high)
        groups, late = cache[(as_of, low, high)]
    mine = [group for org_id in org_names for group in groups.get(org_id, [])]
    first_item = {}
    for org_id, _, _, first, *_ in mine:
        first_item[org_id] = min(first, first_item.get(org_id, first))
    # one row per organisation with items, in the order of its first item (ties in the ranking keep it)
    rows: dict[int, dict] = {org_id: {"org_id": org_id, "org_name": org_names[org_id], **{s: 0 for s in STATUSES},
                                      "total": 0, "overdue": 0, "due": 0, "closed_in_period": 0, "new_in_period": 0}
                             for org_id in sorted(first_item, key=first_item.get)}
    for org_id, status, n, _, due, overdue, closed_in_period, new_in_period in mine:
        row = rows[org_id]
        row[status] += n
        if status == ItemStatus.cancelled.value:
            continue  # never counted as rectified, nor in the totals
        row["total"] += n
        row["due"] += due
        row["overdue"] += overdue
        row["closed_in_period"] += closed_in_period
        row["new_in_period"] += new_in_period
    ranked = sorted(rows.values(), key=lambda r: (-(float(_rate(r["closed"], r["due"]) or -1)), r["overdue"],
                                                  -r["total"], r["org_name"]))
    previous = None
    for position, row in enumerate(ranked, start=1):
        row["completion_rate"] = _rate(row["closed"], row["due"])
        key = (row["completion_rate"], row["overdue"])
        row["rank"] = previous[1] if previous and previous[0] == key else position
        previous = (key, row["rank"])
    totals = {s: sum(r[s] for r in ranked) for s in [*STATUSES, "total", "overdue", "due", "closed_in_period",
                                                     "new_in_period"]}
    totals["completion_rate"] = _rate(totals["closed"], totals["due"])
    overdue = [row for org_id in org_names for row in late.get(org_id, [])]
    overdue.sort(key=lambda r: (-r["overdue_days"], r["code"]))
    return {"totals": totals, "by_org": ranked, "overdue": overdue}


def build_closure(org: Organisation, start: date, end: date, as_of: date) -> dict:
    """销号公示: the organisation's items closed in the period, with where each problem came from."""
    low, high = _bounds(start, end, org.timezone)
    items = list(db.session.execute(select(*ROW_COLUMNS, Item.completion_note, Item.closed_at).where(
        Item.org_id == org.id, Item.status == ItemStatus.closed.value, Item.closed_at >= low, Item.closed_at < high)
        .order_by(Item.closed_at, Item.id)))
    names = _names({i.owner_id for i in items if i.owner_id} | {i.leader_id for i in items if i.leader_id})
    sources: dict[int, list[dict]] = {}
    for start_at in range(0, len(items), 500):  # each item's opinions, in id order, read by column
        for o in db.session.execute(select(
                Opinion.item_id, Opinion.channel, Opinion.received_on, Opinion.anonymous, Opinion.submitter_name,
                Opinion.submitter_contact).where(Opinion.item_id.in_([i.id for i in items[start_at:start_at + 500]]))
                .order_by(Opinion.id)):
            sources.setdefault(o.item_id, []).append({
                "channel": Channel(o.channel).title, "received_on": o.received_on.isoformat(),
                "submitter": public_submitter(o)})
    org_names = {org.id: clean_text(org.name)}
    rows = []
    for item in items:
        row = _item_row(item, org_names, names, as_of)
        row["completion_note"] = clean_text(item.completion_note or "")
        row["closed_on"] = _local_day(item.closed_at, org.timezone)
        row["sources"] = sources.get(item.id, [])
        rows.append(row)
    return {"items": rows, "count": len(rows), "first_round": sum(1 for r in rows if r["round"] == 1),
            "reopened": sum(1 for r in rows if r["round"] > 1)}


def _ratings(review_ids: list[int]) -> dict[int, list[dict]]:
    """Satisfaction tallies per review, when the evaluation feature is installed (SPEC §6)."""
    try:
        from ledger.evaluation.models import Rating
        from ledger.evaluation.services import rate_of
    except ImportError:
        return {}
    out: dict[int, list[dict]] = {}
    for rating in db.session.scalars(select(Rating).where(Rating.review_id.in_(review_ids)).order_by(Rating.id)):
        satisfied, basic, unsatisfied = rating.satisfied, rating.basically_satisfied, rating.unsatisfied
        valid = satisfied + basic + unsatisfied
        out.setdefault(rating.review_id, []).append({
            "target_type": rating.target_type, "target": _target_name(rating.target_type, rating.target_id),
            "satisfied": satisfied, "basically_satisfied": basic, "unsatisfied": unsatisfied, "valid": valid,
            "satisfied_share": _rate(satisfied, valid), "basically_satisfied_share": _rate(basic, valid),
            "unsatisfied_share": _rate(unsatisfied, valid),
            "satisfaction_rate": None if rate_of(rating) is None else str(rate_of(rating))})
    return out


def _target_name(target_type: str, target_id: int) -> str:
    model = {"org": Organisation, "user": User, "item": Item}.get(target_type)
    target = db.session.get(model, target_id) if model else None
    if target is None:
        return ""
    if target_type == "item":
        return clean_text(f"{target.code} {target.title}")
    return clean_text(getattr(target, "display_name", None) or getattr(target, "name", ""))


def build_review(org: Organisation, start: date, end: date, as_of: date) -> dict:
    """评议结果公示: the reviews held in the period, their forms, what became of the opinions, satisfaction."""
    org_ids = [o.id for o in _subtree(org)]
    reviews = list(db.session.scalars(select(Review).where(
        Review.org_id.in_(org_ids), Review.held_on >= start, Review.held_on <= end)
        .order_by(Review.held_on, Review.id)))
    ids = [r.id for r in reviews]
    counts: dict[int, dict[str, int]] = {}
    if ids:
        for review_id, status, n in db.session.execute(select(Opinion.review_id, Opinion.status, func.count())
                                                        .where(Opinion.review_id.in_(ids))
                                                        .group_by(Opinion.review_id, Opinion.status)):
            counts.setdefault(review_id, {})[status] = n
    ratings = _ratings(ids) if ids else {}
    rows = []
    for review in reviews:
        by_status = {s.value: counts.get(review.id, {}).get(s.value, 0) for s in OpinionStatus}
        rows.append({"id": review.id, "title": clean_text(review.title), "held_on": review.held_on.isoformat(),
                     "method": ReviewMethod(review.method).title, "forms_issued": review.forms_issued,
                     "forms_returned": review.forms_returned, "forms_valid": review.forms_valid,
                     "return_rate": _rate(review.forms_returned, review.forms_issued),
                     "opinions": {**by_status, "total": sum(by_status.values())},
                     "ratings": ratings.get(review.id, [])})
    total = {s.value: sum(r["opinions"][s.value] for r in rows) for s in OpinionStatus}
    total["total"] = sum(total.values())
    return {"reviews": rows, "opinions": total, "count": len(rows)}


def build_overdue(org: Organisation, start: date, end: date, as_of: date) -> dict:
    """超期督办通报: every overdue item in the subtree, longest overdue first, with urges and flags."""
    orgs = _subtree(org)
    org_names = {o.id: clean_text(o.name) for o in orgs}
    items = [i for i in db.session.scalars(select(Item).where(
        Item.org_id.in_(list(org_names)), Item.is_open.is_(True), Item.deadline < as_of)).unique()]
    names = _names({i.owner_id for i in items if i.owner_id} | {i.leader_id for i in items if i.leader_id})
    urges = dict(db.session.execute(select(Urge.item_id, func.count()).where(
        Urge.item_id.in_([i.id for i in items])).group_by(Urge.item_id)).all()) if items else {}
    rows = []
    for item in items:
        row = _item_row(item, org_names, names, as_of)
        row["urges"] = urges.get(item.id, 0)
        rows.append(row)
    rows.sort(key=lambda r: (-r["overdue_days"], r["code"]))
    per_org: dict[str, dict] = {}
    for row in rows:
        entry = per_org.setdefault(row["org_name"], {"org_name": row["org_name"], "overdue": 0, "flagged": 0})
        entry["overdue"] += 1
        entry["flagged"] += int(row["flagged"])
    by_org = sorted(per_org.values(), key=lambda r: (-r["overdue"], r["org_name"]))
    return {"items": rows, "count": len(rows), "flagged": sum(int(r["flagged"]) for r in rows), "by_org": by_org}


BUILDERS: dict[str, Callable[[Organisation, date, date, date], dict]] = {
    "progress": build_progress, "closure": build_closure, "review": build_review, "overdue": build_overdue}


def build(kind: str, org: Organisation, start: date, end: date) -> dict:
    """The content of a ``kind`` notice for ``org`` and the period, as of today in the organisation's zone."""
    as_of = clock.today(org.timezone)
    data = BUILDERS[kind](org, start, end, as_of)
    return {"kind": kind, "org": {"id": org.id, "name": clean_text(org.name)}, "period_start": start.isoformat(),
            "period_end": end.isoformat(), "as_of": as_of.isoformat(), "built_at": clock.now().isoformat(), **data}
