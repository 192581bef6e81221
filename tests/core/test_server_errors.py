"""What the servers answer before or outside a view, under production settings: gunicorn's
own refusals (414, 431, 400) and Django's (a Host it does not serve) are JSON, never an
HTML page; shoppers' pages get the styled error pages."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from core.server_errors import json_error


def _raw(base: str, request: bytes) -> tuple[int, dict, bytes]:
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return int(lines[0].split()[1]), headers, body


def _dechunk(data: bytes) -> bytes:
    body = b""
    while True:
        size, _, data = data.partition(b"\r\n")
        if int(size, 16) == 0:
            return body
        body, data = body + data[: int(size, 16)], data[int(size, 16) + 2 :]


def _get(path: bytes, extra: bytes = b"", host: bytes = b"127.0.0.1") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\n" + extra + b"Connection: close\r\n\r\n"


@pytest.mark.parametrize(
    "request_bytes, status, code",
    [
        (_get(b"/api/v1/products?" + b"a" * 10_000), 414, "uri_too_long"),
        (_get(b"/api/v1/products", b"X-Big: " + b"b" * 20_000 + b"\r\n"), 431, "headers_too_large"),
        (_get(b"/api/v1/products", b"".join(b"X-%d: 1\r\n" % i for i in range(200))), 431, "headers_too_large"),
        (b"BLAH\r\n\r\n", 400, "invalid"),
        (b"POST /api/v1/cart/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400, "invalid"),
        (_get(b"/api/v1/products", host=b"attacker.example"), 400, "invalid"),
    ],
    ids=["long request line", "huge header", "too many headers", "garbage", "bad Content-Length", "unknown Host"],
)
def test_refusals_before_a_view_are_json(production_server, request_bytes, status, code):
    got, headers, body = _raw(production_server, request_bytes)
    assert got == status
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["code"] == code and json.loads(body)["detail"]


def test_an_unknown_host_on_a_page_gets_the_styled_page(production_server):
    status, headers, body = _raw(production_server, _get(b"/products/", host=b"attacker.example"))
    assert status == 400 and headers["content-type"].startswith("text/html")
    assert b"We could not understand that request" in body


def test_the_json_error_is_a_complete_response():
    response = json_error(414, "URI Too Long", "")
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: application/json")
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"code": "uri_too_long", "detail": "URI Too Long"}
