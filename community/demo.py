"""Demo people and the demo estate (see ``seed_demo``)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from community.models import Neighbourhood, User
from core.demo import DEMO_PASSWORD, DemoLog

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
