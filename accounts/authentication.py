"""Token authentication for mobile clients without a SQL query or a Redis call of its own.

Tokens are knox tokens (per device, expiring, stored hashed) with the user's id in
front (``accounts.tokens``). A token verified in the database is cached for a few
minutes as a digest in the user's hash (``accounts.keys.token_digests_key``), and each
request checks it there *inside the script that does its work* (``ops.gate``): a view
with ``one_call = True`` gets a pending gate and no call here. Other views check it now,
with their rate limit, in one call. When Redis does not answer, tokens are verified in
the database.

Logout marks the digest revoked, and a request that verified the token in the database
only caches it when no such mark is there, so a logout that lands between its read and
its write still wins. An account deactivated in admin is refused at most
``CACHE_SECONDS`` later, when the cached digest runs out.

Tokens issued before the user id went in front keep working until they expire, on the
older path: a cache entry per token (one call), then the request's script.
"""

import time
from functools import cache as memoize
from hmac import compare_digest
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from accounts import metrics
from accounts.keys import token_digests_key
from accounts.tokens import PresentedToken, cached_digest, token_parse
from core.errors import ServiceUnavailable
from core.redis_client import UNREACHABLE, get_redis
from ops import ratelimit
from ops.gate import Gate, GateState, gate_pass

# A token revoked some other way than logout (an account deactivated in admin) is
# refused at most this long after the change.
CACHE_SECONDS = 300


_TOKEN_CACHE_SCRIPT = (Path(__file__).with_name("redis_scripts") / "token_cache.lua").read_text()


@memoize
def _token_cache(client):
    return client.register_script(_TOKEN_CACHE_SCRIPT)


def token_cache_key(token_key: str) -> str:
    """The cache entry of a token issued before tokens named their user."""
    return f"authtoken:{token_key}"


def revoke_cached_token(token: AuthToken) -> None:
    """Refuse this token in every process from now on, whatever the cache held.

    Raises ``ServiceUnavailable`` when the cache does not answer: a logout that could not
    mark the token would leave it working for minutes, so the client is told to try again.
    """
    try:
        _token_cache(get_redis())(keys=[token_digests_key(token.user_id)], args=["revoke", cached_digest(token.digest)])
    except UNREACHABLE:
        raise ServiceUnavailable() from None
    # A token issued before tokens named their user is cached by its key instead.
    if not cache.set(token_cache_key(token.token_key), {"revoked": token.digest}, CACHE_SECONDS):
        raise ServiceUnavailable()


class CachedTokenAuthentication(TokenAuthentication):
    def __init__(self, rate_limited_as: str | None = None, *, one_call: bool = False):
        # The endpoint class whose rate limit the token's check may take in the same call,
        # and whether the view's own script will check the token (see the module's docstring).
        self.rate_limited_as = rate_limited_as
        self.one_call = one_call
        self.http_request = None

    def authenticate(self, request):
        # A DRF request knows its view; the events stream and the plain add path (cart.api.plain_add)
        # authenticate a Django request (and say what they are themselves).
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self.rate_limited_as = ratelimit.endpoint_class_of(view) or self.rate_limited_as
        self.one_call = getattr(view, "one_call", False) or self.one_call
        self.http_request = getattr(request, "_request", request)
        return super().authenticate(request)

    def authenticate_credentials(self, token: bytes):
        try:
            raw = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        presented = token_parse(raw)
        if presented is None:
            metrics.API_TOKEN_CHECKS.labels("legacy").inc()
            return self._legacy_credentials(raw)
        metrics.API_TOKEN_CHECKS.labels("user").inc()
        gate = Gate(
            user_id=presented.user_id,
            state=GateState.PENDING,
            tokens_key=token_digests_key(presented.user_id),
            digest=presented.digest,
            verify=lambda _gate: self._verify_in_database(presented),
        )
        if self.http_request is not None:
            self.http_request.gate = gate
        if not self.one_call:
            if self.rate_limited_as is not None and settings.RATE_LIMITS_ENABLED:
                gate.bucket = ratelimit.caller_bucket(self.rate_limited_as, str(presented.user_id))
            try:
                gate_pass(gate)
            except UNREACHABLE:
                self._verify_in_database(presented, cache_it=False)
                gate.state = GateState.KNOWN  # the throttle fails open on its own
        # Only the id is known without asking the database; nothing on the API's request path reads more.
        user = get_user_model()(pk=presented.user_id, is_active=True)
        auth_token = AuthToken(
            digest=presented.knox_digest,
            token_key=presented.secret[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user.pk,
        )
        return user, auth_token

    def _verify_in_database(self, presented: PresentedToken, *, cache_it: bool = True) -> None:
        """The cold path: check the token in the database and cache its digest. Raises
        ``AuthenticationFailed`` for a token that is not good (or was revoked meanwhile)."""
        user, auth_token = super().authenticate_credentials(presented.secret.encode())
        if user.pk != presented.user_id:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not cache_it:
            return
        now_ms = int(time.time() * 1000)
        until_ms = now_ms + CACHE_SECONDS * 1000
        if auth_token.expiry is not None:
            until_ms = min(until_ms, int(auth_token.expiry.timestamp() * 1000))
        if until_ms <= now_ms:
            raise exceptions.AuthenticationFailed("Invalid token.")
        cached = _token_cache(get_redis())(
            keys=[token_digests_key(presented.user_id)], args=["cache", presented.digest, until_ms]
        )
        if not int(cached):
            raise exceptions.AuthenticationFailed("Invalid token.")

    def _legacy_credentials(self, raw: str):
        token_key = raw[: CONSTANTS.TOKEN_KEY_LENGTH]
        digest = hash_token(raw)
        cached = cache.get(token_cache_key(token_key))
        if cached is not None:
            if compare_digest(digest, cached.get("revoked", "")):
                raise exceptions.AuthenticationFailed("Invalid token.")
            expiry = cached.get("expiry")
            if compare_digest(digest, cached.get("digest", "")) and (expiry is None or expiry > timezone.now()):
                user = get_user_model()(pk=cached["user_id"], username=cached["username"], is_active=True)
                return user, AuthToken(digest=digest, token_key=token_key, user_id=user.pk, expiry=expiry)
            # Another token sharing the key, or an expired one: ask the database.
        user, auth_token = super().authenticate_credentials(raw.encode())
        ttl = CACHE_SECONDS
        if auth_token.expiry is not None:
            ttl = min(ttl, int((auth_token.expiry - timezone.now()).total_seconds()))
        if ttl > 0:
            entry = {
                "digest": auth_token.digest,
                "user_id": user.pk,
                "username": user.get_username(),
                "expiry": auth_token.expiry,
            }
            cache.add(token_cache_key(token_key), entry, ttl)
        return user, auth_token
