"""HTTP preconditions and repeatable POSTs for cart requests."""

import re
from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from cart.api.one_call import gate_pass_now
from cart.engine.idempotency import MAX_KEY_LENGTH, request_fingerprint, run_once
from core.errors import InvalidInput

_ETAG = re.compile(r'^\s*(?:W/)?"?([0-9]{1,19})"?\s*$')

IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^\s*(\*|(W/)?"?[0-9]{1,19}"?)\s*$'},
    OpenApiParameter.HEADER,
    description='The cart version the change was made against, as an ETag: "17" (or `*`: any).',
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"\S"},
    OpenApiParameter.HEADER,
    description=f"Any string of 1 to {MAX_KEY_LENGTH} characters, not blank: a repeat gets the first answer.",
)


def expected_version(request) -> int | None:
    """The version in ``If-Match`` (``"17"``, ``17``, ``W/"17"``); None when absent or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    if match is None:
        raise InvalidInput({"If-Match": ['Must be a cart version as an ETag, such as "17".']})
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def not_modified(request, version: int) -> bool:
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    return any(_ETAG.match(part) and int(_ETAG.match(part).group(1)) == version for part in header.split(","))


def respond_once(request, compute: Callable[[], tuple[int, dict | None]]) -> Response:
    """Run ``compute`` -> ``(status, body)`` honouring ``Idempotency-Key`` when sent."""
    client_key = request.headers.get("Idempotency-Key")
    if client_key is None:
        status, body = compute()
        return Response(body, status=status)
    if not client_key.strip() or len(client_key) > MAX_KEY_LENGTH:
        raise InvalidInput({"Idempotency-Key": [f"Must be 1 to {MAX_KEY_LENGTH} characters."]})
    gate_pass_now(request)  # the caller is who the token says before the key is looked up
    stored = run_once(
        user_id=request.user.pk,
        client_key=client_key,
        fingerprint=request_fingerprint(method=request.method, path=request.path, data=request.data),
        compute=compute,
    )
    response = Response(stored.body, status=stored.status)
    if stored.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
