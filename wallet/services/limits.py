"""What a user may pay: by verification level, per payment, per day, without a PIN.

Counted in CNY, in the payment's own transaction, by conditional upserts: a counter only
grows if it stays within its limit, so concurrent payments cannot pass a limit together.
Counter rows are taken in a fixed order (level, day, no-PIN) after the account locks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from wallet.errors import (
    DailyLimitExceeded,
    PinRequired,
    SingleLimitExceeded,
    VerificationLimitReached,
    VerificationRequired,
)
from wallet.models import UsageCounter, WalletProfile
from wallet.services.ledger import require_transaction
from wallet.services.profile import NO_PIN_MAX_PER_DAY_MINOR

Span = UsageCounter.Span
LIFETIME_PERIOD = date(2000, 1, 1)
# Verification level -> (span, limit in CNY fen): I counts for life, II and III per year.
LEVEL_LIMITS: dict[int, tuple[str, int]] = {
    1: (Span.LIFETIME, 1_000_00),
    2: (Span.YEAR, 100_000_00),
    3: (Span.YEAR, 200_000_00),
}


def verification_level(user: Any) -> int:
    return int(getattr(user, "verification_level", 0) or 0)


def check_can_pay(user: Any) -> None:
    if verification_level(user) < 1:
        raise VerificationRequired()


def _period(span: str, when: datetime | None = None) -> date:
    today = timezone.localdate(when) if when else timezone.localdate()
    if span == Span.LIFETIME:
        return LIFETIME_PERIOD
    if span == Span.YEAR:
        return today.replace(month=1, day=1)
    return today


def _consume(user_id: int, amount_minor: int, limits: list[tuple[str, int]]) -> set[str]:
    """Add ``amount_minor`` to every (span, limit) counter that stays within its limit, in
    one statement; return the spans that did. The caller refuses (and so rolls back) unless
    all of them did."""
    if not limits:
        return set()
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(limits))
    cases = " ".join(["WHEN %s THEN %s"] * len(limits))
    params: list[Any] = []
    for span, _limit in limits:
        params += [user_id, span, _period(span), amount_minor]
    for span, limit in limits:
        params += [span, limit]
    sql = f"""
        INSERT INTO wallet_usagecounter (user_id, span, period, used_minor) VALUES {rows}
        ON CONFLICT (user_id, span, period) DO UPDATE
           SET used_minor = wallet_usagecounter.used_minor + EXCLUDED.used_minor
         WHERE wallet_usagecounter.used_minor + EXCLUDED.used_minor
               <= CASE EXCLUDED.span {cases} END
     RETURNING span
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def consume(
    *, user: Any, amount_cny_minor: int, without_pin: bool, profile: WalletProfile | None = None
) -> None:
    """Count a payment against every limit that applies, or refuse it (in the payment's
    transaction, so a refusal rolls everything back)."""
    require_transaction()
    check_can_pay(user)
    profile = profile or WalletProfile.objects.get(user_id=user.pk)
    if amount_cny_minor > profile.single_limit_minor:
        raise SingleLimitExceeded()
    level_span, level_limit = LEVEL_LIMITS[min(verification_level(user), 3)]
    # Fixed order: level, day, no-PIN (the rows are locked in this order).
    wanted = [(level_span, level_limit), (Span.DAY, profile.daily_limit_minor)]
    if without_pin:
        wanted.append((Span.NO_PIN_DAY, NO_PIN_MAX_PER_DAY_MINOR))
    if amount_cny_minor > level_limit:
        raise VerificationLimitReached()
    if amount_cny_minor > profile.daily_limit_minor:
        raise DailyLimitExceeded()
    counted = _consume(user.pk, amount_cny_minor, wanted)
    if level_span not in counted:
        raise VerificationLimitReached()
    if Span.DAY not in counted:
        raise DailyLimitExceeded()
    if without_pin and Span.NO_PIN_DAY not in counted:
        raise PinRequired()


def release(*, user: Any, amount_cny_minor: int, counted_at: datetime) -> None:
    """Give back what a hold counted but never took (voided, expired, captured in part)."""
    require_transaction()
    span, _limit = LEVEL_LIMITS[min(max(verification_level(user), 1), 3)]
    for each_span in (span, Span.DAY):
        counter = (
            UsageCounter.objects.select_for_update()
            .filter(user_id=user.pk, span=each_span, period=_period(each_span, counted_at))
            .first()
        )
        if counter is not None:
            counter.used_minor = max(0, counter.used_minor - amount_cny_minor)
            counter.save(update_fields=["used_minor"])


def remaining(user: Any, profile: WalletProfile | None = None) -> dict[str, int | None]:
    """What is left today and under the verification level (for the dry run and pages)."""
    level = verification_level(user)
    profile = profile or WalletProfile.objects.filter(user_id=user.pk).first()
    used = {
        (span, period): used
        for span, period, used in UsageCounter.objects.filter(user_id=user.pk).values_list(
            "span", "period", "used_minor"
        )
    }
    result: dict[str, int | None] = {"level": None, "day": None}
    if level >= 1:
        span, limit = LEVEL_LIMITS[min(level, 3)]
        result["level"] = limit - used.get((span, _period(span)), 0)
    if profile is not None:
        result["day"] = profile.daily_limit_minor - used.get((Span.DAY, _period(Span.DAY)), 0)
    return result
