"""``flask ledger run-jobs`` and ``flask ledger scheduler``: thin wrappers over the scheduler services."""
from __future__ import annotations

import signal
import sys

import click
from flask import current_app

from ledger.core.db import db


@click.command("run-jobs")
@click.option("--at", "at", default=None, metavar="ISO-TIME",
              help="act as if at this moment (default: now); without an offset, in LEDGER_TIMEZONE")
@click.option("--job", "only", multiple=True, help="run only this job (repeatable)")
def run_jobs_command(at: str | None, only: tuple[str, ...]) -> None:
    """Run every job once, as if at the given moment (catch up a missed day)."""
    from ledger.scheduler.jobs import job_table, parse_moment, run_all

    known = {job.name for job in job_table(current_app)}
    unknown = set(only) - known
    if unknown:
        raise click.UsageError(f"unknown job(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    try:
        moment = parse_moment(at)
    except ValueError:
        raise click.BadParameter("expected an ISO time such as 2026-05-10T08:00+08:00", param_hint="--at") from None
    runs = run_all(moment, "run-jobs", list(only) or None)
    failed = False
    for run in runs:
        result = " ".join(f"{k}={v}" for k, v in (run.result or {}).items())
        click.echo(f"{run.job}: {run.status} {result}".rstrip() + (f" error: {run.error}" if run.error else ""))
        failed = failed or run.status != "ok"
    if failed:
        sys.exit(1)


@click.command("scheduler")
@click.option("--status", "show_status", is_flag=True, help="print each job's last and next run and the outbox")
def scheduler_command(show_status: bool) -> None:
    """Run the scheduler in the foreground (one process acts at a time), or print its status."""
    if show_status:
        from ledger.scheduler.status import format_status, scheduler_status

        for line in format_status(scheduler_status(current_app)):
            click.echo(line)
        return
    from ledger.scheduler.service import SchedulerService

    service = SchedulerService(current_app._get_current_object(), check_every=float(
        current_app.config.get("LEDGER_SCHEDULER_CHECK_SECONDS", 15)))
    db.session.remove()

    def _stop(signum, frame) -> None:
        service.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    service.run_forever()


@click.command("reminder-settings")
@click.argument("org_id", type=int)
@click.option("--due-soon", "due_soon_days", default=None, help='days before the deadline, e.g. "3,1"')
@click.option("--overdue-every", "overdue_repeat_days", type=int, default=None, help="repeat overdue every N days")
@click.option("--escalate-after", "escalate_after_days", type=int, default=None, help="escalate after N days overdue")
@click.option("--unclaimed", "unclaimed_days", type=int, default=None, help="remind when unclaimed N days")
@click.option("--unverified", "unverified_days", type=int, default=None, help="remind verifiers after N days")
@click.option("--progress-day", "progress_request_day", type=int, default=None, help="day of month (long_term)")
@click.option("--recipients", default=None, help='JSON, e.g. {"overdue": ["owner", "secretary"]}')
@click.option("--reset", is_flag=True, help="back to the inherited values / SPEC defaults")
def reminder_settings_command(org_id: int, recipients: str | None, reset: bool, **windows) -> None:
    """Show or set an organisation's reminder windows and recipients (its subtree inherits them)."""
    import json

    from ledger.core.db import unit_of_work
    from ledger.core.errors import LedgerError
    from ledger.orgs.models import Organisation
    from ledger.reminders.settings import COLUMNS, rules_for, update_reminder_settings

    changes = {k: v for k, v in windows.items() if v is not None}
    if reset:
        changes = {name: None for name in COLUMNS} | {"recipients": None}
    if recipients is not None:
        changes["recipients"] = json.loads(recipients)
    with unit_of_work():
        org = db.session.get(Organisation, org_id)
        if org is None:
            raise click.ClickException(f"no organisation {org_id}")
        if changes:
            try:
                update_reminder_settings(None, org_id, changes)
            except LedgerError as exc:
                raise click.ClickException(exc.message) from None
        rules = rules_for(org)
    for name in COLUMNS:
        click.echo(f"{name}: {getattr(rules, name)}")
    click.echo(f"recipients: {json.dumps(rules.recipients, ensure_ascii=False)}")


COMMANDS = [run_jobs_command, scheduler_command, reminder_settings_command]
