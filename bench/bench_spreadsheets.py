"""Spreadsheet import/export at scale: 10,000 opinions in, 100,000 items out.

    .venv/bin/python bench/bench_spreadsheets.py [--items 100000] [--opinions 10000] [--dir /tmp/ledger-bench-ss]

Builds a scratch SQLite database (schema by the migrations, rows by bulk insert), writes a real .xlsx of
opinions with openpyxl, then measures each operation in a fresh subprocess: wall time and the process's
peak resident memory (``ru_maxrss``); with ``--trace``, a second pass gives the Python heap peak
(``tracemalloc``). A baseline subprocess (app created, nothing done) gives the memory every run starts from.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOPICS = ["办事大厅窗口午休无人值守", "社保卡补办材料要求不清", "村道路灯长期损坏", "停车难问题突出",
          "会议文件过多过长", "督查检查考核过频", "窗口工作人员态度生硬", "审批事项办理时限过长"]
CHANNELS = ["评议会", "座谈会", "问卷", "意见箱", "热线", "个别访谈", "网络", "来信"]
STATUSES = [("pending", 10), ("claimed", 10), ("in_progress", 30), ("awaiting_verification", 5), ("closed", 42),
            ("cancelled", 3)]


def make_app(db_path: Path):
    from ledger import create_app

    return create_app({"LEDGER_DATABASE_URL": f"sqlite:///{db_path}", "LEDGER_INSTANCE_PATH": str(db_path.parent),
                       "INSTANCE_PATH": str(db_path.parent), "LEDGER_SECRET_KEY": "bench", "LEDGER_ENV": "bench",
                       "LEDGER_SCHEDULER": "off", "LEDGER_IMPORT_MAX_ROWS": 50000,
                       "LEDGER_IMPORT_MAX_BYTES": 50 * 1024 * 1024})


# --- set-up: schema, bulk rows, the opinions workbook ------------------------------------------

def seed(db_path: Path, items: int) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from ledger.auth.models import Membership, User
    from ledger.auth.services import create_user
    from ledger.core.db import db, unit_of_work
    from ledger.items.models import Event, Item
    from ledger.opinions.models import Opinion
    from ledger.orgs.services import create_org

    app = make_app(db_path)
    with app.app_context():
        upgrade()
        with unit_of_work():
            root = create_org(None, "某县委", "committee")
            branches = [create_org(None, f"第{i}党支部", "branch", root.id) for i in range(1, 21)]
            secretary = create_user(None, "bench_sec", "bench-pass-1", "书记", None,
                                    [{"org_id": branches[0].id, "role": "secretary"}])
            admin = create_user(None, "bench_admin", "bench-pass-1", "管理员", None, [], is_admin=True)
            # Owners in bulk: a slow password hash per user would dominate the set-up.
            db.session.execute(insert(User), [{"username": f"owner{i}", "display_name": f"责任人{i}",
                                               "password_hash": "!", "session_token": f"t{i}"} for i in range(50)])
            owner_ids = list(db.session.scalars(select(User.id).where(User.username.like("owner%"))))
            db.session.execute(insert(Membership), [{"user_id": uid, "org_id": branches[i % 20].id, "role": "owner"}
                                                    for i, uid in enumerate(owner_ids)])
            ids = {"root": root.id, "branch": branches[0].id, "secretary": secretary.id, "admin": admin.id}
            branch_ids = [b.id for b in branches]
        rng = random.Random(7)
        today, now = date(2026, 11, 23), datetime(2026, 11, 23, 2, tzinfo=UTC)
        weights = [w for _, w in STATUSES]
        started = time.perf_counter()
        with unit_of_work():
            for start in range(0, items, 5000):
                item_rows, opinion_rows, event_rows = [], [], []
                for n in range(start + 1, min(items, start + 5000) + 1):
                    status = rng.choices([s for s, _ in STATUSES], weights)[0]
                    deadline = today + timedelta(days=rng.randint(-60, 90))
                    closed = status == "closed"
                    item_rows.append({
                        "id": n, "code": f"ZG-2026-{n:06d}", "org_id": branch_ids[n % 20],
                        "title": rng.choice(TOPICS), "description": "群众反映：" + rng.choice(TOPICS),
                        "measures": "实行午间错时服务，安排专人值守；制定一次性告知清单", "kind": "time_limited",
                        "scope": "individual", "urgency": "normal", "leader_id": ids["secretary"],
                        "owner_id": owner_ids[n % 50], "deadline": deadline, "original_deadline": deadline,
                        "due_key": deadline, "status": status, "is_open": status not in ("closed", "cancelled"),
                        "flagged": n % 50 == 0, "progress_percent": 100 if closed else rng.choice([0, 30, 60]),
                        "completion_note": "已整改完成" if closed else None, "round": 1,
                        "closed_at": now - timedelta(days=rng.randint(1, 30)) if closed else None,
                        "cancel_reason": "duplicate" if status == "cancelled" else None,
                        "assigned_at": now - timedelta(days=90), "created_at": now - timedelta(days=90),
                        "updated_at": now, "version": 3})
                    if n % 3 == 0:
                        for k in range(2):
                            opinion_rows.append({
                                "org_id": branch_ids[n % 20], "channel": "meeting", "kind": "problem",
                                "content": f"意见{n}-{k}：" + rng.choice(TOPICS), "anonymous": False,
                                "wants_updates": False, "received_on": today - timedelta(days=100),
                                "status": "accepted", "item_id": n, "created_at": now, "updated_at": now})
                    if status in ("claimed", "in_progress"):
                        event_rows.append({"item_id": n, "action": "progress", "from_status": status,
                                           "to_status": status, "comment": "已完成方案制定，正在推进",
                                           "changes": {}, "round": 1, "at": now})
                db.session.execute(insert(Item), item_rows)
                if opinion_rows:
                    db.session.execute(insert(Opinion), opinion_rows)
                if event_rows:
                    db.session.execute(insert(Event), event_rows)
        ids["seed_seconds"] = round(time.perf_counter() - started, 1)
        db.engine.dispose()
    return ids


def write_opinions(path: Path, count: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(11)
    workbook = Workbook()  # the normal mode writes shared strings and <dimension>, as Excel does
    sheet = workbook.active
    sheet.title = "意见建议"
    sheet.append(["2026年度群众评议征求意见汇总表"])
    sheet.append(["序号", "意见内容", "渠道", "类型", "类别", "提出人", "联系方式", "收到日期"])
    for n in range(1, count + 1):
        sheet.append([n, f"{rng.choice(TOPICS)}，希望尽快解决（第{n}条）", rng.choice(CHANNELS),
                      rng.choice(["问题", "建议"]), rng.choice(["作风", "服务", "效能"]), f"群众{n}",
                      f"1390000{n:04d}", date(2026, 10, 1) + timedelta(days=n % 50)])
    workbook.save(path)


# --- one measured operation, in its own process ------------------------------------------------

def measure(op: str, db_path: Path, target: Path, ids: dict, trace: bool) -> dict:
    import tracemalloc

    from ledger.auth.models import User
    from ledger.core.db import db, unit_of_work

    app = make_app(db_path)
    with app.app_context():
        with unit_of_work(write=False):
            db.session.get(User, ids["admin"])  # warm up: connection, mappers
        if trace:
            tracemalloc.start()
        cpu_before = _cpu()
        started = time.perf_counter()
        result = None
        if op in ("import", "import-dry-run"):
            from ledger.spreadsheets.opinion_import import import_opinions

            with unit_of_work(write=op == "import"), target.open("rb") as stream:
                report = import_opinions(db.session.get(User, ids["secretary"]), ids["branch"], stream,
                                         dry_run=op == "import-dry-run")
            result = {"rows": report.rows, "created": report.created, "errors": len(report.errors)}
        elif op.startswith("export"):
            from ledger.spreadsheets import export

            with unit_of_work(write=False):
                actor = db.session.get(User, ids["admin"])
                filters = {"org_id": ids["branch"]} if op.endswith("one-org") else {}
                if op == "export-csv":
                    with target.open("w", encoding="utf-8", newline="") as out:
                        lines = sum(1 for line in export.iter_ledger_csv(actor, filters) if out.write(line))
                    result = {"items": lines - 1}
                else:
                    with target.open("wb") as out:
                        result = {"items": export.write_ledger_xlsx(actor, filters, out)}
            result["bytes"] = target.stat().st_size
        seconds = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"op": op, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "maxrss_mb": round(rss_kb / 1024, 1),
            "tracemalloc_peak_mb": round(peak / 1024 / 1024, 1) if peak is not None else None, **(result or {})}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(op: str, db_path: Path, target: Path, ids: dict, trace: bool = False) -> dict:
    command = [sys.executable, __file__, "--measure", op, "--db", str(db_path), "--target", str(target),
               "--ids", json.dumps(ids)] + (["--trace"] if trace else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--opinions", type=int, default=10_000)
    parser.add_argument("--dir", default="/tmp/ledger-bench-ss")
    parser.add_argument("--measure")
    parser.add_argument("--db")
    parser.add_argument("--target")
    parser.add_argument("--ids")
    parser.add_argument("--trace", action="store_true", help="also measure the Python heap peak (slow)")
    parser.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.db), Path(args.target), json.loads(args.ids), args.trace)))
        return
    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "bench.sqlite"
    saved = workdir / "ids.json"
    if args.reuse and saved.exists() and db_path.exists():
        ids = json.loads(saved.read_text())
        print(f"reusing {db_path}", flush=True)
    else:
        for stale in workdir.glob("bench.sqlite*"):
            stale.unlink()
        started = time.perf_counter()
        ids = seed(db_path, args.items)
        saved.write_text(json.dumps(ids))
        print(f"seeded {args.items} items in {time.perf_counter() - started:.1f}s "
              f"(bulk insert {ids['seed_seconds']}s)", flush=True)
    sheet = workdir / "opinions.xlsx"
    write_opinions(sheet, args.opinions)
    print(f"wrote {args.opinions} opinions to {sheet} ({sheet.stat().st_size // 1024} KB)", flush=True)
    ops = [("baseline", sheet), ("import-dry-run", sheet), ("import", sheet),
           ("export-xlsx-one-org", workdir / "ledger-org.xlsx"), ("export-xlsx", workdir / "ledger.xlsx"),
           ("export-csv", workdir / "ledger.csv")]
    results = []
    for op, target in ops:
        results.append(run(op, db_path, target, ids))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    if args.trace:  # tracemalloc slows Python down several times: a separate pass
        for result, (op, target) in zip(results, ops, strict=True):
            if op != "baseline":
                result["tracemalloc_peak_mb"] = run(op, db_path, target, ids, trace=True)["tracemalloc_peak_mb"]
                print(op, "traced", result["tracemalloc_peak_mb"], "MB", flush=True)
    print("\n| operation | rows | wall seconds | CPU seconds | peak RSS (MB) | Python heap peak (MB, tracemalloc) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        rows = r.get("created") or r.get("rows") or r.get("items") or ""
        print(f"| {r['op']} | {rows} | {r['seconds']} | {r['cpu_seconds']} | {r['maxrss_mb']} "
              f"| {r['tracemalloc_peak_mb'] or ''} |")

if __name__ == "__main__":
    main()
