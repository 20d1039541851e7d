"""The community app's refusals. Codes are stable API contract; messages are translated.

Each subdomain adds its own below its heading; keep codes snake_case and unique.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError


class CommunityError(ApplicationError):
    status_code = 422


# --- membership --------------------------------------------------------------------------


class NotAMember(CommunityError):
    code = "not_a_member"
    default_message = _(
        "Only confirmed residents of this estate can do this. Ask your property manager "
        "to confirm your household."
    )
    status_code = 403


class NotEstateStaff(CommunityError):
    code = "not_estate_staff"
    default_message = _("Only the property staff of this estate can do this.")
    status_code = 403


class VerificationNeeded(CommunityError):
    code = "verification_needed"
    default_message = _("Verify your identity first (it takes under a minute).")
    status_code = 403


# --- estates and announcements -----------------------------------------------------------


class MembershipNotFollowed(CommunityError):
    code = "membership_not_followed"
    default_message = _(
        "You are a confirmed resident or staff of this estate, so you cannot unfollow it. "
        "Your property manager ends that."
    )
    status_code = 409


class NotAnnouncementAuthor(CommunityError):
    code = "not_announcement_author"
    default_message = _("Only the author of this announcement can change its wording.")
    status_code = 403
