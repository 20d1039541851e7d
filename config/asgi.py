"""ASGI entry point: HTTP through Django, websockets through Channels.

Run with ``uvicorn config.asgi:application`` (several ``--workers`` in production).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The server's processes are long-lived: they keep a pool of database connections (only
# with PostgreSQL; see DB_POOL in config/settings.py).
os.environ.setdefault("DB_POOL", "1")

# Django must be set up before anything imports models (what get_asgi_application does
# before it builds Django's own handler; ours is core.asgi's, see there why).
django.setup(set_prefix=False)

from core.asgi import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from core.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
