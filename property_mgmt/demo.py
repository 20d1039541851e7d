from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from community.demo import DEMO_ESTATE, DEMO_PIN, demo_user
from community.models import Announcement, Neighbourhood
from community.services.announcements import announcement_publish
from core.demo import DemoLog
from property_mgmt.models import (
    Bill,
    Building,
    FeeRate,
    Household,
    MeterReading,
    PropertyCompany,
    PropertyStaff,
    Unit,
)
from property_mgmt.services import company_take_over, staff_add
from property_mgmt.services.billing import billing_issue_month
from property_mgmt.services.bills import late_fees_accrue
from property_mgmt.services.fees import fee_rate_set, reading_record
from property_mgmt.services.households import household_add, household_confirm
from property_mgmt.services.paying import bills_pay
from property_mgmt.services.settlement import company_payout_card_set, company_payout_profile
from wallet.models import SandboxCard

BUILDINGS = ["1号楼", "2号楼", "3号楼"]
FLOORS = 6
# Two flats per floor: the east flat is larger.
FLAT_AREAS = {"01": Decimal("89.50"), "02": Decimal("120.00")}


def seed(log: DemoLog) -> None:
    estate = Neighbourhood.objects.get(slug=DEMO_ESTATE["slug"])
    company, _ = PropertyCompany.objects.get_or_create(name="安居物业")
    company_take_over(company=company, neighbourhood=estate)
    staff_add(company=company, user=demo_user("+8613900000002"), role=PropertyStaff.Role.MANAGER)
    for name in BUILDINGS:
        building, _ = Building.objects.get_or_create(
            neighbourhood=estate, name=name, defaults={"floors": FLOORS}
        )
        for floor in range(1, FLOORS + 1):
            for suffix, area in FLAT_AREAS.items():
                Unit.objects.get_or_create(
                    building=building,
                    number=f"{floor}{suffix}",
                    defaults={"floor": floor, "area_m2": area, "kind": Unit.Kind.FLAT},
                )
    _seed_notices(estate)
    _seed_payout_card(company, log)
    _seed_bills(estate, log)
    log.note(
        f"Estate: {estate.name}, {len(BUILDINGS)} buildings, "
        f"{Unit.objects.filter(building__neighbourhood=estate).count()} units"
    )


# The company's card at the sandbox bank (wallet.demo.DEMO_BANK_CARDS), in its own name.
COMPANY_CARD = "6225880000000000010"


def _seed_payout_card(company: PropertyCompany, log: DemoLog) -> None:
    """The manager enters the company's card once; fees are paid out to it every night."""
    if company_payout_profile(company) is None:
        card = SandboxCard.objects.get(number=COMPANY_CARD)
        company_payout_card_set(
            manager=demo_user("+8613900000002"),
            company=company,
            number=COMPANY_CARD,
            expiry_month=card.expiry_month,
            expiry_year=card.expiry_year,
        )
    log.note(f"{company.name} is paid out daily to its card ending {COMPANY_CARD[-4:]}")


# Where the demo residents live: phone -> (building, unit, relation).
DEMO_HOMES = {
    "+8613800000001": ("1号楼", "101", Household.Relation.OWNER),
    "+8613800000002": ("2号楼", "101", Household.Relation.TENANT),
}
PROPERTY_FEE = Decimal("2.50")  # yuan per m² a month
# Yuan per m³: the first 10 m³ of a month, then the rest.
WATER_TIERS: list[list[str | None]] = [["10", "3.50"], [None, "5.00"]]


def _unit(estate: Neighbourhood, building: str, number: str) -> Unit:
    return Unit.objects.get(building__neighbourhood=estate, building__name=building, number=number)


def _seed_notices(estate: Neighbourhood) -> None:
    """Households (which confirm the residents in their buildings) and two notices."""
    manager = demo_user("+8613900000002")
    for phone, (building, number, relation) in DEMO_HOMES.items():
        unit = Unit.objects.get(
            building__neighbourhood=estate, building__name=building, number=number
        )
        user = demo_user(phone)
        if Household.objects.filter(unit=unit, user=user).exists():
            continue
        household = household_add(
            manager=manager, unit=unit, phone=phone, name=str(user), relation=relation
        )
        household_confirm(manager=manager, household=household)
    if Announcement.objects.filter(neighbourhood=estate).exists():
        return
    building_one = Building.objects.get(neighbourhood=estate, name="1号楼")
    announcement_publish(
        author=manager,
        neighbourhood=estate,
        title="电梯年检通知",
        body="下周二 9:00-12:00 各楼电梯轮流年检，请错峰出行。",
        pinned=True,
    )
    announcement_publish(
        author=manager,
        neighbourhood=estate,
        title="1号楼今晚停水",
        body="因管道维修，1号楼今晚 22:00 至明早 6:00 停水，请提前储水。",
        urgency=Announcement.Urgency.URGENT,
        building_refs=[building_one.pk],
    )


def _seed_bills(estate: Neighbourhood, log: DemoLog) -> None:
    """Rates, last month's and this month's bills; 王芳 paid last month's, Li Lei owes both."""
    manager = demo_user("+8613900000002")
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    if not FeeRate.objects.filter(neighbourhood=estate).exists():
        start = last_month.replace(month=1)
        fee_rate_set(
            manager=manager,
            neighbourhood=estate,
            kind=FeeRate.Kind.PROPERTY,
            effective_from=start,
            price=PROPERTY_FEE,
        )
        fee_rate_set(
            manager=manager,
            neighbourhood=estate,
            kind=FeeRate.Kind.WATER,
            effective_from=start,
            tiers=WATER_TIERS,
        )
    wang_unit = Unit.objects.get(
        building__neighbourhood=estate, building__name="1号楼", number="101"
    )
    if not MeterReading.objects.filter(unit=wang_unit).exists():
        for period, reading in ((last_month, Decimal("112.00")), (this_month, Decimal("126.50"))):
            reading_record(
                manager=manager,
                unit=wang_unit,
                meter=MeterReading.Meter.WATER,
                period=period,
                reading=reading,
            )
    for period in (last_month, this_month):
        billing_issue_month(neighbourhood_id=estate.pk, period=period)
    wang = demo_user("+8613800000001")
    paid = Bill.objects.filter(unit=wang_unit, period=last_month, status=Bill.Status.OPEN)
    if paid.exists():
        bills_pay(user=wang, bills=list(paid), pin=DEMO_PIN)
    late_fees_accrue()
    log.note(
        f"Bills: {Bill.objects.filter(neighbourhood=estate).count()} issued for "
        f"{last_month:%Y-%m} and {this_month:%Y-%m}; 王芳 paid last month's"
    )
