"""API fuzzing: Schemathesis generates requests from the project's own OpenAPI document
(``/api/schema/``) for every operation and sends them to a live server (gunicorn on the
test databases and this run's Redis), with every check Schemathesis has: no 5xx, every
status code, header, content type and body as documented, invalid requests refused,
valid ones accepted, auth never ignored. ``schemathesis.toml`` lists, with reasons, the
few statuses a valid request may still get from the state it meets."""

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from accounts.services import token_create
from tests.conftest import flush_test_databases
from tests.processes import start_web_server

pytestmark = pytest.mark.fuzz

# Bounded so the whole run stays within a minute or two; raise it locally to search harder.
MAX_EXAMPLES = int(os.environ.get("CART_FUZZ_EXAMPLES", "50"))
load_all_checks()
# Every check Schemathesis has: no 5xx, every status, header, content type and body as
# documented, invalid input refused, valid input accepted, auth not ignored.
ALL_CHECKS = CHECKS.get_all()
# The live-update stream never ends by design; it has tests of its own (tests/cart/test_sync.py).
STREAMING = "/api/v1/cart/events"


@pytest.fixture(scope="module")
def gunicorn_server(test_databases, django_db_blocker, tmp_path_factory):
    """gunicorn serving the project on the test databases; yields (base URL, a shopper)."""
    server, base = start_web_server(
        tmp_path_factory.mktemp("fuzz"), RATE_LIMITS_ENABLED="0", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
    )
    try:
        with django_db_blocker.unblock():
            from tests.factories import SkuFactory, UserFactory

            user = UserFactory(username="fuzzer")
            for _ in range(3):
                SkuFactory()  # something in the catalog for the product endpoints
        yield base, user
    finally:
        server.stop()
        flush_test_databases(django_db_blocker)


def _operations() -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document, as (method, path), for one test each."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and path != STREAMING
    ]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def live_schema(gunicorn_server):
    """The OpenAPI document as the live server serves it."""
    base, _ = gunicorn_server
    config = SchemathesisConfig.from_path(Path(__file__).resolve().parent.parent / "schemathesis.toml")
    return schemathesis.openapi.from_url(f"{base}/api/schema/", config=config, wait_for_schema=30)


def test_every_operation_is_fuzzed(live_schema):
    served = {(op.method.upper(), op.path) for op in (result.ok() for result in live_schema.get_all_operations())}
    assert served - {(m, p) for m, p in served if p == STREAMING} == set(OPERATIONS)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_5xx_or_off_schema(method, path, mode, live_schema, gunicorn_server, django_db_blocker):
    """Positive mode sends valid requests, negative mode invalid ones (which must be 4xx, never 5xx)."""

    _, user = gunicorn_server
    operation = live_schema[path][method]
    calls = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case):
        # A token per request: the fuzzer calls logout too, which must not lock the rest out.
        # Committed at once (no test transaction): the server is another process.
        with django_db_blocker.unblock():
            token = token_create(user).token
        calls.append(case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=ALL_CHECKS, timeout=20))

    try:
        fuzz()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE and not calls:
            pytest.skip("nothing in this operation's request can be made invalid")
        raise
    assert calls, "nothing was sent"
