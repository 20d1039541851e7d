"""After the sale: refunds, the fee rates shops are settled at, and webhooks to shops'
own systems."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from merchants.models.shops import Shop


class ShopRefund(models.Model):
    """A refund a shop gave on one of its payments: who, why, how much, and the ledger's
    record of it."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey("wallet.Payment", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    transaction = models.OneToOneField(
        "wallet.JournalTransaction", on_delete=models.PROTECT, related_name="+"
    )
    coupon_returned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="shop_refund_positive")
        ]
        indexes = [models.Index(fields=["shop", "-created_at"])]

    def __str__(self) -> str:
        return f"refund {self.amount_minor} of payment {self.payment_id}"


class CategoryFee(models.Model):
    """The fee rate operators set for a shop category, per transaction in basis points."""

    category = models.CharField(
        _("category"), max_length=20, choices=Shop.Category.choices, unique=True
    )
    fee_bps = models.PositiveIntegerField(_("fee rate (basis points)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category"]
        verbose_name = _("category fee")
        verbose_name_plural = _("category fees")
        constraints = [
            models.CheckConstraint(condition=Q(fee_bps__lte=1000), name="category_fee_at_most_10pc")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.fee_bps} bp"


class WebhookEndpoint(models.Model):
    """A URL of the shop's own system that hears about its payments, refunds, settlements."""

    class Event(models.TextChoices):
        PAYMENT_SUCCEEDED = "payment.succeeded", "payment.succeeded"
        REFUND_SUCCEEDED = "refund.succeeded", "refund.succeeded"
        SETTLEMENT_PAID = "settlement.paid", "settlement.paid"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=300)
    # The signing secret, shown to the owner once; kept to sign every delivery.
    secret = models.CharField(max_length=64)
    event_types = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, tried until it is accepted or 24 hours have passed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery status", "Gave up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Sent as the delivery id: receivers drop a delivery they have already processed.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=30)
    # The business event ("payment:123"): one delivery per endpoint, however often emitted.
    event_key = models.CharField(max_length=80)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_type", "event_key"], name="webhook_event_once"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
