"""allauth glue: mainland mobile numbers as a login method, kept on ``User``."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext

from community.models import User
from community.phones import MainlandMobileField
from community.sms import send_sms


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def phone_form_field(self, **kwargs: Any) -> MainlandMobileField:
        return MainlandMobileField(**kwargs)

    def save_user(
        self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True
    ) -> Any:
        # The number is the login and must be on the row before its first save.
        phone = form.cleaned_data.get("phone")
        if phone:
            user.phone = phone
            user.phone_verified = False
        if not user.preferred_language:
            user.preferred_language = _supported_language(translation.get_language())
        return super().save_user(request, user, form, commit=commit)

    def set_phone(self, user: Any, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        if user.pk:
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: Any) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user: Any, phone: str) -> None:
        User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
        user.phone_verified = True

    def get_user_by_phone(self, phone: str) -> User | None:
        return User.objects.filter(phone=phone).first()

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the per-account failed-login limit on the e-mail or username alone, so
        # every phone login shared one empty key: five failures on any numbers locked every
        # number out for five minutes. Each number gets its own key (tests/security).
        phone = credentials.get("phone")
        if phone:
            return f"{get_current_site(request).domain}:phone:{phone}"
        key: str = super()._get_login_attempts_cache_key(request, **credentials)
        return key

    def send_verification_code_sms(self, user: Any, phone: str, code: str, **kwargs: Any) -> None:
        language = getattr(user, "preferred_language", "") or translation.get_language()
        with translation.override(language):
            body = gettext("[Linli] Your verification code is %(code)s. Do not share it.") % {
                "code": code
            }
        send_sms(phone, body)

    def send_account_already_exists_sms(self, phone: str) -> None:
        # Sign-up pretends to succeed for a taken number (no enumeration); the owner is told.
        user = self.get_user_by_phone(phone)
        language = (user.preferred_language if user else "") or translation.get_language()
        with translation.override(language):
            body = gettext(
                "[Linli] Someone tried to sign up with your number. If it was you, "
                "log in instead or reset your password."
            )
        send_sms(phone, body)


def _supported_language(language: str | None) -> str:
    from django.conf import settings

    codes = [code for code, _name in settings.LANGUAGES]
    if language in codes:
        return language or ""
    if language and language.lower().startswith("zh"):
        return "zh-hans"
    if language and language.lower().startswith("en"):
        return "en"
    return ""
