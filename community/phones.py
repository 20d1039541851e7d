"""Mainland China mobile numbers: parsed and normalised by ``phonenumbers``, kept in E.164."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAINLAND_REGION = "CN"
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalise_mainland_mobile(raw: str) -> str:
    """Return ``raw`` as E.164 (``+8613800138000``) or raise ``ValidationError``.

    Accepts the ways people type a number: ``13800138000``, ``138 0013 8000``,
    ``+86 138-0013-8000``, ``0086 13800138000``.
    """
    text = (raw or "").strip()
    if text.startswith("0086"):
        text = "+86" + text[4:]
    try:
        number = phonenumbers.parse(text, MAINLAND_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a mainland China mobile number, such as 138 0013 8000."),
            code="invalid_phone",
        ) from None
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != MAINLAND_REGION
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise ValidationError(
            _("Enter a mainland China mobile number, such as 138 0013 8000."),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164_mainland_mobile(value: str) -> None:
    if normalise_mainland_mobile(value) != value:
        raise ValidationError(_("Phone numbers are stored in E.164 form."), code="not_e164")


def display_phone(e164: str) -> str:
    """``+8613800138000`` -> ``138 0013 8000`` for people reading it."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, MAINLAND_REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(e164: str) -> str:
    """``+8613800138000`` -> ``138****8000``: enough to recognise, not to dial."""
    national = display_phone(e164).replace(" ", "")
    if len(national) < 7:
        return national
    return f"{national[:3]}****{national[-4:]}"


class MainlandMobileField(forms.CharField):
    """Form field used by allauth for phone login and signup."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "autocomplete": "tel",
                    "inputmode": "tel",
                    "placeholder": _("Mobile number"),
                }
            ),
        )
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, value: str) -> str:
        value = super().clean(value)
        if not value:
            return value
        return normalise_mainland_mobile(value)
