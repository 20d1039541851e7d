"""The shop owner's webhook pages: endpoints (add, pause, resume, delete, new secret, test
event) and the delivery log with "retry now". Thin: the rules are in
``merchants.services.webhooks``, the reads in ``merchants.selectors_webhooks``. Every page
is the owner's alone: anyone else, the shop's cashiers included, gets 404.

A secret is shown once, on the page that answers the POST that made it, and never again:
it is not put in a message or a redirect, so it does not sit in a cookie or the history.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.auth import signed_in_user
from community.models import User
from core.errors import ApplicationError
from merchants import selectors_webhooks as reads
from merchants.models import Shop, WebhookEndpoint
from merchants.services import webhooks as services

LOG_PAGE_SIZE = 50


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("URL of your system"),
        max_length=services.URL_MAX_LENGTH,
        help_text=gettext_lazy("An https:// address on the internet that accepts POST requests."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=[
            (WebhookEndpoint.Event.PAYMENT_SUCCEEDED, gettext_lazy("Payments received")),
            (WebhookEndpoint.Event.REFUND_SUCCEEDED, gettext_lazy("Refunds given")),
            (WebhookEndpoint.Event.SETTLEMENT_PAID, gettext_lazy("Settlements paid out")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )


def _show_errors(form: forms.Form, error: ApplicationError) -> None:
    if not error.fields:
        form.add_error(None, str(error.message))
    for name, errors in error.fields.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, str(message))


def _endpoints_page(request: HttpRequest, shop: Shop, form: EndpointForm) -> HttpResponse:
    return render(
        request,
        "merchants/webhooks/endpoints.html",
        {"shop": shop, "endpoints": list(reads.shop_endpoints(shop)), "form": form},
    )


def _secret_page(
    request: HttpRequest, shop: Shop, new: services.NewSecret, *, rotated: bool
) -> HttpResponse:
    return render(
        request,
        "merchants/webhooks/secret.html",
        {"shop": shop, "endpoint": new.endpoint, "secret": new.secret, "rotated": rotated},
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoints(request: HttpRequest, shop_id: int) -> HttpResponse:
    user = signed_in_user(request)
    shop = reads.owned_shop(user, shop_id)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.endpoint_create(
                owner=user,
                shop=shop,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
        except ApplicationError as error:
            _show_errors(form, error)
        else:
            return _secret_page(request, shop, new, rotated=False)
    return _endpoints_page(request, shop, form)


def _act(
    request: HttpRequest, shop_id: int, endpoint_id: int
) -> tuple[User, Shop, WebhookEndpoint]:
    user = signed_in_user(request)
    shop = reads.owned_shop(user, shop_id)
    return user, shop, reads.shop_endpoint(shop, endpoint_id)


@login_required
@require_POST
def endpoint_disable(request: HttpRequest, shop_id: int, endpoint_id: int) -> HttpResponse:
    user, _shop, endpoint = _act(request, shop_id, endpoint_id)
    services.endpoint_disable(owner=user, endpoint=endpoint)
    messages.success(request, _("Paused: nothing is sent to %(url)s.") % {"url": endpoint.url})
    return redirect("merchant-webhooks", shop_id)


@login_required
@require_POST
def endpoint_enable(request: HttpRequest, shop_id: int, endpoint_id: int) -> HttpResponse:
    user, _shop, endpoint = _act(request, shop_id, endpoint_id)
    services.endpoint_enable(owner=user, endpoint=endpoint)
    messages.success(request, _("Resumed: events are sent to %(url)s.") % {"url": endpoint.url})
    return redirect("merchant-webhooks", shop_id)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, shop_id: int, endpoint_id: int) -> HttpResponse:
    user, _shop, endpoint = _act(request, shop_id, endpoint_id)
    services.endpoint_delete(owner=user, endpoint=endpoint)
    messages.success(request, _("Deleted %(url)s.") % {"url": endpoint.url})
    return redirect("merchant-webhooks", shop_id)


@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, shop_id: int, endpoint_id: int) -> HttpResponse:
    user, shop, endpoint = _act(request, shop_id, endpoint_id)
    new = services.endpoint_rotate_secret(owner=user, endpoint=endpoint)
    return _secret_page(request, shop, new, rotated=True)


@login_required
@require_POST
def endpoint_ping(request: HttpRequest, shop_id: int, endpoint_id: int) -> HttpResponse:
    user, _shop, endpoint = _act(request, shop_id, endpoint_id)
    services.endpoint_ping(owner=user, endpoint=endpoint)
    messages.success(request, _("A test event is on its way; see the log below."))
    return redirect("merchant-webhook-log", shop_id)


@login_required
@require_GET
def delivery_log(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = reads.owned_shop(signed_in_user(request), shop_id)
    page = Paginator(reads.shop_deliveries(shop), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (delivery, services.DeliveryError.LABELS.get(delivery.last_error, delivery.last_error))
        for delivery in page
    ]
    return render(
        request,
        "merchants/webhooks/log.html",
        {"shop": shop, "page": page, "rows": rows},
    )


@login_required
@require_POST
def delivery_retry(request: HttpRequest, shop_id: int, delivery_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    delivery = reads.shop_delivery(reads.owned_shop(user, shop_id), delivery_pk)
    try:
        services.delivery_retry(owner=user, delivery=delivery)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Sending it again now."))
    return redirect("merchant-webhook-log", shop_id)
