from community.models.announcements import Announcement, AnnouncementRead
from community.models.circles import (
    Circle,
    CircleMember,
    Comment,
    Like,
    Mention,
    Post,
    PostImage,
    Report,
)
from community.models.help import HelpDispute, HelpOffer, HelpRating, HelpRequest
from community.models.membership import Block, Membership
from community.models.people import Neighbourhood, User, UserManager
from community.models.redpackets import RedPacket, RedPacketClaim
from community.models.verification import (
    IdentityRecord,
    LevelChange,
    SandboxIdentity,
    VerificationAttempt,
)

__all__ = [
    "Announcement",
    "AnnouncementRead",
    "Block",
    "Circle",
    "CircleMember",
    "Comment",
    "HelpDispute",
    "HelpOffer",
    "HelpRating",
    "HelpRequest",
    "IdentityRecord",
    "LevelChange",
    "Like",
    "Membership",
    "Mention",
    "Neighbourhood",
    "Post",
    "PostImage",
    "RedPacket",
    "RedPacketClaim",
    "Report",
    "SandboxIdentity",
    "User",
    "UserManager",
    "VerificationAttempt",
]
