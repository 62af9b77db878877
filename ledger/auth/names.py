"""Usernames compared the same way on every database: NFKC + casefold, in Python (SQLite's lower() folds ASCII only)."""
from __future__ import annotations

import unicodedata


def username_key(username: str | None) -> str:
    """The form logins and lookups compare: "Äbc", "äbc" and "ÄBC" are one user; "ADMİN" folds like "admi̇n".

    NFKC before and after casefold (folding can un-compose characters). Migration 0013 keeps a copy of this."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", (username or "").strip()).casefold())
