from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
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
