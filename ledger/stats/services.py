"""Figures of SPEC §7 for an organisation's subtree and a period, computed by the database.

One aggregate query counts every item figure (``SUM(CASE WHEN <figure> …)``), grouped by the
organisation rows of the ranking; urges, ratings and opinions get one grouped query each. Nothing
loads items into Python. Formulas: docs/figures.md.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import Select, and_, case, false, func, select
from sqlalchemy.sql.elements import ColumnElement

from ledger.auth.models import User
from ledger.auth.scope import require_org, scope_of
from ledger.core.db import db
from ledger.core.enums import ItemStatus
from ledger.evaluation import rates, settings
from ledger.evaluation.models import Rating
from ledger.items.models import Item, Urge
from ledger.opinions.models import Opinion
from ledger.orgs.models import Organisation
from ledger.reviews.models import Review
from ledger.stats import figures as fig
from ledger.stats.figures import Period

STATUSES = ItemStatus.values()


def _buckets(actor: User, org_id: int | None) -> tuple[Organisation | None, list[tuple[Organisation, bool]]]:
    """The organisation asked for, and the ranking rows: (organisation, its own items only?)."""
    if org_id is not None:
        org = require_org(actor, org_id, roles=("secretary", "supervisor", "admin"))
        children = list(db.session.scalars(select(Organisation).where(Organisation.parent_id == org.id)
                                           .order_by(Organisation.id)))
        return org, [(org, True)] + [(child, False) for child in children]
    scope = scope_of(actor)
    query = select(Organisation).order_by(Organisation.path)
    if not scope.is_admin:
        query = query.where(Organisation.id.in_(sorted(scope.managed) or [-1]))
    orgs = list(db.session.scalars(query))
    ids = {o.id for o in orgs}
    tops = [o for o in orgs if not (set(o.ancestor_ids()[:-1]) & ids)]
    if len(tops) == 1:  # one organisation at the top of the scope: rank its children
        return _buckets(actor, tops[0].id)
    return None, [(o, False) for o in tops]


class Selection:
    """The organisations counted (the subtree asked for, within the actor's scope), each mapped to its
    ranking row. The database groups by ``org_id``; rows are folded here (a few hundred groups at most)."""

    def __init__(self, actor: User, org: Organisation | None, rows: list[tuple[Organisation, bool]]):
        query = select(Organisation.id, Organisation.path)
        if org is not None:
            query = query.where(Organisation.path.like(f"{org.path}%"))
        allowed = fig.scope_org_ids(actor)
        self.bucket_of: dict[int, int] = {}
        for org_id, path in db.session.execute(query):
            if allowed is not None and org_id not in set(allowed):
                continue
            for row_org, own in rows:
                if (own and org_id == row_org.id) or (not own and path.startswith(row_org.path)):
                    self.bucket_of[org_id] = row_org.id
                    break
        # an admin looking at everything needs no condition; otherwise the ids counted
        self.everything = org is None and allowed is None

    def where(self, query: Select, org_id_col: ColumnElement) -> Select:
        if self.everything:
            return query
        return query.where(org_id_col.in_(sorted(self.bucket_of)) if self.bucket_of else false())

    def fold(self, result) -> dict[int, dict]:
        """Per-organisation rows → per-ranking-row sums."""
        groups: dict[int, dict] = {}
        for row in result:
            values = dict(row._mapping)
            bucket = self.bucket_of.get(values.pop("org_id"))
            if bucket is None:
                continue
            into = groups.setdefault(bucket, {})
            for key, value in values.items():
                into[key] = into.get(key, 0) + (value or 0)
        return groups


def _org_key(column: ColumnElement) -> ColumnElement:
    """``org_id + 0`` to group by: SQLite would otherwise walk an (org_id, …) index and fetch every row
    in index order (random reads: 10 s instead of under 1 s on a million opinions)."""
    return (column + 0).label("org_id")


def _item_counts(sel: Selection, period: Period, now: fig.Clock) -> dict:
    conditions = fig.conditions(period, now)
    columns = [func.sum(case((cond, 1), else_=0)).label(name) for name, cond in conditions.items()]
    columns += [func.sum(case((and_(conditions["registered"], Item.status == s), 1), else_=0)).label(f"s_{s}")
                for s in STATUSES]
    columns.append(func.sum(case((conditions["closed"], fig.days_between(Item.closed_at, Item.created_at)),
                                 else_=0)).label("close_days"))
    key = _org_key(Item.org_id)
    query = sel.where(select(key, *columns), Item.org_id).group_by(key)
    return sel.fold(db.session.execute(query))


def _urge_counts(sel: Selection, period: Period) -> dict:
    key = _org_key(Urge.org_id)
    query = (select(key, func.count(Urge.id).label("urges"),
                    func.sum(case((Urge.answered_at.is_(None), 1), else_=0)).label("unanswered"))
             .where(period.moment_in(Urge.at)))
    return sel.fold(db.session.execute(sel.where(query, Urge.org_id).group_by(key)))


def _rating_counts(sel: Selection, period: Period) -> dict:
    key = _org_key(Review.org_id)
    query = (select(key, func.sum(Rating.satisfied).label("s"),
                    func.sum(Rating.basically_satisfied).label("b"), func.sum(Rating.unsatisfied).label("u"))
             .select_from(Rating).join(Review, Review.id == Rating.review_id).where(period.day_in(Review.held_on)))
    return sel.fold(db.session.execute(sel.where(query, Review.org_id).group_by(key)))


def _opinion_counts(sel: Selection, period: Period) -> dict:
    key = _org_key(Opinion.org_id)
    query = (select(key, func.count(Opinion.id).label("received"),
                    func.count(Opinion.feedback_at).label("answered"))
             .where(period.day_in(Opinion.received_on)))
    return sel.fold(db.session.execute(sel.where(query, Opinion.org_id).group_by(key)))


def _sum(groups: dict, key: str, buckets) -> int:
    return int(sum((groups[b].get(key) or 0) for b in buckets if b in groups))


def _as_number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _figures(items: dict, urges: dict, ratings: dict, opinions: dict, buckets) -> dict:
    """The figures of one group of buckets (one ranking row, or all of them for the totals)."""
    n = {name: _sum(items, name, buckets) for name in fig.FIGURE_NAMES}
    by_status = {s: _sum(items, f"s_{s}", buckets) for s in STATUSES}
    close_days = sum(float(items[b].get("close_days") or 0) for b in buckets if b in items)
    s, b, u = (_sum(ratings, k, buckets) for k in ("s", "b", "u"))
    received, answered = _sum(opinions, "received", buckets), _sum(opinions, "answered", buckets)
    completion = rates.ratio(n["due_closed"], n["due"])
    response = rates.ratio(n["responded"], n["assigned"])
    resolution = rates.ratio(n["resolved"], n["resolvable"])
    satisfaction = rates.rate(s, b, u, settings.weight(), settings.min_valid())
    score = rates.two_places(rates.weighted_score([response, resolution, satisfaction], settings.score_weights()))
    return {
        "total": n["registered"], "by_status": by_status, "overdue": n["overdue"],
        "completion_rate": _as_number(completion),
        "on_time_rate": _as_number(rates.ratio(n["on_time"], n["closed_with_deadline"])),
        "extension_rate": _as_number(rates.ratio(n["within_extension"], n["closed_with_deadline"])),
        "avg_days_to_close": round(close_days / n["closed"], 1) if n["closed"] else None,
        "response_rate": _as_number(response), "resolution_rate": _as_number(resolution),
        "satisfaction_rate": _as_number(satisfaction),
        "feedback_rate": _as_number(rates.ratio(answered, received)),
        "weighted_score": _as_number(score),
        "urges": _sum(urges, "urges", buckets), "urges_unanswered": _sum(urges, "unanswered", buckets),
        "escalations": n["escalated"], "flagged": n["flagged"],
        "closed": n["closed"], "closed_first_round": n["closed_first_round"],
        "closed_reopened": n["closed_reopened"],
        "counts": n, "ratings": {"satisfied": s, "basically_satisfied": b, "unsatisfied": u, "valid": s + b + u},
        "opinions": {"received": received, "answered": answered},
    }


def item_link(period: Period, figure: str, org_id: int | None = None, org_only: bool = False, **extra) -> str:
    """The ledger list showing exactly the items a figure counts."""
    params = {"figure": figure}
    if org_id is not None:
        params["org_id"] = org_id
    if org_only:
        params["org_only"] = 1
    if period.start:
        params["from"] = period.start.isoformat()
    if period.end:
        params["to"] = period.end.isoformat()
    params.update({k: v for k, v in extra.items() if v is not None})
    return "/items?" + urlencode(params)


def stats(actor: User, org_id: int | None, period: Period) -> dict:
    """Figures for the organisation's subtree (within the actor's scope) and the period, with a ranking."""
    org, rows = _buckets(actor, org_id)
    now = fig.current(period.tz)
    sel = Selection(actor, org, rows)
    groups = [_item_counts(sel, period, now), _urge_counts(sel, period), _rating_counts(sel, period),
              _opinion_counts(sel, period)]
    all_buckets = [o.id for o, _ in rows]
    result = _figures(*groups, all_buckets)
    by_org = []
    for row_org, own in rows:
        figures = _figures(*groups, [row_org.id])
        if own and not figures["total"] and not figures["counts"]["closed"] and not figures["urges"]:
            continue  # the organisation itself holds no items: no "本级" row
        figures.update({"org_id": row_org.id, "name": row_org.name + ("（本级）" if own and len(rows) > 1 else ""),
                        "own_only": own, "links": links(period, row_org.id, own)})
        by_org.append(figures)
    by_org.sort(key=lambda r: (r["weighted_score"] is None, -(r["weighted_score"] or 0),
                               -(r["completion_rate"] or 0), r["name"]))
    for rank, row in enumerate(by_org, 1):
        row["rank"] = rank
    result.update({"org_id": org.id if org else None, "org_name": org.name if org else None,
                   "from": period.start, "to": period.end, "today": now.today, "by_org": by_org,
                   "links": links(period, org.id if org else None),
                   "weights": [float(w) for w in settings.score_weights()],
                   "satisfaction_weight": float(settings.weight()), "min_valid": settings.min_valid()})
    return result


def monthly(actor: User, org_id: int | None, period: Period, today: date) -> list[dict]:
    """Items opened and closed per month (local time) over the period, or the last twelve months."""
    org, rows = _buckets(actor, org_id)
    sel = Selection(actor, org, rows)
    last = min(period.end or today, today)
    first = period.start or (last.replace(day=1) - timedelta(days=330)).replace(day=1)
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    months = months[-24:]
    window = Period(max(first, date.fromisoformat(months[0] + "-01")) if months else first, last, period.tz)
    counted = {}
    for key, column, extra in (("opened", Item.created_at, None), ("closed", Item.closed_at, Item.status == "closed")):
        month = fig.local_month(column, period.tz).label("month")
        query = select(month, func.count(Item.id)).where(window.moment_in(column))
        if extra is not None:
            query = query.where(extra)
        query = sel.where(query, Item.org_id).group_by(month)
        counted[key] = dict(db.session.execute(query).all())
    out = []
    for m in months:
        start = max(date.fromisoformat(m + "-01"), window.start)
        end = min((date.fromisoformat(m + "-01") + timedelta(days=32)).replace(day=1) - timedelta(days=1), last)
        span = Period(start, end, period.tz)
        out.append({"month": m, "opened": int(counted["opened"].get(m, 0)), "closed": int(counted["closed"].get(m, 0)),
                    "opened_link": item_link(span, "registered", org_id),
                    "closed_link": item_link(span, "closed", org_id)})
    return out


# Each card: the figure whose items it counts (numerator, and denominator for a rate).
CARD_FIGURES = {
    "total": ("registered", None), "overdue": ("overdue", None), "completion_rate": ("due_closed", "due"),
    "on_time_rate": ("on_time", "closed_with_deadline"), "extension_rate": ("within_extension", "closed_with_deadline"),
    "avg_days_to_close": ("closed", None), "response_rate": ("responded", "assigned"),
    "resolution_rate": ("resolved", "resolvable"), "escalations": ("escalated", None), "flagged": ("flagged", None),
    "urges": ("urged", None), "urges_unanswered": ("urged_unanswered", None), "closed": ("closed", None),
    "closed_first_round": ("closed_first_round", None), "closed_reopened": ("closed_reopened", None),
}


def links(period: Period, org_id: int | None, org_only: bool = False) -> dict:
    """Drill-down addresses: for each figure the items it counts (``*_of`` for a rate's denominator)."""
    out = {}
    for card, (numerator, denominator) in CARD_FIGURES.items():
        out[card] = item_link(period, numerator, org_id, org_only)
        if denominator:
            out[card + "_of"] = item_link(period, denominator, org_id, org_only)
    for status in STATUSES:
        out[f"status_{status}"] = item_link(period, "registered", org_id, org_only, status=status)
    scope = {"org_id": org_id} if org_id is not None else {}
    out["satisfaction_rate"] = "/reviews" + ("?" + urlencode(scope) if scope else "")
    out["feedback_rate"] = "/opinions" + ("?" + urlencode(scope) if scope else "")
    return out
