"""The jobs, when they fire, and how one run is recorded.

Every job is an idempotent function of the database and a moment: it runs inside one unit of work with
the clock frozen at that moment, so ``run-jobs --at`` and the scheduler do exactly the same thing.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import select, update

from ledger.core import clock
from ledger.core.db import db, unit_of_work
from ledger.scheduler.lock import job_run_lock
from ledger.scheduler.models import JobRun

log = logging.getLogger(__name__)


def _reminders() -> dict:
    from ledger.reminders.services import run_reminders

    return run_reminders()


def _weekly_digest() -> dict:
    from ledger.reminders.services import run_weekly_digest

    return run_weekly_digest()


def _notices() -> dict:
    from ledger.notices.jobs import run_notice_jobs

    return run_notice_jobs(clock.now())


def _outbox() -> dict:
    from ledger.outbox.services import send_outbox

    return send_outbox()


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    run: Callable[[], dict]
    trigger: BaseTrigger


def job_table(app: Flask) -> list[Job]:
    """The jobs in the order ``run-jobs`` runs them (the outbox last, so a run delivers what it decided)."""
    config = app.config
    tz = ZoneInfo(config["LEDGER_TIMEZONE"])
    digest_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[int(config.get("LEDGER_DIGEST_WEEKDAY", 0))]
    return [
        Job("reminders", "到期/超期/督办/认领/审核/进展提醒",
            _reminders, CronTrigger(hour=config.get("LEDGER_REMINDER_HOURS", "7-21"), minute=5, timezone=tz)),
        Job("weekly_digest", "督导周报", _weekly_digest,
            CronTrigger(day_of_week=digest_day, hour=int(config.get("LEDGER_DIGEST_HOUR", 8)), minute=15,
                        timezone=tz)),
        Job("notices", "公示通报定期起草、公示期满销号确认", _notices,
            CronTrigger(hour=int(config.get("LEDGER_NOTICES_HOUR", 6)), minute=30, timezone=tz)),
        Job("outbox", "邮件发送", _outbox,
            IntervalTrigger(seconds=int(config.get("LEDGER_OUTBOX_INTERVAL", 60)), timezone=tz)),
    ]


def parse_moment(value: str | None) -> datetime:
    """An ISO time for ``--at``; without an offset it is read in LEDGER_TIMEZONE."""
    if not value:
        return clock.now()
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["LEDGER_TIMEZONE"]))
    return moment.astimezone(UTC)


def _wall_clock() -> datetime:
    return datetime.now(UTC)  # when a run really started/ended, whatever moment it acts as


def _fault_pause(job: str) -> None:
    """Fault injection for the crash tests only (LEDGER_ENV=test): pause before the job's commit."""
    spec = current_app.config.get("LEDGER_FAULT_PAUSE") or os.environ.get("LEDGER_FAULT_PAUSE", "")
    if spec and current_app.config.get("LEDGER_ENV") == "test":
        name, _, seconds = spec.partition(":")
        if name == job:
            log.warning("fault injection: pausing %s s before committing %s", seconds, job)
            time.sleep(float(seconds))


def run_job(job: Job, moment: datetime, source: str) -> JobRun:
    """Run one job as if at ``moment`` and record the run (its record commits apart from the job's work)."""
    with unit_of_work():
        record = JobRun(job=job.name, moment=moment, source=source, host=socket.gethostname()[:100],
                        pid=os.getpid(), status="running", started_at=_wall_clock())
        db.session.add(record)
    run_id = record.id
    status, result, error = "ok", None, None
    try:
        with job_run_lock(current_app), clock.frozen_at(moment), unit_of_work():
            result = job.run()
            _fault_pause(job.name)
    except Exception as exc:  # recorded and reported; the next run catches up from the database
        status, error = "error", "".join(traceback.format_exception_only(exc)).strip()[:4000]
        log.exception("job %s failed", job.name)
    with unit_of_work():
        db.session.execute(update(JobRun).where(JobRun.id == run_id).values(
            status=status, result=result, error=error, finished_at=_wall_clock()))
    return db.session.get(JobRun, run_id)


def run_all(moment: datetime, source: str = "run-jobs", only: list[str] | None = None) -> list[JobRun]:
    jobs = [job for job in job_table(current_app) if not only or job.name in only]
    return [run_job(job, moment, source) for job in jobs]


def mark_interrupted() -> int:
    """Runs left 'running' by a process of this host that no longer exists (killed mid-run)."""
    host = socket.gethostname()[:100]
    stale = []
    for run in db.session.scalars(select(JobRun).where(JobRun.status == "running", JobRun.host == host)):
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:
            stale.append(run.id)
        except PermissionError:
            pass
    if stale:
        db.session.execute(update(JobRun).where(JobRun.id.in_(stale)).values(
            status="interrupted", error="process ended before the run finished"))
    return len(stale)
