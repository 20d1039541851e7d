import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from wallet.services.settlement import business_day, settle_due


class Command(BaseCommand):
    help = (
        "T+1 settlement: settle every payout profile's days before today (or up to --date), "
        "resume booked payouts and due retries. Safe to run again: nothing is paid twice. "
        "Exits 1 when a profile failed unexpectedly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            help="the last business day to settle (YYYY-MM-DD, before today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        through: datetime.date | None = options["date"]
        if through is not None and through >= business_day(timezone.now()):
            raise CommandError("only days before today can be settled")
        run = settle_due(through=through)
        self.stdout.write(
            f"calculated {run.calculated}; paid {len(run.paid)}; carried {len(run.carried)}; "
            f"declined, will retry {len(run.retrying)}; waiting for the bank {len(run.pending)}"
        )
        if run.failed_profiles:
            raise CommandError(
                f"settlement failed for payout profiles {run.failed_profiles}", returncode=1
            )
