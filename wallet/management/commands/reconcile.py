from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from core.money import Money
from wallet.models import Reconciliation
from wallet.services.accounts import DEFAULT_CURRENCY
from wallet.services.reconciliation import business_today, issue_message, reconcile


class Command(BaseCommand):
    help = (
        "Match the bank's statement of a day (yesterday by default) with the ledger and the "
        "settlements; print the totals and every issue. Exits 1 when there are issues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, help="the day, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or business_today() - timedelta(days=1)
        try:
            run = reconcile(day=day)
        except ApplicationError as error:
            raise CommandError(str(error.message), returncode=2) from None

        def amount(minor: int) -> str:
            return Money(minor, DEFAULT_CURRENCY).format()

        self.stdout.write(f"{day}: {run.get_status_display()} (run {run.pk})")
        self.stdout.write(f"  matched lines: {run.matched_count}")
        self.stdout.write(
            f"  settlement payouts: ledger {amount(run.ledger_total_minor)}, "
            f"settlements {amount(run.settlements_total_minor)}, "
            f"bank {amount(run.bank_total_minor)}"
        )
        for issue in run.issues.all():
            figures = " ".join(
                f"{label}={value}"
                for label, value in (
                    ("bank", issue.bank_amount_minor),
                    ("books", issue.books_amount_minor),
                )
                if value is not None
            )
            self.stderr.write(
                f"  [{issue.kind}] {issue.reference} {figures} {issue_message(issue)}".rstrip()
            )
        if run.status != Reconciliation.Status.CLEAN:
            raise CommandError(f"{run.issue_count} reconciliation issues", returncode=1)
        self.stdout.write(self.style.SUCCESS("Bank and books agree."))
