"""Ledger benchmark: payments per second against pgbench's TPC-B on the same PostgreSQL.

Run from the project root: ``.venv/bin/python bench/ledger.py`` (``make bench`` runs it).

1. Baseline: pgbench's built-in TPC-B script, 8 clients and 2 threads, against a scratch
   database (``linli_bench_pgbench``, ``pgbench -i -s 8``).
2. A scratch wallet database (``linli_bench``): migrated, with residents (level III, PIN set,
   limits raised, wallets funded through ``ledger.post`` as a top-up would) and merchants.
3. ``wallet.services.payments.payment_create`` from 8 worker processes, for a fixed time per
   scenario: *uniform* (payees spread over 50 merchants), *hot-plain* (every payment to one
   merchant with no shards) and *hot-sharded* (every payment to a second merchant, alike but
   made hot with ``payee_account(..., hot_shards=16)``). The scenarios alternate in rounds.
4. Two references: the service's two statements from bare psycopg (no Django, no PIN
   check, no notices: what any Python client of this design costs at least); and the one
   the wallet issue quotes, a plain Django transfer (``select_for_update`` of both wallets,
   then ``save()`` of each) between random residents, after the ledger check (it moves
   balances without postings, as such a transfer does).
5. A table of throughput, latency and ratios against the targets, the SQL statements of one
   payment, and the ledger check of the bench database. Figures also go to
   ``bench/results/ledger-latest.json``. Both scratch databases are dropped at the end.

PostgreSQL only: a ``DATABASE_URL`` that is not a postgres URL is replaced by
``postgres://linli:linli@127.0.0.1:5432/linli`` (the role needs CREATEDB). If PostgreSQL is
unreachable the benchmark says so and exits 0, or 1 when ``CI`` is set.

The PIN is hashed with MD5 here (PASSWORD_HASHERS is overridden right after
``django.setup()``): the default PBKDF2 costs ~0.2 s of CPU a check, which is the PIN's cost,
not the ledger's. ``DJANGO_DEBUG`` is forced off so that Django does not log every query.

Knobs (environment): ``BENCH_SECONDS`` (per scenario and for pgbench, default 15),
``BENCH_ROUNDS`` (default 2), ``BENCH_CLIENTS`` (default 8), ``BENCH_USERS`` (default 200).
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _measure import machine_busy_fraction, machine_busy_seconds, percentile
from _scratch import (
    base_url,
    drop_database,
    maintenance_connection,
    recreate_database,
    with_database,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ledger-latest.json"
BENCH_DB = "linli_bench"
PGBENCH_DB = "linli_bench_pgbench"
PGBENCH_SCALE = 8
THREADS = 2
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))  # per scenario, over all rounds
# Scenarios alternate in short rounds so that drift (a growing database, other load on the
# machine) does not favour whichever scenario runs first.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
USERS = int(os.environ.get("BENCH_USERS", "200"))
MERCHANTS = 50
HOT_SHARDS = 16
PIN = "246810"
FUNDING_MINOR = 10_000_00  # ¥10,000 a wallet; payments are ¥1.00-9.99
WARMUP_PAYMENTS = 3
CAPTURED_PAYMENTS = 20
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

TARGET_UNIFORM_VS_TPCB = 0.5
TARGET_HOT_VS_UNIFORM = 0.8


# --- Connections ---------------------------------------------------------------------------


# --- CPU accounting (Linux /proc; figures are None elsewhere) ------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU of a local PostgreSQL backend, if it is visible in /proc."""
    try:
        if not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres"):
            return None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per_item_ms(seconds: float | None, items: int) -> float | None:
    return None if seconds is None or not items else seconds * 1000 / items


# --- Baseline: pgbench TPC-B ---------------------------------------------------------------


def pgbench_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": parts.hostname or "127.0.0.1",
            "PGPORT": str(parts.port or 5432),
            "PGUSER": parts.username or "",
            "PGPASSWORD": parts.password or "",
        }
    )
    return env


def run_pgbench(url: str, admin: Any) -> dict[str, Any]:
    binary = shutil.which("pgbench")
    if binary is None:
        print("!! pgbench is not installed: no TPC-B baseline (apt-get install postgresql-client)")
        return {"tps": None, "error": "pgbench not installed"}
    env = pgbench_env(url)
    recreate_database(admin, PGBENCH_DB)
    started = time.monotonic()
    subprocess.run(
        [binary, "-i", "-q", "-s", str(PGBENCH_SCALE), PGBENCH_DB],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    init_seconds = time.monotonic() - started
    print(f"   pgbench -i -s {PGBENCH_SCALE}: {init_seconds:.1f} s")
    command = [
        binary,
        "-c",
        str(CLIENTS),
        "-j",
        str(THREADS),
        "-T",
        str(round(SECONDS)),
        "-r",
        PGBENCH_DB,
    ]
    busy_before = machine_busy_seconds()
    result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    busy_after = machine_busy_seconds()
    tps_match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if tps_match is None:
        tps_match = re.search(r"tps = ([\d.]+)", result.stdout)
    latency_match = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    failed_match = re.search(r"number of failed transactions: (\d+)", result.stdout)
    done_match = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
    done = int(done_match.group(1)) if done_match else 0
    busy = None if busy_before is None or busy_after is None else busy_after - busy_before
    drop_database(admin, PGBENCH_DB)
    if tps_match is None:
        print(result.stdout)
        raise RuntimeError("could not read the tps from pgbench's output")
    return {
        "tps": float(tps_match.group(1)),
        "latency_avg_ms": float(latency_match.group(1)) if latency_match else None,
        "failed": int(failed_match.group(1)) if failed_match else None,
        "transactions": done,
        # Machine-wide: pgbench's client, the server and anything else running.
        "machine_cpu_ms_per_tx": per_item_ms(busy, done),
        "command": " ".join(["pgbench", *command[1:]]),
        "scale": PGBENCH_SCALE,
    }


# The service's two statements with its parameters, from a C client: what a payment costs
# PostgreSQL alone, and so how far a client without Python could take it.
REPLAY_SCRIPT = """\\set u random(:umin, :umax)
\\set p random(:pmin, :pmax)
SELECT * FROM wallet_walletprofile WHERE user_id = :u;
SELECT * FROM wallet_pay(:u, :p, NULL, 'CNY', 100, 'replay', '{}'::jsonb, now(), 100,
    ARRAY['year', 'day'], ARRAY[date_trunc('year', current_date)::date, current_date],
    ARRAY[:ycap, :dcap]::bigint[], ARRAY['verification_limit_reached', 'daily_limit_exceeded'],
    '[{"user_id": 1, "kind": "payment_sent", "template": "You paid %(amount)s to %(party)s",
       "amount_minor": 100, "currency": "CNY", "party": "replay",
       "url": "/wallet/transactions/{transaction}/", "data": {}}]'::jsonb);
"""


def replay_with_pgbench(url: str, user_ids: list[int], payee_ids: list[int]) -> dict[str, Any]:
    """pgbench runs the service's SQL (profile read, then ``wallet_pay``) on the bench
    database: same clients, same time as TPC-B. Needs contiguous ids, as a fresh world has."""
    binary = shutil.which("pgbench")
    contiguous = all(ids and max(ids) - min(ids) + 1 == len(ids) for ids in (user_ids, payee_ids))
    if binary is None or not contiguous:
        return {"tps": None, "error": "pgbench missing or ids not contiguous"}
    from wallet.services.limits import LEVEL_LIMITS
    from wallet.services.profile import MAX_DAILY_LIMIT_MINOR

    script = RESULTS.parent / "replay.sql"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(REPLAY_SCRIPT)
    command = [
        binary, "-n", "-c", str(CLIENTS), "-j", str(THREADS), "-T", str(round(SECONDS)),
        "-f", str(script),
        "-D", f"umin={min(user_ids)}", "-D", f"umax={max(user_ids)}",
        "-D", f"pmin={min(payee_ids)}", "-D", f"pmax={max(payee_ids)}",
        "-D", f"ycap={LEVEL_LIMITS[3][1]}", "-D", f"dcap={MAX_DAILY_LIMIT_MINOR}",
        BENCH_DB,
    ]  # fmt: skip
    busy_before = machine_busy_seconds()
    result = subprocess.run(command, env=pgbench_env(url), capture_output=True, text=True)
    busy_after = machine_busy_seconds()
    script.unlink(missing_ok=True)
    tps_match = re.search(r"tps = ([\d.]+)", result.stdout)
    done_match = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
    failed_match = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if result.returncode != 0 or tps_match is None:
        return {"tps": None, "error": (result.stderr or result.stdout).strip()[-300:]}
    done = int(done_match.group(1)) if done_match else 0
    busy = None if busy_before is None or busy_after is None else busy_after - busy_before
    return {
        "tps": float(tps_match.group(1)),
        "transactions": done,
        "failed": int(failed_match.group(1)) if failed_match else None,
        "machine_cpu_ms_per_tx": per_item_ms(busy, done),
    }


# --- Wallet set-up -------------------------------------------------------------------------


def setup_django(bench_url: str) -> None:
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # DEBUG would record every query in connection.queries: not what production pays.
    os.environ["DJANGO_DEBUG"] = "0"
    # Eager Celery tasks (no REDIS_URL) would log a line for every payment's notice.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import hashers

    # The PIN check runs on every payment; its hashing (3.9 ms of CPU per check in
    # production, see wallet/hashers.py) is the PIN's cost, not the ledger's.
    from wallet.hashers import PinHasher

    PinHasher.iterations = 1
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "wallet.hashers.PinHasher",
    ]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()
    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("kombu").setLevel(logging.ERROR)  # "No hostname was supplied" (memory://)


def create_wallet_world() -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from community.models import User
    from wallet.hashers import peppered
    from wallet.models import Account, JournalTransaction, WalletProfile
    from wallet.services import ledger
    from wallet.services.accounts import payee_account, system_account, wallet_account
    from wallet.services.profile import MAX_DAILY_LIMIT_MINOR, MAX_SINGLE_LIMIT_MINOR

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()

    # Merchants first: their account ids are lower than the wallets', so a payment locks
    # the payee's row before the payer's (the longer of the two possible lock holds).
    merchants = [
        payee_account(kind=Account.Kind.MERCHANT, owner_ref=f"shop:{n}", name=f"商户{n}")
        for n in range(MERCHANTS)
    ]
    # Two busy shops alike but for the shards, which the caller adds to the second.
    hot = payee_account(kind=Account.Kind.MERCHANT, owner_ref="shop:hot", name="热门商户")
    sharded = payee_account(kind=Account.Kind.MERCHANT, owner_ref="shop:hot2", name="热门商户二")

    users = User.objects.bulk_create(
        User(
            phone=f"+86136{n:08d}",
            display_name=f"住户{n}",
            real_name=f"住户{n}",
            verification_level=User.VerificationLevel.III,
            phone_verified=True,
            preferred_language="zh-hans",
            password=make_password(None),
        )
        for n in range(USERS)
    )
    now = timezone.now()
    WalletProfile.objects.bulk_create(
        WalletProfile(
            user=user,
            # Stored as pin_set stores it: the PIN keyed with the pepper, then hashed.
            pin_hash=make_password(peppered(PIN)),
            pin_changed_at=now,
            single_limit_minor=MAX_SINGLE_LIMIT_MINOR,
            daily_limit_minor=MAX_DAILY_LIMIT_MINOR,
        )
        for user in users
    )
    clearing = system_account(Account.SystemCode.BANK_CLEARING)
    for user in users:
        with transaction.atomic():
            ledger.post(
                kind=JournalTransaction.Kind.TOPUP,
                legs=[
                    ledger.Leg(clearing, -FUNDING_MINOR),
                    ledger.Leg(wallet_account(user), FUNDING_MINOR),
                ],
                description="bench funding",
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "user_ids": [user.pk for user in users],
        "merchant_ids": [account.pk for account in merchants],
        "hot_id": hot.pk,
        "sharded_id": sharded.pk,
        "migrate_seconds": round(migrated - started, 1),
        "setup_seconds": round(time.monotonic() - migrated, 1),
    }


# --- Measured runs -------------------------------------------------------------------------


def worker(
    index: int,
    user_ids: list[int],
    payee_ids: list[int],
    seconds: float,
    barrier: Any,
    results: Any,
    mode: str,
) -> None:
    """One client: pays round-robin from its own residents until the time is up."""
    try:
        pay_until_deadline(index, user_ids, payee_ids, seconds, barrier, results, mode)
    except BaseException:
        barrier.abort()  # the others and the parent stop waiting for this one
        raise


def pay_until_deadline(
    index: int,
    user_ids: list[int],
    payee_ids: list[int],
    seconds: float,
    barrier: Any,
    results: Any,
    mode: str,
) -> None:
    from django.db import connection, connections

    # Never touch a socket inherited from the parent (the parent closed its own first).
    connections.close_all()
    from community.models import User
    from wallet.models import Account
    from wallet.services.payments import payment_create

    rng = random.Random(index)
    payers = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    payees = list(Account.objects.filter(pk__in=payee_ids).order_by("pk"))
    count = 0

    if mode == "bare":
        bare = BarePayer(rng)
    if mode == "plain":
        wallets = list(
            Account.objects.filter(
                owner_id__in=user_ids, kind=Account.Kind.CUSTOMER, currency="CNY"
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        payee_ids = list(
            Account.objects.filter(kind=Account.Kind.CUSTOMER, currency="CNY").values_list(
                "pk", flat=True
            )
        )

    def pay() -> None:
        nonlocal count
        payer = payers[count % len(payers)]
        count += 1
        if mode == "plain":
            plain_transfer(wallets[count % len(wallets)], rng.choice(payee_ids), 1)
            return
        if mode == "bare":
            bare.pay(payer.pk, rng.choice(payee_ids))
            return
        payment_create(
            payer=payer,
            payee=rng.choice(payees),
            amount_minor=rng.randint(100, 999),
            description="bench",
            pin=PIN,
        )

    for _ in range(WARMUP_PAYMENTS):
        pay()
    if mode == "bare":
        backend_pid = bare.connection.info.backend_pid
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid = cursor.fetchone()[0]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    barrier.wait(timeout=120)
    start = time.monotonic()
    cpu_start, backend_start = time.process_time(), process_cpu_seconds(backend_pid)
    deadline = start + seconds
    while time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            pay()
        except Exception as error:  # counted, never hidden
            errors[f"{type(error).__name__}: {str(error)[:80]}"] += 1
            continue
        latencies.append((time.perf_counter() - began) * 1000)
    end = time.monotonic()
    cpu = time.process_time() - cpu_start
    backend_end = process_cpu_seconds(backend_pid)
    backend = None if backend_start is None or backend_end is None else backend_end - backend_start
    connections.close_all()
    results.put(
        {
            "index": index,
            "start": start,
            "end": end,
            "latencies": latencies,
            "errors": errors,
            "client_cpu": cpu,
            "server_cpu": backend,
        }
    )


class BarePayer:
    """The service's two statements from Python with nothing else: psycopg without Django,
    prepared statements, autocommit, the same parameters as the pgbench replay; no PIN
    check, no limit plan, no notices' text, no wake-up. What any Python client of this
    design pays at least per payment."""

    def __init__(self, rng: random.Random) -> None:
        import psycopg
        from django.conf import settings
        from django.utils import timezone

        from wallet.services.limits import LEVEL_LIMITS
        from wallet.services.profile import MAX_DAILY_LIMIT_MINOR

        db = settings.DATABASES["default"]
        self.connection = psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"],
            dbname=db["NAME"],
            autocommit=True,
            prepare_threshold=0,
        )
        self.rng = rng
        today = timezone.localdate()
        self.periods = [today.replace(month=1, day=1), today]
        self.caps = [LEVEL_LIMITS[3][1], MAX_DAILY_LIMIT_MINOR]
        self.notices = psycopg.types.json.Jsonb(
            [
                {
                    "user_id": 1,
                    "kind": "payment_sent",
                    "template": "You paid %(amount)s to %(party)s",
                    "amount_minor": 100,
                    "currency": "CNY",
                    "party": "bare",
                    "url": "/wallet/transactions/{transaction}/",
                    "data": {},
                }
            ]
        )
        self.metadata = psycopg.types.json.Jsonb({})

    def pay(self, user_id: int, payee_id: int) -> None:
        from django.utils import timezone

        amount = self.rng.randint(100, 999)
        self.connection.execute(
            "SELECT * FROM wallet_walletprofile WHERE user_id = %s", (user_id,)
        ).fetchone()
        self.connection.execute(
            "SELECT * FROM wallet_pay(%s, %s, NULL, 'CNY', %s, 'bare', %s, %s, %s,"
            " ARRAY['year', 'day'], %s, %s,"
            " ARRAY['verification_limit_reached', 'daily_limit_exceeded'], %s)",
            (
                user_id,
                payee_id,
                amount,
                self.metadata,
                timezone.now(),
                amount,
                self.periods,
                self.caps,
                self.notices,
            ),
        ).fetchone()


def plain_transfer(source_id: int, target_id: int, amount_minor: int) -> None:
    """The naive transfer the wallet issue measured as its reference: both rows locked in
    primary-key order, the balance checked in Python, each row saved whole. No journal, no
    postings, no limits, no PIN, no notices."""
    from django.db import transaction

    from wallet.models import Account

    if source_id == target_id:
        return
    with transaction.atomic():
        rows = {
            account.pk: account
            for account in Account.objects.select_for_update()
            .filter(pk__in=(source_id, target_id))
            .order_by("pk")
        }
        source, target = rows[source_id], rows[target_id]
        if source.balance_minor < amount_minor:
            raise RuntimeError("insufficient funds")
        source.balance_minor -= amount_minor
        target.balance_minor += amount_minor
        source.save()
        target.save()


def run_round(
    name: str, user_ids: list[int], payee_ids: list[int], seconds: float, mode: str = "service"
) -> dict[str, Any]:
    """One timed run of CLIENTS worker processes; the raw figures."""
    from django.db import connections

    connections.close_all()  # before fork: no child may inherit an open socket
    context = mp.get_context("fork")
    barrier = context.Barrier(CLIENTS + 1)  # the workers, and this process to time them
    results = context.Queue()
    processes = [
        context.Process(
            target=worker,
            args=(index, user_ids[index::CLIENTS], payee_ids, seconds, barrier, results, mode),
        )
        for index in range(CLIENTS)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=180)
        busy_before = machine_busy_seconds()
        reports = [results.get(timeout=seconds + 180) for _ in processes]
        busy_after = machine_busy_seconds()
    except BaseException:
        for process in processes:
            process.terminate()
            process.join(timeout=10)
        raise
    for process in processes:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise RuntimeError(f"{name}: worker exited with {process.exitcode}")
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report["errors"])
    server_cpus = [r["server_cpu"] for r in reports]
    latencies = [value for r in reports for value in r["latencies"]]
    elapsed = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    print(
        f"   {name:<12} {len(latencies):>6} payments in {elapsed:.1f} s: "
        f"{len(latencies) / elapsed:.0f}/s, errors {sum(errors.values())}"
    )
    return {
        "elapsed": elapsed,
        "latencies": latencies,
        "errors": errors,
        "client_cpu": sum(r["client_cpu"] for r in reports),
        "server_cpu": None if None in server_cpus else sum(server_cpus),
        "busy": None if busy_before is None or busy_after is None else busy_after - busy_before,
    }


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's figures over its rounds."""
    latencies = [value for r in rounds for value in r["latencies"]]
    elapsed = sum(r["elapsed"] for r in rounds)
    errors: Counter[str] = Counter()
    for r in rounds:
        errors.update(r["errors"])
    payments = len(latencies)
    client_cpu = sum(r["client_cpu"] for r in rounds)
    server_cpus = [r["server_cpu"] for r in rounds]
    server_cpu = None if None in server_cpus else sum(server_cpus)
    busies = [r["busy"] for r in rounds]
    busy = None if None in busies else sum(busies)
    return {
        "payments": payments,
        "seconds": round(elapsed, 2),
        "per_second": payments / elapsed,
        "per_second_by_round": [round(len(r["latencies"]) / r["elapsed"], 1) for r in rounds],
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies) if latencies else None,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "client_cpu_ms_per_payment": per_item_ms(client_cpu, payments),
        "server_cpu_ms_per_payment": per_item_ms(server_cpu, payments),
        "machine_cpu_ms_per_payment": per_item_ms(busy, payments),
        # Below ~0.9 while the machine is saturated: something else was using the CPU.
        "bench_share_of_busy_cpu": (
            (client_cpu + server_cpu) / busy if busy and server_cpu is not None else None
        ),
    }


def capture_one_payment(user_id: int, payee_id: int) -> dict[str, Any]:
    """The SQL of a steady-state payment (the payer already paid today)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from community.models import User
    from wallet.models import Account
    from wallet.services.payments import payment_create

    payer = User.objects.get(pk=user_id)
    payee = Account.objects.get(pk=payee_id)

    def pay() -> None:
        payment_create(payer=payer, payee=payee, amount_minor=123, description="bench", pin=PIN)

    pay()
    # Wall and client CPU time without the debug cursor, then the statements with it.
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(CAPTURED_PAYMENTS):
        pay()
    wall_ms = (time.perf_counter() - started) * 1000 / CAPTURED_PAYMENTS
    cpu_ms = (time.process_time() - cpu_started) * 1000 / CAPTURED_PAYMENTS
    with CaptureQueriesContext(connection) as captured:
        for _ in range(CAPTURED_PAYMENTS):
            pay()
    queries = captured.captured_queries
    round_trips = len(queries) // CAPTURED_PAYMENTS  # Django logs BEGIN and COMMIT too
    statements = [shorten(q["sql"]) for q in queries[:round_trips]]
    return {
        "round_trips_per_payment": round_trips,
        "statements_per_payment": sum(s not in {"BEGIN", "COMMIT"} for s in statements),
        "single_client_wall_ms": round(wall_ms, 2),
        "single_client_python_cpu_ms": round(cpu_ms, 2),
        # What the client did not spend computing it spent waiting, mostly for PostgreSQL.
        "single_client_waiting_ms": round(wall_ms - cpu_ms, 2),
        "statements": statements,
    }


def shorten(sql: str) -> str:
    sql = " ".join(sql.split())
    return re.sub(r"^SELECT (?!COUNT).{40,}? FROM", "SELECT … FROM", sql)


# --- Report --------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "MET" if value >= target else "NOT MET"


def main() -> int:
    url = base_url()
    safe_url = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
    try:
        admin = maintenance_connection(url)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"Ledger benchmark: PostgreSQL is unreachable at {safe_url} ({reason}).")
        if IN_CI:
            print("CI is set: a benchmark run must not pass by skipping.")
            return 1
        print("Skipped (start PostgreSQL or set DATABASE_URL to run it).")
        return 0

    started = time.monotonic()
    print(
        f"== Ledger benchmark on {safe_url.rsplit('/', 1)[0]}: {CLIENTS} clients, "
        f"{SECONDS:g} s per scenario"
    )
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": CLIENTS,
        "seconds_per_scenario": SECONDS,
        "rounds": ROUNDS,
        "cpus": os.cpu_count(),
        "notes": [
            "PIN hasher at one iteration (production: 3.9 ms a check): not ledger cost",
            "DJANGO_DEBUG=0 so queries are not logged",
            "payments without idempotency key (service call, not the HTTP API)",
            f"{CLIENTS} worker processes (fork), each with its own residents; payees at random",
            "merchant accounts are older (lower ids) than the wallets: a payment locks the "
            "payee's row first and holds it to commit",
        ],
    }
    idle_check = machine_busy_fraction()
    report["machine_busy_before_start"] = idle_check
    if idle_check is not None and idle_check > 0.15:
        print(
            f"!! the machine is {idle_check:.0%} busy before the benchmark starts: "
            "figures will be low and noisy"
        )
    try:
        print(f"-- baseline: pgbench TPC-B, {CLIENTS} clients, {THREADS} threads")
        report["pgbench"] = run_pgbench(url, admin)
        print(f"   TPC-B: {fmt(report['pgbench']['tps'])} tps")

        print(f"-- wallet database {BENCH_DB}: migrate, {USERS} residents, {MERCHANTS} merchants")
        recreate_database(admin, BENCH_DB)
        setup_django(with_database(url, BENCH_DB))
        from django.conf import settings

        report["channel_layer"] = settings.CHANNEL_LAYERS["default"]["BACKEND"]
        report["celery_eager"] = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
        world = create_wallet_world()
        print(
            f"   migrate {world['migrate_seconds']} s, residents and funding "
            f"{world['setup_seconds']} s"
        )
        report["setup"] = {k: world[k] for k in ("migrate_seconds", "setup_seconds")}

        from wallet.models import Account
        from wallet.services.accounts import payee_account

        users = world["user_ids"]
        sharded = Account.objects.get(pk=world["sharded_id"])
        payee_account(
            kind=sharded.kind,
            owner_ref=sharded.owner_ref,
            name=sharded.name,
            hot_shards=HOT_SHARDS,
        )
        scenarios = {
            "uniform": world["merchant_ids"],
            "hot_plain": [world["hot_id"]],
            "hot_sharded": [world["sharded_id"]],
        }
        seconds = SECONDS / ROUNDS
        print(f"-- payment_create: {ROUNDS} rounds of {seconds:g} s per scenario, interleaved")
        rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in scenarios}
        for _ in range(ROUNDS):
            for key, payees in scenarios.items():
                rounds[key].append(run_round(key, users, payees, seconds))
        for key in scenarios:
            report[key] = summarise(rounds[key])

        report["one_payment"] = capture_one_payment(users[0], world["merchant_ids"][0])
        print("-- the same SQL from bare psycopg: no Django, no PIN, no notices, no wake-up")
        report["bare_psycopg"] = summarise(
            [
                run_round("bare", users, world["merchant_ids"], seconds, mode="bare")
                for _ in range(ROUNDS)
            ]
        )
        print("-- the same SQL without Python: pgbench replays the profile read and wallet_pay")
        report["replay"] = replay_with_pgbench(url, users, world["merchant_ids"])

        from wallet.services.audit import ledger_check

        problems = [str(problem) for problem in ledger_check()]
        report["ledger_check"] = {"clean": not problems, "problems": problems[:20]}

        print("-- reference: a plain Django transfer (select_for_update, then save())")
        report["plain_transfer"] = summarise(
            [run_round("plain", users, [], seconds, mode="plain") for _ in range(ROUNDS)]
        )
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(admin, BENCH_DB)
        drop_database(admin, PGBENCH_DB)
        admin.close()

    tps = report["pgbench"]["tps"]
    uniform = report["uniform"]["per_second"]
    plain = report["hot_plain"]["per_second"]
    sharded = report["hot_sharded"]["per_second"]
    ratios = {
        "uniform_vs_tpcb": ratio(uniform, tps),
        "replayed_sql_vs_tpcb": ratio(report["replay"].get("tps"), tps),
        "hot_sharded_vs_uniform": ratio(sharded, uniform),
        "hot_plain_vs_uniform": ratio(plain, uniform),
        "plain_transfer_vs_tpcb": ratio(report["plain_transfer"]["per_second"], tps),
        "bare_psycopg_vs_tpcb": ratio(report["bare_psycopg"]["per_second"], tps),
        "uniform_vs_plain_transfer": ratio(uniform, report["plain_transfer"]["per_second"]),
    }
    report["ratios"] = ratios
    report["targets"] = {
        "uniform_vs_tpcb": TARGET_UNIFORM_VS_TPCB,
        "hot_vs_uniform": TARGET_HOT_VS_UNIFORM,
    }
    report["total_seconds"] = round(time.monotonic() - started, 1)

    one = report["one_payment"]
    print()
    print(
        f"{'':<26}{'per second':>11}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'CPU ms/tx: client':>19}{'server':>8}{'machine':>9}"
    )
    pgbench = report["pgbench"]
    print(
        f"{'pgbench TPC-B':<26}{fmt(tps, 0):>11}{fmt(pgbench.get('latency_avg_ms')):>8}"
        f"{'':>8}{pgbench.get('failed') or 0:>7}{'':>19}{'':>8}"
        f"{fmt(pgbench.get('machine_cpu_ms_per_tx'), 2):>9}"
    )
    for key, label in (
        ("uniform", "payments, uniform"),
        ("hot_plain", "payments, hot plain"),
        ("hot_sharded", f"payments, hot {HOT_SHARDS} shards"),
        ("bare_psycopg", "same SQL, bare psycopg"),
        ("plain_transfer", "plain Django transfer"),
    ):
        row = report[key]
        print(
            f"{label:<26}{row['per_second']:>11.0f}{fmt(row['p50_ms']):>8}"
            f"{fmt(row['p99_ms']):>8}{row['errors']:>7}"
            f"{fmt(row['client_cpu_ms_per_payment'], 2):>19}"
            f"{fmt(row['server_cpu_ms_per_payment'], 2):>8}"
            f"{fmt(row['machine_cpu_ms_per_payment'], 2):>9}"
        )
    replay = report["replay"]
    if replay.get("tps") is not None:
        print(
            f"{'same SQL from pgbench':<26}{fmt(replay['tps'], 0):>11}{'':>8}{'':>8}"
            f"{replay.get('failed') or 0:>7}{'':>19}{'':>8}"
            f"{fmt(replay.get('machine_cpu_ms_per_tx'), 2):>9}"
        )
    else:
        print(f"same SQL from pgbench: not run ({replay.get('error')})")
    print("(pgbench's p50 column is its average latency; CPU is per transaction or payment)")
    print(
        "payments/s by round: "
        + "; ".join(
            f"{key} {', '.join(f'{rate:.0f}' for rate in report[key]['per_second_by_round'])}"
            for key in ("uniform", "hot_plain", "hot_sharded")
        )
    )
    shares = [report[k]["bench_share_of_busy_cpu"] for k in ("uniform", "hot_plain", "hot_sharded")]
    if any(share is not None and share < 0.85 for share in shares):
        print(
            "!! other processes used a noticeable share of the CPU during the runs "
            f"(bench share of busy CPU: {', '.join(fmt(x, 2) for x in shares)}): figures are low"
        )
    print()
    uniform_tpcb = ratios["uniform_vs_tpcb"]
    print(
        f"uniform / TPC-B        {fmt(uniform_tpcb, 2):>6}   target >= "
        f"{TARGET_UNIFORM_VS_TPCB:.2f}  {verdict(uniform_tpcb, TARGET_UNIFORM_VS_TPCB)}"
    )
    print(
        f"hot-sharded / uniform  {fmt(ratios['hot_sharded_vs_uniform'], 2):>6}   target >= "
        f"{TARGET_HOT_VS_UNIFORM:.2f}  "
        f"{verdict(ratios['hot_sharded_vs_uniform'], TARGET_HOT_VS_UNIFORM)}"
    )
    print(
        f"hot-plain / uniform    {fmt(ratios['hot_plain_vs_uniform'], 2):>6}   (no shards, "
        "for comparison)"
    )
    print(
        f"same SQL / TPC-B       {fmt(ratios['replayed_sql_vs_tpcb'], 2):>6}   (the ceiling "
        "without Python's cost per payment)"
    )
    print(
        f"bare psycopg / TPC-B   {fmt(ratios['bare_psycopg_vs_tpcb'], 2):>6}   (the ceiling "
        "for any Python client of this SQL)"
    )
    print(
        f"plain transfer / TPC-B {fmt(ratios['plain_transfer_vs_tpcb'], 2):>6}   (the issue's "
        "reference: two rows locked and saved, nothing recorded)"
    )
    print()
    print(
        f"One payment, single client: {one['statements_per_payment']} SQL statements "
        f"({one['round_trips_per_payment']} round trips, BEGIN and COMMIT counted when sent), "
        f"{one['single_client_wall_ms']} ms wall, {one['single_client_python_cpu_ms']} ms "
        f"Python CPU, ~{one['single_client_waiting_ms']} ms waiting for PostgreSQL"
    )
    for number, sql in enumerate(one["statements"], 1):
        print(f"  {number:>2}. {sql[:96]}")
    print()
    for note in report["notes"]:
        print(f"note: {note}")
    print(
        f"note: live pushes through {report['channel_layer'].rsplit('.', 1)[-1]}; Celery tasks "
        + (
            "run eagerly in the paying process (no REDIS_URL)"
            if report["celery_eager"]
            else "go to the broker and are not part of the figures"
        )
    )
    clean = report["ledger_check"]["clean"]
    print(f"ledger_check on {BENCH_DB}: {'clean' if clean else 'PROBLEMS'}")
    for problem in report["ledger_check"]["problems"]:
        print(f"  {problem}")
    measured = ("uniform", "hot_plain", "hot_sharded", "bare_psycopg", "plain_transfer")
    errors = sum(report[key]["errors"] for key in measured)
    if errors:
        for key in measured:
            for kind, count in report[key]["error_kinds"].items():
                print(f"  {key} error x{count}: {kind}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Figures written to {RESULTS.relative_to(ROOT)} ({report['total_seconds']} s in all)")
    if report["pgbench"].get("tps") is None:
        # Without the baseline no ratio can be read, and the issue asks for it in the run.
        print(f"!! no TPC-B baseline: {report['pgbench'].get('error', 'pgbench failed')}")
        return 1
    return 0 if clean and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
