"""Logging filters on the console handler: repeated refusals sampled, secrets scrubbed."""

import logging
import re

from core.log_sampling import Sampled

# Query parameters that carry credentials (an EventSource cannot send headers, so the
# live-update stream takes its token in the URL): never written to a log.
_SECRET_PARAMETER = re.compile(
    r"(?i)\b((?:access_|auth_|api_)?token|key|password|secret|sessionid|signature)=([^&\s\"']+)"
)


def scrub_secrets(text: str) -> str:
    return _SECRET_PARAMETER.sub(r"\1=[redacted]", text)


class ScrubSecretsFilter(logging.Filter):
    """Replace credential-like query parameters in every line (access logs included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_secrets(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


class SampledRefusalsFilter(logging.Filter):
    """Django logs every 4xx/5xx response (``django.request``). A 429 is the rate limiter
    doing its job and a 503 during an outage repeats for every request: write one line
    of each per ``seconds`` with how many were left out; ``/metrics`` counts them all."""

    STATUSES = frozenset({429, 503})

    def __init__(self, seconds: float = 10.0):
        super().__init__()
        self.sampled = Sampled(seconds)

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status not in self.STATUSES:
            return True
        skipped = self.sampled.should_log(str(status))
        if skipped is None:
            return False
        if skipped:
            record.msg, record.args = f"{record.getMessage()} ({skipped} more since the last such line)", None
        return True
