"""A shop owner moves the payouts to another card: with the PIN, to their own valid cards
only, told in the inbox; the next payout (a retry included) goes to the new card."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.urls import reverse

from core.errors import NotFound
from core.models import Notification
from merchants.errors import NotShopOwner, SettlementCardInvalid
from merchants.services.onboarding import settlement_card_change
from tests.factories import UserFactory
from tests.merchants.conftest import PIN, make_cashier
from tests.merchants.settlement.conftest import DAY, at, bind_card, pay, settle
from wallet.errors import PinIncorrect
from wallet.models import PayoutProfile, SandboxCard, Settlement
from wallet.services.profile import pin_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(shop, card):
    pin_set(user=shop.owner, new_pin=PIN)
    return shop.owner


def test_a_declined_payout_is_paid_to_the_new_card(
    settings, shop, card, owner, resident, django_capture_on_commit_callbacks
):
    # Given the shop's card was revoked and last night's payout was declined
    settings.WALLET_PAYOUT_FAILED_HANDLER = ["merchants.services.settlement.payout_failed"]
    SandboxCard.objects.filter(pk=card.pk).update(status=SandboxCard.Status.REVOKED)
    pay(resident, shop, 10_000, at(DAY, 12))
    settle(at(DAY + timedelta(days=1), 1))
    day = Settlement.objects.get()
    assert day.status == Settlement.Status.RETRYING

    # When the owner moves the payouts to another of their cards
    new_bank_card, new_card = bind_card(owner)
    with django_capture_on_commit_callbacks(execute=True):
        changed = settlement_card_change(owner=owner, shop=shop, card=new_card, pin=PIN)

    # Then the shop and its payout profile name the new card, and the owner is told
    assert changed.settlement_card == new_card
    profile = PayoutProfile.objects.get(account__owner_ref=f"shop:{shop.pk}")
    assert (profile.card_token, profile.last4) == (new_card.token, new_card.last4)
    told = Notification.objects.get(user=owner, kind="settlement_card_changed")
    assert new_card.last4 in told.title and shop.name in told.title
    # and the retry, once due, is paid to the new card
    settle(at(DAY + timedelta(days=1), 3))
    day.refresh_from_db()
    assert day.status == Settlement.Status.PAID
    new_bank_card.refresh_from_db()
    assert new_bank_card.balance_minor == day.payout_minor > 0
    card.refresh_from_db()
    assert card.balance_minor == 0


def test_only_the_owner_changes_the_card(shop, card, owner):
    _sandbox, new_card = bind_card(owner)
    with pytest.raises(NotShopOwner):
        settlement_card_change(owner=make_cashier(shop), shop=shop, card=new_card, pin=PIN)
    with pytest.raises(NotFound):
        settlement_card_change(owner=UserFactory(), shop=shop, card=new_card, pin=PIN)
    shop.refresh_from_db()
    assert shop.settlement_card_id != new_card.pk


def test_only_the_owners_own_valid_cards_can_be_chosen(shop, card, owner):
    _sandbox, someone_elses = bind_card(UserFactory())
    with pytest.raises(SettlementCardInvalid):
        settlement_card_change(owner=owner, shop=shop, card=someone_elses, pin=PIN)
    _sandbox, expired = bind_card(owner)
    expired.status = expired.Status.EXPIRED
    expired.save(update_fields=["status"])
    with pytest.raises(SettlementCardInvalid):
        settlement_card_change(owner=owner, shop=shop, card=expired, pin=PIN)
    shop.refresh_from_db()
    assert shop.settlement_card_id not in (someone_elses.pk, expired.pk)


def test_a_wrong_pin_changes_nothing_and_is_counted(shop, card, owner):
    _sandbox, new_card = bind_card(owner)
    with pytest.raises(PinIncorrect):
        settlement_card_change(owner=owner, shop=shop, card=new_card, pin="135790")
    shop.refresh_from_db()
    assert shop.settlement_card_id != new_card.pk
    owner.wallet_profile.refresh_from_db()
    assert owner.wallet_profile.failed_pin_attempts == 1
    assert not Notification.objects.filter(kind="settlement_card_changed").exists()


def test_the_api_shows_and_changes_the_card(client, shop, card, owner):
    _sandbox, new_card = bind_card(owner)
    url = reverse("api-merchant-settlement-card", kwargs={"shop_id": shop.pk})
    client.force_login(owner)

    shown = client.get(url)
    assert shown.status_code == 200
    assert shown.json()["last4"] == shop.settlement_card.last4

    wrong = client.post(url, {"card_id": new_card.pk, "pin": "135790"}, "application/json")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "pin_incorrect"
    changed = client.post(url, {"card_id": new_card.pk, "pin": PIN}, "application/json")
    assert changed.status_code == 200
    assert changed.json() == {
        "id": new_card.pk,
        "bank_name": new_card.bank_name,
        "last4": new_card.last4,
        "status": "valid",
    }

    client.force_login(make_cashier(shop))
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"card_id": new_card.pk, "pin": PIN}, "application/json").status_code
        == 404
    )


def test_the_page_asks_an_owner_without_a_pin_to_set_one(client, shop, card):
    client.force_login(shop.owner)
    page = client.get(reverse("merchant-settlement-card", kwargs={"shop_id": shop.pk}))
    html = page.content.decode()
    assert "data-needs-pin" in html and "data-settlement-card-form" not in html
    assert reverse("wallet-settings") in html


def test_the_page_offers_the_owners_cards_and_changes_the_card(client, shop, card, owner):
    _sandbox, new_card = bind_card(owner)
    _sandbox, theirs = bind_card(UserFactory())
    url = reverse("merchant-settlement-card", kwargs={"shop_id": shop.pk})
    client.force_login(owner)

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{new_card.pk}"' in html and f'value="{theirs.pk}"' not in html
    assert "data-settlement-card-form" in html

    wrong = client.post(url, {"card": new_card.pk, "pin": "135790"})
    assert wrong.status_code == 200
    assert "errorlist" in wrong.content.decode() and "PIN is not correct" in wrong.content.decode()
    moved = client.post(url, {"card": new_card.pk, "pin": PIN})
    assert moved.status_code == 302
    assert moved["Location"] == reverse("merchant-settlements", kwargs={"shop_id": shop.pk})
    shop.refresh_from_db()
    assert shop.settlement_card == new_card


@pytest.mark.django_db(transaction=True)
def test_a_fee_change_during_a_card_change_keeps_the_new_card(shop, card, owner):
    """An operator's new category rate lands while an owner's card change is in flight: the
    rate change waits for the shop, so the payout profile ends with the new card and the
    new rate, not the card the owner moved away from."""
    from django.db import connection, transaction

    from merchants.models import Shop
    from merchants.services import settlement as shop_settlement
    from merchants.services.settlement import shop_payout_register
    from tests.merchants.onboarding.conftest import make_operator

    _new_bank_card, new_card = bind_card(owner)
    operator = make_operator()

    def set_the_rate() -> None:
        try:
            shop_settlement.category_fee_set(operator=operator, category=shop.category, fee_bps=35)
        finally:
            connection.close()

    rate_change = threading.Thread(target=set_the_rate)
    with transaction.atomic():  # the owner's card change, as settlement_card_change does it
        locked = Shop.objects.select_for_update(of=("self",)).get(pk=shop.pk)
        locked.settlement_card = new_card
        locked.save(update_fields=["settlement_card"])
        shop_payout_register(locked)
        rate_change.start()
        rate_change.join(timeout=1.0)  # it reads the shops now; the card change still runs
    rate_change.join(timeout=10)
    assert not rate_change.is_alive()

    profile = PayoutProfile.objects.get(account__owner_ref=f"shop:{shop.pk}")
    assert (profile.card_token, profile.fee_bps) == (new_card.token, 35)
