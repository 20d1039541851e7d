"""Check that a webhook request came from Linli, and is not an old one replayed.

Standard library only: a shop's developer may copy this file into their own system.

Linli signs every attempt when it sends it::

    Linli-Signature: t=1764144000,v1=5f2b...e9

``t`` is the Unix time of sending; ``v1`` is the hex HMAC-SHA256, under the endpoint's
secret (``whsec_...``), of the bytes ``b"<t>." + body``, where body is the request body
exactly as received (do not parse and re-serialise it first). ``verify`` accepts a request
only if some ``v1`` matches (compared in constant time) and ``t`` is within ``tolerance``
seconds of now, either way: a captured request replayed later is refused. Also drop a
``Linli-Delivery`` id you have already processed: retries of one event carry the same id.

Example (any web framework)::

    from webhooks_verify import WebhookSignatureError, verify

    try:
        verify(SECRET, request.headers["Linli-Signature"], request.body)
    except (KeyError, WebhookSignatureError):
        return 400
"""

from __future__ import annotations

import hashlib
import hmac
import time

DEFAULT_TOLERANCE = 300  # seconds


class WebhookSignatureError(Exception):
    """The request is not a valid, fresh webhook from Linli."""


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit():
                raise WebhookSignatureError("the timestamp is not a number")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None:
        raise WebhookSignatureError("the signature header has no timestamp")
    if not signatures:
        raise WebhookSignatureError("the signature header has no v1 signature")
    return timestamp, signatures


def verify(
    secret: str,
    signature_header: str,
    body: bytes | str,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> None:
    """Return if ``body`` was signed with ``secret`` within ``tolerance`` seconds of
    ``now`` (default: the current time); raise ``WebhookSignatureError`` otherwise."""
    timestamp, signatures = _parse(signature_header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("the timestamp is outside the tolerance window")
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = (
        hmac.new(
            secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + raw, hashlib.sha256
        )
        .hexdigest()
        .encode("ascii")
    )
    # Every candidate is compared, so the time taken does not tell which one was close.
    matched = False
    for signature in signatures:
        # As bytes: compare_digest refuses str with non-ASCII characters.
        matched |= hmac.compare_digest(expected, signature.encode("utf-8"))
    if not matched:
        raise WebhookSignatureError("no signature matches the body")
