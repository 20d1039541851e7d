from wallet.models.cards import BankCard, TopUp, Withdrawal
from wallet.models.idempotency import IdempotencyRecord
from wallet.models.ledger import Account, AccountShard, Hold, JournalTransaction, Payment, Posting
from wallet.models.operations import CorrectionProposal, FxQuote, FxRate
from wallet.models.outbox import NoticeOutbox
from wallet.models.profile import UsageCounter, WalletProfile
from wallet.models.sandbox import SandboxCard, SandboxFault, SandboxStatementLine
from wallet.models.settlement import (
    BankStatement,
    PayoutProfile,
    Reconciliation,
    ReconciliationIssue,
    Settlement,
    SettlementLine,
)

__all__ = [
    "Account",
    "AccountShard",
    "BankCard",
    "BankStatement",
    "CorrectionProposal",
    "FxQuote",
    "FxRate",
    "Hold",
    "IdempotencyRecord",
    "JournalTransaction",
    "NoticeOutbox",
    "Payment",
    "PayoutProfile",
    "Posting",
    "Reconciliation",
    "ReconciliationIssue",
    "SandboxCard",
    "SandboxFault",
    "SandboxStatementLine",
    "Settlement",
    "SettlementLine",
    "TopUp",
    "UsageCounter",
    "WalletProfile",
    "Withdrawal",
]
