"""The bench's tools: a keep-alive HTTP client, a bounded load loop, gunicorn, memory sampling, raw SQL."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


# --- HTTP -----------------------------------------------------------------------------------------------
class Http:
    """One keep-alive connection to 127.0.0.1; reconnects when the server closed it."""

    def __init__(self, port: int, timeout: float = 120):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, float, dict]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - started
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data, elapsed, dict(response.getheaders())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def get_token(port: int, username: str, password: str) -> str:
    status, data, _, _ = Http(port).request("POST", "/api/v1/tokens",
                                            json.dumps({"username": username, "password": password}).encode(),
                                            {"Content-Type": "application/json"})
    if status != 201:
        raise RuntimeError(f"token for {username}: {status} {data[:200]!r}")
    return json.loads(data)["token"]


CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def session_cookie(headers: dict) -> str | None:
    raw = headers.get("Set-Cookie") or headers.get("set-cookie") or ""
    match = re.search(r"session=([^;]+)", raw)
    return match.group(1) if match else None


def login_form(port: int) -> tuple[str, str]:
    """A fresh login form: (csrf token, the session cookie that goes with it)."""
    status, data, _, headers = Http(port).request("GET", "/login")
    match = CSRF.search(data)
    if status != 200 or not match:
        raise RuntimeError(f"login form: {status}")
    return (match.group(1) or match.group(2)).decode(), session_cookie(headers) or ""


def login_cookie(port: int, username: str, password: str) -> str:
    """Sign in through the real form; answers the Cookie header value of the signed-in session."""
    token, cookie = login_form(port)
    body = urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    status, data, _, headers = Http(port).request(
        "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"})
    if status != 302:
        raise RuntimeError(f"login {username}: {status}")
    return f"session={session_cookie(headers)}"


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "----ledgerbench7d1f"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, ctype) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {ctype}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- load -----------------------------------------------------------------------------------------------
@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    locked: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else float("nan")

    def summary(self) -> dict:
        return {"n": self.count, "rps": round(self.rps, 1), "p50": round(self.pct(50), 1),
                "p95": round(self.pct(95), 1), "p99": round(self.pct(99), 1),
                "statuses": dict(sorted(self.statuses.items())), "locked": self.locked,
                "errors": self.errors[:3]}


Request = tuple[str, str, bytes | None, dict | None]


def run_load(port: int, make: Callable[[int, int], Request], threads: int = 4, seconds: float = 10,
             max_requests: int = 100_000, check: Callable[[int, bytes], str | None] | None = None) -> Result:
    """``threads`` clients, each on a keep-alive connection, for ``seconds`` or ``max_requests`` in all."""
    result, lock = Result(), threading.Lock()
    stop_at = time.perf_counter() + seconds
    issued = Counter()

    def worker(n: int) -> None:
        client, i = Http(port), 0
        while time.perf_counter() < stop_at:
            with lock:
                if issued["n"] >= max_requests:
                    break
                issued["n"] += 1
            method, path, body, headers = make(n, i)
            i += 1
            try:
                status, data, elapsed, _ = client.request(method, path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                    result.statuses["conn-error"] += 1
                continue
            problem = check(status, data) if check else None
            with lock:
                result.latencies.append(elapsed)
                result.statuses[status] += 1
                if b"database is locked" in data:
                    result.locked += 1
                if problem:
                    result.errors.append(problem)
        client.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes and memory ---------------------------------------------------------------------------------
def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class MemorySampler:
    """Peak resident memory of a set of processes (re-read every 0.1 s) while it is active."""

    def __init__(self, pids: Callable[[], list[int]]):
        self.pids, self.peak_kib, self._stop = pids, 0, threading.Event()

    def __enter__(self) -> MemorySampler:
        self.peak_kib = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids():
                self.peak_kib = max(self.peak_kib, rss_kib(pid))
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kib / 1024, 1)


class Gunicorn:
    """``gunicorn -w N wsgi:app`` on 127.0.0.1 (or another command line), stopped on exit."""

    def __init__(self, env: dict, workers: int = 2, port: int | None = None, extra: list[str] | None = None):
        self.port = port or free_port()
        self.env = env
        self.cmd = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                    "--timeout", "180", "--graceful-timeout", "5", "--log-level", "warning",
                    *(extra or []), "wsgi:app"]

    def __enter__(self) -> Gunicorn:
        self.log = open(Path(self.env["LEDGER_INSTANCE_PATH"]) / f"gunicorn-{self.port}.log", "w")
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _, _, _ = Http(self.port, timeout=2).request("GET", "/healthz")
                if status == 200 and len(self.workers()) >= 1:
                    time.sleep(1.0)  # let every worker finish booting
                    return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn did not start; see " + self.log.name)

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def timed_process(cmd: list[str], env: dict, timeout: float = 600) -> dict:
    """Run a command; wall time, exit code, output tail and its peak resident memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = MemorySampler(lambda: [proc.pid, *children(proc.pid)])
    with sampler:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            out += "\n[killed: timeout]"
    return {"seconds": round(time.perf_counter() - started, 2), "rc": proc.returncode,
            "peak_mb": sampler.peak_mb, "output": out.strip()[-1500:]}


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 2) if values else float("nan")


def flask_cmd(*args: str) -> list[str]:
    return [str(VENV_BIN / "flask"), "--app", "wsgi", *args]


def env_for(url: str, instance: Path, **extra: str) -> dict:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
            "LEDGER_DATABASE_URL": url, "LEDGER_INSTANCE_PATH": str(instance), "LEDGER_SCHEDULER": "off",
            "LEDGER_ENV": "bench", "LEDGER_SECRET_KEY": "bench-secret-key", "FLASK_APP": "wsgi", **extra}


class Nginx:
    """nginx (Debian's) in front of gunicorn: static files from disk, the rest proxied with X-Forwarded-*."""

    BINARY = "/usr/sbin/nginx"

    def __init__(self, upstream_port: int, static_dir: Path, prefix: Path):
        self.port, self.prefix = free_port(), prefix
        prefix.mkdir(parents=True, exist_ok=True)
        temp = " ".join(f"{kind}_temp_path {prefix}/{kind};" for kind in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(prefix=prefix, port=self.port, upstream=upstream_port,
                                               static=static_dir, temp=temp))

    def __enter__(self) -> Nginx:
        self.proc = subprocess.Popen([self.BINARY, "-p", str(self.prefix), "-c", str(self.conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if Http(self.port, timeout=2).request("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"nginx did not start; see {self.prefix}/error.log")

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


NGINX_CONF = """# Written by bench/load.py; the same shape as docs/deployment.md
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    {temp}
    upstream ledger {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 30m;
        location /static/ {{ alias {static}/; expires 7d; }}
        location / {{
            proxy_pass http://ledger;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Prefix /;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""
