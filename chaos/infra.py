"""The harness's own PostgreSQL, Redis, ASGI servers and Celery processes.

Everything runs on free loopback ports under one temporary directory, never on the
machine's shared services, so that killing and restarting them harms no one else. Every
process is started in its own session and stopped by its process group, so a SIGKILL
takes its children (Celery's pool, uvicorn's reloader-free worker) with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")


def postgres_bin() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1].parent


class Postgres:
    """A throwaway cluster: trust authentication on loopback, fsync off (the faults kill
    processes, not the machine, so the page cache survives every crash we cause)."""

    def __init__(self, workdir: Path) -> None:
        self.bin = postgres_bin()
        self.data = workdir / "pg"
        self.socket_dir = workdir / "pg-socket"
        self.log = workdir / "postgres.log"
        self.port = free_port()
        # initdb refuses root: run the server as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def init(self) -> None:
        for folder in (self.data, self.socket_dir):
            folder.mkdir(mode=0o700)
            if self.as_user:
                shutil.chown(folder, "postgres", "postgres")
        self.log.touch()
        if self.as_user:
            shutil.chown(self.log, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        )
        self.start()
        for sql in (
            "CREATE ROLE linli LOGIN SUPERUSER PASSWORD 'linli'",
            "CREATE DATABASE linli_chaos OWNER linli",
        ):
            self._run(
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            )

    @property
    def url(self) -> str:
        return f"postgres://linli:linli@127.0.0.1:{self.port}/linli_chaos"

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=120"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            *extra,
        )

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """The fault: an immediate shutdown (no checkpoint, crash recovery on start)."""
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._pg_ctl("stop", "-m", "immediate")


class Process:
    """One child process, in its own session so that its whole group can be killed."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and everything it started; no chance to clean up."""
        popen = self.popen  # the supervisor may start a new one meanwhile: wait on this one
        if popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()

    def stop(self) -> None:
        if not self.alive() or self.popen is None:
            self.kill()
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()


def redis_server(workdir: Path, env: dict[str, str]) -> Process:
    port = free_port()
    process = Process(
        "redis",
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
        ],
        env,
        workdir / "redis.log",
    )
    process.port = port
    return process


def app_server(index: int, workdir: Path, env: dict[str, str]) -> Process:
    port = free_port()
    process = Process(
        f"app{index}",
        [
            str(BIN / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "2",
        ],
        env,
        workdir / f"app{index}.log",
    )
    process.port = port
    return process


def celery_worker(workdir: Path, env: dict[str, str]) -> Process:
    return Process(
        "celery-worker",
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        workdir / "celery-worker.log",
    )


def celery_beat(workdir: Path, env: dict[str, str]) -> Process:
    return Process(
        "celery-beat",
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel",
            "WARNING",
            "-s",
            str(workdir / "beat-schedule"),
        ],
        env,
        workdir / "celery-beat.log",
    )
