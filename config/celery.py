import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("linli")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def prepare_worker_process(**_kwargs: Any) -> None:
    """A prefork worker process runs one task at a time in one thread, so what a task opens
    can serve the next: the database connection (opening one costs a backend start and a
    round trip, more than delivering a notice) and the event loop of the live pushes."""
    from django.conf import settings
    from django.db import connections

    from core.notifications import keep_event_loop

    for connection in connections.all(initialized_only=False):
        if "pool" not in connection.settings_dict.get("OPTIONS", {}):
            connection.settings_dict["CONN_MAX_AGE"] = settings.WORKER_DB_CONN_MAX_AGE
            connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    keep_event_loop()


# Celery's Django fixup would close the connection around every task; it keeps it for
# CELERY_DB_REUSE_MAX tasks instead (settings), and meanwhile Django's own rule applies, as
# around a request: a connection that failed or outlived its age is closed, and the next
# task's first query checks that the connection still works (a database restart).
@task_prerun.connect
@task_postrun.connect
def close_failed_or_old_connections(sender: Any = None, **_kwargs: Any) -> None:
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # run in the caller's process and transaction: not this task's connection
    close_old_connections()
