"""Onboarding services: applying, operator review, staff invites and removal."""

from __future__ import annotations

import pytest

from community.models import User
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from merchants.errors import (
    AlreadyShopStaff,
    CreditCodeMalformed,
    InviteAlreadyPending,
    InviteNotPending,
    InviteRoleNotAllowed,
    NotOperator,
    NotShopOwner,
    OwnerNotRemovable,
    OwnerNotVerified,
    ReviewReasonRequired,
    SettlementCardInvalid,
    ShopNameTaken,
    ShopNotPending,
)
from merchants.models import Shop, ShopStaff, StaffInvite
from merchants.services import onboarding as services
from tests.factories import UserFactory
from tests.merchants.conftest import make_cashier
from tests.merchants.onboarding.conftest import (
    BAD_CHECK_CODE,
    GOOD_CODE,
    make_applicant,
    make_card,
    make_operator,
)
from wallet.models import Account

pytestmark = pytest.mark.django_db


def apply(owner, estate, card, **overrides):
    values = {
        "name": "老李修鞋",
        "business_name": "福州老李修鞋店",
        "credit_code": GOOD_CODE,
        "category": Shop.Category.SERVICES,
        "address": "阳光路 8 号",
        "description": "修鞋配钥匙",
    }
    values.update(overrides)
    return services.shop_apply(owner=owner, neighbourhood=estate, settlement_card=card, **values)


def merchant_account_exists(shop):
    return Account.objects.filter(kind=Account.Kind.MERCHANT, owner_ref=f"shop:{shop.pk}").exists()


# --- applying ------------------------------------------------------------------------------


def test_an_application_waits_with_its_owner_as_staff_and_operators_are_told(
    estate, applicant, card, operator
):
    # Given an operator and a resident (not an operator) with is_staff
    admin_not_operator = UserFactory(is_staff=True)

    # When a verified person applies
    shop = apply(applicant, estate, card, credit_code=" 91350100m000100y43 ")

    # Then the shop waits, the code is normalised and checks, the owner is staff
    shop.refresh_from_db()
    assert shop.status == Shop.Status.PENDING
    assert shop.credit_code == GOOD_CODE
    assert shop.credit_code_checks is True
    assert shop.owner == applicant
    assert shop.settlement_card == card
    assert ShopStaff.objects.get(shop=shop).user == applicant
    assert ShopStaff.objects.get(shop=shop).role == ShopStaff.Role.OWNER
    # and the operator, only the operator, has an inbox entry
    assert Notification.objects.filter(user=operator, kind="shop_applied").count() == 1
    assert not Notification.objects.filter(user=admin_not_operator).exists()
    # and no wallet account is opened before approval
    assert not merchant_account_exists(shop)
    # and the applicant keeps their role
    applicant.refresh_from_db()
    assert applicant.role == User.Role.RESIDENT


def test_a_code_failing_its_check_is_accepted_for_manual_review(estate, applicant, card, operator):
    shop = apply(applicant, estate, card, credit_code=BAD_CHECK_CODE)

    assert shop.status == Shop.Status.PENDING
    assert shop.credit_code_checks is False
    entry = Notification.objects.get(user=operator, kind="shop_applied")
    assert "check character" in entry.body


@pytest.mark.parametrize("code", ["9135010M000100Y43", "91350100I000100Y43", ""])
def test_a_code_of_the_wrong_format_is_refused(estate, applicant, card, code):
    with pytest.raises(CreditCodeMalformed) as refused:
        apply(applicant, estate, card, credit_code=code)

    assert "credit_code" in refused.value.fields
    assert not Shop.objects.exists()


def test_an_unverified_owner_is_refused(estate):
    person = make_applicant(estate, level=0)
    card = make_card(person)

    with pytest.raises(OwnerNotVerified):
        apply(person, estate, card)

    assert not Shop.objects.exists()


def test_someone_elses_card_is_refused(estate, applicant):
    stranger_card = make_card(make_applicant(estate))

    with pytest.raises(SettlementCardInvalid):
        apply(applicant, estate, stranger_card)

    assert not Shop.objects.exists()


@pytest.mark.parametrize("state", ["removed", "expired"])
def test_a_removed_or_invalid_card_is_refused(estate, applicant, state):
    from django.utils import timezone

    from wallet.models import BankCard

    if state == "removed":
        card = make_card(applicant, removed_at=timezone.now())
    else:
        card = make_card(applicant, status=BankCard.Status.EXPIRED)

    with pytest.raises(SettlementCardInvalid):
        apply(applicant, estate, card)


def test_a_name_already_used_in_the_estate_is_refused(estate, applicant, card):
    apply(applicant, estate, card)

    with pytest.raises(ShopNameTaken):
        apply(applicant, estate, card)

    assert Shop.objects.count() == 1


def test_blank_names_and_unknown_categories_are_refused(estate, applicant, card):
    with pytest.raises(ValidationFailed) as blank:
        apply(applicant, estate, card, name="   ")
    assert "name" in blank.value.fields
    with pytest.raises(ValidationFailed) as category:
        apply(applicant, estate, card, category="casino")
    assert "category" in category.value.fields


# --- review --------------------------------------------------------------------------------


def test_approval_opens_the_wallet_account_and_tells_the_owner(estate, applicant, card, operator):
    shop = apply(applicant, estate, card)

    reviewed = services.shop_review(operator=operator, shop=shop, approve=True, reason="")

    assert reviewed.status == Shop.Status.APPROVED
    assert reviewed.reviewed_by == operator
    assert reviewed.reviewed_at is not None
    assert merchant_account_exists(shop)
    told = Notification.objects.get(user=applicant, kind="shop_reviewed")
    assert told.data == {"shop_id": shop.pk, "approved": True}


def test_rejection_needs_a_reason_which_the_owner_reads(estate, applicant, card, operator):
    shop = apply(applicant, estate, card, credit_code=BAD_CHECK_CODE)

    with pytest.raises(ReviewReasonRequired):
        services.shop_review(operator=operator, shop=shop, approve=False, reason="  ")
    shop.refresh_from_db()
    assert shop.status == Shop.Status.PENDING

    services.shop_review(
        operator=operator, shop=shop, approve=False, reason="执照上的代码与申请不符"
    )

    shop.refresh_from_db()
    assert shop.status == Shop.Status.REJECTED
    assert shop.review_note == "执照上的代码与申请不符"
    assert not merchant_account_exists(shop)
    told = Notification.objects.get(user=applicant, kind="shop_reviewed")
    assert told.body == "执照上的代码与申请不符"


def test_only_operators_review(estate, applicant, card):
    shop = apply(applicant, estate, card)
    staff_but_not_operator = UserFactory(is_staff=True, role=User.Role.PROPERTY_STAFF)

    for person in (applicant, staff_but_not_operator):
        with pytest.raises(NotOperator):
            services.shop_review(operator=person, shop=shop, approve=True)

    shop.refresh_from_db()
    assert shop.status == Shop.Status.PENDING


def test_a_reviewed_application_is_not_reviewed_again(estate, applicant, card, operator):
    shop = apply(applicant, estate, card)
    services.shop_review(operator=operator, shop=shop, approve=True)

    with pytest.raises(ShopNotPending):
        services.shop_review(operator=make_operator(), shop=shop, approve=False, reason="no")

    shop.refresh_from_db()
    assert shop.status == Shop.Status.APPROVED


# --- staff ---------------------------------------------------------------------------------


def test_an_invite_accepted_by_the_number_makes_a_cashier_who_keeps_their_role(shop, estate):
    resident = make_applicant(estate)

    invite = services.staff_invite(owner=shop.owner, shop=shop, phone=resident.phone[3:])

    assert invite.phone == resident.phone  # normalised to E.164
    assert Notification.objects.filter(user=resident, kind="shop_invite").exists()
    staff = services.invite_accept(user=resident, invite=invite)
    assert staff.role == ShopStaff.Role.CASHIER
    assert staff.shop == shop
    invite.refresh_from_db()
    assert invite.status == StaffInvite.Status.ACCEPTED
    assert invite.accepted_by == resident
    resident.refresh_from_db()
    assert resident.role == User.Role.RESIDENT
    assert Notification.objects.filter(user=shop.owner, kind="shop_invite_accepted").exists()


def test_an_invite_is_only_for_its_own_number(shop, estate):
    invite = services.staff_invite(owner=shop.owner, shop=shop, phone="13912345678")
    someone_else = make_applicant(estate)

    with pytest.raises(NotFound):
        services.invite_accept(user=someone_else, invite=invite)

    assert not ShopStaff.objects.filter(user=someone_else).exists()


def test_one_pending_invite_per_shop_and_number(shop, other_shop):
    services.staff_invite(owner=shop.owner, shop=shop, phone="13912345678")

    with pytest.raises(InviteAlreadyPending):
        services.staff_invite(owner=shop.owner, shop=shop, phone="139 1234 5678")

    # another shop may invite the same number
    services.staff_invite(owner=other_shop.owner, shop=other_shop, phone="13912345678")
    assert StaffInvite.objects.count() == 2


def test_only_the_owner_invites(shop, other_shop):
    cashier = make_cashier(shop)

    with pytest.raises(NotShopOwner):
        services.staff_invite(owner=cashier, shop=shop, phone="13912345678")
    with pytest.raises(NotFound):
        services.staff_invite(owner=other_shop.owner, shop=shop, phone="13912345678")
    with pytest.raises(InviteRoleNotAllowed):
        services.staff_invite(
            owner=shop.owner, shop=shop, phone="13912345678", role=ShopStaff.Role.OWNER
        )
    with pytest.raises(ValidationFailed):
        services.staff_invite(owner=shop.owner, shop=shop, phone="12345")

    assert not StaffInvite.objects.exists()


def test_someone_already_on_the_staff_is_not_invited(shop):
    cashier = make_cashier(shop)

    with pytest.raises(AlreadyShopStaff):
        services.staff_invite(owner=shop.owner, shop=shop, phone=cashier.phone)


def test_a_withdrawn_invite_cannot_be_accepted(shop, estate):
    resident = make_applicant(estate)
    invite = services.staff_invite(owner=shop.owner, shop=shop, phone=resident.phone)

    services.invite_revoke(owner=shop.owner, invite=invite)

    with pytest.raises(InviteNotPending):
        services.invite_accept(user=resident, invite=invite)
    with pytest.raises(InviteNotPending):
        services.invite_revoke(owner=shop.owner, invite=invite)
    assert not ShopStaff.objects.filter(user=resident).exists()
    # and the number can be invited again
    services.staff_invite(owner=shop.owner, shop=shop, phone=resident.phone)


def test_the_owner_removes_a_cashier_but_not_an_owner(shop, other_shop):
    cashier = make_cashier(shop)
    row = ShopStaff.objects.get(shop=shop, user=cashier)
    owner_row = ShopStaff.objects.get(shop=shop, user=shop.owner)

    with pytest.raises(NotShopOwner):
        services.staff_remove(owner=cashier, staff=owner_row)
    with pytest.raises(NotFound):
        services.staff_remove(owner=other_shop.owner, staff=row)
    with pytest.raises(OwnerNotRemovable):
        services.staff_remove(owner=shop.owner, staff=owner_row)

    services.staff_remove(owner=shop.owner, staff=row)

    assert list(ShopStaff.objects.filter(shop=shop).values_list("user", flat=True)) == [
        shop.owner.pk
    ]
