"""A sandbox identity provider that answers like a real one, failures included.

It knows the people in its registry (``SandboxIdentity``, found by the keyed digest of
the number, so the sandbox never holds a plain number either): a known number with the
same name is confirmed, with another name it is a mismatch, an unknown number is not
found. Faults are injected through the cache (shared by every process when Redis is
configured): ``timeout`` and ``down`` each answer the next ``times`` calls.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache

from community import crypto
from community.models import SandboxIdentity
from community.verification.base import (
    ProviderResult,
    ProviderTimeout,
    ProviderUnavailable,
)
from community.verification.gb11643 import normalise

TIMEOUT, DOWN = "timeout", "down"
FAULT_MODES = (DOWN, TIMEOUT)
_FAULT_KEY = "sandbox-identity-fault:{mode}"

# Valid numbers for the demo and for trying the app by hand (none belongs to a real person
# as far as anyone can know; the check characters are correct).
DEMO_IDENTITIES = [
    ("王芳", "110101199003074522"),
    ("Li Lei", "310104198506152619"),
    ("张伟", "44030519921108017X"),
    ("陈静", "510107198812240429"),
    ("李明", "330106197704010031"),
]


def inject_fault(mode: str, times: int = 1) -> None:
    if mode not in FAULT_MODES:
        raise ValueError(f"unknown sandbox identity fault {mode!r}")
    cache.set(_FAULT_KEY.format(mode=mode), times, timeout=None)


def clear_faults() -> None:
    cache.delete_many([_FAULT_KEY.format(mode=mode) for mode in FAULT_MODES])


def take_fault() -> str | None:
    """Consume one injected fault, if any (``decr`` is atomic in Redis and locmem)."""
    for mode in FAULT_MODES:
        key = _FAULT_KEY.format(mode=mode)
        try:
            left = cache.decr(key)
        except ValueError:  # no such fault
            continue
        if left <= 0:
            cache.delete(key)
        if left >= 0:
            return mode
    return None


def seed_identity(*, name: str, id_number: str) -> SandboxIdentity:
    """Put a person in the sandbox registry (idempotent; the name is updated)."""
    identity, _created = SandboxIdentity.objects.update_or_create(
        id_number_digest=crypto.digest(normalise(id_number)), defaults={"name": name.strip()}
    )
    return identity


def seed_demo_identities() -> list[SandboxIdentity]:
    return [seed_identity(name=name, id_number=number) for name, number in DEMO_IDENTITIES]


class SandboxIdentityProvider:
    name = "sandbox"

    def verify(self, name: str, id_number: str) -> ProviderResult:
        fault = take_fault()
        if fault == TIMEOUT:
            raise ProviderTimeout("sandbox identity provider: no answer")
        if fault == DOWN:
            raise ProviderUnavailable("sandbox identity provider: service unavailable")
        reference = "sbx_" + secrets.token_hex(8)
        identity = SandboxIdentity.objects.filter(
            id_number_digest=crypto.digest(normalise(id_number))
        ).first()
        if identity is None:
            return ProviderResult("not_found", reference)
        if identity.name != name.strip():
            return ProviderResult("mismatch", reference)
        return ProviderResult("confirmed", reference)
