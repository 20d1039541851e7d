from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from community.auth import signed_in_user
from merchants.selectors import staff_memberships


@login_required
def merchant_home(request: HttpRequest) -> HttpResponse:
    memberships = staff_memberships(signed_in_user(request))
    return render(request, "merchants/home.html", {"memberships": memberships})
