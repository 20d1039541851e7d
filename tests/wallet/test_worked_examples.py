"""Every wallet procedure as a worked example: given, when, then. The ledger check runs
after each (tests/wallet/conftest.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from community.models import User
from core.errors import ValidationFailed
from core.models import Notification
from tests.factories import UserFactory
from tests.wallet.conftest import PIN, balance_of, fund, make_resident, sandbox_card, shop_account
from wallet.errors import (
    CaptureExceedsHold,
    HoldNotActive,
    InsufficientFunds,
    PaymentNotCancellable,
    QuoteExpired,
    RefundExceedsPayment,
    WalletFrozen,
)
from wallet.models import Account, Hold, JournalTransaction, Payment, SandboxCard, TopUp, Withdrawal
from wallet.services import bank, corrections, fx, payments, profile
from wallet.services.accounts import masked_real_name, system_account, wallet_account
from wallet.services.ledger import account_balance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pay_path")]


def test_top_up_from_a_bound_card(django_capture_on_commit_callbacks):
    # Given a verified resident with ¥10,000.00 on her bank card
    resident = make_resident()
    bank_card = sandbox_card(balance=1_000_000)
    card = bank.card_bind(
        user=resident,
        number=bank_card.number,
        holder_name="王芳",
        expiry_month=bank_card.expiry_month,
        expiry_year=bank_card.expiry_year,
    )
    assert card.last4 == "0006" and card.is_default and card.token.startswith("tok_")

    # When she tops up ¥500.00
    with django_capture_on_commit_callbacks(execute=True):
        result = bank.topup_create(user=resident, card=card, amount_minor=50_000)

    # Then the wallet holds ¥500.00, mirrored by the bank clearing account, and the bank
    # charged the card once
    assert result.topup.status == TopUp.Status.SUCCEEDED
    assert result.balance.balance_minor == 50_000
    assert balance_of(system_account(Account.SystemCode.BANK_CLEARING)) == -50_000
    bank_card.refresh_from_db()
    assert bank_card.balance_minor == 950_000
    assert bank_card.lines.count() == 1
    assert Notification.objects.filter(user=resident, kind="topup_succeeded").exists()


def test_pay_a_shop(django_capture_on_commit_callbacks):
    # Given ¥500.00 in the wallet
    resident = make_resident()
    fund(resident, 50_000)
    shop = shop_account()

    # When she pays the shop ¥25.00 with her PIN
    with django_capture_on_commit_callbacks(execute=True):
        result = payments.payment_create(
            payer=resident, payee=shop, amount_minor=2_500, description="水果", pin=PIN
        )

    # Then ¥25.00 moved, and both sides are told
    assert result.balance.balance_minor == 47_500
    assert balance_of(shop) == 2_500
    assert result.payment.status == Payment.Status.COMPLETED
    assert Notification.objects.filter(user=resident, kind="payment_sent").count() == 1


def test_a_payment_beyond_the_balance_is_refused_and_nothing_moves():
    resident = make_resident()
    fund(resident, 1_000)
    shop = shop_account()
    with pytest.raises(InsufficientFunds):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=1_001, description="x", pin=PIN
        )
    assert balance_of(wallet_account(resident)) == 1_000
    assert balance_of(shop) == 0
    assert not Payment.objects.exists()


def test_hold_then_capture_in_part_releases_the_rest():
    # Given ¥500.00 and a hold of ¥100.00 for the shop
    resident = make_resident()
    fund(resident, 50_000)
    shop = shop_account()
    held = payments.hold_create(
        payer=resident, payee=shop, amount_minor=10_000, description="洗车预授权", pin=PIN
    )
    assert (held.balance.balance_minor, held.balance.available_minor) == (50_000, 40_000)

    # When the shop captures ¥60.00 as the final amount
    captured = payments.hold_capture(hold=held.hold, amount_minor=6_000)

    # Then ¥60.00 is paid and the other ¥40.00 is free again
    payer = account_balance(held.hold.account)
    assert (payer.balance_minor, payer.available_minor) == (44_000, 44_000)
    assert balance_of(shop) == 6_000
    # And the shop is told its own new balance, not the resident's
    assert (captured.balance.account_id, captured.balance.balance_minor) == (shop.pk, 6_000)
    hold = Hold.objects.get(pk=held.hold.pk)
    assert (hold.status, hold.captured_minor) == (Hold.Status.CAPTURED, 6_000)
    # And a captured hold cannot be captured or voided again
    with pytest.raises(HoldNotActive):
        payments.hold_capture(hold=hold, amount_minor=1)
    with pytest.raises(HoldNotActive):
        payments.hold_void(hold=hold)


def test_hold_captured_in_several_parts_never_exceeds_itself():
    resident = make_resident()
    fund(resident, 50_000)
    shop = shop_account()
    hold = payments.hold_create(
        payer=resident, payee=shop, amount_minor=10_000, description="押金", pin=PIN
    ).hold
    payments.hold_capture(hold=hold, amount_minor=3_000, final=False)
    payments.hold_capture(hold=hold, amount_minor=3_000, final=False)
    with pytest.raises(CaptureExceedsHold):
        payments.hold_capture(hold=hold, amount_minor=4_001, final=False)
    last = payments.hold_capture(hold=hold, amount_minor=4_000, final=False)
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.CAPTURED
    assert last.balance.balance_minor == 10_000  # the shop's, all three parts
    payer = account_balance(hold.account)
    assert payer.balance_minor == 40_000 and payer.held_minor == 0


def test_a_voided_hold_can_never_be_captured():
    resident = make_resident()
    fund(resident, 50_000)
    hold = payments.hold_create(
        payer=resident, payee=shop_account(), amount_minor=10_000, description="x", pin=PIN
    ).hold
    payments.hold_void(hold=hold)
    assert account_balance(wallet_account(resident)).available_minor == 50_000
    with pytest.raises(HoldNotActive):
        payments.hold_capture(hold=hold)


def test_holds_expire_and_then_cannot_be_captured():
    resident = make_resident()
    fund(resident, 50_000)
    hold = payments.hold_create(
        payer=resident,
        payee=shop_account(),
        amount_minor=10_000,
        description="x",
        pin=PIN,
        lifetime=timedelta(hours=1),
    ).hold
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        # Past its time, a hold the task has not reached yet is already uncapturable.
        with pytest.raises(HoldNotActive):
            payments.hold_capture(hold=hold)
        assert payments.holds_expire_due() == 1
        assert payments.holds_expire_due() == 0
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.EXPIRED
    assert account_balance(wallet_account(resident)).held_minor == 0


def test_refund_in_parts_up_to_the_original():
    resident = make_resident()
    fund(resident, 50_000)
    shop = shop_account()
    payment = payments.payment_create(
        payer=resident, payee=shop, amount_minor=10_000, description="x", pin=PIN
    ).payment
    first = payments.payment_refund(payment=payment, amount_minor=3_000, reason="少一件")
    assert first.payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert first.transaction.parent_id == payment.transaction_id
    payments.payment_refund(payment=payment, amount_minor=7_000)
    with pytest.raises(RefundExceedsPayment):
        payments.payment_refund(payment=payment, amount_minor=1)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED
    assert balance_of(wallet_account(resident)) == 50_000
    assert balance_of(shop) == 0


def test_a_wallet_frozen_as_lost_refunds_nothing_until_unfrozen():
    payer = make_resident(phone="+8613912345010")
    neighbour = UserFactory(phone="+8613912345011", real_name="李雷", verification_level=1)
    fund(payer, 5_000)
    payment = payments.payment_create(
        payer=payer,
        payee=wallet_account(neighbour),
        amount_minor=2_000,
        description="代购",
        pin=PIN,
    ).payment
    profile.wallet_freeze(user=neighbour)
    with pytest.raises(WalletFrozen):
        payments.payment_refund(payment=payment, amount_minor=500)
    with pytest.raises(WalletFrozen):
        payments.payment_cancel(payment=payment)
    assert balance_of(wallet_account(neighbour)) == 2_000
    assert Payment.objects.get(pk=payment.pk).refunded_minor == 0


def test_cancel_undoes_a_payment_only_before_any_refund():
    resident = make_resident()
    fund(resident, 50_000)
    shop = shop_account()
    first = payments.payment_create(
        payer=resident, payee=shop, amount_minor=1_000, description="x", pin=PIN
    ).payment
    cancelled = payments.payment_cancel(payment=first, reason="点错了")
    assert cancelled.payment.status == Payment.Status.CANCELLED
    assert cancelled.transaction.kind == JournalTransaction.Kind.CANCELLATION
    second = payments.payment_create(
        payer=resident, payee=shop, amount_minor=1_000, description="y", pin=PIN
    ).payment
    payments.payment_refund(payment=second, amount_minor=100)
    with pytest.raises(PaymentNotCancellable):
        payments.payment_cancel(payment=second)


def test_transfer_to_a_neighbour_by_mobile_number(django_capture_on_commit_callbacks):
    sender = make_resident()
    fund(sender, 10_000)
    neighbour = make_resident(real_name="李小雷", phone="+8613911112222", pin=None)

    # The sender sees the masked real name before confirming
    recipient = payments.find_recipient("139 1111 2222")
    assert recipient == neighbour
    assert masked_real_name(recipient) == "**雷"

    with django_capture_on_commit_callbacks(execute=True):
        result = payments.transfer_create(
            sender=sender, recipient=recipient, amount_minor=2_000, note="还你的快递费", pin=PIN
        )
    assert result.balance.balance_minor == 8_000
    assert balance_of(wallet_account(neighbour)) == 2_000
    assert Notification.objects.filter(user=neighbour, kind="transfer_received").exists()


def test_unverified_users_can_receive_and_hold_money():
    sender = make_resident()
    fund(sender, 10_000)
    unverified = UserFactory(verification_level=User.VerificationLevel.NONE)
    payments.transfer_create(sender=sender, recipient=unverified, amount_minor=500, pin=PIN)
    assert balance_of(wallet_account(unverified)) == 500


def test_withdraw_to_a_card_and_a_refused_payout_comes_back(django_capture_on_commit_callbacks):
    resident = make_resident()
    fund(resident, 50_000)
    bank_card = sandbox_card(balance=0)
    card = bank.card_bind(
        user=resident,
        number=bank_card.number,
        holder_name="王芳",
        expiry_month=bank_card.expiry_month,
        expiry_year=bank_card.expiry_year,
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = bank.withdrawal_create(user=resident, card=card, amount_minor=20_000, pin=PIN)
    assert done.withdrawal.status == Withdrawal.Status.SUCCEEDED
    assert done.balance.balance_minor == 30_000
    bank_card.refresh_from_db()
    assert bank_card.balance_minor == 20_000

    # The bank blacklists the card: the next payout is refused and the money returns
    SandboxCard.objects.filter(pk=bank_card.pk).update(status=SandboxCard.Status.BLACKLISTED)
    card.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        refused = bank.withdrawal_create(user=resident, card=card, amount_minor=10_000, pin=PIN)
    assert refused.withdrawal.status == Withdrawal.Status.RETURNED
    assert refused.withdrawal.decline_code == "card_blacklisted"
    assert refused.balance.balance_minor == 30_000
    card.refresh_from_db()
    assert card.status == "blacklisted"
    told = Notification.objects.filter(user=resident).order_by("pk")
    assert [n.kind for n in told if n.kind.startswith("withdrawal")] == [
        "withdrawal_succeeded",
        "withdrawal_returned",
    ]
    assert "200.00" in told.get(kind="withdrawal_succeeded").title


def test_currency_conversion_at_a_quote_honoured_for_sixty_seconds():
    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    fx.rate_set(operator=operator, base="CNY", quote="HKD", mid_rate=Decimal("1.08"), spread_bps=50)
    resident = make_resident()
    fund(resident, 10_000)

    quote = fx.quote_create(
        user=resident, sell_currency="CNY", buy_currency="HKD", sell_minor=10_000
    )
    # 100.00 CNY × 1.08 × (1 − 0.5%) = 107.46 HKD, rounded down once
    assert quote.buy_minor == 10_746
    result = fx.conversion_execute(user=resident, quote_id=quote.pk, pin=PIN)
    assert result.balances["CNY"].balance_minor == 0
    assert result.balances["HKD"].balance_minor == 10_746
    with pytest.raises(QuoteExpired):
        fx.conversion_execute(user=resident, quote_id=quote.pk, pin=PIN)

    late = fx.quote_create(user=resident, sell_currency="HKD", buy_currency="CNY", sell_minor=100)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)), pytest.raises(QuoteExpired):
        fx.conversion_execute(user=resident, quote_id=late.pk, pin=PIN)


def test_error_correction_needs_a_second_operator():
    maker = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    checker = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    resident = make_resident()
    shop = shop_account()
    fund(resident, 10_000)
    mistaken = payments.payment_create(
        payer=resident, payee=shop, amount_minor=1_000, description="扣错了", pin=PIN
    ).payment

    proposal = corrections.correction_propose(
        operator=maker,
        legs=[
            {"account_id": shop.pk, "amount_minor": -1_000},
            {"account_id": wallet_account(resident).pk, "amount_minor": 1_000},
        ],
        reason="收银员重复扣款",
        corrects=mistaken.transaction,
    )
    assert balance_of(shop) == 1_000  # nothing posts on a proposal

    from wallet.errors import CorrectionNotAllowed

    with pytest.raises(CorrectionNotAllowed) as own:
        corrections.correction_approve(operator=maker, proposal=proposal)
    with pytest.raises(ValidationFailed) as no_reason:
        corrections.correction_propose(operator=maker, legs=[], reason=" ")
    with translation.override("zh-hans"):  # said in the language of whoever reads it
        assert str(own.value.message) == "提出更正的操作员不能自己批准。"
        assert [str(m) for m in no_reason.value.fields["reason"]] == ["请说明需要更正的原因。"]
    approved = corrections.correction_approve(operator=checker, proposal=proposal, note="核实")
    # The checker's retry (a lost answer) gets the same decision back; nothing posts twice
    again = corrections.correction_approve(operator=checker, proposal=proposal, note="核实")
    assert again.posted_id == approved.posted_id
    assert JournalTransaction.objects.filter(kind=JournalTransaction.Kind.CORRECTION).count() == 1
    with pytest.raises(CorrectionNotAllowed):  # nobody else may decide it any more
        corrections.correction_reject(operator=checker, proposal=proposal, note="改主意")
    assert approved.posted.parent_id == mistaken.transaction_id
    assert approved.posted.metadata["proposed_by"] == maker.pk
    assert balance_of(shop) == 0
    assert balance_of(wallet_account(resident)) == 10_000
