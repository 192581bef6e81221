"""Redis must not evict a cart's keys: the check /readyz makes of it.

A cart, its saved list and its persistence stream hold changes that are not yet in
MySQL; an eviction policy that drops keys one by one (``allkeys-*``, ``volatile-*``; a
cart's keys have a TTL, so ``volatile-*`` picks them too) can drop those changes, or
part a cart from its saved list. Under ``noeviction`` a full Redis refuses writes
instead, whole, and the API answers 503 ``service_unavailable`` until memory is freed.
Without a ``maxmemory`` Redis never evicts, whatever the policy.
"""

SAFE_POLICY = "noeviction"
NEEDS = f"carts lose unpersisted changes unless maxmemory-policy is {SAFE_POLICY} or maxmemory is 0"


def eviction_warnings(per_node: list[dict[str, str]]) -> list[str]:
    """One line when a master (``CONFIG GET maxmemory*`` of every master) may evict
    keys; [] when none may."""
    evicting = sorted(
        {
            node["maxmemory-policy"]
            for node in per_node
            if int(node.get("maxmemory", 0)) and node.get("maxmemory-policy", SAFE_POLICY) != SAFE_POLICY
        }
    )
    if not evicting:
        return []
    return [
        f"Redis maxmemory-policy is {', '.join(evicting)} with a maxmemory set: when full, Redis drops keys, "
        f"and a cart whose changes are not yet in MySQL loses them. Set maxmemory-policy {SAFE_POLICY}: "
        f"a full Redis then refuses writes (503 service_unavailable) and loses nothing."
    ]
