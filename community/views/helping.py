"""Pages of neighbour help and red packets: thin. The rules are in
``community.services.helping`` and ``community.services.redpackets``.

Money-moving forms carry their own Idempotency-Key (a hidden field), so a double-tapped
button moves money once. The PIN field appears only when the wallet says it is needed:
the first submit goes without it and a ``pin_required`` answer shows the field, as the
wallet's pay page does.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from community.api.helping import render_claim_result, render_help_request, render_help_result
from community.auth import signed_in_user
from community.models import HelpDispute, HelpOffer, HelpRequest, RedPacket
from community.selectors import is_confirmed_member, is_estate_staff, visible_neighbourhood
from community.services import helping, redpackets
from core.errors import ApplicationError
from core.money import Money
from wallet.errors import PinNotSet, PinRequired
from wallet.forms import AmountField, IdempotentForm, PinField
from wallet.models import Account
from wallet.services import payments
from wallet.services.accounts import system_account
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error

# --- forms (shapes of input only) ----------------------------------------------------------

OPEN_FOR_CHOICES = [
    (1, gettext_lazy("1 day")),
    (3, gettext_lazy("3 days")),
    (7, gettext_lazy("7 days")),
    (14, gettext_lazy("14 days")),
]


class HelpRequestForm(IdempotentForm):
    title = forms.CharField(label=gettext_lazy("What do you need?"), max_length=80)
    details = forms.CharField(
        label=gettext_lazy("Details"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reward = AmountField(
        label=gettext_lazy("Reward (optional)"),
        required=False,
        help_text=gettext_lazy("Held in your wallet until you confirm the help."),
    )
    open_for = forms.TypedChoiceField(
        label=gettext_lazy("Open for"), choices=OPEN_FOR_CHOICES, coerce=int, initial=3
    )
    pin = PinField(required=False)


class RedPacketForm(IdempotentForm):
    total = AmountField(label=pgettext_lazy("red packet", "Total"))
    shares = forms.IntegerField(
        label=gettext_lazy("Number of shares"),
        min_value=1,
        max_value=redpackets.MAX_SHARES,
        initial=5,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    greeting = forms.CharField(
        label=gettext_lazy("Greeting"),
        max_length=redpackets.MAX_GREETING,
        required=False,
        initial=gettext_lazy("Best wishes!"),
    )
    pin = PinField(required=False)


class ClaimForm(IdempotentForm):
    pass


class CompleteForm(IdempotentForm):
    pass


class OfferForm(forms.Form):
    message = forms.CharField(label=gettext_lazy("Message"), max_length=200, required=False)


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What went wrong?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Stars"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=200, required=False)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (helping.DisputeOutcome.HELPER, gettext_lazy("Pay the helper all of the reward")),
            (helping.DisputeOutcome.REQUESTER, gettext_lazy("Return all of it to the requester")),
            (helping.DisputeOutcome.SPLIT, gettext_lazy("Split it")),
        ],
        widget=forms.RadioSelect,
    )
    helper_share = AmountField(label=gettext_lazy("Helper's share, if split"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


def _hold_preview(user: Any, amount_minor: int) -> payments.Preview | None:
    """What holding ``amount_minor`` would leave available, for the PIN step."""
    if not amount_minor:
        return None
    return payments.payment_preview(
        payer=user,
        payee=system_account(Account.SystemCode.ESCROW),
        amount_minor=amount_minor,
        currency="CNY",
    )


def _fresh_key(form: IdempotentForm) -> None:
    """After a refusal the corrected form is a new operation: give it a new key (the
    refusal is stored under the old one)."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict on a bound form
    data["idempotency_key"] = uuid.uuid4().hex
    form.data = data


def _replayed_or_error(request: HttpRequest, replay: Replayed) -> bool:
    """A second submit of the same form: True if the first one succeeded."""
    if "error" in replay.body:
        messages.error(request, replay.body["error"]["message"])
        return False
    return True


# --- neighbour help ------------------------------------------------------------------------


@login_required
def help_board(request: HttpRequest, neighbourhood_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = visible_neighbourhood(user, neighbourhood_id)
    return render(
        request,
        "community/helping/board.html",
        {
            "estate": estate,
            "open_requests": list(helping.help_board(user, estate)[:50]),
            "my_requests": list(helping.help_requests_of(user, estate)[:20]),
            "my_offers": list(helping.help_offers_of(user, estate)[:20]),
            "may_ask": is_confirmed_member(user, estate.pk),
            "rating": helping.rating_summary(user.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def help_new(request: HttpRequest, neighbourhood_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = visible_neighbourhood(user, neighbourhood_id)
    form = HelpRequestForm(request.POST or None)
    ask_pin = False
    preview = None
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        reward = values["reward"] or 0
        try:
            created = helping.help_request_open(
                requester=user,
                neighbourhood=estate,
                title=values["title"],
                details=values["details"],
                reward_minor=reward,
                open_for=timedelta(days=values["open_for"]),
                pin=values.get("pin") or None,
                idempotency=page_idempotency(request, form, render_help_request),
            )
        except Replayed as replay:
            if _replayed_or_error(request, replay):
                return redirect("help-detail", request_id=replay.body["id"])
            return redirect("help-board", neighbourhood_id=estate.pk)
        except (PinRequired, PinNotSet) as error:
            # The second step: show what will be held, then ask for the PIN.
            ask_pin = True
            preview = _hold_preview(user, reward)
            if values.get("pin") or isinstance(error, PinNotSet):
                show_error(form, error)
        except ApplicationError as error:
            show_error(form, error)
            _fresh_key(form)
            ask_pin = bool(values.get("pin"))
        else:
            messages.success(request, _("Your request is up. Neighbours will be told."))
            return redirect("help-detail", request_id=created.pk)
    return render(
        request,
        "community/helping/new.html",
        {"estate": estate, "form": form, "ask_pin": ask_pin, "preview": preview},
    )


def _detail_context(user: Any, help_request: HelpRequest) -> dict[str, Any]:
    offers = list(help_request.offers.select_related("helper"))
    is_requester = help_request.requester_id == user.pk
    is_helper = help_request.helper_id == user.pk
    my_offer = next((o for o in offers if o.helper_id == user.pk), None)
    summaries = helping.rating_summaries(
        [help_request.requester_id, *(o.helper_id for o in offers)]
    )
    for offer in offers:
        offer.rating = summaries[offer.helper_id]  # type: ignore[attr-defined]
    rated = set(help_request.ratings.values_list("rater_id", flat=True))
    dispute = HelpDispute.objects.filter(request=help_request).first()
    Status = HelpRequest.Status
    status = help_request.status
    is_staff = is_estate_staff(user, help_request.neighbourhood_id)
    return {
        "help": help_request,
        "offers": offers if is_requester or is_staff else [o for o in offers if o is my_offer],
        "offer_count": sum(1 for o in offers if o.status == HelpOffer.Status.OFFERED),
        "is_requester": is_requester,
        "is_helper": is_helper,
        "my_offer": my_offer,
        "requester_rating": summaries[help_request.requester_id],
        "dispute": dispute,
        "is_staff": is_staff,
        "may_offer": (
            status == Status.OPEN
            and not is_requester
            and (my_offer is None or my_offer.status == HelpOffer.Status.WITHDRAWN)
            and is_confirmed_member(user, help_request.neighbourhood_id)
        ),
        "may_cancel": is_requester
        and (status == Status.OPEN or (status == Status.ACCEPTED and not help_request.done_at)),
        "may_complete": is_requester and status == Status.ACCEPTED,
        "may_mark_done": is_helper and status == Status.ACCEPTED and not help_request.done_at,
        "may_dispute": (is_requester or is_helper) and status == Status.ACCEPTED,
        "may_rate": (is_requester or is_helper)
        and status in (Status.COMPLETED, Status.RESOLVED)
        and help_request.helper_id is not None
        and user.pk not in rated,
        "may_resolve": is_staff and status == Status.DISPUTED,
        "offer_form": OfferForm(),
        "complete_form": CompleteForm(),
        "dispute_form": DisputeForm(),
        "rating_form": RatingForm(),
        "resolve_form": ResolveForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def help_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    user = signed_in_user(request)
    help_request = helping.help_request_for(user, request_id)
    if request.method == "POST":
        try:
            done = _help_action(request, user, help_request)
        except Replayed as replay:
            done = _replayed_or_error(request, replay)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            done = False
        if done:
            messages.success(request, done if isinstance(done, str) else _("Done."))
        return redirect("help-detail", request_id=help_request.pk)
    return render(request, "community/helping/detail.html", _detail_context(user, help_request))


def _help_action(request: HttpRequest, user: Any, help_request: HelpRequest) -> str | bool:
    action = request.POST.get("action", "")
    if action == "offer":
        form = OfferForm(request.POST)
        form.is_valid()
        helping.help_offer(
            helper=user, request=help_request, message=form.cleaned_data.get("message", "")
        )
        return _("Thank you! We told your neighbour.")
    if action in ("withdraw", "accept"):
        offer = helping.help_offer_for(user, int(request.POST.get("offer_id") or 0))
        if action == "withdraw":
            helping.help_offer_withdraw(helper=user, offer=offer)
            return _("Your offer is withdrawn.")
        helping.help_accept(requester=user, offer=offer)
        return _("You chose a helper. We told them.")
    if action == "done":
        helping.help_mark_done(helper=user, request=help_request)
        return _("Marked as done. Your neighbour will confirm it.")
    if action == "complete":
        complete = CompleteForm(request.POST)
        if not complete.is_valid():
            return False
        helping.help_complete(
            requester=user,
            request=help_request,
            idempotency=page_idempotency(request, complete, render_help_result),
        )
        return _("Completed. The reward went to your helper.")
    if action == "cancel":
        helping.help_cancel(requester=user, request=help_request)
        return _("Your request is cancelled; any reward is available again.")
    if action == "dispute":
        dispute = DisputeForm(request.POST)
        if not dispute.is_valid():
            messages.error(request, _("Say what went wrong."))
            return False
        helping.help_dispute_open(
            user=user, request=help_request, reason=dispute.cleaned_data["reason"]
        )
        return _("The property staff will look at it.")
    if action == "rate":
        rating = RatingForm(request.POST)
        if not rating.is_valid():
            messages.error(request, _("Give one to five stars."))
            return False
        helping.help_rate(
            rater=user,
            request=help_request,
            stars=rating.cleaned_data["stars"],
            comment=rating.cleaned_data["comment"],
        )
        return _("Thank you for rating.")
    if action == "resolve":
        resolve = ResolveForm(request.POST)
        if not resolve.is_valid():
            messages.error(request, _("Choose how to settle the dispute."))
            return False
        helping.help_dispute_resolve(
            staff=user,
            request=help_request,
            outcome=resolve.cleaned_data["outcome"],
            helper_share_minor=resolve.cleaned_data["helper_share"],
            note=resolve.cleaned_data["note"],
        )
        return _("The dispute is settled. Both sides were told.")
    return False


# --- red packets ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def red_packet_new(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = redpackets.circle_for(user, circle_id)
    form = RedPacketForm(request.POST or None)
    ask_pin = False
    preview = None
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            packet = redpackets.red_packet_send(
                sender=user,
                circle=circle,
                total_minor=values["total"],
                shares=values["shares"],
                greeting=values["greeting"],
                pin=values.get("pin") or None,
                idempotency=page_idempotency(request, form, _render_packet_id),
            )
        except Replayed as replay:
            if _replayed_or_error(request, replay):
                return redirect("red-packet", packet_id=replay.body["id"])
            return redirect("red-packet-new", circle_id=circle.pk)
        except (PinRequired, PinNotSet) as error:
            ask_pin = True
            preview = _hold_preview(user, values["total"])
            if values.get("pin") or isinstance(error, PinNotSet):
                show_error(form, error)
        except ApplicationError as error:
            show_error(form, error)
            _fresh_key(form)
            ask_pin = bool(values.get("pin"))
        else:
            messages.success(request, _("Your red packet is in the circle."))
            return redirect("red-packet", packet_id=packet.pk)
    return render(
        request,
        "community/helping/red_packet_new.html",
        {"circle": circle, "form": form, "ask_pin": ask_pin, "preview": preview},
    )


def _render_packet_id(packet: RedPacket) -> dict[str, Any]:
    return {"id": packet.pk}


@login_required
def circle_red_packets(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = signed_in_user(request)
    circle = redpackets.circle_for(user, circle_id)
    return render(
        request,
        "community/helping/circle_red_packets.html",
        {
            "circle": circle,
            "red_packets": list(redpackets.circle_red_packets(circle, user)[:50]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def red_packet_detail(request: HttpRequest, packet_id: int) -> HttpResponse:
    user = signed_in_user(request)
    packet = redpackets.red_packet_for(user, packet_id)
    got: Money | None = None
    if request.method == "POST":
        form = ClaimForm(request.POST)
        if form.is_valid():
            try:
                result = redpackets.red_packet_claim(
                    user=user,
                    packet=packet,
                    idempotency=page_idempotency(request, form, render_claim_result),
                )
                got = Money(result.claim.amount_minor, packet.currency)
            except Replayed as replay:
                if _replayed_or_error(request, replay):
                    got = Money(replay.body["claim"]["amount_minor"], packet.currency)
            except ApplicationError as error:
                messages.error(request, str(error.message))
        if got is not None:
            messages.success(request, _("You got %(amount)s") % {"amount": got})
        return redirect("red-packet", packet_id=packet.pk)
    claims = redpackets.red_packet_claims(packet)
    mine = next((c for c in claims if c.user_id == user.pk), None)
    return render(
        request,
        "community/helping/red_packet.html",
        {
            "packet": packet,
            "claims": claims,
            "mine": mine,
            "may_claim": (
                mine is None
                and packet.sender_id != user.pk
                and packet.status == RedPacket.Status.OPEN
            ),
            "claim_form": ClaimForm(),
        },
    )
