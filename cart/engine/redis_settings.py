"""The running Redis's settings as /readyz reports them: a warning for each that would cost
carts memory (``encoding``) or could lose their changes (``eviction``). Every master of
a cluster is asked."""

from cart.engine import encoding, eviction
from core.redis_client import config_of_every_master


def redis_settings_warnings(client) -> list[str]:
    """[] when every setting suits carts; a line per setting that does not, and a line per
    group Redis does not let be read (managed services may rename or refuse CONFIG)."""
    checks = (
        ("hash", "hash-max-*", encoding.encoding_warnings, encoding.encoding_needs()),
        ("eviction", "maxmemory*", eviction.eviction_warnings, eviction.NEEDS),
    )
    warnings: list[str] = []
    for what, pattern, check, needs in checks:
        try:
            per_node = config_of_every_master(client, pattern)
        except Exception as exc:  # noqa: BLE001 - CONFIG can be renamed or refused; not fatal
            warnings.append(f"cannot read Redis's {what} settings ({type(exc).__name__}); {needs}")
            continue
        warnings += check(per_node)
    return warnings
