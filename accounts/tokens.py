"""API tokens that name their user: ``<user_id>.<secret>``.

The secret is a knox token (per device, expiring, stored hashed in the database). The
user id in front lets a request find the user's cached token digests under the user's
hash tag (``accounts.keys.token_digests_key``) without asking anything first, so the
token is checked inside the cart's own script (``ops.gate``). Only a digest is cached:
the start of knox's own digest of the secret (SHA-512), so any ``AuthToken`` row names
its cache field and can be revoked there; the id alone grants nothing.

Tokens issued before this format (a bare knox token) keep working until they expire,
on the older path: their cache entry, then the request's script (two calls; counted in
``api_token_checks_total{format="legacy"}``).
"""

from dataclasses import dataclass

from knox.crypto import hash_token

from core.ids import MAX_ID

SEPARATOR = "."


@dataclass(frozen=True, slots=True)
class PresentedToken:
    user_id: int
    secret: str
    knox_digest: str  # what the database keeps (hashed once per request, here)

    @property
    def digest(self) -> str:
        return cached_digest(self.knox_digest)


def cached_digest(knox_digest: str) -> str:
    """The cache field of a token whose knox digest this is. 128 bits are plenty against
    collisions among one user's devices, and keep the field short."""
    return knox_digest[:32]


def token_format(user_id: int, secret: str) -> str:
    return f"{user_id}{SEPARATOR}{secret}"


def token_parse(raw: str) -> PresentedToken | None:
    """The token's user and secret; None for a token without a user (an older one) or a malformed one."""
    user_part, separator, secret = raw.partition(SEPARATOR)
    canonical = user_part.isascii() and user_part.isdigit() and not user_part.startswith("0")
    if not (separator and secret and canonical and len(user_part) <= 19):
        return None
    user_id = int(user_part)
    return PresentedToken(user_id, secret, hash_token(secret)) if user_id <= MAX_ID else None
