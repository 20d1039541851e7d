"""The end-to-end benchmark's load generator: an asyncio client over loopback.

Open loop: each operation's arrivals are scheduled on a clock at its share of the offered
rate, and every request starts at its time whether or not earlier ones have answered, so a
slow server cannot slow the offered load down. A request's latency runs from its
*scheduled* time to the end of its response, so time a request spent waiting for the client
(a late start, a free connection) counts against it too. A closed-loop run (a fixed number
of clients, each sending its next payment when the last one answered) finds the peak.

Every resident and shop owner also holds a websocket to ``/ws/notifications/``; each message
is stamped with the wall clock when it arrives and matched to its payment afterwards.

Requests carry what the production deployment's TLS proxy would add (``X-Forwarded-Proto:
https``) and what a browser sends (session cookie, CSRF token and ``Origin``); each money
POST has its own ``Idempotency-Key``. No request is retried.

Not a benchmark itself (``make bench`` skips files that start with an underscore).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from itertools import count
from typing import Any

import httpx
from _e2e_world import PIN, Person, World
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

OPERATIONS = ("shop", "bill", "transfer", "history")
MONEY = ("shop", "bill", "transfer")
PATHS = {
    "shop": "/api/v1/wallet/payments/",
    "bill": "/api/v1/me/bills/pay/",
    "transfer": "/api/v1/wallet/transfers/",
    "history": "/api/v1/wallet/transactions/",
}
REQUEST_TIMEOUT = 10.0
WEBSOCKET_ATTEMPTS = 3


@dataclass
class Sample:
    op: str
    step: str  # the offered rate, or "peak"
    latency_ms: float
    start_lag_ms: float  # how late the client started the request after its scheduled time
    status: int | None  # None: no response (timeout, connection error)
    error: str | None
    transaction_id: int | None
    answered_at: float  # wall clock
    till_key: tuple[int, int] | None  # (shop id, amount) of a shop payment


@dataclass
class Message:
    user_id: int
    arrived_at: float  # wall clock
    raw: str


class Load:
    def __init__(self, base_url: str, world: World, *, max_connections: int) -> None:
        self.base_url = base_url
        self.world = world
        self.origin = "https://" + base_url.split("://", 1)[1]
        self.ws_url = "ws://" + base_url.split("://", 1)[1] + "/ws/notifications/"
        self.max_connections = max_connections
        self.messages: list[Message] = []
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.rng = random.Random(7)
        self.turn = count()
        self.shop_turn = count()
        self.amount_turn = [count(100) for _ in world.shop_ids]  # unique per shop: fen
        self.bill_payers = [p for p in world.residents if world.bills[p.user_id]]
        self.in_flight: set[asyncio.Task[Sample]] = set()
        self.websocket_retries = 0
        self.websockets_dropped = 0
        self.closing = False

    # --- connections --------------------------------------------------------------------

    async def open(self) -> None:
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=REQUEST_TIMEOUT,
            limits=httpx.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
            ),
            headers={"X-Forwarded-Proto": "https", "Origin": self.origin},
        )
        people = [*self.world.residents, *self.world.owners]
        gate = asyncio.Semaphore(16)

        async def one(person: Person) -> None:
            async with gate:
                for attempt in range(WEBSOCKET_ATTEMPTS):
                    try:
                        socket = await self._subscribe(person)
                        break
                    except (OSError, WebSocketException, TimeoutError):
                        # A worker the supervisor replaced drops its half-open handshakes.
                        if attempt == WEBSOCKET_ATTEMPTS - 1:
                            raise
                        self.websocket_retries += 1
                        await asyncio.sleep(1.0)
                self.sockets.append(socket)
                self.readers.append(asyncio.create_task(self._read(person.user_id, socket)))

        await asyncio.gather(*(one(person) for person in people))

    async def _subscribe(self, person: Person) -> ClientConnection:
        socket = await connect(
            self.ws_url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": person.cookie},
            ping_interval=None,
            compression=None,
            open_timeout=30,
        )
        hello = await asyncio.wait_for(socket.recv(), 30)
        if '"hello"' not in str(hello):
            raise RuntimeError(f"websocket said {hello!r} instead of hello")
        return socket

    async def _read(self, user_id: int, socket: ClientConnection) -> None:
        append = self.messages.append
        try:
            async for raw in socket:
                append(Message(user_id, time.time(), str(raw)))
        except ConnectionClosed:
            # Counted, not retried: the notices it would have carried count as missing.
            if not self.closing:
                self.websockets_dropped += 1

    async def close(self) -> None:
        self.closing = True
        for task in self.in_flight:
            task.cancel()
        if hasattr(self, "client"):
            await self.client.aclose()
        for socket in self.sockets:
            await socket.close()
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)

    # --- one request ----------------------------------------------------------------------

    def _headers(self, person: Person, money: bool) -> dict[str, str]:
        headers = {"Cookie": person.cookie, "X-CSRFToken": person.csrf}
        if money:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return headers

    def _request(self, op: str) -> tuple[str, str, Person, dict[str, Any] | None, Any]:
        """The method, path, caller and body of the next ``op``, and its till key."""
        residents = self.world.residents
        n = next(self.turn)
        if op == "shop":
            shop = next(self.shop_turn) % len(self.world.shop_ids)
            amount = next(self.amount_turn[shop])
            body = {
                "payee_account_id": self.world.shop_account_ids[shop],
                "amount_minor": amount,
                "description": "bench",
                "pin": PIN,
            }
            return (
                "POST",
                PATHS[op],
                residents[n % len(residents)],
                body,
                (
                    self.world.shop_ids[shop],
                    amount,
                ),
            )
        if op == "bill":
            while self.bill_payers:
                payer = self.bill_payers[n % len(self.bill_payers)]
                queue = self.world.bills[payer.user_id]
                if queue:
                    bill_id, total = queue.pop()
                    body = {"bill_ids": [bill_id], "expected_total_minor": total, "pin": PIN}
                    return "POST", PATHS[op], payer, body, None
                self.bill_payers.remove(payer)
            raise RuntimeError("every bill is paid: raise BENCH_E2E_BILLS")
        if op == "transfer":
            sender = residents[n % len(residents)]
            recipient = residents[(n + 1 + n // len(residents)) % len(residents)]
            if recipient is sender:
                recipient = residents[(n + 1) % len(residents)]
            body = {
                "phone": recipient.phone,
                "amount_minor": self.rng.randint(100, 999),
                "note": "bench",
                "pin": PIN,
            }
            return "POST", PATHS[op], sender, body, None
        return "GET", PATHS[op], residents[n % len(residents)], None, None

    async def fire(self, op: str, scheduled: float, step: str) -> Sample:
        loop = asyncio.get_running_loop()
        method, path, person, body, till_key = self._request(op)
        lag = (loop.time() - scheduled) * 1000
        status: int | None = None
        error: str | None = None
        transaction_id: int | None = None
        try:
            answer = await self.client.request(
                method, path, json=body, headers=self._headers(person, body is not None)
            )
            status = answer.status_code
            if status >= 400:
                error = f"HTTP {status}: {answer.text[:120]}"
            elif op in MONEY:
                payload = answer.json()
                key = "transfer" if op == "transfer" else "payment"
                transaction_id = int(payload[key]["transaction_id"])
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as failure:
            error = type(failure).__name__
        return Sample(
            op=op,
            step=step,
            latency_ms=(loop.time() - scheduled) * 1000,
            start_lag_ms=lag,
            status=status,
            error=error,
            transaction_id=transaction_id,
            answered_at=time.time(),
            till_key=till_key if transaction_id is not None else None,
        )

    # --- runs -----------------------------------------------------------------------------

    async def open_loop(
        self, rates: dict[str, float], seconds: float, step: str
    ) -> tuple[list[Sample], dict[str, float]]:
        """Each op at ``rates[op]`` per second for ``seconds``; waits for every answer."""
        arrivals: list[tuple[float, str]] = []
        for index, (op, rate) in enumerate(sorted(rates.items())):
            if rate <= 0:
                continue
            phase = index / (len(rates) * rate)  # spread the ops' ticks apart
            arrivals += [(k / rate + phase, op) for k in range(int(rate * seconds))]
        arrivals.sort()
        loop = asyncio.get_running_loop()
        cpu_started = time.process_time()
        begin = loop.time() + 0.05
        tasks: list[asyncio.Task[Sample]] = []
        for offset, op in arrivals:
            at = begin + offset
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(self.fire(op, at, step))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
            tasks.append(task)
        samples = list(await asyncio.gather(*tasks))
        timing = {
            "offered_seconds": seconds,
            "elapsed_seconds": loop.time() - begin,
            "client_cpu_seconds": time.process_time() - cpu_started,
        }
        return samples, timing

    async def closed_loop(
        self, clients: int, seconds: float, step: str
    ) -> tuple[list[Sample], dict[str, float]]:
        """``clients`` residents paying shops back to back for ``seconds``."""
        loop = asyncio.get_running_loop()
        cpu_started = time.process_time()
        begin = loop.time()
        end = begin + seconds

        async def client() -> list[Sample]:
            mine = []
            while loop.time() < end:
                mine.append(await self.fire("shop", loop.time(), step))
            return mine

        batches = await asyncio.gather(*(client() for _ in range(clients)))
        samples = [sample for batch in batches for sample in batch]
        timing = {
            "offered_seconds": seconds,
            "elapsed_seconds": loop.time() - begin,
            "client_cpu_seconds": time.process_time() - cpu_started,
        }
        return samples, timing


def error_kinds(samples: list[Sample]) -> dict[str, int]:
    return dict(Counter(s.error.split(":", 1)[0] for s in samples if s.error))
