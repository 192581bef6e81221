"""The accounts' metrics (exported at /metrics with the rest of the registry)."""

from prometheus_client import Counter

API_TOKEN_CHECKS = Counter(
    "api_token_checks_total",
    'API requests by token format: "user" (<user_id>.<secret>, checked in the request\'s own '
    'script) or "legacy" (issued before that format: one more Redis call per request).',
    ["format"],
)
