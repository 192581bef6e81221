"""The one way this project starts a Celery worker: `make run`, the benchmark and the
test suite build the command here, so a worker option changed once changes for all.
(docker-compose, which has no Python to call, spells the same command out.)"""

import sys
from collections.abc import Sequence


def worker_command(
    *,
    queues: Sequence[str] = (),
    pool: str | None = None,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    node_name: str | None = None,
    alone: bool = False,
) -> list[str]:
    """``python -m celery -A config worker …``; the persistence consumer thread starts
    with every worker (``cart.persistence.consumer``).

    ``queues`` (default: the default queue), ``pool`` ("solo" for one thread),
    ``node_name`` (two workers named alike on one broker fight over their control queue
    and one dies). ``alone`` skips the start-up synchronisation, gossip and heartbeats
    with other workers: for short-lived workers that need none of it.
    """
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", loglevel]
    if pool:
        command += ["--pool", pool]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    if queues:
        command += ["-Q", ",".join(queues)]
    if node_name:
        command += ["--hostname", node_name]
    if alone:
        command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return command
