"""Celery tasks of the community app: take ids, reload, call a service. Safe to run twice."""

from __future__ import annotations

from celery import shared_task

from community.services.announcements import urgent_announcement_deliver


@shared_task(name="community.announcement_notify_urgent")
def announcement_notify_urgent(announcement_id: int) -> int:
    """Put an urgent announcement in its audience's inboxes; returns how many were new."""
    return urgent_announcement_deliver(announcement_id=announcement_id)
