"""Live cart versions: the SSE endpoint, its pub/sub hub, polling, and a real ASGI server
holding 200 idle streams while it keeps answering the API."""

import asyncio
import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, override_settings
from redis.cluster import RedisCluster

from accounts.services import token_create
from cart.engine import keys
from cart.engine.sync import Listener, cart_event_hub, cart_events_listen
from cart.services import cart_add_line, cart_update_line
from tests.api_client import ApiClient
from tests.conftest import db_all_tx
from tests.factories import UserFactory
from tests.processes import free_port, subprocess_env

pytestmark = db_all_tx

ROOT = Path(__file__).resolve().parents[2]
EVENTS = "/api/v1/cart/events"
DATA = re.compile(r"^data: (.*)$", re.MULTILINE)


def run(coro):
    """Run ``coro`` on a fresh loop, closing that loop's pub/sub hub afterwards."""

    async def main():
        try:
            return await coro
        finally:
            await cart_event_hub().aclose()

    return asyncio.run(main())


def versions_in(chunk: str) -> list[int]:
    return [json.loads(m)["version"] for m in DATA.findall(chunk)]


class Stream:
    """An open event stream read chunk by chunk (each chunk is one event or comment).

    One task reads the response as Django's ASGI handler does; ``close`` cancels it,
    which is what a client going away does to a real stream.
    """

    def __init__(self, response):
        self.response = response
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for chunk in self.response.streaming_content:
            await self._chunks.put(chunk)

    async def next(self, timeout: float = 2.0) -> str:
        chunk = await asyncio.wait_for(self._chunks.get(), timeout)
        return chunk.decode()

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def open_stream(token: str | None = None, client: AsyncClient | None = None) -> Stream:
    client = client or AsyncClient()
    headers = {"Authorization": f"Token {token}"} if token else {}
    response = await client.get(EVENTS, headers=headers)
    assert response.status_code == 200, response.content
    return Stream(response)


def user_with_token():
    user = UserFactory()
    token = token_create(user).token
    cart_add_line(user_id=user.pk, item_id=1, sku_id=1)  # a warm cart: no shard load inside the loop
    return user, token


# --- refusals ------------------------------------------------------------------------------


def test_without_credentials_the_stream_is_refused_with_401_json():
    response = run(AsyncClient().get(EVENTS))

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token nonsense", "Token " + "a" * 64, "Token a b", "Token"])
def test_a_bad_token_is_refused_with_401(header):
    response = run(AsyncClient().get(EVENTS, headers={"Authorization": header}))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_token_revoked_by_logout_no_longer_opens_a_stream():
    api = ApiClient()
    assert api.send("POST", "/api/v1/auth/logout").status_code == 204

    response = run(AsyncClient().get(EVENTS, headers={"Authorization": f"Token {api.token}"}))

    assert response.status_code == 401


def test_when_switched_off_the_stream_is_503_degraded(switch_off):
    _, token = user_with_token()
    switch_off("cart_events")

    response = run(AsyncClient().get(EVENTS, headers={"Authorization": f"Token {token}"}))

    assert response.status_code == 503
    assert response.json()["code"] == "degraded"


def test_only_get_is_allowed():
    _, token = user_with_token()

    response = run(AsyncClient().post(EVENTS, headers={"Authorization": f"Token {token}"}))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- the stream ------------------------------------------------------------------------------


def test_the_stream_starts_with_the_current_version_then_each_change_within_a_second():
    user, token = user_with_token()

    async def scenario():
        stream = await open_stream(token)
        assert stream.response["Content-Type"] == "text/event-stream"
        assert stream.response["Cache-Control"] == "no-cache"
        first = await stream.next()
        assert first.startswith("retry: ")
        [current] = versions_in(first)

        started = time.monotonic()
        change = await sync_to_async(cart_update_line)(user_id=user.pk, item_id=1, sku_id=1, delta=2)
        [announced] = versions_in(await stream.next(timeout=1.0))
        elapsed = time.monotonic() - started
        await stream.close()
        return current, change.cart_version, announced, elapsed

    current, changed, announced, elapsed = run(scenario())

    assert announced == changed > current
    assert elapsed < 1.0


def test_a_session_login_opens_the_stream_too():
    user, _ = user_with_token()
    client = AsyncClient()
    client.force_login(user)

    async def scenario():
        stream = await open_stream(client=client)
        first = await stream.next()
        await stream.close()
        return first

    assert versions_in(run(scenario()))


@override_settings(CART_EVENTS_HEARTBEAT_SECONDS=0.3)
def test_events_do_not_leak_across_users():
    alice, alice_token = user_with_token()
    bob, _ = user_with_token()

    async def scenario():
        stream = await open_stream(alice_token)
        await stream.next()
        # When Bob's cart changes, Alice's stream only keeps alive.
        await sync_to_async(cart_update_line)(user_id=bob.pk, item_id=1, sku_id=1, delta=1)
        quiet = await stream.next(timeout=1.0)
        # And her own change still comes through.
        change = await sync_to_async(cart_update_line)(user_id=alice.pk, item_id=1, sku_id=1, delta=1)
        own = await stream.next(timeout=1.0)
        await stream.close()
        return quiet, change.cart_version, own

    quiet, version, own = run(scenario())

    assert quiet == ": keep-alive\n\n"
    assert versions_in(own) == [version]


def _subscribers(client, channel: str) -> int:
    """Subscriptions to ``channel`` on the server, or on every node of a cluster (a
    subscription lives on one node, which hears every node's PUBLISH)."""
    nodes = [n.redis_connection for n in client.get_primaries()] if isinstance(client, RedisCluster) else [client]
    return sum(node.pubsub_numsub(channel)[0][1] for node in nodes)


def test_closing_the_stream_unsubscribes_from_redis(_clean_redis):
    user, token = user_with_token()
    channel = keys.events_channel(user.pk)

    async def scenario():
        stream = await open_stream(token)
        await stream.next()
        open_subscribers = _subscribers(_clean_redis, channel)
        await stream.close()
        await asyncio.sleep(0.05)
        return open_subscribers, cart_event_hub().channels

    open_subscribers, channels_after = run(scenario())

    assert open_subscribers == 1
    assert channels_after == set()
    assert _subscribers(_clean_redis, channel) == 0


def test_many_listeners_of_one_user_share_one_subscription_and_a_burst_collapses(_clean_redis):
    user, _ = user_with_token()
    channel = keys.events_channel(user.pk)

    async def scenario():
        async with cart_events_listen(user.pk) as first, cart_events_listen(user.pk) as second:
            subscribers = _subscribers(_clean_redis, channel)
            versions = []
            for _ in range(3):
                change = await sync_to_async(cart_update_line)(user_id=user.pk, item_id=1, sku_id=1, delta=1)
                versions.append(change.cart_version)
            await asyncio.sleep(0.2)
            return subscribers, versions, await first.wait(1.0), await second.wait(1.0), await first.wait(0.1)

    subscribers, versions, first, second, nothing_more = run(scenario())

    assert subscribers == 1
    assert first == second == versions[-1]
    assert nothing_more is None


def test_a_listener_keeps_the_newest_version_only():
    async def scenario():
        listener = Listener()
        for version in (5, 9, 7):
            listener.offer(version)
        return await listener.wait(0.1), await listener.wait(0.05)

    assert run(scenario()) == (9, None)


def test_under_wsgi_the_stream_answers_once_and_the_client_polls(client):
    # A WSGI worker must never be held by an idle stream: one event, then the client's
    # reconnect interval does the polling.
    user, token = user_with_token()

    response = client.get(EVENTS, HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    body = response.content.decode()
    assert body.startswith("retry: 5000\n")
    assert versions_in(body) == [client_cart_version(user.pk)]


def client_cart_version(user_id: int) -> int:
    from cart.selectors import cart_get_raw

    return cart_get_raw(user_id=user_id).version


def test_a_mobile_client_can_poll_with_if_none_match(api):
    first = api.get("/api/v1/cart")
    etag = first["ETag"]
    assert api.get("/api/v1/cart", HTTP_IF_NONE_MATCH=etag).status_code == 304

    cart_add_line(user_id=api.user.pk, item_id=7, sku_id=7)
    again = api.get("/api/v1/cart", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 200
    assert again["ETag"] != etag


# --- a real ASGI server -------------------------------------------------------------------------


@pytest.fixture
def asgi_server(tmp_path):
    """``uvicorn --workers 1`` on the test databases and this run's Redis prefix."""
    port = free_port()
    log = tmp_path / "uvicorn.log"
    env = subprocess_env(RATE_LIMITS_ENABLED="0")  # this test is about threads, not about fairness
    args = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*args, "--workers", "1", "--log-level", "warning", "--timeout-graceful-shutdown", "2"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    assert process.poll() is None, log.read_text()
    yield base, process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    print(log.read_text()[-3000:])  # shown when the test failed


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return -1
    return int(re.search(r"^Threads:\s+(\d+)", status.read_text(), re.MULTILINE).group(1))


STREAMS = 200
USERS = 20


async def next_data(lines, *, timeout: float) -> int:
    """The version in the next ``data:`` line of a stream (comments and blanks skipped)."""

    async def read() -> int:
        async for line in lines:
            if line.startswith("data: "):
                return json.loads(line.removeprefix("data: "))["version"]
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(read(), timeout)


def test_two_hundred_idle_streams_neither_pin_threads_nor_starve_the_api(asgi_server):
    httpx = pytest.importorskip("httpx")
    base, process = asgi_server
    tokens = {}
    for _ in range(USERS):
        user, token = user_with_token()
        tokens[user.pk] = token
    users = list(tokens)
    threads_before = _threads(process.pid)

    async def scenario():
        # trust_env=False: straight to 127.0.0.1, never through a configured proxy.
        limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=0)
        timeout = httpx.Timeout(10.0)
        async with (
            httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout, trust_env=False) as streams,
            httpx.AsyncClient(base_url=base, timeout=timeout, trust_env=False) as api,
        ):

            async def open_one(n: int):
                token = tokens[users[n % USERS]]
                request = streams.build_request("GET", EVENTS, headers={"Authorization": f"Token {token}"})
                response = await streams.send(request, stream=True)
                assert response.status_code == 200
                lines = response.aiter_lines()
                await next_data(lines, timeout=10.0)
                return response, lines

            opened = await asyncio.gather(*(open_one(n) for n in range(STREAMS)))
            threads_with_streams = _threads(process.pid)

            # Normal API answers, promptly, while every stream is open and idle.
            timings = []
            for user_id in users:
                started = time.monotonic()
                reply = await api.get("/api/v1/cart", headers={"Authorization": f"Token {tokens[user_id]}"})
                timings.append(time.monotonic() - started)
                assert reply.status_code == 200
                assert reply.json()["user_id"] == user_id

            # And a change still reaches that user's streams (ten of them) within a second.
            target = users[0]
            change = await sync_to_async(cart_update_line)(user_id=target, item_id=1, sku_id=1, delta=1)
            announced = []
            for _, lines in opened[::USERS]:  # the target's streams
                announced.append(await next_data(lines, timeout=1.0))

            await asyncio.gather(*(response.aclose() for response, _ in opened))
            return threads_with_streams, timings, change.cart_version, announced

    started = time.monotonic()
    threads_with_streams, timings, version, announced = asyncio.run(scenario())

    assert time.monotonic() - started < 60
    assert max(timings) < 2.0, timings
    assert announced == [version] * (STREAMS // USERS)
    if threads_before > 0:  # /proc is there (Linux)
        # A stream is a coroutine: the server's threads stay a handful, not one per stream.
        assert threads_with_streams - threads_before < 20, (threads_before, threads_with_streams)
