from decimal import Decimal

from community.demo import DEMO_ESTATE, demo_user
from community.models import Neighbourhood
from core.demo import DemoLog
from property_mgmt.models import Building, PropertyCompany, PropertyStaff, Unit
from property_mgmt.services import company_take_over, staff_add

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
    log.note(
        f"Estate: {estate.name}, {len(BUILDINGS)} buildings, "
        f"{Unit.objects.filter(building__neighbourhood=estate).count()} units"
    )
