"""Accounts: sign-up and per-device API tokens."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from knox.models import AuthToken

from accounts.authentication import revoke_cached_token
from accounts.login_limits import login_failed, login_wait
from accounts.tokens import token_format
from core.errors import InvalidInput, TooManyAttempts


@dataclass(frozen=True, slots=True)
class IssuedToken:
    user_id: int
    token: str
    expires_at: datetime | None


def token_create(user) -> IssuedToken:
    """A new token for one device: ``<user_id>.<secret>`` (see ``accounts.tokens``)."""
    instance, secret = AuthToken.objects.create(user=user)
    return IssuedToken(user_id=user.pk, token=token_format(user.pk, secret), expires_at=instance.expiry)


def user_register(*, username: str, password: str) -> IssuedToken:
    """Create a shopper account and its first token. Raises InvalidInput naming the field."""
    users = get_user_model()
    candidate = users(username=username)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from None
    if users.objects.filter(username__iexact=username).exists():
        raise InvalidInput({"username": ["That username is taken."]})
    try:
        with transaction.atomic():
            user = users.objects.create_user(username=username, password=password)
    except IntegrityError:
        raise InvalidInput({"username": ["That username is taken."]}) from None
    return token_create(user)


def user_authenticate(*, request, username: str, password: str):
    """Check a password under the login limits (``accounts.login_limits``); every login
    path calls this. Returns the user, or None for a wrong username or password.

    Raises ``TooManyAttempts`` without checking the password when this username or this
    client address has failed too often lately.
    """
    wait = login_wait(request, username)
    if wait:
        raise TooManyAttempts(retry_after=wait)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failed(request, username)
    return user


def token_issue(*, request, username: str, password: str) -> IssuedToken:
    """Log in with a password and return a new token for this device. Raises
    ``InvalidInput`` for wrong credentials, ``TooManyAttempts`` (see ``user_authenticate``)."""
    user = user_authenticate(request=request, username=username, password=password)
    if user is None:
        raise InvalidInput({"non_field_errors": ["Wrong username or password."]})
    return token_create(user)


def token_revoke(*, token: AuthToken) -> None:
    """Make a token stop working at once, here and in every process."""
    revoke_cached_token(token)
    AuthToken.objects.filter(token_key=token.token_key, digest=token.digest).delete()
