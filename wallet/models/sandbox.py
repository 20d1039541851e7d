"""The sandbox bank's own books. It stands for the outside world: our code reaches it only
through ``wallet.gateways``, and its writes commit on their own, as a real bank's would."""

from django.db import models
from django.db.models import Q


class SandboxCard(models.Model):
    class Status(models.TextChoices):
        OK = "ok", "ok"
        BLACKLISTED = "blacklisted", "blacklisted"
        REVOKED = "revoked", "revoked"

    bank_name = models.CharField(max_length=50)
    number = models.CharField(max_length=19, unique=True)
    holder_name = models.CharField(max_length=50)
    expiry_month = models.PositiveSmallIntegerField()
    expiry_year = models.PositiveSmallIntegerField()
    balance_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OK)
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    def __str__(self) -> str:
        return f"sandbox card ···· {self.number[-4:]}"


class SandboxStatementLine(models.Model):
    """The bank's statement: one line per charge or payout, unique by our reference."""

    # No card on a cancellation marker: the reference was closed before anything arrived.
    card = models.ForeignKey(
        SandboxCard, on_delete=models.PROTECT, related_name="lines", null=True, blank=True
    )
    kind = models.CharField(max_length=10)  # "charge" or "payout"
    reference = models.CharField(max_length=80)
    amount_minor = models.BigIntegerField()
    bank_reference = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="sandbox_reference_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.amount_minor}"


class SandboxFault(models.Model):
    """A fault the next matching gateway calls will suffer (tests and the chaos harness)."""

    class Mode(models.TextChoices):
        TIMEOUT_BEFORE = "timeout_before", "timeout before moving money"
        TIMEOUT_AFTER = "timeout_after", "timeout after moving money"
        DUPLICATE_CALLBACK = "duplicate_callback", "callback sent twice"
        LATE_CALLBACK = "late_callback", "callback only later, no answer now"

    operation = models.CharField(max_length=10)  # "charge", "payout" or "*"
    mode = models.CharField(max_length=20, choices=Mode.choices)
    remaining = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(remaining__gte=0), name="sandbox_fault_count")
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.mode} x{self.remaining}"
