"""``flask ledger audit verify``: walk the chain, say OK with the count, or the first broken entry and why."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ledger.core.db import unit_of_work

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every entry's hash and link; exit 1 at the first broken one."""
    from ledger.audit.chain import verify_chain

    with unit_of_work(write=False):
        verdict = verify_chain()
    if verdict.ok:
        click.echo(f"OK: {verdict.count} entries, chain intact")
        return
    click.echo(f"BROKEN at entry {verdict.broken_id}: {verdict.reason} ({verdict.count} entries verified before it)",
               err=True)
    raise SystemExit(1)
