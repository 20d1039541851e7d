from django.contrib import admin

from merchants.models import Shop, ShopStaff


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
