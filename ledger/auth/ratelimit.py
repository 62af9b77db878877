"""Login attempts limited per account and per address, checked before any password hashing.

The account is keyed on the username exactly as the view will read it — the same parse, shared — so no
Content-Type makes the limiter see one name and the view another (a text/plain JSON body once did)."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

from ledger.auth.names import username_key
from ledger.extensions import limiter

MESSAGE = "登录尝试过于频繁，请稍后再试"


def form_username() -> str | None:
    """The username the login form reads: Flask-WTF takes form fields, else a JSON body (see its wrap_formdata)."""
    if request.form:
        return request.form.get("username")
    if request.is_json:
        body = request.get_json(silent=True)
        return body.get("username") if isinstance(body, dict) else None
    return None


def _failed(response) -> bool:
    """Only refused logins count against the account (a page re-shown with errors, or a 401)."""
    return response.status_code in (401, 422) or getattr(response, "login_failed", False)


def _account_key(username_of: Callable[[], str | None]) -> Callable[[], str]:
    def key() -> str:
        try:
            username = username_of()
        except Exception:  # a body the view will refuse anyway: no account to charge but the empty one
            username = None
        return "account:" + username_key(username if isinstance(username, str) else "")
    return key


def address_limit(view: Callable) -> Callable:
    return limiter.shared_limit(lambda: current_app.config["LEDGER_LOGIN_LIMIT_ADDRESS"], scope="login-address",
                                methods=["POST"], error_message=MESSAGE)(view)


def login_limits(username_of: Callable[[], str | None] = form_username) -> Callable[[Callable], Callable]:
    """Shared scopes: the login form and POST /api/v1/tokens spend one budget per account and per address."""
    def decorate(view: Callable) -> Callable:
        view = limiter.shared_limit(lambda: current_app.config["LEDGER_LOGIN_LIMIT_ACCOUNT"], scope="login-account",
                                    key_func=_account_key(username_of), deduct_when=_failed, methods=["POST"],
                                    error_message=MESSAGE)(view)
        return address_limit(view)
    return decorate
