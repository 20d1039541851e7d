from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from community.models import Neighbourhood, User


class UserCreationAdminForm(BaseUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("phone", "role")


class UserChangeAdminForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["-date_joined"]
    list_display = ["phone", "display_name", "email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["phone", "email", "display_name"]
    fieldsets = (
        (None, {"fields": ("phone", "phone_verified", "password")}),
        (_("Profile"), {"fields": ("display_name", "email", "preferred_language", "role")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone", "role", "password1", "password2")}),
    )


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin[Neighbourhood]):
    list_display = ["name", "city", "district", "address"]
    search_fields = ["name", "address"]
    prepopulated_fields = {"slug": ("name",)}
