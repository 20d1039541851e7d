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


class ImportExcelUnavailable(PropertyError):
    code = "import_excel_unavailable"
    default_message = _(
        "Excel files cannot be read on this server yet. Save the sheet as CSV (UTF-8) and "
        "upload that."
    )


class ImportRowsInvalid(PropertyError):
    """Some rows are bad; ``extra["rows"]`` lists each as row, column and reason."""

    code = "import_rows_invalid"
    default_message = _("Some rows are not valid. Nothing was imported; correct them and upload again.")
