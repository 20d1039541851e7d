"""Onboarding pages: applying, the staff page, my invitations, the operators' queue and the
estate's shop directory; scoping (404 across shops and estates) and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merchants.models import Shop, ShopStaff, StaffInvite
from merchants.services import onboarding as services
from merchants.services.accounts import shop_account
from tests.merchants.conftest import make_cashier, make_shop
from tests.merchants.onboarding.conftest import (
    BAD_CHECK_CODE,
    GOOD_CODE,
    make_applicant,
    make_card,
    make_operator,
    queries_of,
)
from wallet.paylinks import make_url

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def apply_form(estate, card, **overrides):
    data = {
        "name": "老李修鞋",
        "category": Shop.Category.SERVICES,
        "neighbourhood": estate.pk,
        "address": "阳光路 8 号",
        "description": "",
        "business_name": "福州老李修鞋店",
        "credit_code": GOOD_CODE,
        "settlement_card": card.pk,
    }
    data.update(overrides)
    return data


# --- applying ------------------------------------------------------------------------------


def test_a_verified_person_applies_with_one_of_their_cards(client, estate, applicant, card):
    signed_in(client, applicant)
    page = client.get(reverse("merchant-apply")).content.decode()
    assert "data-apply-form" in page
    assert f'value="{card.pk}"' in page

    response = client.post(reverse("merchant-apply"), apply_form(estate, card))

    assert response.status_code == 302
    shop = Shop.objects.get()
    assert shop.owner == applicant
    assert shop.status == Shop.Status.PENDING


def test_the_apply_page_asks_an_unverified_person_to_verify_first(client, estate):
    person = make_applicant(estate, level=0)
    signed_in(client, person)

    page = client.get(reverse("merchant-apply")).content.decode()

    assert "data-needs-verification" in page
    assert "data-apply-form" not in page


def test_a_malformed_code_is_shown_on_the_form(client, estate, applicant, card):
    signed_in(client, applicant)

    response = client.post(reverse("merchant-apply"), apply_form(estate, card, credit_code="1234"))

    assert response.status_code == 200
    assert "18 characters" in response.content.decode()
    assert not Shop.objects.exists()


def test_another_persons_card_cannot_be_posted(client, estate, applicant, card):
    stranger_card = make_card(make_applicant(estate))
    signed_in(client, applicant)

    response = client.post(
        reverse("merchant-apply"), apply_form(estate, card, settlement_card=stranger_card.pk)
    )

    assert response.status_code == 200
    assert not Shop.objects.exists()


def test_the_home_page_links_applying_and_invitations(client, shop):
    signed_in(client, shop.owner)

    page = client.get(reverse("merchant-home")).content.decode()

    assert reverse("merchant-apply") in page
    assert reverse("merchant-invites") in page
    assert reverse("merchant-staff", args=[shop.pk]) in page


# --- staff ---------------------------------------------------------------------------------


def test_the_owner_invites_and_withdraws_on_the_staff_page(client, shop):
    signed_in(client, shop.owner)

    response = client.post(reverse("merchant-staff", args=[shop.pk]), {"phone": "139 1234 5678"})

    assert response.status_code == 302
    invite = StaffInvite.objects.get(shop=shop)
    page = client.get(reverse("merchant-staff", args=[shop.pk])).content.decode()
    assert f'data-invite="{invite.pk}"' in page
    client.post(reverse("merchant-invite-revoke", args=[shop.pk, invite.pk]))
    invite.refresh_from_db()
    assert invite.status == StaffInvite.Status.REVOKED


def test_a_cashier_sees_the_staff_but_cannot_invite(client, shop):
    cashier = make_cashier(shop)
    signed_in(client, cashier)

    page = client.get(reverse("merchant-staff", args=[shop.pk])).content.decode()
    assert "data-invite-form" not in page
    response = client.post(reverse("merchant-staff", args=[shop.pk]), {"phone": "13912345678"})

    assert response.status_code == 403
    assert not StaffInvite.objects.exists()


def test_a_cashier_of_another_shop_gets_404(client, shop, other_shop):
    cashier = make_cashier(other_shop)
    row = ShopStaff.objects.get(shop=shop, user=shop.owner)
    invite = services.staff_invite(owner=shop.owner, shop=shop, phone="13912345678")
    signed_in(client, cashier)

    assert client.get(reverse("merchant-staff", args=[shop.pk])).status_code == 404
    assert (
        client.post(reverse("merchant-invite-revoke", args=[shop.pk, invite.pk])).status_code == 404
    )
    assert client.post(reverse("merchant-staff-remove", args=[shop.pk, row.pk])).status_code == 404
    # nor can shop X's page reach shop Y's rows
    assert (
        client.post(reverse("merchant-invite-revoke", args=[other_shop.pk, invite.pk])).status_code
        == 404
    )


def test_the_owner_removes_a_cashier(client, shop):
    cashier = make_cashier(shop)
    row = ShopStaff.objects.get(shop=shop, user=cashier)
    signed_in(client, shop.owner)

    client.post(reverse("merchant-staff-remove", args=[shop.pk, row.pk]))

    assert not ShopStaff.objects.filter(pk=row.pk).exists()


def test_an_invitee_accepts_on_my_invitations(client, shop, estate):
    resident = make_applicant(estate)
    invite = services.staff_invite(owner=shop.owner, shop=shop, phone=resident.phone)
    signed_in(client, resident)

    page = client.get(reverse("merchant-invites")).content.decode()
    assert f'data-invite="{invite.pk}"' in page
    response = client.post(reverse("merchant-invite-accept", args=[invite.pk]))

    assert response.status_code == 302
    assert ShopStaff.objects.filter(shop=shop, user=resident).exists()


def test_someone_elses_invite_is_404(client, shop, estate):
    invite = services.staff_invite(owner=shop.owner, shop=shop, phone="13912345678")
    signed_in(client, make_applicant(estate))

    assert client.post(reverse("merchant-invite-accept", args=[invite.pk])).status_code == 404
    assert "13912345678" not in client.get(reverse("merchant-invites")).content.decode()


# --- operators -----------------------------------------------------------------------------


def _applications(estate, n):
    for i in range(n):
        person = make_applicant(estate)
        services.shop_apply(
            owner=person,
            name=f"店{i}",
            business_name=f"公司{i}",
            credit_code=BAD_CHECK_CODE if i % 2 else GOOD_CODE,
            category=Shop.Category.FOOD,
            neighbourhood=estate,
            address="阳光路",
            settlement_card=make_card(person),
        )


def test_the_queue_shows_the_manual_review_flag_and_operators_decide(client, estate):
    _applications(estate, 2)
    good, bad = Shop.objects.order_by("pk")
    signed_in(client, make_operator())

    page = client.get(reverse("operator-shops")).content.decode()

    assert page.count("data-application=") == 2
    assert page.count("data-manual-review") == 1
    client.post(reverse("operator-shop-review", args=[good.pk]), {"decision": "approve"})
    client.post(reverse("operator-shop-review", args=[bad.pk]), {"decision": "reject"})
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == Shop.Status.APPROVED
    assert bad.status == Shop.Status.PENDING  # no reason given
    client.post(
        reverse("operator-shop-review", args=[bad.pk]),
        {"decision": "reject", "reason": "代码不符"},
    )
    bad.refresh_from_db()
    assert bad.status == Shop.Status.REJECTED


def test_non_operators_cannot_open_the_queue(client, estate, applicant):
    _applications(estate, 1)
    signed_in(client, applicant)

    assert client.get(reverse("operator-shops")).status_code == 403
    shop = Shop.objects.get()
    assert (
        client.post(
            reverse("operator-shop-review", args=[shop.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    shop.refresh_from_db()
    assert shop.status == Shop.Status.PENDING


def test_the_queue_takes_the_same_queries_for_few_or_many(client, estate):
    signed_in(client, make_operator())
    _applications(estate, 2)
    few = queries_of(lambda: client.get(reverse("operator-shops")))
    _applications_more = 6
    for i in range(_applications_more):
        person = make_applicant(estate)
        services.shop_apply(
            owner=person,
            name=f"更多{i}",
            business_name="公司",
            credit_code=GOOD_CODE,
            category=Shop.Category.FOOD,
            neighbourhood=estate,
            address="阳光路",
            settlement_card=make_card(person),
        )

    many = queries_of(lambda: client.get(reverse("operator-shops")))

    assert many == few


# --- the directory -------------------------------------------------------------------------


def test_the_directory_lists_approved_shops_with_their_pay_links(client, estate, shop, other_shop):
    pending = make_shop(estate, "还在审核")
    Shop.objects.filter(pk=pending.pk).update(status=Shop.Status.PENDING)
    resident = make_applicant(estate)
    signed_in(client, resident)

    page = client.get(reverse("estate-shops", args=[estate.pk])).content.decode()

    assert f'data-shop="{shop.pk}"' in page
    assert f'data-shop="{other_shop.pk}"' in page
    assert f'data-shop="{pending.pk}"' not in page
    assert make_url(shop_account(shop)) in page


def test_the_directory_filters_by_category_and_searches_by_name(client, estate, shop, other_shop):
    signed_in(client, make_applicant(estate))

    food = client.get(
        reverse("estate-shops", args=[estate.pk]), {"category": Shop.Category.FOOD}
    ).content.decode()
    search = client.get(reverse("estate-shops", args=[estate.pk]), {"q": "鲜果"}).content.decode()

    assert f'data-shop="{other_shop.pk}"' in food
    assert f'data-shop="{shop.pk}"' not in food
    assert f'data-shop="{shop.pk}"' in search
    assert f'data-shop="{other_shop.pk}"' not in search


def test_a_resident_of_another_estate_gets_404(client, estate, other_estate, shop):
    signed_in(client, make_applicant(other_estate))

    assert client.get(reverse("estate-shops", args=[estate.pk])).status_code == 404


def test_the_directory_takes_the_same_queries_for_few_or_many_shops(client, estate, shop):
    signed_in(client, make_applicant(estate))
    few = queries_of(lambda: client.get(reverse("estate-shops", args=[estate.pk])))
    for i in range(6):
        make_shop(estate, f"小店{i}")

    many = queries_of(lambda: client.get(reverse("estate-shops", args=[estate.pk])))

    assert many == few


def test_the_owner_reads_why_an_application_was_rejected(client, estate, applicant, card):
    shop = services.shop_apply(
        owner=applicant,
        name="老李修鞋",
        business_name="福州老李修鞋店",
        credit_code=BAD_CHECK_CODE,
        category=Shop.Category.SERVICES,
        neighbourhood=estate,
        address="阳光路 8 号",
        settlement_card=card,
    )
    services.shop_review(operator=make_operator(), shop=shop, approve=False, reason="代码不符")
    signed_in(client, applicant)

    page = client.get(reverse("merchant-home")).content.decode()

    assert "data-review-note" in page
    assert "代码不符" in page
