from community.services.profile import ValidationFailed, user_update_profile

__all__ = ["ValidationFailed", "user_update_profile"]
