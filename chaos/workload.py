"""The clients, the readers and the nemesis of the fault test.

Clients act through the JSON API only, each with its own token, and record every attempt.
An operation has one Idempotency-Key for all its attempts: a network error, a timeout or a
5xx is retried with the same key and body (with backoff, up to ``RETRY_WINDOW`` seconds),
so the operation ends *acknowledged* (2xx), *failed* (a 4xx: a business refusal) or
*indeterminate* (no answer however often it was asked). Each operation's amount is unique
in the run, which lets the checks count its effects in the database without trusting any
response.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from chaos.infra import Postgres, Process

RETRY_WINDOW = 25.0
# How often an operation is sent twice at once (a double tap: two requests race on one key),
# and how often an acknowledged one is sent again later (a client that lost the answer).
CONNECTIONS_SQL = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
DOUBLE_TAP = 0.1
RESEND = 0.1
REQUEST_TIMEOUT = 5.0
PIN = "246810"  # chaos.world sets it for every resident


@dataclass
class History:
    """Everything the clients, readers and nemesis saw, shared between their threads."""

    ops: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    fault_log: list[tuple[float, str]] = field(default_factory=list)
    attempts: int = 0
    reader_errors: int = 0
    nemesis_error: str = ""
    peak_connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    paid: dict[int, list[int]] = field(default_factory=dict)  # shop id → payment ids
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def record(self, op: dict[str, Any]) -> None:
        with self.lock:
            self.ops.append(op)

    def fault(self, name: str, started: float) -> None:
        with self.lock:
            self.faults[name] += 1
            self.fault_log.append((round(time.monotonic() - started, 1), name))


class Api:
    """One client's connection to the two application servers, as a load balancer would
    give it: each attempt goes to either, a refused connection tries the other next."""

    def __init__(self, ports: list[int], token: str, history: History) -> None:
        self.ports = ports
        self.history = history
        self.tries = 0  # attempts of the last operation
        self.http = httpx.Client(
            headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
            timeout=REQUEST_TIMEOUT,
        )

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: dict[str, Any], key: str) -> tuple[str, int, Any]:
        """POST with retries under one key: ("ok"|"failed"|"indeterminate", status, body)."""
        deadline = time.monotonic() + RETRY_WINDOW
        delay, last_status, tries = 0.1, 0, 0
        while True:
            port = self.ports[tries % len(self.ports)] if tries else random.choice(self.ports)
            tries += 1
            self.tries = tries
            with self.history.lock:
                self.history.attempts += 1
            try:
                response = self.http.post(
                    f"http://127.0.0.1:{port}/api/v1{path}",
                    json=body,
                    headers={"Idempotency-Key": key},
                )
            except httpx.HTTPError:
                last_status = 0
            else:
                last_status = response.status_code
                if response.status_code < 300:
                    return "ok", response.status_code, response.json()
                if response.status_code < 500:
                    return "failed", response.status_code, _json(response)
            if time.monotonic() + delay > deadline:
                return "indeterminate", last_status, None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Client(threading.Thread):
    """A resident who pays shops (the shop's till asks first), sends money to neighbours
    and tops up from their card, in a random mix, until told to stop."""

    def __init__(
        self, world: Any, me: Any, ports: list[int], history: History, stop: threading.Event
    ) -> None:
        super().__init__(name=f"client-{me.user_id}", daemon=True)
        self.world, self.me, self.history, self.stop = world, me, history, stop
        self.api = Api(ports, me.token, history)
        self.twin = Api(ports, me.token, history)  # the second finger of a double tap
        self.tills = {shop.shop_id: Api(ports, shop.cashier_token, history) for shop in world.shops}

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                choice = random.random()
                if choice < 0.45:
                    self.pay()
                elif choice < 0.8:
                    self.transfer()
                else:
                    self.topup()
        finally:
            self.api.close()
            self.twin.close()
            for till in self.tills.values():
                till.close()

    def _op(self, kind: str, amount: int, **extra: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "amount": amount,
            "key": f"chaos-{kind}-{uuid.uuid4().hex[:16]}",
            "user_id": self.me.user_id,
            "account_id": self.me.account_id,
            **extra,
        }

    def _finish(self, op: dict[str, Any], outcome: tuple[str, int, Any]) -> None:
        op["outcome"], op["status"], op["body"] = outcome
        op["tries"] = self.api.tries
        self.history.record(op)

    def send(self, op: dict[str, Any], path: str, body: dict[str, Any]) -> tuple[str, int, Any]:
        """Send the operation, sometimes twice at once, sometimes again after its answer;
        the extra answers go into ``op["echoes"]`` for the checks to compare."""
        echoes: list[tuple[str, int, Any]] = []
        op["echoes"] = echoes
        twin = None
        if random.random() < DOUBLE_TAP:
            twin = threading.Thread(
                target=lambda: echoes.append(self.twin.post(path, body, op["key"])), daemon=True
            )
            twin.start()
        outcome = self.api.post(path, body, op["key"])
        if twin is not None:
            twin.join()
        if outcome[0] == "ok" and random.random() < RESEND:
            echoes.append(self.api.post(path, body, op["key"]))
        return outcome

    def pay(self) -> None:
        shop = random.choice(self.world.shops)
        op = self._op("pay", 100 + self.history.next_id(), shop_id=shop.shop_id)
        reference = op["key"][:40]
        created = self.tills[shop.shop_id].post(
            f"/shops/{shop.shop_id}/till/requests/create/",
            {"amount_minor": op["amount"], "reference": reference},
            f"{op['key']}-till",
        )
        op["reference"] = reference
        if created[0] != "ok":
            # The till never got its request: nothing was paid (the checks verify it).
            self._finish(op, ("failed", created[1], {"till": created[0]}))
            return
        outcome = self.send(
            op, f"/pay-requests/{created[2]['token']}/pay/", {"pin": PIN, "coupon_id": None}
        )
        self._finish(op, outcome)
        if outcome[0] == "ok":
            with self.history.lock:
                self.history.paid.setdefault(shop.shop_id, []).append(outcome[2]["payment"]["id"])

    def transfer(self) -> None:
        to = random.choice([r for r in self.world.residents if r.user_id != self.me.user_id])
        op = self._op("transfer", 100 + self.history.next_id(), to=to.user_id)
        outcome = self.send(
            op,
            "/wallet/transfers/",
            {"phone": to.phone, "amount_minor": op["amount"], "note": op["key"], "pin": PIN},
        )
        self._finish(op, outcome)

    def topup(self) -> None:
        op = self._op("topup", 20_000 + self.history.next_id())
        outcome = self.send(
            op, "/wallet/topups/", {"card_id": self.me.card_id, "amount_minor": op["amount"]}
        )
        self._finish(op, outcome)


class Cashier(threading.Thread):
    """A shop's cashier who refunds part of a payment the shop took, now and then."""

    def __init__(
        self, shop: Any, ports: list[int], history: History, stop: threading.Event
    ) -> None:
        super().__init__(name=f"cashier-{shop.shop_id}", daemon=True)
        self.shop, self.history, self.stop = shop, history, stop
        self.api = Api(ports, shop.cashier_token, history)

    def run(self) -> None:
        try:
            while not self.stop.wait(random.uniform(0.1, 0.4)):
                with self.history.lock:
                    taken = list(self.history.paid.get(self.shop.shop_id, []))
                if not taken:
                    continue
                payment_id = random.choice(taken)
                key = f"chaos-refund-{uuid.uuid4().hex[:16]}"
                op: dict[str, Any] = {
                    "kind": "refund",
                    "amount": random.randint(1, 60),
                    "key": key,
                    "payment_id": payment_id,
                }
                outcome = self.api.post(
                    f"/shops/{self.shop.shop_id}/payments/{payment_id}/refunds/",
                    {"amount_minor": op["amount"], "reason": key},
                    key,
                )
                op["outcome"], op["status"], op["body"] = outcome
                op["tries"] = self.api.tries
                self.history.record(op)
        finally:
            self.api.close()


class Reader(threading.Thread):
    """Takes snapshot totals straight from PostgreSQL in REPEATABLE READ transactions."""

    def __init__(
        self, dsn: str, sql: str, params: list[Any], history: History, stop: threading.Event
    ) -> None:
        super().__init__(name="reader", daemon=True)
        self.dsn, self.sql, self.params, self.history, self.stop = dsn, sql, params, history, stop

    def run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        while not self.stop.wait(0.15):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.dsn, connect_timeout=2)
                    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                    conn.read_only = True
                with conn.transaction(), conn.cursor() as cursor:
                    cursor.execute(self.sql, self.params)
                    row = cursor.fetchone()
                    cursor.execute(CONNECTIONS_SQL)
                    connections = cursor.fetchone()
                assert row is not None and connections is not None
                total, in_wallets, topped_up = (int(v) for v in row)
                with self.history.lock:
                    self.history.peak_connections = max(
                        self.history.peak_connections, int(connections[0])
                    )
                    self.history.snapshots.append(
                        {"total": total, "in_wallets": in_wallets, "topped_up": topped_up}
                    )
            except psycopg.Error:
                with self.history.lock:
                    self.history.reader_errors += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


class Supervisor(threading.Thread):
    """Restarts a killed application server or Celery worker, as systemd would."""

    def __init__(self, processes: list[Process], stop: threading.Event) -> None:
        super().__init__(name="supervisor", daemon=True)
        self.processes, self.stop = processes, stop
        self.paused: set[str] = set()
        self.restarts: Counter[str] = Counter()

    def run(self) -> None:
        while not self.stop.wait(0.3):
            for process in self.processes:
                if process.name not in self.paused and not process.alive():
                    process.start()
                    self.restarts[process.name] += 1


@dataclass
class Nemesis:
    """Injects one fault every ``interval`` seconds or so, and PostgreSQL's restart once
    around the middle of the run."""

    postgres: Postgres
    redis: Process
    apps: list[Process]
    worker: Process
    supervisor: Supervisor
    dsn: str
    tables: dict[str, str]
    ports: list[int]
    bank_secret: str
    history: History
    stop: threading.Event
    halt: threading.Event
    seconds: float
    interval: float = 2.5

    def run(self) -> None:
        try:
            self._inject_until_stopped()
        except Exception as error:
            # A nemesis that died quietly would leave a fault-free run to pass: say so.
            self.history.nemesis_error = f"{type(error).__name__}: {error}"
            raise

    def _inject_until_stopped(self) -> None:
        started = time.monotonic()
        pg_at = self.seconds * random.uniform(0.35, 0.6)
        pg_done = False
        faults = self.rotating_faults()
        rotation = list(faults)
        random.shuffle(rotation)
        while not self.stop.wait(random.uniform(0.5, 1.5) * self.interval):
            if self.halt.is_set():
                return
            if not pg_done and time.monotonic() - started >= pg_at:
                name, inject, pg_done = (
                    "restart postgresql (immediate)",
                    self.postgres.restart,
                    True,
                )
            else:
                if not rotation:
                    rotation = list(faults)
                    random.shuffle(rotation)
                name, inject = rotation.pop()
            try:
                inject()
            except (psycopg.Error, httpx.HTTPError):
                continue  # PostgreSQL or an app server is down from an earlier fault
            except subprocess.CalledProcessError:
                if self.halt.is_set():
                    return
                raise
            self.history.fault(name, started)
        if not pg_done and not self.halt.is_set():
            self.postgres.restart()
            self.history.fault("restart postgresql (immediate)", started)

    def rotating_faults(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("kill app worker", self.kill_app),
            ("kill celery worker", self.kill_worker),
            ("restart redis", self.restart_redis),
            ("bank timeout before charge", lambda: self.bank_fault("timeout_before")),
            ("bank timeout after charge", lambda: self.bank_fault("timeout_after")),
            ("bank duplicate callback", lambda: self.bank_fault("duplicate_callback")),
            ("bank late callback", lambda: self.bank_fault("late_callback")),
            ("duplicate callback over HTTP", self.replay_callbacks),
        ]

    def kill_app(self) -> None:
        random.choice(self.apps).kill()

    def kill_worker(self) -> None:
        self.worker.kill()

    def restart_redis(self) -> None:
        """Redis dies with everything in it (no persistence): queued tasks, countdowns,
        the channel layer; it is back a second later, empty."""
        self.supervisor.paused.add(self.redis.name)
        self.redis.kill()
        time.sleep(1.0)
        self.redis.start()
        self.supervisor.paused.discard(self.redis.name)

    def bank_fault(self, mode: str) -> None:
        with psycopg.connect(self.dsn, connect_timeout=2, autocommit=True) as conn:
            conn.execute(
                f"INSERT INTO {self.tables['fault']} (operation, mode, remaining)"
                " VALUES ('charge', %s, %s)",
                (mode, random.randint(1, 3)),
            )

    def replay_callbacks(self) -> None:
        """The bank says again, twice, what it said about recent charges: a callback may
        arrive any number of times, and late."""
        with psycopg.connect(self.dsn, connect_timeout=2, autocommit=True) as conn:
            rows = conn.execute(
                f"SELECT reference, bank_reference FROM {self.tables['line']}"
                " WHERE kind = 'charge' AND amount_minor < 0 ORDER BY id DESC LIMIT 3"
            ).fetchall()
        for reference, bank_reference in rows:
            body = json.dumps(
                {
                    "kind": "charge",
                    "reference": reference,
                    "status": "succeeded",
                    "bank_reference": bank_reference,
                }
            ).encode()
            signature = hmac.new(self.bank_secret.encode(), body, hashlib.sha256).hexdigest()
            for _ in range(2):
                httpx.post(
                    f"http://127.0.0.1:{random.choice(self.ports)}/api/v1/wallet/bank/callback/",
                    content=body,
                    headers={"Content-Type": "application/json", "X-Bank-Signature": signature},
                    timeout=REQUEST_TIMEOUT,
                )
