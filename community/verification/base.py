"""The identity verification provider: who confirms that a name and a number belong together.

A real provider (a licensed identity service in front of the national register) is a
network call that can be slow or down, so it is called outside any database transaction
and its two failure kinds are distinct: a timeout may or may not have reached the provider,
an unavailable answer certainly did not. Either way nothing is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

Outcome = Literal["confirmed", "mismatch", "not_found"]


@dataclass(frozen=True)
class ProviderResult:
    outcome: Outcome
    # The provider's own reference for this check, kept as evidence on the record.
    reference: str


class ProviderError(Exception):
    """The provider gave no answer; try again later."""


class ProviderTimeout(ProviderError):
    pass


class ProviderUnavailable(ProviderError):
    pass


class IdentityProvider(Protocol):
    name: str

    def verify(self, name: str, id_number: str) -> ProviderResult:
        """Does ``id_number`` (normalised, valid) belong to a person called ``name``?

        Raises ``ProviderTimeout`` or ``ProviderUnavailable`` when there is no answer.
        """
        ...


def get_provider() -> IdentityProvider:
    provider: IdentityProvider = import_string(settings.COMMUNITY_IDENTITY_PROVIDER)()
    return provider
