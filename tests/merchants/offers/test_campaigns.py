"""The owner's campaigns: creating with checked terms, pausing, resuming, ending; only the
owner of the shop may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Circle
from core.errors import NotFound, ValidationFailed
from merchants.errors import CampaignEnded, NotShopOwner, ShopNotTrading
from merchants.models import Campaign, Shop
from merchants.services import offers
from tests.merchants.conftest import make_cashier
from tests.merchants.offers.conftest import start_campaign

pytestmark = pytest.mark.django_db


def test_the_owner_starts_a_percent_off_campaign_for_a_circle(shop, estate):
    circle = Circle.objects.create(neighbourhood=estate, name="跑步群", created_by=shop.owner)

    campaign = start_campaign(
        shop,
        name="  跑友 九折 ",
        kind=Campaign.Kind.PERCENT_OFF,
        percent=10,
        amount_minor=2_000,
        budget_minor=20_000,
        audience=Campaign.Audience.CIRCLE,
        circle_id=circle.pk,
    )

    assert campaign.name == "跑友 九折"
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.circle == circle
    assert campaign.starts_at <= timezone.now() < campaign.ends_at
    assert (campaign.claimed_count, campaign.reserved_minor, campaign.discount_minor) == (0, 0, 0)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"name": " "}, "name"),
        ({"kind": "free_lunch"}, "kind"),
        ({"amount_minor": 0}, "amount_minor"),
        ({"kind": Campaign.Kind.PERCENT_OFF, "percent": 100}, "percent"),
        ({"kind": Campaign.Kind.PERCENT_OFF, "percent": None}, "percent"),
        ({"kind": Campaign.Kind.SPEND_SAVE, "min_spend_minor": 500}, "min_spend_minor"),
        ({"budget_count": 0}, "budget_count"),
        ({"budget_minor": 499}, "budget_minor"),
        ({"per_resident_limit": 0}, "per_resident_limit"),
        ({"ends_at": timezone.now() - timedelta(minutes=1)}, "ends_at"),
        ({"audience": Campaign.Audience.BUILDINGS, "building_refs": []}, "building_refs"),
        ({"audience": Campaign.Audience.CIRCLE, "circle_id": None}, "circle"),
        ({"audience": Campaign.Audience.LAPSED_CUSTOMERS, "lapsed_days": 0}, "lapsed_days"),
    ],
)
def test_terms_that_make_no_sense_are_refused_with_their_field(shop, terms, field):
    with pytest.raises(ValidationFailed) as refused:
        start_campaign(shop, **terms)
    assert field in refused.value.fields
    assert Campaign.objects.count() == 0


def test_a_circle_of_another_estate_is_refused(shop, other_shop):
    from tests.factories import NeighbourhoodFactory

    elsewhere = NeighbourhoodFactory()
    circle = Circle.objects.create(neighbourhood=elsewhere, name="别处", created_by=shop.owner)
    with pytest.raises(ValidationFailed) as refused:
        start_campaign(shop, audience=Campaign.Audience.CIRCLE, circle_id=circle.pk)
    assert "circle" in refused.value.fields


def test_only_the_owner_of_an_approved_shop_runs_offers(shop, other_shop):
    with pytest.raises(NotFound):
        offers.campaign_create(
            owner=other_shop.owner,
            shop=shop,
            name="x",
            kind=Campaign.Kind.AMOUNT_OFF,
            amount_minor=100,
            budget_count=1,
            budget_minor=100,
            ends_at=timezone.now() + timedelta(days=1),
        )
    cashier = make_cashier(shop)
    with pytest.raises(NotShopOwner):
        offers.campaign_create(
            owner=cashier,
            shop=shop,
            name="x",
            kind=Campaign.Kind.AMOUNT_OFF,
            amount_minor=100,
            budget_count=1,
            budget_minor=100,
            ends_at=timezone.now() + timedelta(days=1),
        )
    Shop.objects.filter(pk=shop.pk).update(status=Shop.Status.SUSPENDED)
    shop.refresh_from_db()
    with pytest.raises(ShopNotTrading):
        start_campaign(shop)
    assert Campaign.objects.count() == 0


def test_pause_resume_and_end(shop, other_shop):
    campaign = start_campaign(shop)

    assert offers.campaign_pause(owner=shop.owner, campaign=campaign).status == "paused"
    assert offers.campaign_pause(owner=shop.owner, campaign=campaign).status == "paused"
    assert offers.campaign_resume(owner=shop.owner, campaign=campaign).status == "active"
    with pytest.raises(NotFound):
        offers.campaign_end(owner=other_shop.owner, campaign=campaign)
    assert offers.campaign_end(owner=shop.owner, campaign=campaign).status == "ended"
    with pytest.raises(CampaignEnded):
        offers.campaign_resume(owner=shop.owner, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ENDED
