"""Names that outlive a deploy, so moving code must not rename them: Celery task names
(beat schedules and queued messages in the broker hold them) and the guest cookie's
signing salt (every shopper's cookie was signed with it)."""

from django.core import signing

from config.celery_app import app

TASKS = {
    "cart.drain_persistence",
    "cart.prune_stream_consumers",
    "cart.reconcile",
    "cart.replay_dead_letter",
    "cart.recheck_lines_for_skus",
    "cart.prewarm",
    "cart.purge_shared_carts",
}


def test_the_cart_tasks_keep_their_names():
    app.loader.import_default_modules()
    assert {name for name in app.tasks if name.startswith("cart.")} == TASKS


def test_the_promotion_task_kept_its_name_when_it_moved_to_the_catalog():
    app.loader.import_default_modules()
    assert app.tasks["pricing.promotion_boundaries"].__module__ == "catalog.tasks"


def test_a_guest_cookie_signed_before_a_move_still_opens():
    from cart.web import guest

    signed = signing.dumps({"v": 2, "l": []}, salt="cart.guest.v1", compress=True)
    assert signing.loads(signed, salt=guest.COOKIE_SALT) == {"v": 2, "l": []}
