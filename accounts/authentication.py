"""Token authentication for mobile clients without a SQL query per request.

Tokens are knox tokens: per device, expiring, stored hashed. A verified token is cached
in Redis (digest, user id, expiry) for a few minutes, so an authenticated API request
costs one cache lookup; when Redis does not answer, tokens are verified in the database
(the cache's errors are misses: ``DJANGO_REDIS_IGNORE_EXCEPTIONS``). Logout replaces the
entry with a revocation marker, and a request that verified the token in the database
only ever *adds* its entry, so a logout that lands between its read and its write still
wins.
"""

from hmac import compare_digest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from core.errors import ServiceUnavailable
from core.redis_client import UNREACHABLE
from ops import ratelimit

# A token revoked some other way than logout (an account deactivated in admin) is
# refused at most this long after the change.
CACHE_SECONDS = 300


def token_cache_key(token_key: str) -> str:
    return f"authtoken:{token_key}"


def revoke_cached_token(token: AuthToken) -> None:
    """Refuse this token in every process from now on, whatever the cache held.

    Raises ``ServiceUnavailable`` when the cache does not answer: a logout that could not
    replace a cached entry would leave the token working for minutes, so the client is
    told to try again instead.
    """
    if not cache.set(token_cache_key(token.token_key), {"revoked": token.digest}, CACHE_SECONDS):
        raise ServiceUnavailable()


class _TokenUsers:
    """Which user each recently verified token belongs to, so the rate-limit decision can
    ride in the token lookup's round trip. Keyed by the digest of the whole token, not by
    its public 8-character key: a caller who knows only a key cannot spend someone
    else's tokens. Not a credential: the token is still verified on every request."""

    LIMIT = 100_000

    def __init__(self):
        self.users: dict[str, int] = {}

    def get(self, digest: str) -> int | None:
        return self.users.get(digest)

    def put(self, digest: str, user_id: int) -> None:
        if len(self.users) >= self.LIMIT:
            self.users.clear()
        self.users[digest] = user_id


_token_users = _TokenUsers()


def _one_server() -> bool:
    return not settings.REDIS_CLUSTER and settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL


class CachedTokenAuthentication(TokenAuthentication):
    def __init__(self, rate_limited_as: str | None = None):
        # The endpoint class whose rate-limit decision may ride along (see ``_cached``).
        self.rate_limited_as = rate_limited_as
        self.http_request = None

    def authenticate(self, request):
        # A DRF request knows its view; the events stream and the plain add path (cart.api.plain_add)
        # authenticate a Django request (and say their endpoint class themselves).
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self.rate_limited_as = ratelimit.endpoint_class_of(view) or self.rate_limited_as
        self.http_request = getattr(request, "_request", request)
        return super().authenticate(request)

    def _cached(self, token_key: str, digest: str):
        """The token's cache entry. On one Redis server, for a token seen before and a
        rate-limited view, the caller's rate-limit decision is taken in the same script
        call, which reads the entry, and left on the request for the throttle
        (``ops.ratelimit``)."""
        user_id = _token_users.get(digest)
        request, endpoint_class = self.http_request, self.rate_limited_as
        if (
            user_id is None
            or endpoint_class is None
            or request is None
            or not settings.RATE_LIMITS_ENABLED
            or not _one_server()
        ):
            return cache.get(token_cache_key(token_key))
        identity = f"u{user_id}"
        try:
            wait_ms, raw = ratelimit.take_reading(endpoint_class, identity, cache.make_key(token_cache_key(token_key)))
        except UNREACHABLE:
            return None  # the database verifies the token; the throttle decides (open) on its own
        request.rate_limit_taken = (endpoint_class, identity, wait_ms)
        return None if raw is None else cache.client.decode(raw)

    def authenticate_credentials(self, token: bytes):
        try:
            raw = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token_key = raw[: CONSTANTS.TOKEN_KEY_LENGTH]
        digest = hash_token(raw)
        cached = self._cached(token_key, digest)
        if cached is not None:
            if compare_digest(digest, cached.get("revoked", "")):
                raise exceptions.AuthenticationFailed("Invalid token.")
            expiry = cached.get("expiry")
            if compare_digest(digest, cached.get("digest", "")) and (expiry is None or expiry > timezone.now()):
                user = get_user_model()(pk=cached["user_id"], username=cached["username"], is_active=True)
                _token_users.put(digest, user.pk)
                return user, AuthToken(digest=digest, token_key=token_key, user_id=user.pk, expiry=expiry)
            # Another token sharing the 8-character key, or an expired one: ask the database.
        user, auth_token = super().authenticate_credentials(token)
        _token_users.put(digest, user.pk)
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
