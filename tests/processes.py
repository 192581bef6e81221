"""What a test needs to run the app in another process: the environment that points a
Django subprocess at this run's test databases and Redis prefix, a free port, a wait,
a logged subprocess and a Celery worker."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connections

from config.worker import worker_command
from core.sharding import SHARD_ALIASES

ROOT = Path(__file__).resolve().parents[1]


def database_url(alias: str, *, port: int | None = None) -> str:
    """The URL of ``alias`` as the test run uses it (test database names), for a subprocess."""
    s = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"mysql://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 3306}/{s['NAME']}"


def subprocess_env(*, shard_ports: dict[str, int] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a Django subprocess on this run's databases and Redis.

    ``shard_ports`` sends some shard aliases through another port (a proxy).
    """
    shard_ports = shard_ports or {}
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url("default"),
        "CART_SHARD_URLS": ",".join(database_url(a, port=shard_ports.get(a)) for a in SHARD_ALIASES),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def run_python(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """Run ``python *args`` from the project's root on this run's databases and Redis
    (``subprocess_env(**env)``), to completion; its output is captured as text."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=subprocess_env(**env), capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float = 20.0, pause: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(pause)
    return bool(condition())


class Proc:
    """A subprocess whose output goes to a log file, shown when the test fails."""

    queue: str | None = None  # a worker's own queue

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path, name: str):
        self.name = name
        self.log = log
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
        print(f"--- {self.name} ---\n{self.output()[-3000:]}")


def start_worker(tmp_path: Path, *, name: str = "worker", also: tuple[str, ...] = (), **env: str) -> Proc:
    """A Celery worker with the persistence consumer thread, on a queue of its own
    (``worker.queue``) and the queues in ``also``."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = Proc(
        worker_command(queues=[queue, *also], pool="solo", node_name=f"test-{uuid.uuid4().hex[:8]}@%h", alone=True),
        env=subprocess_env(**env),
        log=tmp_path / f"{name}.log",
        name=name,
    )
    worker.queue = queue
    return worker


def start_web_server(
    log_dir: Path,
    *,
    name: str = "gunicorn",
    workers: int = 2,
    asgi: bool = False,
    command: list[str] | None = None,
    **env: str,
) -> tuple[Proc, str]:
    """gunicorn (or, with ``asgi``, uvicorn; or ``command``, whose ``{port}`` is filled in)
    serving the project on this run's databases and Redis, up and answering ``/healthz``;
    returns the process and its base URL. ``env`` overrides the environment
    (``DJANGO_SETTINGS_MODULE`` to run it under production settings)."""
    import httpx  # only the tests that start a server need it

    port = free_port()
    if command is not None:
        command = [part.replace("{port}", str(port)) for part in command]
    elif asgi:
        command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(workers), "--timeout-graceful-shutdown", "2"]
    else:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), "--threads", "4", "--timeout", "30"]
    server = Proc(
        command,
        env=subprocess_env(**env),
        log=log_dir / f"{name}.log",
        name=name,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_for(answers, seconds=30, pause=0.1):
        server.stop()
        raise AssertionError(f"{name} did not come up:\n{server.output()[-3000:]}")
    return server, base


# What a production deployment sets, less TLS (the test talks plain HTTP on loopback).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "test-only-production-secret-key-0123456789-abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
}


def start_production_server(
    directory: Path, *, name: str = "gunicorn", asgi: bool = False, command: list[str] | None = None, **env: str
) -> tuple[Proc, str]:
    """gunicorn under production settings (``PRODUCTION_ENV`` plus ``env``) on this run's
    databases, with its static files collected first as the image build does."""
    env = {**PRODUCTION_ENV, "DJANGO_STATIC_ROOT": str(directory / "static"), **env}
    collected = run_python("manage.py", "collectstatic", "--noinput", "--verbosity", "0", timeout=180, **env)
    assert collected.returncode == 0, collected.stderr
    return start_web_server(directory, name=name, asgi=asgi, command=command, **env)


@contextmanager
def running(*procs):
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()
