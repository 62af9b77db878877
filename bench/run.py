"""Run the benchmarks against a generated data set and write bench/RESULTS.md.

    .venv/bin/python bench/run.py --db sqlite:////tmp/ledger-bench/county.sqlite [--generate county]
    .venv/bin/python bench/run.py --db sqlite:///… --db postgresql://postgres@127.0.0.1:5432/ledger_bench

Every figure is measured in this run and printed beside its floor (the request's own SQL replayed raw
through sqlite3/psycopg, with the plan of its main statement) and its ceiling (``/healthz`` on the
same gunicorn: 2 workers on 127.0.0.1). Load is bounded: a few client threads on keep-alive
connections for a fixed number of seconds. What the application does not offer yet is reported as
"not available yet", never as a failure of the run.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floor  # noqa: E402
from bench.load import (  # noqa: E402
    Gunicorn,
    Http,
    MemorySampler,
    Nginx,
    bearer,
    env_for,
    flask_cmd,
    free_port,
    get_token,
    login_cookie,
    login_form,
    multipart,
    run_load,
    timed_process,
)

PASSWORD = "bench-pass-1"
FINDINGS = ROOT / "bench" / "FINDINGS.md"
ROLES = {"secretary": "bench_secretary", "supervisor": "bench_supervisor", "admin": "admin"}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    """One database: the server, the tokens, the in-process twin, and the figures gathered."""

    def __init__(self, url: str, seconds: float, mix_seconds: float, threads: int, instance: Path,
                 label: str = "", proxy: bool = False):
        self.url, self.seconds, self.mix_seconds, self.threads = url, seconds, mix_seconds, threads
        self.backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        self.label = label or self.backend
        self.instance = instance
        self.proxy = proxy
        self.env = env_for(url, instance, **({"LEDGER_PROXY_HOPS": "1"} if proxy else {}))
        self.sections: list[tuple[str, list[str]]] = []
        self.targets: list[tuple[str, str, str, bool | None]] = []  # (what, target, measured, met)
        self.data: dict = {}
        self.jobs_timeout = 150.0
        self.replay_seconds = 3.0

    # --- helpers -------------------------------------------------------------------------------------
    def section(self, title: str, lines: list[str]) -> None:
        self.sections.append((title, lines))
        print(f"\n## {title}\n" + "\n".join(lines), flush=True)

    def target(self, what: str, goal: str, measured: str, met: bool | None) -> None:
        self.targets.append((what, goal, measured, met))

    def sql(self, statement: str, **params) -> list:
        from sqlalchemy import text

        from ledger.core.db import db

        with self.inproc.app.app_context():
            return db.session.execute(text(statement), params).all()

    def get(self, role: str, path: str) -> tuple[int, bytes]:
        status, data, _, _ = Http(self.port).request("GET", path, None, bearer(self.tokens[role]))
        return status, data

    def post_json(self, role: str, path: str, body: dict, client: Http | None = None) -> tuple[int, dict, float]:
        client = client or Http(self.port)
        status, data, elapsed, _ = client.request("POST", path, json.dumps(body).encode(),
                                                  {**bearer(self.tokens[role]), "Content-Type": "application/json"})
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = {"raw": data[:300].decode(errors="replace")}
        return status, answer, elapsed

    def headers(self, role: str, html: bool) -> dict:
        return {"Cookie": self.cookies[role]} if html else bearer(self.tokens[role])

    def load(self, paths: list[str], role: str, html: bool = False, seconds: float | None = None,
             threads: int | None = None):
        headers = self.headers(role, html)

        def make(n: int, i: int):
            return "GET", paths[(n * 7919 + i) % len(paths)], None, headers

        def check(status: int, data: bytes) -> str | None:
            return None if status == 200 else f"{status}: {data[:120]!r}"

        with MemorySampler(self.gunicorn.workers) as memory:
            result = run_load(self.port, make, threads or self.threads, seconds or self.seconds,
                              check=check)
        summary = result.summary()
        summary["peak_mb"] = memory.peak_mb
        return summary

    def statements_and_floor(self, path: str, role: str, html: bool) -> dict:
        if html:
            self.inproc.login(ROLES[role], PASSWORD)
            status, statements = self.inproc.capture(path)
        else:
            status, statements = self.inproc.capture(path, bearer(self.tokens[role]))
        main = floor.main_statement(statements)
        plan = floor.plan(self.url, main)
        raw = floor.replay(self.url, statements, reps=200, seconds=self.replay_seconds)
        return {"status": status, "statements": len([s for s in statements if s[0].strip().upper() != "BEGIN"]),
                "floor": raw, "plan": plan, "indexed": floor.uses_index(plan)}

    # --- set-up --------------------------------------------------------------------------------------
    def prepare(self) -> None:
        from ledger.core.pagination import encode_cursor

        self.inproc = floor.InProcess(self.url, self.instance)
        ids = {name: uid for name, uid in self.sql(
            "SELECT username, id FROM users WHERE username IN ('admin', 'bench_supervisor', 'bench_secretary', "
            "'bench_owner')")}
        self.ids = ids
        self.busiest = self.sql("SELECT org_id FROM memberships WHERE user_id = :u", u=ids["bench_secretary"])[0][0]
        self.branch_l2 = self.sql("SELECT id FROM organisations WHERE parent_id = 1 ORDER BY id LIMIT 1")[0][0]
        counts = {k: v for k, v in self.sql("SELECT 'items', COUNT(*) FROM items UNION ALL "
                                            "SELECT 'opinions', COUNT(*) FROM opinions UNION ALL "
                                            "SELECT 'events', COUNT(*) FROM events UNION ALL "
                                            "SELECT 'organisations', COUNT(*) FROM organisations UNION ALL "
                                            "SELECT 'users', COUNT(*) FROM users UNION ALL "
                                            "SELECT 'notifications', COUNT(*) FROM notifications UNION ALL "
                                            "SELECT 'messages', COUNT(*) FROM messages")}
        self.data["rows"] = counts

        def deep_cursor(where: str, **params) -> tuple[str, int]:
            total = self.sql(f"SELECT COUNT(*) FROM items WHERE {where}", **params)[0][0]
            offset = max(0, int(total * 0.9) - 1)
            row = self.sql(f"SELECT due_key, id FROM items WHERE {where} ORDER BY due_key, id "
                           f"LIMIT 1 OFFSET {offset}", **params)[0]
            due = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0])[:10])
            return encode_cursor([due, row[1]]), offset + 1

        sec = ids["bench_secretary"]
        self.deep = {
            "secretary": deep_cursor("org_id = :o OR owner_id = :u OR leader_id = :u", o=self.busiest, u=sec),
            "supervisor": deep_cursor("1 = 1"), "admin": deep_cursor("1 = 1")}
        owner = ids["bench_owner"]
        self.pending = [r[0] for r in self.sql(
            "SELECT id FROM items WHERE owner_id = :u AND status = 'pending' AND deadline IS NOT NULL "
            "AND flagged = :f ORDER BY id", u=owner, f=False)]  # a flagged item is verified by a supervisor
        self.working = [r[0] for r in self.sql(
            "SELECT id FROM items WHERE owner_id = :u AND status IN ('claimed', 'in_progress') ORDER BY id",
            u=owner)]
        self.sample_items = [r[0] for r in self.sql(
            "SELECT id FROM items WHERE org_id = :o ORDER BY id LIMIT 200", o=self.busiest)]

    def start_server(self, workers: int = 2) -> Gunicorn:
        self.gunicorn = Gunicorn(self.env, workers=workers)
        self.gunicorn.__enter__()
        self.port = self.gunicorn.port
        self.nginx = None
        if self.proxy:
            self.nginx = Nginx(self.gunicorn.port, ROOT / "ledger" / "static", self.instance / "nginx")
            self.nginx.__enter__()
            self.port = self.nginx.port
        self.tokens = {role: get_token(self.port, name, PASSWORD) for role, name in
                       {**ROLES, "owner": "bench_owner"}.items()}
        self.cookies = {role: login_cookie(self.port, name, PASSWORD) for role, name in ROLES.items()}
        return self.gunicorn

    # --- the benchmarks ------------------------------------------------------------------------------
    def bench_ceiling(self) -> None:
        self.ceiling = self.load(["/healthz"], "admin")
        c = self.ceiling
        self.section("Ceiling: `/healthz` on the same gunicorn", [
            f"{self.threads} client threads, {self.seconds:.0f} s: **{c['rps']} req/s**, p50 {c['p50']} ms, "
            f"p95 {c['p95']} ms, p99 {c['p99']} ms, worker peak RSS {c['peak_mb']} MB, statuses {c['statuses']}"])

    def bench_static(self) -> None:
        if not self.proxy:
            return
        result = self.load(["/static/ledger.css"], "admin")
        self.section("Static file through nginx (`/static/ledger.css`, never reaches gunicorn)", [
            f"**{result['rps']} req/s**, p50 {result['p50']} ms, p95 {result['p95']} ms, statuses "
            f"{result['statuses']} — against `/healthz` through nginx and gunicorn: {self.ceiling['rps']} req/s."])

    def bench_lists(self) -> None:
        rows = ["| list | page | p50 ms | p95 ms | p99 ms | req/s | SQL/req | floor p50 ms (raw SQL) | "
                "ceiling req/s | peak RSS MB | main plan |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        first_p95 = {}
        for role in ("secretary", "supervisor", "admin"):
            cursor, position = self.deep[role]
            for html in (False, True):
                base = "/items" if html else "/api/v1/items"
                for page, path in (("first", base), (f"deep (row {position:,})", f"{base}?cursor={cursor}")):
                    label = f"{'HTML' if html else 'JSON'} {role}"
                    result = self.load([path], role, html)
                    detail = self.statements_and_floor(path, role, html)
                    plan = "; ".join(detail["plan"][:2]).replace("|", "/")
                    rows.append(f"| {label} | {page} | {result['p50']} | {result['p95']} | {result['p99']} | "
                                f"{result['rps']} | {detail['statements']} | {detail['floor']['p50']} | "
                                f"{self.ceiling['rps']} | {result['peak_mb']} | {plan} |")
                    bad = {k: v for k, v in result["statuses"].items() if k != 200}
                    if bad or result["locked"]:
                        rows.append(f"|  | ⚠ statuses {result['statuses']} {result['errors'][:1]} | | | | | | | | | |")
                    key = (role, html)
                    if page == "first":
                        first_p95[key] = result["p95"]
                        self.target(f"list {label} first page", "≥ 300 req/s, p95 ≤ 50 ms",
                                    f"{result['rps']} req/s, p95 {result['p95']} ms",
                                    result["rps"] >= 300 * self._slack_rps() and result["p95"] <= 50 * self._slack())
                    else:
                        ratio = result["p95"] / first_p95[key] if first_p95[key] else float("nan")
                        self.target(f"list {label} deep page", "p95 within 1.5× of the first page",
                                    f"{ratio:.2f}×", ratio <= 1.5)
                    self.target(f"list {label} {page.split()[0]} plan", "on an index", plan[:80], detail["indexed"])
        self.section("Ledger list (JSON `/api/v1/items`, HTML `/items`), default page size", rows)

    def _slack(self) -> float:
        return 1.5 if self.backend == "postgresql" else 1.0

    def _slack_rps(self) -> float:
        return 1 / self._slack()

    def bench_filters(self) -> None:
        today = date.today()
        filters = {"status=in_progress": "status=in_progress", "status=closed": "status=closed",
                   "owner_id": f"owner_id={self.ids['bench_owner']}", "overdue=true": "overdue=true",
                   "overdue=false": "overdue=false", "flagged=true": "flagged=true", "light=red": "light=red",
                   "light=yellow": "light=yellow", "light=green": "light=green", "light=none": "light=none",
                   "kind=long_term": "kind=long_term", "category=作风": "category=%E4%BD%9C%E9%A3%8E",
                   f"due_before={today + timedelta(days=14)}": f"due_before={today + timedelta(days=14)}",
                   "q=停车 (text)": "q=%E5%81%9C%E8%BD%A6"}
        rows = ["| filter | subtree | p50 ms | p95 ms | req/s | SQL/req | floor p50 ms | on index | plan |",
                "|---|---|---|---|---|---|---|---|---|"]
        seconds = max(2.0, self.seconds / 4)
        replay, self.replay_seconds = self.replay_seconds, 1.0
        for name, query in filters.items():
            for subtree in (self.branch_l2, 1):
                path = f"/api/v1/items?{query}&org_id={subtree}"
                result = self.load([path], "supervisor", seconds=seconds)
                detail = self.statements_and_floor(path, "supervisor", False)
                plan = "; ".join(detail["plan"][:2]).replace("|", "/")
                rows.append(f"| {name} | {'root' if subtree == 1 else f'org {subtree}'} | {result['p50']} | "
                            f"{result['p95']} | {result['rps']} | {detail['statements']} | "
                            f"{detail['floor']['p50']} | {'yes' if detail['indexed'] else '**no**'} | {plan} |")
                self.target(f"filter {name} + subtree {subtree}", "on an index; p95 ≤ 50 ms",
                            f"p95 {result['p95']} ms", detail["indexed"] and result["p95"] <= 50 * self._slack())
        self.replay_seconds = replay
        self.section("Every list filter combined with a subtree (supervisor over the root; JSON, first page)",
                     [f"{seconds:.0f} s each, {self.threads} threads."] + rows)

    def bench_item_page(self) -> None:
        rows = ["| page | p50 ms | p95 ms | req/s | SQL/req | floor p50 ms | peak RSS MB |",
                "|---|---|---|---|---|---|---|"]
        for html in (False, True):
            paths = [f"{'/items' if html else '/api/v1/items'}/{i}" for i in self.sample_items]
            result = self.load(paths, "secretary", html)
            detail = self.statements_and_floor(paths[0], "secretary", html)
            label = "HTML /items/{id}" if html else "JSON /api/v1/items/{id}"
            rows.append(f"| {label} | {result['p50']} | {result['p95']} | {result['rps']} | {detail['statements']} | "
                        f"{detail['floor']['p50']} | {result['peak_mb']} |")
            self.target(f"item page {label}", "≤ 8 SQL statements", str(detail["statements"]),
                        detail["statements"] <= 8)
        self.section("Item page (secretary of the busiest branch, 200 different items)", rows)

    def _transition(self, role: str, item_id: int, action: str, client: Http | None = None, **data):
        status, body = self.get(role, f"/api/v1/items/{item_id}")
        version = json.loads(body)["version"] if status == 200 else 0
        return self.post_json(role, f"/api/v1/items/{item_id}/transitions",
                              {"action": action, "version": version, **data}, client)

    def bench_claim_verify(self, count: int = 10) -> None:
        items = self.pending[:count]
        self.pending = self.pending[count:]
        if not items:
            self.section("Claim → verify", ["not available: no pending items of bench_owner in this data set"])
            return
        steps: dict[str, list[float]] = {}
        failures = []
        client = Http(self.port)
        started = time.perf_counter()
        for item_id in items:
            plan = [("owner", "claim", {}), ("owner", "start", {}), ("owner", "evidence", {}),
                    ("owner", "submit", {"completion_note": "已完成整改"}),
                    ("secretary", "verify", {"comment": "同意"})]
            for role, action, data in plan:
                if action == "evidence":
                    body, ctype = multipart({"kind": "photo"}, {"file": ("photo.png", PNG, "image/png")})
                    status, answer, elapsed, _ = client.request(
                        "POST", f"/api/v1/items/{item_id}/attachments", body,
                        {**bearer(self.tokens["owner"]), "Content-Type": ctype})
                    ok = status == 201
                else:
                    status, answer, elapsed = self._transition(role, item_id, action, client, **data)
                    ok = status == 200
                steps.setdefault(action, []).append(elapsed)
                if not ok:
                    failures.append(f"{item_id} {action}: {status} {str(answer)[:160]}")
                    break
        total = time.perf_counter() - started
        rows = ["| step | n | p50 ms | max ms |", "|---|---|---|---|"]
        for action, values in steps.items():
            values.sort()
            middle, worst = values[len(values) // 2] * 1000, values[-1] * 1000
            rows.append(f"| {action} | {len(values)} | {middle:.1f} | {worst:.1f} |")
        self.section("Claim → start → evidence → submit → verify (one client, sequential)",
                     [f"{len(items)} items in {total:.2f} s ({total / len(items) * 1000:.0f} ms per item, "
                      "each step preceded by a GET for the version)."] + rows +
                     ([f"Failures: {failures[:5]}"] if failures else []))
        self.target("claim → verify", "every step accepted", f"{len(failures)} failures", not failures)

    def bench_race(self, rounds: int = 5) -> None:
        items = self.pending[:rounds]
        self.pending = self.pending[rounds:]
        if not items:
            self.section("Eight clients racing one item", ["not available: no pending items left"])
            return
        outcomes = []
        for item_id in items:
            status, body = self.get("owner", f"/api/v1/items/{item_id}")
            version = json.loads(body)["version"]
            barrier = threading.Barrier(8)
            statuses: list[int] = []
            clients = [Http(self.port) for _ in range(8)]
            for c in clients:  # open the connections first so that all eight leave together
                c.request("GET", "/healthz")

            def claim(c: Http, barrier=barrier, item_id=item_id, version=version, statuses=statuses) -> None:
                barrier.wait()
                s, _, _ = self.post_json("owner", f"/api/v1/items/{item_id}/transitions",
                                         {"action": "claim", "version": version}, c)
                statuses.append(s)

            threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            outcomes.append(sorted(statuses))
        good = all(o.count(200) == 1 and o.count(409) == 7 for o in outcomes)
        self.section("Eight clients racing one item (claim, same version, released by a barrier)",
                     [f"round {i + 1}: statuses {o}" for i, o in enumerate(outcomes)])
        self.target("race of 8 on one item", "exactly one 200, seven 409, no 500",
                    "; ".join(str(o.count(200)) + "×200 " + str(o.count(409)) + "×409" for o in outcomes), good)

    def bench_mix(self) -> None:
        if not self.working:
            self.section("90/10 read/write mix", ["not available: no claimed or in-progress items of bench_owner"])
            return
        reads = ([("supervisor", "/api/v1/items"), ("secretary", "/api/v1/items"), ("admin", "/api/v1/items")] +
                 [("secretary", f"/api/v1/items/{i}") for i in self.sample_items[:50]] +
                 [("supervisor", f"/api/v1/items?org_id={self.branch_l2}&overdue=true")])
        versions: dict[int, int] = {}
        lock = threading.Lock()
        write_latencies, read_latencies = [], []
        rng = random.Random(7)

        def make(n: int, i: int):
            if rng.random() < 0.10:
                item_id = rng.choice(self.working)
                with lock:
                    version = versions.get(item_id)
                if version is None:
                    status, body = self.get("owner", f"/api/v1/items/{item_id}")
                    version = json.loads(body).get("version", 1)
                body = json.dumps({"action": "progress", "version": version, "note": f"进展 {n}-{i}",
                                   "percent": min(100, 10 + i % 80)}).encode()
                return ("POST", f"/api/v1/items/{item_id}/transitions", body,
                        {**bearer(self.tokens["owner"]), "Content-Type": "application/json", "X-Item": str(item_id)})
            role, path = rng.choice(reads)
            return "GET", path, None, bearer(self.tokens[role])

        def check(status: int, data: bytes) -> str | None:
            if status == 200 and data.startswith(b"{") and b'"version"' in data and b'"allowed_actions"' in data:
                answer = json.loads(data)
                with lock:
                    versions[answer["id"]] = answer["version"]
            if status >= 500:
                return f"{status}: {data[:200]!r}"
            return None

        with MemorySampler(self.gunicorn.workers) as memory:
            result = run_load(self.port, make, self.threads, self.mix_seconds, check=check)
        del write_latencies, read_latencies
        s = result.summary()
        five_hundreds = sum(v for k, v in result.statuses.items() if isinstance(k, int) and k >= 500)
        self.section(f"90/10 read/write mix for {self.mix_seconds:.0f} s ({self.threads} threads)", [
            f"{s['n']} requests, **{s['rps']} req/s**, p50 {s['p50']} ms, **p95 {s['p95']} ms**, p99 {s['p99']} ms, "
            f"statuses {s['statuses']} (409 = a stale version, expected when two writers pick the same item), "
            f"'database is locked' in {s['locked']} answers, 5xx {five_hundreds}, worker peak RSS {memory.peak_mb} MB.",
            "Reads: ledger lists (three roles), item pages, an overdue filter on a subtree; writes: the owner's "
            "progress notes (`progress` transition) on their claimed / in-progress items."])
        self.target("mix 90/10", "p95 ≤ 100 ms, no 'database is locked', no 5xx",
                    f"p95 {s['p95']} ms, locked {s['locked']}, 5xx {five_hundreds}",
                    s["p95"] <= 100 * self._slack() and not s["locked"] and not five_hundreds)

    def bench_stats(self) -> None:
        path = "/api/v1/stats?org_id=1"
        status, body = self.get("supervisor", path)
        if status == 404 and b"not_found" in body and b"stats" not in body:
            self.section("Stats for the root", ["not available yet"])
            return
        if status != 200:
            self.section("Stats for the root", [f"not available yet ({status}: {body[:200]!r})"])
            return
        result = self.load([path], "supervisor", seconds=max(5, self.seconds / 2), threads=1)
        detail = self.statements_and_floor(path, "supervisor", False)
        ratio = result["p50"] / detail["floor"]["p50"] if detail["floor"]["p50"] else float("nan")
        self.section("`GET /api/v1/stats?org_id=1` (the whole county), one client", [
            f"p50 {result['p50']} ms, p95 {result['p95']} ms, {result['rps']} req/s; {detail['statements']} SQL "
            f"statements; floor (the same SQL raw) p50 {detail['floor']['p50']} ms → **{ratio:.2f}× the raw SQL**; "
            f"ceiling {self.ceiling['rps']} req/s.", "Main statement plan: " + "; ".join(detail["plan"][:6])])
        self.target("stats for the root", "≤ 3× its raw SQL", f"{ratio:.2f}×", ratio <= 3)

    def _count(self, table: str) -> int:
        try:
            return self.sql(f"SELECT COUNT(*) FROM {table}")[0][0]
        except Exception:  # noqa: BLE001 (a table another feature has not shipped)
            return -1

    def bench_jobs(self) -> None:
        help_ = timed_process(flask_cmd("ledger", "run-jobs", "--help"), self.env, timeout=60)
        if help_["rc"] != 0:
            self.section("`flask ledger run-jobs --at`", ["not available yet"])
            return

        def counts() -> dict:
            return {t: self._count(t) for t in ("messages", "notifications", "reminders", "job_runs")}

        rows = ["| run | wall s | peak RSS MB | rows created (messages / notifications / reminders) | exit | output |",
                "|---|---|---|---|---|---|",
                f"| baseline: `run-jobs --help` (interpreter and app start) | {help_['seconds']} | {help_['peak_mb']} "
                "| – | 0 | |"]
        at = f"{date.today() + timedelta(days=1)}T08:00:00+08:00"
        results = {}
        for name, moment in (("first", at), ("rerun, same moment", at)):
            before = counts()
            run = timed_process(flask_cmd("ledger", "run-jobs", "--at", moment), self.env, timeout=self.jobs_timeout)
            if "[killed: timeout]" in run["output"]:
                rows.append(f"| {name} ({moment}) | > {self.jobs_timeout:.0f} (killed; rolled back) | "
                            f"{run['peak_mb']} | – | – | |")
                self._jobs_one_by_one(rows, at)
                self.section("`flask ledger run-jobs --at` over the whole data set", rows)
                self.target("run-jobs over the county", "≤ 15 s", f"> {self.jobs_timeout:.0f} s (killed)", False)
                return
            after = counts()
            created = [after[t] - before[t] for t in ("messages", "notifications", "reminders")]
            results[name] = (run, created)
            rows.append(f"| {name} ({moment}) | {run['seconds']} | {run['peak_mb']} | {created} | {run['rc']} | "
                        f"{run['output'][-300:].replace(chr(10), '; ').replace('|', '/')} |")
        moment = f"{date.today() + timedelta(days=2)}T08:00:00+08:00"
        before = counts()
        procs, logs = [], [tempfile.TemporaryFile("w+") for _ in range(2)]
        started = time.perf_counter()
        for log in logs:  # output to files, not pipes: the run holding the lock must never block on a full pipe
            procs.append(subprocess.Popen(flask_cmd("ledger", "run-jobs", "--at", moment), cwd=ROOT, env=self.env,
                                          stdout=log, stderr=subprocess.STDOUT, text=True))
        for proc in procs:
            proc.wait(timeout=300)
        wall = time.perf_counter() - started
        outs = []
        for log in logs:
            log.seek(0)
            outs.append(log.read())
            log.close()
        after = counts()
        created = [after[t] - before[t] for t in ("messages", "notifications", "reminders")]
        rows.append(f"| two at once ({moment}) | {wall:.2f} | – | {created} | {[p.returncode for p in procs]} | "
                    f"{' // '.join(o.strip()[-200:].replace(chr(10), '; ') for o in outs).replace('|', '/')} |")
        alone = timed_process(flask_cmd("ledger", "run-jobs", "--at", moment), self.env, timeout=300)
        again = counts()
        rows.append(f"| after the pair, same moment again | {alone['seconds']} | {alone['peak_mb']} | "
                    f"{[again[t] - after[t] for t in ('messages', 'notifications', 'reminders')]} | {alone['rc']} | |")
        first, rerun = results["first"], results["rerun, same moment"]
        self.section("`flask ledger run-jobs --at` over the whole data set", rows)
        self.target("run-jobs over the county", "≤ 15 s", f"{first[0]['seconds']} s",
                    first[0]["seconds"] <= 15 and first[0]["rc"] == 0)
        self.target("run-jobs rerun", "creates nothing", str(rerun[1]), not any(rerun[1]))
        self.target("run-jobs two at once", "no duplicate, nothing missed",
                    f"pair created {created}, a later run created "
                    f"{[again[t] - after[t] for t in ('messages', 'notifications', 'reminders')]}",
                    not any(again[t] - after[t] for t in ("messages", "reminders")))

    def _jobs_one_by_one(self, rows: list[str], moment: str) -> None:
        """After a full run timed out: each job alone (bounded), to show where the time goes."""
        for job in ("notices", "weekly_digest", "outbox", "reminders"):
            run = timed_process(flask_cmd("ledger", "run-jobs", "--at", moment, "--job", job), self.env,
                                timeout=min(40, self.jobs_timeout))
            killed = "[killed: timeout]" in run["output"]
            rows.append(f"| `--job {job}` alone | {'> ' if killed else ''}{run['seconds']} | {run['peak_mb']} | – | "
                        f"{'killed' if killed else run['rc']} | "
                        f"{run['output'][-200:].replace(chr(10), '; ').replace('|', '/')} |")

    def bench_outbox(self) -> None:
        port = free_port()
        smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c",
                                 "aiosmtpd.handlers.Sink"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)
            env = {**self.env, "LEDGER_SMTP_URL": f"smtp://127.0.0.1:{port}"}
            pending = self.sql("SELECT COUNT(*) FROM messages WHERE status = 'pending'")[0][0]
            run = timed_process(flask_cmd("ledger", "send-outbox", "--limit", "2000"), env, timeout=600)
        finally:
            smtp.terminate()
            smtp.wait(timeout=10)
        sent = self.sql("SELECT COUNT(*) FROM messages WHERE status = 'pending'")[0][0]
        done = pending - sent
        self.section("`flask ledger send-outbox --limit 2000` to a local SMTP server (aiosmtpd Sink)", [
            f"{pending:,} pending before, {done:,} delivered in {run['seconds']} s "
            f"({done / run['seconds']:.0f} messages/s), peak RSS {run['peak_mb']} MB, exit {run['rc']}: "
            f"`{run['output'][-200:]}`"])

    def bench_export(self) -> None:
        client = Http(self.port, timeout=300)
        rows = []
        for fmt in ("xlsx", "csv"):
            try:
                with MemorySampler(self.gunicorn.workers) as memory:
                    status, data, elapsed, _ = client.request("GET", f"/api/v1/items/export?format={fmt}", None,
                                                              bearer(self.tokens["admin"]))
            except Exception as exc:  # noqa: BLE001 (a broken stream: say so, keep the other format)
                client.close()
                rows.append(f"| {fmt} | **failed**: `{type(exc).__name__}: {str(exc)[:80]}` (see gunicorn log) | | | |")
                continue
            if status == 404:
                self.section("Export of the ledger", ["not available yet"])
                return
            rows.append(f"| {fmt} | {status} | {elapsed:.2f} | {len(data) / 1e6:.1f} | {memory.peak_mb} |")
            if fmt == "xlsx":
                self.target("export of every item (.xlsx, HTTP)", "≤ 25 s, ≤ 150 MB",
                            f"{elapsed:.1f} s, worker peak {memory.peak_mb} MB",
                            status == 200 and elapsed <= 25 and memory.peak_mb <= 150)
        self.section(f"Export of all {self.data['rows']['items']:,} items as admin (`GET /api/v1/items/export`)",
                     ["| format | status | seconds | MB | worker peak RSS MB (whole process) |",
                      "|---|---|---|---|---|", *rows])

    def bench_import(self, rows_n: int = 10_000) -> None:
        lines = ["内容,渠道,类型,类别,提出人,联系方式,收到日期"]
        for i in range(rows_n):
            lines.append(f"第{i}条：窗口服务需改进，建议延长服务时间,座谈会,问题,服务,群众{i % 97},,"
                         f"{date.today() - timedelta(days=i % 300)}")
        content = ("\n".join(lines) + "\n").encode("utf-8")
        body, ctype = multipart({"org_id": str(self.busiest)}, {"file": ("opinions.csv", content, "text/csv")})
        client = Http(self.port, timeout=300)
        before = self._count("opinions")
        with MemorySampler(self.gunicorn.workers) as memory:
            status, data, elapsed, _ = client.request("POST", "/api/v1/opinions/import", body,
                                                      {**bearer(self.tokens["secretary"]), "Content-Type": ctype})
        created = self._count("opinions") - before
        if status == 404:
            self.section(f"Import of {rows_n:,} opinions", ["not available yet"])
            return
        self.section(f"Import of {rows_n:,} opinions (CSV, `POST /api/v1/opinions/import` as the secretary)", [
            f"status {status}, {elapsed:.2f} s, {created:,} opinions created, worker peak RSS {memory.peak_mb} MB; "
            f"answer: `{data[:200].decode(errors='replace')}`"])
        self.target(f"import of {rows_n:,} opinions", "≤ 15 s", f"{elapsed:.1f} s ({status})",
                    status in (200, 201) and created == rows_n and elapsed <= 15)

    def bench_notice(self) -> None:
        """A closure notice (an organisation's own items closed in the period) of the branch with the most
        closed items, over the period of its last 1,000 closures (or all of them)."""
        busiest = self.sql("SELECT org_id, count(*) FROM items WHERE status = 'closed' GROUP BY org_id "
                           "ORDER BY count(*) DESC LIMIT 1")
        if not busiest or busiest[0][1] < 10:
            self.section("Notice of 1,000 items", ["not available: too few closed items"])
            return
        org_id = busiest[0][0]
        closed = [r[0] for r in self.sql(f"SELECT closed_at FROM items WHERE status = 'closed' AND org_id = {org_id} "
                                         "ORDER BY closed_at")]

        def day(value) -> date:
            return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])

        end = day(closed[-1]) + timedelta(days=1)  # local days: a UTC timestamp late in the day is tomorrow there
        start = day(closed[max(0, len(closed) - 1000)]) - timedelta(days=1)
        status, answer, elapsed = self.post_json("supervisor", "/api/v1/notices", {
            "org_id": org_id, "kind": "closure", "period_start": start.isoformat(), "period_end": end.isoformat()})
        if status == 404 and "notices" not in str(answer):
            self.section("Notice of 1,000 items", ["not available yet"])
            return
        if status != 201:
            self.section("Notice of ~1,000 items (closure notice, DOCX and PDF)",
                         [f"not available: creating the notice answered {status} {str(answer)[:300]}"])
            return
        count = (answer.get("content") or {}).get("count", "?")
        notice_id = answer["id"]
        rows = [f"Draft of a closure notice of organisation {org_id} (the branch with the most closed items) over "
                f"{start} – {end}: **{count} items**, created in {elapsed:.2f} s (the notice's own count).",
                "| format | status | seconds | KB | worker peak RSS MB |",
                "|---|---|---|---|---|"]
        client = Http(self.port, timeout=300)
        for fmt in ("docx", "pdf"):
            with MemorySampler(self.gunicorn.workers) as memory:
                s, data, t, _ = client.request("GET", f"/api/v1/notices/{notice_id}/{fmt}", None,
                                               bearer(self.tokens["supervisor"]))
            rows.append(f"| {fmt} | {s} | {t:.2f} | {len(data) / 1024:.0f} | {memory.peak_mb} |")
        self.section("Notice of ~1,000 items (closure notice, DOCX and PDF)", rows)

    def bench_login_burst(self, attempts: int = 60) -> None:
        victim = self.sql("SELECT username FROM users WHERE username LIKE 'owner_%' ORDER BY id LIMIT 1")[0][0]
        token, cookie = login_form(self.port)
        body = f"username={victim}&password=wrong-password&csrf_token={token}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"}

        def make(n: int, i: int):
            return "POST", "/login", body, headers

        result = run_load(self.port, make, threads=self.threads, seconds=30, max_requests=attempts)
        s = result.summary()
        self.section(f"Login under a burst of {attempts} wrong passwords for one account ({self.threads} threads)", [
            f"statuses {s['statuses']} (401 = refused form, 429 = rate limited), p50 {s['p50']} ms, "
            f"p95 {s['p95']} ms, {s['rps']} attempts/s; 5xx: "
            f"{sum(v for k, v in result.statuses.items() if isinstance(k, int) and k >= 500)}."])
        self.target("login burst", "429s once over the limit, no 5xx",
                    str(s["statuses"]), s["statuses"].get(429, 0) > 0 and
                    not any(isinstance(k, int) and k >= 500 for k in result.statuses))

    def run_all(self, only: set[str] | None = None) -> None:
        self.prepare()
        self.start_server()
        if self.proxy:
            only = (only or {"lists", "item", "mix", "static"}) | {"static"}
        plan = [("ceiling", self.bench_ceiling), ("static", self.bench_static), ("lists", self.bench_lists),
                ("item", self.bench_item_page),
                ("filters", self.bench_filters), ("claim", self.bench_claim_verify), ("race", self.bench_race),
                ("mix", self.bench_mix), ("stats", self.bench_stats), ("export", self.bench_export),
                ("import", self.bench_import), ("notice", self.bench_notice), ("login", self.bench_login_burst)]
        try:
            for name, step in plan:
                if only and name not in only and name != "ceiling":
                    continue
                log(f"{self.label}: {name}")
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 (one failed benchmark must not lose the others)
                    self.section(f"{name}: failed", [f"`{type(exc).__name__}: {exc}`"])
        finally:
            if self.nginx is not None:
                self.nginx.__exit__()
            self.gunicorn.__exit__()
        # The outbox first: run-jobs ends by delivering the outbox itself (to the log without SMTP).
        for name, step in (("outbox", self.bench_outbox), ("jobs", self.bench_jobs)):
            if only and name not in only:
                continue
            log(f"{self.label}: {name}")
            try:
                step()
            except Exception as exc:  # noqa: BLE001
                self.section(f"{name}: failed", [f"`{type(exc).__name__}: {exc}`"])


# --- the report --------------------------------------------------------------------------------------------
def cpu_reference() -> float:
    """Seconds for 10,000,000 Python additions (best of three): this machine's speed, to compare runs by."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return round(best, 2)


def memory_reference() -> float:
    """Seconds to allocate and zero 50 MB twenty times: page faults, which Python allocation pays for and
    which vary between virtual machines far more than arithmetic does."""
    started = time.perf_counter()
    for _ in range(20):
        bytearray(50_000_000)
    return round(time.perf_counter() - started, 2)


CPU_REFERENCE: list[float] = []  # taken when the run starts and when it ends
MEMORY_REFERENCE: list[float] = []


def machine() -> list[str]:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    import sqlite3

    import gunicorn
    import psycopg
    import sqlalchemy

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    pg = sh("psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' 2>/dev/null") or "–"
    return [f"- date: {datetime.now().astimezone().isoformat(timespec='seconds')}",
            f"- machine: {sh('nproc')} cores ({cpu}), memory: `{sh('free -m | sed -n 2p')}`",
            f"- kernel: {platform.release()}; Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
            f"PostgreSQL {pg}; "
            f"SQLAlchemy {sqlalchemy.__version__}; psycopg {psycopg.__version__}; gunicorn {gunicorn.__version__}",
            f"- code: `{sh('git -C ' + str(ROOT) + ' rev-parse --short HEAD')}` (plus uncommitted work of the day "
            "in the shared tree)",
            f"- CPU reference (10,000,000 Python additions, best of 3, `cpu_reference()`): "
            f"{' s at the start, '.join(str(x) for x in CPU_REFERENCE)} s at the end; memory reference "
            f"(20 fresh 50 MB buffers, `memory_reference()`): "
            f"{' s at the start, '.join(str(x) for x in MEMORY_REFERENCE)} s at the end"]


def write_report(benches: list[Bench], out: Path, notes: list[str], append: bool = False) -> None:
    if append and out.exists():
        lines = [out.read_text(encoding="utf-8").rstrip(), ""] + notes + [machine()[-1]]
        _bench_lines(benches, lines)
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    lines = ["# Benchmarks: speed and scale, measured", "",
             "Written by `bench/run.py` from one run on this machine; every figure below comes from that run. "
             "Floor = the request's own SQL replayed raw through sqlite3/psycopg (no ORM, no HTTP); ceiling = "
             "`/healthz` on the same gunicorn (2 sync workers, 127.0.0.1), same client threads. The load client "
             "runs on the same 2 cores as the server, so every req/s figure includes the client's own CPU.", "",
             "## Machine", *machine(), ""]
    lines += notes
    if FINDINGS.exists():  # the investigations behind the figures, kept by hand beside this script
        lines += ["", FINDINGS.read_text(encoding="utf-8").rstrip(), ""]
    _bench_lines(benches, lines)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _bench_lines(benches: list[Bench], lines: list[str]) -> None:
    for bench in benches:
        lines += ["", f"# {bench.label}", "", "Rows: " + ", ".join(f"{k} {v:,}" for k, v in
                                                             bench.data.get("rows", {}).items()), ""]
        lines += ["## Targets", "", "| what | target | measured | met |", "|---|---|---|---|"]
        for what, goal, measured, met in bench.targets:
            lines.append(f"| {what} | {goal} | {measured} | {'✅' if met else ('–' if met is None else '❌')} |")
        for title, body in bench.sections:
            lines += ["", f"## {title}", "", *body]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", required=True, help="database URL (repeatable)")
    parser.add_argument("--generate", choices=["small", "county", "province"], help="build the data set first")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each load")
    parser.add_argument("--mix-seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--note", action="append", default=[], help="a line for the report's preamble")
    parser.add_argument("--scale-label", default="", help="what the data set is, for the report's headings")
    parser.add_argument("--append", action="store_true", help="add to the existing report instead of replacing it")
    parser.add_argument("--jobs-timeout", type=float, default=150)
    parser.add_argument("--proxy", action="store_true",
                        help="also run the deployment shape: nginx in front (static files, ProxyFix) on each --db")
    args = parser.parse_args()
    CPU_REFERENCE.append(cpu_reference())
    MEMORY_REFERENCE.append(memory_reference())
    benches = []
    notes = list(args.note)
    for url in args.db:
        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        instance = Path(f"/tmp/ledger-bench/instance-{backend}")
        instance.mkdir(parents=True, exist_ok=True)
        if args.generate:
            from bench.generate import generate

            log(f"generating {args.generate} into {url}")
            info = generate(args.generate, url, instance=instance)
            notes.append(f"- data set ({backend}): `bench/generate.py --scale {args.generate}` "
                         f"(seed {info['seed']}) built and loaded in {info['seconds']} s "
                         f"({info['rows_per_second']:,} rows/s after the schema).")
        bench = Bench(url, args.seconds, args.mix_seconds, args.threads, instance,
                      label=f"{backend} ({args.scale_label or args.generate or 'existing data set'})")
        bench.jobs_timeout = args.jobs_timeout
        bench.run_all({s for s in args.only.split(",") if s} or None)
        benches.append(bench)
        write_report(benches, Path("/tmp/ledger-bench") / (Path(args.out).stem + ".partial.md"), notes)
        if args.proxy:
            shaped = Bench(url, args.seconds, min(args.mix_seconds, 30), args.threads, instance,
                           label=f"{backend} behind nginx (docs/deployment.md), {args.scale_label or 'same data'}",
                           proxy=True)
            shaped.run_all()
            benches.append(shaped)
        (Path("/tmp/ledger-bench") / f"results-{backend}.json").write_text(json.dumps(
            {"sections": bench.sections, "targets": bench.targets, "rows": bench.data.get("rows")},
            ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    CPU_REFERENCE.append(cpu_reference())
    MEMORY_REFERENCE.append(memory_reference())
    write_report(benches, Path(args.out), notes, append=args.append)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
