"""Real processes: one scheduler acts at a time (and another takes over), and missed days are caught up
with ``run-jobs --at``, each owed reminder once."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ledger.core import clock
from ledger.core.db import db
from tests.scheduler.conftest import kill9, run_cli, runs, start_cli, terminate, wait_for
from tests.scheduler.test_exactly_once import _record

SH = ZoneInfo("Asia/Shanghai")
D0 = datetime(2026, 5, 4, 10, 0, tzinfo=SH)  # Monday; the scheduler is down from Tuesday to Thursday


def _parse(output: str) -> dict[str, dict[str, int]]:
    result = {}
    for line in output.splitlines():
        job, _, rest = line.partition(": ")
        if rest.startswith("ok"):
            result[job] = {k: int(v) for k, v in (p.split("=") for p in rest.split()[1:])}
    return result


@pytest.mark.slow
def test_catching_up_three_missed_days_sends_what_they_owed_once(app, f, backend, cli_env):
    with clock.frozen_at(D0 - timedelta(days=30)):
        w = f.world()
    with clock.frozen_at(D0 - timedelta(days=1)):
        f.item(w.sec_a, w.org_a, w.owner_a2, status="pending", days=20)  # unclaimed 2 days on D1
    with clock.frozen_at(D0):
        f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress", days=4)  # due D4: d3 on D1, d1 on D3
        f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress", days=1)  # due D1: overdue on D2
        f.item(w.sec_a, w.org_a, w.owner_a2, status="awaiting_verification", days=20)  # unverified 3 days on D3
    db.session.remove()
    env = cli_env()
    days = [D0 + timedelta(days=n) for n in (1, 2, 3)]
    owed = [_parse(run_cli(env, "run-jobs", "--at", day.isoformat(), "--job", "reminders"))["reminders"]
            for day in days]
    assert [(o["due_soon"], o["unclaimed"], o["overdue"], o["unverified"]) for o in owed] == [
        # Tuesday: soon due in 3 days, late due today (Monday's run was missed: owed still) — both to
        # owner_a in one message; unclaimed for 2 days (owner_a2)
        (2, 1, 0, 0),
        (0, 0, 2, 0),  # Wednesday: late's first overdue day (owner_a and sec_a)
        (1, 0, 0, 1),  # Thursday: soon due in 1 day; waiting for verification 3 days (sec_a)
    ]
    assert [o["messages"] for o in owed] == [2, 2, 2]
    again = [_parse(run_cli(env, "run-jobs", "--at", day.isoformat(), "--job", "reminders"))["reminders"]
             for day in days]
    assert [o["reminders"] for o in again] == [0, 0, 0]
    today = _parse(run_cli(env, "run-jobs", "--at", (days[-1] + timedelta(hours=3)).isoformat()))
    assert today["reminders"]["reminders"] == 0
    _record(f"catch-up-{backend}", reminders_per_day=[o["reminders"] for o in owed],
            messages_per_day=[o["messages"] for o in owed], rerun_reminders=[o["reminders"] for o in again])


@pytest.mark.slow
def test_only_one_scheduler_acts_and_another_takes_over(app, f, backend, cli_env, tmp_path):
    with clock.frozen_at(clock.now() - timedelta(days=30)):
        f.world()
    db.session.remove()
    env = cli_env()
    log = tmp_path / "schedulers.log"
    processes = [start_cli(env, "scheduler", log=log) for _ in range(2)]
    try:
        wait_for(lambda: len(runs("outbox", "ok")) >= 3, what="the leader's outbox runs")
        time.sleep(2)
        acting = {r.pid for r in runs()}
        assert len(acting) == 1, acting
        status = run_cli(env, "scheduler", "--status")
        assert "scheduler: running (another process holds the lock)" in status
        (leader,) = [p for p in processes if p.pid in acting]
        (standby,) = [p for p in processes if p.pid not in acting]
        killed_at = len(runs())
        kill9(leader)
        wait_for(lambda: any(r.pid == standby.pid for r in runs()), what="the standby to take over")
        after = runs()[killed_at:]
        assert {r.pid for r in after} == {standby.pid}
        _record(f"single-scheduler-{backend}", processes=2, acting_before_kill=1,
                runs_by_leader=killed_at, takeover_runs=len(after))
    finally:
        for process in processes:
            terminate(process)
    assert "not running" in run_cli(env, "scheduler", "--status")
