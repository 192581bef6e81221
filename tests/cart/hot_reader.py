"""A second process for the hot-cart tests: reads carts on command and says what it saw.

stdin: one user id per line. stdout: "<version> <hot|redis>" per line.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from cart.engine.hot import hot_carts  # noqa: E402
from cart.selectors import cart_get_raw  # noqa: E402

for line in sys.stdin:
    user_id = int(line)
    source = "hot" if hot_carts.get(user_id) is not None else "redis"
    print(cart_get_raw(user_id=user_id).version, source, flush=True)
