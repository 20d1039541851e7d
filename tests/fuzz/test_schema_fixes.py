"""What the fuzzer found, pinned down without the fuzzer (these run on SQLite too)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def operations() -> dict[str, dict[str, Any]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
    }


@pytest.mark.django_db
def test_an_api_url_that_matches_no_route_answers_in_the_error_shape(client):
    # <int:...> does not match a negative id, so no view runs: the 404 handler answers.
    response = client.get("/api/v1/shops/-1/payments/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_page_url_that_matches_no_route_still_gets_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "operation_id",
    [
        "notifications_list",
        "wallet_history",
        "merchant_payments_list",
        "merchant_settlements_list",
        "merchants_applications_list",
        "merchants_shop_invites_list",
    ],
)
def test_paginated_lists_document_the_page_envelope(operations, operation_id):
    body = operations[operation_id]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "$ref" in body and "Paginated" in body["$ref"], body


@pytest.mark.parametrize(
    ("operation_id", "status"),
    [
        ("circles_create", "201"),
        ("circles_post_unlike", "200"),
        ("announcements_unpin", "200"),
    ],
)
def test_operations_document_the_status_they_answer_with(operations, operation_id, status):
    assert status in operations[operation_id]["responses"]


def test_refusals_of_writes_are_documented(operations):
    for operation_id, operation in operations.items():
        if operation_id.endswith(("_list", "_retrieve")):
            continue
        responses = operations[operation_id]["responses"]
        if "requestBody" in operation or any(code in responses for code in ("201", "204")):
            assert {"409", "422"} <= set(responses), operation_id


def test_the_bank_callback_documents_its_signature_refusal(operations):
    assert "403" in operations["wallet_bank_callback"]["responses"]


def test_a_level_change_made_by_the_system_may_have_no_actor(operations):
    response = operations["operator_verification_level_set"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("Output")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["LevelChange"]["properties"]["actor"]["nullable"]
