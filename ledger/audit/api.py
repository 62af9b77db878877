"""API: the audit log, for the auditor (GET /api/v1/audit)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, request
from flask_babel import gettext

from ledger.api.blueprint import bp, error_response
from ledger.api.common import Out, actor, arg, many
from ledger.api.params import PAGED, integer, text
from ledger.api.registry import api_route
from ledger.audit.models import AuditEntry
from ledger.audit.queries import entries_query
from ledger.core.pagination import page_by_id

FILTERS = (integer("actor", "the acting user's id"),
           text("action", "an action code (auth.login), or a prefix ending in a dot (auth.)", max_length=60),
           text("from", "from this date (YYYY-MM-DD, the whole day) or ISO 8601 time", max_length=40),
           text("to", "to this date (YYYY-MM-DD, the whole day) or ISO 8601 time", max_length=40))


@bp.before_request
def _auditors_see_only_the_log():
    """After the API's authentication (a bearer token is not Flask-Login's user): the auditor's calls reach
    the log, their own account and tokens, and the public operations; everything else is 403."""
    from ledger.audit.views import audit_only, open_to_auditors

    if audit_only(g.get("actor")) and not open_to_auditors(request.endpoint or ""):
        return error_response(403, "forbidden", gettext("审计管理员只能查看审计日志"))
    return None


class AuditEntryOut(Out):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: int | None
    details: dict[str, Any]
    address: str | None
    prev_hash: str
    hash: str


@api_route(bp, "/audit", "GET", list_of=AuditEntryOut, query=(*PAGED, *FILTERS))
def list_audit():
    """The audit log, newest first (auditor only)."""
    query = entries_query(actor(), actor_id=arg("actor"), action=arg("action"), start=arg("from"), end=arg("to"))
    return many(AuditEntryOut, page_by_id(query, AuditEntry, arg("limit"), arg("cursor"), descending=True))
