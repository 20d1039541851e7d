from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a money-moving request, kept under the caller's key.

    Written in the same database transaction as the money it moved (or, for a refusal,
    right after the rollback), so a retry finds it whatever happened to the first response.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    # For operations that finish after the first answer (a top-up waiting on the bank): the
    # record follows the operation, so a retry learns how it ended.
    resource = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
