"""The wallet API: every endpoint, its error codes, idempotency, and scoping."""

import csv
import io
import uuid

import pytest
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from community.models import User
from tests.factories import UserFactory
from tests.wallet.conftest import PIN, fund, make_resident, sandbox_card, shop_account
from wallet.models import IdempotencyRecord, Payment
from wallet.services import bank, payments
from wallet.services.idempotency import request_fingerprint

pytestmark = pytest.mark.django_db


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def post(api, name, data, *args, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key or uuid.uuid4().hex, **extra}
    return api.post(reverse(name, args=args), data, format="json", **headers)


@pytest.fixture
def resident():
    user = make_resident()
    fund(user, 100_000)
    return user


def test_balances_and_payment_round_trip(resident):
    api = client_for(resident)
    shop = shop_account()
    assert api.get(reverse("api-wallet-balances")).json() == [
        {"currency": "CNY", "balance_minor": 100_000, "held_minor": 0, "available_minor": 100_000}
    ]
    preview = api.post(
        reverse("api-wallet-payment-preview"),
        {"payee_account_id": shop.pk, "amount_minor": 2_500},
        format="json",
    ).json()
    assert preview["total_minor"] == 2_500 and preview["needs_pin"] is True
    assert preview["balance_after_minor"] == 97_500 and preview["problems"] == []

    response = post(
        api,
        "api-wallet-payments",
        {"payee_account_id": shop.pk, "amount_minor": 2_500, "description": "水果", "pin": PIN},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["balance"]["available_minor"] == 97_500
    assert body["payment"]["payee"] == "鲜果超市"
    detail = api.get(reverse("api-wallet-payment", args=[body["payment"]["id"]]))
    assert detail.json()["amount_minor"] == 2_500


def test_a_resident_payee_is_named_by_the_masked_verified_name_never_the_phone(resident):
    """Any account id can be named to the dry run: walking them must not collect names
    and mobile numbers."""
    named = make_resident(phone="+8613912345002", real_name="王小雷")
    unverified = UserFactory(phone="+8613912345003", real_name="")
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    api = client_for(resident)
    for neighbour, shown in ((named, "**雷"), (unverified, "A resident's wallet")):
        account = payments.wallet_account(neighbour)
        preview = api.post(
            reverse("api-wallet-payment-preview"),
            {"payee_account_id": account.pk, "amount_minor": 100},
            format="json",
        )
        assert preview.json()["payee"] == shown
        assert "13912345" not in preview.content.decode()
    paid = post(
        api,
        "api-wallet-payments",
        {
            "payee_account_id": payments.wallet_account(named).pk,
            "amount_minor": 100,
            "description": "x",
            "pin": PIN,
        },
    )
    assert paid.json()["payment"]["payee"] == "**雷"


def test_money_moving_posts_require_an_idempotency_key(resident):
    response = client_for(resident).post(
        reverse("api-wallet-payments"),
        {
            "payee_account_id": shop_account().pk,
            "amount_minor": 100,
            "description": "x",
            "pin": PIN,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    assert not Payment.objects.exists()


def test_same_key_same_body_replays_and_another_body_is_refused(resident):
    api = client_for(resident)
    body = {
        "payee_account_id": shop_account().pk,
        "amount_minor": 1_000,
        "description": "x",
        "pin": PIN,
    }
    first = post(api, "api-wallet-payments", body, key="k-1")
    again = post(api, "api-wallet-payments", body, key="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1

    other = post(api, "api-wallet-payments", {**body, "amount_minor": 2_000}, key="k-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_a_retry_after_a_wrong_pin_runs_and_no_pin_is_kept_under_the_key(resident):
    """The stored fingerprint is an unsalted hash: with the PIN in it, the rest of the body
    known from the payment would give the PIN back in a million tries."""
    api = client_for(resident)
    body = {"payee_account_id": shop_account().pk, "amount_minor": 700, "description": "x"}
    wrong = post(api, "api-wallet-payments", {**body, "pin": "975310"}, key="k-pin")
    assert wrong.json()["error"]["code"] == "pin_incorrect"
    right = post(api, "api-wallet-payments", {**body, "pin": PIN}, key="k-pin")
    assert right.status_code == 201 and "Idempotent-Replayed" not in right
    assert Payment.objects.count() == 1

    stored = IdempotencyRecord.objects.get(user=resident, key="k-pin").fingerprint
    path = reverse("api-wallet-payments")
    assert stored == request_fingerprint("POST", path, body)


def test_a_refusal_is_replayed_too(resident):
    api = client_for(resident)
    body = {
        "payee_account_id": shop_account().pk,
        "amount_minor": 999_999,
        "description": "x",
        "pin": PIN,
    }
    first = post(api, "api-wallet-payments", body, key="k-2")
    assert first.status_code == 422
    assert first.json()["error"]["code"] == "single_limit_exceeded"
    assert post(api, "api-wallet-payments", body, key="k-2").json() == first.json()


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"amount_minor": 0}, 400, "validation_failed"),
        ({"amount_minor": 100, "pin": ""}, 403, "pin_required"),
        ({"amount_minor": 100, "pin": "975310"}, 403, "pin_incorrect"),
        ({"amount_minor": 100, "currency": "EUR"}, 400, "validation_failed"),
        ({"amount_minor": 100, "payee_account_id": 999_999}, 404, "not_found"),
    ],
)
def test_payment_errors_have_stable_codes(resident, data, status, code):
    body = {"payee_account_id": shop_account().pk, "description": "x", "pin": PIN, **data}
    response = post(client_for(resident), "api-wallet-payments", body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_refund_and_cancel_only_by_whom_the_payment_was_paid_to(resident):
    neighbour = make_resident(phone="+8613912345000", real_name="李雷")
    transfer_target = payments.wallet_account(neighbour)
    payment = payments.payment_create(
        payer=resident, payee=transfer_target, amount_minor=3_000, description="代购", pin=PIN
    ).payment
    # The payer cannot refund themself; the payee can, in parts
    assert (
        post(client_for(resident), "api-wallet-payment-refund", {}, payment.pk).status_code == 404
    )
    api = client_for(neighbour)
    first = post(api, "api-wallet-payment-refund", {"amount_minor": 1_000}, payment.pk)
    assert first.status_code == 201
    assert first.json()["payment"]["refunded_minor"] == 1_000
    assert first.json()["balance"]["balance_minor"] == 2_000  # the refunder's new balance
    too_much = post(api, "api-wallet-payment-refund", {"amount_minor": 2_001}, payment.pk)
    assert too_much.json()["error"]["code"] == "refund_exceeds_payment"
    cancel = post(api, "api-wallet-payment-cancel", {}, payment.pk)
    assert cancel.json()["error"]["code"] == "payment_not_cancellable"


def test_holds_capture_and_void_over_the_api(resident):
    merchant_user = make_resident(phone="+8613912345001", real_name="张三")
    payee = payments.wallet_account(merchant_user)
    api = client_for(resident)
    held = post(
        api,
        "api-wallet-holds",
        {"payee_account_id": payee.pk, "amount_minor": 5_000, "description": "押金", "pin": PIN},
    ).json()
    assert held["balance"]["available_minor"] == 95_000
    hold_id = held["hold"]["id"]
    # The payer cannot capture their own hold
    assert post(api, "api-wallet-hold-capture", {}, hold_id).status_code == 404
    captured = post(
        client_for(merchant_user), "api-wallet-hold-capture", {"amount_minor": 2_000}, hold_id
    )
    assert captured.status_code == 201
    assert captured.json()["balance"]["balance_minor"] == 2_000  # the payee's, not the payer's
    void = post(client_for(merchant_user), "api-wallet-hold-void", {}, hold_id)
    assert void.json()["error"]["code"] == "hold_not_active"
    second = post(
        api,
        "api-wallet-holds",
        {"payee_account_id": payee.pk, "amount_minor": 1_000, "description": "押金", "pin": PIN},
    ).json()
    # The hold is the payee's guarantee: the payer cannot release it, only the payee
    assert post(api, "api-wallet-hold-void", {}, second["hold"]["id"]).status_code == 404
    released = post(client_for(merchant_user), "api-wallet-hold-void", {}, second["hold"]["id"])
    assert released.status_code == 200
    assert released.json()["balance"]["available_minor"] == 2_000  # the payee's own
    assert api.get(reverse("api-wallet-balances")).json()[0]["available_minor"] == 98_000
    assert [h["status"] for h in api.get(reverse("api-wallet-holds")).json()] == [
        "voided",
        "captured",
    ]


def test_transfer_preview_masks_the_name_and_transfer_moves_money(resident):
    make_resident(phone="+8613912345002", real_name="李小雷", pin=None)
    api = client_for(resident)
    preview = api.post(
        reverse("api-wallet-transfer-preview"), {"phone": "139 1234 5002"}, format="json"
    )
    assert preview.json()["masked_real_name"] == "**雷"
    unknown = api.post(
        reverse("api-wallet-transfer-preview"), {"phone": "13999999999"}, format="json"
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "recipient_not_found"
    sent = post(
        api, "api-wallet-transfers", {"phone": "13912345002", "amount_minor": 700, "pin": PIN}
    )
    assert sent.status_code == 201 and sent.json()["balance"]["balance_minor"] == 99_300


def test_cards_top_up_and_withdraw_over_the_api(resident):
    bank_card = sandbox_card(balance=50_000)
    api = client_for(resident)
    bound = api.post(
        reverse("api-wallet-cards"),
        {
            "number": "6222 0202 0000 0000 006",
            "holder_name": "王芳",
            "expiry_month": bank_card.expiry_month,
            "expiry_year": bank_card.expiry_year,
        },
        format="json",
    )
    assert bound.status_code == 201
    card = bound.json()
    assert card["last4"] == "0006" and "number" not in card and "token" not in card
    renamed = api.patch(
        reverse("api-wallet-card", args=[card["id"]]), {"nickname": "工资卡"}, format="json"
    )
    assert renamed.json()["display_name"].startswith("工资卡")
    assert (
        api.get(reverse("api-wallet-card-balance", args=[card["id"]])).json()["amount_minor"]
        == 50_000
    )

    key = uuid.uuid4().hex
    topup = post(api, "api-wallet-topups", {"card_id": card["id"], "amount_minor": 20_000}, key=key)
    assert topup.json()["topup"]["status"] == "succeeded"
    assert (
        api.get(reverse("api-wallet-topup", args=[topup.json()["topup"]["id"]])).status_code == 200
    )
    withdrawal = post(
        api, "api-wallet-withdrawals", {"card_id": card["id"], "amount_minor": 5_000, "pin": PIN}
    )
    assert withdrawal.json()["withdrawal"]["status"] == "succeeded"
    assert withdrawal.json()["balance"]["balance_minor"] == 115_000
    assert api.delete(reverse("api-wallet-card", args=[card["id"]])).status_code == 204
    assert api.get(reverse("api-wallet-cards")).json() == []


def test_pending_top_up_replay_tells_how_it_ended(resident):
    from django.utils import timezone

    from wallet.gateways.sandbox import inject_fault
    from wallet.models import SandboxFault

    sandbox_card(balance=50_000)
    card = bank.card_bind(
        user=resident,
        number="6222020200000000006",
        holder_name="王芳",
        expiry_month=12,
        expiry_year=timezone.now().year + 3,
    )
    api = client_for(resident)
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_AFTER)
    body = {"card_id": card.pk, "amount_minor": 10_000}
    first = post(api, "api-wallet-topups", body, key="t-1")
    assert first.json()["topup"]["status"] == "pending"
    bank.resolve_pending(now=timezone.now() + timezone.timedelta(minutes=1))
    replay = post(api, "api-wallet-topups", body, key="t-1")
    assert replay.json()["topup"]["status"] == "succeeded"
    assert replay.json()["balance"]["balance_minor"] == 110_000


def test_settings_pin_limits_freeze_over_the_api():
    user = make_resident(pin=None)
    api = client_for(user)
    assert api.get(reverse("api-wallet-settings")).json()["has_pin"] is False
    simple = api.post(reverse("api-wallet-pin"), {"new_pin": "123456"}, format="json")
    assert simple.json()["error"]["code"] == "pin_too_simple"
    assert api.post(reverse("api-wallet-pin"), {"new_pin": PIN}, format="json").json()["has_pin"]
    limits = api.patch(
        reverse("api-wallet-settings"), {"no_pin_limit_minor": 5_000, "pin": PIN}, format="json"
    )
    assert limits.json()["no_pin_limit_minor"] == 5_000
    assert api.post(reverse("api-wallet-freeze")).json()["is_frozen"] is True
    unfrozen = api.post(
        reverse("api-wallet-unfreeze"),
        {"password": "correct-horse-battery", "pin": PIN},
        format="json",
    )
    assert unfrozen.json()["is_frozen"] is False


def test_the_csv_export_is_in_the_readers_language_and_no_cell_runs_as_a_formula(resident):
    shop = shop_account()
    payments.payment_create(
        payer=resident,
        payee=shop,
        amount_minor=1_250,
        description='=HYPERLINK("http://evil.example","退款")',
        pin=PIN,
    )
    api = client_for(resident)
    answer = api.get(reverse("api-wallet-history-csv"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["时间", "交易单号", "类型", "说明", "交易对方", "金额", "币种"]
    payment = next(row for row in rows if "HYPERLINK" in row[3])
    assert payment[3] == '\'=HYPERLINK("http://evil.example","退款")'
    assert payment[2] == "付款" and payment[5] == "-12.50"  # a number stays a number


def test_history_filters_csv_receipt_and_statement(resident):
    api = client_for(resident)
    shop = shop_account()
    for amount in (1_000, 2_000, 3_000):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=amount, description=f"买菜{amount}", pin=PIN
        )
    page = api.get(reverse("api-wallet-history"), {"kind": "payment", "page_size": 2}).json()
    assert [entry["amount_minor"] for entry in page["results"]] == [-3_000, -2_000]
    assert page["next"]
    rest = api.get(page["next"]).json()
    assert [entry["amount_minor"] for entry in rest["results"]] == [-1_000]
    assert (
        api.get(reverse("api-wallet-history"), {"min_amount_minor": 2_500}).json()["results"][0][
            "amount_minor"
        ]
        == -3_000
    )
    assert (
        len(api.get(reverse("api-wallet-history"), {"counterparty": "鲜果"}).json()["results"]) == 3
    )

    csv_text = b"".join(api.get(reverse("api-wallet-history-csv")).streaming_content).decode(
        "utf-8-sig"
    )
    assert "买菜3000" in csv_text and "-30.00" in csv_text

    transaction_id = page["results"][0]["transaction_id"]
    detail = api.get(reverse("api-wallet-transaction", args=[transaction_id])).json()
    assert detail["verification_code"].startswith(f"{transaction_id}-")
    pdf = api.get(reverse("api-wallet-receipt-pdf", args=[transaction_id]))
    assert pdf["Content-Type"] == "application/pdf"
    # The Chinese is real text in a CJK font, not boxes: it reads back as written
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "买菜3000" in text and "鲜果超市" in text and detail["verification_code"] in text

    from django.utils import timezone

    today = timezone.localdate()
    statement = api.get(reverse("api-wallet-statement", args=[today.year, today.month])).json()
    assert statement["money_out_minor"] == 6_000
    assert (
        statement["closing_minor"]
        == statement["opening_minor"] + statement["money_in_minor"] - 6_000
    )


def test_history_is_constant_in_queries(resident, django_assert_max_num_queries):
    api = client_for(resident)
    shop = shop_account()
    payments.payment_create(payer=resident, payee=shop, amount_minor=100, description="x", pin=PIN)
    with django_assert_max_num_queries(4) as few:
        api.get(reverse("api-wallet-history"))
    for _ in range(10):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=100, description="x", pin=PIN
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get(reverse("api-wallet-history"))


def test_resident_a_gets_404_for_everything_of_resident_b(resident):
    other = make_resident(phone="+8613912345003", real_name="赵六")
    fund(other, 10_000)
    sandbox_card(holder="赵六", number="6217000000000000004")
    from django.utils import timezone

    card = bank.card_bind(
        user=other,
        number="6217000000000000004",
        holder_name="赵六",
        expiry_month=12,
        expiry_year=timezone.now().year + 3,
    )
    topup = bank.topup_create(user=other, card=card, amount_minor=1_000).topup
    payment = payments.payment_create(
        payer=other, payee=shop_account(), amount_minor=100, description="x", pin=PIN
    ).payment
    api = client_for(resident)
    for name, args in [
        ("api-wallet-card", [card.pk]),
        ("api-wallet-card-balance", [card.pk]),
        ("api-wallet-topup", [topup.pk]),
        ("api-wallet-payment", [payment.pk]),
        ("api-wallet-transaction", [payment.transaction_id]),
        ("api-wallet-receipt-pdf", [payment.transaction_id]),
    ]:
        response = api.get(reverse(name, args=args))
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"
    assert (
        post(api, "api-wallet-topups", {"card_id": card.pk, "amount_minor": 100}).status_code == 404
    )
    assert post(api, "api-wallet-payment-refund", {}, payment.pk).status_code == 404
    history = api.get(reverse("api-wallet-history")).json()["results"]
    assert payment.transaction_id not in {entry["transaction_id"] for entry in history}
    assert [b["balance_minor"] for b in api.get(reverse("api-wallet-balances")).json()] == [100_000]


def test_operator_endpoints_need_staff_and_four_eyes(resident):
    maker = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    checker = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    from allauth.mfa.totp.internal.auth import TOTP

    for operator in (maker, checker):
        TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert client_for(resident).get(reverse("api-wallet-corrections")).status_code == 403
    shop = shop_account()
    proposal = (
        client_for(maker)
        .post(
            reverse("api-wallet-corrections"),
            {
                "legs": [
                    {"account_id": payments.wallet_account(resident).pk, "amount_minor": -100},
                    {"account_id": shop.pk, "amount_minor": 100},
                ],
                "reason": "补差价",
            },
            format="json",
        )
        .json()
    )
    assert proposal["status"] == "proposed"
    self_approve = client_for(maker).post(
        reverse("api-wallet-correction-approve", args=[proposal["id"]])
    )
    assert self_approve.json()["error"]["code"] == "correction_not_allowed"
    approved = client_for(checker).post(
        reverse("api-wallet-correction-approve", args=[proposal["id"]])
    )
    assert approved.json()["status"] == "posted"
    rate = client_for(maker).post(
        reverse("api-wallet-fx-rates"),
        {"base": "CNY", "quote": "USD", "mid_rate": "0.1380", "spread_bps": 30},
        format="json",
    )
    assert rate.status_code == 201


def test_fx_quote_and_conversion_over_the_api(resident):
    from decimal import Decimal

    from wallet.services import fx

    fx.rate_set(
        operator=UserFactory(is_staff=True),
        base="CNY",
        quote="USD",
        mid_rate=Decimal("0.1380"),
        spread_bps=30,
    )
    api = client_for(resident)
    quote = api.post(
        reverse("api-wallet-fx-quotes"),
        {"sell_currency": "CNY", "buy_currency": "USD", "sell_minor": 10_000},
        format="json",
    ).json()
    assert quote["buy_minor"] == 1_375  # 100 × 0.1380 × 0.997 = 13.7586, down to 13.75
    converted = post(api, "api-wallet-fx-conversions", {"quote_id": quote["id"], "pin": PIN})
    assert converted.json()["balances"]["USD"]["balance_minor"] == 1_375
    again = post(api, "api-wallet-fx-conversions", {"quote_id": quote["id"], "pin": PIN})
    assert again.json()["error"]["code"] == "quote_expired"
