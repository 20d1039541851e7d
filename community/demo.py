"""Demo people and the demo estate (see ``seed_demo``)."""

from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from community.models import Neighbourhood, User
from core.demo import DEMO_PASSWORD, DemoLog
from wallet.models import BankCard, FxRate, JournalTransaction, SandboxCard, TopUp
from wallet.services import bank, fx, payments
from wallet.services.profile import pin_set, wallet_profile

# Published on purpose: it lets anyone running the demo log in as the operator.
DEMO_OPERATOR_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

DEMO_PEOPLE = [
    # phone, display name, role, language, e-mail
    ("+8613900000001", "平台运营 Ops", User.Role.OPERATOR, "zh-hans", "ops@linli.example"),
    ("+8613900000002", "赵经理", User.Role.PROPERTY_STAFF, "zh-hans", ""),
    ("+8613800000001", "王芳", User.Role.RESIDENT, "zh-hans", "wangfang@linli.example"),
    ("+8613800000002", "Li Lei", User.Role.RESIDENT, "en", ""),
    ("+8613700000001", "张老板", User.Role.MERCHANT_STAFF, "zh-hans", ""),
    ("+8613700000002", "小陈 (收银)", User.Role.MERCHANT_STAFF, "zh-hans", ""),
    ("+8613700000003", "刘师傅", User.Role.MERCHANT_STAFF, "zh-hans", ""),
]

# Verified residents: real name, verification level, and the card they bind.
DEMO_VERIFIED = {
    "+8613800000001": ("王芳", 2, "6222020200000000006"),
    "+8613800000002": ("Li Lei", 1, "6228480000000000000"),
    "+8613700000001": ("张伟", 2, "6217000000000000004"),
}
DEMO_PIN = "135790"

DEMO_ESTATE = {
    "slug": "sunshine-garden",
    "name": "阳光花园",
    "city": "上海",
    "district": "浦东新区",
    "address": "上海市浦东新区阳光路 88 号",
}


def demo_user(phone: str) -> User:
    return User.objects.get(phone=phone)


def seed(log: DemoLog) -> None:
    for phone, name, role, language, email in DEMO_PEOPLE:
        user, _created = User.objects.update_or_create(
            phone=phone,
            defaults={
                "display_name": name,
                "role": role,
                "preferred_language": language,
                "email": email or None,
                "phone_verified": True,
                "is_staff": role == User.Role.OPERATOR,
                "is_superuser": role == User.Role.OPERATOR,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if (
            role == User.Role.OPERATOR
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_OPERATOR_TOTP_SECRET)
        note = f"TOTP secret {DEMO_OPERATOR_TOTP_SECRET}" if role == User.Role.OPERATOR else ""
        log.login(
            str(User.Role(role).label), name, f"{phone[3:6]} {phone[6:10]} {phone[10:]}", note
        )

    Neighbourhood.objects.update_or_create(
        slug=DEMO_ESTATE["slug"],
        defaults={k: v for k, v in DEMO_ESTATE.items() if k != "slug"},
    )
    _seed_wallets(log)


def _seed_wallets(log: DemoLog) -> None:
    """Verified residents with a PIN, a bound card, a top-up and one transfer (once)."""
    operator = User.objects.get(phone="+8613900000001")
    if not FxRate.objects.exists():
        fx.rate_set(
            operator=operator, base="CNY", quote="HKD", mid_rate=Decimal("1.0850"), spread_bps=30
        )
        fx.rate_set(
            operator=operator, base="CNY", quote="USD", mid_rate=Decimal("0.1380"), spread_bps=30
        )
    for phone, (real_name, level, number) in DEMO_VERIFIED.items():
        user = User.objects.get(phone=phone)
        User.objects.filter(pk=user.pk).update(real_name=real_name, verification_level=level)
        user.refresh_from_db()
        if not wallet_profile(user).has_pin:
            pin_set(user=user, new_pin=DEMO_PIN)
        card = BankCard.objects.filter(owner=user, removed_at__isnull=True).first()
        if card is None:
            bank_card = SandboxCard.objects.get(number=number)
            card = bank.card_bind(
                user=user,
                number=number,
                holder_name=real_name,
                expiry_month=bank_card.expiry_month,
                expiry_year=bank_card.expiry_year,
            )
        if not TopUp.objects.filter(user_id=user.pk).exists():
            bank.topup_create(user=user, card=card, amount_minor=200_000)
    wang = User.objects.get(phone="+8613800000001")
    li = User.objects.get(phone="+8613800000002")
    if not JournalTransaction.objects.filter(kind=JournalTransaction.Kind.TRANSFER).exists():
        payments.transfer_create(
            sender=wang, recipient=li, amount_minor=5_000, note="快递费", pin=DEMO_PIN
        )
    log.note(f"Payment PIN of the verified demo residents: {DEMO_PIN}")
