from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from community.crypto import EncryptedCharField


class IdentityRecord(models.Model):
    """A resident's confirmed identity: the evidence behind their verification level.

    The number is stored encrypted and found by its keyed digest; it is shown only masked.
    One identity opens one Linli account (the digest is unique).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity"
    )
    real_name = models.CharField(_("real name"), max_length=50)
    id_number = EncryptedCharField(_("identity number"))
    id_number_digest = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("identity number"), max_length=18)
    provider = models.CharField(max_length=40)
    provider_reference = models.CharField(max_length=64)
    verified_at = models.DateTimeField(_("identity confirmed"))
    # Level II evidence: a bank confirmed the same name when a card was bound.
    bank_confirmed_at = models.DateTimeField(_("bank card confirmed"), null=True, blank=True)
    # Level III evidence other than a household: staff saw the resident in person.
    in_person_confirmed_at = models.DateTimeField(null=True, blank=True)
    in_person_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set by an operator who lowered or revoked the level: evidence cannot lift it above.
    level_ceiling = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("identity record")
        verbose_name_plural = _("identity records")

    def __str__(self) -> str:
        return f"{self.real_name} {self.id_number_masked}"


class VerificationAttempt(models.Model):
    """Every submission to the provider, for rate limits and the audit trail."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        MISMATCH = "mismatch", _("Name and number do not match")
        NOT_FOUND = "not_found", _("Not found")
        UNAVAILABLE = "unavailable", _("Provider unavailable")
        DUPLICATE = "duplicate", _("Already used by another account")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verification_attempts"
    )
    id_number_digest = models.CharField(max_length=64)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.outcome}"


class LevelChange(models.Model):
    """The audit trail of a user's verification level: who changed it, why, from what."""

    class Source(models.TextChoices):
        PROVIDER = "provider", _("Identity confirmed")
        BANK_CARD = "bank_card", _("Bank card in the same name")
        HOUSEHOLD = "household", _("Household member confirmed")
        IN_PERSON = "in_person", _("In-person check")
        OPERATOR = "operator", _("Operator decision")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="level_changes"
    )
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=12, choices=Source.choices)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.from_level} → {self.to_level}"


class SandboxIdentity(models.Model):
    """The sandbox provider's registry: the people it knows, by keyed digest of the number."""

    id_number_digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name
