"""HTTP through ``config.asgi``: the synchronous middleware chain and the view run in the
request's one worker thread, without crossing back to the event loop in between."""

from collections import Counter

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from config.asgi import django_asgi_app
from core.asgi import SyncChainASGIHandler
from tests.factories import UserFactory


def signed_in_headers(client, user):
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"host", b"testserver"), (b"cookie", cookie.encode())]


def get(application, path, headers):
    return async_to_sync(HttpCommunicator(application, "GET", path, headers=headers).get_response)()


@pytest.mark.django_db(transaction=True)
def test_the_served_application_answers_a_signed_in_api_request(client):
    assert isinstance(django_asgi_app, SyncChainASGIHandler)
    headers = signed_in_headers(client, UserFactory())
    response = get(django_asgi_app, "/api/v1/wallet/balances/", headers)
    assert response["status"] == 200
    assert response["body"].startswith(b"[")
    anonymous = get(django_asgi_app, "/api/v1/wallet/balances/", headers[:1])
    assert anonymous["status"] in {401, 403}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("handler_class", "crosses_back"), [(SyncChainASGIHandler, False), (ASGIHandler, True)]
)
def test_a_request_crosses_back_to_the_event_loop_only_with_djangos_own_handler(
    client, monkeypatch, handler_class, crosses_back
):
    handler = handler_class()
    headers = signed_in_headers(client, UserFactory())
    original = sync.AsyncToSync.__call__
    crossings: Counter[str] = Counter()

    def counting(self, *args, **kwargs):
        crossings[getattr(self.awaitable, "__qualname__", "?")] += 1
        return original(self, *args, **kwargs)

    async def request():
        monkeypatch.setattr(sync.AsyncToSync, "__call__", counting)
        try:
            return await HttpCommunicator(
                handler, "GET", "/api/v1/wallet/balances/", headers=headers
            ).get_response()
        finally:
            monkeypatch.setattr(sync.AsyncToSync, "__call__", original)

    response = async_to_sync(request)()
    assert response["status"] == 200
    assert bool(crossings) is crosses_back, crossings
