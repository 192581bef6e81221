"""The one worker command that `make run`, the benchmark and the tests start."""

import sys

from config.worker import worker_command


def test_the_default_worker_serves_the_default_queue_with_celerys_own_pool():
    assert worker_command() == [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO"]


def test_a_short_lived_worker_of_its_own():
    command = worker_command(queues=["a", "b"], pool="solo", node_name="t-1@%h", alone=True, loglevel="WARNING")
    assert command[:6] == [sys.executable, "-m", "celery", "-A", "config", "worker"]
    options = command[6:]
    assert options[options.index("-Q") + 1] == "a,b"
    assert options[options.index("--pool") + 1] == "solo"
    assert options[options.index("--hostname") + 1] == "t-1@%h"
    assert options[options.index("--loglevel") + 1] == "WARNING"
    assert {"--without-mingle", "--without-gossip", "--without-heartbeat"} <= set(options)


def test_make_run_the_bench_and_the_tests_all_build_it_here():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in ("scripts/run.py", "scripts/bench.py", "tests/processes.py"):
        source = (root / path).read_text()
        assert "worker_command(" in source, path
        assert '"--loglevel"' not in source or path == "scripts/run.py", path  # no hand-built worker
        assert '"--without-mingle"' not in source and '"--pool"' not in source, path
