"""Application errors and the one API error shape.

Every API error leaves as::

    {"error": {"code": "stable_code", "message": "in the caller's language", "fields": {}}}

Services raise ``ApplicationError`` subclasses with a stable ``code``; DRF's own
exceptions (validation, authentication, throttling, 404 …) are mapped onto the same
shape by ``api_exception_handler``. Codes never change once published; messages are
translated at the moment the response is built.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

FieldErrors = dict[str, list[str]]


class ApplicationError(Exception):
    """A business rule refused the operation.

    Subclasses set ``code`` (stable, snake_case), ``default_message`` (translatable)
    and ``status_code``. Instances may carry per-field messages and extra data.
    """

    code: ClassVar[str] = "application_error"
    default_message: ClassVar[str | Promise] = _("The operation could not be completed.")
    status_code: ClassVar[int] = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: dict[str, list[str | Promise]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(force_str(self.message))


class ValidationFailed(ApplicationError):
    code = "validation_failed"
    default_message = _("Some of the values are not valid.")


class NotFound(ApplicationError, Http404):
    """Missing, or not the caller's: pages answer 404 for it as the API does."""

    code = "not_found"
    default_message = _("Not found.")
    status_code = status.HTTP_404_NOT_FOUND


class Forbidden(ApplicationError):
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")
    status_code = status.HTTP_403_FORBIDDEN


# DRF exception class -> (stable code, message in our own words). Our own message is used
# so that every code reads the same whatever DRF's wording of the day.
_DRF_CODES: list[tuple[type[exceptions.APIException], str, str | Promise]] = [
    (exceptions.ValidationError, "validation_failed", ValidationFailed.default_message),
    (exceptions.ParseError, "malformed_request", _("The request body could not be parsed.")),
    (
        exceptions.NotAuthenticated,
        "not_authenticated",
        _("Authentication credentials were not provided."),
    ),
    (
        exceptions.AuthenticationFailed,
        "authentication_failed",
        _("The credentials are not valid."),
    ),
    (exceptions.PermissionDenied, "permission_denied", Forbidden.default_message),
    (exceptions.NotFound, "not_found", NotFound.default_message),
    (exceptions.MethodNotAllowed, "method_not_allowed", _("This method is not allowed here.")),
    (exceptions.NotAcceptable, "not_acceptable", _("The requested format is not available.")),
    (
        exceptions.UnsupportedMediaType,
        "unsupported_media_type",
        _("This content type is not supported."),
    ),
    (exceptions.Throttled, "throttled", _("Too many requests. Please wait and try again.")),
]


def error_body(
    code: str, message: str | Promise, fields: FieldErrors | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": force_str(message), "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def _flatten_field_errors(detail: Any, prefix: str = "") -> FieldErrors:
    """Turn DRF's nested error detail into ``{"a.b": ["msg"]}``."""
    fields: FieldErrors = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            for sub_name, messages in _flatten_field_errors(value, name).items():
                fields.setdefault(sub_name, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [force_str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                name = f"{prefix}.{index}" if prefix else str(index)
                for sub_name, messages in _flatten_field_errors(item, name).items():
                    fields.setdefault(sub_name, []).extend(messages)
    else:
        fields[prefix or "non_field_errors"] = [force_str(detail)]
    return fields


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: every handled error in the one shape.

    Unexpected exceptions return ``None`` so that they propagate as 500s and reach the
    error log; they are bugs, not answers.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        set_rollback()
        app_fields = {name: [force_str(m) for m in msgs] for name, msgs in exc.fields.items()}
        return Response(
            error_body(exc.code, exc.message, app_fields, **exc.extra), status=exc.status_code
        )

    if not isinstance(exc, exceptions.APIException):
        return None

    code, message = "error", force_str(exc.detail) if isinstance(exc.detail, str) else ""
    for exc_class, known_code, known_message in _DRF_CODES:
        if isinstance(exc, exc_class):
            code, message = known_code, force_str(known_message)
            break

    fields: FieldErrors = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_field_errors(exc.detail)

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    extra: dict[str, Any] = {}
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        headers["Retry-After"] = str(int(wait))
        extra["retry_after"] = int(wait)

    set_rollback()
    return Response(
        error_body(code, message, fields, **extra), status=exc.status_code, headers=headers
    )
