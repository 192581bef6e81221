"""Every operation that changes a cart. Each is one Lua script call in Redis; the script
also appends the change to the persistence stream, so nothing here talks to MySQL."""

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.conf import settings

from cart import metrics
from cart.engine import idempotency
from cart.engine.codec import line_from_redis
from cart.engine.hot import hot_carts
from cart.engine.idempotency import KeyedRequest, StoredReply, recorded_error
from cart.engine.lines import SAVED_PREFIX, CartLine, line_id
from cart.engine.loading import cart_ensure_loaded
from cart.engine.status import info_of_line, line_status
from cart.engine.store import CartStore, NotLoaded, RawCart
from cart.models import LineStatus
from catalog.cache import SkuInfo, sku_info_held, sku_info_many
from core.errors import (
    CartFull,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    LineNotFound,
    SavedFull,
    VersionMismatch,
)

_ERRORS = {
    "cart_full": CartFull,
    "saved_full": SavedFull,
    "line_not_found": LineNotFound,
    "idempotency_key_reused": IdempotencyKeyReused,
    "request_in_progress": IdempotencyKeyInFlight,
}


class MergePolicy(StrEnum):
    MAX = "max"  # the larger of the two quantities
    SUM = "sum"  # both added up, capped at the maximum


@dataclass(frozen=True, slots=True)
class LineChange:
    """What a single-line operation did: the line as it is now, or that it went away.

    ``info_held`` says the operation already looked the SKU up in the caches (an add
    does, to give a new line its status and price): ``info`` is then what they held,
    None when nothing did, and a reply must not look again.
    """

    cart_version: int
    line: CartLine | None = None
    removed: bool = False
    removed_line: CartLine | None = None  # what a remove took away, as it was (for an Undo)
    capped: bool = False
    info: SkuInfo | None = None
    info_held: bool = False
    replayed: bool = False  # the recorded answer to a keyed request seen before


@dataclass(frozen=True, slots=True)
class MergeEntry:
    item_id: int
    sku_id: int
    quantity: int
    checked: bool | None = None


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    id: str
    action: str  # added | raised | kept
    quantity: int


@dataclass(frozen=True, slots=True)
class MergeResult:
    cart: RawCart
    merged: list[MergeOutcome]
    skipped: list[str]


def _mutate(
    name: str,
    *,
    user_id: int,
    expected_version: int | None,
    args: list,
    store: CartStore,
    load=True,
    keyed: KeyedRequest | None = None,
):
    """Run a mutation script, loading the cart first if Redis does not have it (unless
    ``load`` is False: then ``NotLoaded`` propagates)."""
    hot_carts.drop(user_id)  # this process's copy; the others hear the script's announcement
    call = {"user_id": user_id, "expected_version": expected_version, "args": args, "keyed": keyed}
    try:
        reply, cart = store.mutate(name, **call)
    except NotLoaded:
        if not load:
            raise
        cart_ensure_loaded(user_id=user_id, store=store)
        reply, cart = store.mutate(name, **call)
    error = reply.get("err")
    metrics.CART_OPERATIONS.labels(name, error or "ok").inc()
    if error == "version_mismatch":
        raise VersionMismatch(current_version=reply["current_version"])
    if error:
        raise _ERRORS[error]()
    return reply, cart


def _line_change(reply: dict, field: str, **held) -> LineChange:
    if reply.get("removed"):
        return LineChange(cart_version=reply["version"], removed=True, removed_line=_removed_line(reply, field))
    line = line_from_redis(field, reply["line"])
    return LineChange(cart_version=reply["version"], line=line, capped=bool(reply.get("capped")), **held)


@dataclass(frozen=True, slots=True)
class LineCheck:
    """What the catalog says of a line: its status, and its price to keep as price at add."""

    item_id: int
    sku_id: int
    status: str
    price_at_add: Decimal | None = None
    currency: str = ""
    saved: bool = False  # of a saved-for-later line

    @classmethod
    def of(cls, *, item_id: int, sku_id: int, info: SkuInfo | None, saved: bool = False) -> "LineCheck":
        """The check of a line from its SKU data (None: the SKU does not exist)."""
        info = info_of_line(info, item_id=item_id)
        return cls(
            item_id=item_id,
            sku_id=sku_id,
            status=line_status(info, item_id=item_id),
            price_at_add=info.price if info is not None else None,
            currency=info.currency if info is not None else "",
            saved=saved,
        )

    @classmethod
    def from_held(cls, *, item_id: int, sku_id: int, held: dict[int, SkuInfo | None]) -> "LineCheck":
        """The check from what the caches hold (``sku_info_held``); ``unknown`` when they
        hold nothing of the SKU, to be checked asynchronously."""
        if sku_id not in held:
            return cls(item_id=item_id, sku_id=sku_id, status=LineStatus.UNKNOWN)
        return cls.of(item_id=item_id, sku_id=sku_id, info=held[sku_id])

    def as_birth_args(self) -> list:
        """The status, price at add and currency a new line is born with, as a script's
        arguments (price "" when not known)."""
        return [self.status, "" if self.price_at_add is None else str(self.price_at_add), self.currency]

    def as_script_arg(self) -> dict:
        check = {"f": (SAVED_PREFIX if self.saved else "") + line_id(self.item_id, self.sku_id), "s": self.status}
        if self.price_at_add is not None:
            check["p"], check["cu"] = str(self.price_at_add), self.currency
        return check


def cart_add_line(
    *,
    user_id: int,
    item_id: int,
    sku_id: int,
    quantity: int = 1,
    expected_version: int | None = None,
    store: CartStore | None = None,
    keyed: KeyedRequest | None = None,
) -> LineChange:
    """Add ``quantity`` of a SKU; an existing line grows, capped at the maximum quantity.

    Never queries the catalog's database: a new line takes its status and price at add
    from the SKU data this process or Redis already holds (no I/O when this process
    holds it, else one Redis round trip), and is ``unknown`` only when neither does.
    Either way the catalog checks it again asynchronously. Raises ``CartFull`` when a
    new line would exceed the line limit, ``VersionMismatch`` when ``expected_version``
    is stale. A ``keyed`` request checks and records its Idempotency-Key in the same
    script: one seen before gets its recorded line (``replayed``) or error again.
    """
    field = line_id(item_id, sku_id)
    held = sku_info_held([sku_id])
    birth = LineCheck.from_held(item_id=item_id, sku_id=sku_id, held=held)
    reply, _ = _mutate(
        "add",
        user_id=user_id,
        expected_version=expected_version,
        store=store or CartStore(),
        args=[field, quantity, settings.CART_MAX_LINES, settings.CART_MAX_QUANTITY, *birth.as_birth_args()],
        keyed=keyed,
    )
    info = info_of_line(held.get(sku_id), item_id=item_id)
    if "replay" in reply:
        stored = StoredReply.parse(reply["replay"])
        if stored.kind not in (idempotency.LINE, idempotency.CAPPED_LINE):
            raise recorded_error(stored)
        line = line_from_redis(field, stored.data)
        capped = stored.kind == idempotency.CAPPED_LINE
        return LineChange(cart_version=line.version, line=line, capped=capped, info=info, info_held=True, replayed=True)
    return _line_change(reply, field, info=info, info_held=True)


def cart_update_line(
    *,
    user_id: int,
    item_id: int,
    sku_id: int,
    quantity: int | None = None,
    delta: int | None = None,
    checked: bool | None = None,
    acknowledge_price: bool = False,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> LineChange:
    """Change one line atomically: absolute quantity or delta (clamped to 0..max), checked,
    or acknowledge the current price. A resulting quantity of 0 removes the line.

    Raises ``LineNotFound`` when the line is not in this user's cart.
    """
    field = line_id(item_id, sku_id)
    price, currency = "", ""
    if acknowledge_price:
        info = info_of_line(sku_info_many([sku_id]).get(sku_id), item_id=item_id)
        if info is not None and info.price is not None:
            price, currency = str(info.price), info.currency
    reply, _ = _mutate(
        "patch",
        user_id=user_id,
        expected_version=expected_version,
        store=store or CartStore(),
        args=[
            field,
            "" if quantity is None else quantity,
            "" if delta is None else delta,
            "" if checked is None else int(checked),
            price,
            currency,
            settings.CART_MAX_QUANTITY,
        ],
    )
    return _line_change(reply, field)


def cart_remove_line(
    *,
    user_id: int,
    item_id: int,
    sku_id: int,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> LineChange:
    """Remove a line; removing a line that is not there is not an error and changes nothing."""
    field = line_id(item_id, sku_id)
    reply, _ = _mutate(
        "remove", user_id=user_id, expected_version=expected_version, store=store or CartStore(), args=[field]
    )
    return LineChange(cart_version=reply["version"], removed=reply["removed"], removed_line=_removed_line(reply, field))


def _removed_line(reply: dict, field: str) -> CartLine | None:
    was = reply.get("was")
    return None if was is None else line_from_redis(field, was)


def cart_restore_line(*, user_id: int, line: CartLine, store: CartStore | None = None) -> LineChange:
    """Put back a line removed a moment ago (the cart page's Undo) as ``line`` was:
    quantity, selection, price at add and added-at; its status is what the SKU data held
    now says. A line added again since is left as it is (``removed`` stays False and
    ``line`` is None). Raises ``CartFull`` when the cart has no room for it any more."""
    field = line_id(line.item_id, line.sku_id)
    now = LineCheck.from_held(item_id=line.item_id, sku_id=line.sku_id, held=sku_info_held([line.sku_id]))
    reply, _ = _mutate(
        "restore",
        user_id=user_id,
        expected_version=None,
        store=store or CartStore(),
        args=[
            field,
            line.quantity,
            int(line.checked),
            now.status,
            "" if line.price_at_add is None else str(line.price_at_add),
            line.currency,
            line.added_at_ms,
            settings.CART_MAX_LINES,
        ],
    )
    if not reply["restored"]:
        return LineChange(cart_version=reply["version"])
    return _line_change(reply, field)


def cart_select(
    *,
    user_id: int,
    checked: bool,
    ids: list[str] | None = None,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> RawCart:
    """Check or uncheck every line, or those in ``ids``; unknown ids are ignored.

    One script call whatever the number of lines; returns the whole cart.
    """
    _, cart = _mutate(
        "select",
        user_id=user_id,
        expected_version=expected_version,
        store=store or CartStore(),
        args=[int(checked), "" if ids is None else json.dumps(ids)],
    )
    return cart


def cart_record_checks(*, user_id: int, checks: list[LineCheck], store: CartStore | None = None) -> int:
    """Record catalog checks of lines: status, and the price at add if not yet known.

    Lines removed meanwhile stay removed; quantities are never touched. Returns the
    number of lines that changed. Does not load a cold cart (raises ``NotLoaded``): its
    shard rows are updated by the caller instead (see ``cart.validity``).
    """
    changed, cold = carts_record_checks({user_id: checks}, store=store)
    if cold:
        raise NotLoaded(user_id)
    return changed


def carts_record_checks(
    checks_by_user: dict[int, list[LineCheck]], *, store: CartStore | None = None
) -> tuple[int, list[int]]:
    """``cart_record_checks`` for many carts in one round trip (per Redis node), as the
    check consumer records a batch. Returns the lines changed and the users whose cart
    is not in Redis."""
    users = list(checks_by_user)
    for user_id in users:
        hot_carts.drop(user_id)  # this process's copy; the others hear the script's announcement
    replies = (store or CartStore()).mutate_many(
        "set_status", [(u, [json.dumps([c.as_script_arg() for c in checks_by_user[u]])]) for u in users]
    )
    changed, cold = 0, []
    for user_id, reply in zip(users, replies, strict=True):
        if reply.get("err") == "not_loaded":
            cold.append(user_id)
            continue
        metrics.CART_OPERATIONS.labels("set_status", "ok").inc()
        changed += reply["changed"]
    return changed, cold


def cart_set_line_status(
    *, user_id: int, item_id: int, sku_id: int, status: str, price_at_add: Decimal | None = None, currency: str = ""
) -> int:
    """Record one line's check (``cart_record_checks`` for a single line)."""
    check = LineCheck(item_id=item_id, sku_id=sku_id, status=status, price_at_add=price_at_add, currency=currency)
    return cart_record_checks(user_id=user_id, checks=[check])


def cart_remove_lines(*, user_id: int, ids: list[str], store: CartStore | None = None) -> int:
    """Remove several lines in one script call (what an order bought); returns the cart version."""
    reply, _ = _mutate(
        "remove_lines", user_id=user_id, expected_version=None, store=store or CartStore(), args=[json.dumps(ids)]
    )
    return reply["version"]


def cart_merge(
    *,
    user_id: int,
    entries: list[MergeEntry],
    policy: MergePolicy = MergePolicy.MAX,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> MergeResult:
    """Merge lines into the cart in one atomic script call.

    Existing lines follow ``policy``; new lines are added in the given order while the
    cart has room, the rest come back in ``skipped``. New lines are born with their
    status and price at add from the SKU data (filled from the catalog for SKUs no cache
    holds), and checked again asynchronously. Never raises ``CartFull``.
    """
    # The SKU data the reply shows anyway, read before the script so that new lines are
    # born with their status and price (one MGET, and at most three queries for SKUs no
    # cache holds; a merge is not an add's hot path).
    infos = sku_info_many(entry.sku_id for entry in entries)
    payload = []
    for entry in entries:
        item = LineCheck.of(item_id=entry.item_id, sku_id=entry.sku_id, info=infos.get(entry.sku_id)).as_script_arg()
        item["q"] = entry.quantity
        if entry.checked is not None:
            item["c"] = int(entry.checked)
        payload.append(item)
    reply, cart = _mutate(
        "merge",
        user_id=user_id,
        expected_version=expected_version,
        store=store or CartStore(),
        args=[str(policy), json.dumps(payload), settings.CART_MAX_LINES, settings.CART_MAX_QUANTITY],
    )
    return MergeResult(
        cart=cart,
        merged=[MergeOutcome(id=m["id"], action=m["action"], quantity=m["quantity"]) for m in reply["merged"]],
        skipped=list(reply["skipped"]),
    )


# --- saved for later --------------------------------------------------------------------
# The list lives beside the cart in the user's hash slot and shares its version: each
# move is one script that changes both, so a line is never in neither list nor counted
# twice, and If-Match on the cart's version covers both.

NOT_SAVED = "That item is not in your saved list."


def cart_save_for_later(
    *,
    user_id: int,
    item_id: int,
    sku_id: int,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> LineChange:
    """Move a cart line, whole, to the saved-for-later list; its quantity replaces any
    saved copy. Raises ``LineNotFound`` when the cart has no such line, ``SavedFull``
    when the list holds its maximum already (and not this line)."""
    field = line_id(item_id, sku_id)
    reply, _ = _mutate(
        "save_for_later",
        user_id=user_id,
        expected_version=expected_version,
        store=store or CartStore(),
        args=[field, settings.CART_MAX_SAVED_LINES],
    )
    return LineChange(cart_version=reply["version"], line=line_from_redis(field, reply["saved"]))


def cart_move_to_cart(
    *,
    user_id: int,
    item_id: int,
    sku_id: int,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> LineChange:
    """Move a saved line back into the cart, grown as an add would grow it (an existing
    line gains its quantity, capped). Raises ``LineNotFound`` when the list has no such
    line, ``CartFull`` when it would be a new line of a full cart (nothing moves)."""
    field = line_id(item_id, sku_id)
    held = sku_info_held([sku_id])
    now = LineCheck.from_held(item_id=item_id, sku_id=sku_id, held=held)
    try:
        reply, _ = _mutate(
            "move_to_cart",
            user_id=user_id,
            expected_version=expected_version,
            store=store or CartStore(),
            args=[field, settings.CART_MAX_LINES, settings.CART_MAX_QUANTITY, *now.as_birth_args()],
        )
    except LineNotFound:
        raise LineNotFound(NOT_SAVED) from None
    return _line_change(reply, field)


def saved_remove_line(
    *,
    user_id: int,
    item_id: int,
    sku_id: int,
    expected_version: int | None = None,
    store: CartStore | None = None,
) -> LineChange:
    """Delete a saved line; deleting one that is not there changes nothing."""
    reply, _ = _mutate(
        "saved_remove",
        user_id=user_id,
        expected_version=expected_version,
        store=store or CartStore(),
        args=[line_id(item_id, sku_id)],
    )
    return LineChange(cart_version=reply["version"], removed=reply["removed"])
