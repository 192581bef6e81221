"""Log lines: credentials in URLs scrubbed, repeated 429s and 503s sampled with a count."""

import logging

import pytest
from django.test import Client

from core.logging_filters import SampledRefusalsFilter, ScrubSecretsFilter, scrub_secrets
from ops.ratelimit import Limit, limit_set
from tests.api_client import ApiClient
from tests.conftest import db_all


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            '"GET /api/v1/cart/events?token=9f1c2e7a HTTP/1.1" 200',
            '"GET /api/v1/cart/events?token=[redacted] HTTP/1.1" 200',
        ),
        ("/x?a=1&access_token=abc&b=2", "/x?a=1&access_token=[redacted]&b=2"),
        ("/login?password=hunter2", "/login?password=[redacted]"),
        ("/x?Signature=abc%2F", "/x?Signature=[redacted]"),
        ("/products/?page=2", "/products/?page=2"),
        ("tokens issued: 3", "tokens issued: 3"),
    ],
)
def test_credentials_in_urls_are_scrubbed(line, expected):
    assert scrub_secrets(line) == expected


def test_the_filter_scrubs_formatted_arguments_too():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s"', ("1.2.3.4", "GET", "/e?token=x"), None
    )
    assert ScrubSecretsFilter().filter(record)
    assert record.getMessage() == '1.2.3.4 - "GET /e?token=[redacted]"'


def _refusal(status: int) -> logging.LogRecord:
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Too Many Requests: %s", ("/api/v1/cart",), None
    )
    record.status_code = status
    return record


def test_repeated_refusals_are_sampled_with_a_count():
    clock = iter([0.0, 1.0, 2.0, 3.0, 11.0, 12.0])
    sampler = SampledRefusalsFilter(seconds=10)
    sampler.sampled.clock = lambda: next(clock)

    kept = [sampler.filter(record := _refusal(429)) and record.getMessage() for _ in range(5)]

    assert kept == [
        "Too Many Requests: /api/v1/cart",
        False,
        False,
        False,
        "Too Many Requests: /api/v1/cart (3 more since the last such line)",
    ]
    other = _refusal(400)
    assert sampler.filter(other) and other.getMessage() == "Too Many Requests: /api/v1/cart"


@db_all
def test_a_burst_of_429s_writes_one_warning(caplog):
    limit_set("core_read", Limit(user_rate=0.001, user_burst=1, global_rate=1000.0, global_burst=1000))
    try:
        api = ApiClient()
        with caplog.at_level(logging.WARNING, logger="django.request"):
            statuses = [api.get("/api/v1/cart").status_code for _ in range(30)]
    finally:
        limit_set("core_read", None)
    assert statuses.count(429) == 29
    assert len([r for r in caplog.records if r.name == "django.request" and "Too Many Requests" in r.getMessage()]) <= 1
    assert Client().get("/healthz").status_code == 200
