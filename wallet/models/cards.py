from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wallet.models.ledger import Account, JournalTransaction


class BankCard(models.Model):
    """A bound bank card: the bank's token and what a person needs to recognise it.

    The full card number never reaches our database.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        EXPIRED = "expired", _("Expired")
        BLACKLISTED = "blacklisted", _("Blocked by the bank")
        REVOKED = "revoked", _("Revoked")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bank_cards"
    )
    bank_name = models.CharField(_("bank"), max_length=50)
    last4 = models.CharField(_("last four digits"), max_length=4)
    expiry_month = models.PositiveSmallIntegerField()
    expiry_year = models.PositiveSmallIntegerField()
    holder_name = models.CharField(max_length=50)
    token = models.CharField(max_length=64, unique=True)
    nickname = models.CharField(_("name"), max_length=30, blank=True)
    is_default = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALID)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="one_default_card_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.nickname or self.bank_name} ···· {self.last4}"


class TopUp(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        DECLINED = "declined", _("Declined")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(BankCard, on_delete=models.PROTECT, related_name="topups")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decline_code = models.CharField(max_length=40, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    transaction = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="topup_positive")
        ]

    def __str__(self) -> str:
        return f"top-up {self.pk} {self.amount_minor} {self.currency} {self.status}"

    @property
    def gateway_reference(self) -> str:
        return f"topup-{self.pk}"


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        RETURNED = "returned", _("Returned to wallet")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(BankCard, on_delete=models.PROTECT, related_name="withdrawals")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decline_code = models.CharField(max_length=40, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    transaction = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, related_name="+"
    )
    reversal = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="withdrawal_positive")
        ]

    def __str__(self) -> str:
        return f"withdrawal {self.pk} {self.amount_minor} {self.currency} {self.status}"

    @property
    def gateway_reference(self) -> str:
        return f"withdrawal-{self.pk}"
