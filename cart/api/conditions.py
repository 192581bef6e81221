"""HTTP preconditions and repeatable POSTs for cart requests."""

import re
from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from cart.api.one_call import gate_pass_now
from cart.api.replays import replayed_body
from cart.engine.idempotency import MAX_KEY_LENGTH, KeyedRequest, request_fingerprint, run_once
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


def keyed_request(request, data=None) -> KeyedRequest | None:
    """The request's ``Idempotency-Key`` with its fingerprint, for a script that checks
    and records it itself (the add); None without one. ``data``: the parsed body, when
    the request has not parsed it through DRF."""
    client_key = request.headers.get("Idempotency-Key")
    if client_key is None:
        return None
    _check_key(client_key)
    body = request.data if data is None else data
    return KeyedRequest.of(
        client_key=client_key, fingerprint=request_fingerprint(method=request.method, path=request.path, data=body)
    )


def _check_key(client_key: str) -> None:
    if not client_key.strip() or len(client_key) > MAX_KEY_LENGTH:
        raise InvalidInput({"Idempotency-Key": [f"Must be 1 to {MAX_KEY_LENGTH} characters."]})


def respond_once(request, compute: Callable[[], tuple]) -> Response:
    """Run ``compute`` -> ``(status, body)`` or ``(status, body, payload)`` honouring
    ``Idempotency-Key`` when sent (``payload``: what to record instead of the body,
    ``cart.api.replays``)."""
    client_key = request.headers.get("Idempotency-Key")
    if client_key is None:
        status, body, *_ = compute()
        return Response(body, status=status)
    _check_key(client_key)
    gate_pass_now(request)  # the caller is who the token says before the key is looked up
    outcome = run_once(
        user_id=request.user.pk,
        client_key=client_key,
        fingerprint=request_fingerprint(method=request.method, path=request.path, data=request.data),
        compute=compute,
    )
    if not outcome.replayed:
        return Response(outcome.body, status=outcome.status)
    response = Response(replayed_body(outcome.stored, user_id=request.user.pk), status=outcome.status)
    response["Idempotent-Replayed"] = "true"
    return response
