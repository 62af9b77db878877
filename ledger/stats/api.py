"""API: the figures of SPEC §7 (``GET /api/v1/stats``)."""
from __future__ import annotations

from datetime import date

from flask import jsonify
from pydantic import ConfigDict

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Out, actor, arg
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


class StatsOut(Out):
    """The figures (docs/figures.md); rates are percentages with two decimals, null for a zero denominator."""

    model_config = ConfigDict(extra="allow")
    total: int
    by_status: dict[str, int]
    overdue: int
    completion_rate: float | None
    on_time_rate: float | None
    extension_rate: float | None
    avg_days_to_close: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    feedback_rate: float | None
    weighted_score: float | None
    urges: int
    urges_unanswered: int
    escalations: int
    closed_first_round: int
    closed_reopened: int
    org_id: int | None
    by_org: list[dict]
    links: dict[str, str]


@api_route(bp, "/stats", "GET", response=StatsOut, query=(
    params.integer("org_id", "organisation (with its subtree); default: everything in the caller's scope"),
    params.day("from", "first day"), params.day("to", "last day"),
    params.month("month", "an assessment month YYYY-MM instead of from/to"),
    params.integer("start_day", "day the assessment month starts (e.g. 19: the 19th to the 18th); default a "
                                "setting", 1, 28)))
def get_stats():
    """Figures for an organisation subtree and period: totals, rates, weighted score, ranking by organisation."""
    period = period_from(arg("from"), arg("to"), arg("month"), arg("start_day"))
    return jsonify(plain(services.stats(actor(), arg("org_id"), period)))
