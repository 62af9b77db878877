"""Who sees and may act on what (SPEC §1): the one place scope is decided.

A secretary's scope is the organisation itself; a supervisor's is the organisation and its whole
subtree; an owner sees the items they are named on; an admin sees everything.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, exists, false, func, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ledger.auth.models import Membership, User
from ledger.core.db import db
from ledger.core.enums import Role
from ledger.core.errors import NotFound
from ledger.orgs.models import Organisation


@dataclass
class Scope:
    user_id: int | None
    is_admin: bool = False
    secretary_orgs: set[int] = field(default_factory=set)
    supervisor_orgs: set[int] = field(default_factory=set)  # the organisations named, not the subtree
    supervised: set[int] = field(default_factory=set)  # every organisation in a supervised subtree
    member_orgs: set[int] = field(default_factory=set)
    every_org: bool = False  # manages every organisation there is (a supervisor over the whole tree)

    @property
    def managed(self) -> set[int]:
        """Organisations whose records this user may read as secretary or supervisor."""
        return self.secretary_orgs | self.supervised


def _subtree_statement(aggregate):
    """Ids of every organisation under (and including) those given, gathered into one value, and how many
    organisations there are in all: one row, however wide the tree (a province's 3,000 ids as rows cost the
    supervisor's every request more than the rest of it, bench/)."""
    top, every = aliased(Organisation), aliased(Organisation)
    total = select(func.count(every.id)).scalar_subquery()  # uncorrelated: computed once
    return (select(aggregate(Organisation.id), total).join(top, Organisation.path.startswith(top.path))
            .where(top.id.in_(bindparam("ids", expanding=True))))


# built once: constructing them on every request costs more than running them
_SUBTREE = {"postgresql": _subtree_statement(func.array_agg), "sqlite": _subtree_statement(func.group_concat)}


def subtree_ids(org_ids: set[int]) -> tuple[set[int], int]:
    """Every organisation under (and including) ``org_ids`` (path starts with theirs), and how many
    organisations there are in all, in one statement."""
    if not org_ids:
        return set(), 0
    dialect = db.session.get_bind().dialect.name
    ids, organisations = db.session.execute(_SUBTREE[dialect], {"ids": sorted(org_ids)}).one()
    if not ids:
        return set(), organisations
    return (set(ids) if dialect == "postgresql" else {int(i) for i in ids.split(",")}), organisations


def scope_of(user: User | None) -> Scope:
    """The user's scope, computed once per user object per unit of work."""
    if user is None:
        return Scope(user_id=None)
    cached = user.__dict__.get("_ledger_scope")
    if cached is not None:
        return cached
    # The memberships come with the user (lazy="selectin", or joined by the session and token loaders):
    # reading them here costs no second query. They change only through ``user.memberships`` (auth.services).
    rows = [(m.org_id, m.role) for m in user.memberships]
    scope = Scope(user_id=user.id, is_admin=bool(user.is_admin))
    for org_id, role in rows:
        scope.member_orgs.add(org_id)
        if role == Role.secretary.value:
            scope.secretary_orgs.add(org_id)
        elif role == Role.supervisor.value:
            scope.supervisor_orgs.add(org_id)
    scope.supervised, organisations = subtree_ids(scope.supervisor_orgs)
    scope.every_org = bool(scope.supervised) and len(scope.managed) == organisations
    user.__dict__["_ledger_scope"] = scope
    return scope


def forget_scope(user: User) -> None:
    user.__dict__.pop("_ledger_scope", None)


def org_clause(user: User, column) -> ColumnElement[bool]:
    """SQL condition: ``column`` (an org id) is one the user manages."""
    scope = scope_of(user)
    if scope.is_admin or scope.every_org:
        return true()  # an IN list of every organisation (3,000 in a province) only slows the query
    ids = scope.managed
    return column.in_(sorted(ids)) if ids else false()


def item_clauses(user: User) -> list[ColumnElement[bool]]:
    """The items the user may read, as alternatives: an item is readable when any one admits it.

    ``item_clause`` is their OR; the ledger list walks each alternative on its own index instead (bench/).
    """
    from ledger.items.models import Item

    scope = scope_of(user)
    if scope.is_admin or scope.every_org:
        # every item belongs to an organisation: an OR over all of them only misleads the planner
        # (SQLite, a small tree: a MULTI-INDEX OR and a sort of the ledger instead of walking ix_items_due)
        return [true()]
    conditions = [Item.owner_id == user.id, Item.leader_id == user.id]
    if scope.managed:
        conditions.append(Item.org_id.in_(sorted(scope.managed)))
    return conditions


def item_clause(user: User) -> ColumnElement[bool]:
    """SQL condition for the items the user may read."""
    alternatives = item_clauses(user)
    return alternatives[0] if len(alternatives) == 1 else or_(*alternatives)


def relations_to_item(user: User | None, item) -> set[str]:
    """The capacities in which ``user`` stands to ``item``: owner, secretary, supervisor (or system)."""
    if user is None:
        return {"system"}
    scope = scope_of(user)
    relations = set()
    if item.owner_id == user.id:
        relations.add(Role.owner.value)
    if item.org_id in scope.secretary_orgs:
        relations.add(Role.secretary.value)
    if item.org_id in scope.supervised:
        relations.add(Role.supervisor.value)
    return relations


def can_read_item(user: User, item) -> bool:
    scope = scope_of(user)
    return (scope.is_admin or item.org_id in scope.managed
            or user.id in (item.owner_id, item.leader_id))


def require_org(user: User, org_id: int, roles: tuple[str, ...] = ("secretary", "supervisor")) -> Organisation:
    """The organisation, if the user holds one of ``roles`` over it; otherwise NotFound (never its data)."""
    org = db.session.get(Organisation, org_id)
    scope = scope_of(user)
    allowed = scope.is_admin and "admin" in roles
    if org is not None and not allowed:
        allowed = ("secretary" in roles and org.id in scope.secretary_orgs) or (
            "supervisor" in roles and org.id in scope.supervised)
    if org is None or not allowed:
        raise NotFound("组织不存在或不在您的权限范围内")
    return org


def readable_org_ids(user: User) -> set[int] | None:
    """Organisations the user may list (None: all)."""
    scope = scope_of(user)
    if scope.is_admin or scope.every_org:
        return None
    return scope.member_orgs | scope.supervised


def supervisors_over(org: Organisation) -> list[User]:
    """Active users holding a supervisor membership on the organisation or any ancestor."""
    return list(db.session.scalars(
        select(User).join(Membership).where(
            Membership.role == Role.supervisor.value,
            Membership.org_id.in_(org.ancestor_ids()), User.active.is_(True)).distinct()))


def has_supervisor_over(org: Organisation) -> bool:
    """Whether an active supervisor sits on the organisation or an ancestor (no user rows loaded)."""
    return bool(db.session.scalar(select(exists().where(
        Membership.role == Role.supervisor.value, Membership.org_id.in_(org.ancestor_ids()),
        Membership.user_id == User.id, User.active.is_(True)))))


def secretaries_of(org_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership).where(
            Membership.role == Role.secretary.value, Membership.org_id == org_id, User.active.is_(True))))


def _active_holders(role: str) -> dict[int, list[int]]:
    """Organisation id → ids of the active users holding ``role`` there, in one statement."""
    found: dict[int, list[int]] = {}
    for org_id, user_id in db.session.execute(
            select(Membership.org_id, Membership.user_id).join(User, User.id == Membership.user_id)
            .where(Membership.role == role, User.active.is_(True)).order_by(Membership.org_id, Membership.user_id)):
        found.setdefault(org_id, []).append(user_id)
    return found


class RoleHolders:
    """``secretaries_of`` and ``supervisors_over`` for jobs that ask about thousands of organisations: every
    active secretary and supervisor membership read once (two statements), the same rules answered in
    memory, as user ids."""

    def __init__(self) -> None:
        self._secretaries = _active_holders(Role.secretary.value)
        self._supervising = _active_holders(Role.supervisor.value)
        self._over: dict[int, list[int]] = {}

    def user_ids(self) -> set[int]:
        """Everyone holding either role anywhere."""
        return {uid for ids in (*self._secretaries.values(), *self._supervising.values()) for uid in ids}

    def secretaries_of(self, org_id: int) -> list[int]:
        return self._secretaries.get(org_id, [])

    def supervisors_over(self, org: Organisation) -> list[int]:
        """Active supervisors on the organisation or any ancestor."""
        if org.id not in self._over:
            ids = dict.fromkeys(uid for anc in org.ancestor_ids() for uid in self._supervising.get(anc, []))
            self._over[org.id] = list(ids)
        return self._over[org.id]
