from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from merchants.selectors import staff_memberships


@login_required
def merchant_home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "merchants/home.html", {"memberships": staff_memberships(request.user)}
    )
