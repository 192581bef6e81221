"""Every Redis key accounts own (prefixed with ``REDIS_KEY_PREFIX``)."""

import hashlib

from django.conf import settings


def login_failures_key(kind: str, value: str) -> str:
    """The bucket of failed logins for one username (``kind="user"``) or client address
    (``"addr"``). Hashed: usernames and addresses are personal data, and a key has a
    bounded length; the digest is the hash tag, so one bucket is one slot."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{settings.REDIS_KEY_PREFIX}login:{kind}:{{{digest}}}"


def token_digests_key(user_id: int) -> str:
    """The user's live API tokens: digest → expiry in ms (or ``r<ms>``, revoked then).
    Under the user's hash tag, beside the cart and the user's rate-limit buckets, so one
    script checks the token and changes the cart."""
    return f"{settings.REDIS_KEY_PREFIX}auth:{{{user_id}}}"
