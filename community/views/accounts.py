import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from community import services
from community.auth import signed_in_user
from community.forms import ProfileForm
from community.models import User
from community.selectors_helping import rating_summary
from core.models import Notification

RECENT_NOTIFICATIONS = 5

# Higher layers own the dashboards of their staff; we only know them by URL name.
_ROLE_HOMES = {
    User.Role.MERCHANT_STAFF: "merchant-home",
    User.Role.PROPERTY_STAFF: "estate-home",
}


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "community/landing.html")
    if user.role in _ROLE_HOMES:
        return redirect(_ROLE_HOMES[User.Role(user.role)])
    recent = Notification.objects.filter(user=user)[:RECENT_NOTIFICATIONS]
    template = (
        "community/home_operator.html"
        if user.role == User.Role.OPERATOR
        else "community/home_resident.html"
    )
    return render(request, template, {"recent_notifications": recent})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=user,
            display_name=form.cleaned_data["display_name"],
            preferred_language=form.cleaned_data["preferred_language"],
        )
        messages.success(request, _("Your profile is saved."))
        response = redirect("profile")
        if form.cleaned_data["preferred_language"]:
            _remember_language(response, form.cleaned_data["preferred_language"])
        return response
    return render(
        request, "community/profile.html", {"form": form, "rating": rating_summary(user.pk)}
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch on every page: remembered on the account when logged in."""
    language = request.POST.get("language", "")
    if isinstance(request.user, User):
        # An unknown language is ignored here as Django's own view ignores it.
        with contextlib.suppress(services.ValidationFailed):
            services.user_update_profile(user=request.user, preferred_language=language)
    return django_set_language(request)


def _remember_language(response: HttpResponse, language: str) -> None:
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
