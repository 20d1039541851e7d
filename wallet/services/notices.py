"""Inbox notifications about money, written in each recipient's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from core.money import Money
from core.notifications import notify


def _language(user: Any) -> str:
    return getattr(user, "preferred_language", "") or translation.get_language() or "zh-hans"


def money_notice(
    user: Any,
    *,
    kind: str,
    template: str,
    amount: Money,
    party: str,
    url: str,
    data: dict[str, Any],
) -> None:
    """``template`` is a msgid with ``%(amount)s`` and ``%(party)s``; rendered for ``user``."""
    with translation.override(_language(user)):
        title = gettext(template) % {"amount": amount.format(), "party": party}
    notify(user, kind=kind, title=title, url=url, data=data)
