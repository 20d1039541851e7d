from wallet.models.cards import BankCard, TopUp, Withdrawal
from wallet.models.idempotency import IdempotencyRecord
from wallet.models.ledger import Account, AccountShard, Hold, JournalTransaction, Payment, Posting
from wallet.models.operations import CorrectionProposal, FxQuote, FxRate
from wallet.models.profile import UsageCounter, WalletProfile
from wallet.models.sandbox import SandboxCard, SandboxFault, SandboxStatementLine

__all__ = [
    "Account",
    "AccountShard",
    "BankCard",
    "CorrectionProposal",
    "FxQuote",
    "FxRate",
    "Hold",
    "IdempotencyRecord",
    "JournalTransaction",
    "Payment",
    "Posting",
    "SandboxCard",
    "SandboxFault",
    "SandboxStatementLine",
    "TopUp",
    "UsageCounter",
    "WalletProfile",
    "Withdrawal",
]
