"""Fee schedules, readings, billing runs and bills.

Money is in minor units (fen). Rates are ``Decimal`` in yuan per measure (per m² per month,
per space per month, per m³ or kWh); a line's amount is computed exactly in ``Decimal`` and
rounded to the fen once, half up (see ``property_mgmt.fees``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models import Neighbourhood
from property_mgmt.models.estate import Building, PropertyCompany, Unit


class BillingPolicy(models.Model):
    """How an estate bills: who collects, when bills fall due, and its late-fee policy."""

    neighbourhood = models.OneToOneField(
        Neighbourhood, on_delete=models.CASCADE, related_name="billing_policy"
    )
    company = models.ForeignKey(
        PropertyCompany, on_delete=models.PROTECT, related_name="billing_policies"
    )
    due_day = models.PositiveSmallIntegerField(_("bills due on day"), default=15)
    late_fee_daily_rate = models.DecimalField(
        _("late fee per day (fraction of what is overdue)"),
        max_digits=7,
        decimal_places=6,
        default=Decimal("0.000500"),
    )
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    late_fee_cap_rate = models.DecimalField(
        _("late fees at most (fraction of what is overdue)"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.1000"),
    )

    class Meta:
        verbose_name = _("billing policy")
        verbose_name_plural = _("billing policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_day__gte=1) & Q(due_day__lte=28), name="due_day_in_every_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.neighbourhood} ← {self.company}"


class FeeRate(models.Model):
    """A price from a date on, for the whole estate, one building, or one kind of unit.

    The most specific rate wins (building over unit kind over estate-wide); a later
    ``effective_from`` replaces an earlier one from that day, prorated by days.
    Metered kinds carry ``tiers``: ``[["10", "3.50"], [null, "5.00"]]`` means the first 10
    units of a month at 3.50 and the rest at 5.00.
    """

    class Kind(models.TextChoices):
        PROPERTY = "property", _("Property fee (per m² a month)")
        PARKING = "parking", _("Parking (per space a month)")
        WATER = "water", _("Water (per m³)")
        ELECTRICITY = "electricity", _("Electricity (per kWh)")

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="fee_rates"
    )
    kind = models.CharField(_("fee"), max_length=12, choices=Kind.choices)
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="fee_rates"
    )
    unit_kind = models.CharField(
        _("unit kind"), max_length=10, choices=Unit.Kind.choices, blank=True
    )
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=4, default=0)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    effective_from = models.DateField(_("from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "effective_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "kind", "building", "unit_kind", "effective_from"],
                name="fee_rate_once_a_day",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="fee_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.price} from {self.effective_from}"


class MeterReading(models.Model):
    """A unit's water or electricity meter at the end of a month."""

    class Meter(models.TextChoices):
        WATER = "water", pgettext_lazy("meter", "Water")
        ELECTRICITY = "electricity", pgettext_lazy("meter", "Electricity")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="readings")
    meter = models.CharField(_("meter"), max_length=12, choices=Meter.choices)
    period = models.DateField(_("month"))  # the first day of the month read
    reading = models.DecimalField(_("reading"), max_digits=12, decimal_places=2)
    usage = models.DecimalField(_("used this month"), max_digits=12, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit_id", "meter", "period"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "meter", "period"], name="one_reading_a_month"),
            models.CheckConstraint(condition=Q(usage__gte=0), name="meter_usage_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.meter} {self.period:%Y-%m}: {self.reading}"


class OneOffCharge(models.Model):
    """A charge for one unit, billed with the month it names (a repair, a key card)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="one_off_charges")
    description = models.CharField(_("what for"), max_length=100)
    amount_minor = models.BigIntegerField(_("amount"))
    period = models.DateField(_("bill with month"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="one_off_positive"),
        ]

    def __str__(self) -> str:
        return self.description


class BillingRun(models.Model):
    """One estate's billing of one month: previewed, approved by a manager, then issued.

    One run per estate and month; issuing again finds every bill already there.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        ISSUING = "issuing", _("Issuing")
        ISSUED = "issued", _("Issued")

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="billing_runs"
    )
    period = models.DateField(_("month"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    bill_count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period", "neighbourhood_id"]
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "period"], name="one_run_a_month"),
        ]

    def __str__(self) -> str:
        return f"{self.neighbourhood} {self.period:%Y-%m} ({self.status})"


class Bill(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("bill status", "Open")
        PAID = "paid", pgettext_lazy("bill status", "Paid")
        OVERDUE = "overdue", _("Overdue")
        WAIVED = "waived", _("Waived")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly bill")
        ADHOC = "adhoc", _("One-off bill")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bills")
    # Denormalised from the unit: every manager list filters by estate.
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="bills")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MONTHLY)
    period = models.DateField(_("month"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    total_minor = models.BigIntegerField(_("total"))
    due_date = models.DateField(_("due"))
    run = models.ForeignKey(
        BillingRun, on_delete=models.PROTECT, null=True, blank=True, related_name="bills"
    )
    payment = models.ForeignKey(
        "wallet.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_date", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period"], condition=Q(kind="monthly"), name="one_monthly_bill"
            ),
            models.CheckConstraint(condition=Q(total_minor__gte=0), name="bill_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False) | Q(total_minor=0),
                name="paid_bill_has_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["neighbourhood", "status", "due_date"]),
            models.Index(fields=["unit", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class BillLine(models.Model):
    class Kind(models.TextChoices):
        PROPERTY = "property", _("Property fee")
        PARKING = "parking", _("Parking")
        WATER = "water", _("Water")
        ELECTRICITY = "electricity", _("Electricity")
        ONE_OFF = "one_off", _("One-off charge")
        LATE_FEE = "late_fee", _("Late fee")
        ADJUSTMENT = "adjustment", _("Adjustment")

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    amount_minor = models.BigIntegerField()
    # The day a late fee accrued for: one late-fee line a bill a day, whatever runs twice.
    accrued_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill", "accrued_on"],
                condition=Q(kind="late_fee"),
                name="one_late_fee_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount_minor}"


class BillEvent(models.Model):
    """The audit trail of a bill: adjustments, waivers, cancellations, payments, reminders.

    Reminders are recorded here too, once per bill and kind, so a task that runs twice
    reminds once.
    """

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        ADJUSTED = "adjusted", _("Adjusted")
        WAIVED = "waived", _("Waived")
        CANCELLED = "cancelled", _("Cancelled")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Became overdue")
        REMINDED_DUE_SOON = "due_soon", _("Reminded: due in three days")
        REMINDED_OVERDUE = "overdue_notice", _("Reminded: overdue")

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_minor = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill", "kind"],
                condition=Q(kind__in=["due_soon", "overdue_notice", "overdue"]),
                name="remind_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.kind}"
