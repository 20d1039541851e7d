"""The access-control matrix: every URL of the project, as every role.

One table (``TABLE``) says, for each URL pattern, what each of nine people gets when they
ask for "the A side's" object at that URL (see ``world.py``): anonymous, residents A and B
of estate A, the owner and the cashier of shop X (estate A), the cashier of shop Y (estate
B), the managers of estates A and B, and the operator. The outcomes are defined in
``matrix.py``: ok, moved, refused, bad, login, 403, 404.

Reading a row: ``R("POST", ok=RESIDENT_A)`` means the view takes only POST (sent empty);
resident A gets ``ok``; anonymous gets ``login`` (``anon=`` says otherwise) and every other
signed-in role ``404`` (``rest=`` says otherwise). ``ANY_USER`` is "every signed-in user
gets in, and sees only their own"; ``PUBLIC`` adds anonymous.

The URL list comes from the URL configuration, so an endpoint added without a row fails
``test_every_url_has_a_row``, and the matrix test prints what each role got from it, ready
to be checked and pasted. A row whose URL is gone fails too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.matrix import Pattern, ask, url_patterns
from tests.security.world import ROLES, build_world
from wallet.models import JournalTransaction
from wallet.services.audit import ledger_check

RESIDENT_A, RESIDENT_B = "resident_a", "resident_b"
OWNER_X, CASHIER_X, CASHIER_Y = "owner_x", "cashier_x", "cashier_y"
MANAGER_A, MANAGER_B, OPERATOR = "manager_a", "manager_b", "operator"
RESIDENTS = (RESIDENT_A, RESIDENT_B)
SHOP_X = (OWNER_X, CASHIER_X)
ESTATE_A = (RESIDENT_A, RESIDENT_B, MANAGER_A)  # estate A's people: its residents, its manager
SIGNED_IN = ROLES[1:]

# Route prefixes with no row, and why. The admin's index has a row: it is the gate to the
# rest of the admin, whose pages Django guards in one place (``AdminSite.has_permission``).
EXCLUDED = {
    "admin/": "Django's admin behind its index (the index has a row)",
    "accounts/": "allauth's account pages (login, sign-up, passwords, two-factor); their "
    "rate limits are in test_settings.py",
    "^media/": "uploaded files, served by Django only in development (DEBUG)",
}
KEPT = {"admin:index"}

OUTCOME_WORDS = {"forbidden": "403", "hidden": "404"}
Roles = str | Iterable["Roles"]


def _flatten(roles: Roles) -> list[str]:
    if isinstance(roles, str):
        return [roles]
    return [role for group in roles for role in _flatten(group)]


def R(
    method: str = "GET", *, anon: str = "login", rest: str = "404", **cells: Roles
) -> dict[str, Any]:
    """A row: the method and the outcome for each role (see the module docstring)."""
    outcomes = {"anonymous": anon} | {role: rest for role in SIGNED_IN}
    for word, roles in cells.items():
        for role in _flatten(roles):
            assert role in SIGNED_IN, role
            outcomes[role] = OUTCOME_WORDS.get(word, word)
    return {"method": method, "outcomes": outcomes}


ANY_USER = R(rest="ok")
PUBLIC = R(anon="ok", rest="ok")

TABLE: dict[str, dict[str, Any]] = {
    # --- Pages: accounts, estates, circles, help (community) ---------------------------------
    # The home page is public; staff are sent on to their own area's home.
    "home": R(anon="ok", rest="moved", ok=(RESIDENTS, OPERATOR)),
    "profile": ANY_USER,
    "set-language": R("POST", anon="moved", rest="moved"),
    "estates": ANY_USER,
    # An estate's pages are for its people (residents and its manager); to anyone else it is
    # not there. Inside, residents are refused the manager's pages (403: they know the estate).
    "estate-detail": R(ok=ESTATE_A),
    "estate-follow": R("POST", rest="moved"),
    # A confirmed resident cannot unfollow the estate they live in; for others it is a no-op.
    "estate-unfollow": R("POST", rest="moved", refused=ESTATE_A),
    "estate-members": R(forbidden=RESIDENTS, ok=MANAGER_A),
    "estate-announcements": R(ok=ESTATE_A),
    "estate-announcement-new": R(forbidden=RESIDENTS, ok=MANAGER_A),
    "estate-announcement": R(ok=ESTATE_A),
    "estate-announcement-edit": R(forbidden=RESIDENTS, ok=MANAGER_A),
    "estate-announcement-action": R("POST", forbidden=RESIDENTS, moved=MANAGER_A),
    "verify": ANY_USER,
    "operator-verification": R(rest="403", ok=OPERATOR),
    "estate-in-person-check": R(ok=MANAGER_A),
    "circle-list": R(ok=ESTATE_A),
    "circle-detail": R(ok=ESTATE_A),
    "circle-join": R("POST", moved=ESTATE_A),
    "circle-leave": R("POST", moved=ESTATE_A),
    # Resident A runs the circle, resident B is a member, the estate's manager moderates it.
    "circle-member-decide": R("POST", moved=(RESIDENT_A, MANAGER_A), refused=RESIDENT_B),
    "circle-post": R(ok=ESTATE_A),
    "circle-post-like": R("POST", moved=RESIDENTS, refused=MANAGER_A),
    "circle-post-report": R("POST", refused=ESTATE_A),
    "circle-post-hide": R("POST", refused=ESTATE_A),
    "circle-reports": R(ok=(RESIDENT_A, MANAGER_A)),
    "circle-report-decide": R("POST", refused=ESTATE_A),
    # Blocks are the signed-in user's own: deleting one names the blocked user and removes
    # only the asker's block (a no-op for everyone but resident A).
    "circle-blocks": ANY_USER,
    "circle-block-delete": R("POST", rest="moved"),
    "help-board": R(ok=ESTATE_A),
    "help-new": R(ok=ESTATE_A),
    "help-detail": R(ok=ESTATE_A),
    "circle-red-packets": R(ok=ESTATE_A),
    "red-packet-new": R(ok=ESTATE_A),
    "red-packet": R(ok=ESTATE_A),
    # --- Pages: inbox (core) -----------------------------------------------------------------
    # inbox-read redirects both ways (a notification not yours is silently ignored), so the
    # scoping shows in api-notification-read below.
    "inbox": ANY_USER,
    "inbox-read": R("POST", rest="moved"),
    "inbox-read-all": R("POST", rest="moved"),
    # --- Pages: wallet ------------------------------------------------------------------------
    # Everyone signed in has a wallet and sees only their own; a pay link is a capability.
    "wallet-home": ANY_USER,
    "wallet-topup": ANY_USER,
    "wallet-withdraw": ANY_USER,
    "wallet-pay": ANY_USER,
    "wallet-transfer": ANY_USER,
    "wallet-cards": ANY_USER,
    # A's card and hold: A acts, everyone else is told it was not found.
    "wallet-card-action": R("POST", rest="refused", moved=RESIDENT_A),
    "wallet-history": ANY_USER,
    "wallet-transaction": R(ok=RESIDENT_A),
    "wallet-settings": ANY_USER,
    "wallet-statement": ANY_USER,
    "wallet-exchange": ANY_USER,
    "wallet-holds": ANY_USER,
    # Only a hold's payee takes or releases it; in the world, A is the hold's payer.
    "wallet-hold-action": R("POST", rest="refused"),
    # A payment into A's own wallet (from B): only A may refund it.
    "wallet-refund": R(ok=RESIDENT_A),
    # The operator's console is staff-only (Django's staff gate sends others to log in); the
    # operator proposed the correction and may not decide it (maker-checker).
    "wallet-operator": R(rest="login", ok=OPERATOR),
    "wallet-correction-decide": R("POST", rest="login", refused=OPERATOR),
    "receipt-verify": PUBLIC,
    "wallet-reconciliations": R(ok=OPERATOR),
    "wallet-reconciliation": R(ok=OPERATOR),
    "wallet-reconciliation-rerun": R("POST", moved=OPERATOR),
    # --- Pages: shops (merchants) -----------------------------------------------------------
    # Shop X's owner and cashier run the till and see its sales; staff, campaigns, webhooks and
    # settlements are the owner's (the cashier gets 403: they know the shop). Resident B holds
    # the invite to work at shop X. Until a PIN was entered, no payment code (403).
    "merchant-home": ANY_USER,
    "merchant-apply": ANY_USER,
    "merchant-invites": ANY_USER,
    "merchant-invite-accept": R("POST", moved=RESIDENT_B),
    "merchant-staff": R(ok=SHOP_X),
    "merchant-invite-revoke": R("POST", moved=OWNER_X, forbidden=CASHIER_X),
    "merchant-staff-remove": R("POST", moved=OWNER_X, forbidden=CASHIER_X),
    # Reviewing shop applications is the operator's.
    "operator-shops": R(rest="403", ok=OPERATOR),
    "operator-shop-review": R("POST", rest="403", refused=OPERATOR),
    "estate-shops": R(ok=ESTATE_A),
    "merchant-till": R(ok=SHOP_X),
    "merchant-till-request": R(ok=SHOP_X),
    "merchant-till-code": R("POST", ok=SHOP_X),
    "merchant-static-qr": R(ok=SHOP_X),
    "merchant-request-pay": ANY_USER,
    "merchant-payment-code": ANY_USER,
    "merchant-payment-code-next": R("POST", rest="403"),
    "merchant-settlements": R(ok=OWNER_X),
    "merchant-settlement-card": R(ok=OWNER_X),
    "merchant-settlement": R(ok=OWNER_X),
    "merchant-settlement-csv": R(ok=OWNER_X),
    "merchant-settlements-month-csv": R(ok=OWNER_X),
    "merchant-campaigns": R(ok=OWNER_X, forbidden=CASHIER_X),
    "merchant-campaign-move": R("POST", moved=OWNER_X, forbidden=CASHIER_X),
    "estate-offers": R(ok=ESTATE_A),
    "offer-claim": R("POST", moved=ESTATE_A),
    "my-coupons": ANY_USER,
    "merchant-webhooks": R(ok=OWNER_X),
    "merchant-webhook-disable": R("POST", moved=OWNER_X),
    "merchant-webhook-enable": R("POST", moved=OWNER_X),
    "merchant-webhook-delete": R("POST", moved=OWNER_X),
    "merchant-webhook-rotate": R("POST", ok=OWNER_X),
    "merchant-webhook-ping": R("POST", moved=OWNER_X),
    "merchant-webhook-log": R(ok=OWNER_X),
    "merchant-webhook-retry": R("POST", refused=OWNER_X),
    "merchant-dashboard": R(ok=SHOP_X),
    "merchant-payments": R(ok=SHOP_X),
    "merchant-payment": R(ok=SHOP_X),
    # --- Pages: estate management and bills (property_mgmt) --------------------------------
    # The estate's back office is manager A's alone; to anyone else estate A is not there.
    # Bills are resident A's (the unit's household).
    "estate-home": ANY_USER,
    "estate-units": R(ok=MANAGER_A),
    "estate-unit-new": R("POST", refused=MANAGER_A),
    "estate-unit": R(ok=MANAGER_A),
    "estate-building-new": R("POST", refused=MANAGER_A),
    "estate-households-pending": R(ok=MANAGER_A),
    "estate-household-confirm": R("POST", moved=MANAGER_A),
    "estate-household-end": R("POST", refused=MANAGER_A),
    "estate-import": R(ok=MANAGER_A),
    "estate-import-confirm": R("POST", refused=MANAGER_A),
    "my-home": ANY_USER,
    "my-home-request": R("POST", refused=RESIDENTS),
    "estate-billing": R(ok=MANAGER_A),
    "estate-billing-run": R(ok=MANAGER_A),
    "estate-billing-approve": R("POST", moved=MANAGER_A),
    "estate-fees": R(ok=MANAGER_A),
    "estate-readings": R(ok=MANAGER_A),
    "estate-readings-import": R("POST", ok=MANAGER_A),
    "estate-charges": R(ok=MANAGER_A),
    "estate-bill-new": R(ok=MANAGER_A),
    "estate-bill-detail": R(ok=MANAGER_A),
    "estate-bill-adjust": R("POST", bad=MANAGER_A),
    "estate-bill-waive": R("POST", bad=MANAGER_A),
    "estate-bill-cancel": R("POST", bad=MANAGER_A),
    "my-bills": ANY_USER,
    "my-bills-autopay": ANY_USER,
    "my-bill": R(ok=RESIDENT_A),
    "my-bill-receipt": R(ok=RESIDENT_A),
    "my-bill-receipt-pdf": R(ok=RESIDENT_A),
    "estate-report-bills": R(ok=MANAGER_A),
    "estate-report-bills-csv": R(ok=MANAGER_A),
    "estate-report-payments-csv": R(ok=MANAGER_A),
    "estate-report-arrears": R(ok=MANAGER_A),
    "estate-report-collection": R(ok=MANAGER_A),
    "company-settlements": R(ok=MANAGER_A),
    "company-settlement": R(ok=MANAGER_A),
    "company-settlement-csv": R(ok=MANAGER_A),
    "company-settlements-month-csv": R(ok=MANAGER_A),
    # --- Public and admin ---------------------------------------------------------------------
    "healthz": PUBLIC,
    "admin:index": R(rest="login", ok=OPERATOR),
    # --- API: notifications, accounts, estates, circles, help -------------------------------
    # Anonymous API calls get 401 (login) everywhere but the token login, which refuses
    # empty credentials.
    "api-notifications": ANY_USER,
    "api-notifications-unread-count": ANY_USER,
    "api-notification-read": R("POST", ok=RESIDENT_A),
    "api-notifications-read-all": R("POST", rest="ok"),
    "api-me": ANY_USER,
    "api-token-login": R("POST", anon="bad", rest="bad"),
    "api-token-revoke": R("POST", rest="ok"),
    "api-estates": ANY_USER,
    "api-estates-search": R(rest="bad"),
    "api-estate-follow": R("POST", rest="ok"),
    "api-estate-members": R(forbidden=RESIDENTS, ok=MANAGER_A),
    "api-estate-announcements": R(ok=ESTATE_A),
    "api-announcement": R(ok=ESTATE_A),
    "api-announcement-pin": R("POST", forbidden=RESIDENTS, ok=MANAGER_A),
    "api-announcement-read": R("POST", ok=ESTATE_A),
    "api-announcement-receipts": R(forbidden=RESIDENTS, ok=MANAGER_A),
    "api-verification": ANY_USER,
    # Setting a level by hand is the operator's.
    "api-operator-verification-level": R("POST", rest="403", bad=OPERATOR),
    "api-circles": R(ok=ESTATE_A),
    "api-circle-join": R("POST", ok=ESTATE_A),
    "api-circle-leave": R("POST", ok=ESTATE_A),
    "api-circle-pending": R(ok=(RESIDENT_A, MANAGER_A), forbidden=RESIDENT_B),
    "api-circle-member-approve": R("POST", ok=(RESIDENT_A, MANAGER_A), forbidden=RESIDENT_B),
    "api-circle-member-reject": R("POST", ok=(RESIDENT_A, MANAGER_A), forbidden=RESIDENT_B),
    "api-circle-posts": R(ok=ESTATE_A),
    "api-circle-post": R(ok=ESTATE_A),
    "api-circle-comments": R("POST", bad=ESTATE_A),
    "api-circle-like": R("POST", ok=RESIDENTS, forbidden=MANAGER_A),
    "api-circle-report": R("POST", bad=ESTATE_A),
    "api-circle-hide": R("POST", bad=ESTATE_A),
    "api-circle-reports": R(ok=(RESIDENT_A, MANAGER_A), forbidden=RESIDENT_B),
    "api-circle-report-resolve": R("POST", bad=ESTATE_A),
    "api-blocks": ANY_USER,
    "api-block-delete": R("DELETE", rest="ok"),
    "api-help-requests": R(ok=ESTATE_A),
    "api-help-request": R(ok=ESTATE_A),
    "api-help-offer": R("POST", bad=RESIDENTS, forbidden=MANAGER_A),
    # B offered on A's request: B may withdraw the offer, A may accept it or cancel the request.
    "api-help-offer-withdraw": R("POST", forbidden=(RESIDENT_A, MANAGER_A), ok=RESIDENT_B),
    "api-help-offer-accept": R("POST", ok=RESIDENT_A, forbidden=(RESIDENT_B, MANAGER_A)),
    "api-help-done": R("POST", forbidden=ESTATE_A),
    "api-help-complete": R("POST", bad=ESTATE_A),
    "api-help-cancel": R("POST", ok=RESIDENT_A, forbidden=(RESIDENT_B, MANAGER_A)),
    "api-help-dispute": R("POST", bad=ESTATE_A),
    "api-help-resolve": R("POST", bad=ESTATE_A),
    "api-help-rate": R("POST", bad=ESTATE_A),
    "api-red-packets": R(ok=ESTATE_A),
    "api-red-packet": R(ok=ESTATE_A),
    "api-red-packet-claim": R("POST", bad=ESTATE_A),
    # --- API: wallet -------------------------------------------------------------------------
    # Money-moving POSTs without a body or Idempotency-Key are refused (bad) before any
    # money moves; reads are the asker's own. The bank's callback needs the bank's signature;
    # the operator may not approve their own correction (maker-checker).
    "api-wallet-balances": ANY_USER,
    "api-wallet-history": ANY_USER,
    "api-wallet-history-csv": ANY_USER,
    "api-wallet-transaction": R(ok=RESIDENT_A),
    "api-wallet-receipt-pdf": R(ok=RESIDENT_A),
    "api-wallet-statement": ANY_USER,
    "api-wallet-payment-preview": R("POST", rest="bad"),
    "api-wallet-payments": R("POST", rest="bad"),
    "api-wallet-payment": R(ok=RESIDENT_A),
    "api-wallet-payment-refund": R("POST", bad=RESIDENT_A),
    "api-wallet-payment-cancel": R("POST", bad=RESIDENT_A),
    "api-wallet-holds": ANY_USER,
    "api-wallet-hold-capture": R("POST"),
    "api-wallet-hold-void": R("POST"),
    "api-wallet-transfer-preview": R("POST", rest="bad"),
    "api-wallet-transfers": R("POST", rest="bad"),
    "api-wallet-cards": ANY_USER,
    "api-wallet-card": R(ok=RESIDENT_A),
    "api-wallet-card-balance": R(ok=RESIDENT_A),
    "api-wallet-topups": R("POST", rest="bad"),
    "api-wallet-topup": R(ok=RESIDENT_A),
    "api-wallet-withdrawals": R("POST", rest="bad"),
    "api-wallet-withdrawal": R(ok=RESIDENT_A),
    "api-wallet-bank-callback": R("POST", anon="403", rest="403"),
    "api-wallet-settings": ANY_USER,
    "api-wallet-pin": R("POST", rest="bad"),
    "api-wallet-freeze": R("POST", rest="ok"),
    "api-wallet-unfreeze": R("POST", rest="bad"),
    "api-wallet-fx-quotes": R("POST", rest="bad"),
    "api-wallet-fx-conversions": R("POST", rest="bad"),
    "api-wallet-fx-rates": R(rest="403", ok=OPERATOR),
    "api-wallet-corrections": R(rest="403", ok=OPERATOR),
    "api-wallet-correction-approve": R("POST", rest="403"),
    "api-wallet-correction-reject": R("POST", rest="403"),
    # --- API: estate management and bills -------------------------------------------------
    "api-estate-units": R(ok=MANAGER_A),
    "api-estate-unit": R(ok=MANAGER_A),
    "api-estate-households": R(ok=MANAGER_A),
    "api-estate-household-confirm": R("POST", ok=MANAGER_A),
    "api-estate-household-end": R("POST", bad=MANAGER_A),
    "api-estate-import": R("POST", bad=MANAGER_A),
    "api-my-homes": ANY_USER,
    "api-estate-fee-rates": R(ok=MANAGER_A),
    "api-estate-readings": R(bad=MANAGER_A),
    "api-estate-readings-import": R("POST", bad=MANAGER_A),
    "api-estate-charges": R(ok=MANAGER_A),
    "api-estate-billing-runs": R(ok=MANAGER_A),
    "api-estate-billing-preview": R("POST", bad=MANAGER_A),
    "api-estate-billing-issue": R("POST", ok=MANAGER_A),
    "api-estate-bill-adhoc": R("POST", bad=MANAGER_A),
    "api-estate-bill": R(ok=MANAGER_A),
    "api-estate-bill-adjust": R("POST", bad=MANAGER_A),
    "api-estate-bill-waive": R("POST", bad=MANAGER_A),
    "api-estate-bill-cancel": R("POST", bad=MANAGER_A),
    "api-resident-bills": ANY_USER,
    "api-resident-bills-pay": R("POST", rest="bad"),
    "api-resident-bill": R(ok=RESIDENT_A),
    "api-resident-bill-receipt-pdf": R(ok=RESIDENT_A),
    "api-resident-autopay": ANY_USER,
    "api-resident-autopay-withdraw": R("POST", ok=RESIDENT_A),
    "api-estate-report-bills": R(ok=MANAGER_A),
    "api-estate-report-arrears": R(ok=MANAGER_A),
    "api-estate-report-collection": R(ok=MANAGER_A),
    # --- API: shops -------------------------------------------------------------------------
    "api-merchant-apply": R("POST", rest="bad"),
    "api-merchant-applications": R(rest="403", ok=OPERATOR),
    "api-merchant-application-review": R("POST", rest="403", bad=OPERATOR),
    "api-merchant-invites": R(ok=SHOP_X),
    "api-merchant-invite-revoke": R("POST", ok=OWNER_X, forbidden=CASHIER_X),
    "api-my-shop-invites": ANY_USER,
    "api-my-shop-invite-accept": R("POST", ok=RESIDENT_B),
    "api-estate-shops": R(ok=ESTATE_A),
    "api-checkout-requests": R(ok=SHOP_X),
    "api-checkout-request-create": R("POST", bad=SHOP_X),
    "api-checkout-request": R(ok=SHOP_X),
    "api-checkout-request-preview": ANY_USER,
    "api-checkout-request-pay": R("POST", rest="bad"),
    "api-checkout-code-issue": R("POST", rest="bad"),
    "api-checkout-code-charge": R("POST", bad=SHOP_X),
    "api-merchant-settlements": R(ok=OWNER_X),
    "api-merchant-settlement-card": R("POST", bad=OWNER_X),
    "api-merchant-webhooks": R(ok=OWNER_X),
    "api-merchant-webhook": R("DELETE", ok=OWNER_X),
    "api-merchant-webhook-disable": R("POST", ok=OWNER_X),
    "api-merchant-webhook-enable": R("POST", ok=OWNER_X),
    "api-merchant-webhook-rotate": R("POST", ok=OWNER_X),
    "api-merchant-webhook-ping": R("POST", ok=OWNER_X),
    "api-merchant-webhook-deliveries": R(ok=OWNER_X),
    "api-merchant-webhook-retry": R("POST", bad=OWNER_X),
    "api-merchant-campaigns": R(ok=OWNER_X, forbidden=CASHIER_X),
    "api-merchant-campaign-status": R("POST", bad=OWNER_X, forbidden=CASHIER_X),
    "api-estate-offers": R(ok=ESTATE_A),
    "api-offer-claim": R("POST", bad=ESTATE_A),
    "api-my-coupons": ANY_USER,
    "api-shop-payments": R(ok=SHOP_X),
    "api-shop-payment": R(ok=SHOP_X),
    "api-shop-refund-create": R("POST", bad=SHOP_X),
    "api-shop-daily": R(ok=SHOP_X),
    # --- API documentation: public (the schema is what clients build on) ------------------
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
}


def in_scope(pattern: Pattern) -> bool:
    return pattern.name in KEPT or not pattern.route.startswith(tuple(EXCLUDED))


def patterns_in_scope() -> list[Pattern]:
    return [pattern for pattern in url_patterns() if in_scope(pattern)]


def test_every_url_has_a_row_and_every_row_a_url():
    names = [pattern.name for pattern in patterns_in_scope()]
    assert len(names) == len(set(names)), "two URL patterns share a name"
    missing = sorted(set(names) - set(TABLE))
    gone = sorted(set(TABLE) - set(names))
    assert not missing, f"URLs without a row in the access matrix: {missing}"
    assert not gone, f"rows of the access matrix whose URL no longer exists: {gone}"


@pytest.fixture
def clients(db, settings) -> dict[str, Any]:
    # Shop X's webhook endpoint points at loopback, as in the webhook tests.
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = True
    world = build_world()
    clients: dict[str, Client] = {}
    for role in ROLES:
        client = Client()
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return {"world": world, "clients": clients}


def test_access_matrix(clients):
    """Every cell of the table, checked; money does not move whatever the matrix sends."""
    world, by_role = clients["world"], clients["clients"]
    transactions_before = JournalTransaction.objects.count()
    wrong: list[str] = []
    unlisted: list[str] = []
    for pattern in patterns_in_scope():
        path = reverse(pattern.name, kwargs=world.kwargs_for(pattern.name, pattern.keywords))
        row = TABLE.get(pattern.name)
        if row is None:
            unlisted.append(f"{pattern.name} ({path}): {observe(by_role, path)}")
            continue
        wrong += differences(pattern.name, row, path, by_role)
    assert_as_tabled(unlisted, wrong, transactions_before)


def differences(name: str, row: dict[str, Any], path: str, by_role: dict[str, Client]) -> list[str]:
    """Each role's answer to the row's method at ``path`` that is not the row's outcome."""
    method = row["method"]
    found = []
    for role in ROLES:
        got, expected = ask(by_role[role], path, method), row["outcomes"][role]
        if got != expected:
            found.append(f"{name} {method} {path} as {role}: {got}, expected {expected}")
    return found


def assert_as_tabled(unlisted: list[str], wrong: list[str], transactions_before: int) -> None:
    """Every cell as its table says, and no money moved whatever the matrix sent."""
    assert not unlisted, "no row; each role got:\n" + "\n".join(unlisted)
    assert not wrong, f"{len(wrong)} cells differ from the table:\n" + "\n".join(wrong)
    assert JournalTransaction.objects.count() == transactions_before
    assert [str(problem) for problem in ledger_check()] == []


# --- the other methods of API views -------------------------------------------------------
# A row asks one method. An API view that answers more (a list that also creates, an object
# that is also changed or deleted) has a cell per further method here, so a write is never
# scoped only by the read that shares its URL. Sent with an empty body.

# "bad" for a role that may not write there (a resident posting an announcement, a cashier
# inviting staff) means the empty body was refused before the role was: each app's own
# tests send a valid body and see the 403.
OTHER_METHODS: dict[tuple[str, str], dict[str, Any]] = {
    ("api-me", "PATCH"): R("PATCH", rest="ok"),
    ("api-estate-follow", "DELETE"): R("DELETE", rest="ok", bad=ESTATE_A),
    ("api-estate-announcements", "POST"): R("POST", bad=ESTATE_A),
    ("api-announcement", "PATCH"): R("PATCH", forbidden=RESIDENTS, bad=MANAGER_A),
    ("api-announcement", "DELETE"): R("DELETE", forbidden=RESIDENTS, ok=MANAGER_A),
    ("api-announcement-pin", "DELETE"): R("DELETE", forbidden=RESIDENTS, ok=MANAGER_A),
    ("api-verification", "POST"): R("POST", rest="bad"),
    ("api-circles", "POST"): R("POST", bad=ESTATE_A),
    ("api-circle-posts", "POST"): R("POST", bad=ESTATE_A),
    ("api-circle-like", "DELETE"): R("DELETE", ok=ESTATE_A),
    ("api-blocks", "POST"): R("POST", rest="bad"),
    ("api-help-requests", "POST"): R("POST", bad=ESTATE_A),
    ("api-red-packets", "POST"): R("POST", bad=ESTATE_A),
    ("api-wallet-holds", "POST"): R("POST", rest="bad"),
    ("api-wallet-cards", "POST"): R("POST", rest="bad"),
    ("api-wallet-card", "PATCH"): R("PATCH", ok=RESIDENT_A),
    ("api-wallet-card", "DELETE"): R("DELETE", ok=RESIDENT_A),
    ("api-wallet-settings", "PATCH"): R("PATCH", rest="bad"),
    ("api-wallet-fx-rates", "POST"): R("POST", rest="403", bad=OPERATOR),
    ("api-wallet-corrections", "POST"): R("POST", rest="403", bad=OPERATOR),
    ("api-estate-households", "POST"): R("POST", bad=MANAGER_A),
    ("api-my-homes", "POST"): R("POST", rest="bad"),
    ("api-estate-fee-rates", "POST"): R("POST", bad=MANAGER_A),
    ("api-estate-readings", "POST"): R("POST", bad=MANAGER_A),
    ("api-estate-charges", "POST"): R("POST", bad=MANAGER_A),
    ("api-resident-autopay", "POST"): R("POST", rest="bad"),
    ("api-merchant-invites", "POST"): R("POST", bad=SHOP_X),
    ("api-merchant-settlement-card", "GET"): R("GET", ok=OWNER_X),
    ("api-merchant-campaigns", "POST"): R("POST", bad=OWNER_X, forbidden=CASHIER_X),
    ("api-merchant-webhooks", "POST"): R("POST", bad=OWNER_X),
}


def other_methods(pattern: Pattern) -> list[str]:
    view = getattr(pattern.callback, "cls", None)  # DRF's as_view() keeps the class here
    if view is None:
        return []
    methods = [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
    return [m for m in methods if m != TABLE[pattern.name]["method"]]


def test_every_other_method_of_an_api_view_has_a_row():
    wanted = {
        (pattern.name, method)
        for pattern in patterns_in_scope()
        if pattern.name in TABLE
        for method in other_methods(pattern)
    }
    assert not sorted(wanted - set(OTHER_METHODS)), "API methods without a row"
    assert not sorted(set(OTHER_METHODS) - wanted), "rows for methods no view answers"


def test_access_matrix_other_methods(clients):
    world, by_role = clients["world"], clients["clients"]
    transactions_before = JournalTransaction.objects.count()
    wrong: list[str] = []
    unlisted: list[str] = []
    for pattern in patterns_in_scope():
        if pattern.name not in TABLE:
            continue
        path = reverse(pattern.name, kwargs=world.kwargs_for(pattern.name, pattern.keywords))
        for method in other_methods(pattern):
            row = OTHER_METHODS.get((pattern.name, method))
            if row is None:
                got = {role: ask(by_role[role], path, method) for role in ROLES}
                unlisted.append(f"{pattern.name} {method} {path}: {got}")
                continue
            wrong += differences(pattern.name, row, path, by_role)
    assert_as_tabled(unlisted, wrong, transactions_before)


def observe(by_role: dict[str, Client], path: str) -> str:
    """What each role gets from a URL with no row: GET, else POST, else DELETE."""
    for method in ("GET", "POST", "DELETE"):
        got = {role: ask(client, path, method) for role, client in by_role.items()}
        if "405" not in got.values():
            return f"{method} {got}"
    return "no method answered"
