"""Forms of the verification pages: short, with hints the phone keyboard understands."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import User


class IdentityForm(forms.Form):
    real_name = forms.CharField(
        label=_("Name"),
        max_length=50,
        widget=forms.TextInput(
            attrs={"autocomplete": "name", "placeholder": _("As on your ID card")}
        ),
    )
    id_number = forms.CharField(
        label=_("Resident identity number"),
        max_length=22,
        help_text=_("18 characters; the last one may be X."),
        widget=forms.TextInput(
            attrs={
                # A numeric keypad has no X, and one person in eleven needs it.
                "inputmode": "text",
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "minlength": "18",
                "maxlength": "18",
                "pattern": "[0-9]{17}[0-9Xx]",
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The server accepts a few typed spaces; the phone keyboard stops at 18 characters.
        self.fields["id_number"].widget.attrs["maxlength"] = "18"


class LookupForm(forms.Form):
    query = forms.CharField(
        label=_("Mobile number or identity number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class OperatorLevelForm(forms.Form):
    user_id = forms.IntegerField(widget=forms.HiddenInput)
    level = forms.TypedChoiceField(
        label=_("New level"), choices=User.VerificationLevel.choices, coerce=int
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("The user sees this reason."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResidentPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Resident's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class InPersonConfirmForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput, max_length=20)
    seen = forms.BooleanField(
        label=_("I have seen this resident and their identity card, and they match."),
    )
