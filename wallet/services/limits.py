"""What a user may pay: by verification level, per payment, per day, without a PIN.

Counted in CNY, in the payment's own transaction, by conditional upserts: a counter only
grows if it stays within its limit, so concurrent payments cannot pass a limit together.
Counter rows are taken in a fixed order (level, day, no-PIN) after the account locks.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    WalletError,
)
from wallet.models import Hold, UsageCounter, WalletProfile
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
LEVEL_SPANS = frozenset(span for span, _limit in LEVEL_LIMITS.values())


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


def _consume(user_id: int, amount_minor: int, limits: list[tuple[str, date, int]]) -> set[str]:
    """Add ``amount_minor`` to every (span, period, cap) counter that stays within its cap, in
    one statement; return the spans that did. The caller refuses (and so rolls back) unless
    all of them did."""
    if not limits:
        return set()
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(limits))
    cases = " ".join(["WHEN %s THEN %s"] * len(limits))
    params: list[Any] = []
    for span, period, _cap in limits:
        params += [user_id, span, period, amount_minor]
    for span, _period_start, cap in limits:
        params += [span, cap]
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


@dataclass(frozen=True)
class Counter:
    """One limit counter a payment adds to, and the refusal if it would pass its cap."""

    span: str
    period: date
    cap_minor: int
    refusal: type[WalletError]


def counters(
    *, user: Any, amount_cny_minor: int, without_pin: bool, profile: WalletProfile
) -> list[Counter]:
    """The counters a payment must fit in, in lock order (level, day, no-PIN), after the
    checks that need no counter; refuses what can never fit."""
    check_can_pay(user)
    if amount_cny_minor > profile.single_limit_minor:
        raise SingleLimitExceeded()
    level_span, level_limit = LEVEL_LIMITS[min(verification_level(user), 3)]
    if amount_cny_minor > level_limit:
        raise VerificationLimitReached()
    if amount_cny_minor > profile.daily_limit_minor:
        raise DailyLimitExceeded()
    wanted = [
        Counter(level_span, _period(level_span), level_limit, VerificationLimitReached),
        Counter(Span.DAY, _period(Span.DAY), profile.daily_limit_minor, DailyLimitExceeded),
    ]
    if without_pin:
        wanted.append(
            Counter(
                Span.NO_PIN_DAY, _period(Span.NO_PIN_DAY), NO_PIN_MAX_PER_DAY_MINOR, PinRequired
            )
        )
    return wanted


def count(*, user_id: int, amount_cny_minor: int, wanted: list[Counter]) -> None:
    require_transaction()
    counted = _consume(
        user_id, amount_cny_minor, [(each.span, each.period, each.cap_minor) for each in wanted]
    )
    for each in wanted:
        if each.span not in counted:
            raise each.refusal()


def release(*, user: Any, amount_cny_minor: int, hold: Hold) -> None:
    """Give back what a hold counted but never took (voided, expired, captured in part), to
    the counters it counted against when it was placed."""
    require_transaction()
    level_span = hold.level_span or LEVEL_LIMITS[min(max(verification_level(user), 1), 3)][0]
    spans = [level_span, Span.DAY]
    if hold.counted_without_pin:
        spans.append(Span.NO_PIN_DAY)
    for each_span in spans:
        counter = (
            UsageCounter.objects.select_for_update()
            .filter(user_id=user.pk, span=each_span, period=_period(each_span, hold.created_at))
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
