"""Token authentication for mobile clients without a SQL query per request.

Tokens are knox tokens: per device, expiring, stored hashed. A verified token is cached
in Redis (digest, user id, expiry) for a few minutes, so an authenticated API request
costs one cache lookup; logout deletes the cache entry with the token.
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

# A revoked or deactivated account is refused at most this long after the change when
# the change bypasses logout (staff deactivating a user in admin).
CACHE_SECONDS = 300


def token_cache_key(token_key: str) -> str:
    return f"authtoken:{token_key}"


def forget_token(token_key: str) -> None:
    cache.delete(token_cache_key(token_key))


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        raw = token.decode("utf-8", errors="replace")
        token_key = raw[: CONSTANTS.TOKEN_KEY_LENGTH]
        cached = cache.get(token_cache_key(token_key))
        if cached is not None:
            digest = hash_token(raw)
            expiry = cached["expiry"]
            if compare_digest(digest, cached["digest"]) and (expiry is None or expiry > timezone.now()):
                user = get_user_model()(pk=cached["user_id"], username=cached["username"], is_active=True)
                auth_token = AuthToken(digest=digest, token_key=token_key, user_id=user.pk, expiry=expiry)
                return user, auth_token
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, auth_token = super().authenticate_credentials(token)
        ttl = CACHE_SECONDS
        if auth_token.expiry is not None:
            ttl = min(ttl, int((auth_token.expiry - timezone.now()).total_seconds()))
        if ttl > 0:
            cache.set(
                token_cache_key(token_key),
                {
                    "digest": auth_token.digest,
                    "user_id": user.pk,
                    "username": user.get_username(),
                    "expiry": auth_token.expiry,
                },
                ttl,
            )
        return user, auth_token
