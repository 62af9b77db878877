"""The item sets behind every figure of SPEC §7, as SQL conditions.

Each figure is one named condition on ``items``. The statistics count rows matching it (``SUM(CASE …)``
in one aggregate query) and the ledger list filters by the very same condition (``/items?figure=…``),
so a number on the dashboard and the items behind its link can never disagree. docs/figures.md
writes the formulas out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date, and_, cast, exists, false, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement

from ledger.auth.models import User
from ledger.auth.scope import scope_of
from ledger.core import clock
from ledger.core.db import db
from ledger.core.errors import Invalid
from ledger.evaluation import settings
from ledger.items.models import Item, Urge

CLOSED, CANCELLED = "closed", "cancelled"


@dataclass(frozen=True)
class Period:
    """Local dates ``start``..``end`` inclusive (either open), in the ledger's time zone."""

    start: date | None
    end: date | None
    tz: str

    def _utc(self, day: date) -> datetime:
        return datetime.combine(day, time.min, ZoneInfo(self.tz)).astimezone(ZoneInfo("UTC"))

    def moment_in(self, column) -> ColumnElement[bool]:
        """A timestamp column falls on a local day of the period."""
        parts = []
        if self.start is not None:
            parts.append(column >= self._utc(self.start))
        if self.end is not None:
            parts.append(column < self._utc(self.end + timedelta(days=1)))
        return and_(true(), *parts)

    def day_in(self, column) -> ColumnElement[bool]:
        """A date column falls within the period."""
        parts = []
        if self.start is not None:
            parts.append(column >= self.start)
        if self.end is not None:
            parts.append(column <= self.end)
        return and_(true(), *parts)


def parse_day(value, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid({name: "日期无效（格式 YYYY-MM-DD）"}) from None


def assessment_month(month: str, start_day: int | None = None) -> tuple[date, date]:
    """``2026-11`` → the calendar month, or with start day 19: 2026-10-19 … 2026-11-18."""
    try:
        year, number = (int(p) for p in month.split("-"))
        first = date(year, number, 1)
    except (ValueError, TypeError):
        raise Invalid({"month": "月份无效（格式 YYYY-MM）"}) from None
    day = start_day if start_day is not None else settings.integer("LEDGER_ASSESSMENT_START_DAY")
    if not 1 <= day <= 28:
        raise Invalid({"start_day": "考核月起始日必须在 1 到 28 之间"})
    following = (first + timedelta(days=32)).replace(day=1)
    if day == 1:
        return first, following - timedelta(days=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return previous.replace(day=day), first.replace(day=day) - timedelta(days=1)


def period_from(start, end, month: str | None = None, start_day: int | None = None) -> Period:
    tz = current_app.config["LEDGER_TIMEZONE"]
    if month:
        first, last = assessment_month(month, start_day)
        return Period(first, last, tz)
    first, last = parse_day(start, "from"), parse_day(end, "to")
    if first and last and first > last:
        raise Invalid({"to": "结束日期不能早于开始日期"})
    return Period(first, last, tz)


# --- dialect helpers: local dates and durations, computed by the database ---------------------

def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def local_date(column: ColumnElement, tz: str) -> ColumnElement:
    """The local calendar date of a UTC timestamp column."""
    if _sqlite():  # SQLite keeps naive UTC text; shift by the zone's current offset
        offset = int(clock.now().astimezone(ZoneInfo(tz)).utcoffset().total_seconds() // 60)
        return func.date(column, f"{offset:+d} minutes")
    return cast(func.timezone(tz, column), Date)


def local_month(column: ColumnElement, tz: str) -> ColumnElement:
    if _sqlite():
        offset = int(clock.now().astimezone(ZoneInfo(tz)).utcoffset().total_seconds() // 60)
        return func.strftime("%Y-%m", column, f"{offset:+d} minutes")
    return func.to_char(func.timezone(tz, column), "YYYY-MM")


def hours_between(later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    if _sqlite():
        return (func.julianday(later) - func.julianday(earlier)) * 24
    return func.extract("epoch", later - earlier) / 3600


def days_between(later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    if _sqlite():
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400


# --- the figures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    today: date
    now: datetime
    response_hours: int
    escalate_days: int


def current(tz: str) -> Clock:
    return Clock(clock.today(tz), clock.now(), settings.integer("LEDGER_RESPONSE_HOURS"),
                 settings.integer("LEDGER_ESCALATE_AFTER_DAYS"))


def _urged(p: Period, unanswered: bool) -> ColumnElement[bool]:
    condition = [Urge.item_id == Item.id, p.moment_in(Urge.at)]
    if unanswered:
        condition.append(Urge.answered_at.is_(None))
    return exists(select(literal(1)).where(*condition))


def conditions(p: Period, c: Clock) -> dict[str, ColumnElement[bool]]:
    """Every figure's item set. Order matters only for reading."""
    registered = p.moment_in(Item.created_at)
    not_cancelled = Item.status != CANCELLED
    is_closed = Item.status == CLOSED
    overdue_now = and_(Item.is_open.is_(True), Item.due_key < c.today)
    due = and_(not_cancelled, Item.deadline.is_not(None), p.day_in(Item.deadline), Item.deadline < c.today)
    closed = and_(is_closed, p.moment_in(Item.closed_at))
    closed_day = local_date(Item.closed_at, p.tz)
    with_deadline = and_(closed, Item.original_deadline.is_not(None))
    window = timedelta(hours=c.response_hours)
    assigned = and_(not_cancelled, p.moment_in(Item.assigned_at),
                    (Item.claimed_at.is_not(None)) | (Item.assigned_at <= c.now - window))
    figures = {
        "registered": registered,
        "overdue": and_(registered, overdue_now),
        "escalated": and_(registered, overdue_now, (Item.due_key <= c.today - timedelta(days=c.escalate_days))
                          | Item.flagged.is_(True)),
        "flagged": and_(registered, Item.is_open.is_(True), Item.flagged.is_(True)),
        "due": due,
        "due_closed": and_(due, is_closed),
        "closed": closed,
        "closed_first_round": and_(closed, Item.round == 1),
        "closed_reopened": and_(closed, Item.round > 1),
        "closed_with_deadline": with_deadline,
        "on_time": and_(with_deadline, closed_day <= Item.original_deadline),
        "within_extension": and_(with_deadline, closed_day > Item.original_deadline, closed_day <= Item.deadline),
        "late": and_(with_deadline, closed_day > Item.original_deadline, closed_day > Item.deadline),
        "assigned": assigned,
        "responded": and_(assigned, Item.claimed_at.is_not(None),
                          hours_between(Item.claimed_at, Item.assigned_at) <= c.response_hours),
        "resolvable": and_(registered, not_cancelled),
        "resolved": and_(registered, is_closed),
        "urged": _urged(p, False),
        "urged_unanswered": _urged(p, True),
    }
    return figures


FIGURE_NAMES = ("registered", "overdue", "escalated", "flagged", "due", "due_closed", "closed",
                "closed_first_round", "closed_reopened", "closed_with_deadline", "on_time", "within_extension",
                "late", "assigned", "responded", "resolvable", "resolved", "urged", "urged_unanswered")
DRILL_DOWN_ARGS = ("figure", "from", "to", "month", "start_day", "org_only")  # what item_filter reads


def drill_down_args(args) -> dict[str, str]:
    """The drill-down arguments present in a request's ``args``: a dashboard number's link to the ledger
    (the list page, its export and the API read them the same way)."""
    return {k: args[k] for k in DRILL_DOWN_ARGS if args.get(k)}


def scope_org_ids(actor: User | None) -> list[int] | None:
    """Organisations whose items the actor's figures may count (None: every organisation)."""
    if actor is None:
        return None
    scope = scope_of(actor)
    return None if scope.is_admin else sorted(scope.managed)


def in_scope(actor: User | None, column) -> ColumnElement[bool]:
    ids = scope_org_ids(actor)
    if ids is None:
        return true()
    return column.in_(ids) if ids else false()


def item_filter(actor: User, filters: dict) -> ColumnElement[bool]:
    """The ledger list's ``figure`` filter (with ``from``, ``to``, ``month``, ``start_day``, ``org_only``):
    exactly the items a figure counts for this actor."""
    name = filters.get("figure")
    if name not in FIGURE_NAMES:
        raise Invalid({"figure": "未知的统计口径：" + str(name)})
    start_day = filters.get("start_day")
    period = period_from(filters.get("from"), filters.get("to"), filters.get("month"),
                         int(start_day) if start_day not in (None, "") else None)
    condition = conditions(period, current(period.tz))[name]
    parts = [condition, in_scope(actor, Item.org_id)]
    if filters.get("org_only") and filters.get("org_id") is not None:
        parts.append(Item.org_id == int(filters["org_id"]))
    return and_(*parts)

