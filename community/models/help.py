from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models.people import Neighbourhood


class HelpRequest(models.Model):
    """邻里互助: a resident asks neighbours for a hand, optionally for a reward.

    The reward is a wallet hold for the escrow account from the moment the request opens;
    completion captures it to the helper, cancellation or expiry voids it, and a dispute
    lets property staff split it.
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("help request status", "Open")
        ACCEPTED = "accepted", _("Helper chosen")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        DISPUTED = "disputed", _("In dispute")
        RESOLVED = "resolved", _("Dispute resolved")

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="help_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="help_requests"
    )
    title = models.CharField(_("what do you need?"), max_length=80)
    details = models.CharField(_("details"), max_length=500, blank=True)
    reward_minor = models.BigIntegerField(_("reward"), default=0)
    currency = models.CharField(max_length=3, default="CNY")
    hold = models.OneToOneField(
        "wallet.Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_given",
    )
    expires_at = models.DateTimeField(_("open until"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set when the helper says the job is done; the requester then has a few days to
    # confirm or dispute before it completes on its own.
    done_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(reward_minor__gte=0), name="help_reward_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class HelpOffer(models.Model):
    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Not chosen")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="offers")
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_offers"
    )
    message = models.CharField(_("message"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "helper"], name="help_offer_once"),
            # The database, not a read-then-write, guarantees one accepted offer a request.
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="accepted"), name="help_one_accepted"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_id} offers on {self.request_id}"


class HelpRating(models.Model):
    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ratee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_ratings"
    )
    stars = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "rater"], name="help_rating_once"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="stars_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ for {self.ratee_id}"


class HelpDispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("dispute status", "Open")
        RESOLVED = "resolved", _("Resolved")

    request = models.OneToOneField(HelpRequest, on_delete=models.CASCADE, related_name="dispute")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("what went wrong?"), max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    helper_share_minor = models.BigIntegerField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"dispute on {self.request_id} ({self.status})"
