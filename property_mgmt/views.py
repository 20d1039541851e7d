from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from property_mgmt.selectors import companies_for_staff


@login_required
def estate_home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "property_mgmt/home.html", {"companies": companies_for_staff(request.user)}
    )
