"""The API: one error shape in the caller's language, token and session auth, the schema."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def assert_error_shape(body: dict, code: str) -> dict:
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message", "fields"} <= set(error)
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


def test_schema_validates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/me/" in text
    assert "ErrorDetail" in text


def test_schema_and_docs_are_served(client):
    assert client.get(reverse("api-schema")).status_code == 200
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    # The docs page loads its assets from us, never from a CDN.
    assert b"cdn." not in docs.content and b"unpkg" not in docs.content


def test_unauthenticated_error_in_the_callers_language(api):
    english = api.get(reverse("api-me"), HTTP_ACCEPT_LANGUAGE="en")
    chinese = api.get(reverse("api-me"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert english.status_code == chinese.status_code == 401
    assert english["WWW-Authenticate"] == "Token"
    en_error = assert_error_shape(english.json(), "not_authenticated")
    zh_error = assert_error_shape(chinese.json(), "not_authenticated")
    assert en_error["message"] == "Authentication credentials were not provided."
    assert is_chinese(zh_error["message"])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_validation_error_lists_fields_in_the_callers_language(api, language):
    user = UserFactory(preferred_language="")
    api.force_authenticate(user)
    response = api.patch(
        reverse("api-me"), {"preferred_language": "klingon"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    error = assert_error_shape(response.json(), "validation_failed")
    field_message = error["fields"]["preferred_language"][0]
    if language == "en":
        assert error["message"] == "Some of the values are not valid."
        assert "is not a valid choice" in field_message
    else:
        assert is_chinese(error["message"]) and is_chinese(field_message)
    user.refresh_from_db()
    assert user.preferred_language == ""


def test_the_users_saved_language_wins_over_the_browsers(api):
    user = UserFactory(preferred_language="zh-hans")
    api.force_authenticate(user)
    response = api.patch(
        reverse("api-me"), {"preferred_language": "klingon"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert is_chinese(response.json()["error"]["message"])


def test_not_found_and_method_not_allowed_have_the_shape(api):
    api.force_authenticate(UserFactory())
    response = api.post(reverse("api-notification-read", args=[999999]))
    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")
    response = api.delete(reverse("api-me"))
    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


def test_malformed_json_has_the_shape(api):
    api.force_authenticate(UserFactory())
    response = api.generic("PATCH", reverse("api-me"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json(), "malformed_request")


def test_me_reads_and_updates_the_profile(api):
    user = UserFactory(display_name="旧名字")
    api.force_authenticate(user)
    assert api.get(reverse("api-me")).json()["phone"] == user.phone
    response = api.patch(
        reverse("api-me"), {"display_name": " 新名字 ", "preferred_language": "en"}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.preferred_language) == ("新名字", "en")


def test_a_mobile_client_logs_in_for_a_token_and_uses_it(api):
    user = UserFactory(phone="+8613612340000")
    response = api.post(
        reverse("api-token-login"), {"login": "136 1234 0000", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api-me")).json()["id"] == user.pk

    assert client.post(reverse("api-token-revoke")).status_code == 204
    response = client.get(reverse("api-me"))
    assert response.status_code == 401
    assert_error_shape(response.json(), "authentication_failed")


def test_token_login_refuses_bad_credentials_then_rate_limits(api):
    UserFactory(phone="+8613612340000")
    for _attempt in range(5):
        response = api.post(
            reverse("api-token-login"), {"login": "13612340000", "password": "nope"}
        )
        assert response.status_code == 400
        assert_error_shape(response.json(), "invalid_credentials")
    response = api.post(
        reverse("api-token-login"), {"login": "13612340000", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429
    assert_error_shape(response.json(), "too_many_login_attempts")


def test_operators_get_no_api_token(api):
    UserFactory(phone="+8613612340000", role=User.Role.OPERATOR)
    response = api.post(
        reverse("api-token-login"), {"login": "13612340000", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert_error_shape(response.json(), "operator_token_refused")
