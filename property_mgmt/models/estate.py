from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models import Neighbourhood


class PropertyCompany(models.Model):
    """A property-management company (物业公司) that runs one or more estates."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, related_name="property_companies", verbose_name=_("neighbourhoods")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")

    def __str__(self) -> str:
        return self.name


class PropertyStaff(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        CLERK = "clerk", _("Clerk")

    company = models.ForeignKey(PropertyCompany, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="property_staff"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="property_staff_unique")
        ]
        verbose_name = _("property staff member")
        verbose_name_plural = _("property staff")

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class Building(models.Model):
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=50)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)

    class Meta:
        ordering = ["neighbourhood_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "name"], name="building_unique_name")
        ]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return f"{self.neighbourhood} {self.name}"


class Unit(models.Model):
    class Kind(models.TextChoices):
        FLAT = "flat", _("Flat")
        SHOP = "shop", _("Shop")
        PARKING = "parking", _("Parking space")

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    number = models.CharField(_("number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"), default=1)
    # Floor area drives the per-m² fee; kept exact, never float.
    area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=8, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FLAT)

    class Meta:
        ordering = ["building_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_unique_number"),
            models.CheckConstraint(
                condition=models.Q(area_m2__gte=0), name="unit_area_not_negative"
            ),
        ]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return f"{self.building.name}-{self.number}"


class Household(models.Model):
    """Who lives in a unit, and as what. A manager confirms each member; confirmation makes
    them a confirmed resident of the estate in the community (and level III if at II).

    Imported rows may name a mobile number with no account yet: the row waits, unlinked,
    until that resident signs up and the manager confirms them.
    """

    class Relation(models.TextChoices):
        OWNER = "owner", pgettext_lazy("household relation", "Owner")
        TENANT = "tenant", _("Tenant")
        FAMILY = "family", _("Family member")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("household status", "Confirmed")
        ENDED = "ended", _("Moved out")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="households")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    phone = models.CharField(_("mobile number"), max_length=16)
    name = models.CharField(_("name"), max_length=50, blank=True)
    relation = models.CharField(_("lives there as"), max_length=10, choices=Relation.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("moved out"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit_id", "relation", "id"]
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "phone"],
                condition=~models.Q(status="ended"),
                name="household_member_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.name or self.phone} ({self.relation})"
