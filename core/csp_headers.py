"""The Content-Security-Policy headers, built once per policy instead of once per response.

django-csp builds both headers anew for every response: it lays the configured
directives over its table of every known directive, copies each value and joins them,
for the policy and again for the report-only policy. In-process under production
settings that was about a sixth of the instructions of a whole add request (callgrind,
``docs/peak-day.md``). A response whose policy nothing changes (no ``csp``,
``csp_update`` or ``csp_replace`` decorator, no nonce taken) gets the same two strings
every time, so they are built once, by django-csp's own ``build_policy``, and kept per
settings object (a test that overrides the settings gets its own). Every other response
goes to django-csp unchanged; tests/core/test_csp.py compares the two on both kinds.
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# What a decorator or the view leaves on a response to change its policy.
_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
# (header, the setting it is built from, the attribute that exempts a response from it)
_HEADERS = (
    (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
)


class CSPMiddleware(LibraryCSPMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        # setting name -> (the settings value it was built from, policy, excluded prefixes)
        self._built: dict[str, tuple[object, str, tuple[str, ...]]] = {}

    def _configured(self, setting: str, report_only: bool) -> tuple[str, tuple[str, ...]]:
        config = getattr(settings, setting, None)
        built = self._built.get(setting)
        if built is None or built[0] is not config:
            prefixes = tuple((config or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
            built = (config, build_policy(report_only=report_only), prefixes)
            self._built[setting] = built
        return built[1], built[2]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _PER_RESPONSE):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        for header, setting, exempt, report_only in _HEADERS:
            policy, excluded = self._configured(setting, report_only)
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
