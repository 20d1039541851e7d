"""API fuzzing: schemathesis drives every operation in ``/api/schema/`` as each role.

For every role (anonymous, a verified and funded resident with a PIN, a shop's owner, a
shop's cashier, an estate's manager, a TOTP-activated operator) and every operation,
Hypothesis generates valid and deliberately invalid requests from the schema, and each
response must

- not be a server error (5xx), and
- conform to the schema: documented status code, documented content type, body matching
  the documented schema (errors included: ``core.errors`` renders the one error shape).

The world is the demo (``seed_demo``): estates, residents, shops, bills, circles, red
packets, payments; and a webhook endpoint of the owner's shop with one delivery, so that the
owner's webhook operations meet something to act on (a delivery is sent after commit, and
nothing here commits). Path parameters and ``*_id`` body fields are drawn half from the ids
that exist there and half from the fuzzer, so requests reach the views' business rules
instead of stopping at 404. A signed-in role authenticates by session cookie with a CSRF
token, as the web console does (operators may not hold API tokens). Money-moving POSTs get
a fresh ``Idempotency-Key`` each; a ``pin`` field gets the demo PIN half the time.

Each request runs in a savepoint that is rolled back afterwards, so every example meets
the same world: a fuzzed freeze, PIN lockout or card removal does not starve later
operations. A 2xx answer to a write is followed by the ledger check inside that savepoint:
no fuzzed operation may leave the books unbalanced.

Budget: ``FUZZ_EXAMPLES`` examples per operation and role (default 3, derandomised, no
shrinking) keeps the CI run near a minute; ``FUZZ_EXAMPLES=25`` is a deeper run.
See docs/fuzzing.md.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from community.demo import DEMO_PIN
from community.models import (
    Announcement,
    Circle,
    CircleMember,
    HelpOffer,
    HelpRequest,
    Neighbourhood,
    Post,
    RedPacket,
    Report,
    User,
)
from core.models import Notification
from merchants.models import (
    Campaign,
    PaymentRequest,
    Shop,
    StaffInvite,
    WebhookDelivery,
    WebhookEndpoint,
)
from merchants.services import webhooks
from property_mgmt.models import AutoPayConsent, Bill, BillingRun, Household, Unit
from wallet.models import (
    BankCard,
    CorrectionProposal,
    Hold,
    JournalTransaction,
    Payment,
    TopUp,
    Withdrawal,
)
from wallet.services.audit import ledger_check

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ONLY = os.environ.get("FUZZ_ONLY", "")  # e.g. "POST /api/v1/wallet/payments/"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Role -> the demo login that plays it (community/demo.py, merchants/demo.py).
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "resident": "+8613800000001",  # 王芳: verified, funded, PIN set, lives in the estate
    "owner": "+8613700000001",  # 刘师傅: owner of the fruit shop, its settlement card bound
    "cashier": "+8613700000002",  # 小陈: cashier of the fruit shop
    "manager": "+8613900000002",  # 赵经理: manager of the demo estate
    "operator": "+8613900000001",  # TOTP activated
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Filled per test from the seeded world; the schema's hooks read it.
REAL_IDS: dict[str, list[Any]] = {}


def _ids(model: Any, field: str = "pk") -> list[Any]:
    return list(model.objects.order_by("pk").values_list(field, flat=True)[:20])


def collect_real_ids() -> dict[str, list[Any]]:
    """Path parameter (and body field) name -> values that exist in the demo world."""
    estates = _ids(Neighbourhood)
    today = timezone.localdate()
    return {
        "announcement_id": _ids(Announcement),
        "user_id": _ids(User),
        "circle_id": _ids(Circle),
        "member_id": _ids(CircleMember),
        "post_id": _ids(Post),
        "report_id": _ids(Report),
        "estate_id": estates,
        "neighbourhood_id": estates,
        "household_id": _ids(Household),
        "unit_id": _ids(Unit),
        "run_id": _ids(BillingRun),
        "bill_id": _ids(Bill),
        # /help/{request_id}/ and /till/requests/{request_id}/ share the name.
        "request_id": _ids(HelpRequest) + _ids(PaymentRequest),
        "offer_id": _ids(HelpOffer),
        "consent_id": _ids(AutoPayConsent),
        "notification_id": _ids(Notification),
        "campaign_id": _ids(Campaign),
        "shop_id": _ids(Shop),
        "token": _ids(PaymentRequest, "token"),
        "packet_id": _ids(RedPacket),
        "invite_id": _ids(StaffInvite),
        "endpoint_id": _ids(WebhookEndpoint),
        "delivery_pk": _ids(WebhookDelivery),
        "payment_id": _ids(Payment),
        "card_id": _ids(BankCard),
        "hold_id": _ids(Hold),
        "proposal_id": _ids(CorrectionProposal),
        "topup_id": _ids(TopUp),
        "transaction_id": _ids(JournalTransaction),
        "withdrawal_id": _ids(Withdrawal),
        "year": [today.year],
        "month": [today.month],
    }


def _real_or_fuzzed(name: str, fuzzed: Any) -> st.SearchStrategy[Any]:
    known = REAL_IDS.get(name)
    return st.sampled_from(known) | st.just(fuzzed) if known else st.just(fuzzed)


@pytest.fixture(scope="module")
def api_schema(django_db_setup: Any, django_db_blocker: Any) -> Any:
    from config.wsgi import application

    # Fetching the schema goes through the WSGI handler, whose request_started signal
    # touches the (test) database connection.
    with django_db_blocker.unblock():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    # Credentials come from the role, not from the fuzzer.
    schema.config.generation.update(with_security_parameters=False)

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {name: _real_or_fuzzed(name, value) for name, value in path_parameters.items()}
        )

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        if not isinstance(body, dict):
            return st.just(body)
        fields = {name: _real_or_fuzzed(name, value) for name, value in body.items()}
        if "pin" in body:
            fields["pin"] = st.sampled_from([DEMO_PIN, body["pin"]])
        return st.fixed_dictionaries(fields)

    @schema.hook
    def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
        # A fresh key per call, so that money-moving POSTs do their work instead of
        # replaying; a case that dropped the header on purpose keeps testing its absence.
        if headers and "Idempotency-Key" in headers:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return headers

    return schema


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Requests go through the WSGI handler inside the test's transaction: it must not close
    the connection when a request finishes (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def role_credentials(phone: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) of a signed-in browser session with its CSRF token."""
    if phone is None:
        return {}, {}
    client = Client()
    client.force_login(User.objects.get(phone=phone))
    csrf = uuid.uuid4().hex
    return {"X-CSRFToken": csrf}, {
        "sessionid": client.cookies["sessionid"].value,
        "csrftoken": csrf,
    }


def describe(exc: BaseException) -> Iterator[tuple[str, str]]:
    """(kind, one line) per distinct check failure in ``exc``, then the request that
    reproduces it."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from describe(inner)
        yield from (("curl", line.strip()) for line in str(exc).splitlines() if "curl " in line)
    elif isinstance(exc, Failure):
        detail = " / ".join(exc.message.strip().splitlines()[:2])
        yield exc.code, f"{exc.code} {exc.title}: {detail[:300]}"
    else:
        yield type(exc).__name__, f"{type(exc).__name__}: {str(exc)[:300]}"


def add_webhook_endpoint(owner_phone: str | None) -> None:
    owner = User.objects.get(phone=owner_phone)
    shop = Shop.objects.filter(staff__user=owner, staff__role="owner").order_by("pk").first()
    assert shop is not None, "the demo owner lost their shop"
    added = webhooks.endpoint_create(
        owner=owner,
        shop=shop,
        url="https://hooks.example.com/linli",
        event_types=list(webhooks.EVENT_TYPES),
    )
    webhooks.endpoint_ping(owner=owner, endpoint=added.endpoint)


def rolled_back() -> transaction.Atomic:
    """A savepoint for one request. Marked like the test case's own atomic block so that
    the services' ``atomic(durable=True)`` may nest in it, as they do in any test."""
    atomic = transaction.atomic()
    atomic._from_testcase = True  # type: ignore[attr-defined]
    return atomic


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_operation_answers_per_schema_as_every_role(
    api_schema: Any, in_process_requests: None
) -> None:
    """Each generated request is sent once per role, each time in its own savepoint, so
    the generation cost is shared and every role meets the same world."""
    call_command("seed_demo", stdout=StringIO())
    add_webhook_endpoint(ROLES["owner"])
    REAL_IDS.clear()
    REAL_IDS.update(collect_real_ids())
    credentials = {role: role_credentials(phone) for role, phone in ROLES.items()}
    statuses: dict[str, Counter[int]] = {role: Counter() for role in ROLES}
    # (role, operation, kind) -> lines: the first example of each kind of failure.
    failures: dict[tuple[str, str, str], list[str]] = {}

    def send(role: str, case: Any) -> None:
        headers, cookies = credentials[role]
        with rolled_back():
            try:
                response = case.call(headers=headers, cookies=cookies)
                statuses[role][response.status_code] += 1
                case.validate_response(response, checks=CHECKS)
                if case.method.upper() in UNSAFE_METHODS and response.status_code < 300:
                    problems = [str(problem) for problem in ledger_check()]
                    assert not problems, f"ledger: {problems} after {case.as_curl_command()}"
            except (Exception, BaseExceptionGroup) as exc:  # all reported at the end
                lines = list(describe(exc))
                for kind, line in lines:
                    if kind != "curl":
                        curl = [text for kind, text in lines if kind == "curl"]
                        failures.setdefault((role, case.operation.label, kind), [line, *curl])
            finally:
                transaction.set_rollback(True)

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 100, "the schema lost its operations"
    for operation in operations:
        if ONLY and ONLY not in operation.label:
            continue
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def exercise(case: Any) -> None:
            for role in ROLES:
                send(role, case)

        exercise()

    for role, counts in statuses.items():
        print(f"fuzz {role}: {sum(counts.values())} requests, {dict(sorted(counts.items()))}")
    report = [f"{role} {op}: " + "\n    ".join(lines) for (role, op, _), lines in failures.items()]
    assert not report, f"{len(report)} failures:\n" + "\n".join(sorted(report))
    # The run must reach past the doors, not only collect 401s and 404s.
    for role, phone in ROLES.items():
        if phone is not None and not ONLY:
            assert sum(n for code, n in statuses[role].items() if code < 300) >= 20, role
