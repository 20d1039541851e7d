from collections.abc import Iterator
from datetime import date

import pytest

from community.models import User
from tests.factories import UserFactory
from tests.factories import fund as fund  # re-exported: tests import it from here
from wallet.models import Account, BankCard, SandboxCard
from wallet.services import bank, ledger
from wallet.services.accounts import payee_account
from wallet.services.audit import ledger_check
from wallet.services.profile import pin_set

PIN = "246810"


@pytest.fixture(autouse=True)
def _ledger_check_after_each_test(request) -> Iterator[None]:
    yield
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or any(mark.name == "django_db" for mark in request.node.iter_markers())
    ):
        assert [str(problem) for problem in ledger_check()] == []


@pytest.fixture(params=[pytest.param("database", marks=pytest.mark.postgres), "python"])
def pay_path(request, settings) -> str:
    """Run a test on both ways a payment posts: the ``wallet_pay`` function (PostgreSQL's
    path, so marked ``postgres``) and statement by statement (SQLite's path, here on the
    same database)."""
    settings.WALLET_PAY_IN_DATABASE = request.param == "database"
    return request.param


def make_resident(level: int = 1, real_name: str = "王芳", pin: str | None = PIN, **extra) -> User:
    user = UserFactory(verification_level=level, real_name=real_name, **extra)
    if pin:
        pin_set(user=user, new_pin=pin)
    return user


def balance_of(account: Account) -> int:
    return ledger.account_balance(account).balance_minor


def shop_account(name: str = "鲜果超市", ref: str = "shop:1", hot: int = 0) -> Account:
    return payee_account(kind=Account.Kind.MERCHANT, owner_ref=ref, name=name, hot_shards=hot)


def sandbox_card(
    holder="王芳",
    number="6222020200000000006",
    balance=1_000_000,
    status="ok",
    expiry=None,
    bank="中国工商银行",
) -> SandboxCard:
    expiry = expiry or (12, date.today().year + 3)
    return SandboxCard.objects.create(
        bank_name=bank,
        number=number,
        holder_name=holder,
        expiry_month=expiry[0],
        expiry_year=expiry[1],
        balance_minor=balance,
        status=status,
    )


def bind_card(user, holder="王芳", **bank_card) -> tuple[BankCard, SandboxCard]:
    """A card at the sandbox bank in ``holder``'s name, bound to ``user``'s wallet."""
    at_bank = sandbox_card(holder=holder, **bank_card)
    card = bank.card_bind(
        user=user,
        number=at_bank.number,
        holder_name=holder,
        expiry_month=at_bank.expiry_month,
        expiry_year=at_bank.expiry_year,
    )
    return card, at_bank


@pytest.fixture
def resident(db) -> User:
    return make_resident()


@pytest.fixture
def shop(db) -> Account:
    return shop_account()
