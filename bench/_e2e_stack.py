"""The end-to-end benchmark's production stack: environment, processes and the baseline.

The ASGI server (uvicorn, several workers) and a Celery worker run as child processes in
their own process groups on a scratch database and a Redis database of their own, with the
production settings profile (``LINLI_ENV=production``, keys made up for the run). pgbench's
TPC-B runs on a second scratch database as the baseline.

Not a benchmark itself (``make bench`` skips files that start with an underscore).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _scratch import drop_database, recreate_database

ROOT = Path(__file__).resolve().parent.parent


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    """What a production process gets: made-up secrets, loopback as the allowed host."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LINLI_"))}
    env.update(
        {
            "LINLI_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "IDENTITY_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "IDENTITY_DIGEST_KEY": secrets.token_urlsafe(32),
            "WALLET_BANK_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": database_url,
            # Django runs each ASGI request's sync code in a thread of its own, so a
            # persistent connection is never reused: it lingers until PostgreSQL runs out of
            # slots (a default of 60 s did, at 20 payments/s). Set here so that the run does
            # not depend on the settings' default.
            "DB_CONN_MAX_AGE": "0",
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "linli-bench-e2e",
            "CHANNEL_LAYER_PREFIX": "linli-bench-e2e",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's own process group (its workers too), SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def production_stack(env: dict[str, str], workers: int, logs: Path) -> Iterator[dict[str, Any]]:
    """uvicorn with ``workers`` workers and a Celery worker; yields the base URL and pids."""
    bin_dir = Path(sys.executable).parent
    port = free_port()
    logs.mkdir(parents=True, exist_ok=True)
    server = _start(
        [
            str(bin_dir / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "info",  # the supervisor's restarts of workers are logged at info
        ],
        env,
        logs / "uvicorn.log",
    )
    celery = _start(
        [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",  # as `make worker`; it also says when it is ready
            "--without-gossip",
            "--without-mingle",
            "-n",
            "bench-e2e@%h",
        ],
        env,
        logs / "celery.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        _wait_celery(celery, logs / "celery.log")
        yield {"url": url, "server_pid": server.pid, "celery_pid": celery.pid}
    finally:
        _stop(server)
        _stop(celery)


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode} (see its log)")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("uvicorn did not become healthy within 60 s")


def _wait_celery(celery: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if celery.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {celery.returncode}")
        if b"ready." in log.read_bytes():
            return
        time.sleep(0.3)
    raise RuntimeError("the Celery worker was not ready within 60 s")


def process_tree_cpu_seconds(root_pid: int) -> float | None:
    """User and system CPU of a process and its living descendants (Linux /proc)."""
    try:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        total, stack = 0.0, [root_pid]
        while stack:
            pid = stack.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
            stack.extend(children.get(pid, []))
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


def named_processes_cpu_seconds(prefix: str) -> float | None:
    """User and system CPU of every living process whose name starts with ``prefix`` (all
    of PostgreSQL's backends, say, or Redis), Linux /proc."""
    total = 0.0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, rest = stat.split("(", 1)[1].rsplit(")", 1)
            if name.startswith(prefix):
                fields = rest.split()
                total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


class ConnectionSampler(threading.Thread):
    """The most PostgreSQL connections to ``database`` seen at once, sampled twice a second
    on a connection of its own."""

    def __init__(self, url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.url, self.database = url, database
        self.most = 0
        self.done = threading.Event()

    def run(self) -> None:
        from _scratch import maintenance_connection

        with maintenance_connection(self.url) as connection:
            while not self.done.wait(0.5):
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]
                ).fetchone()
                self.most = max(self.most, int(row[0]) if row else 0)

    def stop(self) -> int:
        self.done.set()
        self.join(timeout=5)
        return self.most


# --- Baseline: pgbench TPC-B ---------------------------------------------------------------


def run_pgbench(
    url: str, admin: Any, database: str, *, scale: int, clients: int, seconds: int
) -> dict[str, Any]:
    """pgbench's built-in TPC-B on a scratch database, dropped afterwards."""
    binary = shutil.which("pgbench")
    if binary is None:
        return {
            "tps": None,
            "error": "pgbench is not installed (apt-get install postgresql-client)",
        }
    parts = urlsplit(url)
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": parts.hostname or "127.0.0.1",
            "PGPORT": str(parts.port or 5432),
            "PGUSER": parts.username or "",
            "PGPASSWORD": parts.password or "",
        }
    )
    recreate_database(admin, database)
    try:
        subprocess.run(
            [binary, "-i", "-q", "-s", str(scale), database],
            env=env,
            check=True,
            capture_output=True,
        )
        command = [binary, "-c", str(clients), "-j", "2", "-T", str(seconds), database]
        result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    finally:
        drop_database(admin, database)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    if tps is None:
        raise RuntimeError(f"could not read the tps from pgbench's output:\n{result.stdout}")
    return {
        "tps": float(tps.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "command": " ".join(["pgbench", *command[1:]]),
        "scale": scale,
    }
