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


# --- onboarding, staff and the directory ---------------------------------------------------


class OwnerNotVerified(MerchantError):
    code = "owner_not_verified"
    default_message = _("Verify your identity (level I) before you apply for a shop.")
    status_code = 403


class SettlementCardInvalid(MerchantError):
    code = "settlement_card_invalid"
    default_message = _("Choose one of your own bound bank cards that is still valid.")


class CreditCodeMalformed(MerchantError):
    code = "credit_code_malformed"
    default_message = _("The unified social credit code is not in the right format.")


class ShopNameTaken(MerchantError):
    code = "shop_name_taken"
    default_message = _("A shop of this name already exists in this neighbourhood.")
    status_code = 409


class ShopNotPending(MerchantError):
    code = "shop_not_pending"
    default_message = _("This application has already been reviewed.")
    status_code = 409


class ReviewReasonRequired(MerchantError):
    code = "review_reason_required"
    default_message = _("Give the applicant a reason when you reject an application.")


class NotOperator(MerchantError):
    code = "operator_only"
    default_message = _("Only platform operators may review shop applications.")
    status_code = 403


class NotShopOwner(MerchantError):
    code = "shop_owner_only"
    default_message = _("Only the shop's owner may manage its staff.")
    status_code = 403


class InviteRoleNotAllowed(MerchantError):
    code = "invite_role_not_allowed"
    default_message = _("Staff can be invited as cashiers only.")


class InviteAlreadyPending(MerchantError):
    code = "invite_already_pending"
    default_message = _("This mobile number already has an invitation waiting for this shop.")
    status_code = 409


class InviteNotPending(MerchantError):
    code = "invite_not_pending"
    default_message = _("This invitation has already been accepted or withdrawn.")
    status_code = 409


class AlreadyShopStaff(MerchantError):
    code = "already_shop_staff"
    default_message = _("This person already works in this shop.")
    status_code = 409


class OwnerNotRemovable(MerchantError):
    code = "owner_not_removable"
    default_message = _("The shop's owner cannot be removed from its staff.")


# --- webhooks to shops' own systems ---------------------------------------------------------


class WebhookUrlNotAllowed(MerchantError):
    code = "webhook_url_not_allowed"
    default_message = _("Webhooks can only be sent to a public internet address.")


class WebhookEndpointLimit(MerchantError):
    code = "webhook_endpoint_limit"
    default_message = _("This shop already has as many webhook endpoints as it may have.")
    status_code = 409


class WebhookDeliveryNotFailed(MerchantError):
    code = "webhook_delivery_not_failed"
    default_message = _("Only a delivery that was given up can be retried.")
    status_code = 409


# --- offers --------------------------------------------------------------------------------


class CampaignNotRunning(MerchantError):
    code = "campaign_not_running"
    default_message = _("This offer is not running at the moment.")
    status_code = 409


class CampaignSoldOut(MerchantError):
    code = "campaign_sold_out"
    default_message = _("All the coupons of this offer have been claimed.")
    status_code = 409


class CouponLimitReached(MerchantError):
    code = "coupon_limit_reached"
    default_message = _("You already have as many coupons of this offer as one person may.")
    status_code = 409


class NotInAudience(MerchantError):
    code = "not_in_audience"
    default_message = _("This offer is for other customers.")
    status_code = 403


class CouponUnavailable(MerchantError):
    code = "coupon_unavailable"
    default_message = _("This coupon has just been used or is no longer valid. Pay again.")
    status_code = 409


class CouponNotApplicable(MerchantError):
    code = "coupon_not_applicable"
    default_message = _("This coupon cannot be used on this payment.")


class CampaignEnded(MerchantError):
    code = "campaign_ended"
    default_message = _("This offer has ended and cannot be changed.")
    status_code = 409
