"""Levels drive the wallet's limits end to end; operators cap them, staff confirm in person.

Every step goes through the real services: the sandbox provider, the wallet's card binding
with a sandbox bank card, membership confirmation and payments.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from community.errors import (
    LevelAboveEvidence,
    NotEstateStaff,
    ResidentNotVerified,
)
from community.models import IdentityRecord, LevelChange, User
from community.services.membership import membership_confirm
from community.services.verification import (
    identity_submit,
    in_person_confirm,
    level_set_by_operator,
)
from core.errors import Forbidden, ValidationFailed
from core.models import Notification
from tests.community.conftest import PIN, fund, make_staff, wallet_balance
from tests.community.verification.conftest import WANG_FANG, make_operator, unverified
from tests.wallet.conftest import sandbox_card, shop_account
from wallet.errors import VerificationLimitReached, VerificationRequired
from wallet.services import bank, payments

pytestmark = pytest.mark.django_db

CARD_A, CARD_B = "6222020200000000006", "6222020200000000014"


def pay(user, amount_minor, shop):
    user.refresh_from_db()
    return payments.payment_create(
        payer=user, payee=shop, amount_minor=amount_minor, description="水果", pin=PIN
    )


def bind(user, number=CARD_A):
    user.refresh_from_db()
    return bank.card_bind(
        user=user,
        number=number,
        holder_name=user.real_name,
        expiry_month=12,
        expiry_year=timezone.localdate().year + 3,
    )


def level_of(user) -> int:
    user.refresh_from_db()
    return user.verification_level


@pytest.fixture
def verified(resident):
    """A resident at level I through the provider, with ¥5,000 in the wallet."""
    identity_submit(user=resident, real_name=WANG_FANG[0], id_number=WANG_FANG[1])
    fund(resident, 5_000_00)
    sandbox_card(holder="王芳", number=CARD_A)
    sandbox_card(holder="王芳", number=CARD_B)
    return resident


def test_levels_drive_wallet_limits_end_to_end(resident, estate):
    shop = shop_account()
    fund(resident, 5_000_00)
    sandbox_card(holder="王芳", number=CARD_A)

    # Given an unverified resident with money, when they pay, then the wallet refuses.
    with pytest.raises(VerificationRequired):
        pay(resident, 100, shop)

    # When they verify their identity, then they can pay up to ¥1,000 in total.
    identity_submit(user=resident, real_name="王芳", id_number=WANG_FANG[1])
    assert level_of(resident) == 1
    pay(resident, 600_00, shop)
    with pytest.raises(VerificationLimitReached):
        pay(resident, 500_00, shop)
    pay(resident, 400_00, shop)
    with pytest.raises(VerificationLimitReached):
        pay(resident, 1, shop)

    # When they bind a card in their name, then level II and ¥1,500 goes through.
    bind(resident)
    assert level_of(resident) == 2
    pay(resident, 1_500_00, shop)

    # When the property manager confirms their household, then level III.
    membership_confirm(neighbourhood=estate, user=resident, confirmed_by=make_staff(estate))
    assert level_of(resident) == 3
    assert wallet_balance(resident) == 5_000_00 - 2_500_00
    assert list(
        LevelChange.objects.filter(user=resident).order_by("pk").values_list("source", "to_level")
    ) == [("provider", 1), ("bank_card", 2), ("household", 3)]


def test_operator_lowers_with_a_reason_and_the_audit_records_it(verified, estate):
    shop = shop_account()
    bind(verified)
    operator = make_operator()

    level = level_set_by_operator(
        operator=operator, user=verified, level=1, reason="Card reported stolen"
    )

    assert level == level_of(verified) == 1
    assert IdentityRecord.objects.get(user=verified).level_ceiling == 1
    change = LevelChange.objects.filter(user=verified).first()  # newest first
    assert (change.from_level, change.to_level, change.source) == (2, 1, "operator")
    assert change.actor == operator and change.reason == "Card reported stolen"
    notice = Notification.objects.get(user=verified, kind="verification_level_changed")
    assert notice.body == "Card reported stolen"
    # The lower level's limit applies at once.
    with pytest.raises(VerificationLimitReached):
        pay(verified, 1_500_00, shop)


def test_later_evidence_does_not_lift_a_level_above_the_ceiling(verified, estate):
    card = bind(verified)
    level_set_by_operator(operator=make_operator(), user=verified, level=1, reason="Checking")

    # Another card in the same name, and a confirmed household: both would lift it.
    bank.card_remove(card=card)
    bind(verified, CARD_B)
    membership_confirm(neighbourhood=estate, user=verified, confirmed_by=make_staff(estate))

    assert level_of(verified) == 1


def test_a_revoked_resident_cannot_bind_a_card_to_climb_back(verified):
    level_set_by_operator(operator=make_operator(), user=verified, level=0, reason="Fraud")

    with pytest.raises(VerificationRequired):
        bind(verified)
    assert level_of(verified) == 0
    assert IdentityRecord.objects.get(user=verified).level_ceiling == 0
    with pytest.raises(VerificationRequired):
        pay(verified, 100, shop_account())


def test_restoring_to_what_the_evidence_supports_removes_the_ceiling(verified, estate):
    bind(verified)
    operator = make_operator()
    level_set_by_operator(operator=operator, user=verified, level=0, reason="Checking a report")

    level_set_by_operator(operator=operator, user=verified, level=2, reason="Report unfounded")

    assert level_of(verified) == 2
    assert IdentityRecord.objects.get(user=verified).level_ceiling is None
    membership_confirm(neighbourhood=estate, user=verified, confirmed_by=make_staff(estate))
    assert level_of(verified) == 3


def test_an_operator_cannot_grant_more_than_the_evidence(verified):
    with pytest.raises(LevelAboveEvidence) as refused:
        level_set_by_operator(operator=make_operator(), user=verified, level=3, reason="VIP")
    assert refused.value.extra == {"supported_level": 1}
    assert level_of(verified) == 1


def test_setting_the_same_level_is_still_audited(verified):
    operator = make_operator()
    level_set_by_operator(operator=operator, user=verified, level=1, reason="Reviewed, fine")
    change = LevelChange.objects.filter(user=verified).first()
    assert (change.from_level, change.to_level, change.actor) == (1, 1, operator)


def test_only_operators_with_a_reason_change_levels(verified, estate):
    with pytest.raises(Forbidden):
        level_set_by_operator(operator=make_staff(estate), user=verified, level=0, reason="x")
    with pytest.raises(ValidationFailed) as refused:
        level_set_by_operator(operator=make_operator(), user=verified, level=0, reason="  ")
    assert "reason" in refused.value.fields
    assert level_of(verified) == 1


def test_an_unverified_user_has_no_level_to_change(registry):
    with pytest.raises(ResidentNotVerified):
        level_set_by_operator(operator=make_operator(), user=unverified(), level=0, reason="x")


def test_in_person_check_with_a_card_reaches_level_three(verified, estate):
    staff = make_staff(estate)
    in_person_confirm(staff=staff, user=verified, neighbourhood=estate)
    # Without a card in their name the check waits as evidence.
    assert level_of(verified) == 1
    record = IdentityRecord.objects.get(user=verified)
    assert record.in_person_confirmed_by == staff

    bind(verified)

    assert level_of(verified) == 3


def test_in_person_check_is_for_the_estates_own_staff(verified, estate, other_estate):
    with pytest.raises(NotEstateStaff):
        in_person_confirm(staff=make_staff(other_estate), user=verified, neighbourhood=estate)
    assert IdentityRecord.objects.get(user=verified).in_person_confirmed_at is None


def test_in_person_check_needs_a_verified_identity(registry, estate):
    with pytest.raises(ResidentNotVerified):
        in_person_confirm(staff=make_staff(estate), user=unverified(), neighbourhood=estate)


def test_a_second_in_person_check_keeps_the_first(verified, estate):
    first, second = make_staff(estate), make_staff(estate)
    in_person_confirm(staff=first, user=verified, neighbourhood=estate)
    in_person_confirm(staff=second, user=verified, neighbourhood=estate)
    assert IdentityRecord.objects.get(user=verified).in_person_confirmed_by == first
    assert User.objects.get(pk=verified.pk).verification_level == 1
