"""Many calls of one Lua script in one round trip per Redis server.

A redis-py pipeline does this on one server. A cluster pipeline refuses EVALSHA, so on a
cluster the calls are grouped by the node that owns their first key and each group goes
through that node's own pipeline. A call the node cannot serve (the script cache was
flushed, or the slot just moved) is run again through the cluster client, which loads
the script and follows the redirection.
"""

import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError, ResponseError

Call = tuple[list[str], list]  # (keys, args)


def _retryable(reply) -> bool:
    return isinstance(reply, NoScriptError) or (
        isinstance(reply, ResponseError) and str(reply).startswith(("MOVED", "ASK", "TRYAGAIN"))
    )


def scripts_pipelined(client: redis.Redis | RedisCluster, script: Script, calls: list[Call]) -> list:
    """Run ``script`` once per call; return the replies in the order of ``calls``."""
    if not calls:
        return []
    if not isinstance(client, RedisCluster):
        pipe = client.pipeline(transaction=False)
        for keys, args in calls:
            script(keys=keys, args=args, client=pipe)
        return pipe.execute()
    by_node: dict[str, tuple[redis.Redis, list[int]]] = {}
    for index, (keys, _) in enumerate(calls):
        node = client.get_node_from_key(keys[0])
        by_node.setdefault(node.name, (node.redis_connection, []))[1].append(index)
    replies: list = [None] * len(calls)
    for node_client, indexes in by_node.values():
        pipe = node_client.pipeline(transaction=False)
        for index in indexes:
            keys, args = calls[index]
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        for index, reply in zip(indexes, pipe.execute(raise_on_error=False), strict=True):
            if _retryable(reply):
                keys, args = calls[index]
                reply = script(keys=keys, args=args)
            elif isinstance(reply, Exception):
                raise reply
            replies[index] = reply
    return replies
