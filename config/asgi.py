"""ASGI entry point: every page and endpoint, including the live-update stream
(``GET /api/v1/cart/events``), which needs an ASGI server to hold idle connections
without a thread each. docs/sync-and-sharing.md describes the deployment."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

_django = get_asgi_application()

# Only after Django is set up.
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.urls import reverse  # noqa: E402

from core.request_body import ChunkedBodyASGI  # noqa: E402


class StreamASGIHandler(ASGIHandler):
    """Django's handler for long-lived streams.

    The stock handler gives each request a thread of its own for its synchronous parts
    (the project's middleware is synchronous) and keeps that thread until the response
    ends: for a stream that lasts hours, one parked thread per open connection. Here
    those few milliseconds run on asgiref's shared thread instead, and an open stream
    holds nothing but its coroutine.
    """

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


_streams = StreamASGIHandler()
STREAM_PATHS = frozenset({reverse("api-cart-events")})


async def _route(scope, receive, send):
    if scope["type"] == "http" and scope["path"] in STREAM_PATHS:
        await _streams(scope, receive, send)
    else:
        await _django(scope, receive, send)


# Bodies without a declared length read and held to the body limit (core/request_body.py).
application = ChunkedBodyASGI(_route)
