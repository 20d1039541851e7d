from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import error_body


class PreferredLanguageMiddleware:
    """A logged-in user's saved language wins over the browser's.

    Sits after ``LocaleMiddleware`` (browser, cookie) and ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user else ""
        if language and user is not None and user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


# Paths an operator without two-factor may still reach: enough to set it up or leave.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/language/", "/healthz")


class OperatorMfaRequiredMiddleware:
    """Operators move other people's money: they must have TOTP before doing anything."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "is_operator", False)
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            message = _("Operators must set up two-factor authentication first.")
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("mfa_required", message), status=403)
            messages.warning(request, message)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
