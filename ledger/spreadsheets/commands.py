"""``flask ledger import-opinions / export-ledger / import-ledger / export-opinions``."""
from __future__ import annotations

from pathlib import Path

import click

from ledger.auth.models import User
from ledger.core.db import unit_of_work
from ledger.core.errors import LedgerError
from ledger.spreadsheets.report import ImportRefused, ImportReport

ACT_AS = click.option("--as", "username", default=None,
                      help="act as this user (scope and permissions are theirs); default: the system")


def _user(username: str | None) -> User | None:
    if username is None:
        return None
    from ledger.auth.services import user_by_name

    user = user_by_name(username)  # compared as usernames are (NFKC + casefold)
    if user is None or not user.active:
        raise click.ClickException(f"no active user named {username}")
    return user


def _print(report: ImportReport) -> None:
    for error in report.errors:
        click.echo(str(error), err=True)
    for change in report.changes:
        mark = {"applied": "已更新", "would_apply": "将更新", "refused": "被拒绝"}.get(change.status, change.status)
        reason = f"（{change.message}）" if change.message else ""
        click.echo(f"第 {change.row} 行 {change.code} {change.field}：{change.old!s:.40} → {change.new!s:.40} "
                   f"[{mark}]{reason}")
    if report.ignored_columns:
        click.echo("未识别、已忽略的列：" + "、".join(report.ignored_columns), err=True)


@click.command("import-opinions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_id", type=int, required=True, help="organisation the opinions concern")
@click.option("--dry-run", is_flag=True, help="only check the file and list every bad row")
@click.option("--review", "review_id", type=int, default=None, help="review the opinions came from")
@click.option("--channel", default=None, help="channel for rows that have none (e.g. 评议会)")
@ACT_AS
def import_opinions_command(file: Path, org_id: int, dry_run: bool, review_id: int | None, channel: str | None,
                            username: str | None) -> None:
    """Import opinions from an .xlsx or .csv file: every row, or (if any row is bad) none."""
    from ledger.spreadsheets.opinion_import import import_opinions

    try:
        with unit_of_work(write=not dry_run), file.open("rb") as stream:
            report = import_opinions(_user(username), org_id, stream, dry_run=dry_run, review_id=review_id,
                                     default_channel=channel)
    except ImportRefused as exc:
        _print(exc.report)
        raise click.ClickException(exc.message) from None
    except LedgerError as exc:
        raise click.ClickException(exc.message) from None
    _print(report)
    if dry_run:
        click.echo(f"试运行：{report.rows} 行，{report.valid} 行无误，{len(report.errors)} 处错误；未保存")
        if report.errors:
            raise SystemExit(1)
    else:
        click.echo(f"已导入 {report.created} 条意见")


@click.command("export-ledger")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--org", "org_id", type=int, default=None, help="organisation (with its subtree)")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="default: from the file name, else xlsx")
@click.option("--status", default=None, help="comma-separated statuses")
@click.option("--overdue", is_flag=True, default=None, help="only overdue items")
@ACT_AS
def export_ledger_command(file: Path, org_id: int | None, fmt: str | None, status: str | None,
                          overdue: bool | None, username: str | None) -> None:
    """Export the ledger (台账) to FILE as .xlsx (customary layout) or CSV."""
    from ledger.spreadsheets import export

    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "xlsx")
    filters = {"org_id": org_id, "status": [s for s in (status or "").split(",") if s], "overdue": overdue}
    try:
        with unit_of_work(write=False):
            actor = _user(username) or export.system_reader()
            with file.open("wb") as out:
                count = export.write_ledger(actor, filters, out, fmt)
    except LedgerError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"exported {count} items to {file}")


@click.command("export-opinions")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--org", "org_id", type=int, default=None, help="organisation (with its subtree)")
@ACT_AS
def export_opinions_command(file: Path, org_id: int | None, username: str | None) -> None:
    """Export the opinions with their triage and feedback (三到 record) to FILE (.xlsx or .csv)."""
    from ledger.spreadsheets import export

    filters = {"org_id": org_id}
    try:
        with unit_of_work(write=False):
            actor = _user(username) or export.system_reader()
            with file.open("wb") as out:
                count = export.write_opinions(actor, filters, out, "csv" if file.suffix.lower() == ".csv" else "xlsx")
    except LedgerError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"exported {count} opinions to {file}")


@click.command("import-ledger")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="the user making the changes (secretary or owner)")
@click.option("--dry-run", is_flag=True, help="only show the changes")
def import_ledger_command(file: Path, username: str, dry_run: bool) -> None:
    """Re-import an edited ledger export: progress, measures and deadlines, through the lifecycle rules."""
    from ledger.spreadsheets.ledger_import import import_ledger

    try:
        with unit_of_work(), file.open("rb") as stream:
            report = import_ledger(_user(username), stream, dry_run=dry_run)
    except LedgerError as exc:
        raise click.ClickException(exc.message) from None
    _print(report)
    applied = sum(c.status in ("applied", "would_apply") for c in report.changes)
    refused = sum(c.status == "refused" for c in report.changes)
    click.echo(f"{'试运行：' if dry_run else ''}{report.rows} 行；{applied} 项更改{'可' if dry_run else '已'}应用，"
               f"{refused} 项被拒绝，{len(report.errors)} 处错误，{report.unchanged} 行无变化")


COMMANDS = [import_opinions_command, export_ledger_command, export_opinions_command, import_ledger_command]
