"""The billing pages: scoping, the preview-approve flow, forms, and query counts that do
not grow with the rows listed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from property_mgmt.models import Bill, BillingRun, Building, FeeRate, MeterReading, OneOffCharge
from property_mgmt.services import billing
from property_mgmt.services import fees as fee_services
from tests.property_mgmt.billing.conftest import JUNE, add_units, occupy, set_rate, standard_rates
from tests.property_mgmt.conftest import make_manager, unit_of

pytestmark = pytest.mark.django_db

PAGES = ["estate-billing", "estate-fees", "estate-readings", "estate-charges"]


def test_a_manager_of_another_estate_gets_404_on_every_page(client, estate, other_estate, manager):
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run
    client.force_login(make_manager(other_estate))
    for name in PAGES:
        assert client.get(reverse(name, args=[estate.pk])).status_code == 404, name
        assert client.post(reverse(name, args=[estate.pk]), {}).status_code == 404, name
    assert client.get(reverse("estate-billing-run", args=[estate.pk, run.pk])).status_code == 404
    approve = reverse("estate-billing-approve", args=[estate.pk, run.pk])
    assert client.post(approve).status_code == 404
    # Nor does their own estate's address reach our run
    assert (
        client.get(reverse("estate-billing-run", args=[other_estate.pk, run.pk])).status_code == 404
    )
    assert BillingRun.objects.get().status == "preview"


def test_a_resident_gets_404_on_the_staff_pages_of_their_own_estate(client, estate):
    client.force_login(occupy(unit_of(estate)))
    for name in PAGES:
        assert client.get(reverse(name, args=[estate.pk])).status_code == 404, name


def test_preview_then_approve_issues_the_bills(
    client, estate, manager, django_capture_on_commit_callbacks
):
    standard_rates(manager, estate)
    occupy(unit_of(estate, "1号楼", "101"))
    occupy(unit_of(estate, "1号楼", "102"))
    client.force_login(manager)

    # When the manager previews June
    response = client.post(reverse("estate-billing", args=[estate.pk]), {"month": "2026-06"})
    run = BillingRun.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    # Then the page shows the two bills and the total, 223.75 + 300.00, and no bill exists
    assert "1号楼-101" in page and "1号楼-102" in page
    assert "¥523.75" in page
    assert not Bill.objects.exists()

    # When they approve
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(reverse("estate-billing-approve", args=[estate.pk, run.pk]))
    assert approved.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.bill_count, run.total_minor) == ("issued", 2, 523_75)
    page = client.get(reverse("estate-billing-run", args=[estate.pk, run.pk])).content.decode()
    assert 'data-status="issued"' in page and "1号楼-102" in page
    # And previewing June again is refused on the page
    again = client.post(reverse("estate-billing", args=[estate.pk]), {"month": "2026-06"})
    assert again.status_code == 200
    assert "already been issued" in again.content.decode()


def test_setting_a_tiered_rate_on_the_page(client, estate, manager):
    client.force_login(manager)
    building = Building.objects.get(neighbourhood=estate, name="1号楼")
    response = client.post(
        reverse("estate-fees", args=[estate.pk]),
        {
            "kind": "water",
            "tiers": "10:3.50，:5.00",
            "effective_from": "2026-06-16",
            "building": building.pk,
        },
    )
    assert response.status_code == 302
    rate = FeeRate.objects.get()
    assert (rate.tiers, rate.building, rate.effective_from) == (
        [["10", "3.50"], [None, "5.00"]],
        building,
        date(2026, 6, 16),
    )
    bad = client.post(
        reverse("estate-fees", args=[estate.pk]),
        {"kind": "water", "tiers": "10:3.50", "effective_from": "2026-07-01"},
    )
    assert bad.status_code == 200 and FeeRate.objects.count() == 1


def test_entering_and_importing_readings_on_the_page(client, estate, manager):
    client.force_login(manager)
    building = Building.objects.get(neighbourhood=estate, name="1号楼")
    url = reverse("estate-readings", args=[estate.pk])
    saved = client.post(
        f"{url}?month=2026-06",
        {"building": building.pk, "unit": "101", "meter": "water", "reading": "12.5"},
    )
    assert saved.status_code == 302
    assert MeterReading.objects.get().period == JUNE

    bad_file = SimpleUploadedFile(
        "june.csv", "building,unit,meter,reading\n1号楼,999,water,5\n".encode()
    )
    refused = client.post(
        f"{reverse('estate-readings-import', args=[estate.pk])}?month=2026-06", {"file": bad_file}
    )
    assert refused.status_code == 200
    assert "data-bad-rows" in refused.content.decode()
    assert MeterReading.objects.count() == 1

    good_file = SimpleUploadedFile(
        "june.csv", "building,unit,meter,reading\n1号楼,102,electricity,300\n".encode()
    )
    imported = client.post(
        f"{reverse('estate-readings-import', args=[estate.pk])}?month=2026-06", {"file": good_file}
    )
    assert imported.status_code == 302
    assert MeterReading.objects.count() == 2


def test_adding_a_charge_on_the_page(client, estate, manager):
    client.force_login(manager)
    building = Building.objects.get(neighbourhood=estate, name="2号楼")
    response = client.post(
        reverse("estate-charges", args=[estate.pk]),
        {
            "building": building.pk,
            "unit": "202",
            "description": "管道维修",
            "amount": "88.80",
            "month": "2026-06",
        },
    )
    assert response.status_code == 302
    charge = OneOffCharge.objects.get()
    assert (charge.unit, charge.amount_minor, charge.period) == (
        unit_of(estate, "2号楼", "202"),
        88_80,
        JUNE,
    )


def _fill(estate, manager, units):
    standard_rates(manager, estate)
    for kind, price in (("property", "2.60"), ("parking", "320")):
        set_rate(manager, estate, kind, price, effective_from=date(2026, 6, 16))
    for unit in add_units(estate, units):
        occupy(unit)
        fee_services.reading_record(
            manager=manager, unit=unit, meter="water", period=JUNE, reading=Decimal("1")
        )
        fee_services.one_off_charge_add(
            manager=manager, unit=unit, description="维修", amount_minor=100, period=JUNE
        )
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run
    return run


@pytest.mark.parametrize("name", PAGES)
def test_list_pages_take_a_fixed_number_of_queries(
    client, estate, manager, name, django_assert_max_num_queries
):
    _fill(estate, manager, 30)
    client.force_login(manager)
    url = reverse(name, args=[estate.pk])
    with django_assert_max_num_queries(14):
        assert client.get(url, {"month": "2026-06"}).status_code == 200


def test_the_run_pages_take_a_fixed_number_of_queries(
    client, estate, manager, django_assert_max_num_queries
):
    run = _fill(estate, manager, 30)
    client.force_login(manager)
    url = reverse("estate-billing-run", args=[estate.pk, run.pk])
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200
    billing.billing_issue(run=run, approved_by=manager)
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.content.decode().count("data-bill=") == 20
