"""Deterministic, seeded benchmark data: a county (or a province, or a small slice) loaded in bulk.

    python bench/generate.py --scale county --db sqlite:////tmp/ledger-bench/county.sqlite
    python bench/generate.py --scale county --db postgresql://postgres@127.0.0.1:5432/ledger_bench

The schema is created by ``flask --app wsgi ledger init`` (the migrations), then every table is filled
in ONE transaction: executemany on SQLite (with loading PRAGMAs), COPY through psycopg on PostgreSQL.
Secondary indexes are dropped before the load and rebuilt after it, inside the same transaction.
Rows respect the schema's CHECK constraints and the invariants the services keep (``is_open`` and
``due_key`` follow status and deadline; ``closed_at`` is set exactly when closed; ``yellow_from`` comes
from ``ledger.items.lights``; an extended item has ``original_deadline != deadline`` and an approved
``extensions`` row).

Well-known logins (password ``bench-pass-1``): ``admin``; ``bench_supervisor`` (supervisor over the
root); ``bench_secretary`` (secretary of the busiest branch); ``bench_owner`` (an owner there).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.items.lights import yellow_from  # noqa: E402  (a pure function: the same rule as the app)

PASSWORD = "bench-pass-1"
SEED = 20261123
ANCHOR = date(2026, 11, 23)  # "today" of the data set: deadlines spread around it
NO_DEADLINE = date(9999, 12, 31)

COUNTY = {"orgs": 300, "users": 10_000, "items": 100_000, "opinions": 1_000_000, "events": 2_000_000,
          "notifications": 300_000, "messages": 200_000, "reviews": 1_000}
SCALES = {"small": 0.01, "county": 1, "province": 10}

CATEGORIES = ["形式主义", "官僚主义", "享乐主义", "奢靡之风", "作风", "服务", "效能", "廉洁", "其他"]
CHANNELS = ["meeting", "symposium", "questionnaire", "suggestion_box", "hotline", "interview", "online",
            "letter", "inspection", "audit", "assigned", "other"]
METHODS = ["meeting", "symposium", "questionnaire", "suggestion_box", "hotline", "interview", "online"]
TOPICS = ["办事大厅窗口午休无人值守", "社保卡补办材料要求不清", "村道路灯长期损坏", "停车难问题突出",
          "会议文件过多过长", "督查检查考核过频", "窗口工作人员态度生硬", "审批事项办理时限过长",
          "基层报表重复填报", "惠民资金发放不及时", "农村饮水安全隐患", "校园周边交通拥堵",
          "公共厕所保洁不到位", "信访件答复敷衍", "政务公开信息更新慢", "公车使用登记不规范"]
MEASURES = ["实行午间错时服务，安排专人值守", "制定一次性告知清单并在网上公开", "排查损坏路灯并限期修复",
            "规划增设临时停车位，错峰开放机关停车场", "精简会议文件，严控篇幅", "统筹合并督查检查事项",
            "开展服务礼仪培训，设立投诉电话", "压缩审批时限，推行容缺受理"]
STATUS_MIX = [("pending", 8), ("claimed", 8), ("in_progress", 28), ("awaiting_verification", 8),
              ("closed", 45), ("cancelled", 3)]
OPEN = {"pending", "claimed", "in_progress", "awaiting_verification"}
PATH = {"pending": [], "claimed": ["claim"], "in_progress": ["claim", "start"],
        "awaiting_verification": ["claim", "start", "submit"], "closed": ["claim", "start", "submit", "verify"],
        "cancelled": ["cancel"]}
TRANSITIONS = {"claim": ("pending", "claimed"), "start": ("claimed", "in_progress"),
               "submit": ("in_progress", "awaiting_verification"), "verify": ("awaiting_verification", "closed"),
               "cancel": ("pending", "cancelled")}


def counts_for(scale: str) -> dict[str, int]:
    factor = SCALES[scale]
    counts = {k: max(1, int(v * factor)) for k, v in COUNTY.items()}
    counts["orgs"] = max(30, counts["orgs"])
    counts["users"] = max(counts["orgs"] + 60, counts["users"])
    return counts


class Values:
    """How dates, times and JSON are passed to the driver."""

    def __init__(self, backend: str):
        self.sqlite = backend == "sqlite"

    def ts(self, moment: datetime | None):
        if moment is None:
            return None
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment

    def d(self, day: date | None):
        if day is None:
            return None
        return day.isoformat() if self.sqlite else day


def moment(day: date, rng: random.Random) -> datetime:
    """A working-hours moment (Asia/Shanghai 08:00–18:00) on ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 600))


def text(rng: random.Random, bank: list[str], words: int) -> str:
    return "；".join(rng.choice(bank) for _ in range(words)) + "。"


class Generator:
    """Builds the rows table by table; ``tables`` maps a table to (columns, row iterator)."""

    def __init__(self, scale: str, backend: str, seed: int = SEED, anchor: date = ANCHOR):
        self.n = counts_for(scale)
        self.v = Values(backend)
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.now = datetime(anchor.year, anchor.month, anchor.day, 1, 0, tzinfo=UTC)

    # --- organisations -------------------------------------------------------------------------------
    def orgs(self) -> list[tuple]:
        n = self.n["orgs"]
        l2, l3 = max(2, round(n * 0.03)), max(3, round(n * 0.13))
        l4 = n - 1 - l2 - l3
        self.levels: dict[int, list[int]] = {1: [1], 2: [], 3: [], 4: []}
        self.path: dict[int, str] = {1: "/1/"}
        rows = [(1, "中共某县委员会", "committee", None, "/1/", "Asia/Shanghai", self.v.ts(self.now))]
        oid = 1
        for level, count, kind, name in ((2, l2, "committee", "党委"), (3, l3, "general_branch", "党总支"),
                                         (4, l4, "branch", "党支部")):
            parents = self.levels[level - 1]
            for i in range(count):
                oid += 1
                parent = parents[i % len(parents)]
                self.path[oid] = f"{self.path[parent]}{oid}/"
                self.levels[level].append(oid)
                rows.append((oid, f"第{oid}{name}", kind, parent, self.path[oid], "Asia/Shanghai",
                             self.v.ts(self.now - timedelta(days=900))))
        # Items live mostly in branches, a few in general branches; weights make some branches busy.
        self.item_orgs = self.levels[4] + self.levels[3]
        self.org_weights = [1 + 9 * (self.rng.random() ** 3) for _ in self.item_orgs]
        self.busiest = self.levels[4][0]
        self.org_weights[0] = max(self.org_weights) * 2
        return rows

    # --- users and memberships -----------------------------------------------------------------------
    def users(self, password_hash: str) -> tuple[list[tuple], list[tuple]]:
        rng = self.rng
        users, members = [], []
        self.owners: dict[int, list[int]] = {o: [] for o in self.item_orgs}
        self.secretary: dict[int, int] = {}
        self.supervisors: list[int] = []

        def add(username: str, name: str, admin: bool = False) -> int:
            uid = len(users) + 1
            users.append((uid, username, name, f"{username}@bench.example", password_hash, True, admin,
                          f"{rng.getrandbits(128):032x}", None, "immediate", False,
                          self.v.ts(self.now - timedelta(days=800))))
            return uid

        def member(uid: int, org: int, role: str) -> None:
            members.append((len(members) + 1, uid, org, role))

        add("admin", "系统管理员", admin=True)
        member(add("bench_supervisor", "县委督导组"), 1, "supervisor")
        self.supervisors.append(2)
        for org in self.levels[2] + self.levels[3]:
            uid = add(f"sup_{org}", f"督导{org}")
            member(uid, org, "supervisor")
            self.supervisors.append(uid)
        for org in self.item_orgs:
            name = "bench_secretary" if org == self.busiest else f"sec_{org}"
            uid = add(name, f"书记{org}")
            member(uid, org, "secretary")
            self.secretary[org] = uid
        first_owner = True
        while len(users) < self.n["users"]:
            org = rng.choices(self.item_orgs, self.org_weights)[0] if len(users) % 3 else \
                self.item_orgs[len(users) % len(self.item_orgs)]
            if first_owner:
                org, first_owner = self.busiest, False
                uid = self.bench_owner = add("bench_owner", "责任人 bench")
            else:
                uid = add(f"owner_{len(users) + 1}", f"责任人{len(users) + 1}")
            member(uid, org, "owner")
            self.owners[org].append(uid)
        for org, owners in self.owners.items():
            if not owners:  # every organisation with items has an owner
                uid = add(f"owner_{len(users) + 1}", f"责任人{len(users) + 1}")
                member(uid, org, "owner")
                owners.append(uid)
        self.all_people = [u[0] for u in users[1:]]
        return users, members

    # --- reviews -------------------------------------------------------------------------------------
    def reviews(self) -> list[tuple]:
        rng, rows = self.rng, []
        self.org_reviews: dict[int, list[int]] = {}
        for rid in range(1, self.n["reviews"] + 1):
            org = self.item_orgs[(rid - 1) % len(self.item_orgs)]
            held = self.anchor - timedelta(days=rng.randint(30, 700))
            issued = rng.randint(20, 200)
            returned = rng.randint(issued // 2, issued)
            valid = rng.randint(returned // 2, returned)
            rows.append((rid, org, f"{held.year}年度民主评议", rng.choice(METHODS), self.v.d(held), issued,
                         returned, valid, "", self.secretary[org], self.v.ts(moment(held, rng))))
            self.org_reviews.setdefault(org, []).append(rid)
        return rows

    # --- items, extensions, events -------------------------------------------------------------------
    def items(self) -> tuple[list[tuple], list[tuple], list]:
        rng, v = self.rng, self.v
        n = self.n["items"]
        statuses = [s for s, _ in STATUS_MIX]
        weights = [w for _, w in STATUS_MIX]
        rows, extensions = [], []
        self.item_meta: list[tuple] = []  # (id, org, owner, status, created, path, extended, closed_day)
        seq_by_year: dict[int, int] = {}
        orgs = rng.choices(self.item_orgs, self.org_weights, k=n)
        for iid in range(1, n + 1):
            org = orgs[iid - 1]
            status = rng.choices(statuses, weights)[0]
            roll = rng.random()
            kind = "immediate" if roll < 0.2 else ("long_term" if roll > 0.95 else "time_limited")
            created_day = self.anchor - timedelta(days=rng.randint(0, 420))
            created = moment(created_day, rng)
            if kind == "immediate":
                deadline = created_day + timedelta(days=rng.randint(1, 10))
            elif kind == "long_term" and rng.random() < 0.5:
                deadline = None
            else:
                deadline = created_day + timedelta(days=rng.randint(15, 240))
            original = deadline
            extended = deadline is not None and status not in ("pending", "cancelled") and rng.random() < 0.34
            if extended:
                deadline = original + timedelta(days=rng.randint(7, 60))
            owner = rng.choice(self.owners[org])
            if org == self.busiest and rng.random() < 0.25:
                owner = self.bench_owner  # enough of every status for the claim, race and mix runs
            leader = self.secretary[org]
            path = list(PATH[status])
            reopened = status in ("in_progress", "closed") and rng.random() < 0.02
            if reopened:  # closed once, reopened (回炉), and for a closed item closed again
                path = PATH["closed"] + ["reopen"] + (["submit", "verify"] if status == "closed" else [])
            if extended:
                path[1:1] = ["request_extension", "approve_extension"]
            claimed = submitted = closed = None
            t = created
            if "claim" in path:
                t = claimed = t + timedelta(hours=rng.randint(1, 72))
            if "submit" in path:
                t = submitted = t + timedelta(days=rng.randint(1, 60))
            if status == "closed":
                t = closed = min(t + timedelta(days=rng.randint(0, 7)), self.now - timedelta(hours=1))
                submitted = min(submitted, closed)
            elif reopened:
                submitted = None
            percent = {"pending": 0, "claimed": rng.randint(0, 20), "in_progress": rng.randint(10, 90),
                       "awaiting_verification": 100, "closed": 100, "cancelled": 0}[status]
            flagged = rng.random() < 0.05
            year = created.year
            seq_by_year[year] = seq_by_year.get(year, 0) + 1
            code = f"ZG-{year}-{seq_by_year[year]:04d}"
            title = f"{rng.choice(TOPICS)}（{org}-{iid}）"
            yellow = yellow_from(deadline, kind, created_day, percent, 3, 30)
            is_open = status in OPEN
            version = 1 + len(path)
            rows.append((
                iid, code, org, title, text(rng, TOPICS, 3), text(rng, MEASURES, 2), kind,
                rng.choice(("individual", "individual", "common")), rng.choice(CATEGORIES),
                rng.choice(("normal",) * 8 + ("urgent", "critical")), leader, owner, v.d(deadline), v.d(original),
                v.d(deadline or NO_DEADLINE), status, is_open, flagged, percent, v.d(yellow),
                "已完成整改" if status in ("awaiting_verification", "closed") else None, None,
                rng.choice(("duplicate", "invalid", "other")) if status == "cancelled" else None,
                "分阶段推进" if kind == "long_term" else None,
                v.d(self.anchor + timedelta(days=30)) if kind == "long_term" else None,
                2 if reopened else 1, v.ts(created), v.ts(claimed), v.ts(submitted), v.ts(closed),
                self.secretary[org], v.ts(created), v.ts(t), version))
            if extended:
                decided_by = self.supervisors[0] if flagged else self.secretary[org]
                requested = (claimed or created) + timedelta(days=1)
                extensions.append((len(extensions) + 1, iid, owner, v.d(original), v.d(deadline), "客观原因需延期",
                                   "approved", decided_by, "同意", v.ts(requested),
                                   v.ts(requested + timedelta(hours=20))))
            self.item_meta.append((iid, org, owner, status, created, path, extended, reopened))
        self.seq_by_year = seq_by_year
        return rows, extensions

    def events(self):
        """Each item's journal: created, its path, extension, then progress notes up to the total."""
        rng, v = self.rng, self.v
        base = [1 + len(m[5]) for m in self.item_meta]
        extra = [0] * len(base)
        progressing = [i for i, m in enumerate(self.item_meta) if m[3] not in ("pending", "cancelled")]
        for _ in range(max(0, self.n["events"] - sum(base))):
            extra[rng.choice(progressing)] += 1
        eid = 0
        for (iid, org, owner, _status, created, path, _ext, _reopened), more in zip(self.item_meta, extra, strict=True):
            sec = self.secretary[org]
            t = created
            eid += 1
            yield (eid, iid, sec, "create", None, "pending", None, "{}", 1, v.ts(t))
            percent, round_ = 0, 1
            for step in path[:1] + ["progress"] * more + path[1:]:
                t = t + timedelta(minutes=rng.randint(30, 4000))
                eid += 1
                frm, to = TRANSITIONS.get(step, (None, None))
                changes, actor, comment = "{}", owner, None
                if step == "progress":
                    new = min(100, percent + rng.randint(1, 15))
                    changes, comment, percent = json.dumps({"progress_percent": [percent, new]}), "推进整改", new
                elif step in ("verify", "cancel", "approve_extension"):
                    actor, comment = sec, "同意"
                elif step == "reopen":
                    actor, frm, to, comment = sec, "closed", "in_progress", "满意度不足，回炉整改"
                round_ = 2 if step == "reopen" else round_
                yield (eid, iid, actor, step, frm, to, comment, changes, round_, v.ts(t))
        self.event_count = eid

    # --- opinions ------------------------------------------------------------------------------------
    def opinions(self):
        rng = self.rng
        n = self.n["opinions"]
        accepted_budget = int(n * 0.2)
        oid = 0
        # Accepted opinions first (1–3 per item, up to 20 % of all), then the rest.
        for iid, org, _owner, status, created, *_ in self.item_meta:
            if status == "cancelled":
                continue
            for _ in range(rng.randint(1, 3)):
                if oid >= accepted_budget:
                    break
                oid += 1
                yield self._opinion(oid, org, "accepted", iid, created.date(), status == "closed")
        statuses, weights = ["new", "answered", "rejected"], [20, 50, 30]
        while oid < n:
            oid += 1
            org = self.item_orgs[oid % len(self.item_orgs)]
            yield self._opinion(oid, org, rng.choices(statuses, weights)[0], None,
                                self.anchor - timedelta(days=rng.randint(0, 500)), False)

    def _opinion(self, oid: int, org: int, status: str, item: int | None, day: date, closed: bool) -> tuple:
        rng, v = self.rng, self.v
        anonymous = rng.random() < 0.2
        contact = None if anonymous or rng.random() < 0.5 else rng.choice((f"p{oid}@mail.example",
                                                                           f"138{oid:08d}"))
        reviews = self.org_reviews.get(org)
        review = rng.choice(reviews) if reviews and rng.random() < 0.6 else None
        at = moment(day, rng)
        answered = status in ("answered", "rejected") or (status == "accepted" and closed)
        reply = {"answered": "已解释说明", "rejected": "不予采纳：不属于本单位职责"}.get(status)
        return (oid, org, review, rng.choice(CHANNELS), rng.choice(("problem", "problem", "suggestion")),
                rng.choice(CATEGORIES), text(rng, TOPICS, 2), None if anonymous else f"群众{oid % 997}",
                contact, anonymous, contact is not None and rng.random() < 0.3, v.d(day), status, item, reply,
                v.ts(at + timedelta(days=10)) if answered else None, self.secretary[org], v.ts(at),
                v.ts(at + timedelta(days=1)))

    # --- outbox and notifications --------------------------------------------------------------------
    def messages(self):
        rng, v = self.rng, self.v
        n_items = self.n["items"]
        pending = max(20, self.n["messages"] // 100)
        for mid in range(1, self.n["messages"] + 1):
            user = rng.choice(self.all_people)
            created = self.now - timedelta(minutes=rng.randint(1, 500_000))
            status = "pending" if mid > self.n["messages"] - pending else rng.choices(
                ("sent", "logged", "failed"), (97, 2, 1))[0]
            sent = created + timedelta(minutes=1) if status in ("sent", "logged") else None
            yield (mid, f"bench:{mid}" if rng.random() < 0.8 else None, rng.choice(("due_soon", "overdue",
                   "escalation", "feedback")), rng.randint(1, n_items), None, user, f"u{user}@bench.example",
                   "【台账提醒】您有事项即将到期", "您负责的整改事项即将到期，请及时办理。", status,
                   1 if sent else (6 if status == "failed" else 0),
                   v.ts(created if status != "pending" else self.now - timedelta(minutes=5)),
                   "550 mailbox unavailable" if status == "failed" else None, v.ts(created), v.ts(sent))

    def notifications(self):
        rng, v = self.rng, self.v
        n_items, n_messages = self.n["items"], self.n["messages"]
        for nid in range(1, self.n["notifications"] + 1):
            created = self.now - timedelta(minutes=rng.randint(1, 500_000))
            yield (nid, rng.choice(self.all_people), rng.choice(("due_soon", "overdue", "escalation")),
                   rng.randint(1, n_items), rng.randint(1, n_messages) if rng.random() < 0.5 else None,
                   "【台账提醒】事项到期提醒", "您负责的整改事项即将到期，请及时办理。", v.ts(created),
                   v.ts(created + timedelta(hours=3)) if rng.random() < 0.6 else None)


COLUMNS = {
    "organisations": "id name kind parent_id path timezone created_at",
    "users": "id username display_name email password_hash active is_admin session_token locale "
             "reminder_delivery reminders_opt_out created_at",
    "memberships": "id user_id org_id role",
    "reviews": "id org_id title method held_on forms_issued forms_returned forms_valid note created_by_id created_at",
    "items": "id code org_id title description measures kind scope category urgency leader_id owner_id deadline "
             "original_deadline due_key status is_open flagged progress_percent yellow_from completion_note "
             "return_note cancel_reason stage_goals next_review_on round assigned_at claimed_at submitted_at "
             "closed_at created_by_id created_at updated_at version",
    "extensions": "id item_id requested_by_id current_deadline new_deadline reason status decided_by_id "
                  "decision_comment requested_at decided_at",
    "events": "id item_id actor_id action from_status to_status comment changes round at",
    "opinions": "id org_id review_id channel kind category content submitter_name submitter_contact anonymous "
                "wants_updates received_on status item_id reply feedback_at created_by_id created_at updated_at",
    "messages": "id dedupe_key kind item_id opinion_id recipient_user_id to_address subject body status attempts "
                "next_attempt_at last_error created_at sent_at",
    "notifications": "id user_id kind item_id message_id subject body created_at read_at",
    "code_counters": "id prefix year value",
}
LOADED = list(COLUMNS)


def table_plan(gen: Generator, password_hash: str):
    """(table, rows) in foreign-key order; rows may be a generator."""
    orgs = gen.orgs()
    users, members = gen.users(password_hash)
    reviews = gen.reviews()
    items, extensions = gen.items()
    counters = [(i + 1, "ZG", year, seq) for i, (year, seq) in enumerate(sorted(gen.seq_by_year.items()))]
    return [("organisations", orgs), ("users", users), ("memberships", members), ("reviews", reviews),
            ("items", items), ("extensions", extensions), ("events", gen.events()), ("opinions", gen.opinions()),
            ("messages", gen.messages()), ("notifications", gen.notifications()), ("code_counters", counters)]


def chunks(rows, size: int = 20_000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- loading -------------------------------------------------------------------------------------------
def init_schema(url: str, instance: Path) -> None:
    """``flask --app wsgi ledger init`` against ``url``: the migrations build the schema."""
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_INSTANCE_PATH": str(instance),
           "LEDGER_SCHEDULER": "off", "FLASK_APP": "wsgi"}
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run([flask, "--app", "wsgi", "ledger", "init"], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0 and "Multiple head" in done.stdout + done.stderr:
        # Work in progress elsewhere left two migration heads: build the schema from both, and say so.
        print("WARNING: `ledger init` refused (several migration heads); using `flask db upgrade heads`")
        done = subprocess.run([flask, "--app", "wsgi", "db", "upgrade", "heads"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ledger init failed:\n{done.stdout}\n{done.stderr}")


def load_sqlite(path: Path, plan) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("synchronous=OFF", "cache_size=-400000", "temp_store=MEMORY", "foreign_keys=OFF"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN")
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND "
                           f"tbl_name IN ({','.join('?' * len(LOADED))})", LOADED).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    counts = {}
    for table, rows in plan:
        cols = COLUMNS[table].split()
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        if table == "code_counters":
            conn.execute("DELETE FROM code_counters")
        started, count = time.monotonic(), 0
        for batch in chunks(rows):
            conn.executemany(sql, batch)
            count += len(batch)
        counts[table] = count
        print(f"  {table:<14} {count:>10,} rows  {time.monotonic() - started:6.1f} s", flush=True)
    started = time.monotonic()
    for _, sql in indexes:
        conn.execute(sql)
    print(f"  indexes rebuilt ({len(indexes)})     {time.monotonic() - started:6.1f} s", flush=True)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return counts


def load_postgresql(url: str, plan) -> dict[str, int]:
    import psycopg

    counts = {}
    with psycopg.connect(url) as conn:
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = "
            "ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (LOADED,)).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        # Foreign-key triggers off for this load only (rows are consistent by construction, and
        # checked with PRAGMA foreign_key_check on SQLite); needs a superuser, else they stay on.
        if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("DELETE FROM code_counters")
        for table, rows in plan:
            cols = COLUMNS[table].split()
            started, count = time.monotonic(), 0
            with conn.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            counts[table] = count
            print(f"  {table:<14} {count:>10,} rows  {time.monotonic() - started:6.1f} s", flush=True)
        started = time.monotonic()
        for _, sql in indexes:
            conn.execute(sql)
        for table in LOADED:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
        print(f"  indexes rebuilt ({len(indexes)}), sequences set  {time.monotonic() - started:6.1f} s", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.monotonic()
        conn.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE                 {time.monotonic() - started:6.1f} s", flush=True)
    return counts


def recreate_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, _, name = plain_pg(url).rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def plain_pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def generate(scale: str, url: str, seed: int = SEED, instance: Path | None = None) -> dict:
    """Build the data set at ``url`` (replacing what is there); answers the row counts and timings."""
    from argon2 import PasswordHasher

    instance = instance or Path("/tmp/ledger-bench/instance")
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    started = time.monotonic()
    recreate_database(url)
    init_schema(url, instance)
    schema_s = time.monotonic() - started
    print(f"schema by `flask ledger init`: {schema_s:.1f} s; loading {scale} ({backend}) …", flush=True)
    gen = Generator(scale, backend, seed)
    plan = table_plan(gen, PasswordHasher().hash(PASSWORD))
    if backend == "sqlite":
        counts = load_sqlite(Path(url[len("sqlite:///"):]), plan)
    else:
        counts = load_postgresql(plain_pg(url), plan)
    again = time.monotonic()
    init_schema(url, instance)  # as a deployment would after loading: a no-op upgrade, then ANALYZE
    print(f"  `ledger init` again (ANALYZE)  {time.monotonic() - again:6.1f} s", flush=True)
    total = time.monotonic() - started
    print(f"done in {total:.1f} s ({sum(counts.values()):,} rows)", flush=True)
    return {"scale": scale, "backend": backend, "seed": seed, "counts": counts, "seconds": round(total, 1),
            "schema_seconds": round(schema_s, 1), "busiest_org": gen.busiest,
            "rows_per_second": round(sum(counts.values()) / max(total - schema_s, 1e-9))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--db", required=True, help="sqlite:////abs/path.sqlite or postgresql://…/name")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    info = generate(args.scale, args.db, args.seed)
    print(json.dumps(info, ensure_ascii=False))


if __name__ == "__main__":
    main()
