"""The HTTP servers `make bench` compares, how it starts and stops them, and what each
must serve besides speed: a page, the API and the cart's event stream.

Every server gets the same worker count, port and environment, so the figures differ
by the server alone. Only gunicorn reads gunicorn.conf.py (JSON for the refusals it
answers itself, before Django); ``check_fit`` shows what the others answer instead.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
EVENTS_PATH = "/api/v1/cart/events"
GTHREAD_THREADS = 4  # as the image runs it (Dockerfile: --threads 4)


@dataclass(frozen=True)
class Server:
    name: str  # what --server / --servers take
    label: str  # what the report says
    argv: Callable[[int, int], list[str]]  # (workers, port) → command line


def _gunicorn(*extra: str) -> Callable[[int, int], list[str]]:
    def argv(workers: int, port: int) -> list[str]:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"{HOST}:{port}"]
        return [*command, "--workers", str(workers), "--log-level", "warning", *extra]

    return argv


def _uvicorn(workers: int, port: int) -> list[str]:
    # The whole project on ASGI, as `make run` and the tests start it.
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", HOST, "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "2"]
    return [*command, "--workers", str(workers), *quiet]


GRANIAN_THREADS = 4  # as the image runs it (Dockerfile: --blocking-threads 4)


def _granian(workers: int, port: int) -> list[str]:
    command = [sys.executable, "-m", "granian", "--interface", "wsgi", "config.wsgi:application"]
    # Granian's own default for WSGI is hundreds of threads per worker, each holding its
    # own database connections.
    threads = ["--blocking-threads", str(GRANIAN_THREADS)]
    address = ["--host", HOST, "--port", str(port)]
    return [*command, *address, "--workers", str(workers), *threads, "--log-level", "warning"]


SERVERS = {
    s.name: s
    for s in [
        Server("gunicorn-sync", "gunicorn, sync workers", _gunicorn()),
        Server(
            "gunicorn-gthread",
            f"gunicorn, gthread workers ({GTHREAD_THREADS} threads each)",
            _gunicorn("--threads", str(GTHREAD_THREADS)),
        ),
        Server("uvicorn", "uvicorn (ASGI, config.asgi)", _uvicorn),
        Server("granian", "Granian (WSGI, config.wsgi)", _granian),
    ]
}


def start(server: Server, *, workers: int, port: int, env: dict[str, str], root: Path, log: Path) -> subprocess.Popen:
    """Start ``server`` and return once it answers /healthz; its output goes to ``log``."""
    with log.open("ab") as out:
        # Its own session, so stopping it reaches its workers too.
        process = subprocess.Popen(
            server.argv(workers, port), cwd=root, env=env, start_new_session=True, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break  # exited: no use waiting out the deadline
        if _status(port, "GET", "/healthz") == 200:
            return process
        time.sleep(0.1)
    stop(process)
    tail = log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.name} did not start:\n{tail}")


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process started in its own session, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- what a server must serve -----------------------------------------------------------


@dataclass
class Fit:
    page: str
    api: str
    events: str
    refusals: str  # informational: what the server answers itself to a malformed request

    @property
    def serves_all(self) -> bool:
        """A page, the API, and a live event stream held open (not the WSGI fallback)."""
        return self.page == "ok" and self.api == "ok" and self.events == "live"


def check_fit(port: int, token: str, change: Callable[[], None]) -> Fit:
    """What the server on ``port`` serves: ``change`` must change ``token``'s cart."""
    return Fit(
        page=_expect(port, "/", "text/html"),
        api=_expect(port, "/api/v1/cart", "application/json", token),
        events=_events(port, token, change),
        refusals=_refusal(port),
    )


def _status(port: int, method: str, path: str) -> int | None:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request(method, path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def _expect(port: int, path: str, content_type: str, token: str | None = None) -> str:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"Token {token}"} if token else {})
        response = connection.getresponse()
        response.read()
        got = response.getheader("Content-Type", "")
        if response.status == 200 and got.startswith(content_type):
            return "ok"
        return f"fails ({response.status} {got})"
    except OSError as exc:
        return f"fails ({exc.__class__.__name__})"
    finally:
        connection.close()


def _events(port: int, token: str, change: Callable[[], None]) -> str:
    """ "live" when the stream stays open and carries the version of a change made after
    it started; under a WSGI server the view answers one event and ends instead (the
    client then polls), which is "one event, then closed"."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", EVENTS_PATH, headers={"Authorization": f"Token {token}"})
        response = connection.getresponse()
        got = response.getheader("Content-Type", "")
        if response.status != 200 or not got.startswith("text/event-stream"):
            return f"fails ({response.status} {got})"
        first = _next_event(response)
        if first is None:
            return "fails (no event)"
        change()
        try:
            second = _next_event(response)
        except TimeoutError:
            return "fails (open, but no event after a change)"
        if second is None:
            return f"one event, then closed (client polls every {first.get('retry', '?')} ms)"
        return "live"
    except OSError as exc:
        return f"fails ({exc.__class__.__name__})"
    finally:
        connection.close()


def _next_event(response: http.client.HTTPResponse) -> dict[str, str] | None:
    """The fields of the next event carrying data (comments and keep-alives skipped);
    None when the response ended first."""
    fields: dict[str, str] = {}
    while True:
        line = response.readline()
        if not line:
            return None
        text = line.decode().rstrip("\r\n")
        if text:
            name, _, value = text.partition(":")
            if name:  # a line starting with ":" is a comment
                fields[name] = value.strip()
        elif "data" in fields:
            return fields


def _refusal(port: int) -> str:
    """A request the server refuses itself (a header line without a colon): the API's
    contract wants JSON there too; gunicorn gets it from gunicorn.conf.py."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"GET /api/v1/cart HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n")
        reply = b""
        try:
            while b"\r\n\r\n" not in reply and (chunk := sock.recv(4096)):
                reply += chunk
        except OSError:
            pass
    head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    if not head:
        return "connection closed, no answer"
    status = head.split("\r\n", 1)[0].split(" ", 2)[1:2] or ["?"]
    content_type = next(
        (line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("content-type:")),
        "",
    )
    kind = "JSON" if "json" in content_type else content_type or "no body"
    return f"{status[0]} {kind}"
