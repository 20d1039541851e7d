"""The billing API: shapes, error codes, scoping and query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from property_mgmt.models import Bill, BillingRun, FeeRate, MeterReading, OneOffCharge
from tests.property_mgmt.billing.conftest import occupy, standard_rates
from tests.property_mgmt.billing.test_pages import _fill
from tests.property_mgmt.conftest import make_manager, unit_of

pytestmark = pytest.mark.django_db


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def url(name, *args):
    return reverse(name, args=args)


def test_anonymous_callers_are_refused(estate):
    assert APIClient().get(url("api-estate-fee-rates", estate.pk)).status_code == 401


def test_set_and_list_rates(estate, manager):
    api = api_for(manager)
    created = api.post(
        url("api-estate-fee-rates", estate.pk),
        {
            "kind": "water",
            "tiers": [["10", "3.50"], [None, "5.00"]],
            "effective_from": "2026-06-01",
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json() | {"id": 0} == {
        "id": 0,
        "kind": "water",
        "price": "3.5000",
        "tiers": [["10", "3.50"], [None, "5.00"]],
        "building_id": None,
        "building": None,
        "unit_kind": "",
        "effective_from": "2026-06-01",
    }
    refused = api.post(
        url("api-estate-fee-rates", estate.pk),
        {"kind": "property", "effective_from": "2026-06-01"},
        format="json",
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "fee_rate_invalid"
    gas = api.post(
        url("api-estate-fee-rates", estate.pk),
        {"kind": "gas", "price": "1", "effective_from": "2026-06-01"},
        format="json",
    )
    assert (gas.status_code, gas.json()["error"]["fields"]) == (422, {"kind": ["Choose a fee."]})
    assert [r["kind"] for r in api.get(url("api-estate-fee-rates", estate.pk)).json()] == ["water"]


def test_readings_record_list_and_import(estate, manager):
    api = api_for(manager)
    body = {
        "building": "1号楼",
        "unit": "101",
        "meter": "water",
        "month": "2026-05",
        "reading": "100",
    }
    assert api.post(url("api-estate-readings", estate.pk), body, format="json").status_code == 201
    lower = api.post(
        url("api-estate-readings", estate.pk),
        body | {"month": "2026-06", "reading": "90"},
        format="json",
    )
    assert (lower.status_code, lower.json()["error"]["code"]) == (422, "reading_below_previous")
    missing = api.post(url("api-estate-readings", estate.pk), body | {"unit": "999"}, format="json")
    assert missing.status_code == 404

    bad = SimpleUploadedFile("r.csv", "building,unit,meter,reading\n1号楼,101,gas,1\n".encode())
    refused = api.post(
        url("api-estate-readings-import", estate.pk), {"month": "2026-06", "file": bad}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "readings_import_invalid"
    assert refused.json()["error"]["rows"] == [
        {"row": 2, "column": "meter", "reason": "Write water or electricity."}
    ]
    good = SimpleUploadedFile(
        "r.csv", "building,unit,meter,reading\n1号楼,101,water,114\n".encode()
    )
    imported = api.post(
        url("api-estate-readings-import", estate.pk), {"month": "2026-06", "file": good}
    )
    assert (imported.status_code, imported.json()) == (201, {"imported": 1})
    listed = api.get(url("api-estate-readings", estate.pk), {"month": "2026-06"}).json()
    assert [(r["unit"], r["reading"], r["usage"]) for r in listed] == [("101", "114.00", "14.00")]


def test_charges_add_and_list(estate, manager):
    api = api_for(manager)
    added = api.post(
        url("api-estate-charges", estate.pk),
        {
            "building": "1号楼",
            "unit": "102",
            "description": "门禁卡",
            "amount_minor": 2000,
            "month": "2026-06",
        },
        format="json",
    )
    assert added.status_code == 201
    assert added.json()["amount_minor"] == 2000 and added.json()["month"] == "2026-06"
    assert len(api.get(url("api-estate-charges", estate.pk)).json()) == 1


def test_preview_then_issue(estate, manager, django_capture_on_commit_callbacks):
    standard_rates(manager, estate)
    occupy(unit_of(estate, "1号楼", "101"))
    api = api_for(manager)
    preview = api.post(
        url("api-estate-billing-preview", estate.pk), {"month": "2026-06"}, format="json"
    )
    assert preview.status_code == 200
    body = preview.json()
    assert body["run"]["status"] == "preview" and body["run"]["total_minor"] == 223_75
    assert body["due_date"] == "2026-06-15"
    assert body["totals_by_kind"] == {"property": 223_75}
    assert body["sample"][0]["lines"][0]["amount_minor"] == 223_75
    run_id = body["run"]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        issued = api.post(url("api-estate-billing-issue", estate.pk, run_id))
    # Then it is accepted and issuing; the task ran once the approval committed
    assert (issued.status_code, issued.json()["status"]) == (202, "issuing")
    runs = api.get(url("api-estate-billing-runs", estate.pk)).json()
    assert [(r["status"], r["bill_count"]) for r in runs] == [("issued", 1)]
    # Again: nothing new
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(url("api-estate-billing-issue", estate.pk, run_id)).status_code == 202
    assert Bill.objects.count() == 1
    again = api.post(
        url("api-estate-billing-preview", estate.pk), {"month": "2026-06"}, format="json"
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "billing_run_already_issued")
    runs = api.get(url("api-estate-billing-runs", estate.pk)).json()
    assert [(r["month"], r["status"]) for r in runs] == [("2026-06", "issued")]


def test_a_manager_of_another_estate_gets_404_for_everything(estate, other_estate, manager):
    standard_rates(manager, estate)
    run = (
        api_for(manager)
        .post(url("api-estate-billing-preview", estate.pk), {"month": "2026-06"}, format="json")
        .json()["run"]
    )
    api = api_for(make_manager(other_estate))
    for name in ("api-estate-fee-rates", "api-estate-charges", "api-estate-billing-runs"):
        assert api.get(url(name, estate.pk)).status_code == 404, name
    assert api.get(url("api-estate-readings", estate.pk), {"month": "2026-06"}).status_code == 404
    for name in (
        "api-estate-fee-rates",
        "api-estate-readings",
        "api-estate-readings-import",
        "api-estate-charges",
        "api-estate-billing-preview",
    ):
        assert api.post(url(name, estate.pk), {}, format="json").status_code == 404, name
    assert api.post(url("api-estate-billing-issue", estate.pk, run["id"])).status_code == 404
    assert api.post(url("api-estate-billing-issue", other_estate.pk, run["id"])).status_code == 404
    assert BillingRun.objects.get().status == "preview"
    assert FeeRate.objects.count() == 4 and not MeterReading.objects.exists()
    assert not OneOffCharge.objects.exists()


def test_a_resident_gets_404(estate):
    api = api_for(occupy(unit_of(estate)))
    assert api.get(url("api-estate-billing-runs", estate.pk)).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "api-estate-fee-rates",
        "api-estate-charges",
        "api-estate-billing-runs",
        "api-estate-readings",
    ],
)
def test_lists_take_a_fixed_number_of_queries(estate, manager, name, django_assert_max_num_queries):
    _fill(estate, manager, 30)
    api = api_for(manager)
    with django_assert_max_num_queries(4):
        response = api.get(url(name, estate.pk), {"month": "2026-06"})
    assert response.status_code == 200 and len(response.json()) >= 1


def test_the_preview_takes_a_fixed_number_of_queries(
    estate, manager, django_assert_max_num_queries
):
    _fill(estate, manager, 30)
    with django_assert_max_num_queries(16):
        response = api_for(manager).post(
            url("api-estate-billing-preview", estate.pk), {"month": "2026-06"}, format="json"
        )
    assert response.json()["run"]["bill_count"] == 30
