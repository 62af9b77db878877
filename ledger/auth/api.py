"""API: tokens and users."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, g, request
from pydantic import Field

from ledger.api.blueprint import bp
from ledger.api.common import Body, Id, Line, Out, actor, cursor_arg, limit_arg, many, one, parse_body
from ledger.api.params import PAGED
from ledger.api.registry import api_route
from ledger.auth import services
from ledger.auth.models import User
from ledger.auth.ratelimit import login_limits
from ledger.auth.second_factor import check_second_factor, must_enrol
from ledger.core.errors import Forbidden, LedgerError, Unauthorized
from ledger.core.pagination import page_by_id


class TokenRequest(Body):
    """Credentials for a token. ``otp`` is required when the user has a second factor: the 6-digit code of
    their authenticator app (each code is accepted once) or one of their recovery codes."""

    username: Line = Field(max_length=80)
    password: str = Field(max_length=200)
    otp: str | None = Field(default=None, max_length=40,
                            description="the current TOTP code (or a recovery code) of a user with a second factor")
    name: str | None = Field(default=None, max_length=100)


class TokenOut(Out):
    token: str


class TokenInfoOut(Out):
    """One of the caller's tokens (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


def token_request() -> TokenRequest:
    """The request's body, parsed once: the login limiter keys the account on the same parse the view uses."""
    if "token_request" not in g:
        try:
            g.token_request = parse_body(TokenRequest)
        except LedgerError as exc:
            g.token_request = exc
    if isinstance(g.token_request, LedgerError):
        raise g.token_request
    return g.token_request


def _token_username() -> str | None:
    """The account a token request charges: the parsed body's username; a body that is not JSON (the view
    refuses it) charges the account its form fields name, so the answer there is a 429 too."""
    try:
        return token_request().username
    except LedgerError:
        return request.form.get("username")


class MembershipIn(Body):
    org_id: Id
    role: str


class MembershipOut(Out):
    org_id: int | None
    role: str


class UserOut(Out):
    id: int
    username: str
    display_name: str
    email: str | None
    active: bool
    is_admin: bool
    is_security_admin: bool
    is_auditor: bool
    memberships: list[MembershipOut]


class UserCreate(Body):
    username: Line = Field(max_length=80)
    password: str = Field(max_length=200)
    display_name: Line = Field(default="", max_length=100)
    email: Line | None = Field(default=None, max_length=200)
    is_admin: bool = False
    is_security_admin: bool = False
    is_auditor: bool = False
    memberships: list[MembershipIn] = []


class UserUpdate(Body):
    display_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    active: bool | None = None
    is_admin: bool | None = None
    is_security_admin: bool | None = None
    is_auditor: bool | None = None
    password: str | None = Field(default=None, max_length=200)
    memberships: list[MembershipIn] | None = None


def _user_out(user: User) -> dict:
    memberships = [{"org_id": m.org_id, "role": m.role} for m in user.memberships]
    if user.is_admin:
        memberships.append({"org_id": None, "role": "admin"})
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "email": user.email,
            "active": user.active, "is_admin": user.is_admin, "is_security_admin": user.is_security_admin,
            "is_auditor": user.is_auditor, "memberships": memberships}


@api_route(bp, "/tokens", "POST", body=TokenRequest, response=TokenOut, status=201, public=True,
           summary="Exchange a username and password for a bearer token")
@login_limits(_token_username)
def create_token():
    body = token_request()
    user = services.authenticate(body.username, body.password)
    if user is not None and user.totp_enabled and not check_second_factor(user, body.otp):
        user = None
    if user is None:
        # The same answer for an unknown name, a wrong password or code, and a locked account.
        services.count_failure_after_rollback(body.username)
        raise Unauthorized("用户名、密码或验证码不正确")
    if must_enrol(user):
        raise Forbidden("须先在网页上启用两步验证，才能获取令牌")
    services.login_succeeded(user)
    return one(TokenOut, {"token": services.issue_token(user, body.name or "api")}, 201)


@api_route(bp, "/tokens", "GET", list_of=TokenInfoOut, query=PAGED)
def list_tokens():
    """The caller's own API tokens that still work (newest first)."""
    from ledger.auth.models import ApiToken

    page = page_by_id(services.tokens_query(actor()), ApiToken, limit_arg(), cursor_arg(), descending=True)
    return many(TokenInfoOut, page)


@api_route(bp, "/tokens/<int:token_id>", "DELETE", status=204)
def revoke_token(token_id: int):
    """Revoke one of the caller's tokens (another user's token: 404)."""
    services.revoke_token(actor(), token_id)
    return "", 204


@api_route(bp, "/users", "GET", list_of=UserOut, query=PAGED)
def list_users():
    """Users the caller may see."""
    from ledger.auth.models import User

    page = page_by_id(services.users_query(actor()), User, limit_arg(), cursor_arg())
    page.rows = [_user_out(u) for u in page.rows]
    return many(UserOut, page)


@api_route(bp, "/users/me", "GET", response=UserOut)
def me():
    """The caller."""
    return one(UserOut, _user_out(actor()))


@api_route(bp, "/users/<int:user_id>", "GET", response=UserOut)
def get_user(user_id: int):
    """One user."""
    return one(UserOut, _user_out(services.get_user(actor(), user_id)))


@api_route(bp, "/users", "POST", body=UserCreate, response=UserOut, status=201)
def create_user():
    """Create a user (admin)."""
    body = parse_body(UserCreate)
    user = services.create_user(actor(), body.username, body.password, body.display_name, body.email,
                                [m.model_dump() for m in body.memberships], body.is_admin,
                                is_auditor=body.is_auditor, is_security_admin=body.is_security_admin)
    return one(UserOut, _user_out(user), 201)


@api_route(bp, "/users/<int:user_id>", "PATCH", body=UserUpdate, response=UserOut)
def update_user(user_id: int):
    """Change a user: details, memberships, active, password (admin)."""
    body = parse_body(UserUpdate)
    changes = body.model_dump(exclude_unset=True)
    for key in ("memberships", "active", "password"):  # null leaves these as they are (as it does the flags)
        if key in changes and changes[key] is None:
            del changes[key]
    if "memberships" in changes:
        changes["memberships"] = [dict(m) for m in changes["memberships"]]
    return one(UserOut, _user_out(services.update_user(actor(), user_id, changes)))


__all__ = ["current_app", "request"]
