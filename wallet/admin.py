"""Read-only views of the ledger for operators. Money never moves from here: corrections
go through the maker-checker console, so nothing below can add, change or delete."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wallet.models import (
    Account,
    BankCard,
    CorrectionProposal,
    FxRate,
    Hold,
    JournalTransaction,
    Payment,
    Posting,
    TopUp,
    Withdrawal,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostingInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Posting
    fields = ["account", "amount_minor", "currency"]
    readonly_fields = ["account", "amount_minor", "currency"]
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "name",
        "kind",
        "currency",
        "balance_minor",
        "held_minor",
        "status",
        "shard_count",
    ]
    list_filter = ["kind", "currency", "status"]
    search_fields = ["name", "owner__phone", "owner_ref"]
    list_select_related = ["owner"]


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "description", "reference", "created_at"]
    list_filter = ["kind"]
    search_fields = ["description", "reference"]
    inlines = [PostingInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "payer",
        "payee",
        "amount_minor",
        "refunded_minor",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    list_select_related = ["payer", "payee"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "account",
        "payee",
        "amount_minor",
        "captured_minor",
        "status",
        "expires_at",
    ]
    list_filter = ["status"]
    list_select_related = ["account", "payee"]


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "user",
        "card",
        "amount_minor",
        "currency",
        "status",
        "decline_code",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["user", "card"]


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "user",
        "card",
        "amount_minor",
        "currency",
        "status",
        "decline_code",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["user", "card"]


@admin.register(BankCard)
class BankCardAdmin(ReadOnlyAdmin):
    list_display = ["pk", "owner", "bank_name", "last4", "status", "is_default", "removed_at"]
    list_filter = ["status", "bank_name"]
    list_select_related = ["owner"]
    exclude = ["token"]


@admin.register(FxRate)
class FxRateAdmin(ReadOnlyAdmin):
    list_display = ["base", "quote", "mid_rate", "spread_bps", "set_by", "created_at"]


@admin.register(CorrectionProposal)
class CorrectionProposalAdmin(ReadOnlyAdmin):
    list_display = ["pk", "reason", "status", "proposed_by", "decided_by", "proposed_at"]
    list_filter = ["status"]
