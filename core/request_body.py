"""Request bodies sent with ``Transfer-Encoding: chunked`` (no ``Content-Length``), read
correctly and held to the 64 KiB limit while they are read.

Django builds a request's body stream from ``Content-Length``: a chunked body, which has
none, read as empty under a WSGI server (a valid add answered "item_id: This field is
required"), and the 413 check, which looks at the declared length, let a chunked body
of any size through. These wrappers sit in front of Django, at the server interface: they
read a chunked body up to the limit, answer 413 ``too_large`` (JSON, and the connection
closed, so nothing unread is left on it) past it, and otherwise hand Django the body
with its length, as if the client had declared it.
"""

import io
import json

from django.conf import settings

from core.errors import TooLarge

_TOO_LARGE = json.dumps({"code": TooLarge.code, "detail": TooLarge.detail}).encode()
# Past the limit, this much more of a body is still read (and dropped) before the 413 is
# sent: a server that closes a connection the client is still writing to resets it, and
# the client then sees a broken connection instead of the answer. A body longer than
# this gets the reset.
DRAIN_BYTES = 1024 * 1024


def _limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class ChunkedBodyWSGI:
    """WSGI: ``wsgi.input`` of a chunked request is the decoded body (gunicorn decodes
    the chunks); read at most the limit plus one byte of it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(_limit() + 1)
            if len(body) > _limit():
                drained = 0
                while drained < DRAIN_BYTES and (chunk := environ["wsgi.input"].read(64 * 1024)):
                    drained += len(chunk)
                start_response(
                    "413 Request Entity Too Large",
                    [
                        ("Content-Type", "application/json"),
                        ("Content-Length", str(len(_TOO_LARGE))),
                        ("Connection", "close"),
                    ],
                )
                return [_TOO_LARGE]
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)


class ChunkedBodyASGI:
    """ASGI: an HTTP request without ``content-length`` has its body events read here,
    up to the limit, and replayed to Django as one event with the length declared."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or any(name == b"content-length" for name, _ in scope["headers"]):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > _limit():
                while message.get("more_body") and size < _limit() + DRAIN_BYTES:
                    message = await receive()
                    size += len(message.get("body", b""))
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
                    }
                )
                await send({"type": "http.response.body", "body": _TOO_LARGE})
                return None
            if not message.get("more_body"):
                break
        if size == 0:  # a GET, a body-less request: nothing to change
            return await self.app(scope, _replay(b"", receive), send)
        headers = [(n, v) for n, v in scope["headers"] if n != b"transfer-encoding"]
        scope = {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}
        return await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive):
    """A ``receive`` that gives the body already read, then the server's own events
    (a disconnect) as they come."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
