from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from community.auth import signed_in_user
from property_mgmt.selectors import companies_for_staff


@login_required
def estate_home(request: HttpRequest) -> HttpResponse:
    companies = companies_for_staff(signed_in_user(request))
    return render(request, "property_mgmt/home.html", {"companies": companies})
