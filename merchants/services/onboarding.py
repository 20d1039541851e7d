"""Shop onboarding and staff: applications, operator review, invites by mobile number.

A verified person (level I or above) applies for a shop with the business's unified social
credit code and one of their own bound, valid bank cards for settlement. The shop waits
(``pending``) with its applicant as the ``owner`` staff member; operators are told. A code
of the wrong format is refused; a well-formed code whose check character does not match is
accepted with ``credit_code_checks=False``, which the operators' queue shows as "check by
hand" (GB 32100-2015 check: ``merchants.credit_code``).

An operator approves (the shop's wallet account is opened) or rejects with a reason; the
owner is told either way, and the decision is kept on the shop (``reviewed_by``,
``reviewed_at``, ``review_note``).

The owner invites cashiers by mobile number (one pending invite per shop and number, a
database constraint). The invitee accepts once signed in with that number and becomes a
``ShopStaff`` row. Their ``User.role`` is left as it is: the role is the account's primary
role and picks the navigation, while shop staff membership is recorded here (as the
``User`` docstring says). A resident who helps at a shop stays a resident everywhere else;
``/shop/`` lists the shops anyone works in whatever their role. Ownership is not handed on
by invite: the owner answers for the shop with a verified identity and the settlement card,
so a change of owner would be a new, reviewed application.

Scoping: a shop's staff pages and invites are found through ``selectors_directory`` helpers
that answer 404 for shops the caller does not work in; staff actions then need the
``owner`` row (``shop_owner_only``, 403, for a cashier of the same shop).

Locks: the review locks the shop row; accepting, revoking and removing lock the invite or
staff row; two operators reviewing at once, or an invite revoked while it is accepted,
resolve to one outcome and the other caller is told (``shop_not_pending``,
``invite_not_pending``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Neighbourhood, User
from community.phones import normalise_mainland_mobile
from core.errors import NotFound, ValidationFailed
from core.notifications import lazy_format, notify
from merchants import credit_code as codes
from merchants.errors import (
    AlreadyShopStaff,
    CreditCodeMalformed,
    InviteAlreadyPending,
    InviteNotPending,
    InviteRoleNotAllowed,
    NotOperator,
    NotShopOwner,
    OwnerNotRemovable,
    OwnerNotVerified,
    ReviewReasonRequired,
    SettlementCardInvalid,
    ShopNameTaken,
    ShopNotPending,
)
from merchants.models import Shop, ShopStaff, StaffInvite
from merchants.services.accounts import shop_account
from merchants.services.settlement import shop_payout_register
from wallet.models import BankCard
from wallet.services.profile import pin_verify

REASON_MAX = 300
OPERATOR_QUEUE_URL = "/operator/shops/"


def _text(raw: Any, *, field: str, max_length: int, required: bool = True) -> str:
    text = " ".join(str(raw or "").split())
    if required and not text:
        raise ValidationFailed(fields={field: [_("This field is required.")]})
    if len(text) > max_length:
        raise ValidationFailed(fields={field: [_("At most %(n)s characters.") % {"n": max_length}]})
    return text


def is_shop_owner(user: Any, shop: Shop) -> bool:
    return ShopStaff.objects.filter(shop=shop, user_id=user.pk, role=ShopStaff.Role.OWNER).exists()


def _require_owner(user: Any, shop: Shop) -> None:
    if not ShopStaff.objects.filter(shop=shop, user_id=user.pk).exists():
        raise NotFound()
    if not is_shop_owner(user, shop):
        raise NotShopOwner()


def _require_settlement_card(owner: Any, card: BankCard) -> None:
    """The owner's own card, bound and valid, or ``settlement_card_invalid``."""
    card_ok = BankCard.objects.filter(
        pk=card.pk, owner_id=owner.pk, status=BankCard.Status.VALID, removed_at__isnull=True
    ).exists()
    if not card_ok:
        raise SettlementCardInvalid(
            fields={"settlement_card": [SettlementCardInvalid.default_message]}
        )


def operators() -> list[User]:
    """Who reviews shop applications: staff accounts with the operator role."""
    return list(User.objects.filter(is_staff=True, is_active=True, role=User.Role.OPERATOR))


# --- applications ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def shop_apply(
    *,
    owner: User,
    name: str,
    business_name: str,
    credit_code: str,
    category: str,
    neighbourhood: Neighbourhood,
    address: str,
    description: str = "",
    settlement_card: BankCard,
) -> Shop:
    """Apply for a shop in ``neighbourhood``; it waits for an operator (``pending``).

    Refuses an owner below level I (``owner_not_verified``), a card that is not the owner's
    own, valid and bound (``settlement_card_invalid``), a credit code of the wrong format
    (``credit_code_malformed``) and a name already used in the neighbourhood
    (``shop_name_taken``, a database constraint). A code failing its check character is
    accepted for manual review. Side effects: the owner's ``ShopStaff`` row; an inbox entry
    for every operator (pushed after commit).
    """
    if owner.verification_level < User.VerificationLevel.I:
        raise OwnerNotVerified()
    _require_settlement_card(owner, settlement_card)
    code = codes.normalise(credit_code)
    problem = codes.format_problem(code)
    if problem is not None:
        raise CreditCodeMalformed(problem, fields={"credit_code": [problem]})
    if category not in Shop.Category.values:
        raise ValidationFailed(fields={"category": [_("Choose a category.")]})
    values = {
        "name": _text(name, field="name", max_length=100),
        "business_name": _text(business_name, field="business_name", max_length=100),
        "address": _text(address, field="address", max_length=200),
        "description": _text(description, field="description", max_length=300, required=False),
    }
    try:
        with transaction.atomic():
            shop = Shop.objects.create(
                neighbourhood=neighbourhood,
                category=category,
                credit_code=code,
                credit_code_checks=codes.checks(code),
                owner=owner,
                settlement_card=settlement_card,
                status=Shop.Status.PENDING,
                **values,
            )
    except IntegrityError:
        raise ShopNameTaken(fields={"name": [ShopNameTaken.default_message]}) from None
    ShopStaff.objects.create(shop=shop, user=owner, role=ShopStaff.Role.OWNER)
    for operator in operators():
        notify(
            operator,
            kind="shop_applied",
            title=_("New shop application: %(name)s") % {"name": shop.name},
            body=(
                _("Check it by hand: the credit code's check character does not match.")
                if not shop.credit_code_checks
                else _("Review it in the shop applications queue.")
            ),
            url=OPERATOR_QUEUE_URL,
            data={"shop_id": shop.pk},
        )
    return shop


@transaction.atomic(durable=True)
def shop_review(*, operator: User, shop: Shop, approve: bool, reason: str = "") -> Shop:
    """Approve or reject a pending application.

    Operators only (``operator_only``, 403). A rejection needs a reason
    (``review_reason_required``). Locks the shop row; anything but ``pending`` is
    ``shop_not_pending`` (of two operators at once, one decides). Approval opens the shop's
    wallet account and its payout profile (T+1 settlement to the settlement card). The
    owner is told either way (inbox, pushed after commit).
    """
    if not operator.is_operator:
        raise NotOperator()
    note = " ".join(str(reason or "").split())
    if not approve and not note:
        raise ReviewReasonRequired(fields={"reason": [ReviewReasonRequired.default_message]})
    if len(note) > REASON_MAX:
        raise ValidationFailed(
            fields={"reason": [_("At most %(n)s characters.") % {"n": REASON_MAX}]}
        )
    locked = Shop.objects.select_for_update(of=("self",)).select_related("owner").get(pk=shop.pk)
    if locked.status != Shop.Status.PENDING:
        raise ShopNotPending()
    locked.status = Shop.Status.APPROVED if approve else Shop.Status.REJECTED
    locked.reviewed_by = operator
    locked.reviewed_at = timezone.now()
    locked.review_note = note
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    if approve:
        shop_account(locked)
        shop_payout_register(locked)
    if locked.owner is not None:
        if approve:
            title = _("%(name)s is approved: you can take payments now") % {"name": locked.name}
        else:
            title = _("%(name)s was not approved") % {"name": locked.name}
        notify(
            locked.owner,
            kind="shop_reviewed",
            title=title,
            body=note,
            url="/shop/",
            data={"shop_id": locked.pk, "approved": approve},
        )
    return locked


def settlement_card_change(*, owner: User, shop: Shop, card: BankCard, pin: str) -> Shop:
    """The owner moves the shop's payouts to another of their own bound, valid cards.

    Redirecting a shop's takings is what a stolen session would do first, so the owner's
    payment PIN is asked (``pin_verify``: a wrong one is counted, and five lock it, whatever
    happens next) and the owner is told in the inbox. Only the owner (a cashier:
    ``shop_owner_only``; anyone else: 404). Locks the shop row, then (an approved shop) its
    payout profile, which is refreshed in the same transaction: the next payout, a retry of
    a declined one included, goes to the new card.
    """
    _require_owner(owner, shop)
    _require_settlement_card(owner, card)
    pin_verify(user=owner, pin=pin)
    with transaction.atomic(durable=True):
        locked = Shop.objects.select_for_update(of=("self",)).get(pk=shop.pk)
        # Checked again under the lock: the card may have been removed since.
        _require_settlement_card(owner, card)
        locked.settlement_card = card
        locked.save(update_fields=["settlement_card"])
        shop_payout_register(locked)
        notify(
            owner,
            kind="settlement_card_changed",
            title=lazy_format(
                _("Payouts of %(shop)s now go to %(card)s"), shop=locked.name, card=str(card)
            ),
            body=_("If you did not make this change, change your password and tell us at once."),
            url=f"/shop/{locked.pk}/settlements/",
            data={"shop_id": locked.pk, "card_id": card.pk},
        )
    return locked


# --- staff ---------------------------------------------------------------------------------


def _clean_phone(raw: Any) -> str:
    try:
        return normalise_mainland_mobile(str(raw or ""))
    except DjangoValidationError as error:
        raise ValidationFailed(fields={"phone": list(error.messages)}) from None


@transaction.atomic(durable=True)
def staff_invite(
    *, owner: User, shop: Shop, phone: str, role: str = ShopStaff.Role.CASHIER
) -> StaffInvite:
    """Invite a mobile number to work at ``shop`` as a cashier.

    Owner only (404 for someone who does not work there, ``shop_owner_only`` for a cashier).
    One pending invite per shop and number (``invite_already_pending``, a partial unique
    constraint); someone already on the staff is ``already_shop_staff``. When an account
    has that number it gets an inbox entry (pushed after commit).
    """
    _require_owner(owner, shop)
    if role != ShopStaff.Role.CASHIER:
        raise InviteRoleNotAllowed(fields={"role": [InviteRoleNotAllowed.default_message]})
    number = _clean_phone(phone)
    invitee = User.objects.filter(phone=number).first()
    if invitee is not None and ShopStaff.objects.filter(shop=shop, user=invitee).exists():
        raise AlreadyShopStaff(fields={"phone": [AlreadyShopStaff.default_message]})
    try:
        with transaction.atomic():
            invite = StaffInvite.objects.create(
                shop=shop, phone=number, role=role, invited_by=owner
            )
    except IntegrityError:
        raise InviteAlreadyPending(
            fields={"phone": [InviteAlreadyPending.default_message]}
        ) from None
    if invitee is not None:
        notify(
            invitee,
            kind="shop_invite",
            title=_("%(shop)s invites you to work there") % {"shop": shop.name},
            body=_("Accept the invitation on your shop invitations page."),
            url="/shop/invites/",
            data={"invite_id": invite.pk, "shop_id": shop.pk},
        )
    return invite


def _lock_invite(invite: StaffInvite) -> StaffInvite:
    locked = (
        StaffInvite.objects.select_for_update(of=("self",)).select_related("shop").get(pk=invite.pk)
    )
    if locked.status != StaffInvite.Status.PENDING:
        raise InviteNotPending()
    return locked


@transaction.atomic(durable=True)
def invite_accept(*, user: User, invite: StaffInvite) -> ShopStaff:
    """``user`` accepts an invite made to their own mobile number (anyone else: 404).

    Locks the invite; an invite accepted or withdrawn meanwhile is ``invite_not_pending``.
    Creates the ``ShopStaff`` row; the user's role is unchanged (see the module docstring).
    The inviting owner is told.
    """
    if invite.phone != user.phone:
        raise NotFound()
    locked = _lock_invite(invite)
    try:
        with transaction.atomic():
            staff = ShopStaff.objects.create(shop=locked.shop, user=user, role=locked.role)
    except IntegrityError:
        raise AlreadyShopStaff() from None
    locked.status = StaffInvite.Status.ACCEPTED
    locked.accepted_by = user
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["status", "accepted_by", "accepted_at"])
    notify(
        locked.invited_by,
        kind="shop_invite_accepted",
        title=_("%(person)s now works at %(shop)s") % {"person": user, "shop": locked.shop.name},
        url=f"/shop/{locked.shop_id}/staff/",
        data={"shop_id": locked.shop_id, "user_id": user.pk},
    )
    return staff


@transaction.atomic(durable=True)
def invite_revoke(*, owner: User, invite: StaffInvite) -> StaffInvite:
    """The owner withdraws a pending invite. Locks it; one already accepted is
    ``invite_not_pending`` (then remove the staff member instead)."""
    _require_owner(owner, invite.shop)
    locked = _lock_invite(invite)
    locked.status = StaffInvite.Status.REVOKED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic(durable=True)
def staff_remove(*, owner: User, staff: ShopStaff) -> None:
    """The owner takes a cashier off the shop's staff. Owners cannot be removed
    (``owner_not_removable``). Locks the row; removing twice is a 404 the second time."""
    _require_owner(owner, staff.shop)
    locked = ShopStaff.objects.select_for_update().filter(pk=staff.pk).first()
    if locked is None:
        raise NotFound()
    if locked.role == ShopStaff.Role.OWNER:
        raise OwnerNotRemovable()
    locked.delete()
