from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from property_mgmt.models.billing import Bill
from property_mgmt.models.estate import Unit


class AutoPayConsent(models.Model):
    """A household member lets Linli pay the unit's bills from their wallet on the due date,
    up to a cap a month. Withdrawn at any time; a withdrawn consent pays nothing more."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="autopay_consents"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="autopay_consents")
    monthly_cap_minor = models.BigIntegerField(_("at most a month"))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"], condition=Q(active=True), name="one_active_consent"
            ),
            models.CheckConstraint(condition=Q(monthly_cap_minor__gt=0), name="cap_positive"),
        ]

    def __str__(self) -> str:
        return f"auto-pay {self.user_id} for {self.unit_id}"


class AutoPayAttempt(models.Model):
    """One try to pay one bill on one day; the unique key makes the daily task idempotent."""

    class Outcome(models.TextChoices):
        PAID = "paid", pgettext_lazy("auto-pay outcome", "Paid")
        INSUFFICIENT_FUNDS = "insufficient_funds", _("Not enough in the wallet")
        OVER_CAP = "over_cap", _("Above the monthly cap")
        ALREADY_PAID = "already_paid", _("Already paid")
        FAILED = "failed", _("Refused by the wallet")

    consent = models.ForeignKey(AutoPayConsent, on_delete=models.CASCADE, related_name="attempts")
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="autopay_attempts")
    attempted_on = models.DateField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.CharField(max_length=200, blank=True)
    payment = models.ForeignKey(
        "wallet.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-attempted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consent", "bill", "attempted_on"], name="one_attempt_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.attempted_on}: {self.outcome}"
