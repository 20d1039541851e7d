from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models.circles import Circle


class RedPacket(models.Model):
    """拼手气红包: a total split into random shares that a circle's members claim.

    The total is a wallet hold for the escrow account; each claim captures one share to
    the claimant; after its lifetime what is left returns to the sender.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("red packet status", "Open")
        FINISHED = "finished", _("All claimed")
        EXPIRED = "expired", _("Expired")

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="red_packets")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="red_packets_sent"
    )
    total_minor = models.BigIntegerField(_("total"))
    shares = models.PositiveSmallIntegerField(_("shares"))
    currency = models.CharField(max_length=3, default="CNY")
    greeting = models.CharField(_("greeting"), max_length=60, blank=True)
    hold = models.OneToOneField("wallet.Hold", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    claimed_minor = models.BigIntegerField(default=0)
    claimed_count = models.PositiveSmallIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_minor__gte=F("shares")), name="red_packet_cent_a_share"
            ),
            models.CheckConstraint(
                condition=Q(claimed_minor__lte=F("total_minor"))
                & Q(claimed_count__lte=F("shares")),
                name="red_packet_never_over_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"red packet {self.pk} ({self.status})"


class RedPacketClaim(models.Model):
    packet = models.ForeignKey(RedPacket, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="red_packet_claims"
    )
    amount_minor = models.BigIntegerField()
    payment = models.OneToOneField("wallet.Payment", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["packet", "user"], name="red_packet_claim_once"),
            models.CheckConstraint(condition=Q(amount_minor__gte=1), name="claim_at_least_a_cent"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} claimed {self.amount_minor}"
