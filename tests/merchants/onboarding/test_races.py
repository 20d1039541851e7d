"""Onboarding under real concurrency: threads, one connection each, on PostgreSQL."""

from __future__ import annotations

import pytest

from merchants.models import Shop, ShopStaff, StaffInvite
from merchants.services import onboarding as services
from tests.concurrency.conftest import run_together
from tests.factories import NeighbourhoodFactory
from tests.merchants.conftest import make_shop
from tests.merchants.onboarding.conftest import GOOD_CODE, make_applicant, make_card, make_operator
from wallet.models import Account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_approval_and_a_rejection_at_once_decide_once():
    # Given a pending application and two operators
    estate = NeighbourhoodFactory()
    owner = make_applicant(estate)
    shop = services.shop_apply(
        owner=owner,
        name="老李修鞋",
        business_name="福州老李修鞋店",
        credit_code=GOOD_CODE,
        category=Shop.Category.SERVICES,
        neighbourhood=estate,
        address="阳光路 8 号",
        settlement_card=make_card(owner),
    )
    first, second = make_operator(), make_operator()

    # When one approves while the other rejects
    outcomes = run_together(
        [
            lambda: services.shop_review(operator=first, shop=shop, approve=True),
            lambda: services.shop_review(operator=second, shop=shop, approve=False, reason="no"),
        ]
    )

    # Then exactly one decided and the other was told
    assert sorted(type(o.error).__name__ for o in outcomes if o.error) == ["ShopNotPending"]
    shop.refresh_from_db()
    opened = Account.objects.filter(owner_ref=f"shop:{shop.pk}").exists()
    assert opened == (shop.status == Shop.Status.APPROVED)


def test_accepting_while_the_owner_withdraws_has_one_outcome():
    estate = NeighbourhoodFactory()
    shop = make_shop(estate)
    for _ in range(5):
        resident = make_applicant(estate)
        invite = services.staff_invite(owner=shop.owner, shop=shop, phone=resident.phone)

        outcomes = run_together(
            [
                lambda r=resident, i=invite: services.invite_accept(user=r, invite=i),
                lambda i=invite: services.invite_revoke(owner=shop.owner, invite=i),
            ]
        )

        assert [type(o.error).__name__ for o in outcomes if o.error] == ["InviteNotPending"]
        invite.refresh_from_db()
        works_there = ShopStaff.objects.filter(shop=shop, user=resident).exists()
        assert works_there == (invite.status == StaffInvite.Status.ACCEPTED)


def test_two_invites_of_one_number_at_once_leave_one_pending():
    estate = NeighbourhoodFactory()
    shop = make_shop(estate)

    outcomes = run_together(
        [
            lambda: services.staff_invite(owner=shop.owner, shop=shop, phone="13912345678")
            for _ in range(4)
        ]
    )

    errors = [type(o.error).__name__ for o in outcomes if o.error]
    assert errors == ["InviteAlreadyPending"] * 3
    assert StaffInvite.objects.filter(shop=shop, status=StaffInvite.Status.PENDING).count() == 1
