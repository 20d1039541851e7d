from decimal import Decimal

from community.demo import DEMO_ESTATE, demo_user
from community.models import Announcement, Neighbourhood
from community.services.announcements import announcement_publish
from community.services.membership import membership_place
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
    _seed_notices(estate)
    log.note(
        f"Estate: {estate.name}, {len(BUILDINGS)} buildings, "
        f"{Unit.objects.filter(building__neighbourhood=estate).count()} units"
    )


# Where the demo residents live (until households are kept here, the building is all we say).
DEMO_HOMES = {"+8613800000001": "1号楼", "+8613800000002": "2号楼"}


def _seed_notices(estate: Neighbourhood) -> None:
    """Tell the community which building each demo resident lives in; post two notices."""
    buildings = {b.name: b for b in Building.objects.filter(neighbourhood=estate)}
    for phone, building in DEMO_HOMES.items():
        membership_place(
            neighbourhood=estate, user=demo_user(phone), building_ref=buildings[building].pk
        )
    if Announcement.objects.filter(neighbourhood=estate).exists():
        return
    manager = demo_user("+8613900000002")
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
        building_refs=[buildings["1号楼"].pk],
    )
