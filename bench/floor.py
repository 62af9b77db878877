"""The floor: the SQL a request sends, captured in-process, then replayed raw through sqlite3 / psycopg.

``InProcess`` runs the application (same configuration as the server) behind Flask's test client, one
fresh session per request as in production, and records every statement with a SQLAlchemy
``before_cursor_execute`` listener: that gives the statements per request, and the exact SQL and
parameters the floor replays without the ORM, the templates or HTTP.
"""
from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

READ = re.compile(r"^\s*(SELECT|WITH|BEGIN)\b", re.IGNORECASE)


class InProcess:
    def __init__(self, url: str, instance: Path):
        from ledger import create_app
        from ledger.core.db import db

        self.url = url
        self.app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_INSTANCE_PATH": str(instance),
                               "INSTANCE_PATH": str(instance), "LEDGER_SECRET_KEY": "bench-secret-key",
                               "LEDGER_ENV": "bench", "LEDGER_SCHEDULER": "off",
                               "LEDGER_LOGIN_LIMIT_ACCOUNT": "1000 per minute",
                               "LEDGER_LOGIN_LIMIT_ADDRESS": "1000 per minute"})
        self.seen: list[tuple[str, object]] = []
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._record)
        self.client = self.app.test_client()

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seen.append((statement, parameters))

    def login(self, username: str, password: str) -> None:
        """Sign the test client in through the form (for the HTML pages)."""
        from bench.load import CSRF

        page = self.client.get("/login")
        match = CSRF.search(page.data)
        token = (match.group(1) or match.group(2)).decode()
        response = self.client.post("/login", data={"username": username, "password": password,
                                                    "csrf_token": token})
        assert response.status_code == 302, response.status_code

    def capture(self, path: str, headers: dict | None = None) -> tuple[int, list[tuple[str, object]]]:
        """GET ``path`` twice (the first warms caches); the second's status and statements."""
        self.client.get(path, headers=headers or {})
        self.seen = []
        response = self.client.get(path, headers=headers or {})
        return response.status_code, list(self.seen)


def main_statement(statements: list[tuple[str, object]]) -> tuple[str, object] | None:
    """The statement that answers the request: the longest SELECT on items that pages (ORDER BY … LIMIT),
    else the longest SELECT on items, else the longest SELECT. (Paging first: a list page's subtree count
    can be longer than the list's own statement.)"""
    selects = [s for s in statements if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]
    on_items = [s for s in selects if re.search(r"\bFROM items\b", s[0])]
    paging = [s for s in on_items if re.search(r"\bORDER BY\b.*\bLIMIT\b", s[0], re.S)]
    pool = paging or on_items or selects
    return max(pool, key=lambda s: len(s[0])) if pool else None


def replay(url: str, statements: list[tuple[str, object]], reps: int = 100, seconds: float = 5) -> dict:
    """Run the request's read statements raw, ``reps`` times (or for ``seconds``): median and p95 in ms."""
    reads = [s for s in statements if READ.match(s[0])]
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
        conn.execute("PRAGMA busy_timeout=15000")

        def once() -> None:
            began = False
            for sql, params in reads:
                if sql.strip().upper() == "BEGIN":
                    conn.execute("BEGIN")
                    began = True
                else:
                    conn.execute(sql, params or ()).fetchall()
            if began:
                conn.execute("ROLLBACK")
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))

        def once() -> None:
            with conn.cursor() as cur:
                for sql, params in reads:
                    if sql.strip().upper() != "BEGIN":
                        cur.execute(sql, params or None)
                        if cur.description:
                            cur.fetchall()
            conn.rollback()

    times = []
    stop_at = time.perf_counter() + seconds
    for _ in range(reps):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
        if time.perf_counter() > stop_at:
            break
    conn.close()
    times.sort()
    return {"n": len(times), "p50": round(statistics.median(times) * 1000, 2),
            "p95": round(times[min(len(times) - 1, int(0.95 * (len(times) - 1)))] * 1000, 2),
            "statements": len(reads)}


def plan(url: str, statement: tuple[str, object] | None) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL) of one captured statement."""
    if statement is None:
        return []
    sql, params = statement
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):])
        try:
            return [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params or ())]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        return [row[0] for row in conn.execute("EXPLAIN " + sql, params or None)]


def uses_index(lines: list[str]) -> bool:
    """No full scan of items followed by a sort (SQLite), no sequential scan of items (PostgreSQL)."""
    sorted_after = any("TEMP B-TREE FOR ORDER BY" in line for line in lines)
    for line in lines:
        if re.match(r"^\s*SCAN items(?! USING)", line) and sorted_after:
            return False
        if "Seq Scan on items" in line:
            return False
    return True
