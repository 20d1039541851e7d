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


# --- verification ----------------------------------------------------------------------------

from django.db.models import QuerySet  # noqa: E402
from django.http import HttpRequest  # noqa: E402

from community.models import IdentityRecord, LevelChange  # noqa: E402

_IDENTITY_FIELDS = [
    "user",
    "real_name",
    "id_number_masked",
    "provider",
    "provider_reference",
    "verified_at",
    "bank_confirmed_at",
    "in_person_confirmed_at",
    "in_person_confirmed_by",
    "level_ceiling",
]


@admin.register(IdentityRecord)
class IdentityRecordAdmin(admin.ModelAdmin[IdentityRecord]):
    """Read-only; the number appears only masked. Look people up by identity number, and
    change levels, on the operator page (/operator/verification/): it searches by digest
    without putting the number in a URL, and keeps the audit trail."""

    list_display = ["user", "real_name", "id_number_masked", "level", "verified_at"]
    list_select_related = ["user"]
    fields = tuple(_IDENTITY_FIELDS)
    readonly_fields = tuple(_IDENTITY_FIELDS)
    search_fields = ["real_name", "user__phone"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[IdentityRecord]:
        # Never decrypt what is never shown.
        return super().get_queryset(request).defer("id_number")

    @admin.display(description=_("verification level"))
    def level(self, record: IdentityRecord) -> str:
        return str(record.user.get_verification_level_display())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LevelChange)
class LevelChangeAdmin(admin.ModelAdmin[LevelChange]):
    list_display = ["created_at", "user", "from_level", "to_level", "source", "actor", "reason"]
    list_select_related = ["user", "actor"]
    list_filter = ["source"]
    search_fields = ["user__phone"]
    readonly_fields = ["user", "from_level", "to_level", "source", "reason", "actor", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
