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


# --- verification ------------------------------------------------------------------------


class InvalidIdentityNumber(CommunityError):
    """The number breaks a rule of GB 11643-1999; ``extra["rule"]`` names which one."""

    code = "invalid_identity_number"
    default_message = _("This is not a valid resident identity number.")
    status_code = 400

    @property
    def rule(self) -> str:
        return str(self.extra.get("rule", ""))


class AlreadyVerified(CommunityError):
    code = "already_verified"
    default_message = _("Your identity is already verified.")
    status_code = 409


class IdentityNumberInUse(CommunityError):
    code = "identity_number_in_use"
    default_message = _(
        "This identity number is already linked to another Linli account. If it is yours, "
        "contact customer service."
    )
    status_code = 409


class IdentityNotConfirmed(CommunityError):
    code = "identity_not_confirmed"
    default_message = _(
        "The name and identity number do not match the official records. Check both."
    )


class VerificationRateLimited(CommunityError):
    code = "rate_limited"
    default_message = _("Too many attempts. You can try again tomorrow.")
    status_code = 429


class VerificationUnavailable(CommunityError):
    code = "verification_unavailable"
    default_message = _("Identity checks are not available right now. Please try again later.")
    status_code = 503


class ResidentNotVerified(CommunityError):
    code = "resident_not_verified"
    default_message = _("This person has not verified their identity in Linli yet.")


class LevelAboveEvidence(CommunityError):
    code = "level_above_evidence"
    default_message = _("The evidence on file does not support this level.")


# --- circles -----------------------------------------------------------------------------


class NotACircleMember(CommunityError):
    code = "not_a_circle_member"
    default_message = _("Join this circle first.")
    status_code = 403


class NotCircleModerator(CommunityError):
    code = "not_circle_moderator"
    default_message = _("Only the circle's admins and the estate's property staff can do this.")
    status_code = 403


class CircleNameTaken(CommunityError):
    code = "circle_name_taken"
    default_message = _("This estate already has a circle with that name.")
    status_code = 409


class RateLimited(CommunityError):
    code = "rate_limited"
    default_message = _("You are posting too fast. Please wait a while and try again.")
    status_code = 429


class ImageRejected(CommunityError):
    code = "image_rejected"
    default_message = _("Some of the pictures cannot be used.")
    status_code = 400


class ContentHidden(CommunityError):
    code = "content_hidden"
    default_message = _("This has been hidden by a moderator.")
    status_code = 409


class AlreadyReported(CommunityError):
    code = "already_reported"
    default_message = _("You have already reported this.")
    status_code = 409


class BlockedByAuthor(CommunityError):
    code = "blocked_by_author"
    default_message = _("You cannot reply to this neighbour.")
    status_code = 403


class CannotBlockSelf(CommunityError):
    code = "cannot_block_self"
    default_message = _("You cannot block yourself.")


# --- neighbour help and red packets ------------------------------------------------------


class HelpNotOpen(CommunityError):
    code = "help_not_open"
    default_message = _("This request is no longer open: someone was chosen, or it ended.")
    status_code = 409


class HelpNotAllowed(CommunityError):
    code = "help_not_allowed"
    default_message = _("Only the neighbour who asked, or the one helping, can do this.")
    status_code = 403


class HelpOwnRequest(CommunityError):
    code = "help_own_request"
    default_message = _("You cannot offer help on your own request.")
    status_code = 400


class HelpOfferRefused(CommunityError):
    code = "help_offer_refused"
    default_message = _("You cannot offer help on this request.")
    status_code = 403


class HelpAlreadyOffered(CommunityError):
    code = "help_already_offered"
    default_message = _("You have already offered to help with this.")
    status_code = 409


class HelpOfferNotAvailable(CommunityError):
    code = "help_offer_not_available"
    default_message = _("This offer was withdrawn or is no longer open.")
    status_code = 409


class HelpWrongState(CommunityError):
    code = "help_wrong_state"
    default_message = _("This cannot be done at this stage of the request.")
    status_code = 409


class HelpAlreadyDone(CommunityError):
    code = "help_already_done"
    default_message = _(
        "Your helper has marked this done: confirm it, or open a dispute if something is wrong."
    )
    status_code = 409


class HelpAlreadyRated(CommunityError):
    code = "help_already_rated"
    default_message = _("You have already rated this neighbour for this request.")
    status_code = 409


class HelpDisputeExists(CommunityError):
    code = "help_dispute_exists"
    default_message = _("A dispute was already opened on this request.")
    status_code = 409


class RedPacketNotOpen(CommunityError):
    code = "red_packet_not_open"
    default_message = _("Too late: this red packet has been fully claimed or has expired.")
    status_code = 409


class RedPacketAlreadyClaimed(CommunityError):
    code = "red_packet_already_claimed"
    default_message = _("You have already opened this red packet.")
    status_code = 409


class RedPacketOwn(CommunityError):
    code = "red_packet_own"
    default_message = _("Your neighbours open your red packet; you cannot claim a share of it.")
    status_code = 403


class RedPacketClaimsTooFast(CommunityError):
    # Same code as the circles' posting limit on purpose: a client backs off the same way.
    code = "rate_limited"
    default_message = _("You are opening red packets too fast. Please wait a few minutes.")
    status_code = 429


class RedPacketCircleOnly(CommunityError):
    code = "red_packet_circle_only"
    default_message = _("Only members of this circle can send or open its red packets.")
    status_code = 403
