"""Demo people and the demo estate (see ``seed_demo``)."""

from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from community.models import Circle, IdentityRecord, Membership, Neighbourhood, User
from community.services import circles, helping, redpackets, verification
from community.services.membership import membership_confirm, staff_membership_grant
from community.verification.sandbox import DEMO_IDENTITIES, seed_demo_identities
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

# Verified residents: real name, the sandbox card they bind (the identity numbers are in
# the sandbox provider's registry, community.verification.sandbox.DEMO_IDENTITIES).
DEMO_VERIFIED = {
    "+8613800000001": ("王芳", "6222020200000000006"),
    "+8613800000002": ("Li Lei", "6228480000000000000"),
    "+8613700000001": ("张伟", "6217000000000000004"),
}
# Residents confirmed by the estate's manager as living there.
DEMO_MEMBERS = ["+8613800000001", "+8613800000002"]
DEMO_MANAGER = "+8613900000002"
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

    estate, _created = Neighbourhood.objects.update_or_create(
        slug=DEMO_ESTATE["slug"],
        defaults={k: v for k, v in DEMO_ESTATE.items() if k != "slug"},
    )
    _seed_wallets(log)
    _seed_neighbours(estate, log)
    free = [
        f"{name} {number}"
        for name, number in DEMO_IDENTITIES
        if not any(name == real_name for real_name, _card in DEMO_VERIFIED.values())
    ]
    log.note(f"Sandbox identities for new residents to verify with: {', '.join(free)}")


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
    seed_demo_identities()
    identity_numbers = dict(DEMO_IDENTITIES)
    for phone, (real_name, number) in DEMO_VERIFIED.items():
        user = User.objects.get(phone=phone)
        if not IdentityRecord.objects.filter(user=user).exists():
            verification.identity_submit(
                user=user, real_name=real_name, id_number=identity_numbers[real_name]
            )
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


def _seed_neighbours(estate: Neighbourhood, log: DemoLog) -> None:
    """Confirmed residents, two circles with posts, a help request and a red packet (once)."""
    manager = demo_user(DEMO_MANAGER)
    staff_membership_grant(user=manager, neighbourhood=estate)
    for phone in DEMO_MEMBERS:
        user = demo_user(phone)
        if not Membership.objects.filter(
            user=user, neighbourhood=estate, status=Membership.Status.MEMBER
        ).exists():
            membership_confirm(neighbourhood=estate, user=user, confirmed_by=manager)
    wang, li = demo_user("+8613800000001"), demo_user("+8613800000002")
    if Circle.objects.filter(neighbourhood=estate).exists():
        return
    runners = circles.circle_create(
        user=wang, neighbourhood=estate, name="晨跑群", description="每天早上六点半，小区南门集合"
    )
    circles.circle_create(
        user=li,
        neighbourhood=estate,
        name="宠物之家",
        description="遛狗、寄养、宠物医院推荐",
        join_policy=Circle.JoinPolicy.APPROVAL,
    )
    circles.circle_join(user=li, circle=runners)
    post = circles.post_create(
        author=wang, circle=runners, body="明天早上有人一起跑 5 公里吗？@Li Lei 一起来吧"
    )
    circles.comment_create(author=li, post=post, body="算我一个！")
    circles.post_like(user=li, post=post)
    helping.help_request_open(
        requester=li,
        neighbourhood=estate,
        title="帮忙取个快递",
        details="菜鸟驿站，取件码 3-2-1108，放 2 号楼门口就行",
        reward_minor=1_000,
        pin=DEMO_PIN,
    )
    redpackets.red_packet_send(
        sender=wang,
        circle=runners,
        total_minor=888,
        shares=3,
        greeting="跑友们早安！",
        pin=DEMO_PIN,
    )
    log.note(f"{estate.name}: circles 晨跑群 and 宠物之家, a help request, a red packet")
