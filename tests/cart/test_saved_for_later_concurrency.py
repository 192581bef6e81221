"""Saved for later under real concurrency: threads against the real Redis and database."""

import threading

from django.test import override_settings

from tests.api_client import ApiClient
from tests.cart.test_saved_for_later import SkuFactory, add, cart_ids, line_of, move, save, saved_list
from tests.conftest import db_all_tx

pytestmark = db_all_tx


@override_settings(CART_MAX_SAVED_LINES=5)
def test_concurrent_saves_never_overfill_the_list_nor_lose_a_line():
    shopper = ApiClient()
    skus = [SkuFactory() for _ in range(12)]
    for sku in skus:
        add(shopper, sku)
    results: list[int] = []

    def save_one(sku):
        results.append(save(ApiClient(user=shopper.user, token=shopper.token), line_of(sku)).status_code)

    threads = [threading.Thread(target=save_one, args=(sku,)) for sku in skus]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200] * 5 + [409] * 7
    in_cart, saved = set(cart_ids(shopper)), {line["id"] for line in saved_list(shopper)["items"]}
    assert len(saved) == 5
    assert in_cart | saved == {line_of(sku) for sku in skus}
    assert not in_cart & saved


def test_concurrent_moves_of_one_line_move_it_once():
    shopper = ApiClient()
    sku = SkuFactory()
    add(shopper, sku, 3)
    save(shopper, line_of(sku))
    results: list[int] = []

    def move_it():
        results.append(move(ApiClient(user=shopper.user, token=shopper.token), line_of(sku)).status_code)

    threads = [threading.Thread(target=move_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200] + [404] * 7
    assert cart_ids(shopper) == {line_of(sku): 3}  # once, not 8 times 3
