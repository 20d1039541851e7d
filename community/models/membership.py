from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from community.models.people import Neighbourhood


class Membership(models.Model):
    """A person's tie to a neighbourhood.

    Anyone may follow an estate and browse it (a *visitor*). A *member* has been confirmed
    by the property manager, from the household record or an in-person check, and may
    post. Property staff hold a *staff* membership in each estate their company manages,
    which is what scopes their moderation and announcements here.
    """

    class Status(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        MEMBER = "member", _("Confirmed member")
        STAFF = "staff", _("Property staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="memberships"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.VISITOR
    )
    # Buildings belong to the property app; it passes its building id when it confirms a
    # household member, so announcements can target buildings without importing it.
    building_ref = models.PositiveIntegerField(_("building"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "neighbourhood"], name="membership_once"),
        ]
        indexes = [models.Index(fields=["neighbourhood", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.neighbourhood_id} {self.status}"


class Block(models.Model):
    """``blocker`` no longer sees ``blocked``'s posts, comments, offers or mentions."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
