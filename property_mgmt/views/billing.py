"""Estate staff's billing pages: the runs by month with preview and approval, fee rates,
meter readings (one by one or a CSV file) and one-off charges. Thin: forms check shapes,
services decide. Another estate's pages are 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.auth import signed_in_user
from community.models import Neighbourhood
from core.errors import ApplicationError
from property_mgmt import fees
from property_mgmt.models import BillingRun, Building, FeeRate, MeterReading, Unit
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services import billing
from property_mgmt.services import fees as fee_services

PAGE_SIZE = 50
SAMPLE_SIZE = 20


# --- forms -----------------------------------------------------------------------------------


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (``<input type="month">``), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return fees.month_start(date.fromisoformat(f"{text[:7]}-01"))
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None


class MonthForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month"))


def parse_tiers_text(text: str) -> list[list[str | None]]:
    """``10:3.50, 20:4.00, :5.00`` as stored tiers; the service checks the numbers."""
    tiers: list[list[str | None]] = []
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        bound, _sep, price = part.replace("：", ":").partition(":")
        if not _sep:
            raise forms.ValidationError(_("Write each tier as limit:price."))
        tiers.append([bound.strip() or None, price.strip()])
    return tiers


class RateForm(forms.Form):
    kind = forms.ChoiceField(label=pgettext_lazy("fee kind", "Fee"), choices=FeeRate.Kind.choices)
    price = forms.DecimalField(
        label=gettext_lazy("Price (yuan)"),
        required=False,
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=4,
    )
    tiers = forms.CharField(
        label=gettext_lazy("Tiers"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "Water or electricity in tiers: limit:price separated by commas, the last "
            "without a limit, such as 10:3.50, :5.00."
        ),
    )
    effective_from = forms.DateField(
        label=pgettext_lazy("effective date", "From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    building = forms.ModelChoiceField(
        label=gettext_lazy("Only this building"),
        queryset=Building.objects.none(),
        required=False,
    )
    unit_kind = forms.ChoiceField(
        label=gettext_lazy("Only this kind of unit"),
        choices=[("", "—"), *Unit.Kind.choices],
        required=False,
    )

    def __init__(self, *args: Any, estate: Neighbourhood, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(  # type: ignore[attr-defined]
            neighbourhood=estate
        ).order_by("name")

    def clean_tiers(self) -> list[list[str | None]]:
        return parse_tiers_text(self.cleaned_data.get("tiers", ""))


class UnitFields(forms.Form):
    building = forms.ModelChoiceField(
        label=gettext_lazy("Building"), queryset=Building.objects.none()
    )
    unit = forms.CharField(label=gettext_lazy("Unit number"), max_length=20)

    def __init__(self, *args: Any, estate: Neighbourhood, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.estate = estate
        self.fields["building"].queryset = Building.objects.filter(  # type: ignore[attr-defined]
            neighbourhood=estate
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        building = cleaned.get("building")
        if building is not None and cleaned.get("unit"):
            unit = Unit.objects.filter(building=building, number=cleaned["unit"].strip()).first()
            if unit is None:
                self.add_error("unit", _("No such unit in this building."))
            cleaned["unit_obj"] = unit
        return cleaned


class ReadingForm(UnitFields):
    meter = forms.ChoiceField(label=gettext_lazy("Meter"), choices=MeterReading.Meter.choices)
    reading = forms.DecimalField(
        label=gettext_lazy("Reading"), min_value=Decimal(0), max_digits=12, decimal_places=2
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("Columns: building, unit, meter (water or electricity), reading."),
    )


class ChargeForm(UnitFields):
    description = forms.CharField(label=gettext_lazy("What for"), max_length=100)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    month = MonthField(label=gettext_lazy("Bill with month"))


# --- helpers ---------------------------------------------------------------------------------


def _estate(request: HttpRequest, estate_id: int) -> tuple[Any, Neighbourhood]:
    user = signed_in_user(request)
    return user, managed_neighbourhood(user, estate_id)


def _month_param(request: HttpRequest) -> date:
    form = MonthForm(request.GET)
    if form.is_valid():
        month: date = form.cleaned_data["month"]
        return month
    return fees.month_start(timezone.localdate())


def _show_error(form: forms.Form, error: ApplicationError) -> None:
    if not error.fields:
        form.add_error(None, str(error.message))
    for name, problems in error.fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, str(problem))


# --- the billing run -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def estate_billing(request: HttpRequest, estate_id: int) -> HttpResponse:
    """Runs by month, and a month to preview."""
    user, estate = _estate(request, estate_id)
    form = MonthForm(request.POST or None, initial={"month": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        try:
            preview = billing.billing_preview(
                manager=user,
                neighbourhood=estate,
                period=form.cleaned_data["month"],
                language=get_language(),
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            return redirect("estate-billing-run", estate.pk, preview.run.pk)
    page = Paginator(billing.billing_runs_of(estate), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "property_mgmt/billing/runs.html",
        {"estate": estate, "form": form, "page": page, "section": "billing"},
    )


@login_required
def estate_billing_run(request: HttpRequest, estate_id: int, run_id: int) -> HttpResponse:
    """A run: in preview, the bills as they would be issued, freshly computed, with the
    approve button; once issued, its first bills."""
    _user, estate = _estate(request, estate_id)
    run = billing.billing_run_of(estate, run_id)
    context: dict[str, Any] = {"estate": estate, "run": run, "section": "billing"}
    if run.status == BillingRun.Status.PREVIEW:
        plan = billing.billing_plan(estate, run.period, language=get_language())
        kinds = dict(FeeRate.Kind.choices) | {"one_off": _("One-off charges")}
        context |= {
            "plan": plan,
            "sample": plan.bills[:SAMPLE_SIZE],
            "totals": [(kinds.get(k, k), v) for k, v in plan.totals_by_kind().items()],
        }
    else:
        context["bills"] = billing.run_bills_sample(run, SAMPLE_SIZE)
    return render(request, "property_mgmt/billing/run.html", context)


@login_required
@require_POST
def estate_billing_approve(request: HttpRequest, estate_id: int, run_id: int) -> HttpResponse:
    user, estate = _estate(request, estate_id)
    run = billing.billing_approve(run=billing.billing_run_of(estate, run_id), approved_by=user)
    if run.status == BillingRun.Status.ISSUED:
        messages.success(
            request,
            _("%(count)s bills issued for %(month)s.")
            % {"count": run.bill_count, "month": f"{run.period:%Y-%m}"},
        )
    else:
        messages.success(request, _("Approved. The bills are being issued."))
    return redirect("estate-billing-run", estate.pk, run.pk)


# --- rates -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def estate_fees(request: HttpRequest, estate_id: int) -> HttpResponse:
    user, estate = _estate(request, estate_id)
    form = RateForm(request.POST or None, estate=estate)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            fee_services.fee_rate_set(
                manager=user,
                neighbourhood=estate,
                kind=values["kind"],
                price=values["price"],
                tiers=values["tiers"] or None,
                effective_from=values["effective_from"],
                building=values["building"],
                unit_kind=values["unit_kind"],
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, pgettext("fee rate", "Rate saved."))
            return redirect("estate-fees", estate.pk)
    rates = list(fee_services.fee_rates_of(estate))
    by_kind = [
        (label, [rate for rate in rates if rate.kind == kind])
        for kind, label in FeeRate.Kind.choices
    ]
    return render(
        request,
        "property_mgmt/billing/fees.html",
        {"estate": estate, "form": form, "by_kind": by_kind, "section": "fees"},
    )


# --- readings --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def estate_readings(request: HttpRequest, estate_id: int) -> HttpResponse:
    user, estate = _estate(request, estate_id)
    month = _month_param(request)
    form = ReadingForm(request.POST or None, estate=estate)
    if request.method == "POST" and form.is_valid():
        try:
            fee_services.reading_record(
                manager=user,
                unit=form.cleaned_data["unit_obj"],
                meter=form.cleaned_data["meter"],
                period=month,
                reading=form.cleaned_data["reading"],
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Reading saved."))
            return redirect(f"{request.path}?month={month:%Y-%m}")
    return _readings_page(request, estate, month, form, ImportForm())


def _readings_page(
    request: HttpRequest,
    estate: Neighbourhood,
    month: date,
    form: ReadingForm,
    import_form: ImportForm,
    bad_rows: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    page = Paginator(fee_services.readings_of(estate, month), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "property_mgmt/billing/readings.html",
        {
            "estate": estate,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "form": form,
            "import_form": import_form,
            "bad_rows": bad_rows,
            "page": page,
            "section": "readings",
        },
    )


@login_required
@require_POST
def estate_readings_import(request: HttpRequest, estate_id: int) -> HttpResponse:
    user, estate = _estate(request, estate_id)
    month = _month_param(request)
    import_form = ImportForm(request.POST, request.FILES)
    bad_rows = None
    if import_form.is_valid():
        try:
            count = fee_services.readings_import(
                manager=user,
                neighbourhood=estate,
                period=month,
                data=import_form.cleaned_data["file"],
            )
        except ApplicationError as error:
            import_form.add_error(None, str(error.message))
            bad_rows = error.extra.get("rows")
        else:
            messages.success(request, _("%(count)s readings imported.") % {"count": count})
            return redirect(f"{reverse('estate-readings', args=[estate.pk])}?month={month:%Y-%m}")
    return _readings_page(request, estate, month, ReadingForm(estate=estate), import_form, bad_rows)


# --- one-off charges -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def estate_charges(request: HttpRequest, estate_id: int) -> HttpResponse:
    user, estate = _estate(request, estate_id)
    form = ChargeForm(
        request.POST or None,
        estate=estate,
        initial={"month": f"{timezone.localdate():%Y-%m}"},
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            amount_minor = int(values["amount"] * 100)
        except (InvalidOperation, TypeError):  # the field already refuses these
            amount_minor = 0
        try:
            fee_services.one_off_charge_add(
                manager=user,
                unit=values["unit_obj"],
                description=values["description"],
                amount_minor=amount_minor,
                period=values["month"],
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Charge added."))
            return redirect("estate-charges", estate.pk)
    page = Paginator(fee_services.charges_of(estate), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "property_mgmt/billing/charges.html",
        {"estate": estate, "form": form, "page": page, "section": "charges"},
    )
