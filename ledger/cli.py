"""``flask --app wsgi ledger <command>``: each command calls a service inside one unit of work."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ledger.core.db import db, unit_of_work

ledger_cli = AppGroup("ledger", help="整改销号台账 commands.")


@ledger_cli.command("init")
def init_command() -> None:
    """Create or upgrade the schema (Alembic) and the default categories."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from ledger.orgs.services import ensure_default_categories

    upgrade()
    with unit_of_work():
        ensure_default_categories()
        # Fresh planner statistics: without them SQLite sorts a whole subtree's items for a wide
        # ledger list instead of walking ix_items_due (bench/RESULTS.md). Cheap; safe to repeat.
        db.session.execute(text("ANALYZE"))
    click.echo("schema is at the latest revision")


@ledger_cli.command("demo")
def demo_command() -> None:
    """Load demo data (idempotent); refused on a production configuration."""
    from ledger.demo import load_demo

    if current_app.config["LEDGER_ENV"] == "production":
        raise click.ClickException("refusing to load demo data into a production configuration (LEDGER_ENV=production)")
    with unit_of_work():
        created = load_demo()
    if created:
        click.echo("demo data loaded; logins (demo only, change them for real use):")
        for username, password, role in created:
            click.echo(f"  {username:<12} {password:<16} {role}")
    else:
        click.echo("demo data already present")


@ledger_cli.command("create-user")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(["admin", "security_admin", "auditor", "secretary", "owner", "supervisor"]))
@click.option("--org", "org_id", type=int, help="organisation id (required except for admin)")
@click.option("--email", default=None)
@click.option("--display-name", default="")
def create_user_command(name: str, role: str, org_id: int | None, email: str | None, display_name: str) -> None:
    """Create a user; the password is read from standard input (at least 8 characters, not a common
    password, not containing the username)."""
    from ledger.auth.services import create_user

    system = role in ("admin", "security_admin", "auditor")  # roles of the whole system, not of an organisation
    if not system and org_id is None:
        raise click.UsageError("--org is required for secretary, owner and supervisor")
    password = _read_password()
    memberships = [] if system else [{"org_id": org_id, "role": role}]
    with unit_of_work():
        user = _domain(lambda: create_user(None, name, password, display_name, email, memberships,
                                           is_admin=role == "admin", is_auditor=role == "auditor",
                                           is_security_admin=role == "security_admin"))
    click.echo(f"created user {user.username} (id {user.id})")


def _read_password() -> str:
    if sys.stdin.isatty():
        from ledger.auth.policy import PASSWORD_RULE

        click.echo(f"password rule: {PASSWORD_RULE}")
        return click.prompt("password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _domain(fn):
    """Run a service, turning a domain refusal into a clear command-line error."""
    from ledger.core.errors import LedgerError

    try:
        return fn()
    except LedgerError as exc:
        raise click.ClickException(exc.message) from None


@ledger_cli.command("create-token")
@click.argument("name")
@click.option("--label", default="cli", help="what the token is for")
def create_token_command(name: str, label: str) -> None:
    """Issue an API token for user NAME and print it (shown once; only its hash is kept)."""
    from ledger.auth.services import issue_token, user_by_name

    with unit_of_work():
        user = user_by_name(name)  # compared as usernames are (NFKC + casefold)
        if user is None or not user.active:
            raise click.ClickException(f"no active user named {name}")
        token = issue_token(user, label)
    click.echo(token)


@ledger_cli.command("send-outbox")
@click.option("--limit", default=500, show_default=True)
def send_outbox_command(limit: int) -> None:
    """Deliver pending messages over SMTP (or to the log when LEDGER_SMTP_URL is unset)."""
    from ledger.outbox.services import send_outbox

    with unit_of_work():
        counts = send_outbox(limit)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@ledger_cli.command("backup")
@click.option("--to", "target", default=None, help="file to write (default: instance/backups/…)")
def backup_command(target: str | None) -> None:
    """Back up the database: SQLite's online backup; for PostgreSQL, pg_dump."""
    from ledger.backup import backup

    click.echo(_domain(lambda: backup(target)))


def register_cli(app: Flask) -> None:
    from ledger.spreadsheets.commands import COMMANDS as spreadsheet_commands

    for command in spreadsheet_commands:  # import-opinions, export-ledger, import-ledger, export-opinions
        ledger_cli.add_command(command)
    from ledger.scheduler.commands import COMMANDS as scheduler_commands

    for command in scheduler_commands:  # run-jobs, scheduler
        ledger_cli.add_command(command)
    from ledger.audit.commands import audit_cli

    ledger_cli.add_command(audit_cli)  # audit verify
    app.cli.add_command(ledger_cli)
