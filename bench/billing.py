"""Billing benchmark: a month's billing run for 10,000 occupied units against a bare
``bulk_create`` of the same bill and line rows, on the same PostgreSQL in the same run.

Run from the project root: ``.venv/bin/python bench/billing.py`` (``make bench`` runs it).

1. A scratch database (``linli_bench_billing``), migrated, with one estate of 20 buildings
   and 10,000 occupied units (flats, shops and parking spaces; one resident each), written
   in bulk: rates (a building whose property fee changes mid-month, tiered water), a water
   and an electricity reading per unit, a one-off charge for one unit in twenty.
2. ``billing_preview`` (timed, for information), then ``billing_issue`` for the month: the
   figure. It writes the bills, their lines, an event per bill and an inbox entry per
   resident, and marks the run issued.
3. The baseline: ``Bill.objects.bulk_create`` of as many bills, then ``BillLine`` of as many
   lines, with the same shapes (another month, so no conflict), inside a transaction that is
   rolled back so the tables stay as they were. Twice, after the run (it copies the run's
   rows); the faster counts, so the ratio is not flattered.
4. Bills per second of both, the ratio against the target (>= 0.30), the run's number of
   SQL statements; figures to ``bench/results/billing-latest.json``; the scratch database
   is dropped.

PostgreSQL only: a ``DATABASE_URL`` that is not a postgres URL is replaced by
``postgres://linli:linli@127.0.0.1:5432/linli`` (the role needs CREATEDB). If PostgreSQL is
unreachable the benchmark says so and exits 0, or 1 when ``CI`` is set. ``DJANGO_DEBUG`` is
forced off so that Django does not keep every query. Knob: ``BENCH_BILLING_UNITS``
(default 10000).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from _scratch import (
    base_url,
    drop_database,
    maintenance_connection,
    with_database,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "billing-latest.json"
BENCH_DB = "linli_bench_billing"
UNITS = int(os.environ.get("BENCH_BILLING_UNITS", "10000"))
BUILDINGS = 20
PERIOD = date(2026, 6, 1)
BARE_PERIOD = date(2026, 7, 1)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TARGET_RATIO = 0.30


# --- connections (as bench/ledger.py) --------------------------------------------------------


def setup_django(bench_url: str) -> None:
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- the estate ------------------------------------------------------------------------------


def build_estate() -> dict[str, Any]:
    """One estate, 10,000 occupied units, rates, readings and charges, all in bulk."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from community.models import Neighbourhood, User
    from property_mgmt.models import (
        BillingPolicy,
        Building,
        FeeRate,
        Household,
        MeterReading,
        OneOffCharge,
        PropertyCompany,
        Unit,
    )

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()

    estate = Neighbourhood.objects.create(
        name="基准花园", slug="bench-estate", city="上海", address="上海市基准路 1 号"
    )
    company = PropertyCompany.objects.create(name="基准物业")
    company.neighbourhoods.add(estate)
    BillingPolicy.objects.create(neighbourhood=estate, company=company, due_day=15)
    buildings = Building.objects.bulk_create(
        Building(neighbourhood=estate, name=f"{n + 1}号楼", floors=30) for n in range(BUILDINGS)
    )
    per_building = -(-UNITS // BUILDINGS)
    units = []
    for index in range(UNITS):
        building = buildings[index // per_building]
        kind = Unit.Kind.PARKING if index % 20 == 0 else Unit.Kind.FLAT
        kind = Unit.Kind.SHOP if index % 20 == 1 else kind
        area = (
            Decimal("12.50")
            if kind == Unit.Kind.PARKING
            else Decimal(60 + index % 90) + Decimal(".5")
        )
        units.append(Unit(building=building, number=f"{index:05d}", area_m2=area, kind=kind))
    units = Unit.objects.bulk_create(units, batch_size=2000)
    password = make_password(None)
    users = User.objects.bulk_create(
        (
            User(
                phone=f"+86135{n:08d}",
                display_name=f"住户{n}",
                preferred_language="zh-hans" if n % 4 else "en",
                password=password,
            )
            for n in range(UNITS)
        ),
        batch_size=2000,
    )
    Household.objects.bulk_create(
        (
            Household(
                unit=unit,
                user=user,
                phone=user.phone,
                name=user.display_name,
                relation=Household.Relation.OWNER,
                status=Household.Status.CONFIRMED,
            )
            for unit, user in zip(units, users, strict=True)
        ),
        batch_size=2000,
    )
    january = date(2026, 1, 1)
    FeeRate.objects.bulk_create(
        [
            FeeRate(
                neighbourhood=estate, kind="property", price=Decimal("2.50"), effective_from=january
            ),
            FeeRate(
                neighbourhood=estate,
                kind="property",
                unit_kind="shop",
                price=Decimal("4.00"),
                effective_from=january,
            ),
            FeeRate(
                neighbourhood=estate,
                kind="property",
                building=buildings[0],
                price=Decimal("3.00"),
                effective_from=date(2026, 6, 16),
            ),
            FeeRate(
                neighbourhood=estate, kind="parking", price=Decimal("300"), effective_from=january
            ),
            FeeRate(
                neighbourhood=estate,
                kind="water",
                price=Decimal("3.50"),
                tiers=[["10", "3.50"], ["20", "4.20"], [None, "5.00"]],
                effective_from=january,
            ),
            FeeRate(
                neighbourhood=estate,
                kind="electricity",
                price=Decimal("0.60"),
                tiers=[[None, "0.60"]],
                effective_from=january,
            ),
        ]
    )
    readings = []
    for n, unit in enumerate(units):
        if unit.kind == Unit.Kind.PARKING:
            continue
        water = Decimal(5 + n % 25)
        power = Decimal(80 + n % 300)
        readings.append(
            MeterReading(unit=unit, meter="water", period=PERIOD, reading=water, usage=water)
        )
        readings.append(
            MeterReading(unit=unit, meter="electricity", period=PERIOD, reading=power, usage=power)
        )
    MeterReading.objects.bulk_create(readings, batch_size=5000)
    OneOffCharge.objects.bulk_create(
        OneOffCharge(unit=unit, description="维修", amount_minor=50_00, period=PERIOD)
        for unit in units[::20]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "estate_id": estate.pk,
        "migrate_seconds": round(migrated - started, 1),
        "setup_seconds": round(time.monotonic() - migrated, 1),
    }


# --- measured runs ---------------------------------------------------------------------------


class StatementCounter:
    """Counts SQL statements through ``connection.execute_wrapper`` (no debug cursor)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def time_billing(estate_id: int) -> dict[str, Any]:
    from django.db import connection
    from django.urls import reverse

    from community.models import Neighbourhood
    from property_mgmt.models import Bill, BillEvent, BillLine
    from property_mgmt.services import billing

    estate = Neighbourhood.objects.get(pk=estate_id)
    reverse("home")  # the URLconf's one-off import in a fresh process is not the run's cost
    started = time.perf_counter()
    preview = billing.billing_preview(manager=None, neighbourhood=estate, period=PERIOD)
    preview_seconds = time.perf_counter() - started

    counter = StatementCounter()
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        run = billing.billing_issue(run=preview.run)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    bills = Bill.objects.filter(run=run).count()
    lines = BillLine.objects.filter(bill__run=run).count()
    return {
        "preview_seconds": round(preview_seconds, 3),
        "seconds": round(seconds, 3),
        "python_cpu_seconds": round(cpu, 3),
        "statements": counter.count,
        "bills": bills,
        "lines": lines,
        "events": BillEvent.objects.filter(bill__run=run).count(),
        "bills_per_second": bills / seconds,
        "status": run.status,
        "total_minor": run.total_minor,
        "expected_bills": len(preview.plan.bills),
    }


class Rollback(Exception):
    pass


def time_bare(estate_id: int, like_run: int) -> dict[str, Any]:
    """Bulk-create copies of the run's bills and lines (same shapes, another month) in a
    transaction that is then rolled back."""
    from django.db import transaction

    from property_mgmt.models import Bill, BillLine

    bills = list(
        Bill.objects.filter(run_id=like_run).values(
            "pk", "unit_id", "neighbourhood_id", "kind", "title", "status", "total_minor"
        )
    )
    lines_by_bill: dict[int, list[dict[str, Any]]] = {}
    for line in BillLine.objects.filter(bill__run_id=like_run).values(
        "bill_id", "kind", "description", "quantity", "unit_price", "amount_minor"
    ):
        lines_by_bill.setdefault(line.pop("bill_id"), []).append(line)
    due = BARE_PERIOD.replace(day=15)
    figures: dict[str, Any] = {}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            created = Bill.objects.bulk_create(
                Bill(
                    unit_id=b["unit_id"],
                    neighbourhood_id=b["neighbourhood_id"],
                    kind=b["kind"],
                    period=BARE_PERIOD,
                    title=b["title"],
                    status=b["status"],
                    total_minor=b["total_minor"],
                    due_date=due,
                )
                for b in bills
            )
            BillLine.objects.bulk_create(
                BillLine(bill_id=new.pk, **line)
                for new, old in zip(created, bills, strict=True)
                for line in lines_by_bill.get(old["pk"], [])
            )
            seconds = time.perf_counter() - started
            figures = {
                "seconds": round(seconds, 3),
                "bills": len(created),
                "lines": sum(len(v) for v in lines_by_bill.values()),
                "bills_per_second": len(created) / seconds,
            }
            raise Rollback
    except Rollback:
        pass
    return figures


def main() -> int:
    url = base_url()
    safe_url = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
    try:
        admin = maintenance_connection(url)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"Billing benchmark: PostgreSQL is unreachable at {safe_url} ({reason}).")
        if IN_CI:
            print("CI is set: a benchmark run must not pass by skipping.")
            return 1
        print("Skipped (start PostgreSQL or set DATABASE_URL to run it).")
        return 0

    started = time.monotonic()
    print(f"== Billing benchmark on {safe_url.rsplit('/', 1)[0]}: {UNITS} occupied units")
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "units": UNITS,
        "cpus": os.cpu_count(),
        "notes": [
            "one process, one connection; DJANGO_DEBUG=0",
            "billing_issue: bills, lines, an ISSUED event per bill, an inbox entry per "
            "resident, the run row; the bare baseline writes only bills and lines",
            "bare baseline rolled back, run twice after the billing run; the faster counts",
        ],
    }
    try:
        drop_database(admin, BENCH_DB)
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
        setup_django(with_database(url, BENCH_DB))
        print(f"-- scratch database {BENCH_DB}: migrate and build the estate")
        world = build_estate()
        print(f"   migrate {world['migrate_seconds']} s, estate {world['setup_seconds']} s")
        report["setup"] = {k: world[k] for k in ("migrate_seconds", "setup_seconds")}

        from property_mgmt.models import BillingRun

        # The baseline copies the run's own rows, so it follows the run; it is rolled back
        # each time and the faster of two counts, so the tables it meets are as big as the
        # run's were plus the run's own rows: the comparison only favours the baseline.
        print("-- billing_issue")
        run_figures = time_billing(world["estate_id"])
        run_id = BillingRun.objects.get(neighbourhood_id=world["estate_id"]).pk
        print(
            f"   {run_figures['bills']} bills, {run_figures['lines']} lines in "
            f"{run_figures['seconds']} s ({run_figures['statements']} SQL statements; "
            f"preview {run_figures['preview_seconds']} s)"
        )
        print("-- bare bulk_create of the same bills and lines (twice, rolled back)")
        bare_runs = [time_bare(world["estate_id"], run_id) for _ in range(2)]
        for bare in bare_runs:
            print(f"   {bare['bills']} bills, {bare['lines']} lines in {bare['seconds']} s")
        report["billing_issue"] = run_figures
        report["bare_bulk_create"] = max(bare_runs, key=lambda b: b["bills_per_second"])
        report["bare_runs_seconds"] = [b["seconds"] for b in bare_runs]
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(admin, BENCH_DB)
        admin.close()

    issue = report["billing_issue"]
    bare = report["bare_bulk_create"]
    ratio = issue["bills_per_second"] / bare["bills_per_second"]
    report["ratio"] = ratio
    report["target"] = TARGET_RATIO
    report["total_seconds"] = round(time.monotonic() - started, 1)
    sane = (
        issue["status"] == "issued"
        and issue["bills"] == issue["expected_bills"] == UNITS
        and issue["events"] == issue["bills"]
        and issue["lines"] == bare["lines"]
    )
    print()
    print(f"{'':<28}{'bills/s':>10}{'seconds':>9}{'lines':>8}")
    print(
        f"{'billing_issue':<28}{issue['bills_per_second']:>10.0f}{issue['seconds']:>9.2f}"
        f"{issue['lines']:>8}"
    )
    print(
        f"{'bare bulk_create':<28}{bare['bills_per_second']:>10.0f}{bare['seconds']:>9.2f}"
        f"{bare['lines']:>8}"
    )
    verdict = "MET" if ratio >= TARGET_RATIO else "NOT MET"
    print(f"billing run / bare        {ratio:>6.2f}   target >= {TARGET_RATIO:.2f}  {verdict}")
    print(
        f"the run took {issue['statements']} SQL statements for {issue['bills']} bills "
        f"and {issue['python_cpu_seconds']} s of Python CPU"
    )
    if not sane:
        print("!! the run did not write what it should have: see the figures")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Figures written to {RESULTS.relative_to(ROOT)} ({report['total_seconds']} s in all)")
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
