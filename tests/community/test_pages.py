"""Pages: each role's home, the language switch, the profile, and scoping of staff pages."""

import pytest
from django.urls import reverse

from community.models import User
from merchants.models import Shop, ShopStaff
from property_mgmt.models import Building, PropertyCompany, PropertyStaff, Unit
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_see_the_landing_page_with_login_and_signup(client):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("account_login") in page and reverse("account_signup") in page
    assert 'name="language"' in page


def test_resident_home_greets_in_the_saved_language(client):
    resident = UserFactory(display_name="王芳", preferred_language="zh-hans")
    client.force_login(resident)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "你好，王芳" in response.content.decode()


def test_browser_language_applies_when_the_user_has_no_preference(client):
    resident = UserFactory(display_name="Lei", preferred_language="")
    client.force_login(resident)
    assert "Hello, Lei" in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_language_switch_is_remembered_on_the_account(client):
    resident = UserFactory(preferred_language="zh-hans")
    client.force_login(resident)
    response = client.post(reverse("set-language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.preferred_language == "en"
    assert client.get(reverse("home")).headers["Content-Language"] == "en"


def test_language_switch_works_for_anonymous_visitors(client):
    client.post(reverse("set-language"), {"language": "en", "next": "/"})
    assert client.get(reverse("home")).headers["Content-Language"] == "en"
    client.post(reverse("set-language"), {"language": "zh-hans", "next": "/"})
    assert client.get(reverse("home")).headers["Content-Language"] == "zh-hans"


def test_profile_page_saves_name_and_language(client):
    resident = UserFactory(display_name="old")
    client.force_login(resident)
    response = client.post(reverse("profile"), {"display_name": "new", "preferred_language": "en"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.display_name, resident.preferred_language) == ("new", "en")


@pytest.mark.parametrize(
    ("role", "expected_nav"),
    [
        (User.Role.RESIDENT, {"home", "wallet-home", "estates", "my-coupons", "inbox", "profile"}),
        (User.Role.MERCHANT_STAFF, {"home", "inbox", "profile"}),
        (User.Role.PROPERTY_STAFF, {"home", "estates", "inbox", "profile"}),
    ],
)
def test_each_role_has_its_navigation(client, role, expected_nav):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("profile"))
    keys = {item.key for item in response.context["nav_items"]}
    assert keys == expected_nav


def test_operator_navigation_includes_admin_and_api(client):
    from allauth.mfa.totp.internal.auth import TOTP

    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(operator)
    response = client.get(reverse("home"))
    assert {item.key for item in response.context["nav_items"]} >= {"admin:index", "api-docs"}


def test_merchant_staff_see_only_their_own_shops(client, django_assert_max_num_queries):
    estate = NeighbourhoodFactory()
    cashier = UserFactory(role=User.Role.MERCHANT_STAFF)
    for index in range(3):
        shop = Shop.objects.create(
            name=f"mine {index}", neighbourhood=estate, category="food", address="x"
        )
        ShopStaff.objects.create(shop=shop, user=cashier, role=ShopStaff.Role.CASHIER)
    other = Shop.objects.create(
        name="other shop", neighbourhood=estate, category="food", address="y"
    )
    ShopStaff.objects.create(shop=other, user=UserFactory(), role=ShopStaff.Role.OWNER)

    client.force_login(cashier)
    assert client.get(reverse("home"))["Location"] == reverse("merchant-home")
    with django_assert_max_num_queries(6):
        page = client.get(reverse("merchant-home")).content.decode()
    assert all(f"mine {index}" in page for index in range(3))
    assert "other shop" not in page


def test_property_staff_see_only_their_companys_estates_in_constant_queries(
    client, django_assert_num_queries
):
    manager = UserFactory(role=User.Role.PROPERTY_STAFF)
    mine, theirs = NeighbourhoodFactory(name="Estate A"), NeighbourhoodFactory(name="Estate B")
    company = PropertyCompany.objects.create(name="A Co")
    company.neighbourhoods.add(mine)
    PropertyStaff.objects.create(company=company, user=manager)
    PropertyCompany.objects.create(name="B Co").neighbourhoods.add(theirs)
    Building.objects.create(neighbourhood=theirs, name="B-1")

    def add_building(name):
        building = Building.objects.create(neighbourhood=mine, name=name)
        for number in range(3):
            Unit.objects.create(building=building, number=str(number), area_m2="80.00")

    add_building("A-1")
    client.force_login(manager)
    client.get(reverse("estate-home"))  # warm the session
    # session, user, unread count, companies, their estates, the estates' buildings
    with django_assert_num_queries(6):
        page = client.get(reverse("estate-home")).content.decode()
    add_building("A-2")
    add_building("A-3")
    with django_assert_num_queries(6):
        page = client.get(reverse("estate-home")).content.decode()
    assert "Estate A" in page and "A-3" in page
    assert "Estate B" not in page and "B-1" not in page
