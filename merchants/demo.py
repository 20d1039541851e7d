from datetime import timedelta

from django.utils import timezone

from community.demo import DEMO_ESTATE, DEMO_PIN, demo_user
from community.models import Neighbourhood, User
from core.demo import DemoLog
from merchants.models import Campaign, Coupon, Shop, ShopStaff
from merchants.services import offers
from merchants.services.accounts import shop_account
from merchants.services.onboarding import shop_apply
from merchants.services.settlement import shop_payout_register
from wallet import paylinks
from wallet.models import BankCard, Payment
from wallet.services import payments

SHOPS = [
    (
        "鲜果超市",
        Shop.Category.GROCERY,
        "阳光路 86 号底商",
        [
            ("+8613700000001", ShopStaff.Role.OWNER),
            ("+8613700000002", ShopStaff.Role.CASHIER),
        ],
    ),
    (
        "刘师傅家政维修",
        Shop.Category.SERVICES,
        "阳光路 90 号",
        [
            ("+8613700000003", ShopStaff.Role.OWNER),
        ],
    ),
]


def seed(log: DemoLog) -> None:
    estate = Neighbourhood.objects.get(slug=DEMO_ESTATE["slug"])
    _seed_application(estate, log)
    for name, category, address, staff in SHOPS:
        owner = next(demo_user(phone) for phone, role in staff if role == ShopStaff.Role.OWNER)
        # Approved before onboarding existed in the demo: written directly, not applied for.
        shop, _ = Shop.objects.update_or_create(
            neighbourhood=estate,
            name=name,
            defaults={
                "category": category,
                "address": address,
                "status": Shop.Status.APPROVED,
                "owner": owner,
            },
        )
        for phone, role in staff:
            ShopStaff.objects.update_or_create(
                shop=shop, user=demo_user(phone), defaults={"role": role}
            )
        account = shop_account(shop)
        _seed_payout(shop)
        log.note(f"Pay link for {shop.name}: {paylinks.make_url(account)}")
    fruit = Shop.objects.get(neighbourhood=estate, name="鲜果超市")
    account = shop_account(fruit)
    wang = demo_user("+8613800000001")
    if not Payment.objects.filter(payee=account).exists():
        payments.payment_create(
            payer=wang, payee=account, amount_minor=2_580, description="苹果 2 斤", pin=DEMO_PIN
        )
    _seed_campaign(fruit, wang, log)
    log.note(f"Shops: {', '.join(name for name, *_ in SHOPS)}")


def _seed_campaign(shop: Shop, resident: User, log: DemoLog) -> None:
    """A running spend-¥30-save-¥5 campaign of the fruit shop, one coupon claimed by 王芳,
    so that her next payment at its till shows the coupon applied."""
    campaign = Campaign.objects.filter(shop=shop, name="满30减5").first()
    if campaign is None:
        campaign = offers.campaign_create(
            owner=shop.owner,
            shop=shop,
            name="满30减5",
            kind=Campaign.Kind.SPEND_SAVE,
            amount_minor=500,
            min_spend_minor=3_000,
            budget_count=100,
            budget_minor=50_000,
            ends_at=timezone.now() + timedelta(days=60),
        )
    if not Coupon.objects.filter(campaign=campaign, user=resident).exists():
        offers.coupon_claim(user=resident, campaign=campaign)
    log.note(f"{shop.name} runs a coupon campaign ({campaign.name}); 王芳 holds one")


def _seed_payout(shop: Shop) -> None:
    """Settle the shop daily to its owner's bound card, when the owner has one (刘师傅 is
    not verified, so his shop's takings wait in its account)."""
    if shop.settlement_card is None:
        card = BankCard.objects.filter(
            owner=shop.owner, status=BankCard.Status.VALID, removed_at__isnull=True
        ).first()
        if card is None:
            return
        shop.settlement_card = card
        shop.save(update_fields=["settlement_card"])
    shop_payout_register(shop)


def _seed_application(estate: Neighbourhood, log: DemoLog) -> None:
    """A second shop of 张老板 waiting for review; its credit code fails the check on
    purpose (the last character is off by one), so it shows the manual-review flag."""
    owner = demo_user("+8613700000001")
    if Shop.objects.filter(neighbourhood=estate, name="张记早餐").exists():
        return
    card = BankCard.objects.filter(owner=owner, removed_at__isnull=True).first()
    if card is None:
        return
    shop_apply(
        owner=owner,
        name="张记早餐",
        business_name="上海张记餐饮有限公司",
        credit_code="91350100M000100Y44",
        category=Shop.Category.FOOD,
        neighbourhood=estate,
        address="阳光路 92 号",
        description="豆浆、油条、小笼包，早上六点开门",
        settlement_card=card,
    )
    log.note("A shop application waits for the operator at /operator/shops/ (张记早餐)")
