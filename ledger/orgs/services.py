"""Organisations (tree), their settings, and the category list."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select, update

from ledger.audit.services import record_audit, record_changes, snapshot
from ledger.auth.models import User
from ledger.auth.scope import readable_org_ids, require_org, subtree_ids
from ledger.core.db import db
from ledger.core.enums import OrgKind
from ledger.core.errors import Forbidden, Invalid, NotFound
from ledger.orgs.models import DEFAULT_CATEGORIES, Category, Organisation, OrgSettings

ORG_FIELDS = ("name", "kind", "timezone", "parent_id")  # what the audit log records of an organisation
SETTINGS_FIELDS = ("evidence_required", "warning_days", "progress_margin")


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("只有管理员可以管理组织")


def _validate(name: str | None, kind: str | None, tz: str | None) -> None:
    problems = {}
    if name is not None and not name.strip():
        problems["name"] = "名称不能为空"
    if kind is not None and kind not in OrgKind.values():
        problems["kind"] = "组织类型无效"
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems["timezone"] = "时区无效"
    if problems:
        raise Invalid(problems)


def create_org(actor: User | None, name: str, kind: str = OrgKind.branch.value, parent_id: int | None = None,
               timezone: str = "Asia/Shanghai") -> Organisation:
    _require_admin(actor)
    _validate(name, kind, timezone)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Organisation, parent_id)
        if parent is None:
            raise Invalid({"parent_id": "上级组织不存在"})
    org = Organisation(name=name.strip(), kind=kind, parent_id=parent_id, timezone=timezone, path="/")
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    record_audit(actor, "org.created", target_type="org", target_id=org.id, details=snapshot(org, ORG_FIELDS))
    return org


def update_org(actor: User, org_id: int, changes: dict) -> Organisation:
    _require_admin(actor)
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("组织不存在")
    _validate(changes.get("name"), changes.get("kind"), changes.get("timezone"))
    before = snapshot(org, ORG_FIELDS)
    for key in ("name", "kind", "timezone"):
        if key in changes and changes[key] is not None:
            setattr(org, key, changes[key])
    if "parent_id" in changes and changes["parent_id"] != org.parent_id:
        _move(org, changes["parent_id"])
    record_changes(actor, "org.updated", before, org, target_type="org", target_id=org.id)
    return org


def _move(org: Organisation, parent_id: int | None) -> None:
    parent = db.session.get(Organisation, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise Invalid({"parent_id": "上级组织不存在"})
    if parent is not None and parent.path.startswith(org.path):
        raise Invalid({"parent_id": "不能移到自己的下级组织之下"})
    old, new = org.path, f"{parent.path if parent else '/'}{org.id}/"
    for child in db.session.scalars(select(Organisation).where(Organisation.path.like(f"{old}%"))):
        child.path = new + child.path[len(old):]
    org.parent_id = parent_id


def list_orgs_query(actor: User) -> Select:
    query = select(Organisation)
    ids = readable_org_ids(actor)
    return query if ids is None else query.where(Organisation.id.in_(sorted(ids)))


def find_orgs(actor: User, text: str, limit: int = 6) -> list[tuple[int, str]]:
    """Organisations the actor may list named ``text`` — exactly if any are, else containing it — as
    (id, label) in tree order, each label led by its parent's name (a county repeats "第一支部")."""
    text = (text or "").strip()
    if not text:
        return []
    readable = list_orgs_query(actor).with_only_columns(Organisation.id, Organisation.name, Organisation.parent_id)
    rows = db.session.execute(readable.where(Organisation.name == text).order_by(Organisation.path).limit(limit)).all()
    if not rows:
        rows = db.session.execute(readable.where(Organisation.name.contains(text, autoescape=True))
                                  .order_by(Organisation.path).limit(limit)).all()
    parent_ids = sorted({row.parent_id for row in rows if row.parent_id is not None})
    parents = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                      .where(Organisation.id.in_(parent_ids))).all()) if parent_ids else {}
    return [(row.id, f"{parents[row.parent_id]} › {row.name}" if row.parent_id in parents else row.name)
            for row in rows]


def org_name(actor: User, org_id: int) -> str | None:
    """The organisation's name, if the actor may list it."""
    return db.session.scalar(list_orgs_query(actor).with_only_columns(Organisation.name)
                             .where(Organisation.id == org_id))


def get_org(actor: User, org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    ids = readable_org_ids(actor)
    if org is None or (ids is not None and org.id not in ids):
        raise NotFound("组织不存在或不在您的权限范围内")
    return org


def update_settings(actor: User, org_id: int, changes: dict) -> OrgSettings:
    """Per-organisation settings (admin, or the organisation's secretary)."""
    org = require_org(actor, org_id, roles=("admin", "secretary"))
    settings = db.session.get(OrgSettings, org.id) or OrgSettings(org_id=org.id)
    before = snapshot(settings, SETTINGS_FIELDS)
    if "warning_days" in changes and not 0 <= int(changes["warning_days"]) <= 60:
        raise Invalid({"warning_days": "预警天数必须在 0 到 60 之间"})
    if "progress_margin" in changes and not 0 <= int(changes["progress_margin"]) <= 100:
        raise Invalid({"progress_margin": "进度偏差必须在 0 到 100 之间"})
    for key in ("evidence_required", "warning_days", "progress_margin"):
        if key in changes:
            setattr(settings, key, changes[key])
    db.session.add(settings)
    db.session.flush()
    record_changes(actor, "settings.changed", before, settings, target_type="org", target_id=org.id, setting="org")
    _refresh_open_items(org.id)
    return settings


def _refresh_open_items(org_id: int) -> None:
    """Lights depend on the warning window: recompute them without touching item versions."""
    from ledger.items.models import Item
    from ledger.items.services import refresh_light

    values = {}
    with db.session.no_autoflush:
        for item in list(db.session.scalars(select(Item).where(Item.org_id == org_id, Item.is_open.is_(True)))):
            refresh_light(item)
            values[item.id] = item.yellow_from
            db.session.expunge(item)  # drop the in-memory change; written below without a version bump
    for item_id, value in values.items():
        db.session.execute(update(Item).where(Item.id == item_id).values(yellow_from=value)
                           .execution_options(synchronize_session=False))


def ensure_default_categories() -> None:
    existing = set(db.session.scalars(select(Category.name)))
    for position, name in enumerate(DEFAULT_CATEGORIES):
        if name not in existing:
            db.session.add(Category(name=name, position=position))


def list_categories(include_inactive: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.position, Category.id)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return list(db.session.scalars(query))


def save_category(actor: User | None, name: str, active: bool = True, position: int | None = None) -> Category:
    """Add a category, or re-activate / deactivate / reorder one by name (admin)."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise Invalid({"name": "类别名称不能为空，且不超过 50 个字符"})
    category = db.session.scalar(select(Category).where(Category.name == name))
    before = snapshot(category, ("name", "active", "position"))
    if category is None:
        last = db.session.scalar(select(Category.position).order_by(Category.position.desc()).limit(1)) or 0
        category = Category(name=name, position=last + 1)
        db.session.add(category)
    category.active = active
    if position is not None:
        category.position = position
    db.session.flush()
    record_changes(actor, "settings.changed", before, category, target_type="category", target_id=category.id,
                   setting="category")
    return category


def subtree_and_total(org_id: int) -> tuple[list[int], int]:
    """The ids of ``org_id``'s subtree (itself included) and how many organisations there are in all, in one
    statement (``auth.scope.subtree_ids``); ``([], 0)`` for an organisation that does not exist. The ids go to
    the lists as values, so the planner knows how much of a table they keep; ids == total means the whole tree."""
    ids, organisations = subtree_ids({org_id})
    return (sorted(ids), organisations) if ids else ([], 0)
