"""Exactly one effect per Idempotency-Key.

The response is stored under the key by the last statement of the money transaction, so it
commits with the money it describes or not at all. A duplicate that arrives after the first
committed replays the stored response at once; one running at the same moment waits on the
same rows as the first, and its INSERT of the key then fails on the unique index, which
rolls its whole transaction back before it replays the first response. A business refusal
(4xx) is stored too, in its own transaction after the rollback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import ApplicationError, error_body
from wallet.errors import IdempotencyKeyMissing, IdempotencyKeyReused
from wallet.models import IdempotencyRecord

T = TypeVar("T")
MAX_KEY_LENGTH = 100


# Kept out of the fingerprint, an unsalted hash stored beside the payment it describes: with
# the rest of the body known from that payment, a million tries would give the PIN back. A
# PIN refusal is never recorded under a key, so a retry with the right PIN still runs.
SECRET_FIELDS = frozenset({"pin", "current_pin", "new_pin", "password"})


def request_fingerprint(method: str, path: str, body: Any) -> str:
    if isinstance(body, dict):
        body = {k: v for k, v in dict.items(body) if k not in SECRET_FIELDS}
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Replayed(Exception):
    """The request was already answered: send this response again."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body


@dataclass
class Idempotency:
    user_id: int
    key: str
    fingerprint: str
    render: Callable[[Any], dict[str, Any]] = field(repr=False)
    status_code: int = 201
    # Names the operation ("topup:42") when it may end after the first response.
    resource: Callable[[Any], str] | None = field(default=None, repr=False)
    # Set once a look-up found no earlier answer, so the request does not look twice
    # before its transaction (a concurrent duplicate is caught by the unique index).
    looked_up: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > MAX_KEY_LENGTH:
            raise IdempotencyKeyMissing()


class _ClaimedConcurrently(Exception):
    pass


def replay_if_recorded(idempotency: Idempotency | None) -> None:
    """Raise ``Replayed`` if this key was answered before (or ``IdempotencyKeyReused``)."""
    if idempotency is None:
        return
    record = IdempotencyRecord.objects.filter(
        user_id=idempotency.user_id, key=idempotency.key
    ).first()
    if record is None:
        idempotency.looked_up = True
        return
    if record.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReused()
    raise Replayed(record.status_code, record.response)


def execute(idempotency: Idempotency | None, work: Callable[[], T]) -> T:
    """Run ``work`` in a durable transaction, at most once per idempotency key."""
    if idempotency is None:
        with transaction.atomic(durable=True):
            return work()
    if not idempotency.looked_up:
        replay_if_recorded(idempotency)
    try:
        with transaction.atomic(durable=True):
            result = work()
            if not _record(idempotency, result):
                # A concurrent duplicate committed first: undo ours, answer with theirs.
                raise _ClaimedConcurrently()
            return result
    except _ClaimedConcurrently:
        replay_if_recorded(idempotency)
        raise RuntimeError("idempotency record vanished after a conflict") from None
    except ApplicationError as refusal:
        if refusal.status_code < 500:
            _record_refusal(idempotency, refusal)
        raise


_RECORD = f"""
    INSERT INTO {IdempotencyRecord._meta.db_table}
           (user_id, key, fingerprint, status_code, response, resource, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id
"""


def _record(idempotency: Idempotency, result: Any) -> bool:
    """Store the answer under the key, last in the money's transaction; False if a
    concurrent duplicate holds the key (one statement: no savepoint to catch a conflict)."""
    response = json.dumps(idempotency.render(result), cls=DjangoJSONEncoder)
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD,
            [
                idempotency.user_id,
                idempotency.key,
                idempotency.fingerprint,
                idempotency.status_code,
                response,
                idempotency.resource(result) if idempotency.resource else "",
                timezone.now(),
            ],
        )
        return cursor.fetchone() is not None


def _record_refusal(idempotency: Idempotency, refusal: ApplicationError) -> None:
    fields = {name: [str(m) for m in messages] for name, messages in refusal.fields.items()}
    body = error_body(refusal.code, refusal.message, fields, **refusal.extra)
    try:
        with transaction.atomic(durable=True):
            IdempotencyRecord.objects.create(
                user_id=idempotency.user_id,
                key=idempotency.key,
                fingerprint=idempotency.fingerprint,
                status_code=refusal.status_code,
                response=body,
            )
    except IntegrityError:
        # A concurrent duplicate succeeded (or was refused) first: its answer stands.
        replay_if_recorded(idempotency)
