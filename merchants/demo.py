from community.demo import DEMO_ESTATE, DEMO_PIN, demo_user
from community.models import Neighbourhood
from core.demo import DemoLog
from merchants.models import Shop, ShopStaff
from wallet import paylinks
from wallet.models import Account, Payment
from wallet.services import payments
from wallet.services.accounts import payee_account

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
    for name, category, address, staff in SHOPS:
        shop, _ = Shop.objects.update_or_create(
            neighbourhood=estate,
            name=name,
            defaults={"category": category, "address": address, "status": Shop.Status.APPROVED},
        )
        for phone, role in staff:
            ShopStaff.objects.update_or_create(
                shop=shop, user=demo_user(phone), defaults={"role": role}
            )
        account = payee_account(
            kind=Account.Kind.MERCHANT, owner_ref=f"shop:{shop.pk}", name=shop.name, hot_shards=8
        )
        log.note(f"Pay link for {shop.name}: {paylinks.make_url(account)}")
    fruit = Shop.objects.get(neighbourhood=estate, name="鲜果超市")
    account = payee_account(
        kind=Account.Kind.MERCHANT, owner_ref=f"shop:{fruit.pk}", name=fruit.name
    )
    wang = demo_user("+8613800000001")
    if not Payment.objects.filter(payee=account).exists():
        payments.payment_create(
            payer=wang, payee=account, amount_minor=2_580, description="苹果 2 斤", pin=DEMO_PIN
        )
    log.note(f"Shops: {', '.join(name for name, *_ in SHOPS)}")
