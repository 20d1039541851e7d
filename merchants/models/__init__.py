from merchants.models.checkout import PaymentCode, PaymentRequest
from merchants.models.shops import Shop, ShopStaff, StaffInvite

__all__ = ["PaymentCode", "PaymentRequest", "Shop", "ShopStaff", "StaffInvite"]
