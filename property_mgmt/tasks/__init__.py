"""Celery tasks of the property app (autodiscovered through this package)."""
