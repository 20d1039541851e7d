"""Coupon campaigns a shop pays for, the coupons residents claim, and their redemptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from merchants.models.shops import Shop


class Campaign(models.Model):
    """A shop's offer: what a coupon takes off, for whom, how many, until when.

    Merchant-funded: the resident pays less and the shop receives what the resident paid.
    The budget is counted on this row under its lock: ``claimed_count`` never passes
    ``budget_count``, and every claimed coupon reserves its largest possible discount so
    that ``reserved_minor`` never passes ``budget_minor`` (a claimed coupon can always be
    used while the campaign runs).
    """

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("Amount off")
        PERCENT_OFF = "percent_off", _("Percent off, up to a cap")
        SPEND_SAVE = "spend_save", _("Spend X, save Y")

    class Audience(models.TextChoices):
        NEIGHBOURHOOD = "neighbourhood", _("Everyone in the neighbourhood")
        BUILDINGS = "buildings", _("Residents of chosen buildings")
        CIRCLE = "circle", _("Members of a circle")
        NEW_CUSTOMERS = "new_customers", _("New customers")
        LAPSED_CUSTOMERS = "lapsed_customers", _("Customers who have not come for a while")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("campaign status", "Running")
        PAUSED = "paused", pgettext_lazy("campaign status", "Paused")
        ENDED = "ended", pgettext_lazy("campaign status", "Ended")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # AMOUNT_OFF and SPEND_SAVE: the amount saved. PERCENT_OFF: the cap.
    amount_minor = models.BigIntegerField(_("amount off"))
    percent = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    # SPEND_SAVE: the spend that unlocks the saving; otherwise an optional minimum spend.
    min_spend_minor = models.BigIntegerField(_("minimum spend"), default=0)
    budget_count = models.PositiveIntegerField(_("coupons available"))
    budget_minor = models.BigIntegerField(_("discount budget"))
    per_resident_limit = models.PositiveSmallIntegerField(_("coupons per resident"), default=1)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.NEIGHBOURHOOD
    )
    # BUILDINGS: building ids of the property app, as on community memberships.
    building_refs = models.JSONField(_("buildings"), default=list, blank=True)
    circle = models.ForeignKey(
        "community.Circle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("circle"),
    )
    # LAPSED_CUSTOMERS: paid the shop before, but not in this many days.
    lapsed_days = models.PositiveSmallIntegerField(_("days since the last visit"), default=30)
    verified_only = models.BooleanField(_("verified residents only"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    claimed_count = models.PositiveIntegerField(default=0)
    reserved_minor = models.BigIntegerField(default=0)
    redeemed_count = models.PositiveIntegerField(default=0)
    discount_minor = models.BigIntegerField(_("discount given"), default=0)
    sales_minor = models.BigIntegerField(_("sales with the coupon"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="campaign_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent_off") | Q(percent__gte=1, percent__lte=99),
                name="campaign_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(claimed_count__lte=F("budget_count")), name="campaign_count_budget"
            ),
            models.CheckConstraint(
                condition=Q(reserved_minor__lte=F("budget_minor")), name="campaign_amount_budget"
            ),
            models.CheckConstraint(
                condition=Q(discount_minor__lte=F("reserved_minor")),
                name="campaign_discount_within_reserve",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaign_window"),
        ]
        indexes = [models.Index(fields=["shop", "status", "ends_at"])]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """A resident's claimed coupon of a campaign; used at most once at a time.

    ``redeemed_at`` is set in the payment's transaction; a full refund while the campaign
    still runs clears it again (the coupon goes back to the resident).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="coupons")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coupons"
    )
    claimed_at = models.DateTimeField(auto_now_add=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        indexes = [models.Index(fields=["user", "redeemed_at"])]

    def __str__(self) -> str:
        return f"coupon {self.pk} of {self.campaign_id} for {self.user_id}"


class CouponRedemption(models.Model):
    """A coupon used on one payment: what the bill was and what the coupon took off."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    payment = models.OneToOneField("wallet.Payment", on_delete=models.PROTECT, related_name="+")
    gross_minor = models.BigIntegerField()  # the shop's price before the coupon
    discount_minor = models.BigIntegerField()
    redeemed_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coupon"],
                condition=Q(returned_at__isnull=True),
                name="coupon_redeemed_once",
            ),
            models.CheckConstraint(
                condition=Q(discount_minor__gt=0, discount_minor__lt=F("gross_minor")),
                name="redemption_discount_within_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} on payment {self.payment_id}"
