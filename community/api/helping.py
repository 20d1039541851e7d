"""Neighbour help and red packets over the API: one view per operation, thin.

Money-moving POSTs (opening a request with a reward, completing it, sending and claiming a
red packet) take an Idempotency-Key through ``WalletApiView``: the same key and body
replays the first answer. Everything is scoped to the caller's estates: another estate's
request, circle or packet is 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from community.models import HelpOffer, HelpRequest, RedPacket, RedPacketClaim, User
from community.selectors import visible_neighbourhood
from community.services import helping, redpackets
from core.api import LinliAPIView
from wallet.api.base import IDEMPOTENCY_HEADER, PinField, WalletApiView

# --- bodies (pure functions of service results: idempotency records store them) -----------


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user)}


def render_help_request(request: HelpRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "neighbourhood_id": request.neighbourhood_id,
        "title": request.title,
        "details": request.details,
        "reward_minor": request.reward_minor,
        "currency": request.currency,
        "status": request.status,
        "requester": _person(request.requester),
        "helper": _person(request.helper) if request.helper_id else None,
        "hold_id": request.hold_id,
        "expires_at": request.expires_at.isoformat(),
        "created_at": request.created_at.isoformat(),
        "accepted_at": request.accepted_at.isoformat() if request.accepted_at else None,
        "done_at": request.done_at.isoformat() if request.done_at else None,
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
    }


def render_help_result(result: helping.HelpResult) -> dict[str, Any]:
    payment = result.payment
    return {
        "help_request": render_help_request(result.request),
        "payment": (
            {
                "id": payment.pk,
                "transaction_id": payment.transaction_id,
                "amount_minor": payment.amount_minor,
            }
            if payment is not None
            else None
        ),
    }


def render_offer(offer: HelpOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "help_request_id": offer.request_id,
        "helper": _person(offer.helper),
        "message": offer.message,
        "status": offer.status,
        "created_at": offer.created_at.isoformat(),
    }


def render_packet(packet: RedPacket) -> dict[str, Any]:
    return {
        "id": packet.pk,
        "circle_id": packet.circle_id,
        "sender": _person(packet.sender),
        "total_minor": packet.total_minor,
        "shares": packet.shares,
        "currency": packet.currency,
        "greeting": packet.greeting,
        "status": packet.status,
        "claimed_minor": packet.claimed_minor,
        "claimed_count": packet.claimed_count,
        "refunded_minor": packet.refunded_minor,
        "expires_at": packet.expires_at.isoformat(),
        "created_at": packet.created_at.isoformat(),
    }


def render_claim(claim: RedPacketClaim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "user": _person(claim.user),
        "amount_minor": claim.amount_minor,
        "best_luck": bool(getattr(claim, "best_luck", False)),
        "created_at": claim.created_at.isoformat(),
    }


def render_claim_result(result: redpackets.ClaimResult) -> dict[str, Any]:
    return {"claim": render_claim(result.claim), "red_packet": render_packet(result.packet)}


# --- serializers (schema of the bodies above) ----------------------------------------------


class HelpPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HelpRequestSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    neighbourhood_id = serializers.IntegerField()
    title = serializers.CharField()
    details = serializers.CharField()
    reward_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    requester = HelpPersonSerializer()
    helper = HelpPersonSerializer(allow_null=True)
    hold_id = serializers.IntegerField(allow_null=True)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class HelpListItemSerializer(HelpRequestSerializer):
    offer_count = serializers.IntegerField()


class HelpOfferSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    help_request_id = serializers.IntegerField()
    helper = HelpPersonSerializer()
    message = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class HelpResultSerializer(serializers.Serializer[Any]):
    class HelpPaymentSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        transaction_id = serializers.IntegerField()
        amount_minor = serializers.IntegerField()

    help_request = HelpRequestSerializer()
    payment = HelpPaymentSerializer(allow_null=True)


class RedPacketSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    circle_id = serializers.IntegerField()
    sender = HelpPersonSerializer()
    total_minor = serializers.IntegerField()
    shares = serializers.IntegerField()
    currency = serializers.CharField()
    greeting = serializers.CharField()
    status = serializers.CharField()
    claimed_minor = serializers.IntegerField()
    claimed_count = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class RedPacketClaimSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user = HelpPersonSerializer()
    amount_minor = serializers.IntegerField()
    best_luck = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class RedPacketClaimResultSerializer(serializers.Serializer[Any]):
    claim = RedPacketClaimSerializer()
    red_packet = RedPacketSerializer()


# --- neighbour help ------------------------------------------------------------------------

LIST_LIMIT = 100


class HelpRequestListCreateApi(WalletApiView):
    """An estate's open requests (newest first), and asking for help."""

    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=80)
        details = serializers.CharField(max_length=500, required=False, allow_blank=True)
        reward_minor = serializers.IntegerField(min_value=0, max_value=10**12, default=0)
        open_for_hours = serializers.IntegerField(min_value=1, max_value=14 * 24, default=3 * 24)
        pin = PinField()

    @extend_schema(operation_id="help_requests_list", responses=HelpListItemSerializer(many=True))
    def get(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = visible_neighbourhood(user, neighbourhood_id)
        rows = helping.help_board(user, estate)[:LIST_LIMIT]
        return Response(
            [{**render_help_request(r), "offer_count": r.offer_count} for r in rows]  # type: ignore[attr-defined]
        )

    @extend_schema(
        operation_id="help_request_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: HelpRequestSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = visible_neighbourhood(user, neighbourhood_id)
        idempotency = self.idempotency(request, render_help_request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = helping.help_request_open(
            requester=user,
            neighbourhood=estate,
            title=values["title"],
            details=values.get("details", ""),
            reward_minor=values["reward_minor"],
            open_for=timedelta(hours=values["open_for_hours"]),
            pin=values.get("pin") or None,
            idempotency=idempotency,
        )
        return Response(render_help_request(created), status=201)


class HelpRequestDetailApi(LinliAPIView):
    """A request with its offers: the requester sees every offer, others their own."""

    class OutputSerializer(HelpRequestSerializer):
        offers = HelpOfferSerializer(many=True)

    @extend_schema(operation_id="help_request_retrieve", responses=OutputSerializer)
    def get(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        help_request = helping.help_request_for(user, request_id)
        offers = help_request.offers.select_related("helper")
        if help_request.requester_id != user.pk:
            offers = offers.filter(helper_id=user.pk)
        return Response(
            {**render_help_request(help_request), "offers": [render_offer(o) for o in offers]}
        )


class HelpOfferApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        message = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="help_offer_create",
        request=InputSerializer,
        responses={201: HelpOfferSerializer},
    )
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        help_request = helping.help_request_for(user, request_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = helping.help_offer(
            helper=user, request=help_request, message=data.validated_data.get("message", "")
        )
        return Response(render_offer(offer), status=201)


class HelpOfferWithdrawApi(LinliAPIView):
    @extend_schema(operation_id="help_offer_withdraw", request=None, responses=HelpOfferSerializer)
    def post(self, request: Request, offer_id: int) -> Response:
        user = signed_in_user(request)
        offer = helping.help_offer_withdraw(
            helper=user, offer=helping.help_offer_for(user, offer_id)
        )
        return Response(render_offer(offer))


class HelpAcceptApi(LinliAPIView):
    """Choose this offer's helper. Two accepts at once: one wins, the other 409."""

    @extend_schema(operation_id="help_offer_accept", request=None, responses=HelpRequestSerializer)
    def post(self, request: Request, offer_id: int) -> Response:
        user = signed_in_user(request)
        accepted = helping.help_accept(requester=user, offer=helping.help_offer_for(user, offer_id))
        return Response(render_help_request(accepted))


class HelpMarkDoneApi(LinliAPIView):
    @extend_schema(operation_id="help_mark_done", request=None, responses=HelpRequestSerializer)
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        done = helping.help_mark_done(
            helper=user, request=helping.help_request_for(user, request_id)
        )
        return Response(render_help_request(done))


class HelpCompleteApi(WalletApiView):
    """Confirm the help was given: the reward goes to the helper's wallet."""

    @extend_schema(
        operation_id="help_complete",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses={201: HelpResultSerializer},
    )
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        help_request = helping.help_request_for(user, request_id)
        result = helping.help_complete(
            requester=user,
            request=help_request,
            idempotency=self.idempotency(request, render_help_result),
        )
        return Response(render_help_result(result), status=201)


class HelpCancelApi(LinliAPIView):
    @extend_schema(operation_id="help_cancel", request=None, responses=HelpRequestSerializer)
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        cancelled = helping.help_cancel(
            requester=user, request=helping.help_request_for(user, request_id)
        )
        return Response(render_help_request(cancelled))


class HelpDisputeApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=300)

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        help_request_id = serializers.IntegerField()
        status = serializers.CharField()
        reason = serializers.CharField()

    @extend_schema(
        operation_id="help_dispute_open",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        help_request = helping.help_request_for(user, request_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = helping.help_dispute_open(
            user=user, request=help_request, reason=data.validated_data["reason"]
        )
        return Response(
            {
                "id": dispute.pk,
                "help_request_id": help_request.pk,
                "status": dispute.status,
                "reason": dispute.reason,
            },
            status=201,
        )


class HelpResolveApi(LinliAPIView):
    """Property staff of the estate settle a dispute."""

    class InputSerializer(serializers.Serializer[Any]):
        outcome = serializers.ChoiceField(choices=helping.DisputeOutcome.CHOICES)
        helper_share_minor = serializers.IntegerField(min_value=0, required=False)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(
        operation_id="help_dispute_resolve",
        request=InputSerializer,
        responses=HelpResultSerializer,
    )
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        help_request = helping.help_request_for(user, request_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = helping.help_dispute_resolve(
            staff=user,
            request=help_request,
            outcome=values["outcome"],
            helper_share_minor=values.get("helper_share_minor"),
            note=values.get("note", ""),
        )
        return Response(render_help_result(result))


class HelpRateApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        stars = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        ratee_id = serializers.IntegerField()
        stars = serializers.IntegerField()
        comment = serializers.CharField()

    @extend_schema(
        operation_id="help_rate", request=InputSerializer, responses={201: OutputSerializer}
    )
    def post(self, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        help_request = helping.help_request_for(user, request_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = helping.help_rate(
            rater=user,
            request=help_request,
            stars=data.validated_data["stars"],
            comment=data.validated_data.get("comment", ""),
        )
        return Response(
            {
                "id": rating.pk,
                "ratee_id": rating.ratee_id,
                "stars": rating.stars,
                "comment": rating.comment,
            },
            status=201,
        )


# --- red packets ---------------------------------------------------------------------------


class RedPacketListSendApi(WalletApiView):
    """A circle's recent red packets, and sending one."""

    class InputSerializer(serializers.Serializer[Any]):
        total_minor = serializers.IntegerField(min_value=1, max_value=redpackets.MAX_TOTAL_MINOR)
        shares = serializers.IntegerField(min_value=1, max_value=redpackets.MAX_SHARES)
        greeting = serializers.CharField(
            max_length=redpackets.MAX_GREETING, required=False, allow_blank=True
        )
        pin = PinField()

    class ListItemSerializer(RedPacketSerializer):
        claimed_by_me = serializers.BooleanField()

    @extend_schema(operation_id="red_packets_list", responses=ListItemSerializer(many=True))
    def get(self, request: Request, circle_id: int) -> Response:
        user = signed_in_user(request)
        circle = redpackets.circle_for(user, circle_id)
        packets = redpackets.circle_red_packets(circle, user, open_only=False)[:LIST_LIMIT]
        return Response(
            [{**render_packet(p), "claimed_by_me": p.claimed_by_me} for p in packets]  # type: ignore[attr-defined]
        )

    @extend_schema(
        operation_id="red_packet_send",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: RedPacketSerializer},
    )
    def post(self, request: Request, circle_id: int) -> Response:
        user = signed_in_user(request)
        circle = redpackets.circle_for(user, circle_id)
        idempotency = self.idempotency(request, render_packet)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        packet = redpackets.red_packet_send(
            sender=user,
            circle=circle,
            total_minor=values["total_minor"],
            shares=values["shares"],
            greeting=values.get("greeting", ""),
            pin=values.get("pin") or None,
            idempotency=idempotency,
        )
        return Response(render_packet(packet), status=201)


class RedPacketDetailApi(LinliAPIView):
    class OutputSerializer(RedPacketSerializer):
        claims = RedPacketClaimSerializer(many=True)

    @extend_schema(operation_id="red_packet_retrieve", responses=OutputSerializer)
    def get(self, request: Request, packet_id: int) -> Response:
        packet = redpackets.red_packet_for(signed_in_user(request), packet_id)
        claims = redpackets.red_packet_claims(packet)
        return Response({**render_packet(packet), "claims": [render_claim(c) for c in claims]})


class RedPacketClaimApi(WalletApiView):
    """Open a red packet: a random share into your wallet, once."""

    @extend_schema(
        operation_id="red_packet_claim",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses={201: RedPacketClaimResultSerializer},
    )
    def post(self, request: Request, packet_id: int) -> Response:
        user = signed_in_user(request)
        packet = redpackets.red_packet_for(user, packet_id)
        result = redpackets.red_packet_claim(
            user=user, packet=packet, idempotency=self.idempotency(request, render_claim_result)
        )
        return Response(render_claim_result(result), status=201)
