"""An API client logged in with a real token, as a mobile app would be."""

import json

from rest_framework.test import APIClient

from accounts.services import token_create
from tests.factories import UserFactory


class ApiClient(APIClient):
    """APIClient that sends JSON bodies and keeps the user it acts for."""

    def __init__(self, user=None, token: str | None = None, **kwargs):
        """Log in as ``user`` (a new one by default) with a new token, or with ``token``."""
        super().__init__(**kwargs)
        self.user = user or UserFactory()
        if token is None:
            token = token_create(self.user).token
        self.token = token
        self.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def send(self, method: str, path: str, body=None, raw: bytes | str | None = None, **headers):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return getattr(super(), method.lower())(path, data=data, content_type="application/json", **headers)
