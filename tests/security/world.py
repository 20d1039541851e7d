"""The world the access-control matrix runs in: two estates, their people and one object of
every kind that a URL names, all on "the A side".

Estate A is run by company A with manager A; residents A and B live in it (A in 1号楼-101,
B in 1号楼-102); shop X trades there with cashier X. Estate B is run by company B with
manager B, and shop Y trades there with cashier Y. The operator has two-factor set up.

Every object a URL parameter names belongs to resident A, shop X, estate A or company A, so
that one row of the matrix says who may reach "A's thing": its owner, the staff who run
it, the operator, and everyone else. Where the natural second party is a neighbour, it is
resident B (B offers help on A's request, B is invited to work at shop X, B reported A's
post), which the table states next to the row.

Objects are made through the services where that is cheap, and written directly where the
path to them is long (a settlement, a reconciliation): the matrix is about who may read or
act on them, not how they came to be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from community.models import Circle, CircleMember, Membership, User
from community.services import circles as circle_services
from community.services.announcements import announcement_publish
from community.services.helping.requests import help_offer, help_request_open
from community.services.redpackets import red_packet_send
from core.notifications import notify
from merchants.models import Shop, ShopStaff, WebhookDelivery
from merchants.services import checkout, offers, onboarding, webhooks
from merchants.services.accounts import shop_account
from property_mgmt.models import BillingRun, Household, PropertyCompany
from property_mgmt.services.autopay import autopay_consent
from property_mgmt.services.collection import collection_account
from tests.factories import UserFactory, fund
from tests.merchants.conftest import make_cashier, make_shop
from tests.property_mgmt.bills.conftest import pay
from tests.property_mgmt.conftest import (
    PIN,
    make_estate,
    make_household_member,
    make_manager,
    unit_of,
)
from tests.property_mgmt.paying.conftest import make_bill
from wallet import paylinks
from wallet.models import Account, PayoutProfile, Reconciliation, SandboxCard, Settlement
from wallet.services import bank, payments
from wallet.services.accounts import system_account, wallet_account
from wallet.services.corrections import correction_propose

ROLES = (
    "anonymous",
    "resident_a",
    "resident_b",
    "owner_x",
    "cashier_x",
    "cashier_y",
    "manager_a",
    "manager_b",
    "operator",
)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CARD_NUMBER = "6222020200000000006"


@dataclass
class World:
    users: dict[str, User | None]
    # URL keyword -> value, for every keyword the URL configuration uses.
    kwargs: dict[str, Any]
    # Per URL name, the keywords whose object differs from the default for that word.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def kwargs_for(self, name: str, keywords: tuple[str, ...]) -> dict[str, Any]:
        specific = {**self.kwargs, **self.overrides.get(name, {})}
        unknown = [word for word in keywords if word not in specific]
        assert not unknown, f"{name}: add an object for {unknown} to build_world()"
        return {word: specific[word] for word in keywords}


def build_world() -> World:
    estate_a = make_estate("阳光花园", company="安居物业")
    estate_b = make_estate("翠湖苑", company="绿城物业")
    company_a = PropertyCompany.objects.get(neighbourhoods=estate_a)
    manager_a = make_manager(estate_a)
    manager_b = make_manager(estate_b)

    flat = unit_of(estate_a, "1号楼", "101")
    resident_a = make_household_member(flat, real_name="王芳")
    resident_b = make_household_member(unit_of(estate_a, "1号楼", "102"), real_name="李雷")
    fund(resident_a, 1_000_00)
    # A neighbour who is none of the roles: waits to join A's circle, is blocked by A, and
    # has asked to live in 2号楼-101 (the household the manager's buttons act on).
    neighbour = make_household_member(unit_of(estate_a, "2号楼", "101"), real_name="张伟")
    pending_home = Household.objects.get(user=neighbour)
    pending_home.status = Household.Status.PENDING
    pending_home.save(update_fields=["status"])

    shop_x = make_shop(estate_a, "鲜果超市")
    shop_y = make_shop(estate_b, "老王面馆", category=Shop.Category.FOOD)
    cashier_x = make_cashier(shop_x)
    cashier_y = make_cashier(shop_y)
    application = Shop.objects.create(
        neighbourhood=estate_a,
        name="新开花店",
        category=Shop.Category.GROCERY,
        address="阳光路 9 号",
        status=Shop.Status.PENDING,
        owner=UserFactory(role=User.Role.MERCHANT_STAFF),
    )

    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True, preferred_language="en")
    TOTP.activate(operator, TOTP_SECRET)

    # Resident A's money: a card, a top-up, a withdrawal, a payment to shop X at its till
    # (the payment, its transaction and its receipt), a hold for shop X.
    SandboxCard.objects.create(
        bank_name="中国工商银行",
        number=CARD_NUMBER,
        holder_name="王芳",
        expiry_month=12,
        expiry_year=date.today().year + 3,
        balance_minor=1_000_000,
    )
    card = bank.card_bind(
        user=resident_a,
        number=CARD_NUMBER,
        holder_name="王芳",
        expiry_month=12,
        expiry_year=date.today().year + 3,
    )
    topup = bank.topup_create(user=resident_a, card=card, amount_minor=100_00).topup
    withdrawal = bank.withdrawal_create(
        user=resident_a, card=card, amount_minor=10_00, pin=PIN
    ).withdrawal
    till_request = checkout.request_create(cashier=cashier_x, shop=shop_x, amount_minor=25_00)
    payment = checkout.request_pay(payer=resident_a, payment_request=till_request, pin=PIN).payment
    open_request = checkout.request_create(cashier=cashier_x, shop=shop_x, amount_minor=12_00)
    # B sends A money: a payment into A's own wallet, the kind A may refund.
    fund(resident_b, 50_00)
    transfer = payments.payment_create(
        payer=resident_b,
        payee=wallet_account(resident_a),
        amount_minor=20_00,
        description="买菜钱",
        pin=PIN,
    ).payment
    hold = payments.hold_create(
        payer=resident_a,
        payee=shop_account(shop_x),
        amount_minor=5_00,
        description="deposit",
        pin=PIN,
    ).hold

    # Shop X's back office: an invite for resident B, a campaign and A's coupon, a webhook
    # endpoint with one delivery, a day's settlement.
    invite = onboarding.staff_invite(owner=shop_x.owner, shop=shop_x, phone=resident_b.phone)
    campaign = offers.campaign_create(
        owner=shop_x.owner,
        shop=shop_x,
        name="开业优惠",
        kind="amount_off",
        amount_minor=5_00,
        budget_count=10,
        budget_minor=50_00,
        ends_at=timezone.now() + timedelta(days=7),
    )
    offers.coupon_claim(user=resident_a, campaign=campaign)
    endpoint = webhooks.endpoint_create(
        owner=shop_x.owner,
        shop=shop_x,
        url="http://127.0.0.1:9/hooks/linli",
        event_types=list(webhooks.EVENT_TYPES),
    ).endpoint
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type="payment.succeeded", event_key="matrix", payload={}
    )
    shop_settlement = _settlement(shop_account(shop_x), "鲜果超市")
    company_settlement = _settlement(collection_account(company_a), "安居物业")

    # Estate A's life: an announcement, a circle of A's with B in it and the neighbour
    # waiting, A's post that B reported, A's red packet, A's help request that B offered
    # on, A's block of the neighbour.
    announcement = announcement_publish(
        author=manager_a, neighbourhood=estate_a, title="停水通知", body="周六停水"
    )
    circle = circle_services.circle_create(
        user=resident_a,
        neighbourhood=estate_a,
        name="跑步群",
        join_policy=Circle.JoinPolicy.APPROVAL,
    )
    circle_services.circle_member_approve(
        actor=resident_a, member=circle_services.circle_join(user=resident_b, circle=circle)
    )
    waiting = circle_services.circle_join(user=neighbour, circle=circle)
    assert waiting.status == CircleMember.Status.PENDING
    post = circle_services.post_create(author=resident_a, circle=circle, body="周末一起跑步")
    report = circle_services.report_create(reporter=resident_b, post=post, reason="广告")
    packet = red_packet_send(sender=resident_a, circle=circle, total_minor=2_00, shares=2, pin=PIN)
    help_request = help_request_open(
        requester=resident_a, neighbourhood=estate_a, title="帮忙取快递"
    )
    offer = help_offer(helper=resident_b, request=help_request)
    circle_services.block_create(blocker=resident_a, blocked=neighbour)

    # Estate A's bills: A's open bill, a month's billing run, A's auto-pay consent.
    bill = make_bill(flat, 300_00)
    paid_bill = pay(make_bill(flat, 120_00), resident_a)
    run = BillingRun.objects.create(
        neighbourhood=estate_a, period=date(2026, 3, 1), requested_by=manager_a
    )
    consent = autopay_consent(user=resident_a, unit=flat, monthly_cap_minor=500_00)

    # The operator's desk: a proposed correction and a day's reconciliation.
    proposal = correction_propose(
        operator=operator,
        legs=[
            {
                "account_id": system_account(Account.SystemCode.BANK_CLEARING, "CNY").pk,
                "amount_minor": -1_00,
            },
            {
                "account_id": system_account(Account.SystemCode.SUSPENSE, "CNY").pk,
                "amount_minor": 1_00,
            },
        ],
        reason="matrix",
    )
    reconciliation = Reconciliation.objects.create(
        business_date=date(2026, 3, 2), status=Reconciliation.Status.CLEAN
    )

    notification = notify(resident_a, kind="matrix", title="hello")
    today = timezone.localdate()
    own_staff = ShopStaff.objects.get(shop=shop_x, user=cashier_x)
    assert Membership.objects.filter(user=resident_b, neighbourhood=estate_a).exists()

    users: dict[str, User | None] = {
        "anonymous": None,
        "resident_a": resident_a,
        "resident_b": resident_b,
        "owner_x": shop_x.owner,
        "cashier_x": cashier_x,
        "cashier_y": cashier_y,
        "manager_a": manager_a,
        "manager_b": manager_b,
        "operator": operator,
    }
    kwargs: dict[str, Any] = {
        "estate_id": estate_a.pk,
        "neighbourhood_id": estate_a.pk,
        "announcement_id": announcement.pk,
        "circle_id": circle.pk,
        "member_id": waiting.pk,
        "post_id": post.pk,
        "report_id": report.pk,
        "user_id": neighbour.pk,
        "request_id": help_request.pk,
        "packet_id": packet.pk,
        "notification_id": notification.pk,
        "token": paylinks.make_token(shop_account(shop_x)),
        "card_id": card.pk,
        "transaction_id": payment.transaction_id,
        "year": today.year,
        "month": today.month,
        "hold_id": hold.pk,
        "payment_id": payment.pk,
        "proposal_id": proposal.pk,
        "reconciliation_id": reconciliation.pk,
        "invite_id": invite.pk,
        "shop_id": shop_x.pk,
        "staff_id": own_staff.pk,
        "campaign_id": campaign.pk,
        "move": "pause",
        "endpoint_id": endpoint.pk,
        "delivery_pk": delivery.pk,
        "settlement_id": shop_settlement.pk,
        "unit_id": flat.pk,
        "household_id": pending_home.pk,
        "run_id": run.pk,
        "bill_id": bill.pk,
        "company_id": company_a.pk,
        "offer_id": offer.pk,
        "consent_id": consent.pk,
        "topup_id": topup.pk,
        "withdrawal_id": withdrawal.pk,
    }
    overrides: dict[str, dict[str, Any]] = {
        # Pages where a word names something else than its default.
        "merchant-till-request": {"request_id": open_request.pk},
        "merchant-request-pay": {"token": open_request.token},
        "api-checkout-request": {"request_id": open_request.pk},
        "api-checkout-request-preview": {"token": open_request.token},
        "api-checkout-request-pay": {"token": open_request.token},
        "operator-shop-review": {"shop_id": application.pk},
        "api-merchant-application-review": {"shop_id": application.pk},
        "company-settlement": {"settlement_id": company_settlement.pk},
        "company-settlement-csv": {"settlement_id": company_settlement.pk},
        "wallet-refund": {"payment_id": transfer.pk},
        "api-wallet-payment-refund": {"payment_id": transfer.pk},
        "api-wallet-payment-cancel": {"payment_id": transfer.pk},
        "my-bill-receipt": {"bill_id": paid_bill.pk},
        "my-bill-receipt-pdf": {"bill_id": paid_bill.pk},
        "api-resident-bill-receipt-pdf": {"bill_id": paid_bill.pk},
        "merchant-settlements-month-csv": {"year": 2026, "month": 3},
        "company-settlements-month-csv": {"year": 2026, "month": 3},
    }
    return World(users=users, kwargs=kwargs, overrides=overrides)


def _settlement(account: Account, label: str) -> Settlement:
    profile = PayoutProfile.objects.create(
        account=account,
        label=label,
        card_token=f"tok-matrix-{account.pk}",
        bank_name="中国工商银行",
        last4="0014",
        holder_name=label,
    )
    return Settlement.objects.create(
        profile=profile,
        account=account,
        business_date=date(2026, 3, 2),
        currency="CNY",
        status=Settlement.Status.CALCULATED,
    )


__all__ = ["ROLES", "World", "build_world", "fund"]
