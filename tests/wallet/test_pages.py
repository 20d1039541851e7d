"""Wallet pages: each procedure through its page, scoped to the signed-in resident."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.money import Money
from tests.factories import UserFactory
from tests.wallet.conftest import PIN, balance_of, fund, make_resident, sandbox_card, shop_account
from wallet import paylinks
from wallet.models import CorrectionProposal, Hold, Payment, SandboxCard, TopUp
from wallet.services import fx, payments
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(client):
    user = make_resident()
    fund(user, 100_000)
    client.force_login(user)
    return user


def form_key(response):
    return response.context["form"].initial["idempotency_key"]


def test_home_shows_my_balance_and_activity_only(client, resident):
    other = make_resident(phone="+8613912340077", real_name="赵六")
    fund(other, 77_700)
    page = client.get(reverse("wallet-home")).content.decode()
    assert "¥1,000.00" in page and "¥777.00" not in page


def test_pay_link_page_charges_once_even_if_submitted_twice(client, resident):
    shop = shop_account()
    url = paylinks.make_url(shop, amount_minor=2_550, description="水果")
    page = client.get(url)
    assert page.context["preview"].total_minor == 2_550
    data = {"idempotency_key": form_key(page), "pin": PIN}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1
    assert balance_of(shop) == 2_550
    assert client.get(first["Location"]).status_code == 200


def test_tampered_pay_link_is_404(client, resident):
    url = paylinks.make_url(shop_account(), amount_minor=100)
    assert client.get(url[:-3] + "xx/").status_code == 404


def test_transfer_confirms_the_masked_name_before_the_pin(client, resident):
    make_resident(phone="+8613912340088", real_name="李小雷", pin=None)
    step_one = client.post(
        reverse("wallet-transfer"), {"phone": "139 1234 0088", "amount": "12.30", "note": "还钱"}
    )
    assert "**雷" in step_one.content.decode()
    confirm = step_one.context["form"]
    response = client.post(
        reverse("wallet-transfer"),
        {**confirm.initial, "confirm": "1", "pin": PIN},
    )
    assert response.status_code == 302
    assert balance_of(wallet_account(resident)) == 100_000 - 1_230


def told(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_cards_top_up_and_withdraw_pages(client, resident):
    bank_card = sandbox_card(balance=50_000)
    client.post(
        reverse("wallet-cards"),
        {
            "number": bank_card.number,
            "holder_name": "王芳",
            "expiry_month": bank_card.expiry_month,
            "expiry_year": bank_card.expiry_year,
        },
    )
    card = resident.bank_cards.get()
    page = client.get(reverse("wallet-topup"))
    client.post(
        reverse("wallet-topup"),
        {"idempotency_key": form_key(page), "card": card.pk, "amount": "200"},
    )
    assert TopUp.objects.get().status == "succeeded"
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    page = client.get(reverse("wallet-withdraw"))
    withdrawal = {"idempotency_key": form_key(page), "card": card.pk, "amount": "50", "pin": PIN}
    for _submit in range(2):  # a double submit pays out once and says the same
        sent = client.post(reverse("wallet-withdraw"), withdrawal, follow=True)
        assert told(sent) == [("success", "Withdrawal sent to your card.")]
    assert balance_of(wallet_account(resident)) == 100_000 + 20_000 - 5_000

    # The bank refuses the next payout: the page says so rather than "sent"
    SandboxCard.objects.filter(pk=bank_card.pk).update(status=SandboxCard.Status.BLACKLISTED)
    withdrawal["idempotency_key"] = form_key(client.get(reverse("wallet-withdraw")))
    for _submit in range(2):  # the double submit too, though the card is now blocked
        returned = client.post(reverse("wallet-withdraw"), withdrawal, follow=True)
        assert told(returned) == [
            ("error", "The bank returned the withdrawal; the money is back in your wallet.")
        ]
    assert balance_of(wallet_account(resident)) == 100_000 + 20_000 - 5_000
    # A new withdrawal to the blocked card is refused with the reason, nothing taken
    withdrawal["idempotency_key"] = form_key(client.get(reverse("wallet-withdraw")))
    blocked = client.post(reverse("wallet-withdraw"), withdrawal)
    assert blocked.status_code == 200 and blocked.context["form"].non_field_errors()
    assert balance_of(wallet_account(resident)) == 100_000 + 20_000 - 5_000
    client.post(reverse("wallet-card-action", args=[card.pk]), {"action": "remove"})
    card.refresh_from_db()
    assert card.removed_at is not None


def test_history_page_filters_and_stays_constant_in_queries(
    client, resident, django_assert_max_num_queries
):
    shop = shop_account()
    for amount in (1_000, 5_000):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=amount, description="x", pin=PIN
        )
    page = client.get(reverse("wallet-history"), {"min_amount": "40"})
    amounts = [posting.amount_minor for posting, _parties in page.context["rows"]]
    assert amounts == [-5_000, 100_000]
    with django_assert_max_num_queries(12) as baseline:
        client.get(reverse("wallet-history"))
    for _ in range(10):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=100, description="x", pin=PIN
        )
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get(reverse("wallet-history"))


def test_exchange_page(client, resident):
    fx.rate_set(
        operator=UserFactory(is_staff=True),
        base="CNY",
        quote="HKD",
        mid_rate=Decimal("1.08"),
        spread_bps=50,
    )
    quoted = client.post(
        reverse("wallet-exchange"),
        {"quote": "1", "sell_currency": "CNY", "buy_currency": "HKD", "amount": "100"},
    )
    quote = quoted.context["quote"]
    assert quote.buy_minor == 10_746
    key = quoted.context["convert_form"].initial["idempotency_key"]
    client.post(
        reverse("wallet-exchange"),
        {"convert": "1", "quote_id": quote.pk, "pin": PIN, "idempotency_key": key},
    )
    assert balance_of(wallet_account(resident, "HKD")) == 10_746


def test_holds_page_release_and_capture(client, resident):
    payee_user = make_resident(phone="+8613912340099", real_name="张三")
    hold = payments.hold_create(
        payer=resident,
        payee=wallet_account(payee_user),
        amount_minor=3_000,
        description="押金",
        pin=PIN,
    ).hold
    # The payer cannot release it: the hold is the payee's guarantee until it expires
    client.post(reverse("wallet-hold-action", args=[hold.pk]), {"action": "void"})
    hold.refresh_from_db()
    assert hold.status == Hold.Status.ACTIVE
    assert 'value="void"' not in client.get(reverse("wallet-holds")).content.decode()

    client.force_login(payee_user)
    page = client.get(reverse("wallet-holds"))
    assert "押金" in page.content.decode() and 'value="void"' in page.content.decode()
    client.post(
        reverse("wallet-hold-action", args=[hold.pk]),
        {"action": "capture", "amount": "10", "idempotency_key": "cap-1"},
    )
    hold.refresh_from_db()
    assert (hold.status, hold.captured_minor) == (Hold.Status.CAPTURED, 1_000)


def test_the_holds_page_says_how_an_escrow_hold_ends(client, resident):
    from django.db import transaction

    from wallet.models import Account
    from wallet.services.accounts import system_account

    authorisation = payments.authorise_debit(
        payer=resident, amount_minor=2_000, currency="CNY", pin=PIN
    )
    with transaction.atomic():
        payments.hold_place(
            payer=resident,
            payee=system_account(Account.SystemCode.ESCROW),
            amount_minor=2_000,
            currency="CNY",
            description="🧧 红包",
            authorisation=authorisation,
        )
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    page = client.get(reverse("wallet-holds")).content.decode()
    assert "whatever is not claimed comes back to you" in page
    assert 'value="void"' not in page and "The payee takes" not in page


def test_refund_page_only_for_the_payee(client, resident):
    payee_user = make_resident(phone="+8613912340100", real_name="张三")
    payment = payments.payment_create(
        payer=resident,
        payee=wallet_account(payee_user),
        amount_minor=2_000,
        description="代购",
        pin=PIN,
    ).payment
    assert client.get(reverse("wallet-refund", args=[payment.pk])).status_code == 404
    client.force_login(payee_user)
    page = client.get(reverse("wallet-refund", args=[payment.pk]))
    client.post(
        reverse("wallet-refund", args=[payment.pk]),
        {"action": "refund", "amount": "5", "reason": "少一件", "idempotency_key": form_key(page)},
    )
    assert Payment.objects.get(pk=payment.pk).refunded_minor == 500


def test_operator_console_needs_a_second_operator(client):
    from allauth.mfa.totp.internal.auth import TOTP

    maker, checker = (
        UserFactory(is_staff=True, role="operator"),
        UserFactory(is_staff=True, role="operator"),
    )
    for operator in (maker, checker):
        TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    resident = make_resident()
    fund(resident, 1_000)
    shop = shop_account()
    client.force_login(maker)
    client.post(
        reverse("wallet-operator"),
        {
            "action": "propose",
            "debit_account": wallet_account(resident).pk,
            "credit_account": shop.pk,
            "amount": "1",
            "reason": "补扣",
        },
    )
    proposal = CorrectionProposal.objects.get()
    client.post(reverse("wallet-correction-decide", args=[proposal.pk]), {"action": "approve"})
    assert CorrectionProposal.objects.get().status == "proposed"
    client.force_login(checker)
    client.post(reverse("wallet-correction-decide", args=[proposal.pk]), {"action": "approve"})
    assert CorrectionProposal.objects.get().status == "posted"
    assert balance_of(shop) == 100


def test_residents_cannot_open_the_operator_console(client, resident):
    assert client.get(reverse("wallet-operator")).status_code == 302


def test_settings_page_sets_pin_limits_and_freezes(client):
    user = make_resident(pin=None)
    client.force_login(user)
    client.post(reverse("wallet-settings"), {"action": "pin", "new_pin": PIN, "confirm_pin": PIN})
    client.post(
        reverse("wallet-settings"),
        {
            "action": "limits",
            "no_pin_limit": "50",
            "single_limit": "2000",
            "daily_limit": "5000",
            "pin": PIN,
        },
    )
    profile = user.wallet_profile
    profile.refresh_from_db()
    assert (profile.no_pin_limit_minor, profile.single_limit_minor) == (5_000, 200_000)
    client.post(reverse("wallet-settings"), {"action": "freeze"})
    profile.refresh_from_db()
    assert profile.is_frozen


def test_public_receipt_check(client, resident):
    payment = payments.payment_create(
        payer=resident, payee=shop_account(), amount_minor=880, description="x", pin=PIN
    ).payment
    client.logout()
    from wallet.receipts import verification_code

    code = verification_code(payment.transaction)
    assert (
        'data-verified="yes"'
        in client.get(reverse("receipt-verify"), {"code": code}).content.decode()
    )
    checked = client.get(reverse("receipt-verify"), {"code": code})
    assert [str(a) for a in checked.context["facts"]["amounts"]] == [str(Money(880))]
    forged = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert (
        'data-verified="no"'
        in client.get(reverse("receipt-verify"), {"code": forged}).content.decode()
    )


def test_the_receipt_check_of_a_conversion_shows_both_currencies(client, resident):
    operator = UserFactory(is_staff=True)
    fx.rate_set(operator=operator, base="CNY", quote="HKD", mid_rate=Decimal("1.08"), spread_bps=50)
    quote = fx.quote_create(
        user=resident, sell_currency="CNY", buy_currency="HKD", sell_minor=10_000
    )
    converted = fx.conversion_execute(user=resident, quote_id=quote.pk, pin=PIN)
    from wallet.receipts import verification_code

    client.logout()
    code = verification_code(converted.transaction)
    checked = client.get(reverse("receipt-verify"), {"code": code})
    assert [(a.currency, a.minor) for a in checked.context["facts"]["amounts"]] == [
        ("CNY", 10_000),
        ("HKD", quote.buy_minor),
    ]


def test_monthly_statement_page(client, resident):
    from django.utils import timezone

    payments.payment_create(
        payer=resident, payee=shop_account(), amount_minor=1_200, description="x", pin=PIN
    )
    today = timezone.localdate()
    page = client.get(reverse("wallet-statement", args=[today.year, today.month]))
    statement = page.context["statement"]
    assert (statement.money_in_minor, statement.money_out_minor) == (100_000, 1_200)
    assert statement.closing_minor == 98_800
    assert client.get(reverse("wallet-statement", args=[today.year, 13])).status_code == 404


def test_pages_are_scoped_to_the_signed_in_resident(client, resident):
    other = make_resident(phone="+8613912340111", real_name="赵六")
    fund(other, 5_000)
    theirs = payments.payment_create(
        payer=other, payee=shop_account(), amount_minor=300, description="x", pin=PIN
    ).payment
    assert (
        client.get(reverse("wallet-transaction", args=[theirs.transaction_id])).status_code == 404
    )
    rows = client.get(reverse("wallet-history")).context["rows"]
    assert theirs.transaction_id not in {posting.transaction_id for posting, _parties in rows}
    client.logout()
    for name in ["wallet-home", "wallet-history", "wallet-cards", "wallet-settings"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
