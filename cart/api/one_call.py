"""Cart endpoints whose own script checks the caller (``ops.gate``).

Their token is not checked when the request is authenticated: it is checked, with the
caller's rate limit, by the script that reads or changes the cart, in the same Redis
call. Whatever else happens (bad input refused before any script ran, an
``Idempotency-Key`` to look up first), the gate passes before anything else touches
the caller's data or any answer leaves: a wrong token is 401 on every path.
"""

from rest_framework.exceptions import APIException
from rest_framework.views import APIView

from cart.engine.store import CartStore
from core.errors import ServiceUnavailable
from ops.gate import Gate, gate_pass


def request_gate(request) -> Gate | None:
    return getattr(getattr(request, "_request", request), "gate", None)


def request_store(request) -> CartStore:
    """A store whose first script passes this request's gate."""
    return CartStore(gate=request_gate(request))


def gate_pass_now(request) -> None:
    """Pass the request's gate on its own, if nothing has yet (one call)."""
    gate = request_gate(request)
    if gate is not None and gate.open:
        gate_pass(gate)


def _service_unavailable(response) -> bool:
    data = getattr(response, "data", None)
    return response.status_code == 503 and isinstance(data, dict) and data.get("code") == ServiceUnavailable.code


class OneCallView(APIView):
    one_call = True

    def finalize_response(self, request, response, *args, **kwargs):
        # A request that failed because Redis did not answer (or was full) keeps its 503:
        # the gate's own call would fail the same way, and count and log it twice.
        if not _service_unavailable(response):
            try:
                gate_pass_now(request)
            except APIException as exc:
                response = self.handle_exception(exc)
        return super().finalize_response(request, response, *args, **kwargs)
