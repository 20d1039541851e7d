"""What the wallet pages share: a form's own Idempotency-Key, errors shown on forms."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.errors import ApplicationError
from core.money import Money
from wallet.services.idempotency import Idempotency, request_fingerprint


def page_idempotency(
    request: HttpRequest, form: Any, render: Any, resource: Any = None
) -> Idempotency:
    body = {k: v for k, v in form.cleaned_data.items() if k not in {"pin", "idempotency_key"}}
    return Idempotency(
        user_id=int(request.user.pk or 0),
        key="page:" + form.cleaned_data["idempotency_key"],
        fingerprint=request_fingerprint("POST", request.path, body),
        render=render,
        resource=resource,
    )


def show_error(form: Any, error: ApplicationError) -> None:
    form.add_error(None, str(error.message))


def yuan(amount_minor: int | None) -> str:
    return "" if not amount_minor else str(Money(amount_minor).to_decimal())
