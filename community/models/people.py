from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.phones import display_phone, normalise_mainland_mobile, validate_e164_mainland_mobile


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, phone: str, password: str | None, **extra: Any) -> User:
        if not phone:
            raise ValueError("A user needs a mobile number")
        email = extra.pop("email", None)
        user = self.model(
            phone=normalise_mainland_mobile(phone),
            email=self.normalize_email(email) if email else None,
            **extra,
        )
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone, password, **extra)

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.OPERATOR)
        return self._create_user(phone, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Admin and createsuperuser log in with the number as typed.
        with contextlib.suppress(ValidationError):
            username = normalise_mainland_mobile(username or "")
        return self.get(**{self.model.USERNAME_FIELD: username})


class User(AbstractBaseUser, PermissionsMixin):
    """A person using Linli: resident, shop staff, property staff or operator.

    Logs in with a mainland mobile number (stored in E.164) or an e-mail address.
    ``role`` is the account's primary role and picks the navigation; a shop's or an
    estate's staff membership is recorded by those apps.
    """

    class Role(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        MERCHANT_STAFF = "merchant_staff", _("Merchant staff")
        PROPERTY_STAFF = "property_staff", _("Property staff")
        OPERATOR = "operator", _("Operator")

    phone = models.CharField(
        _("mobile number"),
        max_length=16,
        unique=True,
        validators=[validate_e164_mainland_mobile],
        help_text=_("Mainland China mobile number, stored in E.164 form (+86…)."),
    )
    phone_verified = models.BooleanField(_("mobile number verified"), default=False)
    # NULL, not "", for "no address": the unique constraint then ignores those users.
    email = models.EmailField(_("e-mail address"), blank=True, null=True)  # noqa: DJ001
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)

    class VerificationLevel(models.IntegerChoices):
        NONE = 0, _("Not verified")
        I = 1, _("Level I: identity confirmed")  # noqa: E741
        II = 2, _("Level II: identity and bank card")
        III = 3, _("Level III: confirmed resident")

    # Kept by the verification services; the wallet reads it to set what a user may do.
    verification_level = models.PositiveSmallIntegerField(
        _("verification level"), choices=VerificationLevel.choices, default=VerificationLevel.NONE
    )
    # The verified real name (set with level I); the wallet matches card holders against it.
    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can log into the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                condition=models.Q(email__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    role__in=["resident", "merchant_staff", "property_staff", "operator"]
                ),
                name="user_role_known",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or display_phone(self.phone)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Blank and NULL must mean the same thing for the unique e-mail constraint.
        if not self.email:
            self.email = None
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.email:
            self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def is_operator(self) -> bool:
        return self.role == self.Role.OPERATOR


class Neighbourhood(models.Model):
    """An estate (小区): the unit of membership for circles, bills and local shops."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")

    def __str__(self) -> str:
        return self.name
