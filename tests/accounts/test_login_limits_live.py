"""Login limits as a client meets them: gunicorn under production settings, where no
header a client sends changes which address its failures count against."""

import httpx

from tests.factories import UserFactory

LOGIN = "/api/v1/auth/token"


def test_rotating_x_forwarded_for_does_not_escape_the_limits(production_server, django_db_blocker):
    with django_db_blocker.unblock():
        owner = UserFactory(username="target-of-guessing")
    statuses = []
    with httpx.Client(base_url=production_server, timeout=10) as client:
        for n in range(12):
            response = client.post(
                LOGIN,
                json={"username": owner.username, "password": f"guess-{n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            statuses.append(response.status_code)
        last = client.post(LOGIN, json={"username": owner.username, "password": "correct-horse-battery"})
    # Ten failures (the default burst), then refused: the header changed nothing.
    assert statuses == [400] * 10 + [429] * 2
    assert last.status_code == 429 and last.json()["code"] == "too_many_attempts"
    assert 1 <= int(last.headers["Retry-After"]) <= 60
