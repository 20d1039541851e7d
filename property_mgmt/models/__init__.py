from property_mgmt.models.autopay import AutoPayAttempt, AutoPayConsent
from property_mgmt.models.billing import (
    Bill,
    BillEvent,
    BillingPolicy,
    BillingRun,
    BillLine,
    FeeRate,
    MeterReading,
    OneOffCharge,
)
from property_mgmt.models.estate import Building, Household, PropertyCompany, PropertyStaff, Unit

__all__ = [
    "AutoPayAttempt",
    "AutoPayConsent",
    "Bill",
    "BillEvent",
    "BillLine",
    "BillingPolicy",
    "BillingRun",
    "Building",
    "FeeRate",
    "Household",
    "MeterReading",
    "OneOffCharge",
    "PropertyCompany",
    "PropertyStaff",
    "Unit",
]
