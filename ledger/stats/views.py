"""The dashboard: figure cards, charts, the ranking of organisations; every number links to its items."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.auth.scope import scope_of
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemStatus
from ledger.core.errors import Invalid, NotFound
from ledger.evaluation import services as evaluation
from ledger.evaluation import settings
from ledger.orgs.models import Organisation
from ledger.stats import charts, services
from ledger.stats.figures import period_from

bp = Blueprint("stats", __name__)


def _int(name: str) -> int | None:
    raw = request.args.get(name)
    return int(raw) if raw and raw.isdigit() else None


def _org_choices() -> list[Organisation]:
    scope = scope_of(current_user)
    query = select(Organisation).order_by(Organisation.path)
    if not scope.is_admin:
        query = query.where(Organisation.id.in_(sorted(scope.managed) or [-1]))
    return list(db.session.scalars(query))


def _presets(today: date) -> list[tuple[str, dict]]:
    """Quick periods: this month, this assessment month (when it is not the calendar month), this year, all."""
    presets = [(gettext("本月"), {"from": today.replace(day=1).isoformat(), "to": today.isoformat()})]
    start_day = settings.integer("LEDGER_ASSESSMENT_START_DAY")
    if start_day != 1:
        month = today if today.day < start_day else (today.replace(day=1) + timedelta(days=32))
        presets.append((gettext("本考核月（%(day)s日起）", day=start_day), {"month": month.strftime("%Y-%m")}))
    presets.append((gettext("本年"), {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()}))
    presets.append((gettext("全部"), {}))
    return presets


def _charts(result: dict, monthly: list[dict]) -> dict:
    status_bars = [charts.Bar(ItemStatus(s).title, n, result["links"][f"status_{s}"], colour=charts.PALETTE[s],
                              count=n) for s, n in result["by_status"].items()]
    overdue_bars = [charts.Bar(r["name"], r["overdue"], r["links"]["overdue"], colour=charts.RED, count=r["overdue"])
                    for r in result["by_org"]]
    satisfaction_bars = [charts.Bar(r["name"], r["satisfaction_rate"], r["links"]["satisfaction_rate"],
                                    text=None if r["satisfaction_rate"] is not None else "样本不足",
                                    colour=charts.GREEN) for r in result["by_org"]]
    groups = [charts.Group(m["month"], [
        charts.Bar("新增", m["opened"], m["opened_link"], colour=charts.BLUE, count=m["opened"]),
        charts.Bar("销号", m["closed"], m["closed_link"], colour=charts.GREEN, count=m["closed"])]) for m in monthly]
    return {
        "status": charts.hbars(status_bars, "事项状态分布"),
        "overdue": charts.hbars(overdue_bars, "各组织超期事项"),
        "monthly": charts.grouped_columns(groups, [("新增", charts.BLUE), ("销号", charts.GREEN)], "每月新增与销号"),
        "satisfaction": charts.hbars(satisfaction_bars, "各组织满意率", scale_max=100, unit="%"),
    }


@bp.route("/dashboard")
@login_required
def dashboard():
    tz = current_app.config["LEDGER_TIMEZONE"]
    today = clock.today(tz)
    args = {k: request.args.get(k) for k in ("org_id", "from", "to", "month", "start_day") if request.args.get(k)}
    errors = {}
    try:
        period = period_from(args.get("from"), args.get("to"), args.get("month"), _int("start_day"))
        result = services.stats(current_user, _int("org_id"), period)
    except (Invalid, NotFound) as exc:
        errors = getattr(exc, "fields", None) or {"org_id": exc.message}
        args = {}
        period = period_from(None, None)
        result = services.stats(current_user, None, period)
    monthly = services.monthly(current_user, result["org_id"], period, today)
    scope = scope_of(current_user)
    warnings = []
    if scope.is_admin or scope.supervised:
        query = evaluation.warnings_query(current_user, acknowledged=False).order_by(
            evaluation.Warning.id.desc()).limit(5)
        warnings = [evaluation.warning_dict(w) for w in db.session.scalars(query)]
    return render_template("stats/dashboard.html", s=result, charts=_charts(result, monthly), args=args,
                           orgs=_org_choices(), presets=_presets(today), errors=errors, warnings=warnings,
                           statuses=ItemStatus, today=today), (422 if errors else 200)
