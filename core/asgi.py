"""Django's ASGI handler for an application whose middleware and views are synchronous."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    """Runs the whole middleware chain and the view in one worker thread per request.

    Django's own handler builds the chain for async: with synchronous middleware a request
    then crosses between the event loop and a thread three times (into a thread for the
    middleware, back to the loop for the innermost handler, into the thread again for the
    view), and every crossing waits for the loop, which also serves every websocket. Every
    middleware and view here is synchronous, so one crossing is enough: the chain is built
    as under WSGI and called from the request's thread-sensitive context, where Django's
    own ``sync_to_async`` calls (closing the response, the request signals) run too.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
