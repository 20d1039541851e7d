from community.demo import DEMO_ESTATE, demo_user
from community.models import Neighbourhood
from core.demo import DemoLog
from merchants.models import Shop, ShopStaff

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
    log.note(f"Shops: {', '.join(name for name, *_ in SHOPS)}")
