"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 standing for the shop's
own system (the outside world, so nothing between us and it is mocked), endpoints, and
counting queries.

Private addresses are allowed here, as in development: the receiver is on loopback. The
tests of the SSRF guard turn it off.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from merchants.models import Shop, WebhookDelivery, WebhookEndpoint
from merchants.services import webhooks
from tests.merchants.conftest import make_cashier

ALL_EVENTS = list(webhooks.EVENT_TYPES)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A shop's system: records every POST; answers 200 unless told otherwise.

    ``answer(500, 500)`` queues statuses for the next requests; ``hang(seconds)`` makes
    every request wait that long (or until the test ends) before answering.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: deque[int] = deque()
        self._hang_seconds = 0.0
        self._released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    status = receiver._answers.popleft() if receiver._answers else 200
                    hang = receiver._hang_seconds
                if hang:
                    receiver._released.wait(hang)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting: that is the point of hanging

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str = "/hooks/linli") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *statuses: int) -> None:
        with self._lock:
            self._answers.extend(statuses)

    def hang(self, seconds: float) -> None:
        self._hang_seconds = seconds

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _private_addresses_allowed(settings) -> None:
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def add_endpoint(shop: Shop, url: str, events: list[str] | None = None) -> webhooks.NewSecret:
    return webhooks.endpoint_create(
        owner=shop.owner, shop=shop, url=url, event_types=events or ALL_EVENTS
    )


def emit(shop: Shop, key: str) -> list[int]:
    """A ``payment.succeeded`` event of ``shop`` under ``key``, committed (a savepoint here)."""
    with transaction.atomic():
        return webhooks.emit(
            shop_id=shop.pk, event_type="payment.succeeded", event_key=key, data={"n": key}
        )


def given_up_delivery(shop: Shop, receiver: Receiver) -> int:
    """A delivery to ``receiver`` that failed once after its 24 hours: given up."""
    add_endpoint(shop, receiver.url())
    receiver.answer(500)
    [pk] = emit(shop, "payment:1")
    WebhookDelivery.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(days=2))
    webhooks.deliver(pk)
    return pk


@pytest.fixture
def endpoint(shop, receiver) -> WebhookEndpoint:
    return add_endpoint(shop, receiver.url()).endpoint


@pytest.fixture
def cashier(shop):
    return make_cashier(shop)


def queries_of(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)
