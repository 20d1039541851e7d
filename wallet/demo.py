"""The sandbox bank's side of the demo: cards the demo people hold at the bank."""

from datetime import date

from core.demo import DemoLog
from wallet.models import SandboxCard

# Luhn-valid numbers the sandbox bank knows; people bind them in the app by number.
DEMO_BANK_CARDS = [
    ("6222020200000000006", "王芳", "中国工商银行", 2_000_000),
    ("6228480000000000000", "Li Lei", "中国农业银行", 500_000),
    ("6217000000000000004", "张伟", "中国建设银行", 5_000_000),
    # The property company's own account: its collected fees are paid out here daily.
    ("6225880000000000010", "安居物业", "招商银行", 0),
]


def seed(log: DemoLog) -> None:
    expiry_year = date.today().year + 4
    for number, holder, bank_name, balance in DEMO_BANK_CARDS:
        SandboxCard.objects.get_or_create(
            number=number,
            defaults={
                "holder_name": holder,
                "bank_name": bank_name,
                "expiry_month": 12,
                "expiry_year": expiry_year,
                "balance_minor": balance,
            },
        )
    log.note(
        "Sandbox bank cards: "
        + ", ".join(
            f"{holder} {number} (12/{expiry_year})" for number, holder, _b, _m in DEMO_BANK_CARDS
        )
    )
