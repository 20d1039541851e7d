"""The end-to-end benchmark's world, built in the bench process before the servers start.

One estate with a property company collecting its fees, residents (verification level III,
a PIN, raised limits, a funded wallet, a confirmed household with open monthly bills) and
approved shops with their owners. Every resident and shop owner gets a session as if they
had logged in, and a CSRF token, so that the load generator never pays for a login.

Not a benchmark itself (``make bench`` skips files that start with an underscore).
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

PIN = "246810"
FUNDING_MINOR = 50_000_00
BILL_TOTAL_MINOR = 150_00
CSRF_CHARS = string.ascii_letters + string.digits


@dataclass
class Person:
    user_id: int
    phone: str
    cookie: str  # the Cookie header: session and CSRF token
    csrf: str


@dataclass
class World:
    residents: list[Person]
    owners: list[Person]  # one per shop, same order as shop_ids
    shop_ids: list[int]
    shop_account_ids: list[int]
    bills: dict[int, list[tuple[int, int]]]  # resident's user id -> [(bill id, total)]
    timings: dict[str, float] = field(default_factory=dict)


def session_for(user: Any) -> Person:
    """A logged-in session as ``django.contrib.auth.login`` would store it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    # A CSRF secret of Django's own alphabet and length: the header may send it unmasked.
    csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
    return Person(
        user_id=user.pk,
        phone=user.phone,
        cookie=f"sessionid={store.session_key}; csrftoken={csrf}",
        csrf=csrf,
    )


def build_world(
    *, residents: int, shops: int, bills_per_resident: int, pin_iterations: int
) -> World:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from community.models import Neighbourhood, User
    from merchants.models import Shop, ShopStaff
    from merchants.services.accounts import shop_account
    from property_mgmt.models import (
        Bill,
        BillingPolicy,
        Building,
        Household,
        PropertyCompany,
        Unit,
    )
    from property_mgmt.services.collection import collection_account
    from wallet.hashers import PinHasher, peppered
    from wallet.models import Account, JournalTransaction, WalletProfile
    from wallet.services import ledger
    from wallet.services.accounts import system_account, wallet_account
    from wallet.services.profile import MAX_DAILY_LIMIT_MINOR, MAX_SINGLE_LIMIT_MINOR

    timings: dict[str, float] = {}
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate_seconds"] = round(time.monotonic() - started, 1)
    started = time.monotonic()

    estate = Neighbourhood.objects.create(
        name="压测花园", slug="bench-e2e", city="上海", address="上海市压测路 1 号"
    )
    company = PropertyCompany.objects.create(name="压测物业")
    company.neighbourhoods.add(estate)
    BillingPolicy.objects.create(neighbourhood=estate, company=company, due_day=15)
    # Payee accounts (and their shards) exist before the load: the first payment to each
    # would otherwise create them, which is set-up, not the payment's cost.
    collection_account(company)
    building = Building.objects.create(neighbourhood=estate, name="1号楼", floors=30)

    unusable = make_password(None)
    people = User.objects.bulk_create(
        User(
            phone=f"+86137{n:08d}",
            display_name=f"住户{n}",
            real_name=f"住户{n}",
            verification_level=User.VerificationLevel.III,
            phone_verified=True,
            preferred_language="zh-hans" if n % 4 else "en",
            password=unusable,
        )
        for n in range(residents)
    )
    owners = User.objects.bulk_create(
        User(
            phone=f"+86138{n:08d}",
            display_name=f"店主{n}",
            role=User.Role.MERCHANT_STAFF,
            phone_verified=True,
            preferred_language="zh-hans",
            password=unusable,
        )
        for n in range(shops)
    )

    # Stored as pin_set stores it (peppered, then PinHasher); the iterations are written into
    # each hash, so the server checks it at this cost with its own, unchanged settings.
    default_iterations = PinHasher.iterations
    PinHasher.iterations = pin_iterations
    try:
        pin_hash = make_password(peppered(PIN), hasher=PinHasher.algorithm)
    finally:
        PinHasher.iterations = default_iterations
    now = timezone.now()
    WalletProfile.objects.bulk_create(
        WalletProfile(
            user=user,
            pin_hash=pin_hash,
            pin_changed_at=now,
            single_limit_minor=MAX_SINGLE_LIMIT_MINOR,
            daily_limit_minor=MAX_DAILY_LIMIT_MINOR,
        )
        for user in people
    )
    clearing = system_account(Account.SystemCode.BANK_CLEARING)
    for user in people:
        with transaction.atomic():
            ledger.post(
                kind=JournalTransaction.Kind.TOPUP,
                legs=[
                    ledger.Leg(clearing, -FUNDING_MINOR),
                    ledger.Leg(wallet_account(user), FUNDING_MINOR),
                ],
                description="bench funding",
            )

    units = Unit.objects.bulk_create(
        Unit(building=building, number=f"{n:04d}", area_m2=Decimal("60.00") + n % 40)
        for n in range(residents)
    )
    Household.objects.bulk_create(
        Household(
            unit=unit,
            user=user,
            phone=user.phone,
            name=user.display_name,
            relation=Household.Relation.OWNER,
            status=Household.Status.CONFIRMED,
            confirmed_at=now,
        )
        for unit, user in zip(units, people, strict=True)
    )
    months = [_month(date(2025, 11, 1), n) for n in range(bills_per_resident)]
    made = Bill.objects.bulk_create(
        (
            Bill(
                unit=unit,
                neighbourhood=estate,
                kind=Bill.Kind.MONTHLY,
                period=month,
                title=f"{month:%Y-%m} 物业费",
                total_minor=BILL_TOTAL_MINOR + n % 7,
                due_date=month.replace(day=15),
            )
            for n, unit in enumerate(units)
            for month in months
        ),
        batch_size=2000,
    )
    bills: dict[int, list[tuple[int, int]]] = {user.pk: [] for user in people}
    owner_of_unit = {unit.pk: user.pk for unit, user in zip(units, people, strict=True)}
    for bill in made:
        bills[owner_of_unit[bill.unit_id]].append((bill.pk, bill.total_minor))

    shop_rows = []
    for n, owner in enumerate(owners):
        shop = Shop.objects.create(
            neighbourhood=estate,
            name=f"压测商户{n}",
            category=Shop.Category.GROCERY,
            address=f"压测路 {n + 2} 号",
            status=Shop.Status.APPROVED,
            owner=owner,
        )
        ShopStaff.objects.create(shop=shop, user=owner, role=ShopStaff.Role.OWNER)
        shop_rows.append((shop.pk, shop_account(shop).pk))

    resident_sessions = [session_for(user) for user in people]
    owner_sessions = [session_for(user) for user in owners]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["setup_seconds"] = round(time.monotonic() - started, 1)
    return World(
        residents=resident_sessions,
        owners=owner_sessions,
        shop_ids=[pk for pk, _account in shop_rows],
        shop_account_ids=[account for _pk, account in shop_rows],
        bills=bills,
        timings=timings,
    )


def _month(first: date, offset: int) -> date:
    index = first.year * 12 + first.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)
