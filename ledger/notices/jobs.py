"""Scheduled notices: jobs are idempotent functions of the database and a moment (SPEC §4, §5).

``draft_due_notices(moment)`` drafts, for every organisation, the notices its schedule says are due at
``moment`` (defaults: ``progress`` for the previous week every Monday, ``closure`` for the month on its
last day), publishing them at once where the organisation chose that. Each scheduled notice carries a
key (kind, organisation, period), so a second run — or a run for a missed day — drafts nothing twice.
``finalise_due_closures(moment)`` marks closures final once their objection period has ended.
"""
from __future__ import annotations

import calendar
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Item
from ledger.notices import services
from ledger.notices.models import Notice
from ledger.orgs.models import Organisation

log = logging.getLogger(__name__)


def progress_period(today: date, weekday: int) -> tuple[date, date] | None:
    """The latest scheduled day on or before ``today`` drafts the seven days before it."""
    run_day = today - timedelta(days=(today.weekday() - weekday) % 7)
    return run_day - timedelta(days=7), run_day - timedelta(days=1)


def closure_period(today: date) -> tuple[date, date]:
    """The month that ended on the latest month end on or before ``today`` (today, on a last day)."""
    last = calendar.monthrange(today.year, today.month)[1]
    if today.day == last:
        return today.replace(day=1), today
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _orgs_with_items() -> set[int]:
    """Organisations whose subtree holds at least one item: the item-holding ones and their ancestors."""
    holding = set(db.session.scalars(select(Item.org_id).distinct()))
    return {ancestor for org in db.session.scalars(select(Organisation).where(Organisation.id.in_(holding)))
            for ancestor in org.ancestor_ids()}


def _closed_in(org: Organisation, period: tuple[date, date]) -> bool:
    from ledger.notices.snapshots import _bounds

    low, high = _bounds(*period, org.timezone)
    return bool(db.session.scalar(select(exists().where(
        Item.org_id == org.id, Item.status == "closed", Item.closed_at >= low, Item.closed_at < high))))


def _draft(org: Organisation, kind: str, period: tuple[date, date], auto_publish: bool) -> bool:
    key = f"{kind}:{org.id}:{period[0].isoformat()}:{period[1].isoformat()}"
    if db.session.scalar(select(Notice.id).where(Notice.draft_key == key)) is not None:
        return False
    with db.session.begin_nested():  # a concurrent run that drafted it first wins; this one moves on
        notice = services.create_draft(None, org.id, kind, period[0], period[1], draft_key=key)
    if auto_publish:
        services.publish(None, notice.id)
    log.info("drafted %s notice %s for organisation %s (%s–%s)", kind, notice.id, org.id, *period)
    return True


def draft_due_notices(moment: datetime) -> int:
    """Draft (and, where chosen, publish) every scheduled notice due at ``moment``; returns how many."""
    from sqlalchemy.exc import IntegrityError

    from ledger.notices.snapshots import shared_progress_facts

    created = 0
    with clock.frozen_at(moment), shared_progress_facts(), services.shared_settings():
        with_items = _orgs_with_items()
        for org in list(db.session.scalars(select(Organisation).order_by(Organisation.id))):
            settings = services.settings_for(org.id)
            today = clock.today(org.timezone)
            due = []
            if settings["progress_enabled"] and org.id in with_items:
                due.append(("progress", progress_period(today, settings["progress_weekday"])))
            if settings["closure_enabled"]:
                period = closure_period(today)
                if _closed_in(org, period):
                    due.append(("closure", period))
            for kind, period in due:
                try:
                    created += _draft(org, kind, period, settings["auto_publish"])
                except IntegrityError:
                    continue
    return created


def finalise_due_closures(moment: datetime) -> int:
    """Mark closures final (公示无异议) whose notice's objection period ended before ``moment``."""
    from ledger.notices.objections import finalise_closures

    with clock.frozen_at(moment):
        return finalise_closures()


def run_notice_jobs(moment: datetime) -> dict[str, int]:
    """Both notice jobs (the scheduler's ``notices`` job): what was drafted and how many closures became final."""
    return {"drafted": draft_due_notices(moment), "finalised": finalise_due_closures(moment)}
