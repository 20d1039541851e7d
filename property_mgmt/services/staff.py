"""Changes to property companies and their staff.

Community features (moderation, announcements, in-person checks) know estate staff by
their staff memberships; these services keep those in step with who works for which
company and which estates the company manages.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from community.models import Neighbourhood, User
from community.services.membership import staff_membership_grant, staff_membership_revoke
from property_mgmt.models import PropertyCompany, PropertyStaff


@transaction.atomic
def staff_add(*, company: PropertyCompany, user: Any, role: str) -> PropertyStaff:
    """Employ ``user`` at ``company``: staff of every estate it manages from now on."""
    staff, _created = PropertyStaff.objects.update_or_create(
        company=company, user=user, defaults={"role": role}
    )
    if user.role == User.Role.RESIDENT:
        User.objects.filter(pk=user.pk).update(role=User.Role.PROPERTY_STAFF)
        user.role = User.Role.PROPERTY_STAFF
    for neighbourhood in company.neighbourhoods.all():
        staff_membership_grant(user=user, neighbourhood=neighbourhood)
    return staff


@transaction.atomic
def staff_remove(*, company: PropertyCompany, user: Any) -> None:
    """End the employment; keep staff rights only in estates another employer manages."""
    PropertyStaff.objects.filter(company=company, user=user).delete()
    still_managed = set(
        Neighbourhood.objects.filter(property_companies__staff__user=user).values_list(
            "pk", flat=True
        )
    )
    for neighbourhood in company.neighbourhoods.exclude(pk__in=still_managed):
        staff_membership_revoke(user=user, neighbourhood=neighbourhood)


@transaction.atomic
def company_take_over(*, company: PropertyCompany, neighbourhood: Neighbourhood) -> None:
    """The company starts managing ``neighbourhood``: its staff become the estate's staff."""
    company.neighbourhoods.add(neighbourhood)
    for staff in company.staff.select_related("user"):
        staff_membership_grant(user=staff.user, neighbourhood=neighbourhood)
