"""Celery tasks of neighbour help and red packets: take ids, call a service, safe twice.

Registered by name; the beat entries live in ``config/settings.py``
(``community.help_sweep`` and ``community.red_packets_expire``, every minute).
"""

from __future__ import annotations

from celery import shared_task

from community.services import helping, redpackets


@shared_task(name="community.help_sweep")
def help_sweep() -> dict[str, int]:
    """Expire, auto-complete and settle help requests whose deadlines passed."""
    return helping.help_requests_sweep()


@shared_task(name="community.red_packets_expire")
def red_packets_expire() -> int:
    """Return the unclaimed rest of expired red packets to their senders."""
    return redpackets.red_packets_expire_due()


@shared_task(name="community.red_packet_announce")
def red_packet_announce(packet_id: int) -> int:
    """Tell a circle's members about a new red packet (after the send committed)."""
    return redpackets.red_packet_announce(packet_id=packet_id)
