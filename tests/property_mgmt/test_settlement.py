"""A property company's daily settlement: a manager enters the company's card (tokenised
by the bank, never stored), the fees residents paid are paid out the next night at 0
basis points, and only the company's managers see its settlements."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import NotFound
from core.models import Notification
from property_mgmt.errors import PayoutCardRejected
from property_mgmt.models import PropertyCompany, PropertyStaff
from property_mgmt.services.collection import collection_account
from property_mgmt.services.settlement import company_payout_card_set, settlement_paid
from property_mgmt.services.staff import staff_add
from tests.community.conftest import make_member
from tests.factories import UserFactory
from tests.property_mgmt.conftest import PIN, fund, make_estate, make_manager
from wallet.models import BankCard, PayoutProfile, SandboxCard, Settlement
from wallet.services import payments
from wallet.services.settlement import settle_due

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)
CARD = "6222020200000000048"


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def estate():
    return make_estate()


@pytest.fixture
def company(estate) -> PropertyCompany:
    return PropertyCompany.objects.get(neighbourhoods=estate)


@pytest.fixture
def manager(estate):
    return make_manager(estate)


@pytest.fixture
def bank_card(company) -> SandboxCard:
    return SandboxCard.objects.create(
        bank_name="中国银行",
        number=CARD,
        holder_name=company.name,
        expiry_month=6,
        expiry_year=DAY.year + 3,
        balance_minor=0,
    )


@pytest.fixture
def profile(manager, company, bank_card) -> PayoutProfile:
    return company_payout_card_set(
        manager=manager,
        company=company,
        number="6222 0202 0000 0000 048",
        expiry_month=6,
        expiry_year=DAY.year + 3,
    )


@pytest.fixture
def resident(estate):
    user = make_member(estate, level=2)
    fund(user, 1_000_000)
    return user


def pay_fees(resident, company, amount: int, when: datetime):
    with time_machine.travel(when, tick=False):
        return payments.payment_create(
            payer=resident,
            payee=collection_account(company),
            amount_minor=amount,
            description="物业费",
            pin=PIN,
        ).payment


def settle(when: datetime):
    with time_machine.travel(when, tick=False):
        return settle_due()


def test_a_manager_enters_the_companys_card_and_only_its_token_is_kept(profile, company):
    assert profile.account == collection_account(company)
    assert (profile.last4, profile.holder_name, profile.fee_bps) == ("0048", "安居物业", 0)
    assert profile.card_token.startswith("tok_")
    assert not BankCard.objects.exists()  # a company's card is no person's wallet card
    assert CARD not in str(PayoutProfile.objects.values().get())


def test_a_card_in_another_name_is_refused(manager, company):
    SandboxCard.objects.create(
        bank_name="中国银行",
        number=CARD,
        holder_name="赵经理",  # the manager's own card
        expiry_month=6,
        expiry_year=DAY.year + 3,
        balance_minor=0,
    )
    with pytest.raises(PayoutCardRejected):
        company_payout_card_set(
            manager=manager, company=company, number=CARD, expiry_month=6, expiry_year=DAY.year + 3
        )
    assert not PayoutProfile.objects.exists()


def test_a_clerk_or_another_companys_manager_cannot_set_the_card(estate, company, bank_card):
    clerk = UserFactory()
    staff_add(company=company, user=clerk, role=PropertyStaff.Role.CLERK)
    stranger = make_manager(make_estate("翠湖苑", company="绿城物业"))
    for user in (clerk, stranger):
        with pytest.raises(NotFound):
            company_payout_card_set(
                manager=user, company=company, number=CARD, expiry_month=6, expiry_year=2029
            )


def test_the_fees_residents_paid_are_paid_out_the_next_night_without_a_fee(
    settings, profile, company, manager, resident, bank_card, django_capture_on_commit_callbacks
):
    settings.WALLET_SETTLEMENT_PAID_HANDLER = [
        "merchants.services.settlement.settlement_paid",
        "property_mgmt.services.settlement.settlement_paid",
    ]
    pay_fees(resident, company, 29_875, at(DAY, 9))
    pay_fees(resident, company, 40_000, at(DAY, 20))

    with django_capture_on_commit_callbacks(execute=True):
        settle(at(DAY + timedelta(days=1), 1))

    day = Settlement.objects.get()
    assert (day.status, day.payments_minor, day.fees_minor, day.payout_minor) == (
        "paid",
        69_875,
        0,
        69_875,
    )
    bank_card.refresh_from_db()
    assert bank_card.balance_minor == 69_875
    told = Notification.objects.get(kind="settlement_paid")
    assert told.user == manager and "0048" in told.title


def test_a_shops_settlement_is_not_the_companys_business(company, manager):
    shop_day = Settlement(account=collection_account(company))
    shop_day.account.owner_ref = "shop:1"
    settlement_paid(settlement=shop_day)
    assert not Notification.objects.filter(kind="settlement_paid").exists()


def test_managers_see_the_companys_settlements_and_download_statements(
    profile, company, manager, resident
):
    pay_fees(resident, company, 29_875, at(DAY, 9))
    settle(at(DAY + timedelta(days=1), 1))
    day = Settlement.objects.get()
    client = client_for(manager)

    page = client.get(reverse("company-settlements", args=[company.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-settlement=" in html and "···· 0048" in html
    detail = client.get(reverse("company-settlement", args=[company.pk, day.pk]))
    assert detail.content.decode().count("data-line=") == 1
    statement = client.get(reverse("company-settlement-csv", args=[company.pk, day.pk]))
    body = b"".join(statement.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1][4:7] == ["298.75", "0.00", "298.75"]
    month = client.get(reverse("company-settlements-month-csv", args=[company.pk, 2026, 3]))
    assert month.status_code == 200


def test_the_manager_enters_the_card_on_the_page(manager, company, bank_card):
    client = client_for(manager)
    response = client.post(
        reverse("company-settlements", args=[company.pk]),
        {"number": CARD, "expiry_month": 6, "expiry_year": DAY.year + 3},
    )
    assert response.status_code == 302
    assert PayoutProfile.objects.get().last4 == "0048"
    wrong = client.post(
        reverse("company-settlements", args=[company.pk]),
        {"number": "6222020200000000055", "expiry_month": 6, "expiry_year": DAY.year + 3},
    )
    assert wrong.status_code == 200 and "did not accept this card" in wrong.content.decode()


def test_another_companys_manager_and_a_clerk_get_404(profile, company, resident):
    pay_fees(resident, company, 1_000, at(DAY, 9))
    settle(at(DAY + timedelta(days=1), 1))
    day = Settlement.objects.get()
    clerk = UserFactory()
    staff_add(company=company, user=clerk, role=PropertyStaff.Role.CLERK)
    other_estate = make_estate("翠湖苑", company="绿城物业")
    other_company = PropertyCompany.objects.get(neighbourhoods=other_estate)
    stranger = make_manager(other_estate)

    for user in (clerk, stranger):
        client = client_for(user)
        for url in [
            reverse("company-settlements", args=[company.pk]),
            reverse("company-settlement", args=[company.pk, day.pk]),
            reverse("company-settlement-csv", args=[company.pk, day.pk]),
            reverse("company-settlements-month-csv", args=[company.pk, 2026, 3]),
        ]:
            assert client.get(url).status_code == 404, (user, url)
    # nor through the stranger's own company
    stranger_client = client_for(stranger)
    assert (
        stranger_client.get(
            reverse("company-settlement", args=[other_company.pk, day.pk])
        ).status_code
        == 404
    )


def test_the_list_page_takes_the_same_queries_for_one_day_or_many(
    profile, company, manager, resident
):
    client = client_for(manager)
    url = reverse("company-settlements", args=[company.pk])
    pay_fees(resident, company, 1_000, at(DAY, 9))
    settle(at(DAY + timedelta(days=1), 1))
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for offset in range(1, 5):
        pay_fees(resident, company, 1_000 + offset, at(DAY + timedelta(days=offset), 9))
    settle(at(DAY + timedelta(days=6), 1))
    assert Settlement.objects.count() == 5
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_demo_pays_out_its_company_and_its_verified_owners_shop():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # converges: nothing registered twice

    profiles = dict(PayoutProfile.objects.values_list("label", "fee_bps"))
    assert profiles == {"安居物业": 0, "鲜果超市": 38}
    assert PayoutProfile.objects.get(label="安居物业").last4 == "0010"


def test_a_declined_payout_goes_to_the_new_card_a_manager_enters(
    settings, profile, company, manager, resident, bank_card, django_capture_on_commit_callbacks
):
    settings.WALLET_PAYOUT_FAILED_HANDLER = "property_mgmt.services.settlement.payout_failed"
    pay_fees(resident, company, 50_000, at(DAY, 9))
    SandboxCard.objects.filter(pk=bank_card.pk).update(status=SandboxCard.Status.REVOKED)
    with django_capture_on_commit_callbacks(execute=True):
        settle(at(DAY + timedelta(days=1), 1))
    assert Settlement.objects.get().status == Settlement.Status.RETRYING
    assert Notification.objects.filter(user=manager, kind="settlement_payout_declined").exists()

    new_card = SandboxCard.objects.create(
        bank_name="中国银行",
        number="6217000000000000111",
        holder_name=company.name,
        expiry_month=6,
        expiry_year=DAY.year + 3,
        balance_minor=0,
    )
    company_payout_card_set(
        manager=manager,
        company=company,
        number=new_card.number,
        expiry_month=6,
        expiry_year=DAY.year + 3,
    )
    settle(at(DAY + timedelta(days=1), 3))

    new_card.refresh_from_db()
    bank_card.refresh_from_db()
    assert (new_card.balance_minor, bank_card.balance_minor) == (50_000, 0)
    assert Settlement.objects.get().status == Settlement.Status.PAID
