"""Shoppers in a process of their own, for the Redis-loss test.

python -m tests.faults.shopper add SECONDS USERS FIRST_USER_ID
    adds a new line (item n, sku n) to user FIRST + n % USERS, as fast as it can, for
    SECONDS; prints ``ack <user> <line> <cart version>`` for every acknowledged add and
    ``err <reason>`` for every refused one (Redis down), then keeps going.
python -m tests.faults.shopper read USERS FIRST_USER_ID
    reads every cart through the service layer (cache-aside: a cart Redis lost comes
    back from its shard) and prints ``cart <user> <version> <line,line,...>``.
"""

import os
import sys
import time

import django


def add(seconds: float, users: int, first: int) -> None:
    import redis

    from cart.services import cart_add_line
    from core.errors import ApiError

    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        user_id = first + n % users
        try:
            change = cart_add_line(user_id=user_id, item_id=n, sku_id=n)
        except (redis.RedisError, ApiError, OSError) as exc:
            print(f"err {type(exc).__name__}", flush=True)
            time.sleep(0.02)
            continue
        print(f"ack {user_id} {n}:{n} {change.cart_version}", flush=True)


def read(users: int, first: int) -> None:
    from cart.selectors import cart_get

    for user_id in range(first, first + users):
        cart = cart_get(user_id=user_id)
        print(f"cart {user_id} {cart.version} {','.join(v.line.id for v in cart.items)}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    if sys.argv[1] == "add":
        add(float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        read(int(sys.argv[2]), int(sys.argv[3]))
