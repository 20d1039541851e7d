from django.contrib import admin

from property_mgmt.models import Building, PropertyCompany, PropertyStaff, Unit


class PropertyStaffInline(admin.TabularInline[PropertyStaff, PropertyCompany]):
    model = PropertyStaff
    raw_id_fields = ["user"]
    extra = 0


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(admin.ModelAdmin[PropertyCompany]):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["neighbourhoods"]
    inlines = [PropertyStaffInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin[Building]):
    list_display = ["name", "neighbourhood", "floors"]
    list_filter = ["neighbourhood"]
    list_select_related = ["neighbourhood"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
    list_display = ["__str__", "kind", "floor", "area_m2"]
    list_filter = ["kind", "building__neighbourhood"]
    list_select_related = ["building"]
