"""The merchants app's refusals. Codes are stable API contract; messages are translated.

Each part of the app adds its own below its heading, appended at the end; keep codes
snake_case and unique.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class MerchantError(ApplicationError):
    status_code = 422


# --- checkout at the till ----------------------------------------------------------------


class RequestPaid(MerchantError):
    code = "request_paid"
    default_message = _("This payment request has already been paid.")
    status_code = 409


class RequestExpired(MerchantError):
    code = "request_expired"
    default_message = _("This payment request has expired. Ask the cashier for a new code.")
    status_code = 409


class ShopNotTrading(MerchantError):
    code = "shop_not_trading"
    default_message = _("This shop cannot take payments at the moment.")


class CodeInvalid(MerchantError):
    code = "code_invalid"
    default_message = _("This payment code is not valid. Ask the customer to show it again.")


class CodeUsed(MerchantError):
    code = "code_used"
    default_message = _("This payment code has already been used.")
    status_code = 409


class CodeExpired(MerchantError):
    code = "code_expired"
    default_message = _("This payment code has expired. Ask the customer to refresh it.")
    status_code = 409


class CodeAmountTooHigh(MerchantError):
    code = "code_amount_too_high"
    default_message = _("The amount is above what one payment code may pay.")
