"""Estate records pages: buildings and units, a unit with its household, the confirmation
queue and the import for managers; "My home" for residents. Thin: the rules are in
``property_mgmt.services.households`` and ``.imports``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.auth import signed_in_user
from community.phones import display_phone
from core.errors import ApplicationError, NotFound
from property_mgmt import selectors_households as reads
from property_mgmt.errors import ImportRowsInvalid
from property_mgmt.models import Household, Unit
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services import households as homes
from property_mgmt.services import imports

PAGE_SIZE = 50
IMPORT_SESSION_KEY = "property_import:{estate_id}"


# --- forms ---------------------------------------------------------------------------------


class BuildingForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Building"), max_length=50)
    floors = forms.IntegerField(label=gettext_lazy("Floors"), min_value=1, initial=1)


class UnitForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Unit number"), max_length=20)
    floor = forms.IntegerField(label=gettext_lazy("Floor"), initial=1)
    area_m2 = forms.CharField(
        label=gettext_lazy("Floor area (m²)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Unit.Kind.choices)


class NewUnitForm(UnitForm):
    building = forms.TypedChoiceField(label=gettext_lazy("Building"), coerce=int)
    field_order = ["building", "number", "floor", "area_m2", "kind"]

    def __init__(self, *args: Any, buildings: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.pk, b.name) for b in buildings]  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50, required=False)
    relation = forms.ChoiceField(
        label=gettext_lazy("Lives there as"), choices=Household.Relation.choices
    )


class EndForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or Excel file"),
        help_text=gettext_lazy(
            "Columns: building, unit, floor, area (m²), kind; optionally mobile, name, relation."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class RequestForm(forms.Form):
    building = forms.TypedChoiceField(label=gettext_lazy("Building"), coerce=int)
    number = forms.CharField(label=gettext_lazy("Unit number"), max_length=20)
    relation = forms.ChoiceField(
        label=gettext_lazy("I live there as"), choices=Household.Relation.choices
    )

    def __init__(self, *args: Any, buildings: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.pk, b.name) for b in buildings]  # type: ignore[attr-defined]


# --- helpers -------------------------------------------------------------------------------


def _show_errors(form: forms.Form, error: ApplicationError) -> None:
    if not error.fields:
        form.add_error(None, str(error.message))
    for name, errors in error.fields.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, str(message))


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _member_rows(rows: Any) -> list[tuple[Household, str]]:
    return [(row, display_phone(row.phone)) for row in rows]


# --- buildings and units -------------------------------------------------------------------


@login_required
@require_GET
def unit_list(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    buildings = reads.estate_buildings(estate)
    building_id = request.GET.get("building", "")
    selected = int(building_id) if building_id.isdigit() else None
    page = Paginator(reads.estate_units(estate, building_id=selected), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "property_mgmt/households/units.html",
        {
            "estate": estate,
            "buildings": buildings,
            "selected": selected,
            "page": page,
            "pending_count": reads.pending_households(estate).count(),
            "building_form": BuildingForm(),
            "unit_form": NewUnitForm(
                buildings=[row.building for row in buildings],
                initial={"building": selected},
            ),
        },
    )


@login_required
@require_POST
def building_new(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    form = BuildingForm(request.POST)
    if form.is_valid():
        try:
            building = homes.building_create(
                manager=user, neighbourhood=estate, **form.cleaned_data
            )
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Building %(name)s added.") % {"name": building.name})
            return redirect(f"{reverse('estate-units', args=[estate_id])}?building={building.pk}")
    else:
        messages.error(request, _("Enter the building's name and number of floors."))
    return redirect("estate-units", estate_id)


@login_required
@require_POST
def unit_new(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    buildings = [row.building for row in reads.estate_buildings(estate)]
    form = NewUnitForm(request.POST, buildings=buildings)
    if form.is_valid():
        values = dict(form.cleaned_data)
        building = reads.estate_building(estate, values.pop("building"))
        try:
            unit = homes.unit_create(manager=user, building=building, **values)
        except ApplicationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("Unit %(unit)s added.") % {"unit": unit})
            return redirect("estate-unit", estate_id, unit.pk)
    messages.error(
        request,
        " ".join(str(m) for errors in form.errors.values() for m in errors)
        or _("Check the unit's details."),
    )
    return redirect("estate-units", estate_id)


@login_required
@require_http_methods(["GET", "POST"])
def unit_detail(request: HttpRequest, estate_id: int, unit_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    unit = reads.estate_unit(estate, unit_id)
    initial = {"number": unit.number, "floor": unit.floor, "area_m2": unit.area_m2}
    edit_form = UnitForm(
        request.POST if request.POST.get("form") == "unit" else None,
        initial={**initial, "kind": unit.kind},
        prefix="unit",
    )
    member_form = MemberForm(
        request.POST if request.POST.get("form") == "member" else None, prefix="member"
    )
    if request.method == "POST":
        if edit_form.is_bound and edit_form.is_valid():
            try:
                homes.unit_update(manager=user, unit=unit, **edit_form.cleaned_data)
            except ApplicationError as error:
                _show_errors(edit_form, error)
            else:
                messages.success(request, _("Unit updated."))
                return redirect("estate-unit", estate_id, unit.pk)
        elif member_form.is_bound and member_form.is_valid():
            try:
                homes.household_add(manager=user, unit=unit, **member_form.cleaned_data)
            except ApplicationError as error:
                _show_errors(member_form, error)
            else:
                messages.success(request, _("Added. Confirm them once you have checked."))
                return redirect("estate-unit", estate_id, unit.pk)
    return render(
        request,
        "property_mgmt/households/unit.html",
        {
            "estate": estate,
            "unit": unit,
            "members": _member_rows(reads.unit_members(unit)),
            "edit_form": edit_form,
            "member_form": member_form,
            "end_form": EndForm(),
        },
    )


# --- household actions -------------------------------------------------------------------


@login_required
@require_POST
def household_confirm(request: HttpRequest, estate_id: int, household_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    household = reads.estate_household(estate, household_id)
    try:
        homes.household_confirm(manager=user, household=household)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("%(name)s is confirmed as living in %(unit)s.")
            % {"name": household.name or display_phone(household.phone), "unit": household.unit},
        )
    return _back(request, reverse("estate-unit", args=[estate_id, household.unit_id]))


@login_required
@require_POST
def household_end(request: HttpRequest, estate_id: int, household_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    household = reads.estate_household(estate, household_id)
    form = EndForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        homes.household_end(manager=user, household=household, reason=reason)
    except ApplicationError as error:
        text = " ".join(str(m) for errors in error.fields.values() for m in errors)
        messages.error(request, text or str(error.message))
    else:
        messages.success(request, _("Done: %(unit)s updated.") % {"unit": household.unit})
    return _back(request, reverse("estate-unit", args=[estate_id, household.unit_id]))


@login_required
@require_GET
def pending_list(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    page = Paginator(reads.pending_households(estate), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "property_mgmt/households/pending.html",
        {"estate": estate, "page": page, "rows": _member_rows(page.object_list)},
    )


# --- import --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, estate_id: int) -> HttpResponse:
    """Upload and check; a clean file is kept in the session for the confirm step."""
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    key = IMPORT_SESSION_KEY.format(estate_id=estate.pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"estate": estate, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        request.session.pop(key, None)
        try:
            plan = imports.import_check(
                manager=user,
                neighbourhood=estate,
                filename=upload.name or "",
                content=upload.read(imports.MAX_FILE_BYTES + 1),
            )
        except ImportRowsInvalid as error:
            context["row_errors"] = error.extra["rows"]
        except ApplicationError as error:
            form.add_error("file", str(error.message))
        else:
            request.session[key] = [row.as_dict() for row in plan.rows]
            context["plan"] = plan
            context["counts"] = plan.counts()
    return render(request, "property_mgmt/households/import.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, estate_id)
    stored = request.session.pop(IMPORT_SESSION_KEY.format(estate_id=estate.pk), None)
    if not stored:
        messages.error(request, _("Upload the file again: its preview has expired."))
        return redirect("estate-import", estate_id)
    rows = [imports.ImportRow.from_dict(row) for row in stored]
    try:
        done = imports.import_apply(manager=user, neighbourhood=estate, rows=rows)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("estate-import", estate_id)
    counts = done.counts()
    messages.success(
        request,
        _(
            "Imported: %(buildings)s buildings and %(units_created)s units created, "
            "%(units_updated)s units updated, %(households)s household members added."
        )
        % {
            "buildings": counts["buildings_created"],
            "units_created": counts["units_created"],
            "units_updated": counts["units_updated"],
            "households": counts["households_added"],
        },
    )
    return redirect("estate-units", estate_id)


# --- residents -----------------------------------------------------------------------------


@login_required
@require_GET
def my_home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    homes.household_link_pending(user=user)
    estates = list(reads.requestable_estates(user))
    chosen = request.GET.get("estate", "")
    estate = next((e for e in estates if str(e.pk) == chosen), None)
    if estate is None and len(estates) == 1:
        estate = estates[0]
    form = None
    if estate is not None:
        form = RequestForm(buildings=list(estate.buildings.order_by("name")))
    return render(
        request,
        "property_mgmt/households/my_home.html",
        {
            "homes": reads.my_homes(user),
            "estates": estates,
            "estate": estate,
            "form": form,
        },
    )


@login_required
@require_POST
def my_home_request(request: HttpRequest, estate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = reads.requestable_estates(user).filter(pk=estate_id).first()
    if estate is None:
        raise NotFound()
    form = RequestForm(request.POST, buildings=list(estate.buildings.order_by("name")))
    if not form.is_valid():
        messages.error(request, _("Choose the building and enter your unit number."))
        return redirect(f"{reverse('my-home')}?estate={estate_id}")
    try:
        unit = reads.unit_for_request(
            user, estate_id, form.cleaned_data["building"], form.cleaned_data["number"]
        )
        homes.household_request(user=user, unit=unit, relation=form.cleaned_data["relation"])
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(f"{reverse('my-home')}?estate={estate_id}")
    messages.success(
        request,
        _("Sent. Your property manager will confirm that you live in %(unit)s.") % {"unit": unit},
    )
    return redirect("my-home")
