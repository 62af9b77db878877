"""Diagnostic, not part of the application: run the scheduler's jobs once with a candidate fix applied
in this process only, to measure what the fix would give.

The fix tried: ``ledger.reminders.services._deliver`` links each reminder to its message with an
ORM-enabled ``update(Reminder)`` per reminder; SQLAlchemy's default ``synchronize_session='auto'``
then searches the whole identity map for matching objects on every statement (O(reminders × objects
in the session), 12 s of the reminders job's profile at 1/100 of the county). Passing
``synchronize_session=False`` (nothing in the session is a Reminder to keep in step) removes that.

    .venv/bin/python bench/try_jobs_fix.py --db URL --at 2026-11-24T08:00:00+08:00
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def patched_deliver(per_user: dict, users: dict) -> int:
    from sqlalchemy import update

    from ledger.core.db import db
    from ledger.outbox.services import notify_user
    from ledger.reminders.compose import reminder_message
    from ledger.reminders.models import Reminder

    messages = 0
    for user_id, pairs in per_user.items():
        user = users[user_id]
        subject, body, kind, item_id = reminder_message(user, [entry for _, entry in pairs])
        message = notify_user(user, kind, subject, body, item_id)
        messages += 1
        if message is not None:
            for kind_, item_key, uid, period in (key for key, _ in pairs):
                db.session.execute(update(Reminder).where(
                    Reminder.kind == kind_, Reminder.item_key == item_key, Reminder.user_id == uid,
                    Reminder.period == period).values(message_id=message.id),
                    execution_options={"synchronize_session": False})
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--at", required=True)
    parser.add_argument("--instance", default="/tmp/ledger-bench/instance-try")
    args = parser.parse_args()
    from ledger import create_app

    app = create_app({"LEDGER_DATABASE_URL": args.db, "LEDGER_INSTANCE_PATH": args.instance,
                      "INSTANCE_PATH": args.instance, "LEDGER_SCHEDULER": "off", "LEDGER_SECRET_KEY": "bench"})
    import ledger.reminders.services as reminders
    from ledger.scheduler.jobs import parse_moment, run_all

    reminders._deliver = patched_deliver
    logging.disable(logging.INFO)
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        runs = run_all(parse_moment(args.at), "run-jobs")
        print(json.dumps({"wall": round(time.perf_counter() - wall, 2), "cpu": round(time.process_time() - cpu, 2),
                          "runs": [[r.job, r.status, r.result] for r in runs]}, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
