"""Import of an estate's buildings, units and households from one CSV or Excel file.

All or nothing. Every row is checked first (``import_check``): each bad row is reported with
its row number, column and reason, and if any row is bad nothing is written. A clean file
gives a plan (what will be created, changed or left alone) that the manager confirms;
``import_apply`` then writes it in one transaction with bulk statements (a fixed number of
queries per file, none per row) and reports what it did.

The file: a header row, then one row per unit (or per resident of a unit). Columns, in any
order, with English or Chinese headers: building, unit, floor, area (m²), kind (flat, shop,
parking space), and optionally mobile, name and relation (owner, tenant, family member).
A unit may appear on several rows when each row names another resident; its floor, area and
kind must then agree. Units are matched by (building, number): new ones are created, known
ones take the file's floor, area and kind. Residents are added as pending household members
(linked to their account when the number has signed up), for the manager to confirm; a
number already listed for that unit is left as it is. Excel files are read with
``openpyxl``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
from django.db import transaction
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.models import Neighbourhood, User
from property_mgmt.errors import (
    ImportFileUnreadable,
    ImportRowsInvalid,
)
from property_mgmt.models import Building, Household, Unit
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.selectors_households import OPEN_STATUSES
from property_mgmt.services.households import (
    FieldProblem,
    clean_area,
    clean_building_name,
    clean_floor,
    clean_person_name,
    clean_phone,
    clean_unit_number,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
# An .xlsx is a zip: 2 MB of it can unpack to gigabytes of XML (a zip bomb), and openpyxl
# reads the whole shared-strings part into memory. 5,000 rows of a real sheet unpack to a
# few megabytes.
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ROWS = 5000
# Listing every bad row of a badly wrong file helps nobody; the first ones show the pattern.
MAX_REPORTED_ERRORS = 500
BATCH_SIZE = 500


# --- the file's columns ------------------------------------------------------------------


def _header_key(text: str) -> str:
    """Lower case, without anything in brackets, spaces or underscores: "Area (m²)" -> "area"."""
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(text or ""))
    return re.sub(r"[\s_\-:：]+", "", text).lower()


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    required: bool
    aliases: tuple[str, ...]


COLUMNS = (
    Column("building", _("building"), True, ("building", "楼栋", "楼号", "楼宇", "楼")),
    Column(
        "number",
        _("unit"),
        True,
        ("unit", "unitnumber", "number", "房号", "房间号", "门牌号", "单元号", "户号"),
    ),
    Column("floor", _("floor"), True, ("floor", "楼层", "层")),
    Column("area_m2", _("area (m²)"), True, ("area", "aream2", "面积", "建筑面积", "房屋面积")),
    Column("kind", _("kind"), True, ("kind", "unitkind", "type", "类型", "房屋类型", "用途")),
    Column("phone", _("mobile"), False, ("mobile", "phone", "手机", "手机号", "手机号码", "电话")),
    Column("name", _("name"), False, ("name", "姓名", "住户", "住户姓名")),
    Column("relation", _("relation"), False, ("relation", "关系", "身份", "住户关系")),
)
_COLUMN_BY_ALIAS = {_header_key(alias): column for column in COLUMNS for alias in column.aliases}

_KIND_WORDS = {
    Unit.Kind.FLAT: ("flat", "apartment", "住宅", "公寓", "住房"),
    Unit.Kind.SHOP: ("shop", "商铺", "商业", "店铺", "门面"),
    Unit.Kind.PARKING: ("parking", "parkingspace", "车位", "停车位", "车库"),
}
_RELATION_WORDS = {
    Household.Relation.OWNER: ("owner", "业主", "产权人"),
    Household.Relation.TENANT: ("tenant", "租户", "租客", "承租人"),
    Household.Relation.FAMILY: ("family", "familymember", "家属", "家庭成员", "家人"),
}
_KINDS = {_header_key(word): kind for kind, words in _KIND_WORDS.items() for word in words}
_RELATIONS = {
    _header_key(word): relation for relation, words in _RELATION_WORDS.items() for word in words
}


# --- rows and problems -------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One bad value: the sheet's row number (the header is row 1), its column, why."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImportRow:
    """One checked row, in stored form (E.164 mobile, area as exact ``Decimal``)."""

    row: int
    building: str
    number: str
    floor: int
    area_m2: Decimal
    kind: str
    phone: str = ""
    name: str = ""
    relation: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (the area as text), for keeping between preview and confirmation."""
        return {**asdict(self), "area_m2": str(self.area_m2)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportRow:
        return cls(**{**data, "area_m2": Decimal(data["area_m2"])})


@dataclass
class UnitChange:
    building: str
    number: str
    before: str
    after: str


@dataclass
class ImportPlan:
    """What a clean file will do to the estate (or, after ``import_apply``, did)."""

    rows: list[ImportRow]
    buildings_created: list[str] = field(default_factory=list)
    units_created: int = 0
    units_updated: list[UnitChange] = field(default_factory=list)
    units_unchanged: int = 0
    households_added: int = 0
    households_linked: int = 0
    households_already_listed: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "buildings_created": len(self.buildings_created),
            "units_created": self.units_created,
            "units_updated": len(self.units_updated),
            "units_unchanged": self.units_unchanged,
            "households_added": self.households_added,
            "households_linked": self.households_linked,
            "households_already_listed": self.households_already_listed,
        }


# --- reading the file ----------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed: 13800138000.0 -> "13800138000"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    # Excel on Chinese Windows saves CSV as GB18030 (GBK); everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileUnreadable()
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for values in csv.reader(io.StringIO(text, newline=""), dialect):
            yield [value.strip() for value in values]
    except csv.Error:
        raise ImportFileUnreadable() from None


def _refuse_a_zip_bomb(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileUnreadable() from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileUnreadable(
            _("The file is larger than %(mb)s MB. Split it into several files.")
            % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    # Checked before the generator starts, so a refusal comes with the call.
    _refuse_a_zip_bomb(content)
    return _xlsx_values(content)


def _xlsx_values(content: bytes) -> Iterator[list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        # openpyxl raises zip, XML, key and value errors of many kinds for a broken file;
        # to the manager they all mean the same.
        raise ImportFileUnreadable() from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _is_xlsx(filename: str, content: bytes) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm")) or content.startswith(b"PK\x03\x04")


def read_table(*, filename: str, content: bytes) -> Iterator[list[str]]:
    """The file's rows as lists of text (header first), CSV or Excel by name and content."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileUnreadable(
            _("The file is larger than %(mb)s MB. Split it into several files.")
            % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if filename.lower().endswith(".xls"):
        raise ImportFileUnreadable(
            _("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV.")
        )
    if _is_xlsx(filename, content):
        return _xlsx_rows(content)
    return _csv_rows(content)


# --- checking rows -----------------------------------------------------------------------


def _too_many(errors: list[RowError]) -> bool:
    return len(errors) >= MAX_REPORTED_ERRORS


def _refuse(errors: list[RowError]) -> ImportRowsInvalid:
    return ImportRowsInvalid(extra={"rows": [error.as_dict() for error in errors]})


def _header(values: list[str]) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """Which position holds which column, each column's heading as written, and problems."""
    positions: dict[str, int] = {}
    headings: dict[str, str] = {}
    errors: list[RowError] = []
    for index, text in enumerate(values):
        if not text.strip():
            continue
        column = _COLUMN_BY_ALIAS.get(_header_key(text))
        if column is None:
            errors.append(RowError(1, text, force_str(_("This column is not known."))))
        elif column.key in positions:
            errors.append(RowError(1, text, force_str(_("This column appears twice."))))
        else:
            positions[column.key] = index
            headings[column.key] = text.strip()
    for column in COLUMNS:
        headings.setdefault(column.key, force_str(column.label))
        if column.required and column.key not in positions:
            errors.append(
                RowError(1, headings[column.key], force_str(_("This column is missing.")))
            )
    return positions, headings, errors


def _word(table: Mapping[str, str], raw: str, problem: str | Promise) -> str:
    value = table.get(_header_key(raw))
    if value is None:
        raise FieldProblem(problem)
    return value


def _check_row(
    number: int, cells: dict[str, str], headings: dict[str, str]
) -> tuple[ImportRow | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def take(key: str, rule: Any) -> None:
        try:
            values[key] = rule(cells.get(key, ""))
        except FieldProblem as problem:
            errors.append(RowError(number, headings[key], force_str(problem.message)))

    take("building", clean_building_name)
    take("number", clean_unit_number)
    take("floor", clean_floor)
    take("area_m2", clean_area)
    take(
        "kind",
        lambda raw: _word(_KINDS, raw, _("Unknown unit kind: use flat, shop or parking space.")),
    )
    resident = {key: cells.get(key, "").strip() for key in ("phone", "name", "relation")}
    if resident["phone"]:
        take("phone", clean_phone)
        take("name", clean_person_name)
        take(
            "relation",
            lambda raw: _word(
                _RELATIONS, raw, _("Unknown relation: use owner, tenant or family member.")
            ),
        )
    elif resident["name"] or resident["relation"]:
        errors.append(
            RowError(
                number,
                headings["phone"],
                force_str(
                    _("Give the resident's mobile number, or leave name and relation empty.")
                ),
            )
        )
    if errors:
        return None, errors
    return ImportRow(row=number, **values), []


def _check_repeats(rows: list[ImportRow], headings: dict[str, str]) -> list[RowError]:
    """A unit may repeat only to name another resident, with the same floor, area and kind."""
    errors: list[RowError] = []
    first: dict[tuple[str, str], ImportRow] = {}
    phones: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (row.building, row.number)
        earlier = first.setdefault(key, row)
        if earlier is not row:
            if (row.floor, row.area_m2, row.kind) != (earlier.floor, earlier.area_m2, earlier.kind):
                errors.append(
                    RowError(
                        row.row,
                        headings["number"],
                        force_str(
                            _("Unit %(unit)s is on row %(row)s with another floor, area or kind.")
                            % {"unit": f"{row.building}-{row.number}", "row": earlier.row}
                        ),
                    )
                )
                continue
            if not row.phone or not earlier.phone:
                errors.append(
                    RowError(
                        row.row,
                        headings["number"],
                        force_str(
                            _("Unit %(unit)s is already on row %(row)s.")
                            % {"unit": f"{row.building}-{row.number}", "row": earlier.row}
                        ),
                    )
                )
                continue
        if row.phone:
            seen = phones.setdefault((row.building, row.number, row.phone), row.row)
            if seen != row.row:
                errors.append(
                    RowError(
                        row.row,
                        headings["phone"],
                        force_str(
                            _("This mobile number is already listed for this unit on row %(row)s.")
                            % {"row": seen}
                        ),
                    )
                )
    return errors


def check_rows(table: Iterable[list[str]]) -> list[ImportRow]:
    """Check every row of a table (header first); all problems at once.

    Raises ``import_rows_invalid`` with ``extra["rows"]`` (row, column, message) if any row
    is bad; blank rows are skipped but keep their numbers, so the numbers match the sheet.
    """
    rows_iter = iter(table)
    header = next(rows_iter, None)
    if header is None:
        raise ImportFileUnreadable(_("The file is empty."))
    positions, headings, errors = _header(header)
    if errors:
        raise _refuse(errors)
    rows: list[ImportRow] = []
    for number, values in enumerate(rows_iter, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise ImportFileUnreadable(
                _("The file has more than %(n)s rows. Split it into several files.")
                % {"n": MAX_ROWS}
            )
        cells = {
            key: values[index] if index < len(values) else "" for key, index in positions.items()
        }
        row, problems = _check_row(number, cells, headings)
        if row is not None:
            rows.append(row)
        errors.extend(problems)
        if _too_many(errors):
            break
    if not _too_many(errors):
        errors.extend(_check_repeats(rows, headings))
    if errors:
        raise _refuse(sorted(errors, key=lambda e: e.row)[:MAX_REPORTED_ERRORS])
    if not rows:
        raise ImportFileUnreadable(_("The file has a header but no rows."))
    return rows


# --- planning and applying -----------------------------------------------------------------


def _describe(floor: int, area: Decimal, kind: str) -> str:
    return f"{floor} · {area} m² · {force_str(Unit.Kind(kind).label)}"


@dataclass
class _State:
    """The estate as the plan sees it: buildings by name, units by (building, number)."""

    buildings: dict[str, Building]
    units: dict[tuple[str, str], Unit]
    listed: set[tuple[int, str]]
    accounts: dict[str, int]


def _load_state(neighbourhood: Neighbourhood, rows: list[ImportRow]) -> _State:
    """Four queries: buildings, units, open household rows and accounts of the file's numbers."""
    buildings = {b.name: b for b in Building.objects.filter(neighbourhood=neighbourhood)}
    units = {
        (u.building.name, u.number): u
        for u in Unit.objects.filter(building__neighbourhood=neighbourhood).select_related(
            "building"
        )
    }
    listed = set(
        Household.objects.filter(
            unit__building__neighbourhood=neighbourhood, status__in=OPEN_STATUSES
        ).values_list("unit_id", "phone")
    )
    phones = {row.phone for row in rows if row.phone}
    accounts = dict(User.objects.filter(phone__in=phones).values_list("phone", "pk"))
    return _State(buildings, units, listed, accounts)


def _plan(rows: list[ImportRow], state: _State) -> ImportPlan:
    plan = ImportPlan(rows=rows)
    seen_units: set[tuple[str, str]] = set()
    new_buildings: list[str] = []
    for row in rows:
        if row.building not in state.buildings and row.building not in new_buildings:
            new_buildings.append(row.building)
        key = (row.building, row.number)
        unit = state.units.get(key)
        if key not in seen_units:
            seen_units.add(key)
            if unit is None:
                plan.units_created += 1
            elif (unit.floor, unit.area_m2, unit.kind) != (row.floor, row.area_m2, row.kind):
                plan.units_updated.append(
                    UnitChange(
                        row.building,
                        row.number,
                        before=_describe(unit.floor, unit.area_m2, unit.kind),
                        after=_describe(row.floor, row.area_m2, row.kind),
                    )
                )
            else:
                plan.units_unchanged += 1
        if row.phone:
            if unit is not None and (unit.pk, row.phone) in state.listed:
                plan.households_already_listed += 1
            else:
                plan.households_added += 1
                plan.households_linked += row.phone in state.accounts
    plan.buildings_created = new_buildings
    return plan


def import_check(
    *, manager: Any, neighbourhood: Neighbourhood, filename: str, content: bytes
) -> ImportPlan:
    """Read and check a file, and say what importing it would do. Writes nothing.

    Raises ``import_rows_invalid`` (every bad row) or ``import_file_unreadable``; 404 unless
    the manager runs the estate.
    """
    managed_neighbourhood(manager, neighbourhood.pk)
    rows = check_rows(read_table(filename=filename, content=content))
    return _plan(rows, _load_state(neighbourhood, rows))


@transaction.atomic(durable=True)
def import_apply(
    *, manager: Any, neighbourhood: Neighbourhood, rows: list[ImportRow]
) -> ImportPlan:
    """Write checked rows to the estate, all in one transaction; returns what it did.

    Locks the estate row (``FOR NO KEY UPDATE``: inserts elsewhere that reference the estate
    are not blocked) so that two imports, or an import and a manager adding a building or
    unit by hand, run one after the other; the plan is then made again on the locked
    estate, so a preview that went stale cannot write stale counts. Bulk statements only:
    buildings and units created and updated in batches, household rows inserted in batches
    (``ignore_conflicts`` leaves a row someone listed by hand meanwhile as it is).
    """
    managed_neighbourhood(manager, neighbourhood.pk)
    Neighbourhood.objects.select_for_update(no_key=True).only("pk").get(pk=neighbourhood.pk)
    state = _load_state(neighbourhood, rows)
    plan = _plan(rows, state)

    top_floor: dict[str, int] = {}
    for row in rows:
        top_floor[row.building] = max(top_floor.get(row.building, 1), row.floor)
    created = Building.objects.bulk_create(
        [
            Building(neighbourhood=neighbourhood, name=name, floors=top_floor[name])
            for name in plan.buildings_created
        ]
    )
    if any(building.pk is None for building in created):
        # Backends without RETURNING: read the new rows back.
        created = list(
            Building.objects.filter(neighbourhood=neighbourhood, name__in=plan.buildings_created)
        )
    state.buildings.update({building.name: building for building in created})
    taller = []
    for name, floor in top_floor.items():
        building = state.buildings[name]
        if building.floors < floor:
            building.floors = floor
            taller.append(building)
    Building.objects.bulk_update(taller, ["floors"], batch_size=BATCH_SIZE)

    new_units: list[Unit] = []
    changed_units: list[Unit] = []
    for row in rows:
        key = (row.building, row.number)
        unit = state.units.get(key)
        if unit is None:
            unit = Unit(
                building=state.buildings[row.building],
                number=row.number,
                floor=row.floor,
                area_m2=row.area_m2,
                kind=row.kind,
            )
            state.units[key] = unit
            new_units.append(unit)
        elif unit.pk is not None and (unit.floor, unit.area_m2, unit.kind) != (
            row.floor,
            row.area_m2,
            row.kind,
        ):
            unit.floor, unit.area_m2, unit.kind = row.floor, row.area_m2, row.kind
            changed_units.append(unit)
    Unit.objects.bulk_create(new_units, batch_size=BATCH_SIZE)
    Unit.objects.bulk_update(changed_units, ["floor", "area_m2", "kind"], batch_size=BATCH_SIZE)
    if any(unit.pk is None for unit in new_units):
        fresh = Unit.objects.filter(building__neighbourhood=neighbourhood).select_related(
            "building"
        )
        state.units.update({(u.building.name, u.number): u for u in fresh})

    households = [
        Household(
            unit=state.units[(row.building, row.number)],
            phone=row.phone,
            name=row.name,
            relation=row.relation,
            user_id=state.accounts.get(row.phone),
            status=Household.Status.PENDING,
        )
        for row in rows
        if row.phone and (state.units[(row.building, row.number)].pk, row.phone) not in state.listed
    ]
    Household.objects.bulk_create(households, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return plan
