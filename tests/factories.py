import factory
from django.contrib.auth import get_user_model

from community.models import Neighbourhood

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"+86136{n:08d}")
    display_name = factory.Faker("name", locale="zh_CN")
    preferred_language = "zh-hans"
    phone_verified = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):  # type: ignore[no-untyped-def]
        if create and results:
            instance.save(update_fields=["password"])


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighbourhood

    name = factory.Sequence(lambda n: f"小区{n}")
    slug = factory.Sequence(lambda n: f"estate-{n}")
    city = "上海"
    address = factory.Sequence(lambda n: f"上海市某路 {n} 号")


def fund(user, amount_minor: int, currency: str = "CNY") -> None:  # type: ignore[no-untyped-def]
    """Credit a wallet as a completed top-up would (bank clearing → wallet)."""
    from django.db import transaction

    from wallet.models import Account, JournalTransaction
    from wallet.services import ledger
    from wallet.services.accounts import system_account, wallet_account

    with transaction.atomic():
        ledger.post(
            kind=JournalTransaction.Kind.TOPUP,
            legs=[
                ledger.Leg(
                    system_account(Account.SystemCode.BANK_CLEARING, currency), -amount_minor
                ),
                ledger.Leg(wallet_account(user, currency), amount_minor),
            ],
            description="test funding",
        )
