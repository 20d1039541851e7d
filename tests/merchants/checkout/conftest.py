"""Fixtures of the checkout tests: a cashier of the shop, a funded resident, a listener on
the in-memory channel layer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer

from core.notifications import user_group
from tests.merchants.conftest import fund, make_cashier, make_member
from wallet.services import ledger


@pytest.fixture
def cashier(shop):
    return make_cashier(shop)


@pytest.fixture
def resident(estate):
    user = make_member(estate)
    fund(user, 100_000)
    return user


def balance_of(account: Any) -> int:
    return ledger.account_balance(account).balance_minor


@pytest.fixture
def in_memory_layer(settings) -> Iterator[Any]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def listen(layer: Any, user_id: int) -> str:
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(user_id), channel)
    return channel


def received(layer: Any, channel: str) -> list[dict[str, Any]]:
    """Every payload waiting on ``channel`` (stops after a short quiet spell)."""

    async def drain() -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.05)
            except TimeoutError:
                return found
            found.append(message["payload"])

    return async_to_sync(drain)()
