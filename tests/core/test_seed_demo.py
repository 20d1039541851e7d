from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from community.models import Neighbourhood, User
from core.demo import DEMO_PASSWORD
from merchants.models import Shop, ShopStaff
from property_mgmt.models import Building, PropertyCompany, PropertyStaff, Unit

MODELS = [User, Neighbourhood, PropertyCompany, PropertyStaff, Building, Unit, Shop, ShopStaff]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first

    # Two trading shops and one application waiting for review, flagged for a manual check
    assert first["Shop"] == 3
    pending = Shop.objects.get(status=Shop.Status.PENDING)
    assert not pending.credit_code_checks
    assert first["Building"] == 3
    assert first["Unit"] == 36
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {role.value for role in User.Role}
    assert ShopStaff.objects.filter(role=ShopStaff.Role.CASHIER).exists()

    printed = out.getvalue()
    assert "138 0000 0001" in printed
    assert DEMO_PASSWORD in printed
    operator = User.objects.get(role=User.Role.OPERATOR)
    assert Authenticator.objects.filter(user=operator, type=Authenticator.Type.TOTP).count() == 1
    assert User.objects.get(phone="+8613800000001").check_password(DEMO_PASSWORD)
