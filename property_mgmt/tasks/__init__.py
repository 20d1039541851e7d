"""Celery tasks of the property app (autodiscovered through this package)."""

from property_mgmt.tasks import billing, late_fees, paying

__all__ = ["billing", "late_fees", "paying"]
