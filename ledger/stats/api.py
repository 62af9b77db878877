"""API: the figures of SPEC §7 (``GET /api/v1/stats``)."""
from __future__ import annotations

from datetime import date

from flask import jsonify, request

from ledger.api.blueprint import bp
from ledger.api.common import actor, query_int
from ledger.api.registry import api_route
from ledger.stats import services
from ledger.stats.figures import period_from


def plain(value):
    """Dates as YYYY-MM-DD, recursively (Flask would write HTTP dates)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@api_route(bp, "/stats", "GET", query={
    "org_id": "organisation (with its subtree); default: everything in the caller's scope",
    "from": "first day (YYYY-MM-DD)", "to": "last day (YYYY-MM-DD)",
    "month": "an assessment month YYYY-MM instead of from/to",
    "start_day": "day the assessment month starts (e.g. 19: the 19th to the 18th); default a setting"})
def get_stats():
    """Figures for an organisation subtree and period: totals, rates, weighted score, ranking by organisation."""
    period = period_from(request.args.get("from"), request.args.get("to"), request.args.get("month"),
                         query_int("start_day"))
    return jsonify(plain(services.stats(actor(), query_int("org_id"), period)))
