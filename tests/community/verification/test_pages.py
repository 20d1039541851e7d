"""Verification pages: /verify/, the operator's page, the estate's in-person check, admin.

The identity number appears only masked on every one of them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import IdentityRecord, LevelChange, Membership
from community.services.verification import identity_submit, level_set_by_operator
from community.verification import sandbox
from tests.community.conftest import make_staff
from tests.community.verification.conftest import LI_MING, WANG_FANG, make_operator, unverified

pytestmark = pytest.mark.django_db

NUMBER = WANG_FANG[1]


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return resident


def verify(user, person=WANG_FANG):
    return identity_submit(user=user, real_name=person[0], id_number=person[1])


def test_verify_page_is_one_short_form_with_phone_hints(client, signed_in):
    page = client.get(reverse("verify")).content.decode()
    assert 'name="real_name"' in page and 'name="id_number"' in page
    assert 'autocomplete="off"' in page and 'maxlength="18"' in page
    assert 'inputmode="text"' in page and 'pattern="[0-9]{17}[0-9Xx]"' in page


def test_verifying_on_the_page_shows_level_one_and_only_the_masked_number(client, signed_in):
    response = client.post(reverse("verify"), {"real_name": "王芳", "id_number": NUMBER})
    assert response.status_code == 302

    page = client.get(response["Location"]).content.decode()
    assert "110***********4522" in page
    assert NUMBER not in page and NUMBER[3:14] not in page
    assert "¥1,000.00" in page and "¥100,000.00" in page and "¥200,000.00" in page
    assert 'data-step="bind_card"' in page and reverse("wallet-cards") in page
    assert 'data-step="confirm_household"' in page
    assert 'data-level="1"' in page


def test_a_typo_is_explained_beside_the_field(client, signed_in):
    response = client.post(
        reverse("verify"), {"real_name": "王芳", "id_number": "110101199003074521"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "id_number" in errors and "typo" in errors["id_number"][0]
    assert not IdentityRecord.objects.exists()


def test_provider_trouble_says_try_again_later(client, signed_in):
    sandbox.inject_fault(sandbox.TIMEOUT)
    response = client.post(reverse("verify"), {"real_name": "王芳", "id_number": NUMBER})
    assert response.status_code == 200
    assert "try again later" in response.context["form"].non_field_errors()[0]
    assert not IdentityRecord.objects.exists()
    # The resident's entries are kept for the second try.
    assert response.context["form"]["id_number"].value() == NUMBER


def test_verify_page_needs_a_login(client):
    assert client.get(reverse("verify")).status_code == 302


# --- operator ----------------------------------------------------------------------------


@pytest.fixture
def operator_client(client):
    client.force_login(make_operator())
    return client


def test_residents_cannot_open_the_operator_page(client, signed_in):
    assert client.get(reverse("operator-verification")).status_code == 403


@pytest.mark.parametrize("query", ["phone", NUMBER, "110105 19491231002x"])
def test_operator_finds_a_user_by_phone_or_identity_number(operator_client, resident, query):
    person = WANG_FANG if query != "110105 19491231002x" else ("张伟", "11010519491231002X")
    verify(resident, person)
    query = resident.phone_display if query == "phone" else query
    response = operator_client.post(
        reverse("operator-verification"), {"action": "lookup", "query": query}
    )
    assert response.context["found"] == resident
    page = response.content.decode()
    assert IdentityRecord.objects.get().id_number_masked in page
    assert person[1] not in page


def test_operator_lowers_a_level_on_the_page(operator_client, resident):
    verify(resident)
    response = operator_client.post(
        reverse("operator-verification"),
        {"action": "level", "user_id": resident.pk, "level": 0, "reason": "Reported fraud"},
    )
    assert response.status_code == 302
    page = operator_client.get(response["Location"]).content.decode()
    assert "Reported fraud" in page
    resident.refresh_from_db()
    assert resident.verification_level == 0


def test_operator_page_shows_refusals_on_the_form(operator_client, resident):
    verify(resident)
    response = operator_client.post(
        reverse("operator-verification"),
        {"action": "level", "user_id": resident.pk, "level": 3, "reason": "VIP"},
    )
    assert response.status_code == 200
    assert response.context["level_form"].non_field_errors()
    resident.refresh_from_db()
    assert resident.verification_level == 1


def test_level_history_has_a_fixed_number_of_queries(
    operator_client, resident, django_assert_max_num_queries
):
    verify(resident)
    operator = make_operator()

    def history_page():
        return operator_client.get(reverse("operator-verification"), {"user": resident.pk})

    with django_assert_max_num_queries(7):
        history_page()  # one change
    for index in range(8):
        level = index % 2  # 0, 1, 0, 1 ...
        level_set_by_operator(operator=operator, user=resident, level=level, reason=f"r{index}")
    assert LevelChange.objects.filter(user=resident).count() == 9
    with django_assert_max_num_queries(7):
        response = history_page()
    assert len(response.context["history"]) == 9
    assert response.content.decode().count("data-change=") == 9


# --- in-person check ----------------------------------------------------------------------


def in_person_url(estate):
    return reverse("estate-in-person-check", args=[estate.pk])


@pytest.fixture
def estate_resident(resident, estate):
    Membership.objects.create(user=resident, neighbourhood=estate)
    verify(resident)
    return resident


def test_staff_look_up_and_confirm_a_resident_in_person(client, estate, estate_resident):
    client.force_login(make_staff(estate))
    page = client.get(in_person_url(estate), {"phone": estate_resident.phone_display})
    assert page.context["resident"] == estate_resident
    content = page.content.decode()
    assert "110***********4522" in content and NUMBER not in content

    response = client.post(
        in_person_url(estate), {"phone": estate_resident.phone_display, "seen": "on"}
    )
    assert response.status_code == 302
    assert IdentityRecord.objects.get(user=estate_resident).in_person_confirmed_at is not None


def test_confirming_needs_the_box_ticked(client, estate, estate_resident):
    client.force_login(make_staff(estate))
    response = client.post(in_person_url(estate), {"phone": estate_resident.phone_display})
    assert response.status_code == 200
    assert IdentityRecord.objects.get(user=estate_resident).in_person_confirmed_at is None


def test_staff_of_another_estate_and_residents_get_404(
    client, estate, other_estate, estate_resident
):
    client.force_login(make_staff(other_estate))
    assert client.get(in_person_url(estate)).status_code == 404
    response = client.post(
        in_person_url(estate), {"phone": estate_resident.phone_display, "seen": "on"}
    )
    assert response.status_code == 404
    client.force_login(estate_resident)
    assert client.get(in_person_url(estate)).status_code == 404
    assert IdentityRecord.objects.get(user=estate_resident).in_person_confirmed_at is None


def test_staff_cannot_reach_people_outside_their_estate(client, estate, other_estate, registry):
    outsider = unverified()
    Membership.objects.create(user=outsider, neighbourhood=other_estate)
    verify(outsider, LI_MING)
    client.force_login(make_staff(estate))

    page = client.get(in_person_url(estate), {"phone": outsider.phone_display})
    assert page.context["resident"] is None
    response = client.post(in_person_url(estate), {"phone": outsider.phone_display, "seen": "on"})
    assert response.status_code == 404
    assert IdentityRecord.objects.get(user=outsider).in_person_confirmed_at is None


# --- admin ---------------------------------------------------------------------------------


def test_admin_shows_identity_records_masked_and_read_only(client, resident):
    record = verify(resident)
    admin_user = make_operator()
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    client.force_login(admin_user)

    changelist = client.get(reverse("admin:community_identityrecord_changelist"))
    assert changelist.status_code == 200
    assert "110***********4522" in changelist.content.decode()
    assert NUMBER not in changelist.content.decode()
    detail = client.get(reverse("admin:community_identityrecord_change", args=[record.pk]))
    assert detail.status_code == 200 and NUMBER not in detail.content.decode()
    found = client.get(reverse("admin:community_identityrecord_changelist"), {"q": "王芳"})
    assert found.context["cl"].result_count == 1
    assert client.get(reverse("admin:community_identityrecord_add")).status_code == 403
