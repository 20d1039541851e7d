"""Operator-set FX rates and quotes; error corrections under maker-checker."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wallet.models.ledger import JournalTransaction


class FxRate(models.Model):
    """The mid rate: one unit of ``base`` buys ``mid_rate`` units of ``quote``."""

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    mid_rate = models.DecimalField(max_digits=18, decimal_places=8)
    spread_bps = models.PositiveIntegerField(help_text=_("Half the buy-sell spread, in 1/100 %."))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(mid_rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=~Q(base=models.F("quote")), name="fx_pair_distinct"),
        ]

    def __str__(self) -> str:
        return f"{self.base}/{self.quote} {self.mid_rate}"


class FxQuote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sell_currency = models.CharField(max_length=3)
    buy_currency = models.CharField(max_length=3)
    sell_minor = models.BigIntegerField()
    buy_minor = models.BigIntegerField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    transaction = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(sell_minor__gt=0) & Q(buy_minor__gt=0), name="fx_quote_positive"
            )
        ]

    def __str__(self) -> str:
        return f"quote {self.pk} {self.sell_currency}->{self.buy_currency}"


class CorrectionProposal(models.Model):
    """A correcting transaction one operator proposes and a different one approves."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting approval")
        POSTED = "posted", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")

    corrects = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legs = models.JSONField(help_text="[{account_id, amount_minor}]")
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    posted = models.OneToOneField(
        JournalTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="correction_four_eyes",
            )
        ]

    def __str__(self) -> str:
        return f"correction {self.pk} ({self.status})"
