from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand

from core.demo import DEMO_PASSWORD, DemoLog


class Command(BaseCommand):
    help = (
        "Create or refresh the demo estate, residents, shops and staff. Safe to run again: "
        "it converges on the same data and prints the demo logins."
    )

    def handle(self, *args: object, **options: object) -> None:
        log = DemoLog()
        # Apps are installed lowest layer first, so each app's demo can find the
        # records of the layers beneath it by their natural keys. No transaction around
        # it all: demo money moves through the wallet's own durable transactions, and
        # every step checks what exists, so a second run converges instead of repeating.
        for config in apps.get_app_configs():
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            if hasattr(module, "seed"):
                module.seed(log)

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
        width = max((len(entry.login) for entry in log.logins), default=10)
        for entry in log.logins:
            note = f"  ({entry.note})" if entry.note else ""
            self.stdout.write(f"  {entry.role:<16} {entry.login:<{width}}  {entry.name}{note}")
        self.stdout.write(f"  Password for every demo account: {DEMO_PASSWORD}")
        for note in log.notes:
            self.stdout.write(f"  {note}")
