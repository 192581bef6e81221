"""The HTTP server's own error answers as JSON, not HTML pages.

gunicorn answers some requests before Django ever sees them (a request line over its
limit: 414, too many or too large header fields: 431, a malformed request: 400) with a
small HTML page. Under /api/ the contract allows no HTML error, and a mobile client
parses JSON: ``install`` replaces gunicorn's error writer with one that writes the
contract's ``{"code", "detail"}``. Loaded by ``gunicorn.conf.py``, which gunicorn reads
from the working directory (the image's and every start command's).
"""

import json

CODES = {400: "invalid", 413: "too_large", 414: "uri_too_long", 431: "headers_too_large"}


def json_error(status: int, reason: str, message: str) -> bytes:
    """The complete HTTP response gunicorn sends for a request it refused itself."""
    detail = f"{reason}: {message}" if message and message != reason else reason
    body = json.dumps({"code": CODES.get(status, "invalid"), "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def install() -> None:
    from gunicorn import util

    def write_error(sock, status_int, reason, mesg):
        util.write_nonblock(sock, json_error(status_int, reason, mesg))

    util.write_error = write_error
