"""Domain errors with a stable code, an HTTP status and a human detail (API.md, "Errors").

Services raise these; one DRF exception handler renders them. Views never build error
JSON by hand.
"""

import logging

from core.log_sampling import Sampled


class ApiError(Exception):
    status = 400
    code = "invalid"
    detail = "The request could not be processed."
    # Set on answers that applied nothing and that a retry may change (a failed
    # precondition, a wait that ran out): a repeat must run again, not replay them.
    retry_may_differ = False
    # Seconds a client should wait before trying again: sent as Retry-After when set.
    retry_after: int | None = None
    # Set on an answer recorded under an Idempotency-Key and given again to a retry.
    replayed = False

    def __init__(self, detail: str | None = None, **extra):
        self.detail = detail or self.detail
        self.extra = extra
        super().__init__(self.detail)

    @property
    def replayable(self) -> bool:
        """Whether a repeat of the same request (same Idempotency-Key, same checkout form)
        gets this answer again: a client error that settled the request, not a server
        failure or an answer a retry may change."""
        return self.status < 500 and not self.retry_may_differ

    def as_body(self) -> dict:
        return {"code": self.code, "detail": self.detail, **self.extra}


def error_class(code: str) -> type[ApiError] | None:
    """The error class of ``code`` that needs no arguments beyond its detail, if any."""
    pending = list(ApiError.__subclasses__())
    while pending:
        kind = pending.pop()
        pending += kind.__subclasses__()
        if kind.code == code and kind.__init__ is ApiError.__init__:
            return kind
    return None


class RecordedError(ApiError):
    """An error answered before, given again as it was recorded (status and body)."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.code = body.get("code", ApiError.code)
        extra = {name: value for name, value in body.items() if name not in ("code", "detail")}
        super().__init__(body.get("detail"), **extra)


class InvalidInput(ApiError):
    """400 with a ``fields`` object naming each bad field."""

    detail = "The request has invalid fields."

    def __init__(self, fields: dict[str, list[str]], detail: str | None = None):
        super().__init__(detail, fields=fields)


class CartFull(ApiError):
    status = 409
    code = "cart_full"
    detail = "A cart holds at most 120 different items."


class SavedFull(ApiError):
    status = 409
    code = "saved_full"
    detail = "Saved for later holds at most 500 items. Delete some to save more."


class LineNotFound(ApiError):
    status = 404
    code = "line_not_found"
    detail = "That line is not in your cart."


class NotFound(ApiError):
    status = 404
    code = "not_found"
    detail = "Not found."


class VersionMismatch(ApiError):
    status = 412
    code = "version_mismatch"
    detail = "The cart changed since you last saw it; reload it and try again."
    retry_may_differ = True  # the client reloads and retries with a fresh If-Match

    def __init__(self, current_version: int):
        super().__init__(current_version=current_version)


class CheckoutRefused(ApiError):
    """Checkout found lines it cannot sell as shown; ``ids`` lists them."""

    status = 409

    def __init__(self, ids: list[str], detail: str | None = None, **extra):
        super().__init__(detail, ids=ids, **extra)


class SoldOut(CheckoutRefused):
    code = "sold_out"
    detail = "Some items are no longer in stock in the quantity you asked for."


class Unavailable(CheckoutRefused):
    code = "unavailable"
    detail = "Some items are no longer sold."


class NothingToBuy(Unavailable):
    """A checkout whose selection holds nothing that can be bought; ``ids`` names the
    selected lines that cannot (none when nothing is selected)."""

    detail = "Nothing selected can be bought: every selected item is unavailable or out of stock."


class PriceChanged(CheckoutRefused):
    code = "price_changed"
    detail = "Prices changed since you saw the total; review your cart before paying."


class NotForSale(ApiError):
    """A product page's add of a SKU that is not sold (or not of that item)."""

    status = 409
    code = "unavailable"
    detail = "This item is no longer available, so it was not added to your cart."


class OutOfStock(ApiError):
    """A product page's add of a SKU that is sold out."""

    status = 409
    code = "sold_out"
    detail = "This item is out of stock, so it was not added to your cart."


class TooLarge(ApiError):
    status = 413
    code = "too_large"
    detail = "The request body is larger than 64 KiB."


class IdempotencyKeyReused(ApiError):
    status = 422
    code = "idempotency_key_reused"
    detail = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInFlight(ApiError):
    status = 409
    code = "request_in_progress"
    detail = "A request with this Idempotency-Key is still being processed; retry shortly."


class CheckoutInProgress(ApiError):
    status = 409
    code = "checkout_in_progress"
    detail = "Another checkout of this cart is still running; look at your orders before trying again."
    retry_may_differ = True  # once the other checkout is done


class SystemBusy(ApiError):
    status = 429
    code = "system_busy"
    detail = "System busy, please try again later."

    def __init__(self, retry_after: int = 1):
        self.retry_after = retry_after
        super().__init__()


class TooManyAttempts(ApiError):
    """Too many failed logins for one username or from one client address."""

    status = 429
    code = "too_many_attempts"
    retry_may_differ = True

    def __init__(self, retry_after: int):
        self.retry_after = max(1, retry_after)
        seconds = f"{self.retry_after} second{'s' if self.retry_after != 1 else ''}"
        super().__init__(f"Too many failed login attempts; try again in {seconds}.")


class Unavailable503(ApiError):
    """The 503s: every one tells the client when to try again (API.md, "Errors")."""

    status = 503

    def __init__(self, detail: str | None = None, **extra):
        from django.conf import settings

        self.retry_after = settings.SERVICE_RETRY_AFTER_SECONDS
        super().__init__(detail, **extra)


class Degraded(Unavailable503):
    code = "degraded"
    detail = "This feature is switched off for a while to keep the store fast; please try again later."


class CartUnavailable(Unavailable503):
    code = "cart_unavailable"
    detail = "Your cart cannot be loaded right now; please try again in a moment."


class ServiceUnavailable(Unavailable503):
    """A service the request needs (cache, database, broker) did not answer in time."""

    code = "service_unavailable"
    detail = "The store cannot answer this right now; please try again in a moment."


def service_unavailable_for(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 for an exception that means a backing service did not answer (Redis gone,
    hung or full, a database or the broker unreachable); None for any other exception,
    which stays a 500. Counted per service in ``/metrics``."""
    import redis
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError

    from core import metrics

    if isinstance(exc, redis.ConnectionError | redis.TimeoutError) or _redis_full(exc):
        service = "redis"
    elif isinstance(exc, OperationalError | InterfaceError):
        service = "database"
    elif isinstance(exc, BrokerError):
        service = "broker"
    else:
        return None
    metrics.SERVICE_UNAVAILABLE.labels(service).inc()
    if (skipped := _outage_log.should_log(service)) is not None:
        logging.getLogger(__name__).warning(
            "%s unavailable (503; %d more since the last line): %s: %s", service, skipped, type(exc).__name__, exc
        )
    return ServiceUnavailable()


def _redis_full(exc: BaseException) -> bool:
    """Redis at its maxmemory under noeviction, refusing a write. It refuses a script at
    its first write, so nothing was half done, and a retry succeeds once the consumer and
    expiring carts have freed memory."""
    import redis

    # Redis 7 answers OOM; 6.2 (the embedded server) wraps a script's refused write in a
    # script error that quotes it.
    return isinstance(exc, redis.OutOfMemoryError) or (
        isinstance(exc, redis.ResponseError) and "-OOM command not allowed" in str(exc)
    )


_outage_log = Sampled(seconds=1.0)
