"""Ratings: after a request completes or its dispute is settled, each side rates the other
once. The averages shown on profiles are reads, in ``community.selectors_helping``.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from community.errors import HelpAlreadyRated, HelpNotAllowed, HelpWrongState
from community.models import HelpRating, HelpRequest, User
from community.services.helping._common import Status
from core.errors import ValidationFailed


def help_rate(*, rater: User, request: HelpRequest, stars: int, comment: str = "") -> HelpRating:
    """After completion (or a resolved dispute) each side rates the other once, 1-5 stars.
    The unique constraint on (request, rater) makes a second rating ``help_already_rated``."""
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed(fields={"stars": [_("Give one to five stars.")]})
    if request.status not in (Status.COMPLETED, Status.RESOLVED) or request.helper_id is None:
        raise HelpWrongState()
    if rater.pk == request.requester_id:
        ratee_id = request.helper_id
    elif rater.pk == request.helper_id:
        ratee_id = request.requester_id
    else:
        raise HelpNotAllowed()
    try:
        with transaction.atomic():
            return HelpRating.objects.create(
                request=request,
                rater=rater,
                ratee_id=ratee_id,
                stars=stars,
                comment=comment.strip()[:200],
            )
    except IntegrityError:
        raise HelpAlreadyRated() from None
