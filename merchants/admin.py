from typing import Any

from django.contrib import admin

from merchants.models import CategoryFee, Shop, ShopStaff
from merchants.services.settlement import category_payouts_refresh


class ShopStaffInline(admin.TabularInline[ShopStaff, Shop]):
    model = ShopStaff
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin[Shop]):
    list_display = ["name", "neighbourhood", "category", "status"]
    list_filter = ["status", "category"]
    search_fields = ["name"]
    list_select_related = ["neighbourhood"]
    inlines = [ShopStaffInline]


@admin.register(CategoryFee)
class CategoryFeeAdmin(admin.ModelAdmin[CategoryFee]):
    """Operators set the fee rates here; the category's shops are settled at the new rate
    from their next settlement (their payout profiles are refreshed in the same save)."""

    list_display = ["category", "fee_bps", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request: Any, obj: CategoryFee, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        category_payouts_refresh(obj.category)
