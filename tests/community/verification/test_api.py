"""The verification API: my status, submitting, the operator's decision; masked numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import IdentityRecord, LevelChange
from community.services.verification import identity_submit
from community.verification import sandbox
from tests.community.verification.conftest import WANG_FANG, make_operator

pytestmark = pytest.mark.django_db

NUMBER = WANG_FANG[1]


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def submit(api, name="王芳", number=NUMBER):
    return api.post(
        reverse("api-verification"), {"real_name": name, "id_number": number}, format="json"
    )


def test_an_unverified_resident_is_told_the_first_step(resident):
    body = client_for(resident).get(reverse("api-verification")).json()
    assert body["level"] == 0 and body["id_number_masked"] == "" and body["verified_at"] is None
    assert [step["code"] for step in body["next_steps"]] == ["verify_identity"]
    assert [a["limit_minor"] for a in body["allowances"]] == [1_000_00, 100_000_00, 200_000_00]


def test_submitting_returns_level_one_with_the_number_masked(resident):
    api = client_for(resident)
    response = submit(api)

    assert response.status_code == 201
    body = response.json()
    assert body["level"] == 1
    assert body["id_number_masked"] == "110***********4522"
    assert body["remaining_minor"] == 1_000_00
    assert [step["code"] for step in body["next_steps"]] == ["bind_card", "confirm_household"]
    assert body["next_steps"][0]["url"] == reverse("wallet-cards")
    assert NUMBER not in response.content.decode()
    assert NUMBER not in api.get(reverse("api-verification")).content.decode()


def test_an_invalid_number_names_the_rule(resident):
    response = submit(client_for(resident), number="110101199902301231")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_identity_number" and error["rule"] == "birth_date"
    assert error["fields"]["id_number"] == [error["message"]]


def test_provider_down_is_503_and_saves_nothing(resident):
    sandbox.inject_fault(sandbox.DOWN)
    response = submit(client_for(resident))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "verification_unavailable"
    assert not IdentityRecord.objects.exists()


def test_a_mismatch_then_the_rate_limit(resident):
    api = client_for(resident)
    for _attempt in range(5):
        response = submit(api, name="李雷")
        assert response.json()["error"]["code"] == "identity_not_confirmed"
    response = submit(api)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_already_verified_is_409(resident):
    api = client_for(resident)
    submit(api)
    response = submit(api)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_verified"


def test_the_api_needs_a_login(db):
    assert APIClient().get(reverse("api-verification")).status_code == 401


# --- operator ------------------------------------------------------------------------------


def level_call(api, user_id, level=0, reason="Reported fraud"):
    return api.post(
        reverse("api-operator-verification-level"),
        {"user_id": user_id, "level": level, "reason": reason},
        format="json",
    )


def test_operator_lowers_a_level_through_the_api(client, resident):
    identity_submit(user=resident, real_name="王芳", id_number=NUMBER)
    operator = make_operator()
    client.force_login(operator)  # a session: operators use two-factor, not tokens

    response = client.post(
        reverse("api-operator-verification-level"),
        {"user_id": resident.pk, "level": 0, "reason": "Reported fraud"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["level"] == 0 and body["id_number_masked"] == "110***********4522"
    assert [(c["from_level"], c["to_level"], c["source"]) for c in body["history"]] == [
        (1, 0, "operator"),
        (0, 1, "provider"),
    ]
    assert body["history"][0]["reason"] == "Reported fraud"
    assert NUMBER not in response.content.decode()


def test_operator_endpoint_refuses_others(resident, estate):
    identity_submit(user=resident, real_name="王芳", id_number=NUMBER)
    response = level_call(client_for(resident), resident.pk)
    assert response.status_code == 403
    assert not LevelChange.objects.filter(source="operator").exists()


def test_operator_endpoint_errors(resident):
    identity_submit(user=resident, real_name="王芳", id_number=NUMBER)
    api = client_for(make_operator())
    assert level_call(api, 999_999).status_code == 404
    above = level_call(api, resident.pk, level=3)
    assert above.status_code == 422
    assert above.json()["error"] == {
        "code": "level_above_evidence",
        "message": above.json()["error"]["message"],
        "fields": {},
        "supported_level": 1,
    }
    no_reason = level_call(api, resident.pk, reason="")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]


def test_operator_endpoint_history_has_a_fixed_number_of_queries(
    resident, django_assert_max_num_queries
):
    identity_submit(user=resident, real_name="王芳", id_number=NUMBER)
    api = client_for(make_operator())
    with django_assert_max_num_queries(14):
        first = level_call(api, resident.pk, level=0, reason="one")
    assert len(first.json()["history"]) == 2
    for index in range(6):
        level_call(api, resident.pk, level=(index + 1) % 2, reason=f"r{index}")
    with django_assert_max_num_queries(14):
        last = level_call(api, resident.pk, level=0, reason="last")
    assert len(last.json()["history"]) == 9
