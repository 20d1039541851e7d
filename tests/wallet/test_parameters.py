"""Wallet parameters: PIN rules, lock-out, the no-PIN threshold, limits, freezing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.wallet.conftest import PIN, fund, make_resident, shop_account
from wallet.errors import (
    DailyLimitExceeded,
    PinIncorrect,
    PinLocked,
    PinNotSet,
    PinRequired,
    PinTooSimple,
    SingleLimitExceeded,
    VerificationLimitReached,
    VerificationRequired,
    WalletFrozen,
)
from wallet.models import UsageCounter, WalletProfile
from wallet.services import payments, profile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pay_path")]


def pay(user, amount, pin=PIN, payee=None):
    return payments.payment_create(
        payer=user, payee=payee or shop_account(), amount_minor=amount, description="x", pin=pin
    )


@pytest.mark.parametrize(
    "pin", ["123456", "654321", "000000", "999999", "121212", "123123", "890123"]
)
def test_trivial_pins_are_refused(pin):
    user = make_resident(pin=None)
    with pytest.raises(PinTooSimple):
        profile.pin_set(user=user, new_pin=pin)


def test_changing_the_pin_needs_the_current_one():
    user = make_resident()
    with pytest.raises(PinRequired):
        profile.pin_set(user=user, new_pin="864213")
    with pytest.raises(PinIncorrect):
        profile.pin_set(user=user, new_pin="864213", current_pin="975310")
    profile.pin_set(user=user, new_pin="864213", current_pin=PIN)
    profile.pin_verify(user=user, pin="864213")


def test_pin_is_hashed_not_stored():
    user = make_resident()
    stored = WalletProfile.objects.get(user=user).pin_hash
    assert PIN not in stored and "$" in stored


def test_five_wrong_pins_lock_payments_for_thirty_minutes():
    user = make_resident()
    fund(user, 10_000)
    for attempt in range(1, 5):
        with pytest.raises(PinIncorrect) as wrong:
            pay(user, 100, pin="975310")
        assert wrong.value.extra["attempts_left"] == 5 - attempt
    with pytest.raises(PinLocked):
        pay(user, 100, pin="975310")
    # Even the right PIN is refused while locked
    with pytest.raises(PinLocked):
        pay(user, 100)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert pay(user, 100).payment.amount_minor == 100


@pytest.mark.parametrize("earlier_failures", [0, 2])
def test_a_right_pin_read_before_a_lock_landed_is_refused_by_that_lock(earlier_failures):
    """Guesses sent side by side all read the profile first; the right one among them
    must not pass a lock the wrong ones committed while its hash was being checked."""
    user = make_resident()
    for _ in range(earlier_failures):
        with pytest.raises(PinIncorrect):
            profile.pin_verify(user=user, pin="975310")
    read_before_the_lock = profile.wallet_profile(user)
    for _ in range(5 - earlier_failures):
        with pytest.raises((PinIncorrect, PinLocked)):
            profile.pin_verify(user=user, pin="975310")

    with pytest.raises(PinLocked) as refused:
        profile.pin_verify(user=user, pin=PIN, profile=read_before_the_lock)
    assert refused.value.extra["locked_until"]
    assert WalletProfile.objects.get(user=user).pin_locked_until > timezone.now()


def test_a_right_pin_clears_earlier_failures():
    user = make_resident()
    for _ in range(3):
        with pytest.raises(PinIncorrect):
            profile.pin_verify(user=user, pin="975310")
    profile.pin_verify(user=user, pin=PIN)
    assert WalletProfile.objects.get(user=user).failed_pin_attempts == 0


def test_paying_without_a_pin_needs_a_pin_set_first():
    user = make_resident(pin=None)
    fund(user, 1_000)
    with pytest.raises(PinNotSet):
        pay(user, 100, pin=None)


def test_small_payments_go_without_pin_only_while_active_and_within_the_daily_total():
    user = make_resident()
    fund(user, 300_000)
    profile.limits_update(user=user, no_pin_limit_minor=20_000, pin=PIN)
    pay(user, 100)  # activity: the PIN was just used

    assert pay(user, 15_000, pin=None).payment.amount_minor == 15_000
    with pytest.raises(PinRequired):
        pay(user, 20_001, pin=None)  # above the threshold

    # After five quiet minutes the next payment asks again
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        with pytest.raises(PinRequired):
            pay(user, 100, pin=None)
        pay(user, 100)
        # ¥1,000.00 a day in all without a PIN: 150 + 5×169 = 995 ok, the next is not
        for _ in range(5):
            pay(user, 16_900, pin=None)
        with pytest.raises(PinRequired):
            pay(user, 1_000, pin=None)


def test_no_pin_threshold_is_capped():
    user = make_resident()
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        profile.limits_update(user=user, no_pin_limit_minor=50_001, pin=PIN)


def test_single_and_daily_limits():
    user = make_resident(level=3)
    fund(user, 5_000_000)
    profile.limits_update(user=user, single_limit_minor=100_000, daily_limit_minor=250_000, pin=PIN)
    with pytest.raises(SingleLimitExceeded):
        pay(user, 100_001)
    pay(user, 100_000)
    pay(user, 100_000)
    with pytest.raises(DailyLimitExceeded):
        pay(user, 50_001)
    pay(user, 50_000)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        pay(user, 100_000)


def test_verification_levels_set_what_may_be_paid():
    unverified = make_resident(level=0)
    fund(unverified, 10_000)
    with pytest.raises(VerificationRequired):
        pay(unverified, 100)

    level_one = make_resident(level=1, phone="+8613912340001")
    fund(level_one, 200_000)
    pay(level_one, 60_000)
    with pytest.raises(VerificationLimitReached):
        pay(level_one, 40_001)  # ¥1,000.00 in total at level I
    pay(level_one, 40_000)


def test_frozen_wallet_pays_nothing_until_unfrozen_with_password_and_pin():
    user = make_resident()
    fund(user, 10_000)
    profile.wallet_freeze(user=user)
    with pytest.raises(WalletFrozen):
        pay(user, 100)
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        profile.wallet_unfreeze(user=user, password="wrong", pin=PIN)
    profile.wallet_unfreeze(user=user, password="correct-horse-battery", pin=PIN)
    assert pay(user, 100).payment.amount_minor == 100


def test_a_refused_payment_does_not_use_up_limits():
    user = make_resident(level=1)
    fund(user, 50_000)
    from wallet.errors import InsufficientFunds

    with pytest.raises(InsufficientFunds):
        pay(user, 90_000)
    pay(user, 50_000)
    fund(user, 60_000)
    with pytest.raises(VerificationLimitReached):
        pay(user, 50_001)


def test_the_profile_read_for_a_payment_is_the_stored_profile():
    """The hot path reads the profile without the ORM on PostgreSQL: same values, same types."""
    user = make_resident()
    profile.wallet_freeze(user=user)
    WalletProfile.objects.filter(user_id=user.pk).update(
        no_pin_limit_minor=12_300, failed_pin_attempts=2, last_activity_at=timezone.now()
    )
    stored = WalletProfile.objects.get(user_id=user.pk)

    read = profile.wallet_profile(user)

    for field in WalletProfile._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(stored, field.attname), field.name
    assert read.frozen_at.tzinfo is not None
    assert read.is_frozen and read.has_pin
    assert not read._state.adding


def test_what_a_hold_gives_back_goes_to_the_counters_it_counted_against():
    """A level I resident's hold counts against the lifetime limit; upgraded to level II
    before it ends, what it gives back still goes to the lifetime counter, not to this
    year's (which would let the year's limit be passed by the amount)."""
    user = make_resident(level=1)
    fund(user, 100_000)
    payee = payments.wallet_account(make_resident(phone="+8613912345030", real_name="李雷"))
    hold = payments.hold_create(
        payer=user, payee=payee, amount_minor=80_000, description="押金", pin=PIN
    ).hold
    user.verification_level = 2
    user.save(update_fields=["verification_level"])
    pay(user, 5_000)  # counted this year, at level II
    payments.hold_void(hold=hold)

    used = dict(UsageCounter.objects.filter(user=user).values_list("span", "used_minor"))
    assert used[UsageCounter.Span.LIFETIME] == 0
    assert used[UsageCounter.Span.YEAR] == 5_000
    assert used[UsageCounter.Span.DAY] == 5_000


def test_a_hold_made_without_the_pin_gives_the_no_pin_allowance_back():
    user = make_resident()
    fund(user, 100_000)
    profile.limits_update(user=user, no_pin_limit_minor=20_000, pin=PIN)
    pay(user, 100)  # activity: the PIN was just used
    hold = payments.hold_create(
        payer=user, payee=shop_account(), amount_minor=15_000, description="x", pin=None
    ).hold
    no_pin = UsageCounter.objects.filter(user=user, span=UsageCounter.Span.NO_PIN_DAY)
    assert no_pin.get().used_minor == 15_000
    payments.hold_void(hold=hold)
    assert no_pin.get().used_minor == 0
