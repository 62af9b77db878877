"""Users, memberships, passwords, sessions and API tokens."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload, lazyload

from ledger.audit import duties
from ledger.auth import second_factor
from ledger.auth.models import ApiToken, Membership, User
from ledger.auth.names import username_key
from ledger.auth.passwords import hash_password, needs_rehash, verify_password
from ledger.auth.policy import MIN_PASSWORD_LENGTH, validate_password
from ledger.auth.scope import forget_scope, scope_of
from ledger.core import clock
from ledger.core.contacts import user_email
from ledger.core.db import db, separate_write, write_intent
from ledger.core.enums import Role
from ledger.core.errors import Forbidden, Invalid, NotFound, Unauthorized
from ledger.orgs.models import Organisation

log = logging.getLogger(__name__)
# A token's last use is written at most this often (a read-only request should rarely write).
LAST_USED_GRAIN = timedelta(hours=1)


def _new_session_token() -> str:
    return secrets.token_hex(16)


def _audit(actor: User | None, action: str, target: User | None = None, **details) -> None:
    from ledger.audit.services import record_audit

    record_audit(actor, action, target_type="user" if target is not None else None,
                 target_id=target.id if target is not None else None, details=details or None)


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def user_by_name(username: str | None) -> User | None:
    """The user with this username, compared as usernames are (NFKC + casefold), active or not."""
    key = username_key(username)
    if not key:
        return None
    return db.session.scalar(select(User).where(User.username_key == key))


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
                email: str | None = None, memberships: list[dict] | None = None, is_admin: bool = False,
                is_auditor: bool = False, is_security_admin: bool = False) -> User:
    """Create a user (an admin's act, the security admin's under 三员分立; ``actor`` None is the command line)."""
    if actor is not None and not duties.may_manage_users(actor):
        raise Forbidden("只有管理员可以创建用户")
    duties.check_roles({"admin": is_admin, "auditor": is_auditor, "security_admin": is_security_admin},
                       memberships or [])
    username = (username or "").strip()
    if not username or len(username) > 80:
        raise Invalid({"username": "用户名不能为空，且不超过 80 个字符"})
    if user_by_name(username) is not None:
        raise Invalid({"username": "用户名已存在（不区分大小写）"})
    email = user_email(email)  # one valid address or none (issue 14, finding 2)
    validate_password(password, username)
    user = User(username=username, username_key=username_key(username), display_name=display_name or username,
                email=email or None,
                password_hash=hash_password(password), session_token=_new_session_token(), is_admin=is_admin,
                is_auditor=is_auditor, is_security_admin=is_security_admin)
    for org_id, role in _validate_memberships(memberships or []):
        user.memberships.append(Membership(org_id=org_id, role=role))
    db.session.add(user)
    db.session.flush()
    _audit(actor, "user.created", user, username=user.username, roles=duties.system_roles(user),
           memberships=[[m.org_id, m.role] for m in user.memberships])
    return user


def update_user(actor: User, user_id: int, changes: dict) -> User:
    if not duties.may_manage_users(actor):
        raise Forbidden("只有管理员可以修改用户")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    from ledger.audit.changes import audit_user_changes

    with audit_user_changes(actor, user, changes):
        _apply_user_changes(user, changes)
    return user


def _apply_user_changes(user: User, changes: dict) -> None:
    if "email" in changes:
        changes = {**changes, "email": user_email(changes["email"])}
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
    for flag in duties.FLAGS.values():
        if flag in changes and changes[flag] is not None:
            setattr(user, flag, bool(changes[flag]))
    duties.check_roles(duties.roles_of(user), user.memberships)
    if "active" in changes and bool(changes["active"]) != user.active:
        user.active = bool(changes["active"])
        revoke_sessions(user)
    if changes.get("password"):
        validate_password(changes["password"], user.username)
        user.password_hash = hash_password(changes["password"])
        revoke_sessions(user)
    db.session.flush()


def authenticate(username: str, password: str) -> User | None:
    """The active, unlocked user with these credentials, or None — the same answer and the same work whether
    the name is unknown, the password wrong or the account locked. A refusing caller counts the failure
    (``count_failure_after_rollback``); the count is reset only by ``login_succeeded``, after any second factor."""
    user = user_by_name(username)
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or is_locked(user) or not ok or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def is_locked(user: User) -> bool:
    return user.locked_until is not None and clock.as_utc(user.locked_until) > clock.now()


def login_failed(user: User) -> None:
    """One more consecutive failure (password or second factor); at the threshold the account locks."""
    if is_locked(user):
        return
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= _setting("LEDGER_LOCKOUT_THRESHOLD", 5):
        minutes = _setting("LEDGER_LOCKOUT_MINUTES", 15)
        user.locked_until = clock.now() + timedelta(minutes=minutes)
        user.failed_logins = 0
        _audit(None, "auth.locked", user, minutes=minutes)
    db.session.flush()


def count_failure_after_rollback(username: str | None) -> None:
    """Count a refused login once the request has answered: a refusal rolls its own transaction back, and the
    failure must outlive it (auth.views writes these after every request)."""
    from flask import g

    g.setdefault("failed_logins", []).append(username or "")
    _audit(None, "auth.login_failed", username=(username or "")[:200])  # never the password


def write_failures(usernames: list[str]) -> None:
    """The failures of a finished request, in a write transaction of their own."""
    with separate_write():
        for name in usernames:
            user = user_by_name(name)
            if user is not None:
                login_failed(user)


def login_succeeded(user: User) -> None:
    _audit(user, "auth.login", user)
    user.failed_logins = 0
    user.locked_until = None


def unlock_user(actor: User, user_id: int) -> User:
    """An admin lifts a lockout before it runs out."""
    user = _managed_user(actor, user_id)
    if user.locked_until is not None or user.failed_logins:
        user.locked_until, user.failed_logins = None, 0
        _audit(actor, "auth.unlocked", user)
    db.session.flush()
    return user


def reset_second_factor(actor: User, user_id: int) -> User:
    """An admin turns a user's second factor off (a lost phone); the user enrols again if required to."""
    user = _managed_user(actor, user_id)
    second_factor.clear(user)
    revoke_sessions(user)
    _audit(actor, "auth.totp_reset", user)
    return user


def end_sessions(actor: User, user_id: int) -> User:
    """An admin ends every session cookie and API token of a user (ASVS 7.4.5)."""
    user = _managed_user(actor, user_id)
    revoke_sessions(user)
    _audit(actor, "auth.sessions_ended", user)
    return user


def _managed_user(actor: User, user_id: int) -> User:
    if not duties.may_manage_users(actor):
        raise Forbidden("只有管理员可以这样做")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user


def disable_second_factor(user: User, password: str, code: str) -> None:
    """The user turns their own factor off, proving both the password and the factor."""
    _prove(user, password, code)
    second_factor.clear(user)
    revoke_sessions(user)  # a factor change ends the other sessions (ASVS 7.4.3)
    _audit(user, "auth.totp_disabled", user)


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    _prove(user, password, code)
    codes = second_factor.new_recovery_codes(user)
    revoke_sessions(user)  # new codes are a factor change too (ASVS 7.4.3)
    _audit(user, "auth.recovery_codes_regenerated", user)
    return codes


def _prove(user: User, password: str, code: str) -> None:
    if not user.totp_enabled:
        raise Invalid({"code": "尚未启用两步验证"})
    if not verify_password(user.password_hash, password or ""):
        raise Invalid({"password": "密码不正确"})
    if not second_factor.check_second_factor(user, code):
        raise Invalid({"code": "验证码不正确或已使用过"})


def revoke_sessions(user: User) -> None:
    """Make every earlier session cookie and API token of this user useless."""
    user.session_token = _new_session_token()


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise Invalid({"current_password": "当前密码不正确"})
    validate_password(new, user.username, field="new_password")
    user.password_hash = hash_password(new)
    revoke_sessions(user)
    _audit(user, "auth.password_changed", user)


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
    expires_at = clock.now() + timedelta(days=_setting("LEDGER_TOKEN_DAYS", 90))
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(raw), session_token=user.session_token,
                            name=name, expires_at=expires_at))
    db.session.flush()
    _audit(user, "token.issued", user, name=name, expires_at=expires_at.isoformat())
    return raw


def tokens_query(user: User) -> Select:
    """The user's own tokens that still work (not expired, not revoked by a logout or password change)."""
    return select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.session_token == user.session_token,
                                  ApiToken.expires_at > clock.now())


def revoke_token(actor: User, token_id: int) -> None:
    """The owner revokes one of their tokens; another user's token is not found (never forbidden)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound("令牌不存在")
    _audit(actor, "token.revoked", actor, token_id=token.id, name=token.name)
    db.session.delete(token)
    db.session.flush()


def _note_use(token: ApiToken) -> None:
    """Record the token's last use, at most hourly. A read-only request writes it through its own short
    transaction (on SQLite the request's read transaction must not turn into a write)."""
    now = clock.now()
    last = clock.as_utc(token.last_used_at)
    if last is not None and now - last < LAST_USED_GRAIN:
        return
    if write_intent.get():
        token.last_used_at = now
        return
    try:
        with db.engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    except OperationalError:  # busy: the next use records it
        log.info("token %s: last use not recorded (database busy)", token.id)


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
    if clock.as_utc(token.expires_at) <= clock.now():
        raise Unauthorized("令牌已过期，请重新获取")
    if second_factor.must_enrol(user):
        raise Unauthorized("须先在网页上启用两步验证")
    _note_use(token)
    return user


def get_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_see_user(actor, user):
        raise NotFound("用户不存在或不在您的权限范围内")
    return user


def can_see_user(actor: User, user: User) -> bool:
    if duties.may_see_all_users(actor) or actor.id == user.id:
        return True
    orgs = scope_of(actor).managed
    return any(m.org_id in orgs for m in user.memberships)


def users_query(actor: User) -> Select:
    """Users the actor may list: admins all; others the members of organisations they manage."""
    query = select(User)
    if duties.may_see_all_users(actor):  # the admin, and the security admin who manages them
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
        users_query(actor).where(or_(User.username_key == username_key(text), User.display_name == text))
        .options(lazyload(User.memberships)).order_by(User.username).limit(6)).all()
    exact = [u for u in matches if u.username_key == username_key(text)]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Invalid({field: "找不到该用户，或不在您的权限范围内"})
    raise Invalid({field: "有多位同名用户，请输入用户名：" + "、".join(u.username for u in matches[:5])})


__all__ = ["create_user", "update_user", "authenticate", "revoke_sessions", "change_password",
           "load_session_user", "issue_token", "user_for_token", "get_user", "users_query", "visible_user", "find_user",
           "user_by_name", "login_failed", "count_failure_after_rollback", "write_failures",
           "login_succeeded", "is_locked", "unlock_user", "reset_second_factor",
           "disable_second_factor", "regenerate_recovery_codes", "tokens_query", "revoke_token",
           "validate_password", "MIN_PASSWORD_LENGTH"]
