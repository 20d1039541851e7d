"""Operators: FX rates and error corrections (maker-checker)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import authenticated_user
from wallet.api.base import CURRENCY_CHOICES, WalletApiView
from wallet.models import CorrectionProposal, FxRate, JournalTransaction
from wallet.services import corrections, fx


class FxRateSerializer(serializers.ModelSerializer[FxRate]):
    class Meta:
        model = FxRate
        fields = ["id", "base", "quote", "mid_rate", "spread_bps", "created_at"]


class FxRateApi(WalletApiView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer[Any]):
        base = serializers.ChoiceField(choices=CURRENCY_CHOICES)
        quote = serializers.ChoiceField(choices=CURRENCY_CHOICES)
        mid_rate = serializers.DecimalField(max_digits=18, decimal_places=8, min_value=0)
        spread_bps = serializers.IntegerField(min_value=0, max_value=4_999)

    @extend_schema(operation_id="wallet_fx_rates_list", responses=FxRateSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            FxRateSerializer(FxRate.objects.order_by("-created_at")[:50], many=True).data
        )

    @extend_schema(
        operation_id="wallet_fx_rate_set",
        request=InputSerializer,
        responses={201: FxRateSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rate = fx.rate_set(operator=authenticated_user(request), **data.validated_data)
        return Response(FxRateSerializer(rate).data, status=201)


class CorrectionSerializer(serializers.ModelSerializer[CorrectionProposal]):
    class Meta:
        model = CorrectionProposal
        fields = [
            "id",
            "corrects",
            "legs",
            "currency",
            "reason",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "posted",
        ]


class CorrectionListCreateApi(WalletApiView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer[Any]):
        class LegSerializer(serializers.Serializer[Any]):
            account_id = serializers.IntegerField()
            amount_minor = serializers.IntegerField()

        legs = LegSerializer(many=True)
        reason = serializers.CharField(max_length=1000)
        corrects_transaction_id = serializers.IntegerField(required=False)

    @extend_schema(
        operation_id="wallet_corrections_list", responses=CorrectionSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        proposals = CorrectionProposal.objects.order_by("-proposed_at")[:100]
        return Response(CorrectionSerializer(proposals, many=True).data)

    @extend_schema(
        operation_id="wallet_correction_propose",
        request=InputSerializer,
        responses={201: CorrectionSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        corrects = None
        if "corrects_transaction_id" in data.validated_data:
            corrects = JournalTransaction.objects.filter(
                pk=data.validated_data["corrects_transaction_id"]
            ).first()
        proposal = corrections.correction_propose(
            operator=authenticated_user(request),
            legs=[dict(leg) for leg in data.validated_data["legs"]],
            reason=data.validated_data["reason"],
            corrects=corrects,
        )
        return Response(CorrectionSerializer(proposal).data, status=201)


class CorrectionDecisionApi(WalletApiView):
    permission_classes = [IsAdminUser]
    approve = True

    class InputSerializer(serializers.Serializer[Any]):
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=CorrectionSerializer)
    def post(self, request: Request, proposal_id: int) -> Response:
        from django.shortcuts import get_object_or_404

        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = get_object_or_404(CorrectionProposal, pk=proposal_id)
        decide = corrections.correction_approve if self.approve else corrections.correction_reject
        decided = decide(
            operator=authenticated_user(request),
            proposal=proposal,
            note=data.validated_data.get("note", ""),
        )
        return Response(CorrectionSerializer(decided).data)
