"""The operator's status line: each job's last and next run, and the outbox's pending and failed counts."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from ledger.core.db import db
from ledger.core.enums import MessageStatus
from ledger.outbox.models import Message
from ledger.scheduler.jobs import job_table
from ledger.scheduler.lock import SchedulerLock
from ledger.scheduler.models import JobRun


def scheduler_status(app: Flask, failed_limit: int = 20) -> dict:
    tz = ZoneInfo(app.config["LEDGER_TIMEZONE"])
    now = datetime.now(UTC)
    jobs = []
    for job in job_table(app):
        last = db.session.scalars(select(JobRun).where(JobRun.job == job.name)
                                  .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)).first()
        jobs.append({"job": job.name, "title": job.title, "last": last,
                     "next": job.trigger.get_next_fire_time(None, now.astimezone(tz))})
    counts = dict(db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
    failed = list(db.session.scalars(select(Message).where(Message.status == MessageStatus.failed.value)
                                     .order_by(Message.id.desc()).limit(failed_limit)))
    return {"running_elsewhere": SchedulerLock(app).is_taken_elsewhere(), "jobs": jobs,
            "pending": counts.get(MessageStatus.pending.value, 0), "failed": counts.get(MessageStatus.failed.value, 0),
            "sent": counts.get(MessageStatus.sent.value, 0), "logged": counts.get(MessageStatus.logged.value, 0),
            "failed_messages": failed, "tz": tz}


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z") if value else "—"


def format_status(status: dict) -> list[str]:
    tz = status["tz"]
    state = "running (another process holds the lock)" if status["running_elsewhere"] else "not running"
    lines = [f"scheduler: {state}"]
    for job in status["jobs"]:
        last = job["last"]
        if last is None:
            done = "never run"
        else:
            done = f"{_when(last.started_at, tz)} [{last.status}, {last.source}, as of {_when(last.moment, tz)}]"
            if last.result:
                done += " " + " ".join(f"{k}={v}" for k, v in last.result.items())
            if last.error:
                done += f" error: {last.error.splitlines()[-1]}"
        lines.append(f"job {job['job']}: last {done}; next {_when(job['next'], tz)}")
    lines.append(f"outbox: pending={status['pending']} failed={status['failed']} sent={status['sent']} "
                 f"logged={status['logged']}")
    for message in status["failed_messages"]:
        lines.append(f"  failed #{message.id} to {message.to_address} after {message.attempts} attempt(s): "
                     f"{message.subject} — {(message.last_error or '').splitlines()[0] if message.last_error else ''}")
    return lines
