from merchants.models.checkout import PaymentCode, PaymentRequest
from merchants.models.offers import Campaign, Coupon, CouponRedemption
from merchants.models.operations import CategoryFee, ShopRefund, WebhookDelivery, WebhookEndpoint
from merchants.models.shops import Shop, ShopStaff, StaffInvite

__all__ = [
    "Campaign",
    "CategoryFee",
    "Coupon",
    "CouponRedemption",
    "PaymentCode",
    "PaymentRequest",
    "Shop",
    "ShopRefund",
    "ShopStaff",
    "StaffInvite",
    "WebhookDelivery",
    "WebhookEndpoint",
]
