"""Sign up, log in and out through allauth with a mobile number or an e-mail address."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.urls import reverse

from community.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, login_value, password=DEFAULT_PASSWORD):
    return client.post(reverse("account_login"), {"login": login_value, "password": password})


def test_sign_up_with_a_mobile_number_then_verify_it_by_text(client, sms_outbox):
    response = client.post(
        reverse("account_signup"),
        {
            "phone": "138 1234 5678",
            "email": "Neighbour@Example.com",
            "password1": "quiet-garden-2026",
            "password2": "quiet-garden-2026",
            "display_name": "小王",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")

    user = User.objects.get(phone="+8613812345678")
    assert user.display_name == "小王"
    assert user.email == "neighbour@example.com"
    assert user.role == User.Role.RESIDENT
    assert user.preferred_language == "en"
    assert not user.phone_verified

    assert [message.to for message in sms_outbox] == ["+8613812345678"]
    code = re.search(r"code is (\S+)\.", sms_outbox[0].body).group(1)
    response = client.post(reverse("account_verify_phone"), {"code": code})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified


def test_sign_up_refuses_a_landline(client):
    response = client.post(
        reverse("account_signup"),
        {
            "phone": "010 6552 9988",
            "password1": "quiet-garden-2026",
            "password2": "quiet-garden-2026",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get("phone")
    assert not User.objects.exists()


def test_sign_up_with_a_taken_number_reveals_nothing_and_tells_the_owner(client, sms_outbox):
    owner = UserFactory(phone="+8613812345678")
    response = client.post(
        reverse("account_signup"),
        {
            "phone": "13812345678",
            "password1": "quiet-garden-2026",
            "password2": "quiet-garden-2026",
        },
    )
    # Looks like any other sign-up, so nobody can probe which numbers have accounts.
    assert response.status_code == 302
    assert list(User.objects.all()) == [owner]
    assert [message.to for message in sms_outbox] == ["+8613812345678"]
    assert "verification code" not in sms_outbox[0].body


@pytest.mark.parametrize("typed", ["13612340000", "136 1234 0000", "+86 136-1234-0000"])
def test_log_in_with_a_mobile_number_as_typed(client, typed):
    user = UserFactory(phone="+8613612340000")
    response = login(client, typed)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_log_in_with_an_email_address_and_log_out(client):
    user = UserFactory(email="resident@example.com")
    response = login(client, "Resident@Example.com")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_does_not_log_in(client):
    UserFactory(phone="+8613612340000")
    response = login(client, "13612340000", "wrong-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_rate_limit_trips_after_five_failures_for_one_account(client):
    UserFactory(phone="+8613612340000")
    for _attempt in range(5):
        response = login(client, "13612340000", "wrong-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # Even the right password is refused while the limit holds.
    response = login(client, "13612340000")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Too many" in errors or "过多" in errors or "太多" in errors


def test_operator_without_two_factor_is_sent_to_set_it_up(client):
    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    client.force_login(operator)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")

    api = client.get(reverse("api-me"))
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "mfa_required"

    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert client.get(reverse("home")).status_code == 200


def test_operator_with_two_factor_must_give_a_code_to_log_in(client):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    TOTP.activate(operator, secret)
    response = login(client, operator.phone)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    import time

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)
    assert Authenticator.objects.filter(user=operator).exists()


def test_password_reset_sends_an_email(client, mailoutbox):
    UserFactory(email="resident@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "resident@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "resident@example.com" in mailoutbox[0].to
