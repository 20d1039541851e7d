"""Celery tasks of the community app (autodiscovered through this package)."""

from community.tasks.announcements import announcement_notify_urgent
from community.tasks.money import help_sweep, red_packet_announce, red_packets_expire

__all__ = [
    "announcement_notify_urgent",
    "help_sweep",
    "red_packet_announce",
    "red_packets_expire",
]
