"""Celery tasks of residents paying: take ids or dates, call a service, safe twice.

Registered by name. The beat entry (``property_mgmt.autopay``, daily) lives in
``config/settings.py``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from celery import shared_task

from property_mgmt.services import autopay as autopay_services


@shared_task(name="property_mgmt.autopay")
def autopay(today: str | None = None) -> dict[str, int]:
    """Pay due bills under every active auto-pay consent. Idempotent per bill and day: each
    payment's key is ``bill:<id>:autopay:<date>`` and each day's attempt is unique."""
    day = date.fromisoformat(today) if today else None
    return asdict(autopay_services.autopay_run(today=day))
