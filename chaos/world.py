"""The harness's Django side: the people and shops of the run, and the checks after it.

Imported only after ``django.setup()`` with the harness's own database in the environment.
Setup goes through the services (cards bound at the sandbox bank, opening top-ups charged
there), so every fen in the wallets came in through the bank, as in production.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.authtoken.models import Token

from community.crypto import digest
from community.models import IdentityRecord, Membership, Neighbourhood, User
from merchants.models import PaymentRequest, Shop, ShopRefund, ShopStaff
from merchants.services.accounts import shop_account
from wallet.models import (
    Account,
    IdempotencyRecord,
    JournalTransaction,
    NoticeOutbox,
    Payment,
    Posting,
    SandboxCard,
    SandboxFault,
    SandboxStatementLine,
    TopUp,
)
from wallet.services import bank
from wallet.services.accounts import wallet_account
from wallet.services.audit import ledger_check
from wallet.services.bank import GIVE_UP_AFTER, SETTLE_GRACE, resolve_pending
from wallet.services.notices import deliver_pending
from wallet.services.profile import pin_set

PIN = "246810"
CARD_OPENING_MINOR = 10_000_000_00
OPENING_TOPUP_MINOR = 2_000_00
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class Resident:
    user_id: int
    phone: str
    token: str
    card_id: int
    account_id: int


@dataclass
class ShopSide:
    shop_id: int
    cashier_token: str
    account_id: int


@dataclass
class World:
    residents: list[Resident]
    shops: list[ShopSide]
    bank_clearing_ids: list[int]
    card_opening_total: int
    tables: dict[str, str] = field(default_factory=dict)


def _luhn_complete(body: str) -> str:
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def _identity_number(n: int) -> str:
    born = date(1980, 1, 1) + timedelta(days=n)
    body = f"110101{born:%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def _resident(estate: Neighbourhood, n: int) -> Resident:
    real_name = f"住户{n:02d}"
    user = User.objects.create_user(
        phone=f"+8613900{n:06d}",
        display_name=real_name,
        real_name=real_name,
        verification_level=User.VerificationLevel.III,
        phone_verified=True,
        preferred_language="en",
    )
    number, now = _identity_number(n), timezone.now()
    # The evidence behind level III, so that binding a card (which recomputes the level)
    # keeps it.
    IdentityRecord.objects.create(
        user=user,
        real_name=real_name,
        id_number=number,
        id_number_digest=digest(number),
        id_number_masked=f"{number[:3]}{'*' * 11}{number[-4:]}",
        provider="chaos",
        provider_reference=f"chaos-{user.pk}",
        verified_at=now,
        bank_confirmed_at=now,
        in_person_confirmed_at=now,
    )
    Membership.objects.create(user=user, neighbourhood=estate, status=Membership.Status.MEMBER)
    pin_set(user=user, new_pin=PIN)
    card_number = _luhn_complete(f"62220202{n:010d}")
    expiry_year = date.today().year + 4
    SandboxCard.objects.create(
        number=card_number,
        holder_name=real_name,
        bank_name="Chaos Bank",
        expiry_month=12,
        expiry_year=expiry_year,
        balance_minor=CARD_OPENING_MINOR,
    )
    card = bank.card_bind(
        user=user,
        number=card_number,
        holder_name=real_name,
        expiry_month=12,
        expiry_year=expiry_year,
    )
    opened = bank.topup_create(user=user, card=card, amount_minor=OPENING_TOPUP_MINOR)
    assert opened.topup.status == TopUp.Status.SUCCEEDED, opened.topup.status
    return Resident(
        user_id=user.pk,
        phone=user.phone,
        token=Token.objects.create(user=user).key,
        card_id=card.pk,
        account_id=wallet_account(user, "CNY").pk,
    )


def _shop(estate: Neighbourhood, n: int) -> ShopSide:
    owner = User.objects.create_user(
        phone=f"+8613800{n:06d}", display_name=f"店主{n}", role=User.Role.MERCHANT_STAFF
    )
    cashier = User.objects.create_user(
        phone=f"+8613700{n:06d}", display_name=f"收银员{n}", role=User.Role.MERCHANT_STAFF
    )
    shop = Shop.objects.create(
        neighbourhood=estate,
        name=f"混沌小店{n}",
        category=Shop.Category.GROCERY,
        address=f"阳光路 {n} 号",
        status=Shop.Status.APPROVED,
        owner=owner,
    )
    ShopStaff.objects.create(shop=shop, user=owner, role=ShopStaff.Role.OWNER)
    ShopStaff.objects.create(shop=shop, user=cashier, role=ShopStaff.Role.CASHIER)
    return ShopSide(
        shop_id=shop.pk,
        cashier_token=Token.objects.create(user=cashier).key,
        account_id=shop_account(shop).pk,
    )


def build(residents: int, shops: int) -> World:
    estate = Neighbourhood.objects.create(
        name="混沌花园",
        slug=f"chaos-{secrets.token_hex(3)}",
        city="上海",
        address="上海市混沌路 1 号",
    )
    people = [_resident(estate, n) for n in range(1, residents + 1)]
    sides = [_shop(estate, n) for n in range(1, shops + 1)]
    return World(
        residents=people,
        shops=sides,
        bank_clearing_ids=list(
            Account.objects.filter(system_code=Account.SystemCode.BANK_CLEARING).values_list(
                "pk", flat=True
            )
        ),
        card_opening_total=CARD_OPENING_MINOR * residents,
        tables={
            "account": Account._meta.db_table,
            "shard": Account.shards.rel.related_model._meta.db_table,
            "topup": TopUp._meta.db_table,
            "fault": SandboxFault._meta.db_table,
            "line": SandboxStatementLine._meta.db_table,
        },
    )


# --- after the run -----------------------------------------------------------------------


def stop_faults() -> None:
    SandboxFault.objects.filter(remaining__gt=0).update(remaining=0)


def resolve_everything() -> int:
    """Resolve every pending top-up as the beat would, once the give-up period has passed:
    the clock is moved past it rather than waited for (the clients have all stopped)."""
    rounds = 0
    while TopUp.objects.filter(status=TopUp.Status.PENDING).exists() and rounds < 20:
        resolve_pending(now=timezone.now() + GIVE_UP_AFTER + SETTLE_GRACE)
        rounds += 1
    return TopUp.objects.filter(status=TopUp.Status.PENDING).count()


def snapshot(world: World) -> dict[str, int]:
    """Totals of one consistent snapshot (the readers take the same through psycopg)."""
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL.format(**world.tables), [world.bank_clearing_ids])
        total, in_wallets, topped_up = cursor.fetchone()
    return {"total": int(total), "in_wallets": int(in_wallets), "topped_up": int(topped_up)}


# Per currency all balances (rows plus hot-account shards) sum to zero, and what is in the
# wallets and shops (everything but bank clearing) is what completed top-ups brought in:
# this run withdraws nothing and settles nothing, so no money leaves.
SNAPSHOT_SQL = """
SELECT
  (SELECT COALESCE(SUM(balance_minor), 0) FROM {account} WHERE currency = 'CNY')
  + (SELECT COALESCE(SUM(s.balance_minor), 0) FROM {shard} s JOIN {account} a
       ON a.id = s.account_id WHERE a.currency = 'CNY'),
  (SELECT COALESCE(SUM(balance_minor), 0) FROM {account}
       WHERE currency = 'CNY' AND NOT (id = ANY(%s)))
  + (SELECT COALESCE(SUM(s.balance_minor), 0) FROM {shard} s JOIN {account} a
       ON a.id = s.account_id WHERE a.currency = 'CNY'),
  (SELECT COALESCE(SUM(amount_minor), 0) FROM {topup}
       WHERE status = 'succeeded' AND currency = 'CNY')
"""


def ledger_problems() -> list[str]:
    return [str(problem) for problem in ledger_check()]


def bank_problems(world: World) -> list[str]:
    """The bank's books against ours: what left the cards is exactly what completed top-ups
    credited, and every card balance is its opening balance less its statement lines."""
    problems = []
    charged = -(
        SandboxStatementLine.objects.filter(kind="charge").aggregate(s=Sum("amount_minor"))["s"]
        or 0
    )
    credited = (
        TopUp.objects.filter(status=TopUp.Status.SUCCEEDED).aggregate(s=Sum("amount_minor"))["s"]
        or 0
    )
    if charged != credited:
        problems.append(f"bank charged {charged} but completed top-ups credited {credited}")
    on_cards = SandboxCard.objects.aggregate(s=Sum("balance_minor"))["s"] or 0
    if on_cards + charged != world.card_opening_total:
        problems.append(
            f"cards hold {on_cards} + charged {charged} != opening {world.card_opening_total}"
        )
    references = {
        reference
        for reference in SandboxStatementLine.objects.filter(
            kind="charge", amount_minor__lt=0
        ).values_list("reference", flat=True)
    }
    for topup in TopUp.objects.all():
        if (topup.gateway_reference in references) != (topup.status == TopUp.Status.SUCCEEDED):
            problems.append(f"top-up {topup.pk} is {topup.status} but the bank says otherwise")
    return problems


def pending_topups() -> int:
    return TopUp.objects.filter(status=TopUp.Status.PENDING).count()


def effects(op: dict[str, Any], world: World) -> tuple[int, int | None]:
    """How many times ``op`` took effect, and the id of what its response named (to match).

    Each operation carries an amount no other operation of its kind uses (and a refund its
    key as the reason), so its effects are counted without trusting any response.
    """
    kind, amount = op["kind"], op["amount"]
    if kind == "topup":
        rows = list(TopUp.objects.filter(user_id=op["user_id"], amount_minor=amount))
        return len(rows), rows[0].pk if len(rows) == 1 else None
    if kind == "pay":
        payments = list(
            Payment.objects.filter(payer_id=op["account_id"], amount_minor=amount).values_list(
                "transaction_id", flat=True
            )
        )
        return len(payments), payments[0] if len(payments) == 1 else None
    if kind == "transfer":
        postings = list(
            Posting.objects.filter(
                account_id=op["account_id"],
                amount_minor=-amount,
                transaction__kind=JournalTransaction.Kind.TRANSFER,
            ).values_list("transaction_id", flat=True)
        )
        return len(postings), postings[0] if len(postings) == 1 else None
    if kind == "refund":
        refunds = list(ShopRefund.objects.filter(reason=op["key"]).values_list("pk", flat=True))
        return len(refunds), refunds[0] if len(refunds) == 1 else None
    raise ValueError(kind)


def topup_status(topup_id: int) -> str:
    return TopUp.objects.get(pk=topup_id).status


def ledger_has_topup(topup_id: int) -> int:
    return JournalTransaction.objects.filter(reference=f"topup:{topup_id}").count()


def requests_per_reference(reference: str) -> int:
    return PaymentRequest.objects.filter(reference=reference).count()


def replayed_keys_with_two_records() -> int:
    """The unique index makes this zero; counted so a dropped index would show."""
    from django.db.models import Count

    return (
        IdempotencyRecord.objects.values("user_id", "key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def undelivered_notices() -> int:
    return NoticeOutbox.objects.filter(sent_at__isnull=True).count()


def sweep_notices() -> int:
    """What the beat's sweep does every 30 s: deliver whatever a lost wake-up left."""
    return deliver_pending()


def payments_without_their_notice() -> int:
    """Committed payments whose payer was never told (the notice commits with the money)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM wallet_payment p
             WHERE NOT EXISTS (
                   SELECT 1 FROM core_notification n
                    WHERE n.kind = 'payment_sent'
                      AND n.data ->> 'payment_id' = p.id::text)
            """
        )
        return int(cursor.fetchone()[0])
