"""Headers that tell the browser how to treat our answers: CSP, HSTS, caching, and the cookies' names.

The pages carry no inline script, no ``on*=`` handler and no ``style=`` attribute (what scripts need comes
in ``data-*`` attributes; ledger/static/*.js reads it), so the policy allows scripts and styles from this
origin only. Bootstrap's CSS draws its icons (the menu toggler, select arrows, check marks) as ``data:``
SVG images, hence ``img-src 'self' data:``; its JavaScript sets styles through the CSSOM, which CSP allows.
No page uses ``<base>``, so ``base-uri 'none'`` (ASVS 5.0 3.4.3)."""
from __future__ import annotations

from flask import Flask, Response, g, request, session

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HSTS = "max-age=31536000; includeSubDomains"
# Documents a browser renders: the policy goes on these (a JSON answer or a download runs nothing).
POLICED_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml",
                 "application/atom+xml")
# Static files are the same for everyone: they stay cacheable even for a signed-in user.
STATIC_ENDPOINTS = ("static", "bootstrap.static")
# Pages that take a password (or a second factor) are never stored, signed in or not.
SIGN_IN_BLUEPRINTS = ("auth",)
TOKEN_PATH = "/api/v1/tokens"
# After logout the browser drops what it kept of the signed-in pages (honoured over HTTPS and on localhost).
LOGOUT_ENDPOINT = "auth.logout"
CLEAR_SITE_DATA = '"cache", "storage"'


def configure(app: Flask) -> None:
    """Cookie names for production: ``__Host-`` makes the browser insist on Secure, Path=/ and no Domain,
    so no sibling host or plain-HTTP page can plant or overwrite the session. A name set explicitly wins."""
    if app.config.get("LEDGER_ENV") != "production":
        return
    if app.config.get("SESSION_COOKIE_NAME", "session") == "session":
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    if app.config.get("REMEMBER_COOKIE_NAME", "remember_token") == "remember_token":
        app.config["REMEMBER_COOKIE_NAME"] = "__Host-remember_token"
    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None,
                      REMEMBER_COOKIE_SECURE=True, REMEMBER_COOKIE_PATH="/", REMEMBER_COOKIE_DOMAIN=None)


def apply(app: Flask, response: Response) -> Response:
    """Add the headers to one answer (called from the app's ``after_request``)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.mimetype in POLICED_TYPES:
        headers.setdefault("Content-Security-Policy", CSP)
    if app.config.get("LEDGER_ENV") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _private(response):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
    if request.endpoint == LOGOUT_ENDPOINT and response.status_code < 400:
        headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def _private(response: Response) -> bool:
    """Whether the answer belongs to one person: anything for a signed-in user (session or token), and the
    sign-in pages and the token endpoint, whoever asks."""
    if request.endpoint in STATIC_ENDPOINTS:
        return False
    if request.blueprint in SIGN_IN_BLUEPRINTS or request.path == TOKEN_PATH:
        return True
    return _signed_in()


def _signed_in() -> bool:
    # Read what the request already established; never load the user just to decide (``/healthz`` stays
    # without a database).
    if getattr(g, "actor", None) is not None:
        return True
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return True
    return bool(session) and "_user_id" in session
