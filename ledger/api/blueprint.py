"""The /api/v1 blueprint: authentication, JSON errors, the OpenAPI document."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ledger.core.errors import LedgerError, Unauthorized

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "too_many_requests"}


def error_response(status: int, code: str, message: str, details: dict | None = None) -> ResponseReturnValue:
    return jsonify({"error": {"code": code, "message": message, "details": details or {}}}), status


@bp.before_request
def authenticate() -> None:
    """Bearer token if one is sent (a bad one is a 401, never a fall back to the cookie); else the session."""
    from ledger.auth.services import user_for_token
    from ledger.extensions import csrf

    view = bp_view_function()
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Authorization 头必须是 Bearer <token>")
        g.actor = user_for_token(raw.strip())
        return None
    if current_user.is_authenticated:
        g.actor = current_user._get_current_object()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # a cookie-authenticated write must carry the CSRF token (X-CSRFToken)
        return None
    g.actor = None
    if not getattr(view, "public", False):
        raise Unauthorized("请先登录或提供令牌")
    return None


@bp.before_request
def parse_query() -> None:
    """The operation's declared query parameters (ledger.api.params), parsed and bounded before the view
    runs (after authentication: a caller without a login learns nothing from a 422)."""
    from ledger.api.registry import BY_ENDPOINT

    op = BY_ENDPOINT.get(request.endpoint or "")
    g.query = {} if op is None else {name: param.read(request.args) for name, param in op.query.items()}


def bp_view_function() -> Callable | None:
    from flask import current_app

    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


@bp.after_request
def no_type_without_content(response):  # noqa: ANN001, ANN201
    """A 204 has no content, so no Content-Type (Flask would say text/html)."""
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response


@bp.errorhandler(LedgerError)
def domain_error(exc: LedgerError) -> ResponseReturnValue:
    return error_response(exc.status, exc.code, exc.message, exc.details)


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> ResponseReturnValue:
    return error_response(400, "csrf", "缺少或无效的 CSRF 令牌（会话认证的写请求须带 X-CSRFToken 头）")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    return error_response(413, "too_large", "请求体超过大小限制")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    body, status = error_response(status, HTTP_CODES.get(status, "error"), exc.description or exc.name)
    # A 405 names the methods the path takes (RFC 9110 §15.5.6), as Flask's own answer does.
    allow = getattr(exc, "valid_methods", None)
    return body, status, {"Allow": ", ".join(sorted(allow))} if allow else {}


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def routing_error(exc: HTTPException) -> ResponseReturnValue:
    """An unknown path or method under /api/v1 never reaches the blueprint: answer it in the §8 shape too."""
    if request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/"):
        return http_error(exc)
    return exc  # elsewhere: Flask's own page


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    from ledger.api.registry import build_openapi

    return jsonify(build_openapi("/api/v1"))


openapi.public = True
