"""The verifier a shop's developer copies: a real signed delivery verifies; another secret,
a changed body, a replayed old delivery and a timestamp from the future do not."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from merchants.services import webhooks
from merchants.webhooks_verify import WebhookSignatureError, verify

SECRET = "whsec_test-secret"
BODY = b'{"id":"d1","type":"payment.succeeded","created":1764144000,"data":{"amount_minor":2500}}'


def header(secret: str, timestamp: int, body: bytes) -> str:
    # Computed here from the published scheme, not by the code under test.
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def test_a_fresh_signature_of_the_body_verifies():
    now = int(time.time())
    verify(SECRET, header(SECRET, now, BODY), BODY)
    verify(SECRET, header(SECRET, now, BODY), BODY.decode())  # text bodies too


def test_the_service_signs_by_the_published_scheme():
    assert webhooks.signature_header(SECRET, 1_764_144_000, BODY) == header(
        SECRET, 1_764_144_000, BODY
    )


@pytest.mark.parametrize(
    ("secret", "body"),
    [("whsec_another-shops-secret", BODY), (SECRET, BODY.replace(b"2500", b"250000"))],
    ids=["another secret", "changed body"],
)
def test_another_secret_or_a_changed_body_is_refused(secret, body):
    now = int(time.time())
    with pytest.raises(WebhookSignatureError, match="no signature matches"):
        verify(SECRET, header(secret, now, BODY), body)


def test_a_replayed_old_delivery_is_refused():
    # Given a genuine delivery signed six minutes ago, captured and sent again now
    signed_at = 1_764_144_000
    captured = header(SECRET, signed_at, BODY)
    verify(SECRET, captured, BODY, now=signed_at + 300)  # still inside the window
    with pytest.raises(WebhookSignatureError, match="outside the tolerance"):
        verify(SECRET, captured, BODY, now=signed_at + 301)


def test_a_timestamp_from_the_future_beyond_the_window_is_refused():
    now = 1_764_144_000
    verify(SECRET, header(SECRET, now + 300, BODY), BODY, now=now)
    with pytest.raises(WebhookSignatureError, match="outside the tolerance"):
        verify(SECRET, header(SECRET, now + 301, BODY), BODY, now=now)


def test_the_window_is_the_callers_to_choose():
    now = 1_764_144_000
    with pytest.raises(WebhookSignatureError):
        verify(SECRET, header(SECRET, now - 61, BODY), BODY, now=now, tolerance=60)


def test_one_matching_signature_among_several_is_enough():
    now = int(time.time())
    good = header(SECRET, now, BODY)
    verify(SECRET, f"{good},v1={'0' * 64}", BODY)


@pytest.mark.parametrize(
    "signature",
    ["", "v1=abc", "t=1764144000", "t=soon,v1=abc", "garbage", "t=1764144000,v1=签名"],
)
def test_a_malformed_header_is_refused(signature):
    with pytest.raises(WebhookSignatureError):
        verify(SECRET, signature, BODY, now=1_764_144_000)
