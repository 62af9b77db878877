"""The fuzzer's world: the demo data (so ids exist), a user per role with a bearer token issued through the
service (no login, so no login limit or lockout is involved), and the ids that exist, to steer generated ids
towards real rows."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text

from ledger.auth.models import User
from ledger.auth.services import create_user, issue_token
from ledger.core.db import db
from ledger.demo import load_demo

# Fuzzed roles: each is the demo user of that name; anonymous sends no credentials.
BASE_ROLES = ("admin", "secretary", "owner", "supervisor", "anonymous")
# Roles that exist once the model has their flag (三员分立): a user of their own with only that flag.
FLAG_ROLES = {"auditor": "is_auditor", "security_admin": "is_security_admin"}

# Which table a parameter or top-level body field names the id of.
ID_TABLES = {"item_id": "items", "attachment_id": "attachments", "notice_id": "notices",
             "objection_id": "objections", "opinion_id": "opinions", "org_id": "organisations",
             "review_id": "reviews", "survey_id": "surveys", "user_id": "users", "warning_id": "warnings",
             "owner_id": "users", "leader_id": "users", "token_id": "api_tokens"}


def roles() -> list[str]:
    return list(BASE_ROLES) + [role for role, flag in FLAG_ROLES.items() if hasattr(User, flag)]


@dataclass
class Actor:
    role: str
    user_id: int | None
    token: str | None
    client: object = None  # the test client the requests go through

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def build(role: str) -> Actor:
    """Load the demo and sign ``role`` in; answers the actor to fuzz as."""
    load_demo()
    db.session.commit()
    if role == "anonymous":
        return Actor(role, None, None)
    if role in FLAG_ROLES:
        user = create_user(None, f"fuzz_{role}", "Fuzz-pass-2026!", role, f"{role}@example.org",
                           **{FLAG_ROLES[role]: True})
    else:
        user = db.session.scalar(select(User).where(User.username == role))
    actor = Actor(role, user.id, issue_token(user, "fuzz"))
    db.session.commit()
    return actor


def ensure_signed_in(actor: Actor) -> bool:
    """Give the actor a working token again if a fuzzed request ended it (deactivated, password changed,
    token revoked — correct behaviour, but the rest of the run would see only 401s). True when it had to."""
    if actor.token is None:
        return False
    from ledger.auth.services import user_for_token
    from ledger.core.errors import LedgerError

    db.session.rollback()
    try:
        user_for_token(actor.token)
        return False
    except LedgerError:
        db.session.rollback()
    user = db.session.get(User, actor.user_id)
    user.active = True
    actor.token = issue_token(user, "fuzz")
    db.session.commit()
    return True


def known_ids(actor: Actor) -> dict[str, list[int]]:
    """Existing ids per parameter name. The actor's own user id is left out: an admin who deactivates or
    re-passwords themself ends the run's session (which is right, and tested elsewhere)."""
    db.session.rollback()
    found: dict[str, list[int]] = {}
    for name, table in ID_TABLES.items():
        try:
            ids = list(db.session.scalars(text(f"SELECT id FROM {table} ORDER BY id")))
        except Exception:  # a table a later migration adds
            db.session.rollback()
            continue
        if table == "users":
            ids = [i for i in ids if i != actor.user_id]
        if ids:
            found[name] = ids
    return found
