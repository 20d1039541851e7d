"""Residents see which company manages their estate."""

import pytest
from django.urls import reverse

from community.models import Membership
from property_mgmt.models import PropertyCompany
from property_mgmt.services import company_take_over
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_estate_page_names_the_managing_company(client):
    estate = NeighbourhoodFactory()
    company = PropertyCompany.objects.create(name="安居物业")
    company_take_over(company=company, neighbourhood=estate)
    resident = UserFactory(preferred_language="en")
    Membership.objects.create(user=resident, neighbourhood=estate)
    client.force_login(resident)

    response = client.get(reverse("estate-detail", args=[estate.pk]))

    assert response.status_code == 200
    assert "Managed by 安居物业" in response.content.decode()


def test_the_estate_page_leads_to_circles_help_and_shops(client):
    estate = NeighbourhoodFactory()
    resident = UserFactory(preferred_language="en")
    Membership.objects.create(user=resident, neighbourhood=estate)
    client.force_login(resident)

    body = client.get(reverse("estate-detail", args=[estate.pk])).content.decode()

    for name in ("circle-list", "help-board", "estate-shops"):
        assert f'href="{reverse(name, args=[estate.pk])}"' in body
