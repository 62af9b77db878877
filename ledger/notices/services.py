"""Notices: drafting, publication (numbering, the frozen snapshot, the objection period), withdrawal,
corrections, settings. Services take the acting user first (None: the scheduler) and flush; the caller
commits."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import Select, event, inspect, select

from ledger.audit.services import record_audit, record_changes, snapshot
from ledger.auth.models import User
from ledger.auth.scope import org_clause, require_org, scope_of
from ledger.core import bounds, clock
from ledger.core.counters import next_in_sequence
from ledger.core.db import db
from ledger.core.errors import Invalid, InvalidTransition, NotFound
from ledger.notices import snapshots
from ledger.notices.models import (
    DEFAULT_NOTICE_SETTINGS,
    Notice,
    NoticeCounter,
    NoticeKind,
    NoticeSettings,
    NoticeStatus,
)
from ledger.orgs.models import Organisation

FROZEN_FIELDS = ("content", "title", "addressee", "intro", "period_start", "period_end", "number", "year", "seq",
                 "org_id", "kind", "objection_until", "objection_days", "published_at", "corrects_id")
EDITABLE = ("title", "addressee", "intro", "period_start", "period_end", "objection_days")


def cn_date(day: date | str) -> str:
    """2026年11月3日 (GB/T 9704: Arabic numerals, no leading zeros)."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(start: date, end: date) -> str:
    if start == end:
        return cn_date(start)
    if start.year == end.year:
        return f"{cn_date(start)}至{end.month}月{end.day}日"
    return f"{cn_date(start)}至{cn_date(end)}"


def default_title(kind: str, start: date, end: date) -> str:
    period = period_text(start, end)
    return {"progress": f"关于{period}整改事项进展情况的通报",
            "closure": f"关于{period}整改事项销号情况的公示",
            "review": f"关于{period}群众评议结果的公示",
            "overdue": f"关于截至{cn_date(end)}超期未完成整改事项的督办通报"}[kind]


def default_intro(kind: str, org_name: str, start: date, end: date) -> str:
    period = period_text(start, end)
    return {
        "progress": f"为推动群众评议反馈问题整改落实，现将{org_name}{period}整改事项进展情况通报如下。",
        "closure": f"根据整改销号工作要求，{org_name}{period}完成整改并经审核销号的事项如下，现予公示，接受群众监督。",
        "review": f"{org_name}{period}开展了群众评议活动，现将评议结果公示如下。",
        "overdue": f"截至{cn_date(end)}，{org_name}范围内下列整改事项已超过完成时限仍未整改到位，现予通报并挂账督办。",
    }[kind]


# --- settings --------------------------------------------------------------------------------------

# Set by the scheduled drafting (notices.jobs), which asks for every organisation's settings twice:
# every row read once instead (most organisations have none, and a missing row is a query each time).
_settings: contextvars.ContextVar[dict[int, NoticeSettings] | None] = contextvars.ContextVar(
    "notice_settings", default=None)


@contextmanager
def shared_settings() -> Iterator[None]:
    token = _settings.set({row.org_id: row for row in db.session.scalars(select(NoticeSettings))})
    try:
        yield
    finally:
        _settings.reset(token)


def settings_for(org_id: int) -> dict:
    cache = _settings.get()
    row = cache.get(org_id) if cache is not None else db.session.get(NoticeSettings, org_id)
    if row is None:
        return dict(DEFAULT_NOTICE_SETTINGS)
    return {k: getattr(row, k) for k in DEFAULT_NOTICE_SETTINGS}


def update_settings(actor: User, org_id: int, changes: dict) -> dict:
    """The organisation's notice schedule and publication settings (its secretary, or an admin)."""
    org = require_org(actor, org_id, roles=("secretary", "admin"))
    problems = {}
    if "progress_weekday" in changes and not 0 <= int(changes["progress_weekday"]) <= 6:
        problems["progress_weekday"] = "必须在 0（周一）到 6（周日）之间"
    if "objection_days" in changes and not 1 <= int(changes["objection_days"]) <= 60:
        problems["objection_days"] = "公示期必须在 1 到 60 个工作日之间"
    for key in ("addressee", "contact"):
        if len(changes.get(key) or "") > 200:
            problems[key] = "不超过 200 个字符"
    if problems:
        raise Invalid(problems)
    row = db.session.get(NoticeSettings, org.id) or NoticeSettings(org_id=org.id, **DEFAULT_NOTICE_SETTINGS)
    before = snapshot(row, tuple(DEFAULT_NOTICE_SETTINGS))
    for key in DEFAULT_NOTICE_SETTINGS:
        if key in changes and changes[key] is not None:
            setattr(row, key, changes[key])
    db.session.add(row)
    db.session.flush()
    record_changes(actor, "settings.changed", before, row, target_type="org", target_id=org.id, setting="notices")
    return settings_for(org.id)


# --- who may do what ---------------------------------------------------------------------------------

def _roles_for(kind: str) -> tuple[str, ...]:
    """An overdue notice is a supervisor's; the others are the secretary's (a supervisor may issue any)."""
    return ("supervisor", "admin") if kind == NoticeKind.overdue.value else ("secretary", "supervisor", "admin")


def _manage(actor: User | None, notice: Notice) -> None:
    if actor is not None:
        require_org(actor, notice.org_id, roles=_roles_for(notice.kind))


def notices_query(actor: User) -> Select:
    """Notices of the organisations the actor manages (any status)."""
    return select(Notice).where(org_clause(actor, Notice.org_id))


def get_notice(actor: User, notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    scope = scope_of(actor)
    if notice is None or not (scope.is_admin or notice.org_id in scope.managed):
        raise NotFound("公示/通报不存在或不在您的权限范围内")
    return notice


def public_notices_query() -> Select:
    return select(Notice).where(Notice.status.in_([NoticeStatus.published.value, NoticeStatus.withdrawn.value]))


def get_public_notice(notice_id: int) -> Notice:
    """A published (or withdrawn) notice, for anyone; drafts do not exist for the public."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.status == NoticeStatus.draft.value:
        raise NotFound("公示/通报不存在")
    return notice


# --- drafting ---------------------------------------------------------------------------------------

def _validate(kind: str, start: date | None, end: date | None, today: date) -> None:
    problems = {}
    if kind not in NoticeKind.values():
        problems["kind"] = "类型必须是 progress、closure、review 或 overdue"
    if start is None:
        problems["period_start"] = "必填"
    if end is None:
        problems["period_end"] = "必填"
    for name, day in (("period_start", start), ("period_end", end)):
        problem = day and bounds.date_problem(day)  # year 1 or 9999: the period's arithmetic would fail
        if problem:
            problems[name] = problem
    if start and end and start > end:
        problems.setdefault("period_end", "结束日期不能早于开始日期")
    if end and end > today and kind == NoticeKind.closure.value:
        problems["period_end"] = "销号公示的期间不能晚于今天"
    if problems:
        raise Invalid(problems)


def create_draft(actor: User | None, org_id: int, kind: str, period_start: date | None, period_end: date | None,
                 draft_key: str | None = None, corrects: Notice | None = None, **fields) -> Notice:
    """A draft notice; its content is a preview until publication freezes it."""
    if actor is None:
        org = db.session.get(Organisation, org_id)
        if org is None:
            raise NotFound("组织不存在")
    else:
        org = require_org(actor, org_id, roles=_roles_for(kind) if kind in NoticeKind.values() else ("admin",))
    _validate(kind, period_start, period_end, clock.today(org.timezone))
    settings = settings_for(org.id)
    notice = Notice(org_id=org.id, kind=kind, status=NoticeStatus.draft.value, period_start=period_start,
                    period_end=period_end, draft_key=draft_key, created_by_id=actor.id if actor else None,
                    title=(fields.get("title") or "").strip() or default_title(kind, period_start, period_end),
                    addressee=(fields.get("addressee") or settings["addressee"] or "").strip(),
                    intro=(fields.get("intro") or "").strip()
                    or default_intro(kind, org.name, period_start, period_end),
                    objection_days=(fields.get("objection_days") or settings["objection_days"])
                    if kind == NoticeKind.closure.value else None,
                    corrects_id=corrects.id if corrects else None)
    notice.org = org
    _check_lengths(notice)
    notice.content = snapshots.build(kind, org, period_start, period_end)
    db.session.add(notice)
    db.session.flush()
    return notice


def _check_lengths(notice: Notice) -> None:
    problems = {}
    if len(notice.title) > 200:
        problems["title"] = "标题不超过 200 字"
    if len(notice.addressee or "") > 200:
        problems["addressee"] = "主送不超过 200 字"
    if len(notice.intro or "") > 5000:
        problems["intro"] = "正文导语不超过 5000 字"
    if notice.objection_days is not None and not 1 <= notice.objection_days <= 60:
        problems["objection_days"] = "公示期必须在 1 到 60 个工作日之间"
    if problems:
        raise Invalid(problems)


def _require_draft(notice: Notice, doing: str) -> None:
    if notice.status != NoticeStatus.draft.value:
        raise InvalidTransition(f"该{notice.kind_title}已{notice.status_title}，不能{doing}"
                                "（已发布的公示/通报不可修改，如需更正请发布更正通报）", {"status": notice.status})


def update_draft(actor: User, notice_id: int, changes: dict) -> Notice:
    notice = get_notice(actor, notice_id)
    _manage(actor, notice)
    _require_draft(notice, "修改")
    for key in EDITABLE:
        if key in changes and changes[key] is not None:
            setattr(notice, key, changes[key].strip() if isinstance(changes[key], str) else changes[key])
    _validate(notice.kind, notice.period_start, notice.period_end, clock.today(notice.org.timezone))
    _check_lengths(notice)
    if not notice.title:
        raise Invalid({"title": "标题不能为空"})
    notice.content = snapshots.build(notice.kind, notice.org, notice.period_start, notice.period_end)
    db.session.flush()
    return notice


def delete_draft(actor: User, notice_id: int) -> None:
    notice = get_notice(actor, notice_id)
    _manage(actor, notice)
    _require_draft(notice, "删除")
    record_audit(actor, "notice.deleted", target_type="notice", target_id=notice.id,
                 details={"org_id": notice.org_id, "kind": notice.kind, "title": notice.title})
    db.session.delete(notice)
    db.session.flush()


def create_correction(actor: User, notice_id: int, fields: dict | None = None) -> Notice:
    """A new draft that corrects a published notice (which stays as it was)."""
    original = get_notice(actor, notice_id)
    _manage(actor, original)
    if original.status != NoticeStatus.published.value:
        raise InvalidTransition("只能更正已发布的公示/通报", {"status": original.status})
    fields = dict(fields or {})
    # The correction may change the period itself (finding 7: passed twice, a TypeError, before).
    start = fields.pop("period_start", None) or original.period_start
    end = fields.pop("period_end", None) or original.period_end
    fields.setdefault("title", f"{original.title}（更正）")
    fields.setdefault("intro", f"现对{original.number}《{original.title}》予以更正，以本{original.kind_title}为准。"
                               + default_intro(original.kind, original.org.name, start, end))
    fields.setdefault("addressee", original.addressee)
    return create_draft(actor, original.org_id, original.kind, start, end, corrects=original, **fields)


# --- publication -------------------------------------------------------------------------------------

def next_number(org_id: int, year: int) -> int:
    """The next 发文字号 of the organisation in ``year``."""
    return next_in_sequence(NoticeCounter, org_id=org_id, year=year)


def format_number(year: int, seq: int) -> str:
    return f"〔{year}〕{seq}号"


def publish(actor: User | None, notice_id: int) -> Notice:
    """Freeze the snapshot, give the number and, for a closure notice, the objection period."""
    from ledger.calendar.services import add_working_days

    notice = db.session.get(Notice, notice_id) if actor is None else get_notice(actor, notice_id)
    if notice is None:
        raise NotFound("公示/通报不存在")
    _manage(actor, notice)
    if db.engine.dialect.name == "postgresql":  # two publishers at once: one waits, then sees it published
        db.session.execute(select(Notice.id).where(Notice.id == notice.id).with_for_update())
        db.session.refresh(notice)
    _require_draft(notice, "再次发布")
    org = notice.org
    today = clock.today(org.timezone)
    content = snapshots.build(notice.kind, org, notice.period_start, notice.period_end)
    if notice.corrects is not None:
        content["corrects"] = {"id": notice.corrects.id, "number": notice.corrects.number,
                               "title": notice.corrects.title}
    settings = settings_for(org.id)
    if notice.kind == NoticeKind.closure.value:
        if not content["items"]:
            raise Invalid({"period": "该期间没有销号事项，无需公示"})
        notice.objection_days = notice.objection_days or settings["objection_days"]
        notice.objection_until = add_working_days(today, notice.objection_days)
        content["objection"] = {"from": (today + timedelta(days=1)).isoformat(),
                                "until": notice.objection_until.isoformat(), "working_days": notice.objection_days,
                                "contact": settings["contact"]}
    notice.year = today.year
    notice.seq = next_number(org.id, today.year)
    notice.number = format_number(notice.year, notice.seq)
    content["issued_on"] = today.isoformat()
    actor_id = actor.id if actor else None
    with db.session.no_autoflush:  # status and published_at change together (a CHECK ties them)
        notice.content = content
        notice.published_at = clock.now()
        notice.published_by_id = actor_id
        notice.status = NoticeStatus.published.value
    db.session.flush()
    return notice


def withdraw(actor: User, notice_id: int, reason: str) -> Notice:
    """Take a published notice off the board; the record, its number and its content are kept."""
    notice = get_notice(actor, notice_id)
    _manage(actor, notice)
    if notice.status != NoticeStatus.published.value:
        raise InvalidTransition(f"该公示/通报当前为“{notice.status_title}”，不能撤回", {"status": notice.status})
    if not (reason or "").strip():
        raise Invalid({"reason": "撤回须说明理由"})
    notice.status = NoticeStatus.withdrawn.value
    notice.withdrawn_at = clock.now()
    notice.withdrawn_reason = reason.strip()
    db.session.flush()
    return notice


def corrected_by(notice: Notice) -> list[Notice]:
    """Published corrections of ``notice`` (shown beside it; the notice itself never changes)."""
    return list(db.session.scalars(select(Notice).where(
        Notice.corrects_id == notice.id, Notice.status == NoticeStatus.published.value).order_by(Notice.id)))


def objection_open(notice: Notice, today: date | None = None) -> bool:
    if notice.status != NoticeStatus.published.value or notice.objection_until is None:
        return False
    today = today or clock.today(notice.org.timezone)
    return today <= notice.objection_until


@event.listens_for(Notice, "before_update")
def _published_is_immutable(mapper, connection, target: Notice) -> None:
    """By construction: once published, what the notice says can no longer change."""
    state = inspect(target)
    was = state.attrs.status.history.deleted
    previous_status = was[0] if was else target.status
    if previous_status == NoticeStatus.draft.value:
        return
    changed = [name for name in FROZEN_FIELDS if state.attrs[name].history.has_changes()]
    if changed:
        raise InvalidTransition(f"已发布的公示/通报不可修改（{', '.join(changed)}）")


__all__ = ["create_draft", "update_draft", "delete_draft", "publish", "withdraw", "create_correction",
           "get_notice", "get_public_notice", "notices_query", "public_notices_query", "settings_for",
           "update_settings", "objection_open", "corrected_by", "cn_date", "format_number"]
