"""The CSP middleware that builds each policy once answers exactly what django-csp's does."""

from unittest import mock

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory, override_settings

from core import csp_headers
from core.csp_headers import CSPMiddleware

REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-reports"}}
WITH_NONCE = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}


def _plain():
    return JsonResponse({"ok": True})


def _updated():
    response = HttpResponse("<p>docs</p>")
    response._csp_update = {"style-src": ["'unsafe-inline'"]}  # what @csp_update leaves
    return response


def _replaced_report_only():
    response = HttpResponse("<p>page</p>")
    response._csp_replace_ro = {"default-src": ["'none'"]}
    return response


def _exempt():
    response = HttpResponse("<p>exempt</p>")
    response._csp_exempt = True
    return response


def _has_header():
    response = HttpResponse("<p>own policy</p>")
    response[HEADER] = "default-src 'none'"
    return response


def _not_found():
    return HttpResponse("missing", status=404)


RESPONSES = [_plain, _updated, _replaced_report_only, _exempt, _has_header, _not_found]


def _answer(middleware_class, make_response, *, path="/api/v1/cart", take_nonce=False):
    request = RequestFactory().get(path)
    middleware = middleware_class(lambda request: make_response())
    middleware.process_request(request)
    nonce = str(request.csp_nonce) if take_nonce else None
    response = middleware.process_response(request, make_response())
    return {h: response.get(h) for h in (HEADER, HEADER_REPORT_ONLY)}, nonce, request


def _same(make_response, **kwargs):
    ours, our_nonce, _ = _answer(CSPMiddleware, make_response, **kwargs)
    theirs, their_nonce, _ = _answer(LibraryCSPMiddleware, make_response, **kwargs)
    if our_nonce is not None:  # each request draws its own nonce: compare around it
        ours = {h: v and v.replace(our_nonce, "N") for h, v in ours.items()}
        theirs = {h: v and v.replace(their_nonce, "N") for h, v in theirs.items()}
    assert ours == theirs
    return ours


@pytest.mark.parametrize("make_response", RESPONSES)
def test_every_kind_of_response_gets_the_headers_django_csp_gives_it(make_response):
    _same(make_response)


@pytest.mark.parametrize("make_response", RESPONSES)
@override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=REPORT_ONLY)
def test_with_a_report_only_policy_too(make_response):
    _same(make_response)


@override_settings(CONTENT_SECURITY_POLICY=WITH_NONCE)
def test_a_request_that_took_a_nonce_gets_it_in_its_header():
    headers = _same(_plain, take_nonce=True)
    assert "'nonce-N'" in headers[HEADER]


def test_an_excluded_prefix_gets_no_header():
    policy = {"EXCLUDE_URL_PREFIXES": ["/api/docs"], "DIRECTIVES": {"default-src": ["'self'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert _same(_plain, path="/api/docs/")[HEADER] is None
        assert _same(_plain, path="/cart/")[HEADER] == "default-src 'self'"


@override_settings(DEBUG=True)
def test_debug_error_pages_are_left_alone_as_django_csp_does():
    assert _same(_not_found) == {HEADER: None, HEADER_REPORT_ONLY: None}


def test_a_nonce_asked_for_after_the_response_is_refused():
    _, _, request = _answer(CSPMiddleware, _plain)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_the_policy_is_built_once_and_again_only_when_the_settings_change():
    middleware = CSPMiddleware(lambda request: _plain())
    with mock.patch.object(csp_headers, "build_policy", wraps=csp_headers.build_policy) as build:
        for _ in range(20):
            request = RequestFactory().get("/api/v1/cart")
            middleware.process_request(request)
            response = middleware.process_response(request, _plain())
        assert build.call_count == 2  # the policy and the (empty) report-only policy
        with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
            request = RequestFactory().get("/api/v1/cart")
            response = middleware.process_response(request, _plain())
        assert build.call_count == 3
    assert response[HEADER] == "default-src 'none'"
