"""The OpenAPI document's errors: every operation lists the errors API.md says it can answer.

Most errors follow from what an operation is, so they are added here rather than repeated
on every view: a body can be malformed or too large, a token can be wrong, a throttled
view can refuse, a precondition header can fail, and any request can find a service down.
What only the operation knows (which 404 or 409 it answers, and why) the view declares
with ``extend_schema(responses={..., **errors(...)})``. A declared code keeps its own
description, and a 409 that ``Idempotency-Key`` also brings has that reason appended.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from core.api.fields import StrictSerializer

ErrorOut = inline_serializer(
    "Error",
    {
        "code": serializers.CharField(help_text="Stable and machine-readable, e.g. `cart_full`."),
        "detail": serializers.CharField(help_text="For humans."),
        "fields": serializers.DictField(required=False, help_text="400 `invalid`: each bad field and why."),
        "ids": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="409 at checkout: the lines refused."
        ),
        "current_version": serializers.IntegerField(required=False, help_text="412: the cart's version now."),
    },
)

RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
        "description": "Seconds to wait before trying again.",
    }
}

# The header parameters that bring errors of their own.
IF_MATCH_HEADER = "If-Match"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


def errors(**by_status: str) -> dict[int, OpenApiResponse]:
    """``errors(_404="...", _409="...")`` → responses for ``extend_schema``, each with the
    error body and its description (the codes it can carry and when)."""
    return {int(status.lstrip("_")): OpenApiResponse(ErrorOut, description=text) for status, text in by_status.items()}


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the errors implied by each operation's shape, and
    request bodies described as strictly as they are checked."""

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, StrictSerializer) or (
            isinstance(serializer, type) and issubclass(serializer, StrictSerializer)
        ):
            schema["additionalProperties"] = False  # unknown fields are refused, by name
            if not getattr(serializer, "__doc__", None):
                schema.pop("description", None)  # the base class's docstring is about code, not this body
        constraints = getattr(serializer, "openapi_constraints", None) or {}
        for name, extra in constraints.get("properties", {}).items():
            schema["properties"][name].update(extra)
        schema.update({key: value for key, value in constraints.items() if key != "properties"})
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status, text in self._implied_errors().items():
            code = str(status)
            if code not in responses:
                responses[code] = self._get_response_for_code(OpenApiResponse(ErrorOut, description=text), code)
            elif status == 409:
                responses[code]["description"] = f"{responses[code]['description']} Or {text}"
            if status in (429, 503):
                responses[code].setdefault("headers", {}).update(RETRY_AFTER)
        return responses

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is None:
            return None
        # A body that must hold something (``minProperties``) must be sent at all.
        constraints = getattr(self.get_request_serializer(), "openapi_constraints", None) or {}
        if constraints.get("minProperties"):
            body["required"] = True
        return body

    def _implied_errors(self) -> dict[int, str]:
        view = self.view
        has_body = self.method in ("POST", "PUT", "PATCH") and self._get_request_body() is not None
        parameters = self._get_parameters()
        headers = {p["name"] for p in parameters if p.get("in") == "header"}
        implied: dict[int, str] = {}
        if has_body or parameters:
            implied[400] = (
                "`invalid`: malformed JSON, wrong types, out-of-range values or missing fields (`fields` names each)."
            )
        if getattr(view, "authentication_classes", None):
            # A wrong token is refused even where no login is needed.
            implied[401] = "`not_authenticated`: no credentials where they are needed, or bad ones."
        if IDEMPOTENCY_KEY_HEADER in headers:
            implied[409] = "`request_in_progress`: the same `Idempotency-Key` is still being answered."
            implied[422] = "`idempotency_key_reused`: the `Idempotency-Key` came before with another body."
        if IF_MATCH_HEADER in headers:
            implied[412] = "`version_mismatch`: `If-Match` is not the cart's version (`current_version` says which is)."
        if has_body:
            implied[413] = "`too_large`: the body is over 64 KiB."
        if getattr(view, "throttle_classes", None):
            implied[429] = "`system_busy`: rate limited; try again after `Retry-After` seconds."
        implied[503] = (
            "`service_unavailable`, `cart_unavailable` or `degraded`: a service the request needs does not "
            "answer, or the feature is switched off for load shedding; try again after `Retry-After` seconds."
        )
        return implied
