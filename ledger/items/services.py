"""Operations on items. ``apply_action`` is the only way an item changes: it compares the client's
version, asks the lifecycle table, runs the effect, writes the Event and queues messages — all in the
caller's transaction."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import defaultload, joinedload
from sqlalchemy.orm.exc import StaleDataError

from ledger.auth.models import Membership, User
from ledger.auth.scope import can_read_item, has_supervisor_over, relations_to_item, require_org
from ledger.core import clock
from ledger.core.bounds import MAX_ID
from ledger.core.counters import next_in_sequence
from ledger.core.db import db
from ledger.core.enums import ItemKind, OpinionStatus
from ledger.core.errors import Invalid, NotFound, VersionConflict
from ledger.items import effects, lifecycle
from ledger.items.lights import yellow_from
from ledger.items.models import Attachment, CodeCounter, Event, Extension, Item
from ledger.opinions.models import Opinion
from ledger.orgs.categories import category_problem
from ledger.orgs.models import DEFAULT_SETTINGS, Organisation
from ledger.outbox.services import item_url, notify_submitter, notify_user

TRACKED_FIELDS = ("title", "description", "measures", "kind", "scope", "category", "urgency", "leader_id",
                  "owner_id", "deadline", "flagged", "progress_percent", "completion_note", "return_note",
                  "cancel_reason", "round", "stage_goals", "next_review_on")
EDITABLE_FIELDS = ("title", "description", "measures", "kind", "scope", "category", "urgency", "leader_id",
                   "deadline", "stage_goals", "next_review_on")


def org_setting(org: Organisation, name: str):
    settings = org.settings
    value = getattr(settings, name, None) if settings is not None else None
    return DEFAULT_SETTINGS[name] if value is None else value


def refresh_light(item: Item) -> None:
    """Recompute the stored first-yellow day after a change of deadline, progress or settings."""
    org = item.org or db.session.get(Organisation, item.org_id)
    tz = org.timezone if org else "Asia/Shanghai"
    start = clock.as_utc(item.assigned_at or clock.now()).astimezone(clock.ZoneInfo(tz)).date()
    item.yellow_from = yellow_from(item.deadline, item.kind, start, item.progress_percent or 0,
                                   org_setting(org, "warning_days"), org_setting(org, "progress_margin"))


def next_code(year: int, prefix: str = "ZG") -> str:
    """ZG-2026-0001, numbered per year."""
    return f"{prefix}-{year}-{next_in_sequence(CodeCounter, prefix=prefix, year=year):04d}"


NOT_IN_ORG = "用户不存在、已停用或不属于该事项的组织"


def _check_user(user_id: int | None, field: str, org: Organisation) -> User | None:
    """An owner or leader: an active user with a membership in the item's organisation or one under it.
    Any other id — missing, inactive or elsewhere — gets the same answer, which tells nothing of who exists
    (issue 14, finding 9)."""
    if user_id is None:
        return None
    member = (select(Membership.id).join(Organisation, Organisation.id == Membership.org_id)
              .where(Membership.user_id == User.id, Organisation.path.startswith(org.path)).exists())
    user = None
    if isinstance(user_id, int) and 0 < user_id <= MAX_ID:
        user = db.session.scalar(select(User).where(User.id == user_id, User.active.is_(True), member))
    if user is None:
        raise Invalid({field: NOT_IN_ORG})
    return user


def _validate_item_fields(data: dict, today: date, creating: bool, current_category: str | None = None) -> None:
    problems = {}
    if category := category_problem(data.get("category"), current=current_category):
        problems["category"] = category
    if creating or "title" in data:
        if not (data.get("title") or "").strip():
            problems["title"] = "标题不能为空"
    kind = data.get("kind", ItemKind.time_limited.value)
    if creating and data.get("deadline") is None and kind != ItemKind.long_term.value:
        problems["deadline"] = "限期整改和立行立改事项必须有完成时限"
    if data.get("deadline") is not None and data["deadline"] < today:
        problems["deadline"] = "完成时限不能早于今天"
    if problems:
        raise Invalid(problems)


def create_item(actor: User, data: dict) -> Item:
    """A new item in an organisation the actor is secretary of, optionally merging opinions into it."""
    org = require_org(actor, data["org_id"], roles=("secretary",))
    today = clock.today(org.timezone)
    if data.get("deadline_working_days"):
        from ledger.calendar.services import add_working_days

        data["deadline"] = add_working_days(today, data.pop("deadline_working_days"))
    _validate_item_fields(data, today, creating=True)
    owner = _check_user(data.get("owner_id"), "owner_id", org)
    _check_user(data.get("leader_id"), "leader_id", org)
    if owner is None:
        raise Invalid({"owner_id": "必须指定责任人"})
    opinions = _opinions_to_merge(actor, org, data.get("opinion_ids") or [])
    item = Item(code=next_code(today.year), org_id=org.id, created_by_id=actor.id, owner_id=owner.id,
                assigned_at=clock.now(), **{k: data[k] for k in EDITABLE_FIELDS if k in data})
    item.original_deadline = item.deadline
    item.org = org
    item.status = "pending"
    db.session.add(item)
    refresh_light(item)
    db.session.flush()
    for opinion in opinions:
        _accept_opinion(opinion, item)
    _write_event(item, actor, "create", None, "pending", None,
                 {"opinion_ids": [o.id for o in opinions]} if opinions else {})
    notify_user(owner, "assigned", f"【{item.code}】新的整改事项待认领：{item.title}",
                f"您被指定为整改事项 {item.code}“{item.title}”的责任人，请及时认领。\n{item_url(item.id)}",
                item.id)
    return item


def _opinions_to_merge(actor: User, org: Organisation, opinion_ids: list[int]) -> list[Opinion]:
    if not opinion_ids:
        return []
    opinions = list(db.session.scalars(select(Opinion).where(Opinion.id.in_(opinion_ids))))
    found = {o.id for o in opinions}
    problems = {}
    for opinion_id in opinion_ids:
        if opinion_id not in found:
            problems[f"opinion_ids[{opinion_id}]"] = "意见不存在或不在您的权限范围内"
    for opinion in opinions:
        if opinion.org_id != org.id:
            problems[f"opinion_ids[{opinion.id}]"] = "意见不存在或不在您的权限范围内"
        elif opinion.status != OpinionStatus.new.value:
            problems[f"opinion_ids[{opinion.id}]"] = "该意见已处理，不能再并入事项"
    if problems:
        raise Invalid(problems)
    return opinions


def _accept_opinion(opinion: Opinion, item: Item) -> None:
    opinion.status = OpinionStatus.accepted.value
    opinion.item_id = item.id
    if opinion.wants_updates:
        notify_submitter(opinion, "opinion_accepted", "您提出的意见已被采纳",
                         f"您提出的意见已列入整改事项 {item.code}“{item.title}”，我们将及时告知整改进展。")


def get_item(actor: User, item_id: int, for_update: bool = False, with_opinions: bool = False) -> Item:
    """The item if the actor may read it; another organisation's item is simply not found.

    Its organisation, owner and leader come joined; their memberships only if something reads them.
    ``with_opinions`` joins the opinions too (the item page), instead of a second statement."""
    query = select(Item).where(Item.id == item_id).options(
        defaultload(Item.owner).lazyload(User.memberships), defaultload(Item.leader).lazyload(User.memberships))
    if with_opinions:
        query = query.options(joinedload(Item.opinions))
    if for_update and db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=Item)
    item = db.session.scalars(query).unique().first()
    if item is None or not can_read_item(actor, item):
        raise NotFound("事项不存在或不在您的权限范围内")
    return item


class _Facts(dict):
    """The guards' facts, each looked up only when a guard first asks: most actions and most pages need
    none of them (a query each before: bench/RESULTS.md, item page)."""

    def __init__(self, lookups: dict[str, Callable[[], object]]) -> None:
        super().__init__()
        self._lookups = lookups

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._lookups

    def __getitem__(self, key: str):
        if not super().__contains__(key) and key in self._lookups:
            self[key] = self._lookups.pop(key)()
        return super().__getitem__(key)

    def get(self, key: str, default=None):
        return self[key] if key in self else default


def context_for(actor: User | None, item: Item, data: dict | None = None,
                extensions: list[Extension] | None = None, attachments: list[Attachment] | None = None
                ) -> lifecycle.Context:
    """Everything the lifecycle guards need to know, looked up once and only if asked; a page that has
    already loaded the item's ``extensions`` and ``attachments`` passes them instead of new queries."""
    org = item.org or db.session.get(Organisation, item.org_id)

    def pending_extension() -> Extension | None:
        if extensions is not None:
            return next((x for x in extensions if x.status == "pending"), None)
        return db.session.scalars(select(Extension).where(
            Extension.item_id == item.id, Extension.status == "pending")).first()

    def has_evidence() -> bool:
        if attachments is not None:
            return any(a.round == item.round for a in attachments)
        return db.session.scalar(select(Attachment.id).where(
            Attachment.item_id == item.id, Attachment.round == item.round).limit(1)) is not None

    facts = _Facts({"pending_extension": pending_extension, "has_evidence": has_evidence,
                    "evidence_required": lambda: org_setting(org, "evidence_required"),
                    "org_has_supervisor": lambda: has_supervisor_over(org)})
    return lifecycle.Context(item=item, actor=actor, relations=relations_to_item(actor, item),
                             data=data or {}, today=clock.today(org.timezone), facts=facts)


def allowed_actions(actor: User | None, item: Item, extensions: list[Extension] | None = None,
                    attachments: list[Attachment] | None = None) -> list[str]:
    return lifecycle.allowed_actions(context_for(actor, item, extensions=extensions, attachments=attachments))


def _snapshot(item: Item) -> dict:
    return {f: getattr(item, f) for f in TRACKED_FIELDS}


def _diff(before: dict, after: dict) -> dict:
    def plain(v):
        return v.isoformat() if isinstance(v, date) else v
    return {f: [plain(before[f]), plain(after[f])] for f in TRACKED_FIELDS if before[f] != after[f]}


def _write_event(item: Item, actor: User | None, action: str, from_status: str | None,
                 to_status: str | None, comment: str | None, changes: dict) -> Event:
    event = Event(item_id=item.id, actor_id=actor.id if actor else None, action=action,
                  from_status=from_status, to_status=to_status, comment=comment, changes=changes,
                  round=item.round, at=clock.now())
    db.session.add(event)
    return event


def apply_action(actor: User | None, item_id: int, action: str, version: int | None, **data) -> Item:
    """Take ``action`` on the item for ``actor`` (None: the system). Refusals raise and change nothing."""
    item = (get_item(actor, item_id, for_update=True) if actor is not None
            else db.session.get(Item, item_id))
    if item is None:
        raise NotFound("事项不存在")
    if version is None:
        raise Invalid({"version": "必填"})
    if version != item.version:
        raise VersionConflict("该事项已被他人修改，请刷新后重试",
                              {"current_version": item.version, "status": item.status})
    data = effects.normalise(action, data)
    ctx = context_for(actor, item, data)
    rule = lifecycle.check(action, ctx)
    before, from_status = _snapshot(item), item.status
    # The item is written once, below: a statement an effect runs (the owner's urges marked answered) must
    # not flush it half-changed first, which bumped the version twice (issue 14, finding 13).
    with db.session.no_autoflush:
        comment = effects.run(action, ctx)
        if rule.target:
            item.status = rule.target
        refresh_light(item)
        item.updated_at = clock.now()  # every accepted action bumps the version: of two stale writers, one wins
        event = _write_event(item, actor, action, from_status, item.status, comment,
                             _diff(before, _snapshot(item)) | effects.extra_changes(ctx))
    try:
        db.session.flush()
    except StaleDataError:  # another transaction won the race between our read and our write
        raise VersionConflict("该事项已被他人修改，请刷新后重试") from None
    effects.after(action, ctx, event)
    return item


__all__ = ["create_item", "get_item", "apply_action", "allowed_actions", "context_for", "refresh_light"]
