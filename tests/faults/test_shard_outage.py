"""One shard server down for longer than the retries: its changes become dead letters
with their versions, the other shards keep flowing, and once it is back a replay from
admin makes MySQL equal Redis."""

import pytest
from django.db import connections

from cart.models import DeadLetter
from cart.persistence.write_behind import persistence_backlog
from cart.services import cart_add_line, cart_update_line
from core.sharding import shard_for_user
from tests.cart.helpers import cached, cached_version, persisted
from tests.conftest import db_all_tx, needs_mysql
from tests.faults.procs import TcpProxy, running, start_worker, wait_for

pytestmark = [db_all_tx, needs_mysql, pytest.mark.faults]


def _users_on_two_shards() -> tuple[int, int]:
    down_user = 9301
    other = next(u for u in range(9302, 9400) if shard_for_user(u) != shard_for_user(down_user))
    return down_user, other


def test_a_shard_down_past_the_retries_dead_letters_then_replays_from_admin(tmp_path, client):
    from django.contrib.auth import get_user_model

    down_user, other_user = _users_on_two_shards()
    alias = shard_for_user(down_user)
    proxy = TcpProxy(int(connections[alias].settings_dict["PORT"] or 3306), connections[alias].settings_dict["HOST"])
    proxy.up()
    worker = start_worker(
        tmp_path, shard_ports={alias: proxy.port}, CART_PERSIST_RETRY_BASE_MS="100", DB_CONNECT_TIMEOUT="1"
    )
    with running(worker):
        # Given both carts persisted through the worker, one of them through the shard we will stop
        for user in (down_user, other_user):
            cart_add_line(user_id=user, item_id=1, sku_id=1, quantity=2)
        assert wait_for(lambda: all(persisted(u) == cached(u) for u in (down_user, other_user)), 30)

        # When that shard's server stops and both shoppers keep changing their carts
        proxy.down()
        for user in (down_user, other_user):
            cart_update_line(user_id=user, item_id=1, sku_id=1, delta=3)
            cart_add_line(user_id=user, item_id=2, sku_id=2, quantity=4)

        # Then the other shard is unaffected meanwhile
        assert wait_for(lambda: persisted(other_user) == cached(other_user), 15)
        # ... and after the retries the stopped shard's changes are dead letters, with their versions
        assert wait_for(
            lambda: (
                persistence_backlog() == 0
                and DeadLetter.objects.filter(user_id=down_user).exists()
                and max(DeadLetter.objects.filter(user_id=down_user).values_list("version", flat=True))
                == cached_version(down_user)
            ),
            30,
        ), worker.output()[-3000:]
    letters = list(DeadLetter.objects.filter(user_id=down_user))
    assert {letter.shard for letter in letters} == {alias}
    assert all(letter.attempts == 4 and letter.state == DeadLetter.State.PENDING for letter in letters)
    assert all(letter.version > 0 for letter in letters)
    assert not DeadLetter.objects.filter(user_id=other_user).exists()
    assert persisted(down_user)["1:1"][0] == 2  # the shard still has the old state

    # When the shard is back and staff replay the letters from admin
    proxy.up()
    staff = get_user_model().objects.create_superuser("ops", "ops@example.com", "a-long-admin-password")
    client.force_login(staff)
    response = client.post(
        "/admin/cart/deadletter/",
        {"action": "replay", "_selected_action": [letter.pk for letter in letters]},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Replayed {len(letters)}" in response.content.decode()

    # Then MySQL equals Redis, and every letter is marked replayed
    assert persisted(down_user) == cached(down_user)
    assert {line: state[0] for line, state in persisted(down_user).items()} == {"1:1": 5, "2:2": 4}
    assert set(DeadLetter.objects.values_list("state", flat=True)) == {DeadLetter.State.REPLAYED}
    proxy.down()
