"""Fixtures of the page tests: a shopper, and Django's test client logged in as them."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client
