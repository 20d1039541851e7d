"""Signed webhooks to shops' own systems: endpoints, emitting events, delivering them.

Endpoints. A shop's owner adds an http(s) URL and the event types it hears about
(``payment.succeeded``, ``refund.succeeded``, ``settlement.paid``); the service makes a
signing secret (``whsec_`` + 32 random bytes) and hands it back once to show. The owner
may disable (pause), enable, delete, rotate the secret and send a ``ping`` test event.
Owner only: someone who does not work in the shop gets 404, a cashier ``shop_owner_only``
(403), as for staff in ``merchants.services.onboarding``. At most ``MAX_ENDPOINTS`` per
shop (``webhook_endpoint_limit``; the shop row is locked while counting).

Emitting. Business services call ``emit`` inside their own transaction. It writes one
``PENDING`` delivery per active endpoint of the shop subscribed to the type; the unique key
(endpoint, type, business key) with ``ignore_conflicts`` makes a re-emitted event a no-op,
so a retried payment never delivers twice. Sending is scheduled after commit (one Celery
task per delivery); a delivery whose task is lost is found by the minute sweep
(``deliveries_due``), since it is created due now.

Delivering (``deliver``). Never inside a database transaction: the HTTP call runs between
two single-statement updates. The claim is a compare-and-set (``PENDING`` and due, endpoint
active → attempts + 1 and due again only after ``CLAIM_LEASE``), so of two workers one
sends; a worker killed mid-call leaves the delivery to be tried again when the lease ends.
The result is written only if the attempt count is still the one claimed. A 2xx answer is
``DELIVERED``; anything else (another status, a redirect, a timeout, a refused connection)
waits ``BACKOFF[attempt]`` and is tried again, the last time at 24 hours after the event;
a failure then is ``FAILED`` (given up). The owner may retry a given-up delivery once more
by hand.

Signing. Each attempt is signed when it is sent: ``Linli-Signature: t=<unix>,v1=<hex>``
where ``v1`` is HMAC-SHA256 under the endpoint's secret of ``"<t>.<body>"``; the delivery
id and event type travel in ``Linli-Delivery`` and ``Linli-Event``. Receivers check it
with ``merchants.webhooks_verify`` (five-minute window) and drop delivery ids they have
seen. See docs/webhooks.md.

SSRF. Every send resolves the host, refuses private, loopback, link-local, reserved and
multicast addresses unless ``settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE`` (tests and
development), and connects to the address it checked (the URL's host travels in the
``Host`` header and TLS SNI), so a name cannot resolve to a public address for the check
and a private one for the call. A refused address is given up at once. Redirects are not
followed. Endpoint URLs that are literal private addresses are refused when added.

Locks: each service locks one row only (adding: the shop; endpoint actions: the endpoint;
retry by hand: the delivery), so there is no order to keep among them. ``emit`` locks
nothing of its own; a second emit of one event waits on the unique index and is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, ValidationFailed
from merchants.errors import (
    NotShopOwner,
    WebhookDeliveryNotFailed,
    WebhookEndpointLimit,
    WebhookUrlNotAllowed,
)
from merchants.models import Shop, ShopStaff, WebhookDelivery, WebhookEndpoint

EVENT_TYPES: tuple[str, ...] = tuple(WebhookEndpoint.Event.values)
PING = "ping"  # a test event the owner sends by hand; nobody subscribes to it
SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS = 5
URL_MAX_LENGTH = 300
EVENT_KEY_MAX_LENGTH = 80
TIMEOUT_SECONDS = 5.0
RETRY_FOR = timedelta(hours=24)
# The wait after the 1st, 2nd, ... failed attempt; the last repeats until RETRY_FOR is over.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
# Longer than any one attempt can take (resolve, connect, write, read at TIMEOUT_SECONDS).
CLAIM_LEASE = timedelta(minutes=2)
DUE_BATCH = 200
USER_AGENT = "Linli-Webhooks/1"


class DeliveryError:
    """What went wrong when no HTTP status came back, as stored in ``last_error``; the
    delivery log shows ``LABELS``. A non-2xx answer leaves it empty and keeps the status."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    DNS = "dns"
    ADDRESS_REFUSED = "address_refused"
    LABELS = {
        TIMEOUT: _("No answer within 5 seconds"),
        CONNECTION: _("Could not connect"),
        DNS: _("The host name could not be resolved"),
        ADDRESS_REFUSED: _("Not sent: the host is a private or reserved address"),
    }


@dataclass(frozen=True)
class NewSecret:
    """An endpoint with its signing secret, to show the owner once."""

    endpoint: WebhookEndpoint
    secret: str


# --- endpoints ---------------------------------------------------------------------------------


def _require_owner(user: Any, shop_id: int) -> None:
    roles = set(
        ShopStaff.objects.filter(shop_id=shop_id, user_id=user.pk).values_list("role", flat=True)
    )
    if not roles:
        raise NotFound()
    if ShopStaff.Role.OWNER not in roles:
        raise NotShopOwner(_("Only the shop's owner may manage its webhooks."))


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a webhook may be sent to ``address``: a public unicast one, unless private
    addresses are allowed (``MERCHANT_WEBHOOKS_ALLOW_PRIVATE``, tests and development)."""
    if getattr(settings, "MERCHANT_WEBHOOKS_ALLOW_PRIVATE", False):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _clean_url(raw: str) -> str:
    url = str(raw or "").strip()
    problem: str | Promise | None = None
    if not url:
        problem = _("This field is required.")
    elif len(url) > URL_MAX_LENGTH:
        problem = _("At most %(n)s characters.") % {"n": URL_MAX_LENGTH}
    else:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            problem = _("Enter a full http:// or https:// address.")
    if problem is not None:
        raise ValidationFailed(fields={"url": [problem]})
    host = httpx.URL(url).host
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if host == "localhost" or host.endswith(".localhost"):
        literal = ipaddress.ip_address("127.0.0.1")
    if literal is not None and not address_allowed(literal):
        raise WebhookUrlNotAllowed(fields={"url": [WebhookUrlNotAllowed.default_message]})
    return url


def _clean_event_types(raw: list[str]) -> list[str]:
    chosen = [event for event in EVENT_TYPES if event in set(raw or [])]
    unknown = set(raw or []) - set(EVENT_TYPES)
    if unknown or not chosen:
        raise ValidationFailed(fields={"event_types": [_("Choose at least one event.")]})
    return chosen


@transaction.atomic(durable=True)
def endpoint_create(*, owner: Any, shop: Shop, url: str, event_types: list[str]) -> NewSecret:
    """Add an endpoint of ``shop`` hearing ``event_types``; returns it with its secret.

    Owner only (see the module docstring). Checks: an http(s) URL of at most 300
    characters that is not a literal private address (``webhook_url_not_allowed``); at
    least one known event type. Locks the shop row to count its endpoints
    (``webhook_endpoint_limit`` beyond ``MAX_ENDPOINTS``). No side effects.
    """
    _require_owner(owner, shop.pk)
    clean_url = _clean_url(url)
    events = _clean_event_types(event_types)
    Shop.objects.select_for_update().filter(pk=shop.pk).values_list("pk").get()
    if WebhookEndpoint.objects.filter(shop_id=shop.pk).count() >= MAX_ENDPOINTS:
        raise WebhookEndpointLimit()
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        shop_id=shop.pk, url=clean_url, secret=secret, event_types=events, created_by=owner
    )
    return NewSecret(endpoint, secret)


def _lock_endpoint(owner: Any, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_owner(owner, endpoint.shop_id)
    locked = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    if locked is None:
        raise NotFound()
    return locked


@transaction.atomic(durable=True)
def endpoint_disable(*, owner: Any, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Pause an endpoint: no new deliveries are made for it and waiting ones are not sent
    until it is enabled again. Owner only; locks the endpoint row."""
    locked = _lock_endpoint(owner, endpoint)
    locked.active = False
    locked.save(update_fields=["active"])
    return locked


@transaction.atomic(durable=True)
def endpoint_enable(*, owner: Any, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Resume an endpoint; deliveries that waited are sent by the next sweep (those past
    their 24 hours get one more attempt). Owner only; locks the endpoint row."""
    locked = _lock_endpoint(owner, endpoint)
    locked.active = True
    locked.save(update_fields=["active"])
    return locked


@transaction.atomic(durable=True)
def endpoint_delete(*, owner: Any, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log. Owner only; locks the endpoint row (a
    delivery being sent at that moment finishes, and its result is dropped)."""
    _lock_endpoint(owner, endpoint).delete()


@transaction.atomic(durable=True)
def endpoint_rotate_secret(*, owner: Any, endpoint: WebhookEndpoint) -> NewSecret:
    """Give an endpoint a new secret, returned once to show; every attempt from now on is
    signed with it, retries of older events included. Owner only; locks the endpoint row."""
    locked = _lock_endpoint(owner, endpoint)
    locked.secret = _new_secret()
    locked.save(update_fields=["secret"])
    return NewSecret(locked, locked.secret)


@transaction.atomic(durable=True)
def endpoint_ping(*, owner: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` test event to an endpoint whatever it subscribes to: a new delivery
    each time, sent after commit and retried like any other (a paused endpoint's waits
    until it is enabled). Owner only."""
    _require_owner(owner, endpoint.shop_id)
    now = timezone.now()
    delivery_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        endpoint_id=endpoint.pk,
        delivery_id=delivery_id,
        event_type=PING,
        event_key=f"ping:{delivery_id}",
        payload=_payload(delivery_id, PING, now, {"shop_id": endpoint.shop_id}),
        next_attempt_at=now,
    )
    _send_after_commit([delivery.pk])
    return delivery


@transaction.atomic(durable=True)
def delivery_retry(*, owner: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Try a given-up delivery once more, now. Owner only; locks the delivery row; one that
    is not ``FAILED`` is ``webhook_delivery_not_failed``. If this attempt fails too the
    delivery is given up again (its 24 hours are over)."""
    _require_owner(owner, delivery.endpoint.shop_id)
    locked = WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
    if locked is None:
        raise NotFound()
    if locked.status != WebhookDelivery.Status.FAILED:
        raise WebhookDeliveryNotFailed()
    locked.status = WebhookDelivery.Status.PENDING
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "next_attempt_at"])
    _send_after_commit([locked.pk])
    return locked


# --- emitting ----------------------------------------------------------------------------------


def _payload(
    delivery_id: uuid.UUID, event_type: str, created: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": str(delivery_id),
        "type": event_type,
        "created": int(created.timestamp()),
        "data": data,
    }


def _send_after_commit(delivery_pks: list[int]) -> None:
    from merchants.tasks import webhook_deliver

    # robust: the business transaction has committed; a broker hiccup must not fail it,
    # and the minute sweep sends what was not queued.
    for pk in delivery_pks:
        transaction.on_commit(partial(webhook_deliver.delay, pk), robust=True)


def emit(*, shop_id: int, event_type: str, event_key: str, data: dict[str, Any]) -> list[int]:
    """Record ``event_type`` of shop ``shop_id`` for each of its active endpoints subscribed
    to it; returns the new deliveries' primary keys.

    Runs inside the caller's business transaction, so an event exists exactly when the
    business change committed. ``event_key`` names the business event ("payment:123"): a
    second emit of the same key adds nothing (a unique constraint, conflicts ignored).
    ``data`` must be JSON. Takes no lock. Side effect: one ``merchants.webhook_deliver``
    task per new delivery, after commit.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("webhooks.emit runs inside the business transaction")
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not 0 < len(event_key) <= EVENT_KEY_MAX_LENGTH:
        raise ValueError(f"a webhook event key has 1 to 80 characters: {event_key!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(shop_id=shop_id, active=True).only(
            "pk", "event_types"
        )
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        delivery_id = uuid.uuid4()
        rows.append(
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                delivery_id=delivery_id,
                event_type=event_type,
                event_key=event_key,
                payload=_payload(delivery_id, event_type, now, data),
                next_attempt_at=now,
            )
        )
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    # Rows that conflicted were not written, so their fresh delivery ids are not found.
    created = list(
        WebhookDelivery.objects.filter(
            delivery_id__in=[row.delivery_id for row in rows]
        ).values_list("pk", flat=True)
    )
    _send_after_commit(created)
    return created


# --- delivering --------------------------------------------------------------------------------


def deliveries_due(*, limit: int = DUE_BATCH) -> list[int]:
    """Primary keys of deliveries waiting to be sent now (to active endpoints), the most
    overdue first."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>" under secret, hex>``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _Refused(Exception):
    """The host resolved to an address webhooks may not be sent to."""


@dataclass(frozen=True)
class _Result:
    status_code: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _resolve(url: httpx.URL) -> list[str]:
    """The addresses to try for ``url``, after checking every address it resolves to (a
    name with one private address among public ones is refused)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    infos = socket.getaddrinfo(url.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses or not all(address_allowed(address) for address in addresses):
        raise _Refused()
    return [str(address) for address in addresses]


def _post(delivery: WebhookDelivery, secret: str) -> _Result:
    url = httpx.URL(delivery.endpoint.url)
    try:
        addresses = _resolve(url)
    except _Refused:
        return _Result(error=DeliveryError.ADDRESS_REFUSED)
    except (OSError, UnicodeError, ValueError):
        return _Result(error=DeliveryError.DNS)
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Host": url.netloc.decode("ascii"),
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Linli-Signature": signature_header(secret, int(timezone.now().timestamp()), body),
        "Linli-Delivery": str(delivery.delivery_id),
        "Linli-Event": delivery.event_type,
    }
    extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        # Like a browser, the next address is tried only when one refuses the connection
        # ("localhost" may be ::1 first for a receiver on 127.0.0.1).
        for address in addresses:
            try:
                with client.stream(
                    "POST",
                    url.copy_with(host=address),
                    content=body,
                    headers=headers,
                    extensions=extensions,
                ) as response:
                    # The answer's body is never read: only its status counts.
                    return _Result(status_code=response.status_code)
            except httpx.TimeoutException:
                return _Result(error=DeliveryError.TIMEOUT)
            except httpx.ConnectError:
                continue
            except (httpx.HTTPError, OSError):
                return _Result(error=DeliveryError.CONNECTION)
    return _Result(error=DeliveryError.CONNECTION)


def _claim(delivery_pk: int, now: datetime) -> bool:
    # The endpoint is checked by a subquery on its id, not a join: Django turns an UPDATE
    # with a join into "id IN (SELECT ...)", which PostgreSQL does not re-check against the
    # row a concurrent claim just changed, so both claims would win.
    active = WebhookEndpoint.objects.filter(active=True).values("pk")
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_pk,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
        endpoint_id__in=active,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
    return claimed == 1


def deliver(delivery_pk: int) -> WebhookDelivery | None:
    """Make one attempt at a due delivery; returns it as recorded, or None when it was not
    ours to send (not due, already sent or being sent, endpoint paused or deleted).

    Must not run inside a transaction of ours (the HTTP call would hold it open). Claims by
    compare-and-set, sends, records the outcome if the attempt count is still the one
    claimed; see the module docstring for the schedule. No locks are held while sending.
    """
    now = timezone.now()
    if not _claim(delivery_pk, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_pk).first()
    if delivery is None:
        return None
    result = _post(delivery, delivery.endpoint.secret)
    finished = timezone.now()
    changes: dict[str, Any] = {"last_status_code": result.status_code, "last_error": result.error}
    if result.ok:
        changes |= {
            "status": WebhookDelivery.Status.DELIVERED,
            "delivered_at": finished,
            "next_attempt_at": None,
        }
    else:
        give_up_at = delivery.created_at + RETRY_FOR
        wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        if result.error == DeliveryError.ADDRESS_REFUSED or finished >= give_up_at:
            changes |= {"status": WebhookDelivery.Status.FAILED, "next_attempt_at": None}
        else:
            changes["next_attempt_at"] = min(finished + wait, give_up_at)
    WebhookDelivery.objects.filter(
        pk=delivery_pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(**changes)
    for name, value in changes.items():
        setattr(delivery, name, value)
    return delivery
