"""Checkout at the till: dynamic payment requests and residents' one-time payment codes.

(The static QR of a shop is the wallet's open-amount pay link for the shop's account.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from merchants.models.shops import Shop


class PaymentRequest(models.Model):
    """A cashier's request for an amount, shown as a QR code that encodes its pay link.

    Paid at most once (the status moves from open under a row lock, and the payment is
    unique); expires after ten minutes.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for payment")
        PAID = "paid", pgettext_lazy("payment request status", "Paid")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", pgettext_lazy("payment request status", "Cancelled")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="payment_requests")
    # The public name of the request in its link; not guessable, unlike the id.
    token = models.CharField(max_length=32, unique=True)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3, default="CNY")
    reference = models.CharField(_("order reference"), max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    payment = models.OneToOneField(
        "wallet.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="request_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False),
                name="paid_request_has_payment",
            ),
        ]
        indexes = [models.Index(fields=["shop", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.amount_minor} ({self.status})"


class PaymentCode(models.Model):
    """付款码: a one-time numeric code a resident shows at the till, valid 60 seconds.

    Showing it needs the PIN (or the small-payment allowance); the code is then the
    resident's authorisation for one charge, up to a cap. Only its keyed digest is stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_codes"
    )
    code_digest = models.CharField(max_length=64, unique=True)
    max_amount_minor = models.BigIntegerField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.OneToOneField(
        "wallet.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(payment__isnull=False),
                name="used_code_has_payment",
            )
        ]

    def __str__(self) -> str:
        return f"code of {self.user_id} ({'used' if self.used_at else 'unused'})"
