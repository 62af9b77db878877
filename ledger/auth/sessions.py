"""Browser sessions end after an idle time and an absolute time (SPEC §16); times are kept in the session."""
from __future__ import annotations

import hashlib
from collections.abc import MutableMapping

from flask import current_app
from flask.sessions import SecureCookieSessionInterface

from ledger.core import clock

LOGIN_AT, SEEN_AT = "auth_at", "seen_at"
# Last-seen is rewritten at most this often (seconds): not a new cookie on every request.
SEEN_GRAIN = 30


class Sha256SessionInterface(SecureCookieSessionInterface):
    """The session cookie signed with HMAC-SHA-256, not Flask's default SHA-1 (ASVS 11.4.1)."""

    digest_method = staticmethod(hashlib.sha256)


def _now() -> int:
    return int(clock.now().timestamp())


def begin(session: MutableMapping) -> None:
    session[LOGIN_AT] = session[SEEN_AT] = _now()


def expired(session: MutableMapping) -> bool:
    """A session without its times (from before they were kept) counts as expired too."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True
    now = _now()
    idle = int(current_app.config.get("LEDGER_SESSION_IDLE_MINUTES", 30)) * 60
    longest = int(current_app.config.get("LEDGER_SESSION_MAX_HOURS", 12)) * 3600
    return now - seen_at > idle or now - login_at > longest


def touch(session: MutableMapping) -> None:
    now = _now()
    if now - int(session.get(SEEN_AT) or 0) >= SEEN_GRAIN:
        session[SEEN_AT] = now


def end(session: MutableMapping) -> None:
    session.pop(LOGIN_AT, None)
    session.pop(SEEN_AT, None)
