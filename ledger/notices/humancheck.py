"""A simple human check for the public objection form: a small sum whose answer is signed into the form
as a keyed hash (not readable from the token). Nothing external is called; a token is good for one
notice and one hour; the rate limit keeps guessing pointless."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_AGE = 3600


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ledger.notices.objection-check")


def _digest(notice_id: int, nonce: str, answer: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{notice_id}:{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()[:24]


def challenge(notice_id: int) -> tuple[str, str]:
    """(question, token): "3 + 4 = ?" and the signed, hashed answer."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_hex(8)
    return f"{a} + {b} = ?", _signer().dumps({"n": notice_id, "r": nonce, "h": _digest(notice_id, nonce, a + b)})


def passed(token: str | None, answer: str | None, notice_id: int) -> bool:
    try:
        data = _signer().loads(token or "", max_age=MAX_AGE)
        value = int((answer or "").strip())
    except (BadSignature, ValueError):
        return False
    if not isinstance(data, dict) or data.get("n") != notice_id:
        return False
    return hmac.compare_digest(str(data.get("h", "")), _digest(notice_id, str(data.get("r", "")), value))
