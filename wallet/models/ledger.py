"""The double-entry ledger.

Sign convention, fixed once: a posting's ``amount_minor`` is added to its account's balance.
Positive credits the account, negative debits it. Every journal transaction's postings sum to
zero per currency, so the balances of all accounts of a currency sum to zero: customer money
(positive) is mirrored by the bank clearing account (negative). A database trigger checks the
sum at commit on PostgreSQL; ``wallet.services.ledger`` checks it before inserting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Resident wallet")
        MERCHANT = "merchant", _("Merchant account")
        COLLECTION = "collection", _("Collection account")
        SYSTEM = "system", _("System account")

    class SystemCode(models.TextChoices):
        BANK_CLEARING = "bank_clearing", _("Bank clearing")
        FEE_INCOME = "fee_income", _("Fee income")
        FX_POSITION = "fx_position", _("FX position")
        PROMOTIONS = "promotions", _("Promotions")
        SUSPENSE = "suspense", _("Suspense")
        # Holds whose payee is named only at capture (a red packet, a neighbour's reward);
        # it never carries a balance: a capture posts from the payer to that payee.
        ESCROW = "escrow", _("Escrow")
        # What payees owe us: a refund taken after their money was paid out to the bank
        # borrows from here, and their next settlements pay it back (carried forward).
        RECEIVABLE = "receivable", _("Owed by payees")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet_accounts",
    )
    # Merchant and collection accounts belong to records of higher layers (a shop, a
    # property company); they keep the link and name it here as "shop:12", "company:3".
    owner_ref = models.CharField(_("owner reference"), max_length=40, blank=True)
    system_code = models.CharField(
        _("system code"), max_length=20, choices=SystemCode.choices, blank=True
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    balance_minor = models.BigIntegerField(_("balance"), default=0)
    held_minor = models.BigIntegerField(_("held"), default=0)
    # Only accounts that mirror the outside world (bank clearing, FX position) go below zero.
    allow_negative = models.BooleanField(default=False)
    # >0 marks a hot account: credits land in one of this many shards so that concurrent
    # payments to one shop do not queue behind a single row lock.
    shard_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="customer") | Q(balance_minor__gte=0),
                name="customer_wallet_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance_minor__gte=0),
                name="account_not_negative_unless_allowed",
            ),
            models.CheckConstraint(
                condition=Q(held_minor__gte=0), name="account_held_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(held_minor__lte=models.F("balance_minor")) | Q(allow_negative=True),
                name="account_held_within_balance",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=False) | Q(kind="system"),
                name="only_system_accounts_go_negative",
            ),
            models.UniqueConstraint(
                fields=["owner", "currency"],
                condition=Q(kind="customer"),
                name="one_wallet_per_user_and_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "owner_ref", "currency"],
                condition=~Q(owner_ref=""),
                name="one_account_per_owner_ref_and_currency",
            ),
            models.UniqueConstraint(
                fields=["system_code", "currency"],
                condition=Q(kind="system"),
                name="one_system_account_per_code_and_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.get_kind_display()} ({self.currency})"

    @property
    def is_hot(self) -> bool:
        return self.shard_count > 0


class AccountShard(models.Model):
    """A slice of a hot account's balance that only credits touch."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="shards")
    slot = models.PositiveSmallIntegerField()
    balance_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "slot"], name="shard_unique_slot"),
            models.CheckConstraint(condition=Q(balance_minor__gte=0), name="shard_not_negative"),
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} shard {self.slot}"


class JournalTransaction(models.Model):
    """One business event in the ledger; never updated or deleted."""

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        PAYMENT = "payment", _("Payment")
        CAPTURE = "capture", _("Captured payment")
        REFUND = "refund", _("Refund")
        CANCELLATION = "cancellation", _("Cancellation")
        TRANSFER = "transfer", _("Transfer")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        WITHDRAWAL_REVERSAL = "withdrawal_reversal", _("Withdrawal returned")
        CONVERSION = "conversion", _("Currency conversion")
        CORRECTION = "correction", _("Error correction")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    metadata = models.JSONField(default=dict, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # A business key ("topup:42"): a second posting of the same event fails on it.
    reference = models.CharField(max_length=80, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("journal transaction")
        verbose_name_plural = _("journal transactions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        indexes = [models.Index(fields=["account", "-transaction"], name="posting_account_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="posting_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor:+d} {self.currency} on account {self.account_id}"


class Hold(models.Model):
    """Money set aside in a wallet for a payee, captured later in whole or in parts."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CAPTURED = "captured", _("Captured")
        VOIDED = "voided", _("Voided")
        EXPIRED = "expired", _("Expired")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    payee = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="incoming_holds")
    amount_minor = models.BigIntegerField()
    captured_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    description = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The limit counters the hold counted against when placed, so what it gives back goes
    # to those same counters whatever the payer's verification level is by then.
    level_span = models.CharField(max_length=12, blank=True, default="")
    counted_without_pin = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="hold_positive"),
            models.CheckConstraint(
                condition=Q(captured_minor__gte=0)
                & Q(captured_minor__lte=models.F("amount_minor")),
                name="hold_capture_within_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="active"), name="hold_active_expiry_idx"
            )
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} {self.amount_minor} {self.status}"

    @property
    def remaining_minor(self) -> int:
        return self.amount_minor - self.captured_minor


class Payment(models.Model):
    """A payment from a wallet to a payee, with what has been refunded of it."""

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    payer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments_made")
    payee = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments_received")
    amount_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    description = models.CharField(max_length=200)
    transaction = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, related_name="payment"
    )
    hold = models.ForeignKey(
        Hold, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("amount_minor")),
                name="payment_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} {self.amount_minor} {self.currency}"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor
