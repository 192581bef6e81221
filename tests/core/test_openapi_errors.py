"""The OpenAPI document names every error API.md lets an operation answer, with the error
body and, on 429 and 503, ``Retry-After``; request bodies and parameters are described as
strictly as the server checks them. (The live fuzzer, tests/test_fuzz_api.py, holds the
server to this document.)"""

import re

import pytest
import yaml

from cart.engine.lines import parse_line_id
from core.ids import ID_PATTERN, LINE_ID_PATTERN, MAX_ID
from tests.api_client import ApiClient
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"

# API.md's errors, per operation (the 2xx/304 answers aside).
EXPECTED = {
    ("post", "/api/v1/auth/register"): {400, 413, 429, 503},
    ("post", "/api/v1/auth/token"): {400, 413, 429, 503},
    ("post", "/api/v1/auth/logout"): {401, 503},
    ("get", "/api/v1/cart"): {401, 429, 503},
    ("post", "/api/v1/cart/items"): {400, 401, 409, 412, 413, 422, 429, 503},
    ("patch", "/api/v1/cart/items/{line_id}"): {400, 401, 404, 412, 413, 429, 503},
    ("delete", "/api/v1/cart/items/{line_id}"): {400, 401, 412, 429, 503},
    ("post", "/api/v1/cart/selection"): {400, 401, 409, 412, 413, 422, 429, 503},
    ("post", "/api/v1/cart/merge"): {400, 401, 409, 412, 413, 422, 429, 503},
    ("post", "/api/v1/checkout"): {400, 401, 404, 409, 412, 413, 422, 429, 503},
    ("post", "/api/v1/cart/share"): {400, 401, 409, 422, 429, 503},
    ("get", "/api/v1/shared-carts/{token}"): {400, 404, 429, 503},
    ("post", "/api/v1/shared-carts/{token}/import"): {400, 401, 404, 409, 412, 413, 422, 429, 503},
    ("get", "/api/v1/cart/recommendations"): {400, 401, 429, 503},
    ("get", "/api/v1/products"): {400, 401, 404, 429, 503},
    ("get", "/api/v1/products/{item_id}"): {400, 401, 404, 429, 503},
    ("get", "/api/v1/cart/events"): {401, 503},
    ("get", "/api/v1/saved"): {401, 429, 503},
    ("post", "/api/v1/cart/items/{line_id}/save-for-later"): {400, 401, 404, 409, 412, 422, 429, 503},
    ("post", "/api/v1/saved/{line_id}/move-to-cart"): {400, 401, 404, 409, 412, 422, 429, 503},
    ("delete", "/api/v1/saved/{line_id}"): {400, 401, 412, 429, 503},
}


@pytest.fixture(scope="module")
def document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operation(document, method, path):
    return document["paths"][path][method]


def test_every_operation_is_listed_here(document):
    operations = {(m, p) for p, item in document["paths"].items() for m in item}
    assert operations == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED), ids=lambda v: str(v))
def test_each_operation_lists_its_errors_with_the_error_body(document, method, path):
    responses = _operation(document, method, path)["responses"]
    errors = {int(code) for code in responses if int(code) >= 400}
    assert errors == EXPECTED[(method, path)]
    for code in errors:
        response = responses[str(code)]
        assert response["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
        assert response["description"], f"{method} {path} {code} says nothing"
        if code in (429, 503):
            assert response["headers"]["Retry-After"]["required"] is True


def test_declared_errors_name_their_codes(document):
    add = _operation(document, "post", "/api/v1/cart/items")["responses"]
    assert "`cart_full`" in add["409"]["description"]
    assert "`request_in_progress`" in add["409"]["description"]  # what Idempotency-Key adds
    assert "`idempotency_key_reused`" in add["422"]["description"]
    checkout = _operation(document, "post", "/api/v1/checkout")["responses"]
    for code in ("`sold_out`", "`unavailable`", "`price_changed`", "`checkout_in_progress`"):
        assert code in checkout["409"]["description"]
    assert "`cart_empty`" in _operation(document, "post", "/api/v1/cart/share")["responses"]["409"]["description"]
    assert (
        "`too_many_attempts`" in _operation(document, "post", "/api/v1/auth/token")["responses"]["429"]["description"]
    )


def test_the_error_body_is_a_component(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "detail"}
    assert {"fields", "ids", "current_version"} <= set(error["properties"])


def test_request_bodies_refuse_unknown_fields_and_say_what_validate_checks(document):
    schemas = document["components"]["schemas"]
    for name in ("AddLineIn", "PatchedUpdateLineIn", "SelectionIn", "MergeIn", "MergeLineIn", "CheckoutIn"):
        assert schemas[name]["additionalProperties"] is False, name
        assert "description" not in schemas[name], f"{name} carries the base class's docstring"
    update = schemas["PatchedUpdateLineIn"]
    assert update["minProperties"] == 1 and update["not"] == {"required": ["quantity", "delta"]}
    assert update["properties"]["delta"]["not"] == {"enum": [0]}
    patch = _operation(document, "patch", "/api/v1/cart/items/{line_id}")
    assert patch["requestBody"]["required"] is True


def test_headers_and_path_ids_carry_the_patterns_the_server_checks(document):
    parameters = {p["name"]: p["schema"] for p in _operation(document, "post", "/api/v1/cart/items")["parameters"]}
    assert re.fullmatch(parameters["If-Match"]["pattern"], '"17"') and re.fullmatch(
        parameters["If-Match"]["pattern"], "*"
    )
    assert not re.search(parameters["If-Match"]["pattern"], '"TokenOut"')
    assert parameters["Idempotency-Key"]["maxLength"] == 255
    line = {p["name"]: p["schema"] for p in _operation(document, "patch", "/api/v1/cart/items/{line_id}")["parameters"]}
    assert line["line_id"]["pattern"] == LINE_ID_PATTERN


@pytest.mark.parametrize(
    ("number", "is_id"),
    [(1, True), (9, True), (10, True), (MAX_ID, True), (MAX_ID - 1, True), (MAX_ID + 1, False), (0, False)]
    + [(10**k, k < 19) for k in range(1, 21)]
    + [(MAX_ID - 10**k, True) for k in range(18)],
)
def test_the_id_pattern_is_exactly_one_to_max_id(number, is_id):
    assert bool(re.fullmatch(ID_PATTERN, str(number))) is is_id


def test_a_line_id_has_one_spelling():
    assert parse_line_id("17:42") == (17, 42)
    assert parse_line_id(f"{MAX_ID}:{MAX_ID}") == (MAX_ID, MAX_ID)
    for other in ("017:42", "17:042", "0:42", f"{MAX_ID + 1}:1", "17:42 ", "\u0661\u0667:42"):
        assert parse_line_id(other) is None, other


def test_a_product_has_one_url():
    sku = SkuFactory()
    api = ApiClient()
    assert api.send("GET", f"/api/v1/products/{sku.item_id}").json()["item_id"] == sku.item_id
    leading_zero = api.send("GET", f"/api/v1/products/0{sku.item_id}")
    assert leading_zero.status_code == 404 and leading_zero.json()["code"] == "not_found"


@pytest.mark.parametrize("page", ["", "last", "0", "x"])
def test_a_page_is_a_positive_number_or_absent(page):
    SkuFactory()
    response = ApiClient().send("GET", f"/api/v1/products?page={page}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert ApiClient().send("GET", "/api/v1/products?page=1").json()["count"] == 1


def test_the_served_document_is_the_one_tested(client):
    served = yaml.safe_load(client.get("/api/schema/").content)
    assert "503" in served["paths"]["/api/v1/cart"]["get"]["responses"]
