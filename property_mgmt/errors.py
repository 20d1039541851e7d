"""The property app's refusals. Codes are stable API contract; messages are translated.

Each part of the app adds its own below its heading, appended at the end; keep codes
snake_case and unique.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class PropertyError(ApplicationError):
    status_code = 422


# --- households, units and the import ----------------------------------------------------


class HouseholdAlreadyListed(PropertyError):
    code = "household_already_listed"
    default_message = _("This mobile number is already listed for this unit.")
    status_code = 409


class HouseholdNotPending(PropertyError):
    code = "household_not_pending"
    default_message = _("Only a household member waiting for confirmation can be confirmed.")
    status_code = 409


class HouseholdAlreadyEnded(PropertyError):
    code = "household_already_ended"
    default_message = _("This household member has already moved out.")
    status_code = 409


class HouseholdWithoutAccount(PropertyError):
    code = "household_without_account"
    default_message = _(
        "Nobody has signed up to Linli with this mobile number yet. They can be confirmed "
        "once they have."
    )


class UnitNumberTaken(PropertyError):
    code = "unit_number_taken"
    default_message = _("This building already has a unit with this number.")
    status_code = 409


class BuildingNameTaken(PropertyError):
    code = "building_name_taken"
    default_message = _("This estate already has a building with this name.")
    status_code = 409


class ImportFileUnreadable(PropertyError):
    code = "import_file_unreadable"
    default_message = _("The file could not be read. Upload a CSV or Excel (.xlsx) file.")


class ImportRowsInvalid(PropertyError):
    """Some rows are bad; ``extra["rows"]`` lists each as row, column and reason."""

    code = "import_rows_invalid"
    default_message = _(
        "Some rows are not valid. Nothing was imported; correct them and upload again."
    )


# --- bills after issue: adjustments, waivers, cancellations, ad-hoc bills ----------------


class BillNotChangeable(PropertyError):
    code = "bill_not_changeable"
    default_message = _(
        "This bill is already paid, waived or cancelled, so it can no longer be changed."
    )
    status_code = 409


class BillTotalBelowZero(PropertyError):
    code = "bill_total_below_zero"
    default_message = _("An adjustment cannot take the bill's total below zero.")


class BillAdjustmentInvalid(PropertyError):
    code = "bill_adjustment_invalid"
    default_message = _(
        "Enter an amount to add (positive) or take off (negative): not zero, and at most "
        "¥100,000,000.00."
    )


class BillReasonMissing(PropertyError):
    code = "bill_reason_missing"
    default_message = _("Give a reason: it is kept in the bill's history.")


class AdhocBillInvalid(PropertyError):
    code = "adhoc_bill_invalid"
    default_message = _(
        "A one-off bill needs a title, at least one line with a positive amount and a due "
        "date that is not in the past."
    )


# --- residents paying: several bills in one payment, auto-pay -----------------------------


class BillAlreadyPaid(PropertyError):
    code = "bill_already_paid"
    default_message = _("This bill is already paid. Nothing was charged.")
    status_code = 409


class BillNotPayable(PropertyError):
    code = "bill_not_payable"
    default_message = _("This bill was waived or cancelled, so there is nothing to pay.")
    status_code = 409


class BillsNoneSelected(PropertyError):
    code = "bills_none_selected"
    default_message = _("Choose at least one bill to pay.")


class BillsSeveralEstates(PropertyError):
    code = "bills_several_estates"
    default_message = _("Pay the bills of one estate at a time: each estate has its own payee.")


class BillsChanged(PropertyError):
    code = "bills_changed"
    default_message = _(
        "A bill changed while you were paying (a late fee or an adjustment). Nothing was "
        "charged; check the new total and pay again."
    )
    status_code = 409


class AutoPayCapInvalid(PropertyError):
    code = "autopay_cap_invalid"
    default_message = _("Enter a monthly cap greater than zero.")


class AutoPayOverCap(PropertyError):
    code = "autopay_over_cap"
    default_message = _("Paying this bill would pass your auto-pay cap for the month.")


class AutoPayNotActive(PropertyError):
    code = "autopay_not_active"
    default_message = _("This auto-pay consent was withdrawn.")
    status_code = 409


class AutoPayConsentConflict(PropertyError):
    code = "autopay_consent_conflict"
    default_message = _("Your auto-pay settings changed at the same moment. Try again.")
    status_code = 409


# --- fee rates, meter readings, one-off charges and the monthly billing run ---------------


class FeeRateInvalid(PropertyError):
    code = "fee_rate_invalid"
    default_message = _("This rate is not valid.")


class FeeRateMonthBilled(PropertyError):
    code = "fee_rate_month_billed"
    default_message = _(
        "Bills for that month have already been issued, so a rate can only start after it."
    )
    status_code = 409


class ReadingInvalid(PropertyError):
    code = "reading_invalid"
    default_message = _("This reading is not valid.")


class ReadingBelowPrevious(PropertyError):
    code = "reading_below_previous"
    default_message = _("The reading is lower than the previous month's reading.")


class ReadingAboveNext(PropertyError):
    code = "reading_above_next"
    default_message = _("The reading is higher than the next month's reading.")


class ReadingInFuture(PropertyError):
    code = "reading_in_future"
    default_message = _("Readings can be entered for this month or earlier months only.")


class ReadingMonthBilled(PropertyError):
    code = "reading_month_billed"
    default_message = _(
        "Bills for that month have already been issued. Enter the reading with next month's: "
        "its usage will cover both months."
    )
    status_code = 409


class ReadingsFileUnreadable(PropertyError):
    code = "readings_file_unreadable"
    default_message = _(
        "The file could not be read. Upload a CSV file (UTF-8) with the columns building, "
        "unit, meter and reading."
    )


class ReadingsImportInvalid(PropertyError):
    """Some rows are bad; ``extra["rows"]`` lists each as row number, column and reason."""

    code = "readings_import_invalid"
    default_message = _(
        "Some rows are not valid. Nothing was imported; correct them and upload again."
    )


class ChargeInvalid(PropertyError):
    code = "charge_invalid"
    default_message = _("A one-off charge needs a description and an amount above zero.")


class ChargeMonthBilled(PropertyError):
    code = "charge_month_billed"
    default_message = _(
        "Bills for that month have already been issued. Add the charge to a later month."
    )
    status_code = 409


class BillingRunAlreadyIssued(PropertyError):
    code = "billing_run_already_issued"
    default_message = _("Bills for this month have already been issued.")
    status_code = 409


# --- settlement ----------------------------------------------------------------------------


class PayoutCardRejected(PropertyError):
    code = "payout_card_rejected"
    default_message = _(
        "The bank did not accept this card for payouts. Check the number, the expiry date and "
        "that the card is in the company's name."
    )
