"""Users, memberships, passwords, sessions and API tokens."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, lazyload

from ledger.auth.models import ApiToken, Membership, User
from ledger.auth.passwords import hash_password, needs_rehash, verify_password
from ledger.auth.scope import forget_scope, scope_of
from ledger.core.db import db
from ledger.core.enums import Role
from ledger.core.errors import Forbidden, Invalid, NotFound, Unauthorized
from ledger.orgs.models import Organisation

MIN_PASSWORD_LENGTH = 8


def _new_session_token() -> str:
    return secrets.token_hex(16)


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid({"password": f"密码至少 {MIN_PASSWORD_LENGTH} 位"})


def _validate_memberships(memberships: list[dict]) -> list[tuple[int, str]]:
    pairs, problems = [], {}
    for index, membership in enumerate(memberships):
        role, org_id = membership.get("role"), membership.get("org_id")
        if role not in (Role.secretary.value, Role.owner.value, Role.supervisor.value):
            problems[f"memberships[{index}].role"] = "角色必须是 secretary、owner 或 supervisor"
        elif org_id is None or db.session.get(Organisation, org_id) is None:
            problems[f"memberships[{index}].org_id"] = "组织不存在"
        else:
            pairs.append((org_id, role))
    if problems:
        raise Invalid(problems)
    return sorted(set(pairs))


def create_user(actor: User | None, username: str, password: str, display_name: str = "",
                email: str | None = None, memberships: list[dict] | None = None, is_admin: bool = False) -> User:
    """Create a user (an admin's act; ``actor`` None is the command line)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("只有管理员可以创建用户")
    username = (username or "").strip()
    if not username or len(username) > 80:
        raise Invalid({"username": "用户名不能为空，且不超过 80 个字符"})
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Invalid({"username": "用户名已存在"})
    if email is not None and email and "@" not in email:
        raise Invalid({"email": "邮箱格式不正确"})
    validate_password(password)
    user = User(username=username, display_name=display_name or username, email=email or None,
                password_hash=hash_password(password), session_token=_new_session_token(), is_admin=is_admin)
    for org_id, role in _validate_memberships(memberships or []):
        user.memberships.append(Membership(org_id=org_id, role=role))
    db.session.add(user)
    db.session.flush()
    return user


def update_user(actor: User, user_id: int, changes: dict) -> User:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以修改用户")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    for key in ("display_name", "email"):
        if key in changes:
            setattr(user, key, changes[key] or (None if key == "email" else ""))
    if "memberships" in changes:
        wanted = _validate_memberships(changes["memberships"])
        user.memberships.clear()
        db.session.flush()
        for org_id, role in wanted:
            user.memberships.append(Membership(org_id=org_id, role=role))
        forget_scope(user)
    if "is_admin" in changes:
        user.is_admin = bool(changes["is_admin"])
    if "active" in changes and bool(changes["active"]) != user.active:
        user.active = bool(changes["active"])
        revoke_sessions(user)
    if changes.get("password"):
        validate_password(changes["password"])
        user.password_hash = hash_password(changes["password"])
        revoke_sessions(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work whether the name exists or not)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def revoke_sessions(user: User) -> None:
    """Make every earlier session cookie and API token of this user useless."""
    user.session_token = _new_session_token()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise Invalid({"current_password": "当前密码不正确"})
    validate_password(new)
    user.password_hash = hash_password(new)
    revoke_sessions(user)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>:<session token>"`` — a rotated token no longer matches."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    # One statement for the user and the memberships its scope is made of (not a second selectin).
    user = db.session.scalars(select(User).where(User.id == int(user_id))
                              .options(joinedload(User.memberships))).unique().first()
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    raw = "lt_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(raw), session_token=user.session_token,
                            name=name))
    db.session.flush()
    return raw


def user_for_token(raw: str) -> User:
    """The user behind a bearer token; any problem is Unauthorized (never a fallback to the cookie)."""
    # The token, its user and the user's memberships (the scope) in one statement.
    token = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw or ""))
                               .options(joinedload(ApiToken.user).joinedload(User.memberships))).unique().first()
    if token is None:
        raise Unauthorized("令牌无效")
    user = token.user
    if not user.active or not secrets.compare_digest(token.session_token, user.session_token):
        raise Unauthorized("令牌已失效，请重新获取")
    return user


def get_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_see_user(actor, user):
        raise NotFound("用户不存在或不在您的权限范围内")
    return user


def can_see_user(actor: User, user: User) -> bool:
    if actor.is_admin or actor.id == user.id:
        return True
    orgs = scope_of(actor).managed
    return any(m.org_id in orgs for m in user.memberships)


def users_query(actor: User) -> Select:
    """Users the actor may list: admins all; others the members of organisations they manage."""
    query = select(User)
    if actor.is_admin:
        return query
    orgs = scope_of(actor).managed
    visible = select(Membership.user_id).where(Membership.org_id.in_(sorted(orgs)))
    return query.where((User.id == actor.id) | User.id.in_(visible))


def visible_user(actor: User, user_id: int) -> User | None:
    """The user if the actor may list them (``users_query``), else None; their memberships are not loaded."""
    return db.session.scalars(users_query(actor).where(User.id == user_id)
                              .options(lazyload(User.memberships))).first()


def find_user(actor: User, text: str, field: str = "user") -> User:
    """The user ``text`` names among those the actor may list: a username (any case), else a display name
    that only one of them has. Unknown, out of scope or ambiguous: Invalid on ``field``, in one statement."""
    text = (text or "").strip()
    matches = db.session.scalars(
        users_query(actor).where(or_(func.lower(User.username) == text.lower(), User.display_name == text))
        .options(lazyload(User.memberships)).order_by(User.username).limit(6)).all()
    exact = [u for u in matches if u.username.lower() == text.lower()]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Invalid({field: "找不到该用户，或不在您的权限范围内"})
    raise Invalid({field: "有多位同名用户，请输入用户名：" + "、".join(u.username for u in matches[:5])})


__all__ = ["create_user", "update_user", "authenticate", "revoke_sessions", "change_password",
           "load_session_user", "issue_token", "user_for_token", "get_user", "users_query", "visible_user", "find_user"]
