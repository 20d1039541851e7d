"""Wallet parameters: the payment PIN, limits, the no-PIN threshold, freezing.

PIN failures are counted by one conditional UPDATE that also sets the lock, so however many
wrong PINs arrive at once, exactly five are counted before payments lock for 30 minutes.
Failures commit on their own: they are never rolled back with the payment they refused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from wallet.errors import (
    PinIncorrect,
    PinLocked,
    PinNotSet,
    PinRequired,
    PinTooSimple,
    WalletFrozen,
)
from wallet.hashers import PinHasher, peppered
from wallet.models import UsageCounter, WalletProfile

PIN_LENGTH = 6
MAX_PIN_FAILURES = 5
PIN_LOCK = timedelta(minutes=30)
# After this long without wallet activity the next payment asks for the PIN again.
PIN_FRESHNESS = timedelta(minutes=5)
# Payments without a PIN: each at most this much, and this much a day in all (CNY fen).
NO_PIN_MAX_PER_PAYMENT_MINOR = 500_00
NO_PIN_MAX_PER_DAY_MINOR = 1_000_00
MAX_SINGLE_LIMIT_MINOR = 50_000_00
MAX_DAILY_LIMIT_MINOR = 200_000_00


def wallet_profile(user: Any) -> WalletProfile:
    if connection.vendor == "postgresql":
        # Every payment reads the profile first (for the PIN): building the query through
        # the ORM costs three times the round trip. psycopg returns every column as the
        # field's Python type, so the row needs no conversion.
        with connection.cursor() as cursor:
            cursor.execute(_PROFILE_SELECT, [user.pk])
            row = cursor.fetchone()
        if row is not None:
            return WalletProfile.from_db(connection.alias, _PROFILE_FIELDS, row)
    profile, _created = WalletProfile.objects.get_or_create(user_id=user.pk)
    return profile


_PROFILE_FIELDS = [field.attname for field in WalletProfile._meta.concrete_fields]
_PROFILE_SELECT = "SELECT {} FROM {} WHERE user_id = %s".format(
    ", ".join(f'"{field.column}"' for field in WalletProfile._meta.concrete_fields),
    WalletProfile._meta.db_table,
)


def is_trivial_pin(pin: str) -> bool:
    """Repeated digits, runs up or down, and a few well-known patterns are refused."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):
        return True
    if pin[:3] == pin[3:] or pin[:2] * 3 == pin:
        return True
    return pin in {"112233", "110110", "520520", "521521", "147258", "258369", "159753"}


def pin_set(*, user: Any, new_pin: str, current_pin: str | None = None) -> WalletProfile:
    """Set the payment PIN, or change it (then the current PIN is checked first)."""
    if len(new_pin) != PIN_LENGTH or not new_pin.isdigit():
        raise ValidationFailed(fields={"new_pin": [_("The PIN is six digits.")]})
    if is_trivial_pin(new_pin):
        raise PinTooSimple()
    profile = wallet_profile(user)
    if profile.has_pin:
        if current_pin is None:
            raise PinRequired()
        pin_verify(user=user, pin=current_pin)
    with transaction.atomic():
        WalletProfile.objects.filter(pk=profile.pk).update(
            pin_hash=make_password(peppered(new_pin), hasher=PinHasher.algorithm),
            pin_changed_at=timezone.now(),
            failed_pin_attempts=0,
        )
    profile.refresh_from_db()
    return profile


_COUNT_FAILURE = """
    UPDATE wallet_walletprofile
       SET failed_pin_attempts = CASE WHEN failed_pin_attempts + 1 >= %(max)s
                                      THEN 0 ELSE failed_pin_attempts + 1 END,
           pin_locked_until = CASE WHEN failed_pin_attempts + 1 >= %(max)s
                                   THEN %(lock_until)s ELSE pin_locked_until END
     WHERE id = %(id)s AND (pin_locked_until IS NULL OR pin_locked_until <= %(now)s)
 RETURNING failed_pin_attempts, pin_locked_until
"""


def pin_verify(*, user: Any, pin: str, profile: WalletProfile | None = None) -> None:
    """Check the PIN or raise. A wrong PIN is counted and committed whatever happens next."""
    profile = profile or wallet_profile(user)
    if not profile.has_pin:
        raise PinNotSet()
    now = timezone.now()
    if profile.pin_locked_until and profile.pin_locked_until > now:
        raise PinLocked(extra={"locked_until": profile.pin_locked_until.isoformat()})
    if check_password(peppered(pin or ""), profile.pin_hash):
        _refuse_if_locked_meanwhile(profile)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _COUNT_FAILURE,
            {"max": MAX_PIN_FAILURES, "lock_until": now + PIN_LOCK, "id": profile.pk, "now": now},
        )
        row = cursor.fetchone()
    locked_until = _as_datetime(row[1]) if row else None
    if row is None or (locked_until is not None and locked_until > now):
        raise PinLocked(extra={"locked_until": (locked_until or now + PIN_LOCK).isoformat()})
    raise PinIncorrect(extra={"attempts_left": MAX_PIN_FAILURES - int(row[0])})


_LOCKED_UNTIL = "SELECT pin_locked_until FROM wallet_walletprofile WHERE id = %s"


def _refuse_if_locked_meanwhile(profile: WalletProfile) -> None:
    """After a right PIN: refuse it if wrong ones locked the PIN since the profile was read.

    The hash check takes milliseconds, and guesses sent side by side all read the profile
    before any of them is counted; without a second look, the right one among them would
    get through a lock the others had already committed, and a guesser would try as many
    PINs per lock period as they could send at once instead of five.
    """
    now = timezone.now()
    if profile.failed_pin_attempts:
        cleared = (
            WalletProfile.objects.filter(pk=profile.pk)
            .exclude(pin_locked_until__gt=now)
            .update(failed_pin_attempts=0)
        )
        if cleared:
            return
    with connection.cursor() as cursor:
        cursor.execute(_LOCKED_UNTIL, [profile.pk])
        row = cursor.fetchone()
    locked_until = _as_datetime(row[0]) if row else None
    if locked_until is not None and locked_until > now:
        raise PinLocked(extra={"locked_until": locked_until.isoformat()})


def _as_datetime(value: Any) -> datetime | None:
    """Raw RETURNING gives a datetime on PostgreSQL and text on SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


@dataclass(frozen=True)
class PinDecision:
    needs_pin: bool
    without_pin: bool  # the payment counts against the daily no-PIN allowance
    profile: WalletProfile


def pin_decision(
    *, user: Any, amount_cny_minor: int, profile: WalletProfile | None = None
) -> PinDecision:
    """Whether a payment of this size may go without a PIN right now."""
    profile = profile or wallet_profile(user)
    if profile.is_frozen:
        raise WalletFrozen()
    if profile.pin_locked_until and profile.pin_locked_until > timezone.now():
        # Locked means locked: not even small payments go without the PIN meanwhile.
        raise PinLocked(extra={"locked_until": profile.pin_locked_until.isoformat()})
    limit = profile.no_pin_limit_minor
    recent = profile.last_activity_at and timezone.now() - profile.last_activity_at < PIN_FRESHNESS
    if limit and amount_cny_minor <= limit and recent:
        used = (
            UsageCounter.objects.filter(
                user_id=user.pk, span=UsageCounter.Span.NO_PIN_DAY, period=timezone.localdate()
            )
            .values_list("used_minor", flat=True)
            .first()
            or 0
        )
        if used + amount_cny_minor <= NO_PIN_MAX_PER_DAY_MINOR:
            return PinDecision(needs_pin=False, without_pin=True, profile=profile)
    return PinDecision(needs_pin=True, without_pin=False, profile=profile)


def authorise_payer(*, user: Any, amount_cny_minor: int, pin: str | None) -> PinDecision:
    """PIN and freeze checks before a payment's transaction opens."""
    decision = pin_decision(user=user, amount_cny_minor=amount_cny_minor)
    if pin:
        pin_verify(user=user, pin=pin, profile=decision.profile)
        return PinDecision(needs_pin=True, without_pin=False, profile=decision.profile)
    if decision.needs_pin:
        if not decision.profile.has_pin:
            raise PinNotSet()
        raise PinRequired()
    return decision


def mark_activity(user: Any) -> None:
    """Record wallet activity, or refuse if the wallet was frozen meanwhile.

    Runs first in a payment's transaction: it locks the payer's profile row, so a freeze
    and a payment cannot pass each other. (Lock order: the operation's entity, then this,
    then accounts.)
    """
    updated = WalletProfile.objects.filter(user_id=user.pk, frozen_at__isnull=True).update(
        last_activity_at=timezone.now()
    )
    if not updated:
        raise WalletFrozen()


def limits_update(
    *,
    user: Any,
    no_pin_limit_minor: int | None = None,
    single_limit_minor: int | None = None,
    daily_limit_minor: int | None = None,
    pin: str,
) -> WalletProfile:
    """Change the payment limits; needs the PIN."""
    pin_verify(user=user, pin=pin)
    profile = wallet_profile(user)
    errors: dict[str, list[Any]] = {}
    changes: dict[str, int] = {}
    if no_pin_limit_minor is not None:
        if not 0 <= no_pin_limit_minor <= NO_PIN_MAX_PER_PAYMENT_MINOR:
            errors["no_pin_limit_minor"] = [_("At most ¥500.00, or 0 to always ask for the PIN.")]
        changes["no_pin_limit_minor"] = no_pin_limit_minor
    if single_limit_minor is not None:
        if not 0 < single_limit_minor <= MAX_SINGLE_LIMIT_MINOR:
            errors["single_limit_minor"] = [_("Between ¥0.01 and ¥50,000.00.")]
        changes["single_limit_minor"] = single_limit_minor
    if daily_limit_minor is not None:
        if not 0 < daily_limit_minor <= MAX_DAILY_LIMIT_MINOR:
            errors["daily_limit_minor"] = [_("Between ¥0.01 and ¥200,000.00.")]
        changes["daily_limit_minor"] = daily_limit_minor
    if errors:
        raise ValidationFailed(fields=errors)
    if changes:
        WalletProfile.objects.filter(pk=profile.pk).update(**changes)
        profile.refresh_from_db()
    return profile


def wallet_freeze(*, user: Any) -> WalletProfile:
    """ "Lost phone": stop every payment and withdrawal at once. Needs no PIN."""
    profile = wallet_profile(user)
    WalletProfile.objects.filter(pk=profile.pk, frozen_at__isnull=True).update(
        frozen_at=timezone.now()
    )
    profile.refresh_from_db()
    return profile


def wallet_unfreeze(*, user: Any, password: str, pin: str) -> WalletProfile:
    if not user.check_password(password):
        raise ValidationFailed(fields={"password": [_("The password is not correct.")]})
    pin_verify(user=user, pin=pin)
    profile = wallet_profile(user)
    WalletProfile.objects.filter(pk=profile.pk).update(frozen_at=None)
    profile.refresh_from_db()
    return profile
