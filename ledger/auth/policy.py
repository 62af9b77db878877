"""The password policy (SPEC §16): at least 8 characters, not a common password, not containing the username.

The common passwords are zxcvbn's list (the 30,000 most frequent in leaked sets, shipped in the package), not a
list typed here."""
from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l

from ledger.auth.names import username_key
from ledger.core.errors import Invalid

MIN_PASSWORD_LENGTH = 8
# A username shorter than this is not looked for inside the password (two or three letters occur in any phrase).
MIN_NAME_IN_PASSWORD = 4
PASSWORD_RULE = _l("至少 8 位；不能是常见密码（如 password1、12345678）；不能包含用户名。")


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str | None, username: str | None = None) -> str | None:
    """Why ``password`` is refused, or None."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    folded = username_key(password)
    if folded in _common_passwords() or password.lower() in _common_passwords():
        return "这是常见密码，很容易被猜中，请换一个"
    name = username_key(username)
    if len(name) >= MIN_NAME_IN_PASSWORD and name in folded:
        return "密码不能包含用户名"
    return None


def validate_password(password: str | None, username: str | None = None, field: str = "password") -> None:
    problem = password_problem(password, username)
    if problem:
        raise Invalid({field: problem})
