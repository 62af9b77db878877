"""Reading the audit log: the auditor's filters (actor, action exact or a prefix ending in '.', from, to)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select

from ledger.audit import duties
from ledger.audit.models import AuditEntry
from ledger.core import bounds
from ledger.core.errors import Forbidden, Invalid

ACTION = re.compile(r"[a-z0-9_.]{1,60}")


def require_auditor(actor) -> None:
    if not duties.is_auditor(actor):
        raise Forbidden("只有审计管理员可以查看审计日志")


def _moment(name: str, raw: str, end: bool) -> datetime:
    """A date (the whole day, in LEDGER_TIMEZONE) or an ISO time (without a zone: LEDGER_TIMEZONE's)."""
    zone = ZoneInfo(current_app.config.get("LEDGER_TIMEZONE", "Asia/Shanghai"))
    raw = raw.strip()
    day_only = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw))
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00")) if not day_only else None
        day = date.fromisoformat(raw) if day_only else moment.date()
    except ValueError:
        raise Invalid({name: "时间无效（格式 YYYY-MM-DD 或 ISO 8601 时间）"}) from None
    problem = bounds.date_problem(day)
    if problem:
        raise Invalid({name: problem})
    if day_only:
        return datetime.combine(day + timedelta(days=1) if end else day, time(), zone).astimezone(UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def entries_query(actor, *, actor_id: int | None = None, action: str | None = None, start: str | None = None,
                  end: str | None = None) -> Select:
    """Entries the filters admit, for the auditor only; the caller pages them newest first (by id)."""
    require_auditor(actor)
    query = select(AuditEntry)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action:
        if not ACTION.fullmatch(action):
            raise Invalid({"action": "操作代码只含小写字母、数字、下划线和点，例如 auth.login 或 auth."})
        query = query.where(AuditEntry.action.startswith(action, autoescape=True) if action.endswith(".")
                            else AuditEntry.action == action)
    if start:
        query = query.where(AuditEntry.at >= _moment("from", start, end=False))
    if end:
        bound = _moment("to", end, end=True)
        date_only = re.fullmatch(r"\d{4}-\d{2}-\d{2}", end.strip())
        query = query.where(AuditEntry.at < bound if date_only else AuditEntry.at <= bound)
    return query
