from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import notifications
from core.errors import NotFound, error_body
from core.health import run_checks
from core.models import Notification

INBOX_PAGE_SIZE = 20


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a URL under ``/api/`` that matches no route (``/api/v1/shops/-1/``)
    still answers in the API's one error shape, not with the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(NotFound.code, NotFound.default_message), status=404)
    return defaults.page_not_found(request, exception)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    # login_required: the user has a primary key here.
    entries = Notification.objects.filter(user_id=cast(int, request.user.pk))
    page = Paginator(entries, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        entry = notifications.notification_mark_read(
            user=request.user, notification_id=notification_id
        )
    except Notification.DoesNotExist:
        return redirect("inbox")
    if entry.url:
        return redirect(entry.url)
    return redirect("inbox")


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    notifications.notifications_mark_all_read(user=request.user)
    return redirect("inbox")
