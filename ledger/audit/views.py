"""The auditor's page (/audit), and the gate that keeps an auditor to it: every other page and API call is
refused (403), the home page leads to the log."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.api.params import integer, text
from ledger.audit import duties
from ledger.audit.models import AuditEntry
from ledger.audit.queries import entries_query, require_auditor
from ledger.auth.models import User
from ledger.core.db import db
from ledger.core.errors import Invalid
from ledger.core.pagination import page_by_id
from ledger.web.common import page_blueprint, page_size

bp = page_blueprint("audit", __name__)

# What an auditor may reach besides the log: signing in and out, their own account, password, second factor
# and tokens, and what is public to anyone.
OPEN_TO_AUDITORS = {"static", "bootstrap.static", "healthz", "web.account", "api.auth_me",
                    "api.auth_list_tokens", "api.auth_revoke_token"}
OPEN_PREFIXES = ("audit.", "api.audit_", "auth.", "public.", "survey.")
FILTERS = {"actor": integer("actor"), "action": text("action", max_length=60), "from": text("from", max_length=40),
           "to": text("to", max_length=40)}


def audit_only(user) -> bool:
    """An auditor who holds no other system role (with 三员分立 off one account may also be the admin)."""
    return bool(getattr(user, "is_authenticated", False) and duties.is_auditor(user)
                and not user.is_admin and not user.is_security_admin)


def open_to_auditors(endpoint: str) -> bool:
    if endpoint in OPEN_TO_AUDITORS or endpoint.startswith(OPEN_PREFIXES):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "public", False))  # the API's public operations (token exchange, public notices)


@bp.app_context_processor
def _system_roles() -> dict:
    """``may_enter_admin(endpoint)`` for the pages: the admin's links the user may follow (三员分立)."""
    return {"may_enter_admin": lambda endpoint: duties.may_enter_admin(current_user, endpoint)}


@bp.before_app_request
def _auditors_see_only_the_log():
    endpoint = request.endpoint or ""
    if not audit_only(current_user) or open_to_auditors(endpoint):
        return None
    if endpoint == "web.home":
        return redirect(url_for("audit.index"))
    if request.path.startswith("/api/"):
        from ledger.api import error_response

        return error_response(403, "forbidden", gettext("审计管理员只能查看审计日志"))
    return render_template("error.html", status=403, heading=gettext("无权执行该操作"),
                           message=gettext("审计管理员只能查看审计日志")), 403


def _filters() -> tuple[dict, dict, dict]:
    """The filters as typed (kept in the form), as parsed, and what is wrong with any of them."""
    typed = {name: request.args.get(name, "").strip() for name in FILTERS}
    parsed, errors = {}, {}
    for name, param in FILTERS.items():
        try:
            parsed[name] = param.parse(typed[name])
        except Invalid as exc:
            errors.update(exc.fields)
    return typed, parsed, errors


def _names(rows: list[AuditEntry]) -> dict[int, str]:
    ids = {e.actor_id for e in rows if e.actor_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


@bp.route("/audit")
@login_required
def index():
    require_auditor(current_user)
    typed, parsed, errors = _filters()
    page = None
    if not errors:
        try:
            query = entries_query(current_user, actor_id=parsed["actor"], action=parsed["action"],
                                  start=parsed["from"], end=parsed["to"])
            page = page_by_id(query, AuditEntry, page_size(request.args.get("limit")), request.args.get("cursor"),
                              descending=True)
        except Invalid as exc:
            errors = exc.fields
    return render_template("audit/index.html", page=page, typed=typed, errors=errors,
                           names=_names(page.rows) if page else {}), 422 if errors else 200


def role_links(user) -> tuple[list[tuple[str, str, str]], bool]:
    """Navigation for the system roles: (links, whether they are all the user gets). The auditor gets the log
    alone; the security admin who is not the admin gets the users (the admin reaches them through 系统管理)."""
    links = []
    if user.is_auditor:
        links.append(("audit.index", url_for("audit.index"), gettext("审计日志")))
    if user.is_security_admin and not user.is_admin:
        links.append(("admin.users", url_for("admin.users"), gettext("用户管理")))
    return links, audit_only(user)
