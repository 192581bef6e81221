"""Every Redis key accounts own (prefixed with ``REDIS_KEY_PREFIX``)."""

import hashlib

from django.conf import settings


def login_failures_key(kind: str, value: str) -> str:
    """The bucket of failed logins for one username (``kind="user"``) or client address
    (``"addr"``). Hashed: usernames and addresses are personal data, and a key has a
    bounded length; the digest is the hash tag, so one bucket is one slot."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{settings.REDIS_KEY_PREFIX}login:{kind}:{{{digest}}}"
