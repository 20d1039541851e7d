"""A user's wallet parameters (PIN, limits, freeze) and the counters behind the limits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WalletProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet_profile"
    )
    pin_hash = models.CharField(max_length=200, blank=True)
    pin_changed_at = models.DateTimeField(null=True, blank=True)
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    # 0 = off: every payment asks for the PIN.
    no_pin_limit_minor = models.BigIntegerField(_("payments without PIN up to"), default=0)
    single_limit_minor = models.BigIntegerField(_("limit per payment"), default=5_000_00)
    daily_limit_minor = models.BigIntegerField(_("daily limit"), default=20_000_00)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(no_pin_limit_minor__gte=0)
                & Q(single_limit_minor__gt=0)
                & Q(daily_limit_minor__gt=0),
                name="wallet_limits_positive",
            )
        ]

    def __str__(self) -> str:
        return f"wallet profile of user {self.user_id}"

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class UsageCounter(models.Model):
    """How much a user has paid in one span of time, counted in the posting transaction."""

    class Span(models.TextChoices):
        DAY = "day", _("Day")
        YEAR = "year", _("Year")
        LIFETIME = "lifetime", _("Lifetime")
        NO_PIN_DAY = "no_pin_day", _("Payments without PIN, day")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    span = models.CharField(max_length=12, choices=Span.choices)
    period = models.DateField()
    used_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "span", "period"], name="usage_unique"),
            models.CheckConstraint(condition=Q(used_minor__gte=0), name="usage_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.span} {self.period}: {self.used_minor}"
