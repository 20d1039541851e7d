"""The manager's bill page (lines, history, adjust / waive / cancel) and the one-off bill form:
round trips, double submits, refusals, scoping and query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from property_mgmt.models import Bill, BillEvent, BillLine
from property_mgmt.services import bills
from tests.property_mgmt.bills.conftest import make_bill, on_day, pay, set_policy
from tests.property_mgmt.conftest import make_household_member, make_manager, unit_of

pytestmark = pytest.mark.django_db


def detail_url(bill: Bill, action: str = "") -> str:
    name = f"estate-bill-{action}" if action else "estate-bill-detail"
    return reverse(name, args=[bill.neighbourhood_id, bill.pk])


def test_the_bill_page_shows_lines_and_history(client, estate, manager, unit):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    bill = make_bill(unit, due_date=date(2026, 3, 15))
    with on_day(date(2026, 3, 16)):
        bills.late_fees_accrue()
    bills.bill_adjust(manager=manager, bill=bill, amount_minor=-5_000, reason="面积更正")
    client.force_login(manager)

    page = client.get(detail_url(bill)).content.decode()

    assert 'data-line="late_fee"' in page and "Late fee for March 16, 2026" in page
    assert "面积更正" in page and 'data-event="adjusted"' in page and 'data-event="overdue"' in page
    assert "CN¥960.00" in page  # 1,000.00 + 10.00 late fee − 50.00
    assert "data-adjust-form" in page and "data-waive-form" in page


def test_adjusting_from_the_page_once_even_when_submitted_twice(client, manager, unit):
    bill = make_bill(unit)
    client.force_login(manager)
    form = {"idempotency_key": "k-1", "amount": "-20.50", "reason": "面积更正"}

    first = client.post(detail_url(bill, "adjust"), form)
    second = client.post(detail_url(bill, "adjust"), form)

    assert first.status_code == second.status_code == 302
    bill.refresh_from_db()
    assert bill.total_minor == 100_000 - 2_050
    assert bill.events.filter(kind=BillEvent.Kind.ADJUSTED).count() == 1


@pytest.mark.parametrize("amount", ["0", "abc", "1.234", "-0.00"])
def test_an_adjustment_with_a_bad_amount_is_shown_on_the_form(client, manager, unit, amount):
    bill = make_bill(unit)
    client.force_login(manager)

    response = client.post(
        detail_url(bill, "adjust"), {"idempotency_key": "k", "amount": amount, "reason": "x"}
    )

    assert response.status_code == 422
    assert "Enter an amount such as 25.50 or -25.50." in response.content.decode()
    assert bill.lines.count() == 1


def test_an_adjustment_below_zero_is_refused_on_the_form(client, manager, unit):
    bill = make_bill(unit)
    client.force_login(manager)

    response = client.post(
        detail_url(bill, "adjust"), {"idempotency_key": "k", "amount": "-1000.01", "reason": "x"}
    )

    assert response.status_code == 422
    assert "cannot take the bill&#x27;s total below zero" in response.content.decode()


def test_waiving_and_cancelling_from_the_page(client, estate, manager):
    waived, cancelled = make_bill(unit_of(estate)), make_bill(unit_of(estate, number="102"))
    client.force_login(manager)

    assert client.post(detail_url(waived, "waive"), {"waive-reason": "困难户"}).status_code == 302
    assert (
        client.post(detail_url(cancelled, "cancel"), {"cancel-reason": "开错了"}).status_code == 302
    )

    waived.refresh_from_db()
    cancelled.refresh_from_db()
    assert (waived.status, cancelled.status) == (Bill.Status.WAIVED, Bill.Status.CANCELLED)
    page = client.get(detail_url(waived)).content.decode()
    assert "困难户" in page and "data-waive-form" not in page


def test_waiving_needs_a_reason(client, manager, unit):
    bill = make_bill(unit)
    client.force_login(manager)

    response = client.post(detail_url(bill, "waive"), {"waive-reason": ""})

    assert response.status_code == 422
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN


def test_a_paid_bill_cannot_be_waived_from_the_page(client, manager, unit):
    bill = pay(make_bill(unit), make_household_member(unit))
    client.force_login(manager)

    response = client.post(detail_url(bill, "waive"), {"waive-reason": "想免"}, follow=True)

    assert response.redirect_chain == [(detail_url(bill), 302)]
    assert "already paid, waived or cancelled" in response.content.decode()
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID


def test_pages_of_another_estates_bill_are_404(client, estate, other_estate):
    theirs = make_bill(unit_of(other_estate))
    ours = make_bill(unit_of(estate))
    client.force_login(make_manager(estate))

    # Another estate's bill, directly or under our estate's id
    for url in (
        detail_url(theirs),
        reverse("estate-bill-detail", args=[estate.pk, theirs.pk]),
        reverse("estate-bill-new", args=[other_estate.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for action, data in (
        ("adjust", {"idempotency_key": "k", "amount": "-1", "reason": "x"}),
        ("waive", {"waive-reason": "x"}),
        ("cancel", {"cancel-reason": "x"}),
    ):
        assert client.post(detail_url(theirs, action), data).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Bill.Status.OPEN and theirs.lines.count() == 1
    assert client.get(detail_url(ours)).status_code == 200


def test_a_resident_cannot_see_the_managers_bill_page(client, unit):
    bill = make_bill(unit)
    client.force_login(make_household_member(unit))

    assert client.get(detail_url(bill)).status_code == 404
    assert client.post(detail_url(bill, "waive"), {"waive-reason": "x"}).status_code == 404


def test_issuing_an_adhoc_bill_from_the_page(client, estate, manager):
    client.force_login(manager)
    unit = unit_of(estate, "2号楼", "202")
    due = timezone.localdate() + timedelta(days=14)
    form = {
        "idempotency_key": "adhoc-1",
        "unit": unit.pk,
        "title": "电梯维修分摊",
        "due_date": due.isoformat(),
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "20",
        "lines-0-description": "电梯维修",
        "lines-0-amount": "300",
        "lines-1-description": "公共照明",
        "lines-1-amount": "12.50",
    }

    assert client.get(reverse("estate-bill-new", args=[estate.pk])).status_code == 200
    first = client.post(reverse("estate-bill-new", args=[estate.pk]), form)
    again = client.post(reverse("estate-bill-new", args=[estate.pk]), form)

    bill = Bill.objects.get()
    assert first.url == again.url == detail_url(bill)
    assert (bill.unit, bill.kind, bill.total_minor, bill.due_date) == (
        unit,
        Bill.Kind.ADHOC,
        31_250,
        due,
    )
    assert list(bill.lines.values_list("kind", "amount_minor")) == [
        (BillLine.Kind.ONE_OFF, 30_000),
        (BillLine.Kind.ONE_OFF, 1_250),
    ]


def test_the_adhoc_form_refuses_another_estates_unit_and_a_past_due_date(
    client, estate, other_estate, manager
):
    client.force_login(manager)
    form = {
        "idempotency_key": "adhoc-2",
        "unit": unit_of(other_estate).pk,
        "title": "门禁卡",
        "due_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "门禁卡",
        "lines-0-amount": "20",
    }

    response = client.post(reverse("estate-bill-new", args=[estate.pk]), form)

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"unit", "due_date"}
    assert not Bill.objects.exists()


def test_the_bill_page_queries_do_not_grow_with_lines_and_events(
    client, estate, manager, unit, django_assert_max_num_queries
):
    set_policy(estate, grace_days=0, daily_rate="0.001")
    bill = make_bill(unit, due_date=date(2026, 3, 1))
    for day in range(2, 12):
        with on_day(date(2026, 3, day)):
            bills.late_fees_accrue()
    for n in range(5):
        bills.bill_adjust(manager=make_manager(estate), bill=bill, amount_minor=-n - 1, reason="x")
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(detail_url(bill))

    assert response.content.decode().count('data-line="late_fee"') == 10
    assert response.content.decode().count('data-event="adjusted"') == 5


def test_the_adhoc_form_queries_do_not_grow_with_units(
    client, estate, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("estate-bill-new", args=[estate.pk]))
    page = response.content.decode()
    assert all(f">{u}</option>" in page for u in bills.estate_units(estate))
    assert len(bills.estate_units(estate)) == 8
