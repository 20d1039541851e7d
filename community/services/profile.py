from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from community.models import User
from core.errors import ValidationFailed

__all__ = ["ValidationFailed", "user_update_profile"]

_LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def user_update_profile(
    *, user: User, display_name: str | None = None, preferred_language: str | None = None
) -> User:
    """Change what a user may change about themselves. Saves only the given fields."""
    fields: list[str] = []
    errors: dict[str, list[object]] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > 50:
            errors["display_name"] = [_("At most 50 characters.")]
        user.display_name = display_name
        fields.append("display_name")
    if preferred_language is not None:
        if preferred_language and preferred_language not in _LANGUAGE_CODES:
            errors["preferred_language"] = [_("This language is not available.")]
        user.preferred_language = preferred_language
        fields.append("preferred_language")
    if errors:
        user.refresh_from_db(fields=fields)
        raise ValidationFailed(fields=errors)  # type: ignore[arg-type]
    if fields:
        with transaction.atomic():
            user.save(update_fields=fields)
    return user
