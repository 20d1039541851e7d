"""The bank, seen through one interface. ``get_gateway()`` returns the configured one."""

from django.conf import settings
from django.utils.module_loading import import_string

from wallet.gateways.base import (
    BankGateway,
    CardDetails,
    CardRejected,
    GatewayTimeout,
    Outcome,
    StatementFile,
)

__all__ = [
    "BankGateway",
    "CardDetails",
    "CardRejected",
    "GatewayTimeout",
    "Outcome",
    "StatementFile",
    "get_gateway",
]


def get_gateway() -> BankGateway:
    gateway: BankGateway = import_string(settings.WALLET_GATEWAY)()
    return gateway
