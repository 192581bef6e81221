"""Token authentication for mobile clients without a SQL query per request.

Tokens are knox tokens: per device, expiring, stored hashed. A verified token is cached
in Redis (digest, user id, expiry) for a few minutes, so an authenticated API request
costs one cache lookup. Logout replaces the entry with a revocation marker, and a
request that verified the token in the database only ever *adds* its entry, so a
logout that lands between its read and its write still wins.
"""

from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

# A token revoked some other way than logout (an account deactivated in admin) is
# refused at most this long after the change.
CACHE_SECONDS = 300


def token_cache_key(token_key: str) -> str:
    return f"authtoken:{token_key}"


def revoke_cached_token(token: AuthToken) -> None:
    """Refuse this token in every process from now on, whatever the cache held."""
    cache.set(token_cache_key(token.token_key), {"revoked": token.digest}, CACHE_SECONDS)


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        try:
            raw = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
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
            # Another token sharing the 8-character key, or an expired one: ask the database.
        user, auth_token = super().authenticate_credentials(token)
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
