from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import Money
from wallet.models import BankCard, JournalTransaction

CURRENCIES = [("CNY", "CNY ¥"), ("HKD", "HKD HK$"), ("USD", "USD $")]


class AmountField(forms.CharField):
    """An amount typed in yuan (``25`` or ``25.50``), cleaned to minor units; never a float."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Amount"))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"})
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = (super().clean(value) or "").strip().replace(",", "").lstrip("¥")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount such as 25.50.")) from None
        if amount <= 0 or amount.as_tuple().exponent < -2 or amount > Decimal("10000000"):  # type: ignore[operator]
            raise forms.ValidationError(_("Enter an amount such as 25.50."))
        return Money.from_decimal(amount).minor


class IdempotentForm(forms.Form):
    """A form that carries its own Idempotency-Key, so a double submit pays once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class PinField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Payment PIN"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("min_length", 6)
        kwargs.setdefault(
            "widget",
            forms.PasswordInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{6}"}
            ),
        )
        super().__init__(**kwargs)


class TopUpForm(IdempotentForm):
    card = forms.ModelChoiceField(queryset=BankCard.objects.none(), label=_("From card"))
    amount = AmountField()

    def __init__(self, *args: Any, cards: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = cards if cards is not None else BankCard.objects.none()  # type: ignore[attr-defined]
        self.fields["card"].empty_label = None  # type: ignore[attr-defined]


class WithdrawForm(TopUpForm):
    pin = PinField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["card"].label = _("To card")


class PayForm(IdempotentForm):
    amount = AmountField(required=False)
    pin = PinField(required=False)


class TransferForm(forms.Form):
    phone = forms.CharField(label=_("Neighbour's mobile number"), max_length=32)
    amount = AmountField()
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class TransferConfirmForm(IdempotentForm):
    phone = forms.CharField(widget=forms.HiddenInput, max_length=32)
    amount = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    pin = PinField(required=False)


class BindCardForm(forms.Form):
    number = forms.RegexField(
        r"^[0-9 ]{12,23}$",
        label=_("Card number"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
    holder_name = forms.CharField(label=_("Cardholder name"), max_length=50)
    expiry_month = forms.IntegerField(label=_("Expiry month"), min_value=1, max_value=12)
    expiry_year = forms.IntegerField(label=_("Expiry year"), min_value=2000, max_value=2100)
    nickname = forms.CharField(label=_("Name for this card"), max_length=30, required=False)


class HistoryFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All")), *JournalTransaction.Kind.choices],
    )
    counterparty = forms.CharField(label=_("Counterparty"), required=False, max_length=50)
    min_amount = AmountField(label=_("At least"), required=False)
    max_amount = AmountField(label=_("At most"), required=False)
    card = forms.ModelChoiceField(queryset=BankCard.objects.none(), label=_("Card"), required=False)

    def __init__(self, *args: Any, cards: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = cards if cards is not None else BankCard.objects.none()  # type: ignore[attr-defined]


class PinSetForm(forms.Form):
    current_pin = PinField(label=_("Current PIN"), required=False)
    new_pin = PinField(label=_("New PIN"))
    confirm_pin = PinField(label=_("New PIN again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_pin") and data.get("new_pin") != data.get("confirm_pin"):
            self.add_error("confirm_pin", _("The two PINs differ."))
        return data


class LimitsForm(forms.Form):
    no_pin_limit = AmountField(label=_("Pay without PIN up to"), required=False)
    single_limit = AmountField(label=_("Limit per payment"))
    daily_limit = AmountField(label=_("Daily limit"))
    pin = PinField()


class UnfreezeForm(forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    pin = PinField()


class QuoteForm(forms.Form):
    sell_currency = forms.ChoiceField(label=_("From"), choices=CURRENCIES)
    buy_currency = forms.ChoiceField(label=_("To"), choices=CURRENCIES, initial="HKD")
    amount = AmountField(label=_("Amount to exchange"))


class ConvertForm(IdempotentForm):
    quote_id = forms.IntegerField(widget=forms.HiddenInput)
    pin = PinField(required=False)


class RefundForm(IdempotentForm):
    amount = AmountField(label=_("Amount to refund"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class CaptureForm(IdempotentForm):
    amount = AmountField(label=_("Amount to take"), required=False)


class FxRateForm(forms.Form):
    base = forms.ChoiceField(label=_("Base"), choices=CURRENCIES)
    quote = forms.ChoiceField(label=_("Quote"), choices=CURRENCIES, initial="HKD")
    mid_rate = forms.DecimalField(label=_("Mid rate"), max_digits=18, decimal_places=8, min_value=0)
    spread_bps = forms.IntegerField(label=_("Spread (1/100 %)"), min_value=0, max_value=4_999)


class CorrectionForm(forms.Form):
    debit_account = forms.IntegerField(label=_("Take from account no."))
    credit_account = forms.IntegerField(label=_("Give to account no."))
    amount = AmountField()
    corrects = forms.IntegerField(label=_("Corrects transaction no."), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
