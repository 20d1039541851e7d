"""The bank-style fault test: ``python -m chaos.run --seconds 60`` (``make chaos``).

In the manner of Jepsen's bank test. On its own PostgreSQL cluster and Redis (never the
machine's shared ones), with two ASGI servers, a Celery worker and beat in production
settings, resident clients pay shops, send money to neighbours and top up from their cards
through the HTTP API, and cashiers refund, all with idempotency keys and retries, while
readers take snapshot totals. Meanwhile the nemesis SIGKILLs application servers and the
Celery worker, restarts Redis empty, makes the sandbox bank time out (before and after it
moved money), answer only by a late callback or twice, replays the bank's callbacks over
HTTP, and restarts PostgreSQL once with an immediate shutdown.

After the faults stop and everything pending is resolved, it checks: every snapshot total
is the expected total; the ledger check is clean; every acknowledged operation took effect
exactly once (and is the one its response named); no operation took effect twice and no
refused one took effect at all; the bank's books match ours; no top-up is left pending.
It prints the figures and exits 1 on any violation. See docs/chaos.md.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from chaos import infra
from chaos.workload import Cashier, Client, History, Nemesis, Reader, Supervisor

SETTLE_SECONDS = 8.0
CHECKS = [
    "snapshot totals",
    "ledger check clean",
    "bank's books match",
    "acknowledged exactly once",
    "idempotency",
    "refused took no effect",
    "no pending top-up",
    "every notice delivered",
    "the faults and the load ran",
]


def _environment(workdir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings (``LINLI_ENV=production``) over plain HTTP on loopback."""
    inherited = ("DJANGO_", "LINLI_", "CELERY_", "CACHE_", "CHANNEL_", "EMAIL_", "SMS_", "WALLET_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(inherited) and k not in {"SQLITE_PATH", "BANK_STATEMENT_DIR"}
    }
    env.update(
        LINLI_ENV="production",
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        IDENTITY_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        IDENTITY_DIGEST_KEY=secrets.token_urlsafe(32),
        WALLET_BANK_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


class Harness:
    def __init__(self, seconds: float, residents: int, shops: int, seed: int) -> None:
        self.seconds, self.residents, self.shops, self.seed = seconds, residents, shops, seed
        self.workdir = Path(tempfile.mkdtemp(prefix="linli-chaos-"))
        self.workdir.chmod(0o755)  # the postgres user must reach its data directory
        self.postgres = infra.Postgres(self.workdir)
        self.processes: list[infra.Process] = []
        self.history = History()
        self.violations: list[tuple[str, str]] = []
        self.figures: dict[str, Any] = {}
        self._cleaned = False
        # Set first on the way out, so that no supervisor restarts what cleanup stops and
        # no fault is injected into a half-stopped system.
        self.halt = threading.Event()
        self.supervisor: Supervisor | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def cleanup(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        self.halt.set()
        if self.supervisor is not None and self.supervisor.is_alive():
            self.supervisor.join(timeout=5)
        for process in reversed(self.processes):
            process.stop()
        self.postgres.stop()
        if os.environ.get("CHAOS_KEEP"):
            print(f"logs and data kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_services(self) -> None:
        self.postgres.init()
        self.redis = infra.redis_server(self.workdir, dict(os.environ))
        self.processes.append(self.redis)
        self.redis.start()
        infra.wait_for_port(self.redis.port or 0)
        self.env = _environment(
            self.workdir, self.postgres.url, f"redis://127.0.0.1:{self.redis.port}/0"
        )
        os.environ.update(self.env)
        migrated = self._manage("migrate", "--no-input", "-v", "0")
        if migrated.returncode:
            raise RuntimeError(f"migrate failed:\n{migrated.stderr}")
        self.apps = [infra.app_server(n, self.workdir, self.env) for n in (1, 2)]
        self.worker = infra.celery_worker(self.workdir, self.env)
        self.beat = infra.celery_beat(self.workdir, self.env)
        for process in (*self.apps, self.worker, self.beat):
            self.processes.append(process)
            process.start()
        for app in self.apps:
            infra.wait_for_port(app.port or 0)

    def _manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=infra.ROOT,
            env=self.env,
            check=False,
            capture_output=True,
            text=True,
        )

    # --- the run ---------------------------------------------------------------------------

    def run(self) -> int:
        random.seed(self.seed)
        began = time.monotonic()
        self.start_services()
        import django

        django.setup()
        from chaos import world as world_module

        self.w = world_module
        world = world_module.build(self.residents, self.shops)
        self.world = world
        setup_seconds = time.monotonic() - began
        ports = [app.port or 0 for app in self.apps]

        stop_clients, stop_readers, stop_faults = (threading.Event() for _ in range(3))
        supervisor = Supervisor([self.redis, *self.apps, self.worker, self.beat], self.halt)
        self.supervisor = supervisor
        supervisor.start()
        sql = world_module.SNAPSHOT_SQL.format(**world.tables)
        dsn = self.postgres.url.replace("postgres://", "postgresql://")
        readers = [
            Reader(dsn, sql, [world.bank_clearing_ids], self.history, stop_readers)
            for _ in range(2)
        ]
        clients: list[threading.Thread] = [
            Client(world, me, ports, self.history, stop_clients) for me in world.residents
        ]
        clients += [Cashier(shop, ports, self.history, stop_clients) for shop in world.shops]
        nemesis = Nemesis(
            postgres=self.postgres,
            redis=self.redis,
            apps=self.apps,
            worker=self.worker,
            supervisor=supervisor,
            dsn=dsn,
            tables=world.tables,
            ports=ports,
            bank_secret=self.env["WALLET_BANK_WEBHOOK_SECRET"],
            history=self.history,
            stop=stop_faults,
            halt=self.halt,
            seconds=self.seconds,
        )
        nemesis_thread = threading.Thread(target=nemesis.run, name="nemesis", daemon=True)
        for thread in (*readers, *clients, nemesis_thread):
            thread.start()
        time.sleep(self.seconds)

        # Recovery: faults stop first, then the clients finish their last operation
        # (retrying through the tail of the last fault), then the system settles.
        stop_faults.set()
        nemesis_thread.join()
        stop_clients.set()
        for thread in clients:
            thread.join()
        run_seconds = time.monotonic() - began - setup_seconds
        # The supervisor stands down first, so it and this loop cannot both start one.
        supervisor.paused.update(p.name for p in (*self.apps, self.worker, self.beat))
        for process in (*self.apps, self.worker, self.beat):
            if not process.alive():
                process.start()
        from django.db import close_old_connections, connection

        connection.close()  # its connection died with PostgreSQL's restart
        close_old_connections()
        world_module.stop_faults()
        time.sleep(SETTLE_SECONDS)  # late callbacks and queued tasks drain
        self.figures["pending_after_settle"] = world_module.pending_topups()
        left_pending = world_module.resolve_everything()
        self.figures["notices_pending_after_settle"] = world_module.undelivered_notices()
        world_module.sweep_notices()
        stop_readers.set()
        for reader in readers:
            reader.join()
        self.halt.set()
        supervisor.join()

        self.check(left_pending)
        self.check_the_run_tested_something(nemesis)
        self.figures.update(
            setup_seconds=round(setup_seconds, 1),
            run_seconds=round(run_seconds, 1),
            total_seconds=round(time.monotonic() - began, 1),
            restarts=dict(supervisor.restarts),
        )
        self.report()
        return 1 if self.violations else 0

    # --- the checks ------------------------------------------------------------------------

    def violate(self, check: str, message: str) -> None:
        self.violations.append((check, message))

    def check(self, left_pending: int) -> None:
        w, world, history = self.w, self.world, self.history
        final = w.snapshot(world)
        snapshots = [*history.snapshots, final]
        for snap in snapshots:
            if snap["total"] != 0:
                self.violate("snapshot totals", f"snapshot: balances sum to {snap['total']}, not 0")
            if snap["in_wallets"] != snap["topped_up"]:
                self.violate(
                    "snapshot totals",
                    f"snapshot: {snap['in_wallets']} in wallets and shops, "
                    f"but completed top-ups brought in {snap['topped_up']}",
                )
        for problem in w.ledger_problems():
            self.violate("ledger check clean", problem)
        for problem in w.bank_problems(world):
            self.violate("bank's books match", problem)
        if left_pending:
            self.violate(
                "no pending top-up", f"{left_pending} top-ups still pending after recovery"
            )
        if w.undelivered_notices():
            self.violate(
                "every notice delivered",
                f"{w.undelivered_notices()} money notices still undelivered after a sweep",
            )
        if untold := w.payments_without_their_notice():
            self.violate("every notice delivered", f"{untold} payments never told their payer")
        if w.replayed_keys_with_two_records():
            self.violate("idempotency", "an idempotency key was recorded twice")

        for op in history.ops:
            count, effect_id = w.effects(op, world)
            label = f"{op['kind']} {op['key']} ({op['outcome']}, HTTP {op['status']})"
            if count > 1:
                self.violate("idempotency", f"{label} took effect {count} times")
            if op["kind"] == "pay" and w.requests_per_reference(op["reference"]) > 1:
                self.violate("idempotency", f"{label}: the till's request was created twice")
            for echo in op.get("echoes", []):
                self._check_echo(op, echo, label)
            if op["outcome"] == "ok":
                self._check_acknowledged(op, count, effect_id, label)
            elif op["outcome"] == "failed" and count:
                self.violate("refused took no effect", f"{label} was refused but took effect")

        outcomes = Counter((op["kind"], op["outcome"]) for op in history.ops)
        self.figures.update(
            outcomes=outcomes,
            retried=sum(1 for op in history.ops if op.get("tries", 1) > 1),
            acked_pending=sum(
                1
                for op in history.ops
                if op["kind"] == "topup"
                and op["outcome"] == "ok"
                and op["body"]["topup"]["status"] == "pending"
            ),
            snapshots=len(snapshots),
            final=final,
            reader_errors=history.reader_errors,
        )

    def check_the_run_tested_something(self, nemesis: Nemesis) -> None:
        """A run whose faults stopped, or whose every request was refused, proves nothing."""
        check, history = "the faults and the load ran", self.history
        if history.nemesis_error:
            self.violate(check, f"the nemesis died: {history.nemesis_error}")
        if (restarts := history.faults["restart postgresql (immediate)"]) != 1:
            self.violate(check, f"PostgreSQL was restarted {restarts} times, not once")
        for name, _inject in nemesis.rotating_faults():
            if not history.faults[name]:
                self.violate(check, f"no '{name}' was injected")
        acknowledged = Counter(op["kind"] for op in history.ops if op["outcome"] == "ok")
        for kind in ("pay", "transfer", "refund", "topup"):
            if not acknowledged[kind]:
                self.violate(check, f"no {kind} was acknowledged")

    def _check_echo(self, op: dict[str, Any], echo: tuple[str, int, Any], label: str) -> None:
        """A second send of the same key answers as the first did, or not at all."""
        outcome, status, body = echo
        self.figures["echoes"] = self.figures.get("echoes", 0) + 1
        if "indeterminate" in (outcome, op["outcome"]):
            return
        if outcome != op["outcome"]:
            self.violate("idempotency", f"{label}: the same key also answered {outcome} ({status})")
        elif outcome == "ok" and _named(op["kind"], body) != _named(op["kind"], op["body"]):
            self.violate("idempotency", f"{label}: the same key also answered another operation")

    def _check_acknowledged(
        self, op: dict[str, Any], count: int, effect_id: Any, label: str
    ) -> None:
        w, body = self.w, op["body"]
        if op["kind"] == "topup":
            # A top-up acknowledged as pending must have ended; a succeeded one is in the
            # ledger once, under its own reference.
            topup_id = _named("topup", body)
            if count != 1 or effect_id != topup_id:
                self.violate(
                    "acknowledged exactly once",
                    f"{label}: {count} top-ups, response named {topup_id}",
                )
                return
            status = w.topup_status(topup_id)
            if status == "pending":
                self.violate("no pending top-up", f"{label}: still pending")
            if w.ledger_has_topup(topup_id) != (1 if status == "succeeded" else 0):
                self.violate("acknowledged exactly once", f"{label}: {status} but ledger disagrees")
            return
        named = _named(op["kind"], body)
        if count != 1:
            self.violate(
                "acknowledged exactly once", f"{label}: acknowledged but took effect {count} times"
            )
        elif effect_id != named:
            self.violate(
                "acknowledged exactly once",
                f"{label}: response named {named}, ledger has {effect_id}",
            )

    # --- the report ------------------------------------------------------------------------

    def report(self) -> None:
        figures, history = self.figures, self.history
        outcomes: Counter[tuple[str, str]] = figures["outcomes"]
        kinds = ["pay", "transfer", "refund", "topup"]
        print("\n== Linli bank-style fault test")
        print(
            f"seed {self.seed}, {self.residents} residents + {self.shops} cashiers as clients, "
            f"2 readers; faults for {self.seconds:.0f}s; setup {figures['setup_seconds']}s, "
            f"run {figures['run_seconds']}s, total {figures['total_seconds']}s"
        )
        print(
            f"\n{'operation':<10}{'attempted':>10}{'acknowledged':>14}{'failed':>8}{'indeterminate':>15}"
        )
        for kind in [*kinds, "all"]:
            pick = kinds if kind == "all" else [kind]
            ok = sum(outcomes[(k, "ok")] for k in pick)
            failed = sum(outcomes[(k, "failed")] for k in pick)
            unknown = sum(outcomes[(k, "indeterminate")] for k in pick)
            print(f"{kind:<10}{ok + failed + unknown:>10}{ok:>14}{failed:>8}{unknown:>15}")
        print(
            f"HTTP requests sent: {history.attempts}; operations that needed a retry: "
            f"{figures['retried']}; top-ups acknowledged as pending: {figures['acked_pending']}"
        )
        print(
            f"sent twice (double tap or resend) and compared: {figures.get('echoes', 0)}; "
            f"top-ups still pending {SETTLE_SECONDS:.0f}s after the faults, resolved by moving "
            f"the clock past the give-up time: {figures['pending_after_settle']}; money "
            f"notices left for the periodic sweep: {figures['notices_pending_after_settle']}"
        )
        print("\nfaults injected:")
        for name, count in sorted(history.faults.items()):
            print(f"  {name:<34}{count:>4}")
        print("  timeline (s): " + "; ".join(f"{at} {name}" for at, name in history.fault_log))
        restarts: dict[str, int] = figures["restarts"]
        apps = sum(n for name, n in restarts.items() if name.startswith("app"))
        print(
            f"  restarted by the supervisor: app servers {apps}, Celery worker "
            f"{restarts.get('celery-worker', 0)}, beat {restarts.get('celery-beat', 0)}; of "
            f"which died without being killed: app servers "
            f"{apps - history.faults['kill app worker']}, Celery worker "
            f"{restarts.get('celery-worker', 0) - history.faults['kill celery worker']}"
        )
        final = figures["final"]
        print(
            f"\nsnapshots read: {figures['snapshots']} (reads refused during faults: "
            f"{figures['reader_errors']}); final: in wallets and shops {final['in_wallets']}"
            f" = top-ups {final['topped_up']}, sum of all balances {final['total']}"
        )
        print(f"peak PostgreSQL client connections: {history.peak_connections}")
        print(f"\nviolations: {len(self.violations)}")
        for check in CHECKS:
            found = [message for name, message in self.violations if name == check]
            print(f"  {check:<28}{len(found):>6}")
            for message in found[:3]:
                print(f"      e.g. {message}")
        print("\nRESULT:", "FAIL" if self.violations else "PASS")


def _named(kind: str, body: dict[str, Any]) -> int:
    """The id an acknowledged operation's response names (what the checks look up)."""
    if kind == "topup":
        return int(body["topup"]["id"])
    if kind == "pay":
        return int(body["payment"]["transaction_id"])
    if kind == "transfer":
        return int(body["transfer"]["transaction_id"])
    return int(body["refund"]["id"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long faults run")
    parser.add_argument("--residents", type=int, default=8, help="resident clients (8+)")
    parser.add_argument("--shops", type=int, default=2, help="shops, each with a cashier client")
    parser.add_argument("--seed", type=int, default=None, help="random seed, to replay a run")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    harness = Harness(args.seconds, args.residents, args.shops, seed)
    atexit.register(harness.cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    try:
        return harness.run()
    finally:
        harness.cleanup()


if __name__ == "__main__":
    sys.exit(main())
