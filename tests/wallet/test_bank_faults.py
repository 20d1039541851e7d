"""The bank fails like a real one: timeouts before or after it moved money, callbacks twice
or late. No sequence of them credits a top-up twice or loses a withdrawal."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.wallet.conftest import PIN, balance_of, bind_card, make_resident, sandbox_card
from wallet.api.bank import callback_signature
from wallet.gateways.sandbox import inject_fault
from wallet.models import JournalTransaction, SandboxCard, SandboxFault, TopUp, Withdrawal
from wallet.services import bank
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=11)


@pytest.fixture
def bound(db):
    resident = make_resident()
    card, bank_card = bind_card(resident, balance=100_000)
    return resident, card, bank_card


def credited_topups():
    return JournalTransaction.objects.filter(kind=JournalTransaction.Kind.TOPUP).count()


def test_timeout_before_the_bank_moved_money_ends_declined_without_credit(bound):
    resident, card, bank_card = bound
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_BEFORE)
    result = bank.topup_create(user=resident, card=card, amount_minor=10_000)
    assert result.topup.status == TopUp.Status.PENDING
    assert balance_of(wallet_account(resident)) == 0

    # Too soon to give up: the request may still be in flight
    bank.resolve_pending(now=timezone.now() + timedelta(minutes=1))
    assert TopUp.objects.get().status == TopUp.Status.PENDING
    # Later the reference is cancelled at the bank, then the top-up ends
    bank.resolve_pending(now=timezone.now() + LATER)
    topup = TopUp.objects.get()
    assert (topup.status, topup.decline_code) == (TopUp.Status.DECLINED, "not_received_by_bank")
    bank_card.refresh_from_db()
    assert bank_card.balance_minor == 100_000 and credited_topups() == 0
    # A late arrival of the original request can no longer charge the card
    late = bank.get_gateway().charge(
        token=card.token, amount_minor=10_000, currency="CNY", reference=topup.gateway_reference
    )
    assert late.status == "declined"


def test_timeout_after_the_bank_moved_money_is_credited_once_on_resolution(bound):
    resident, card, bank_card = bound
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_AFTER)
    assert (
        bank.topup_create(user=resident, card=card, amount_minor=10_000).topup.status == "pending"
    )
    bank_card.refresh_from_db()
    assert bank_card.balance_minor == 90_000  # the bank did charge

    bank.resolve_pending(now=timezone.now() + timedelta(minutes=1))
    bank.resolve_pending(now=timezone.now() + LATER)
    assert TopUp.objects.get().status == TopUp.Status.SUCCEEDED
    assert balance_of(wallet_account(resident)) == 10_000
    assert credited_topups() == 1


def test_duplicate_callbacks_credit_once(bound):
    resident, card, _bank_card = bound
    inject_fault("charge", SandboxFault.Mode.DUPLICATE_CALLBACK)
    result = bank.topup_create(user=resident, card=card, amount_minor=10_000)
    assert result.topup.status == TopUp.Status.SUCCEEDED
    assert balance_of(wallet_account(resident)) == 10_000
    assert credited_topups() == 1


def test_a_late_callback_settles_a_pending_top_up_once(bound):
    resident, card, _bank_card = bound
    inject_fault("charge", SandboxFault.Mode.LATE_CALLBACK)
    bank.topup_create(user=resident, card=card, amount_minor=10_000)
    # Celery runs eagerly in tests, so the "late" callback has already arrived
    assert TopUp.objects.get().status == TopUp.Status.SUCCEEDED
    bank.resolve_pending(now=timezone.now() + LATER)
    assert credited_topups() == 1 and balance_of(wallet_account(resident)) == 10_000


def test_declined_top_up_lets_the_resident_pick_another_card(bound):
    resident, card, _bank_card = bound
    result = bank.topup_create(user=resident, card=card, amount_minor=500_000)
    assert (result.topup.status, result.topup.decline_code) == ("declined", "insufficient_funds")
    assert balance_of(wallet_account(resident)) == 0


def test_withdrawal_lost_in_a_timeout_is_sent_again_under_the_same_reference(bound):
    resident, card, bank_card = bound
    bank.topup_create(user=resident, card=card, amount_minor=50_000)
    inject_fault("payout", SandboxFault.Mode.TIMEOUT_BEFORE)
    pending = bank.withdrawal_create(user=resident, card=card, amount_minor=20_000, pin=PIN)
    assert pending.withdrawal.status == Withdrawal.Status.PENDING
    assert pending.balance.balance_minor == 30_000  # already out of the wallet

    bank.resolve_pending(now=timezone.now() + timedelta(minutes=1))
    bank.resolve_pending(now=timezone.now() + timedelta(minutes=2))
    assert Withdrawal.objects.get().status == Withdrawal.Status.SUCCEEDED
    bank_card.refresh_from_db()
    assert bank_card.balance_minor == 100_000 - 50_000 + 20_000
    assert bank_card.lines.filter(kind="payout").count() == 1


def test_expired_card_is_refused_before_the_bank_is_asked(bound):
    resident, card, bank_card = bound
    SandboxCard.objects.filter(pk=bank_card.pk).update(expiry_year=2020)
    type(card).objects.filter(pk=card.pk).update(expiry_year=2020)
    card.refresh_from_db()
    from wallet.errors import CardUnusable

    with pytest.raises(CardUnusable):
        bank.topup_create(user=resident, card=card, amount_minor=1_000)
    card.refresh_from_db()
    assert card.status == "expired"


def test_signed_bank_callback_endpoint(client, bound):
    resident, card, _bank_card = bound
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_AFTER)
    topup = bank.topup_create(user=resident, card=card, amount_minor=10_000).topup
    body = json.dumps(
        {
            "kind": "charge",
            "reference": topup.gateway_reference,
            "status": "succeeded",
            "bank_reference": "bnk_x",
        }
    ).encode()
    url = reverse("api-wallet-bank-callback")
    forged = client.post(url, body, content_type="application/json", HTTP_X_BANK_SIGNATURE="00")
    assert forged.status_code == 403
    assert TopUp.objects.get().status == TopUp.Status.PENDING
    for _ in range(2):
        response = client.post(
            url,
            body,
            content_type="application/json",
            HTTP_X_BANK_SIGNATURE=callback_signature(body),
        )
        assert response.status_code == 204
    assert TopUp.objects.get().status == TopUp.Status.SUCCEEDED
    assert credited_topups() == 1


def test_card_holder_must_match_the_verified_name():
    resident = make_resident(real_name="王芳")
    bank_card = sandbox_card(holder="李四", number="6228480000000000000")
    from wallet.errors import CardHolderMismatch, VerificationRequired

    with pytest.raises(CardHolderMismatch):
        bank.card_bind(
            user=resident,
            number=bank_card.number,
            holder_name="李四",
            expiry_month=bank_card.expiry_month,
            expiry_year=bank_card.expiry_year,
        )
    unverified = make_resident(level=0, real_name="", phone="+8613912349999")
    with pytest.raises(VerificationRequired):
        bank.card_bind(
            user=unverified,
            number=bank_card.number,
            holder_name="李四",
            expiry_month=bank_card.expiry_month,
            expiry_year=bank_card.expiry_year,
        )


def test_removed_card_keeps_its_history(bound):
    resident, card, _bank_card = bound
    bank.topup_create(user=resident, card=card, amount_minor=1_000)
    bank.card_remove(card=card)
    topup = TopUp.objects.select_related("card").get()
    assert str(topup.card).endswith("0006")
    assert JournalTransaction.objects.get(kind="topup").metadata["card_last4"] == "0006"
