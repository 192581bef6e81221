"""Bad input to the cart API is refused with a JSON error naming the problem, and changes nothing."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from cart.api.serializers import AddLineIn, UpdateLineIn
from tests.conftest import db_all

pytestmark = db_all

CART = "/api/v1/cart"
ITEMS = "/api/v1/cart/items"
SELECTION = "/api/v1/cart/selection"
MERGE = "/api/v1/cart/merge"
LINE_ID = "1001:2001"
LINE = f"{ITEMS}/{LINE_ID}"
MAX_ID = 2**63 - 1
KIB_64 = 64 * 1024

NEW_LINE = {"item_id": 1002, "sku_id": 2002, "quantity": 1}
MERGE_ENTRY = {"item_id": 1003, "sku_id": 2003, "quantity": 1}

# Every way a request may write to the cart, with a body that would succeed.
WRITES = [
    pytest.param("POST", ITEMS, NEW_LINE, id="add"),
    pytest.param("PATCH", LINE, {"quantity": 5}, id="patch"),
    pytest.param("DELETE", LINE, None, id="delete"),
    pytest.param("POST", SELECTION, {"checked": False}, id="selection"),
    pytest.param("POST", MERGE, {"items": [MERGE_ENTRY]}, id="merge"),
]
WRITES_WITH_BODY = [w for w in WRITES if w.id != "delete"]
IDEMPOTENT_POSTS = [w for w in WRITES if w.values[0] == "POST"]

WRONG_NUMBERS = [
    ("string", "2"),
    ("true", True),
    ("false", False),
    ("null", None),
    ("fraction", 2.5),
    ("float", 2.0),
    ("list", [2]),
    ("object", {"value": 2}),
]
WRONG_BOOLEANS = [("string", "true"), ("one", 1), ("null", None), ("list", [True]), ("object", {"value": True})]
BAD_IDS = [("zero", 0), ("negative", -1), ("over-64-bit", MAX_ID + 1), ("huge", 10**30)]
CLIENT_MAY_NOT_SET = ["price", "user_id", "version", "status"]
BAD_LINE_IDS = [
    "abc",
    "1:",
    ":2",
    "1:2:3",
    "-1:2",
    "1:-2",
    "0:1",
    "1:0",
    "1.0:2",
    "+1:2",
    "%201:2",
    "99999999999999999999:1",
    f"{MAX_ID + 1}:1",
    f"1:{MAX_ID + 1}",
]


def _cases(base: dict, field: str, values: list[tuple[str, object]]) -> list:
    return [pytest.param({**base, field: value}, field, id=f"{field}-{label}") for label, value in values]


def _cart(client) -> dict:
    response = client.send("GET", CART)
    assert response.status_code == 200, response.content
    return response.json()


def assert_refused(response, *, status: int = 400, code: str = "invalid", field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in body["fields"], body
    return body


@pytest.fixture
def cart_before(api) -> dict:
    """A cart holding one line, as GET /cart shows it before the bad request."""
    response = api.send("POST", ITEMS, {"item_id": 1001, "sku_id": 2001, "quantity": 2})
    assert response.status_code == 200, response.content
    cart = _cart(api)
    assert [line["id"] for line in cart["items"]] == [LINE_ID]
    return cart


# --- POST /api/v1/cart/items ----------------------------------------------------------

ADD_BASE = {"item_id": 1002, "sku_id": 2002}
BAD_ADD_BODIES = [
    *_cases(ADD_BASE, "item_id", WRONG_NUMBERS + BAD_IDS),
    *_cases(ADD_BASE, "sku_id", WRONG_NUMBERS + BAD_IDS),
    *_cases(ADD_BASE, "quantity", [*WRONG_NUMBERS, ("zero", 0), ("negative", -1), ("over-max", 1000)]),
    pytest.param({"sku_id": 2002}, "item_id", id="item_id-missing"),
    pytest.param({"item_id": 1002}, "sku_id", id="sku_id-missing"),
    pytest.param({}, "item_id", id="empty-object"),
    *[pytest.param({**ADD_BASE, name: 1}, name, id=f"unknown-{name}") for name in CLIENT_MAY_NOT_SET],
    pytest.param({**ADD_BASE, "qty": 2}, "qty", id="unknown-typo"),
]


@pytest.mark.parametrize(("body", "field"), BAD_ADD_BODIES)
def test_add_with_a_bad_body_is_refused_naming_the_field(api, cart_before, body, field):
    response = api.send("POST", ITEMS, body)

    assert_refused(response, field=field)
    assert _cart(api) == cart_before


# --- PATCH /api/v1/cart/items/{id} ----------------------------------------------------

BAD_PATCH_BODIES = [
    *_cases({}, "quantity", [*WRONG_NUMBERS, ("negative", -1), ("over-max", 1000)]),
    *_cases({}, "delta", [*WRONG_NUMBERS, ("zero", 0), ("under-min", -1000), ("over-max", 1000)]),
    *_cases({}, "checked", WRONG_BOOLEANS),
    *_cases({}, "acknowledge_price", [*WRONG_BOOLEANS, ("false", False)]),
    pytest.param({"quantity": 3, "delta": 1}, "delta", id="quantity-and-delta"),
    pytest.param({}, "non_field_errors", id="empty-object"),
    *[pytest.param({"quantity": 3, name: 1}, name, id=f"unknown-{name}") for name in CLIENT_MAY_NOT_SET],
    pytest.param({"quantity": 3, "sku_id": 2002}, "sku_id", id="unknown-sku_id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PATCH_BODIES)
def test_patch_with_a_bad_body_is_refused_naming_the_field(api, cart_before, body, field):
    response = api.send("PATCH", LINE, body)

    assert_refused(response, field=field)
    assert _cart(api) == cart_before


# --- POST /api/v1/cart/selection ------------------------------------------------------

BAD_SELECTION_BODIES = [
    *_cases({}, "checked", WRONG_BOOLEANS),
    pytest.param({"ids": [LINE_ID]}, "checked", id="checked-missing"),
    *_cases({"checked": False}, "ids", [("string", LINE_ID), ("object", {"id": LINE_ID}), ("null", None)]),
    *_cases({"checked": False}, "ids", [("number", [1001]), ("nested-list", [[LINE_ID]]), ("null-id", [None])]),
    *[
        pytest.param({"checked": False, "ids": [LINE_ID, bad]}, "ids", id=f"ids-{bad}")
        for bad in ["abc", "1:", ":2", "1:2:3", "-1:2", "0:1", "99999999999999999999:1"]
    ],
    *[pytest.param({"checked": False, name: 1}, name, id=f"unknown-{name}") for name in CLIENT_MAY_NOT_SET],
]


@pytest.mark.parametrize(("body", "field"), BAD_SELECTION_BODIES)
def test_selection_with_a_bad_body_is_refused_naming_the_field(api, cart_before, body, field):
    response = api.send("POST", SELECTION, body)

    assert_refused(response, field=field)
    assert _cart(api) == cart_before


# --- POST /api/v1/cart/merge ----------------------------------------------------------


def _merge_entries(count: int, first_item: int = 5000) -> list[dict]:
    return [{"item_id": first_item + n, "sku_id": 9000 + n, "quantity": 1} for n in range(count)]


BAD_MERGE_BODIES = [
    pytest.param({}, "items", id="items-missing"),
    *_cases({}, "items", [("null", None), ("string", "1001:2001"), ("object", MERGE_ENTRY), ("number", 1)]),
    pytest.param({"items": [MERGE_ENTRY, 5]}, "items", id="entry-not-an-object"),
    *[
        pytest.param({"items": [{**MERGE_ENTRY, field: value}]}, "items", id=f"entry-{field}-{label}")
        for field, values in [
            ("item_id", WRONG_NUMBERS + BAD_IDS),
            ("sku_id", WRONG_NUMBERS + BAD_IDS),
            ("quantity", [*WRONG_NUMBERS, ("zero", 0), ("over-max", 1000)]),
            ("checked", WRONG_BOOLEANS[:2]),
        ]
        for label, value in values
    ],
    pytest.param({"items": [{"item_id": 1003, "sku_id": 2003}]}, "items", id="entry-quantity-missing"),
    *[
        pytest.param({"items": [{**MERGE_ENTRY, name: 1}]}, "items", id=f"entry-unknown-{name}")
        for name in CLIENT_MAY_NOT_SET
    ],
    pytest.param({"items": _merge_entries(121)}, "items", id="121-entries"),
    pytest.param({"items": [MERGE_ENTRY, {**MERGE_ENTRY, "quantity": 4}]}, "items", id="duplicate-ids"),
    *_cases({"items": [MERGE_ENTRY]}, "policy", [("unknown", "min"), ("upper-case", "MAX"), ("null", None)]),
    *_cases({"items": [MERGE_ENTRY]}, "policy", [("number", 1), ("list", ["max"])]),
    *[pytest.param({"items": [MERGE_ENTRY], name: 1}, name, id=f"unknown-{name}") for name in CLIENT_MAY_NOT_SET],
]


@pytest.mark.parametrize(("body", "field"), BAD_MERGE_BODIES)
def test_merge_with_a_bad_body_is_refused_naming_the_field(api, cart_before, body, field):
    response = api.send("POST", MERGE, body)

    assert_refused(response, field=field)
    assert _cart(api) == cart_before


def test_merge_takes_exactly_120_entries(api, cart_before):
    response = api.send("POST", MERGE, {"items": _merge_entries(120)})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] > cart_before["version"]
    assert len(body["merged"]) == 119 and len(body["skipped"]) == 1


# --- Any body: malformed JSON, not an object, too large, not JSON ---------------------

MALFORMED_JSON = [
    pytest.param('{"item_id": 1002,', id="truncated"),
    pytest.param("{'item_id': 1002, 'sku_id': 2002}", id="single-quotes"),
    pytest.param("item_id=1002&sku_id=2002", id="form-encoded"),
    pytest.param('{"item_id": NaN, "sku_id": 2002}', id="nan"),
    pytest.param('{"item_id": 1002, "sku_id": Infinity}', id="infinity"),
    pytest.param('{"item_id": 1002} {"sku_id": 2002}', id="trailing-data"),
    pytest.param(b'{"item_id": "\xff\xfe", "sku_id": 2002}', id="not-utf8"),
]


@pytest.mark.parametrize(("method", "path", "_body"), WRITES_WITH_BODY)
@pytest.mark.parametrize("raw", MALFORMED_JSON)
def test_malformed_json_is_refused(api, cart_before, method, path, _body, raw):
    response = api.send(method, path, raw=raw)

    assert_refused(response)
    assert _cart(api) == cart_before


@pytest.mark.parametrize(("method", "path", "_body"), WRITES_WITH_BODY)
@pytest.mark.parametrize("raw", ["[]", '[{"item_id": 1002, "sku_id": 2002}]', "42", '"text"', "true", "null"])
def test_a_json_body_that_is_not_an_object_is_refused(api, cart_before, method, path, _body, raw):
    response = api.send(method, path, raw=raw)

    assert_refused(response, field="non_field_errors")
    assert _cart(api) == cart_before


@pytest.mark.parametrize(("method", "path", "_body"), WRITES_WITH_BODY)
def test_deeply_nested_json_is_refused_as_invalid(api, cart_before, method, path, _body):
    depth = 30_000

    response = api.send(method, path, raw="[" * depth + "]" * depth)

    assert_refused(response)
    assert _cart(api) == cart_before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_body_over_64_kib_is_refused_as_too_large(api, cart_before, method, path, body):
    raw = "{" + " " * KIB_64 + "}"

    response = api.send(method, path, raw=raw)

    assert_refused(response, status=413, code="too_large")
    assert _cart(api) == cart_before


def test_a_body_of_exactly_64_kib_is_accepted(api, cart_before):
    compact = '{"item_id": 1002, "sku_id": 2002}'
    raw = compact[:-1] + " " * (KIB_64 - len(compact)) + "}"
    assert len(raw) == KIB_64

    response = api.send("POST", ITEMS, raw=raw)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == "1002:2002"


@pytest.mark.parametrize(("method", "path", "body"), WRITES_WITH_BODY)
def test_a_body_that_is_not_json_is_refused_as_unsupported(api, cart_before, method, path, body):
    response = getattr(api, method.lower())(path, data="item_id=1002&sku_id=2002", content_type="text/plain")

    assert_refused(response, status=415, code="unsupported_media_type")
    assert _cart(api) == cart_before


# --- Line ids in the path -------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("bad_id", BAD_LINE_IDS)
def test_a_malformed_line_id_in_the_path_is_refused(api, cart_before, method, bad_id):
    response = api.send(method, f"{ITEMS}/{bad_id}", {"quantity": 1} if method == "PATCH" else None)

    assert_refused(response, field="id")
    assert _cart(api) == cart_before


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize(
    "bad_id",
    [
        pytest.param("\u00b2:1", id="superscript-two"),
        pytest.param("\u0661\u0660\u0660\u0661:\u0662\u0660\u0660\u0661", id="arabic-indic-digits"),
        pytest.param("1001:\uff12\uff10\uff10\uff11", id="fullwidth-digits"),
    ],
)
def test_a_line_id_with_non_ascii_digits_is_refused(api, cart_before, method, bad_id):
    response = api.send(method, f"{ITEMS}/{bad_id}", {"quantity": 1} if method == "PATCH" else None)

    assert_refused(response, field="id")
    assert _cart(api) == cart_before


def test_selection_names_the_bad_ids_by_position(api, cart_before):
    response = api.send("POST", SELECTION, {"checked": False, "ids": BAD_LINE_IDS})

    fields = assert_refused(response, field="ids")["fields"]
    assert set(fields["ids"]) == {str(n) for n in range(len(BAD_LINE_IDS))}
    assert _cart(api) == cart_before


# --- Headers --------------------------------------------------------------------------

BAD_IF_MATCH = ["abc", '"v17"', '"-1"', '"1.5"', '""', "W/", '"12345678901234567890"', '"1" junk']


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize("if_match", BAD_IF_MATCH)
def test_a_bad_if_match_header_is_refused(api, cart_before, method, path, body, if_match):
    response = api.send(method, path, body, HTTP_IF_MATCH=if_match)

    assert_refused(response, field="If-Match")
    assert _cart(api) == cart_before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_stale_if_match_is_refused_with_the_current_version(api, cart_before, method, path, body):
    response = api.send(method, path, body, HTTP_IF_MATCH=f'"{cart_before["version"] - 1}"')

    refusal = assert_refused(response, status=412, code="version_mismatch")
    assert refusal["current_version"] == cart_before["version"]
    assert _cart(api) == cart_before


@pytest.mark.parametrize(("method", "path", "body"), IDEMPOTENT_POSTS)
@pytest.mark.parametrize("key", ["k" * 256, "", "   "], ids=["256-chars", "empty", "blank"])
def test_a_bad_idempotency_key_is_refused(api, cart_before, method, path, body, key):
    response = api.send(method, path, body, HTTP_IDEMPOTENCY_KEY=key)

    assert_refused(response, field="Idempotency-Key")
    assert _cart(api) == cart_before


@pytest.mark.parametrize(("method", "path", "body"), IDEMPOTENT_POSTS)
def test_an_idempotency_key_of_255_chars_is_accepted(api, cart_before, method, path, body):
    response = api.send(method, path, body, HTTP_IDEMPOTENCY_KEY="k" * 255)

    assert response.status_code == 200, response.content
    assert _cart(api)["version"] > cart_before["version"]


# --- Routes, methods, credentials -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/cart/",
        "/api/v1/cart/items/",
        f"{LINE}/extra",
        "/api/v2/cart",
        "/api/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_route_under_api_is_a_json_404(api, cart_before, path, method):
    response = api.send(method, path, {"item_id": 1002, "sku_id": 2002} if method == "POST" else None)

    assert_refused(response, status=404, code="not_found")
    assert _cart(api) == cart_before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", CART),
        ("POST", CART),
        ("DELETE", CART),
        ("PATCH", CART),
        ("GET", ITEMS),
        ("PUT", ITEMS),
        ("DELETE", ITEMS),
        ("PUT", LINE),
        ("POST", LINE),
        ("GET", SELECTION),
        ("PATCH", SELECTION),
        ("GET", MERGE),
        ("PUT", MERGE),
    ],
)
def test_a_wrong_method_is_a_json_405(api, cart_before, method, path):
    body = None if method == "GET" else {"items": [MERGE_ENTRY], "quantity": 5, "checked": False}

    response = api.send(method, path, body)

    assert_refused(response, status=405, code="method_not_allowed")
    assert method not in response["Allow"]
    assert _cart(api) == cart_before


EVERY_CART_ENDPOINT = [pytest.param("GET", CART, None, id="get"), *WRITES]


@pytest.mark.parametrize(("method", "path", "body"), EVERY_CART_ENDPOINT)
def test_no_credentials_is_401_not_authenticated(api, cart_before, method, path, body):
    anonymous = APIClient()

    response = getattr(anonymous, method.lower())(path, data=body, format="json")

    assert_refused(response, status=401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert _cart(api) == cart_before


BAD_AUTHORIZATION = [
    pytest.param("Token garbage", id="garbage"),
    pytest.param("Token " + "0" * 64, id="unknown-token"),
    pytest.param("Token", id="no-token"),
    pytest.param("Token abc def", id="two-tokens"),
    pytest.param("Basic dXNlcjpwYXNz", id="other-scheme"),
]


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
@pytest.mark.parametrize(("method", "path", "body"), EVERY_CART_ENDPOINT)
def test_bad_credentials_are_401_not_authenticated(api, cart_before, method, path, body, authorization):
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=authorization)

    response = getattr(stranger, method.lower())(path, data=body, format="json")

    assert_refused(response, status=401, code="not_authenticated")
    assert _cart(api) == cart_before


def test_a_token_sharing_a_cached_tokens_key_but_not_its_secret_is_401(api, cart_before):
    forged = api.token[:-4] + ("0000" if not api.token.endswith("0000") else "1111")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {forged}")

    response = stranger.get(CART)

    assert_refused(response, status=401, code="not_authenticated")
    assert _cart(api) == cart_before


def test_a_token_that_is_not_utf8_is_401(api, cart_before):
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Token \xff\xfe")

    response = stranger.get(CART)

    assert_refused(response, status=401, code="not_authenticated")
    assert _cart(api) == cart_before


# --- Other users' lines ---------------------------------------------------------------


def test_patching_a_line_that_is_only_in_another_users_cart_is_line_not_found(api, other_api, cart_before):
    response = other_api.send("PATCH", LINE, {"quantity": 7})

    assert_refused(response, status=404, code="line_not_found")
    assert _cart(api) == cart_before
    assert _cart(other_api)["items"] == []


def test_deleting_a_line_that_is_only_in_another_users_cart_is_204_and_leaves_it(api, other_api, cart_before):
    response = other_api.send("DELETE", LINE)

    assert response.status_code == 204
    assert response.content == b""
    assert _cart(api) == cart_before


def test_selecting_another_users_line_ids_leaves_their_cart_alone(api, other_api, cart_before):
    response = other_api.send("POST", SELECTION, {"checked": False, "ids": [LINE_ID]})

    assert response.status_code == 200, response.content
    assert response.json()["items"] == []
    assert _cart(api) == cart_before


# --- Several problems at once ---------------------------------------------------------


def test_every_bad_field_is_named_at_once(api, cart_before):
    response = api.send("POST", ITEMS, {"item_id": "1002", "sku_id": 0, "quantity": 1000})

    fields = assert_refused(response)["fields"]
    assert set(fields) == {"item_id", "sku_id", "quantity"}
    assert _cart(api) == cart_before


def test_an_unknown_field_is_named_alongside_a_bad_known_field(api, cart_before):
    response = api.send("POST", ITEMS, {"item_id": "1002", "sku_id": 2002, "price": "0.01"})

    fields = assert_refused(response)["fields"]
    assert set(fields) == {"item_id", "price"}
    assert _cart(api) == cart_before


# --- A refused request leaves its Idempotency-Key unused ------------------------------


@pytest.mark.parametrize(("method", "path", "body"), IDEMPOTENT_POSTS)
def test_a_body_refused_as_invalid_does_not_use_up_its_idempotency_key(api, cart_before, method, path, body):
    refused = api.send(method, path, {**body, "user_id": 1}, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert_refused(refused, field="user_id")

    response = api.send(method, path, body, HTTP_IDEMPOTENCY_KEY="retry-me")

    assert response.status_code == 200, response.content
    assert "Idempotent-Replayed" not in response
    assert _cart(api)["version"] > cart_before["version"]


@pytest.mark.parametrize(("method", "path", "body"), IDEMPOTENT_POSTS)
def test_a_malformed_if_match_does_not_use_up_its_idempotency_key(api, cart_before, method, path, body):
    refused = api.send(method, path, body, HTTP_IDEMPOTENCY_KEY="retry-me", HTTP_IF_MATCH="v17")
    assert_refused(refused, field="If-Match")

    response = api.send(
        method, path, body, HTTP_IDEMPOTENCY_KEY="retry-me", HTTP_IF_MATCH=f'"{cart_before["version"]}"'
    )

    assert response.status_code == 200, response.content
    assert _cart(api)["version"] > cart_before["version"]


# --- the serializer-free path of add and quantity updates -------------------------------

_ids = st.one_of(
    st.integers(min_value=-2, max_value=3), st.integers(min_value=2**63 - 3, max_value=2**63 + 1), st.booleans()
)
_values = st.one_of(
    _ids, st.floats(allow_nan=False), st.text(max_size=3), st.none(), st.lists(st.integers(), max_size=1)
)
_bodies = st.one_of(
    st.dictionaries(st.sampled_from(["item_id", "sku_id", "quantity", "delta", "checked", "qty"]), _values, max_size=4),
    st.dictionaries(
        st.sampled_from(["item_id", "sku_id", "quantity"]),
        st.one_of(_ids, st.integers(min_value=-1, max_value=1001)),
        max_size=3,
    ),
    st.lists(st.integers(), max_size=2),
    st.none(),
)


@pytest.mark.parametrize("serializer_class", [AddLineIn, UpdateLineIn])
@settings(max_examples=400, deadline=None)
@given(body=_bodies)
def test_the_plain_path_accepts_only_what_the_serializer_accepts_with_the_same_data(serializer_class, body):
    serializer = serializer_class(data=body)
    valid = serializer.is_valid()

    plain = serializer_class.plain(body)

    if plain is not None:
        assert valid and dict(serializer.validated_data) == plain
    if valid and serializer_class is AddLineIn:
        assert plain == dict(serializer.validated_data)  # every valid add takes the plain path
