import contextlib
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.models import User
from core.notifications import unread_count


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    icon: str
    key: str


def _items(user: User | None) -> list[NavItem]:
    if user is None:
        return [
            NavItem(_("Home"), reverse("home"), "home", "home"),
            NavItem(_("Log in"), reverse("account_login"), "login", "account_login"),
            NavItem(_("Sign up"), reverse("account_signup"), "signup", "account_signup"),
        ]
    home_label = {
        User.Role.RESIDENT: _("Home"),
        User.Role.MERCHANT_STAFF: _("My shop"),
        User.Role.PROPERTY_STAFF: _("Estate"),
        User.Role.OPERATOR: _("Console"),
    }[User.Role(user.role)]
    items = [NavItem(home_label, reverse("home"), "home", "home")]
    if user.role == User.Role.RESIDENT:
        items.append(NavItem(_("Wallet"), reverse("wallet-home"), "wallet", "wallet-home"))
    if user.role in (User.Role.RESIDENT, User.Role.PROPERTY_STAFF):
        items.append(NavItem(_("Neighbours"), reverse("estates"), "estates", "estates"))
    if user.role == User.Role.RESIDENT:
        # Coupons belong to a higher layer's page, when it is installed.
        with contextlib.suppress(NoReverseMatch):
            items.append(NavItem(_("Coupons"), reverse("my-coupons"), "coupons", "my-coupons"))
    if user.role == User.Role.OPERATOR:
        items.append(NavItem(_("Admin"), reverse("admin:index"), "admin", "admin:index"))
        items.append(
            NavItem(
                _("Verification"),
                reverse("operator-verification"),
                "admin",
                "operator-verification",
            )
        )
        # Shop applications are reviewed in a higher layer's page, when it is installed.
        with contextlib.suppress(NoReverseMatch):
            items.append(NavItem(_("Shops"), reverse("operator-shops"), "admin", "operator-shops"))
        items.append(
            NavItem(
                _("Reconciliation"),
                reverse("wallet-reconciliations"),
                "admin",
                "wallet-reconciliations",
            )
        )
        items.append(NavItem(_("API"), reverse("api-docs"), "api", "api-docs"))
    items.append(NavItem(_("Inbox"), reverse("inbox"), "inbox", "inbox"))
    items.append(NavItem(_("Me"), reverse("profile"), "me", "profile"))
    return items


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "nav_items": _items(user if signed_in else None),
        "nav_active": request.resolver_match.view_name if request.resolver_match else None,
        "unread_notifications": unread_count(user) if signed_in else 0,
    }
