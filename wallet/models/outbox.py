from django.db import models
from django.db.models import Q


class NoticeOutbox(models.Model):
    """A money notice waiting to be delivered: written in the transaction that moved the
    money, so a committed payment always tells its parties and a rolled-back one tells nobody.

    ``payload`` is what ``wallet.services.notices.notice`` builds: a msgid, its parameters
    and the recipient, rendered in the recipient's language when it is delivered.
    """

    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_pending")
        ]

    def __str__(self) -> str:
        return f"notice {self.pk}"
