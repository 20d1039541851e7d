"""The import: a clean file imports in one go; a file with any bad row imports nothing and
lists every bad row with its reason."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from core.errors import NotFound
from property_mgmt.errors import ImportFileUnreadable, ImportRowsInvalid
from property_mgmt.models import Building, Household, Unit
from property_mgmt.services import households as homes
from property_mgmt.services import imports
from tests.factories import UserFactory
from tests.property_mgmt.conftest import make_manager, unit_of
from tests.property_mgmt.households.conftest import HEADER, csv_bytes, queries_of

pytestmark = pytest.mark.django_db


def check(manager, estate, content: bytes, filename: str = "units.csv"):
    return imports.import_check(
        manager=manager, neighbourhood=estate, filename=filename, content=content
    )


def run(manager, estate, content: bytes, filename: str = "units.csv"):
    plan = check(manager, estate, content, filename)
    return imports.import_apply(manager=manager, neighbourhood=estate, rows=plan.rows)


def snapshot(estate):
    return (
        Building.objects.filter(neighbourhood=estate).count(),
        sorted(
            Unit.objects.filter(building__neighbourhood=estate).values_list(
                "building__name", "number", "floor", "area_m2", "kind"
            )
        ),
        Household.objects.count(),
    )


def errors_of(refused: pytest.ExceptionInfo[ImportRowsInvalid]) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in refused.value.extra["rows"]]


CLEAN = csv_bytes(
    HEADER,
    "1号楼,101,1,90.00,flat,138 0013 8000,王芳,owner",  # known unit: area changes
    "1号楼,101,1,90.00,flat,13900139000,李雷,family",  # a second resident of the same unit
    "1号楼,102,1,120.00,flat,,,",  # known, unchanged
    "3号楼,101,1,75.5,flat,,,",  # new building and unit
    "3号楼,B1-07,-1,12.5,parking,13900139000,李雷,owner",
    "",  # blank rows are skipped
    "3号楼,S01,1,40,shop,,,",
)


def test_a_clean_file_imports_buildings_units_and_households(estate, manager):
    # Given an estate with buildings 1 and 2 (units 101, 102, 201, 202) and one account
    wang = UserFactory(phone="+8613800138000")
    # When the manager previews the file
    plan = check(manager, estate, CLEAN)
    # Then the preview says what will change, and nothing is written yet
    assert plan.counts() == {
        "rows": 6,
        "buildings_created": 1,
        "units_created": 3,
        "units_updated": 1,
        "units_unchanged": 1,
        "households_added": 3,
        "households_linked": 1,
        "households_already_listed": 0,
    }
    assert plan.buildings_created == ["3号楼"]
    assert [(c.building, c.number, c.before, c.after) for c in plan.units_updated] == [
        ("1号楼", "101", "1 · 89.50 m² · Flat", "1 · 90.00 m² · Flat")
    ]
    assert not Building.objects.filter(name="3号楼").exists()

    # When they confirm
    done = imports.import_apply(manager=manager, neighbourhood=estate, rows=plan.rows)

    # Then everything is in place, in one go
    assert done.counts() == plan.counts()
    building = Building.objects.get(neighbourhood=estate, name="3号楼")
    assert building.floors == 1
    assert sorted(building.units.values_list("number", "floor", "area_m2", "kind")) == [
        ("101", 1, Decimal("75.50"), "flat"),
        ("B1-07", -1, Decimal("12.50"), "parking"),
        ("S01", 1, Decimal("40.00"), "shop"),
    ]
    assert unit_of(estate).area_m2 == Decimal("90.00")
    rows = Household.objects.order_by("pk")
    assert [(str(h.unit), h.phone, h.name, h.relation, h.status, h.user) for h in rows] == [
        ("1号楼-101", "+8613800138000", "王芳", "owner", "pending", wang),
        ("1号楼-101", "+8613900139000", "李雷", "family", "pending", None),
        ("3号楼-B1-07", "+8613900139000", "李雷", "owner", "pending", None),
    ]


def test_importing_the_same_file_again_changes_nothing(estate, manager):
    run(manager, estate, CLEAN)
    before = snapshot(estate)
    again = run(manager, estate, CLEAN)
    assert again.counts() == {
        "rows": 6,
        "buildings_created": 0,
        "units_created": 0,
        "units_updated": 0,
        "units_unchanged": 5,
        "households_added": 0,
        "households_linked": 0,
        "households_already_listed": 3,
    }
    assert snapshot(estate) == before


BAD = csv_bytes(
    HEADER,
    "1号楼,101,1,90.00,flat,13800138000,王芳,owner",  # fine
    "1号楼,103,1,0,villa,13800138000,王芳,owner",  # area 0, unknown kind
    "2号楼,201,two,12.345,flat,12345,,landlord",  # floor, area places, mobile, relation
    ",,1,50,flat,,,",  # no building, no unit
    "1号楼,101,1,95.00,flat,,,",  # unit again with another area
    "1号楼,101,1,90.00,flat,13800138000,王芳,family",  # same mobile for the same unit
    "3号楼,1,1,50,shop,,李雷,",  # a name without a mobile
    "3号楼,2,1,50,shop,,,",
    "3号楼,2,1,50,shop,,,",  # the unit again, naming nobody new
)


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(estate, manager):
    # Given the estate as it is
    before = snapshot(estate)
    # When the manager uploads a file where most rows have a problem
    with pytest.raises(ImportRowsInvalid) as refused:
        check(manager, estate, BAD)
    # Then every bad row is listed with its column and reason, in row order
    assert errors_of(refused) == [
        (3, "area", "The area must be more than 0 m²."),
        (3, "kind", "Unknown unit kind: use flat, shop or parking space."),
        (4, "floor", "Enter the floor as a whole number, such as 3 or -1."),
        (4, "area", "The area may have at most two decimal places."),
        (4, "mobile", "Enter a mainland China mobile number, such as 138 0013 8000."),
        (4, "relation", "Unknown relation: use owner, tenant or family member."),
        (5, "building", "Enter the building."),
        (5, "unit", "Enter the unit number."),
        (6, "unit", "Unit 1号楼-101 is on row 2 with another floor, area or kind."),
        (7, "mobile", "This mobile number is already listed for this unit on row 2."),
        (
            8,
            "mobile",
            "Give the resident's mobile number, or leave name and relation empty.",
        ),
        (10, "unit", "Unit 3号楼-2 is already on row 9."),
    ]
    # And nothing was imported
    assert snapshot(estate) == before


def test_checking_and_applying_are_all_or_nothing_even_at_the_last_row(estate, manager):
    # A file whose only bad row is its last: nothing of the good rows is written either.
    content = csv_bytes(
        HEADER,
        *[f"9号楼,{n},1,50.00,flat,,," for n in range(1, 40)],
        "9号楼,40,1,-1,flat,,,",
    )
    with pytest.raises(ImportRowsInvalid) as refused:
        check(manager, estate, content)
    assert [e[0] for e in errors_of(refused)] == [41]
    assert not Building.objects.filter(name="9号楼").exists()


def test_missing_and_unknown_columns_are_reported_against_the_header(estate, manager):
    with pytest.raises(ImportRowsInvalid) as refused:
        check(manager, estate, csv_bytes("building,unit,area,colour", "1号楼,101,89.5,red"))
    assert errors_of(refused) == [
        (1, "colour", "This column is not known."),
        (1, "floor", "This column is missing."),
        (1, "kind", "This column is missing."),
    ]


def test_chinese_headers_and_words_in_a_gb18030_file(estate, manager):
    # Excel on Chinese Windows saves CSV in GB18030; headers and values in Chinese
    content = csv_bytes(
        "楼栋,房号,楼层,面积（㎡）,类型,手机号,姓名,关系",
        "5号楼,101,1,88.8,住宅,13800138000,王芳,业主",
        "5号楼,P1,-1,12,车位,13800138000,王芳,业主",
        "5号楼,S1,1,30,商铺,,,",
        encoding="gb18030",
    )
    done = run(manager, estate, content)
    assert done.counts()["units_created"] == 3
    assert dict(Unit.objects.filter(building__name="5号楼").values_list("number", "kind")) == {
        "101": "flat",
        "P1": "parking",
        "S1": "shop",
    }
    assert set(Household.objects.values_list("relation", flat=True)) == {"owner"}


def test_unreadable_and_empty_files(estate, manager):
    with pytest.raises(ImportFileUnreadable):
        check(manager, estate, b"")
    with pytest.raises(ImportFileUnreadable):
        check(manager, estate, csv_bytes(HEADER))
    with pytest.raises(ImportFileUnreadable):
        check(manager, estate, b"\xd0\xcf\x11\xe0", filename="old.xls")
    with pytest.raises(ImportFileUnreadable):
        check(manager, estate, b"x" * (imports.MAX_FILE_BYTES + 1))


def test_a_preview_gone_stale_is_planned_again_when_applied(estate, manager):
    # Given a preview made while unit 3号楼-101 did not exist
    plan = check(manager, estate, csv_bytes(HEADER, "1号楼,301,3,75.00,flat,,,"))
    assert plan.units_created == 1
    # When another manager adds that unit by hand before the import is confirmed
    homes.unit_create(
        manager=manager,
        building=unit_of(estate).building,
        number="301",
        floor=3,
        area_m2="70.00",
    )
    # Then applying updates it instead of failing, and says so
    done = imports.import_apply(manager=manager, neighbourhood=estate, rows=plan.rows)
    assert (done.units_created, len(done.units_updated)) == (0, 1)
    assert unit_of(estate, number="301").area_m2 == Decimal("75.00")


def test_a_manager_of_another_estate_cannot_import_here(estate, other_estate):
    outsider = make_manager(other_estate)
    with pytest.raises(NotFound):
        check(outsider, estate, CLEAN)
    with pytest.raises(NotFound):
        imports.import_apply(manager=outsider, neighbourhood=estate, rows=[])


def test_applying_writes_in_batches_not_a_query_per_row(estate, manager):
    def file_of(count: int, building: str) -> list[imports.ImportRow]:
        lines = [
            f"{building},{n},{n % 30 + 1},80.00,flat,139{n:08d},住户{n},owner" for n in range(count)
        ]
        return check(manager, estate, csv_bytes(HEADER, *lines)).rows

    small, large = file_of(10, "A栋"), file_of(200, "B栋")
    small_queries = queries_of(
        lambda: imports.import_apply(manager=manager, neighbourhood=estate, rows=small)
    )
    large_queries = queries_of(
        lambda: imports.import_apply(manager=manager, neighbourhood=estate, rows=large)
    )
    assert Unit.objects.filter(building__name="B栋").count() == 200
    assert Household.objects.filter(unit__building__name="B栋").count() == 200
    # SQLite caps parameters per statement, so 200 rows may take a few more batches; a
    # query per row would add hundreds.
    assert large_queries - small_queries <= 6, (small_queries, large_queries)


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_excel_file_imports_like_a_csv(estate, manager):
    content = _xlsx(
        [
            ["楼栋", "房号", "楼层", "面积", "类型", "手机号", "姓名", "关系"],
            ["6号楼", 101, 1, 89.5, "住宅", 13800138000, "王芳", "业主"],
            ["6号楼", "102", 1.0, 120, "flat", None, None, None],
        ]
    )
    done = run(manager, estate, content, filename="units.xlsx")
    assert done.counts()["units_created"] == 2
    assert Household.objects.get().phone == "+8613800138000"
    assert unit_of(estate, building="6号楼").area_m2 == Decimal("89.50")


def test_an_excel_file_with_bad_rows_imports_nothing(estate, manager):
    content = _xlsx(
        [
            ["building", "unit", "floor", "area", "kind"],
            ["6号楼", 101, 1, 89.555, "flat"],
        ]
    )
    with pytest.raises(ImportRowsInvalid) as refused:
        check(manager, estate, content, filename="units.xlsx")
    assert errors_of(refused) == [(2, "area", "The area may have at most two decimal places.")]


def test_an_excel_file_that_unpacks_to_more_than_the_limit_is_refused_unread(estate, manager):
    """A zip bomb: a small upload whose parts unpack to far more than any real sheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<si>" * (imports.MAX_UNPACKED_BYTES // 4 + 1))
    content = buffer.getvalue()
    assert len(content) < imports.MAX_FILE_BYTES
    with pytest.raises(ImportFileUnreadable) as refused:
        check(manager, estate, content, filename="units.xlsx")
    assert "40 MB" in str(refused.value.message)
