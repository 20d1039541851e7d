from django.core.management.base import BaseCommand, CommandError

from wallet.services.audit import ledger_check


class Command(BaseCommand):
    help = (
        "Recompute every balance from postings; check zero-sum per transaction and currency, "
        "no negative customer wallet, holds consistent. Exits 1 on any discrepancy."
    )

    def handle(self, *args: object, **options: object) -> None:
        problems = ledger_check()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"ledger check found {len(problems)} discrepancies", returncode=1)
        self.stdout.write(self.style.SUCCESS("Ledger check: clean."))
