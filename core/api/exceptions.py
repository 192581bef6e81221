"""The one place API errors become JSON bodies (API.md, "Errors")."""

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApiError, SystemBusy, service_unavailable_for

logger = logging.getLogger(__name__)

# DRF's own exceptions, as (code, detail) of the contract.
_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", "Authentication credentials were not provided."),
    exceptions.AuthenticationFailed: ("not_authenticated", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    exceptions.ParseError: ("invalid", None),
    exceptions.Throttled: ("system_busy", SystemBusy.detail),
}


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            name: _fields(value) if isinstance(value, dict) else [str(m) for m in _as_list(value)]
            for name, value in detail.items()
        }
    return {"non_field_errors": [str(m) for m in _as_list(detail)]}


def _as_list(value):
    if isinstance(value, list):
        for item in value:
            yield from _as_list(item) if isinstance(item, list | dict) else [item]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _as_list(item)
    else:
        yield value


def api_exception_handler(exc, context):
    """Render every error under /api/ as ``{"code", "detail", ...}``."""
    exc = service_unavailable_for(exc) or exc
    if isinstance(exc, ApiError):
        response = Response(exc.as_body(), status=exc.status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        if exc.replayed:
            response["Idempotent-Replayed"] = "true"
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            {"code": "invalid", "detail": "The request has invalid fields.", "fields": _fields(exc.detail)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: the middleware turns it into a JSON 500
    code, detail = next((mapped for kind, mapped in _DRF_CODES.items() if isinstance(exc, kind)), ("error", None))
    if isinstance(exc, exceptions.PermissionDenied) and "CSRF" in str(exc.detail):
        code = "csrf_failed"
    response.data = {"code": code, "detail": detail or str(exc.detail)}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response["WWW-Authenticate"] = "Token"
    return response
