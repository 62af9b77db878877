"""Login attempts limited per account and per address, checked before any password hashing."""
from __future__ import annotations

import json
from collections.abc import Callable

from flask import current_app, request

from ledger.extensions import limiter


def _account_key() -> str:
    username = request.form.get("username")
    if username is None and request.is_json:
        try:
            username = (json.loads(request.get_data(cache=True) or b"{}") or {}).get("username")
        except (ValueError, AttributeError):
            username = None
    return "account:" + str(username or "").strip().lower()


def _failed(response) -> bool:
    """Only refused logins count against the account (a page re-shown with errors, or a 401)."""
    return response.status_code in (401, 422) or getattr(response, "login_failed", False)


def login_limits(view: Callable) -> Callable:
    # Shared scopes: the login form and POST /api/v1/tokens spend one budget per account and per address.
    view = limiter.shared_limit(lambda: current_app.config["LEDGER_LOGIN_LIMIT_ACCOUNT"], scope="login-account",
                                key_func=_account_key, deduct_when=_failed, methods=["POST"],
                                error_message="登录尝试过于频繁，请稍后再试")(view)
    view = limiter.shared_limit(lambda: current_app.config["LEDGER_LOGIN_LIMIT_ADDRESS"], scope="login-address",
                                methods=["POST"], error_message="登录尝试过于频繁，请稍后再试")(view)
    return view
