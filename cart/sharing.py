"""Shareable carts (API.md, "Sharing"): an immutable snapshot behind an unguessable token.

A snapshot keeps what the sharer saw at that moment (lines, titles, attributes, prices,
statuses) and nothing about who shared it: no user id, no name, no times a line was
added. Links expire. Snapshots live behind ``SnapshotStore``: a table in ``default`` by
default, or DynamoDB (``CART_SHARE_STORE = "dynamodb"``) for deployments on AWS.

Only a SHA-256 of the token is stored, so reading the store does not open any link.
"""

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from cart.engine.lines import line_id
from cart.selectors import CartView
from cart.services import MergeEntry, MergePolicy, MergeResult, cart_merge
from core.errors import ApiError, NotFound
from pricing.money import quantize

# 24 random bytes: 192 bits, 32 URL-safe characters.
TOKEN_BYTES = 24
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


class CartEmpty(ApiError):
    status = 409
    code = "cart_empty"
    detail = "Your cart is empty; there is nothing to share."


class SharedCartNotFound(NotFound):
    detail = "This shared cart does not exist or its link has expired."


@dataclass(frozen=True, slots=True)
class SharedLine:
    """One line as the sharer saw it."""

    item_id: int
    sku_id: int
    quantity: int
    title: str | None
    sku_attributes: dict
    unit_price: Decimal | None
    currency: str
    status: str

    @property
    def id(self) -> str:
        return line_id(self.item_id, self.sku_id)

    @property
    def counts_in_subtotal(self) -> bool:
        return self.status == "available" and self.unit_price is not None

    def to_json(self) -> dict:
        return {
            "i": self.item_id,
            "s": self.sku_id,
            "q": self.quantity,
            "t": self.title,
            "a": self.sku_attributes,
            "p": None if self.unit_price is None else str(self.unit_price),
            "c": self.currency,
            "st": self.status,
        }

    @classmethod
    def from_json(cls, data: dict) -> "SharedLine":
        return cls(
            item_id=data["i"],
            sku_id=data["s"],
            quantity=data["q"],
            title=data["t"],
            sku_attributes=data["a"],
            unit_price=None if data["p"] is None else Decimal(data["p"]),
            currency=data["c"],
            status=data["st"],
        )


@dataclass(frozen=True, slots=True)
class SharedSummary:
    """A snapshot's counts by the cart's rule (API.md, "summary"), every shared line
    counting as selected: ``lines`` and ``quantity`` count every line, the ``checked_*``
    figures only the available ones, the lines an import would let the recipient buy.
    ``subtotal`` is ``checked_subtotal`` under its first name."""

    lines: int
    quantity: int
    checked_lines: int
    checked_quantity: int
    subtotal: Decimal
    currency: str

    @property
    def checked_subtotal(self) -> Decimal:
        return self.subtotal


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a share link shows. Immutable once stored."""

    lines: tuple[SharedLine, ...]
    created_at: datetime
    expires_at: datetime

    @property
    def summary(self) -> SharedSummary:
        counted = [line for line in self.lines if line.counts_in_subtotal]
        currencies = {line.currency for line in counted if line.currency}
        return SharedSummary(
            lines=len(self.lines),
            quantity=sum(line.quantity for line in self.lines),
            checked_lines=len(counted),
            checked_quantity=sum(line.quantity for line in counted),
            subtotal=quantize(sum((line.unit_price * line.quantity for line in counted), Decimal(0))),
            currency=currencies.pop() if len(currencies) == 1 else settings.DEFAULT_CURRENCY,
        )

    def to_payload(self) -> dict:
        """The stored form: the lines only (times are columns or attributes of their own)."""
        return {"lines": [line.to_json() for line in self.lines]}

    @classmethod
    def from_payload(cls, payload: dict, *, created_at: datetime, expires_at: datetime) -> "Snapshot":
        lines = tuple(SharedLine.from_json(data) for data in payload["lines"])
        return cls(lines=lines, created_at=created_at, expires_at=expires_at)


@dataclass(frozen=True, slots=True)
class SharedLink:
    token: str
    snapshot: Snapshot


# --- stores -------------------------------------------------------------------------------


class SnapshotStore(Protocol):
    """Where snapshots live. Keys are token hashes; a store never sees a token."""

    def put(self, *, token_hash: str, snapshot: Snapshot) -> None:
        """Store a new snapshot; never overwrites one under the same hash."""

    def get(self, *, token_hash: str) -> Snapshot | None:
        """Return the snapshot, or None when unknown. May return an expired one: the
        caller checks ``expires_at`` (a store's own expiry may lag)."""


class MySQLSnapshotStore:
    """The ``SharedCart`` table in ``default`` (MySQL in production, SQLite locally).

    Expired rows stay until ``purge_expired`` removes them; reads ignore them anyway.
    """

    def put(self, *, token_hash: str, snapshot: Snapshot) -> None:
        from cart.models import SharedCart

        SharedCart.objects.create(
            token_hash=token_hash,
            payload=snapshot.to_payload(),
            created_at=snapshot.created_at,
            expires_at=snapshot.expires_at,
        )

    def get(self, *, token_hash: str) -> Snapshot | None:
        from cart.models import SharedCart

        row = SharedCart.objects.filter(token_hash=token_hash).first()
        if row is None:
            return None
        return Snapshot.from_payload(row.payload, created_at=row.created_at, expires_at=row.expires_at)

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete expired snapshots; returns how many."""
        from cart.models import SharedCart

        deleted, _ = SharedCart.objects.filter(expires_at__lte=now or timezone.now()).delete()
        return deleted


class DynamoSnapshotStore:
    """A DynamoDB table (definition in docs/sync-and-sharing.md): partition key
    ``token_hash`` (S); ``expires_at`` (N, epoch seconds) is the table's TTL attribute,
    so DynamoDB deletes expired items by itself, within days: reads check it too.

    Credentials and region come from the usual ``AWS_*`` environment; ``endpoint_url``
    points it at a local DynamoDB for development.
    """

    def __init__(self, *, table: str, client=None, endpoint_url: str | None = None):
        if client is None:
            import boto3  # only deployments that choose this store need the SDK

            client = boto3.client("dynamodb", endpoint_url=endpoint_url or None)
        self.client = client
        self.table = table

    def put(self, *, token_hash: str, snapshot: Snapshot) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                "token_hash": {"S": token_hash},
                "payload": {"S": json.dumps(snapshot.to_payload(), separators=(",", ":"))},
                "created_at": {"N": str(int(snapshot.created_at.timestamp()))},
                "expires_at": {"N": str(int(snapshot.expires_at.timestamp()))},
            },
            # A token is random; should two ever collide, refuse rather than overwrite.
            ConditionExpression="attribute_not_exists(token_hash)",
        )

    def get(self, *, token_hash: str) -> Snapshot | None:
        reply = self.client.get_item(TableName=self.table, Key={"token_hash": {"S": token_hash}}, ConsistentRead=True)
        item = reply.get("Item")
        if item is None:
            return None
        return Snapshot.from_payload(
            json.loads(item["payload"]["S"]),
            created_at=datetime.fromtimestamp(int(item["created_at"]["N"]), tz=UTC),
            expires_at=datetime.fromtimestamp(int(item["expires_at"]["N"]), tz=UTC),
        )


@cache
def _store_for(kind: str, table: str, endpoint_url: str) -> SnapshotStore:
    if kind == "dynamodb":
        return DynamoSnapshotStore(table=table, endpoint_url=endpoint_url)
    if kind == "mysql":
        return MySQLSnapshotStore()
    raise ValueError(f"unknown CART_SHARE_STORE {kind!r}: use 'mysql' or 'dynamodb'")


def snapshot_store() -> SnapshotStore:
    """The store the settings choose (``CART_SHARE_STORE``), one per process."""
    return _store_for(
        settings.CART_SHARE_STORE, settings.CART_SHARE_DYNAMODB_TABLE, settings.CART_SHARE_DYNAMODB_ENDPOINT
    )


# --- operations -----------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cart_share(*, cart: CartView, store: SnapshotStore | None = None, now: datetime | None = None) -> SharedLink:
    """Store an immutable snapshot of ``cart`` under a new token and return both.

    Works for any shopper's ``CartView`` (an account's or a guest's): the snapshot takes
    nothing that says whose cart it was. Raises ``CartEmpty`` for a cart with no lines.
    """
    if not cart.items:
        raise CartEmpty()
    created_at = (now or timezone.now()).replace(microsecond=0)
    lines = tuple(
        SharedLine(
            item_id=v.line.item_id,
            sku_id=v.line.sku_id,
            quantity=v.line.quantity,
            title=v.info.title if v.info else None,
            sku_attributes=dict(v.info.attributes) if v.info else {},
            unit_price=v.unit_price,
            currency=(v.info.currency if v.info and v.info.currency else v.line.currency) or settings.DEFAULT_CURRENCY,
            status=v.status,
        )
        for v in cart.items
    )
    snapshot = Snapshot(
        lines=lines, created_at=created_at, expires_at=created_at + timedelta(seconds=settings.CART_SHARE_TTL_SECONDS)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    (store or snapshot_store()).put(token_hash=token_hash(token), snapshot=snapshot)
    return SharedLink(token=token, snapshot=snapshot)


def shared_cart_get(*, token: str, store: SnapshotStore | None = None, now: datetime | None = None) -> Snapshot:
    """Return the snapshot behind ``token``.

    Raises ``SharedCartNotFound`` (404 ``not_found``) for a malformed, unknown or
    expired token alike, so a caller learns nothing about which it was.
    """
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise SharedCartNotFound()
    snapshot = (store or snapshot_store()).get(token_hash=token_hash(token))
    if snapshot is None or snapshot.expires_at <= (now or timezone.now()):
        raise SharedCartNotFound()
    return snapshot


def shared_cart_import(
    *,
    user_id: int,
    token: str,
    policy: MergePolicy = MergePolicy.MAX,
    expected_version: int | None = None,
    store: SnapshotStore | None = None,
) -> MergeResult:
    """Merge a shared cart's lines into ``user_id``'s cart with the merge rules.

    Lines go in the snapshot's order (newest first, as the sharer saw them); those that
    do not fit in the cart come back in ``skipped``. Raises ``SharedCartNotFound``.
    """
    snapshot = shared_cart_get(token=token, store=store)
    entries = [MergeEntry(item_id=line.item_id, sku_id=line.sku_id, quantity=line.quantity) for line in snapshot.lines]
    return cart_merge(user_id=user_id, entries=entries, policy=policy, expected_version=expected_version)
