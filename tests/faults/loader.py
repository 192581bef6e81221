"""A cold-cart loader in a process of its own, for the mutex tests.

    python -m tests.faults.loader die|pause USER_ID

Takes the user's loading mutex and reads the cart from its shard, like
``cart.engine.loading.cart_ensure_loaded``, then either waits to be killed (``die``) or stops
itself with SIGSTOP before filling Redis (``pause``), so the test can let the mutex
expire, change the cart elsewhere and resume it. The pause lives here, never in the app.
"""

import os
import secrets
import signal
import sys
import time

import django


def main(mode: str, user_id: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.conf import settings

    from cart.engine import keys
    from cart.engine.loading import cart_read_persisted
    from cart.engine.store import CartStore

    store = CartStore()
    lock, token = keys.lock_key(user_id), secrets.token_hex(16)
    if not store.try_lock(lock, token, settings.CART_LOAD_LOCK_MS):
        print("busy", flush=True)
        return 2
    print("locked", flush=True)
    version, lines, saved = cart_read_persisted(user_id=user_id)
    print(f"read {len(lines)} lines at version {version}", flush=True)
    if mode == "die":
        time.sleep(120)  # killed here, holding the mutex
        return 1
    os.kill(os.getpid(), signal.SIGSTOP)  # paused between the read and the fill
    filled = store.fill(user_id, version=version, lines=lines, saved=saved)
    print(f"filled {filled}", flush=True)
    print(f"unlocked {int(store.unlock(lock, token))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
