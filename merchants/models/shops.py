from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models import Neighbourhood


class Shop(models.Model):
    """A local shop or service in a neighbourhood."""

    class Category(models.TextChoices):
        GROCERY = "grocery", _("Grocery")
        FOOD = "food", _("Food and drink")
        SERVICES = "services", _("Household services")
        HEALTH = "health", _("Health")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=100)
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="shops")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    address = models.CharField(_("address"), max_length=200)
    description = models.CharField(_("what the shop offers"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # Onboarding: the business as registered, and who answers for it.
    business_name = models.CharField(_("registered business name"), max_length=100, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    # False when the code fails the GB 32100-2015 check: the application goes to manual
    # review instead of being refused (a typo in our check must not turn a shop away).
    credit_code_checks = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shops_owned",
    )
    settlement_card = models.ForeignKey(
        "wallet.BankCard", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "name"], name="shop_unique_name")
        ]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name


class ShopStaff(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CASHIER = "cashier", _("Cashier")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_staff"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "user"], name="shop_staff_unique")]
        verbose_name = _("shop staff member")
        verbose_name_plural = _("shop staff")

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"


class StaffInvite(models.Model):
    """An owner invites a cashier by mobile number; the invitee accepts once signed in."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the invitee")
        ACCEPTED = "accepted", pgettext_lazy("invitation status", "Accepted")
        REVOKED = "revoked", _("Withdrawn")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invites")
    phone = models.CharField(_("mobile number"), max_length=16)
    role = models.CharField(_("role"), max_length=20, choices=ShopStaff.Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "phone"],
                condition=models.Q(status="pending"),
                name="one_pending_invite",
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone} → {self.shop_id} ({self.status})"
