"""OpenAPI generation: every operation documents the one error shape."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from core.serializers import ErrorSerializer


class LinliAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        # Views nest their own InputSerializer/OutputSerializer; name each component after
        # its view ("NotificationListApi.OutputSerializer" -> "NotificationListOutput").
        cls = type(serializer)
        outer, _, inner = cls.__qualname__.rpartition(".")
        if outer and inner in {"InputSerializer", "OutputSerializer"}:
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return str(super().get_serializer_name(serializer, direction))

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error_codes = ["400", "404", "429"]
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            # A write a business rule refuses: 409 for the object's state (already paid,
            # already claimed), 422 for the request's content (no funds, wrong PIN); 415 for
            # a body in a media type no parser reads.
            error_codes += ["409", "415", "422"]
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            error_codes += ["401", "403"]
        for status_code in error_codes:
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorSerializer, status_code, direction=direction
                )
        return responses
