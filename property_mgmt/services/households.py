"""Estate records: buildings, units and who lives in them (households).

A manager adds household members (pending), confirms them (they become confirmed residents
of the estate in the community, and level III if they are at II) and ends them when they
move out (back to visitor when it was their last confirmed home in the estate). A resident
may ask to be added to a unit of an estate they follow; the request waits for the manager
like any other pending row. Rows naming a mobile number nobody has signed up with yet wait
unlinked until ``household_link_pending`` finds the account (or the manager confirms after
the person signed up).

Managers act only in estates their company manages: every service checks
``managed_neighbourhood`` first, so another estate's rows are 404 as if they did not exist.

Lock order: the person's open household rows in the estate (primary-key order), then the
community's membership row, then the user row (``level_recompute``). Confirming one home and
ending another of the same person therefore serialise, and "no other confirmed home here"
is decided on locked rows.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.models import Membership, Neighbourhood, User
from community.phones import normalise_mainland_mobile
from community.selectors import is_estate_staff, visible_neighbourhood
from community.services.membership import membership_confirm, membership_end, membership_place
from core.errors import ValidationFailed
from core.notifications import notify
from property_mgmt.errors import (
    BuildingNameTaken,
    HouseholdAlreadyEnded,
    HouseholdAlreadyListed,
    HouseholdNotPending,
    HouseholdWithoutAccount,
    UnitNumberTaken,
)
from property_mgmt.models import Building, Household, Unit
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.selectors_households import OPEN_STATUSES

# Unit.area_m2 is DecimalField(max_digits=8, decimal_places=2).
MAX_AREA = Decimal("999999.99")
MIN_FLOOR, MAX_FLOOR = -20, 300
MAX_BUILDING_FLOORS = 300
REASON_MAX = 300


# --- field rules (shared with the import) ------------------------------------------------


class FieldProblem(ValueError):
    """One value is unusable; ``message`` says why in the reader's language."""

    def __init__(self, message: str | Promise) -> None:
        self.message = message
        super().__init__(str(message))


def clean_area(raw: Any) -> Decimal:
    """A floor area: a positive decimal with at most two places (fen-exact fees need it)."""
    text = str(raw).strip() if raw is not None else ""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldProblem(_("Enter the area as a number of m², such as 89.50.")) from None
    if not value.is_finite():
        raise FieldProblem(_("Enter the area as a number of m², such as 89.50."))
    if value <= 0:
        raise FieldProblem(_("The area must be more than 0 m²."))
    if value > MAX_AREA:
        raise FieldProblem(_("The area is too large."))
    exact = value.quantize(Decimal("0.01"))
    if exact != value:
        raise FieldProblem(_("The area may have at most two decimal places."))
    return exact


def clean_floor(raw: Any) -> int:
    text = str(raw).strip() if raw is not None else ""
    try:
        value = int(text)
    except ValueError:
        raise FieldProblem(_("Enter the floor as a whole number, such as 3 or -1.")) from None
    if not MIN_FLOOR <= value <= MAX_FLOOR:
        raise FieldProblem(
            _("The floor must be between %(low)s and %(high)s.")
            % {"low": MIN_FLOOR, "high": MAX_FLOOR}
        )
    return value


def clean_unit_number(raw: Any) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise FieldProblem(_("Enter the unit number."))
    if len(text) > 20:
        raise FieldProblem(_("A unit number has at most 20 characters."))
    return text


def clean_building_name(raw: Any) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise FieldProblem(_("Enter the building."))
    if len(text) > 50:
        raise FieldProblem(_("A building name has at most 50 characters."))
    return text


def clean_kind(raw: Any) -> str:
    if raw not in Unit.Kind.values:
        raise FieldProblem(_("Choose flat, shop or parking space."))
    return str(raw)


def clean_relation(raw: Any) -> str:
    if raw not in Household.Relation.values:
        raise FieldProblem(_("Choose owner, tenant or family member."))
    return str(raw)


def clean_phone(raw: Any) -> str:
    """A mainland mobile number in E.164, however it was typed."""
    try:
        return normalise_mainland_mobile(str(raw or ""))
    except DjangoValidationError as error:
        raise FieldProblem(error.messages[0]) from None


def clean_person_name(raw: Any) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) > 50:
        raise FieldProblem(_("A name has at most 50 characters."))
    return text


def _checked(**values: tuple[Any, Any]) -> dict[str, Any]:
    """Run each ``name=(rule, raw)``; all problems at once as one ``ValidationFailed``."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str | Promise]] = {}
    for name, (rule, raw) in values.items():
        try:
            cleaned[name] = rule(raw)
        except FieldProblem as problem:
            problems[name] = [problem.message]
    if problems:
        raise ValidationFailed(fields=problems)
    return cleaned


# --- buildings and units -----------------------------------------------------------------


@transaction.atomic(durable=True)
def building_create(
    *, manager: Any, neighbourhood: Neighbourhood, name: str, floors: int = 1
) -> Building:
    """Add a building to an estate the manager runs. Names are unique per estate."""
    managed_neighbourhood(manager, neighbourhood.pk)
    values = _checked(name=(clean_building_name, name), floors=(_clean_building_floors, floors))
    _lock_estate(neighbourhood.pk)
    try:
        with transaction.atomic():
            return Building.objects.create(neighbourhood=neighbourhood, **values)
    except IntegrityError:
        raise BuildingNameTaken() from None


def _lock_estate(estate_id: int) -> None:
    """Serialise changes to an estate's buildings and units with imports into it.

    ``FOR NO KEY UPDATE``: rows elsewhere that reference the estate can still be inserted.
    """
    Neighbourhood.objects.select_for_update(no_key=True).only("pk").get(pk=estate_id)


def _clean_building_floors(raw: Any) -> int:
    value = clean_floor(raw)
    if not 1 <= value <= MAX_BUILDING_FLOORS:
        raise FieldProblem(
            _("A building has between 1 and %(n)s floors.") % {"n": MAX_BUILDING_FLOORS}
        )
    return value


def _raise_building_floors(building_id: int, floor: int) -> None:
    # A unit above the recorded top floor means the record was short; never lower it here.
    Building.objects.filter(pk=building_id, floors__lt=floor).update(floors=floor)


@transaction.atomic(durable=True)
def unit_create(
    *,
    manager: Any,
    building: Building,
    number: str,
    floor: int,
    area_m2: Decimal | str,
    kind: str = Unit.Kind.FLAT,
) -> Unit:
    """Add a unit to a building of an estate the manager runs; (building, number) is unique."""
    managed_neighbourhood(manager, building.neighbourhood_id)
    values = _checked(
        number=(clean_unit_number, number),
        floor=(clean_floor, floor),
        area_m2=(clean_area, area_m2),
        kind=(clean_kind, kind),
    )
    _lock_estate(building.neighbourhood_id)
    try:
        with transaction.atomic():
            unit = Unit.objects.create(building=building, **values)
    except IntegrityError:
        raise UnitNumberTaken(fields={"number": [UnitNumberTaken.default_message]}) from None
    _raise_building_floors(building.pk, unit.floor)
    return unit


@transaction.atomic(durable=True)
def unit_update(
    *,
    manager: Any,
    unit: Unit,
    number: str,
    floor: int,
    area_m2: Decimal | str,
    kind: str,
) -> Unit:
    """Correct a unit's number, floor, area or kind. Bills already issued keep their lines;
    the next billing run uses the new area and kind."""
    managed_neighbourhood(manager, unit.building.neighbourhood_id)
    values = _checked(
        number=(clean_unit_number, number),
        floor=(clean_floor, floor),
        area_m2=(clean_area, area_m2),
        kind=(clean_kind, kind),
    )
    _lock_estate(unit.building.neighbourhood_id)
    for name, value in values.items():
        setattr(unit, name, value)
    try:
        with transaction.atomic():
            unit.save(update_fields=list(values))
    except IntegrityError:
        raise UnitNumberTaken(fields={"number": [UnitNumberTaken.default_message]}) from None
    _raise_building_floors(unit.building_id, unit.floor)
    return unit


# --- households --------------------------------------------------------------------------


def _estate_id_of(unit: Unit) -> int:
    return unit.building.neighbourhood_id


def _lock_homes(household: Household, user_id: int | None, estate_id: int) -> list[Household]:
    """Lock ``household`` and the person's other open rows in the estate, in pk order."""
    mine = Q(pk=household.pk)
    if user_id is not None:
        mine |= Q(
            user_id=user_id,
            status__in=OPEN_STATUSES,
            unit__building__neighbourhood_id=estate_id,
        )
    # of=("self",): lock the household rows only, not the joined units and buildings.
    return list(
        Household.objects.select_for_update(of=("self",), no_key=True)
        .filter(mine)
        .select_related("unit")
        .order_by("pk")
    )


def _add(*, unit: Unit, phone: str, name: str, relation: str, user: Any, status: str) -> Household:
    try:
        with transaction.atomic():
            return Household.objects.create(
                unit=unit, phone=phone, name=name, relation=relation, user=user, status=status
            )
    except IntegrityError:
        # The partial unique constraint: an open row for this unit and number exists.
        raise HouseholdAlreadyListed() from None


@transaction.atomic(durable=True)
def household_add(
    *, manager: Any, unit: Unit, phone: str, name: str = "", relation: str
) -> Household:
    """List someone as living in ``unit``, waiting for confirmation.

    Links the account with that mobile number if there is one; otherwise the row waits for
    the person to sign up. One open row per unit and number (a database constraint).
    """
    managed_neighbourhood(manager, _estate_id_of(unit))
    values = _checked(
        phone=(clean_phone, phone),
        name=(clean_person_name, name),
        relation=(clean_relation, relation),
    )
    user = User.objects.filter(phone=values["phone"]).first()
    return _add(unit=unit, user=user, status=Household.Status.PENDING, **values)


@transaction.atomic(durable=True)
def household_request(*, user: Any, unit: Unit, relation: str) -> Household:
    """A resident says "I live here": a pending row for the estate's managers to confirm.

    Only for estates the resident follows (any other is 404). The estate's staff get an
    inbox entry (pushed live after commit).
    """
    estate = visible_neighbourhood(user, _estate_id_of(unit))
    values = _checked(relation=(clean_relation, relation))
    household = _add(
        unit=unit,
        phone=user.phone,
        name=(user.real_name or user.display_name)[:50],
        relation=values["relation"],
        user=user,
        status=Household.Status.PENDING,
    )
    staff = User.objects.filter(
        memberships__neighbourhood=estate, memberships__status=Membership.Status.STAFF
    )
    for member in staff:
        notify(
            member,
            kind="household_requested",
            title=_("%(name)s asks to be confirmed in %(unit)s")
            % {"name": household.name or user, "unit": unit},
            body=_("Check and confirm them in the estate's confirmation queue."),
            url=f"/estate/{estate.pk}/households/pending/",
            data={"household_id": household.pk},
        )
    return household


@transaction.atomic(durable=True)
def household_confirm(*, manager: Any, household: Household) -> Household:
    """Confirm a pending household member.

    Needs an account: an unlinked row is linked first if that number has signed up since,
    otherwise ``household_without_account``. Makes the person a confirmed member of the
    estate with this unit's building (community ``membership_confirm``, which raises level
    II to III and tells them). Staff of the estate keep their staff membership.

    Locks the person's open household rows in the estate (see the module docstring).
    Refuses anything but a pending row (``household_not_pending``): of two managers
    confirming at once, one confirms and the other is told.
    """
    estate = managed_neighbourhood(manager, _estate_id_of(household.unit))
    user = household.user
    if user is None:
        user = User.objects.filter(phone=household.phone).first()
        if user is None:
            raise HouseholdWithoutAccount()
    rows = _lock_homes(household, user.pk, estate.pk)
    locked = next(row for row in rows if row.pk == household.pk)
    if locked.status != Household.Status.PENDING:
        raise HouseholdNotPending()
    locked.user = user
    locked.status = Household.Status.CONFIRMED
    locked.confirmed_by = manager
    locked.confirmed_at = timezone.now()
    locked.save(update_fields=["user", "status", "confirmed_by", "confirmed_at"])
    # One membership row per person and estate: turning staff into a member would take
    # their staff rights away.
    if not is_estate_staff(user, estate.pk):
        membership_confirm(
            neighbourhood=estate,
            user=user,
            confirmed_by=manager,
            building_ref=locked.unit.building_id,
        )
    return locked


@transaction.atomic(durable=True)
def household_end(*, manager: Any, household: Household, reason: str) -> Household:
    """The member moved out (or a pending request is declined): the row is ended.

    When it was the person's last confirmed home in the estate, community
    ``membership_end`` makes them a visitor again (level III may fall to II, audited with
    ``reason``); otherwise their building becomes that of a home they still have.

    Locks the person's open household rows in the estate (see the module docstring), so
    two homes ended at once cannot both leave the membership standing.
    """
    estate = managed_neighbourhood(manager, _estate_id_of(household.unit))
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say why, such as “moved out”.")]})
    rows = _lock_homes(household, household.user_id, estate.pk)
    locked = next(row for row in rows if row.pk == household.pk)
    if locked.status == Household.Status.ENDED:
        raise HouseholdAlreadyEnded()
    was_confirmed = locked.status == Household.Status.CONFIRMED
    locked.status = Household.Status.ENDED
    locked.ended_at = timezone.now()
    locked.save(update_fields=["status", "ended_at"])
    if not was_confirmed or locked.user is None or is_estate_staff(locked.user, estate.pk):
        return locked
    remaining = [
        row
        for row in rows
        if row.pk != locked.pk
        and row.user_id == locked.user_id
        and row.status == Household.Status.CONFIRMED
    ]
    if remaining:
        membership_place(
            neighbourhood=estate, user=locked.user, building_ref=remaining[0].unit.building_id
        )
    else:
        membership_end(
            neighbourhood=estate, user=locked.user, actor=manager, reason=reason[:REASON_MAX]
        )
    return locked


def household_link_pending(*, user: Any) -> int:
    """Link open rows listed under ``user``'s mobile number to their account.

    Called when a resident signs up and when they open "My home". One conditional UPDATE
    (only rows still unlinked), so it is safe to call again and under concurrency. Returns
    how many rows it linked.
    """
    if not user.phone:
        return 0
    return Household.objects.filter(
        phone=user.phone, user__isnull=True, status__in=OPEN_STATUSES
    ).update(user=user)
