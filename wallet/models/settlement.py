"""Daily (T+1) settlement of payee accounts to their bank accounts, and the bank's statement
checked against our books.

A payee account (a shop's takings, a property company's collection account) that is paid
out has a ``PayoutProfile``: where the money goes and the fee rate. Each business day
becomes one ``Settlement`` per account with a line for every journal transaction of that
day on the account; the settlement is a state machine so that a run killed half-way
finishes on the next run without paying twice (docs/settlement.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wallet.models.ledger import Account, JournalTransaction


class PayoutProfile(models.Model):
    """Where a payee account's money goes every day, and what we charge for taking it."""

    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="payout")
    # Shown on statements and to operators: the shop's or the company's name.
    label = models.CharField(_("name"), max_length=100)
    # The payout destination as the bank knows it; never a full card number.
    card_token = models.CharField(max_length=64)
    bank_name = models.CharField(_("bank"), max_length=50)
    last4 = models.CharField(_("last four digits"), max_length=4)
    holder_name = models.CharField(max_length=50)
    # Fee per transaction in basis points of its amount (60 = 0.60 %), set by its layer
    # (merchants: by shop category).
    fee_bps = models.PositiveIntegerField(_("fee rate (basis points)"), default=0)
    # Refunds taken after the money was paid out, lent by the receivable account and paid
    # back from the next settlements before anything is paid out.
    owed_minor = models.BigIntegerField(_("owed"), default=0)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payout profile")
        verbose_name_plural = _("payout profiles")
        constraints = [
            models.CheckConstraint(condition=Q(owed_minor__gte=0), name="payout_owed_not_negative"),
            models.CheckConstraint(condition=Q(fee_bps__lte=10_000), name="payout_fee_at_most_all"),
        ]

    def __str__(self) -> str:
        return f"{self.label} → {self.bank_name} ···· {self.last4}"


class Settlement(models.Model):
    """One business day of one payee account, from its figures to the money at the bank.

    CALCULATED (lines and totals recorded) → BOOKED (fee, recovery and the payout's debit
    posted; the payout reference fixed) → PAID once the bank confirms, or back to
    RETRYING (the debit reversed) when the bank declines. A day with nothing to pay ends as
    CARRIED, its negative total carried into the next day's settlement.
    """

    class Status(models.TextChoices):
        CALCULATED = "calculated", _("Calculated")
        BOOKED = "booked", _("Paying out")
        PAID = "paid", pgettext_lazy("settlement status", "Paid")
        RETRYING = "retrying", _("Payout failed, will retry")
        CARRIED = "carried", _("Nothing to pay, carried forward")

    profile = models.ForeignKey(PayoutProfile, on_delete=models.PROTECT, related_name="settlements")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="settlements")
    business_date = models.DateField(_("business day"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CALCULATED
    )
    payment_count = models.PositiveIntegerField(default=0)
    payments_minor = models.BigIntegerField(_("sales"), default=0)
    refund_count = models.PositiveIntegerField(default=0)
    refunds_minor = models.BigIntegerField(_("refunds"), default=0)  # negative or zero
    other_minor = models.BigIntegerField(_("other"), default=0)  # corrections, captures...
    fees_minor = models.BigIntegerField(_("fees"), default=0)  # what we keep, >= 0 net
    carried_in_minor = models.BigIntegerField(_("carried in"), default=0)  # <= 0
    recovered_minor = models.BigIntegerField(_("owed refunds recovered"), default=0)  # >= 0
    payout_minor = models.BigIntegerField(_("paid out"), default=0)
    carried_out_minor = models.BigIntegerField(_("carried forward"), default=0)  # <= 0
    # The payout as the bank knows it: "settlement:<id>:<attempt>", unique per attempt.
    attempts = models.PositiveSmallIntegerField(default=0)
    payout_reference = models.CharField(max_length=80, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    last_decline_code = models.CharField(max_length=40, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    booked_transaction = models.ForeignKey(
        JournalTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-business_date", "-id"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "business_date"], name="one_settlement_per_account_and_day"
            ),
            models.CheckConstraint(condition=Q(payout_minor__gte=0), name="payout_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(bank_reference=""), name="paid_has_bank_ref"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"settlement {self.account_id} {self.business_date} ({self.status})"


class SettlementLine(models.Model):
    """One journal transaction of the day on the settled account, with its fee."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", pgettext_lazy("settlement line", "Payment")
        REFUND = "refund", pgettext_lazy("settlement line", "Refund")
        OTHER = "other", pgettext_lazy("settlement line", "Other")

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey(JournalTransaction, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_minor = models.BigIntegerField()  # the transaction's effect on the account
    fee_minor = models.BigIntegerField(default=0)  # negative on a refund: fee given back
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            # A transaction is settled once, whichever day's run finds it.
            models.UniqueConstraint(
                fields=["account", "transaction"], name="settle_transaction_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor} (fee {self.fee_minor})"


class BankStatement(models.Model):
    """The bank's statement file of one day, as received, with the hash it came with."""

    business_date = models.DateField(unique=True)
    content = models.TextField()  # the CSV as received
    sha256 = models.CharField(max_length=64)
    line_count = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"bank statement {self.business_date}"


class Reconciliation(models.Model):
    """One day's match of the bank's statement against the ledger and the settlements."""

    class Status(models.TextChoices):
        CLEAN = "clean", _("Everything matches")
        DISCREPANCIES = "discrepancies", _("Differences found")
        FAILED = "failed", _("Statement unusable")

    business_date = models.DateField(_("business day"))
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=15, choices=Status.choices)
    matched_count = models.PositiveIntegerField(default=0)
    issue_count = models.PositiveIntegerField(default=0)
    # The three-way total of money moved to and from the bank that day, per source.
    ledger_total_minor = models.BigIntegerField(default=0)
    settlements_total_minor = models.BigIntegerField(default=0)
    bank_total_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-business_date", "-id"]

    def __str__(self) -> str:
        return f"reconciliation {self.business_date} ({self.status})"


class ReconciliationIssue(models.Model):
    class Kind(models.TextChoices):
        MISSING_IN_BOOKS = "missing_in_books", _("At the bank, not in our books")
        MISSING_AT_BANK = "missing_at_bank", _("In our books, not at the bank")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amounts differ")
        STATUS_MISMATCH = "status_mismatch", _("Bank and books disagree on the outcome")
        BAD_FILE = "bad_file", _("Statement file damaged")
        TOTALS_DIFFER = "totals_differ", _("Day totals differ")

    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="issues"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reference = models.CharField(max_length=80, blank=True)
    bank_amount_minor = models.BigIntegerField(null=True, blank=True)
    books_amount_minor = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
