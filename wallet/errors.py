"""The wallet's refusals. Codes are stable API contract; messages are translated."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

UNPROCESSABLE = 422


class WalletError(ApplicationError):
    status_code = UNPROCESSABLE


class InvalidAmount(WalletError):
    code = "invalid_amount"
    default_message = _("Enter an amount greater than zero.")
    status_code = 400


class CurrencyNotSupported(WalletError):
    code = "currency_not_supported"
    default_message = _("This currency is not available.")
    status_code = 400


class InsufficientFunds(WalletError):
    code = "insufficient_funds"
    default_message = _("Your balance is not enough for this payment.")


class AccountUnavailable(WalletError):
    code = "account_unavailable"
    default_message = _("This account cannot be used right now.")


class WalletFrozen(WalletError):
    code = "wallet_frozen"
    default_message = _("Your wallet is frozen. Unfreeze it with your password and PIN.")


class VerificationRequired(WalletError):
    code = "verification_required"
    default_message = _("Verify your identity before paying or withdrawing.")
    status_code = 403


class VerificationLimitReached(WalletError):
    code = "verification_limit_reached"
    default_message = _(
        "This payment would pass the limit of your verification level. Verify further to pay more."
    )


class SingleLimitExceeded(WalletError):
    code = "single_limit_exceeded"
    default_message = _("This payment is above your limit per payment.")


class DailyLimitExceeded(WalletError):
    code = "daily_limit_exceeded"
    default_message = _("This payment would pass your daily limit.")


class PinNotSet(WalletError):
    code = "pin_not_set"
    default_message = _("Set a payment PIN first.")


class PinRequired(WalletError):
    code = "pin_required"
    default_message = _("Enter your payment PIN.")
    status_code = 403


class PinIncorrect(WalletError):
    code = "pin_incorrect"
    default_message = _("The payment PIN is not correct.")
    status_code = 403


class PinLocked(WalletError):
    code = "pin_locked"
    default_message = _("Too many wrong PINs. Payments are locked for 30 minutes.")
    status_code = 423


class PinTooSimple(WalletError):
    code = "pin_too_simple"
    default_message = _("Choose a PIN that is not a sequence or a repeated digit.")
    status_code = 400


class HoldNotActive(WalletError):
    code = "hold_not_active"
    default_message = _("This hold was already captured, voided or has expired.")


class CaptureExceedsHold(WalletError):
    code = "capture_exceeds_hold"
    default_message = _("The capture is more than what remains of the hold.")


class RefundExceedsPayment(WalletError):
    code = "refund_exceeds_payment"
    default_message = _("The refund is more than what remains of the payment.")


class PaymentNotCancellable(WalletError):
    code = "payment_not_cancellable"
    default_message = _("Only a payment with nothing refunded yet can be cancelled.")


class RecipientNotFound(WalletError):
    code = "recipient_not_found"
    default_message = _("No Linli user has this mobile number.")
    status_code = 404


class SelfTransfer(WalletError):
    code = "self_transfer"
    default_message = _("You cannot send money to yourself.")
    status_code = 400


class CardUnusable(WalletError):
    code = "card_unusable"
    default_message = _("This card cannot be used. Choose another card.")


class CardHolderMismatch(WalletError):
    code = "card_holder_mismatch"
    default_message = _("The cardholder's name must match your verified name.")


class BankUnavailable(WalletError):
    code = "bank_unavailable"
    default_message = _("The bank did not answer. Try again later.")
    status_code = 503


class RateNotAvailable(WalletError):
    code = "rate_not_available"
    default_message = _("No exchange rate is set for these currencies.")


class QuoteExpired(WalletError):
    code = "quote_expired"
    default_message = _("This quote has expired. Ask for a new one.")


class CorrectionNotAllowed(WalletError):
    code = "correction_not_allowed"
    default_message = _("This correction cannot be decided by you.")
    status_code = 403


class CorrectionUnbalanced(WalletError):
    code = "correction_unbalanced"
    default_message = _("A correction's amounts must add up to zero.")
    status_code = 400


class IdempotencyKeyMissing(WalletError):
    code = "idempotency_key_missing"
    default_message = _("Send an Idempotency-Key header with every payment request.")
    status_code = 400


class IdempotencyKeyReused(WalletError):
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")
