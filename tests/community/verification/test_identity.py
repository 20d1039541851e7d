"""identity_submit: the provider's answers, faults, duplicates, limits and encryption."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from community import crypto
from community.errors import (
    AlreadyVerified,
    IdentityNotConfirmed,
    IdentityNumberInUse,
    InvalidIdentityNumber,
    VerificationRateLimited,
    VerificationUnavailable,
)
from community.models import IdentityRecord, LevelChange, User, VerificationAttempt
from community.services.verification import identity_find_by_number, identity_submit
from community.verification import sandbox
from core.errors import ValidationFailed
from core.models import Notification
from tests.community.verification.conftest import LI_MING, WANG_FANG, ZHANG_WEI, unverified
from tests.wallet.conftest import sandbox_card
from wallet.services import bank

pytestmark = pytest.mark.django_db


def submit(user, person=WANG_FANG, **overrides):
    name, number = person
    return identity_submit(user=user, real_name=overrides.get("real_name", name), id_number=number)


def outcomes(user) -> list[str]:
    return list(
        VerificationAttempt.objects.filter(user=user)
        .order_by("pk")
        .values_list("outcome", flat=True)
    )


def test_a_confirmed_identity_reaches_level_one(resident):
    record = submit(resident)

    resident.refresh_from_db()
    assert resident.verification_level == User.VerificationLevel.I
    assert resident.real_name == "王芳"
    assert record.id_number_masked == "110***********4522"
    assert record.provider == "sandbox" and record.provider_reference.startswith("sbx_")
    change = LevelChange.objects.get(user=resident)
    assert (change.from_level, change.to_level, change.source) == (0, 1, "provider")
    assert outcomes(resident) == ["confirmed"]
    assert Notification.objects.filter(user=resident, kind="identity_confirmed").exists()


def test_lower_case_x_and_spaces_are_accepted(resident):
    record = identity_submit(user=resident, real_name=" 张伟 ", id_number="110105 19491231 002x")
    assert record.real_name == "张伟"
    assert record.id_number == "11010519491231002X"


def test_the_number_is_encrypted_at_rest_and_found_by_its_digest(resident):
    record = submit(resident)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, id_number_digest FROM community_identityrecord WHERE id = %s",
            [record.pk],
        )
        raw, stored_digest = cursor.fetchone()
    number = WANG_FANG[1]
    assert raw != number and number not in raw and "4522" not in raw
    assert stored_digest == crypto.digest(number) and number not in stored_digest
    assert IdentityRecord.objects.get(pk=record.pk).id_number == number
    assert identity_find_by_number(number) == record
    assert identity_find_by_number(" 110101 199003074522 ") == record
    assert identity_find_by_number(LI_MING[1]) is None


@pytest.mark.parametrize("fault", [sandbox.TIMEOUT, sandbox.DOWN])
def test_provider_trouble_saves_nothing_but_the_attempt(resident, fault):
    sandbox.inject_fault(fault)

    with pytest.raises(VerificationUnavailable) as refused:
        submit(resident)

    assert refused.value.status_code == 503
    resident.refresh_from_db()
    assert resident.verification_level == 0 and resident.real_name == ""
    assert not IdentityRecord.objects.exists()
    assert not LevelChange.objects.exists()
    assert outcomes(resident) == ["unavailable"]
    # The fault is spent: trying again later works.
    assert submit(resident).user_id == resident.pk


def test_provider_trouble_does_not_use_up_the_residents_tries(resident):
    sandbox.inject_fault(sandbox.DOWN, times=6)
    for _attempt in range(6):
        with pytest.raises(VerificationUnavailable):
            submit(resident)
    assert submit(resident).user_id == resident.pk


@pytest.mark.parametrize(
    ("person", "outcome"),
    [(("李雷", WANG_FANG[1]), "mismatch"), (("王芳", "510107198812240429"), "not_found")],
)
def test_a_mismatch_or_an_unknown_number_is_refused(resident, person, outcome):
    with pytest.raises(IdentityNotConfirmed):
        submit(resident, person)
    assert outcomes(resident) == [outcome]
    assert not IdentityRecord.objects.exists()
    resident.refresh_from_db()
    assert resident.verification_level == 0


def test_an_invalid_number_never_reaches_the_provider(resident):
    sandbox.inject_fault(sandbox.DOWN)  # would answer the first provider call
    with pytest.raises(InvalidIdentityNumber):
        identity_submit(user=resident, real_name="王芳", id_number="110101199003074521")
    assert outcomes(resident) == []
    assert sandbox.take_fault() == sandbox.DOWN


def test_a_name_is_required(resident):
    with pytest.raises(ValidationFailed) as refused:
        identity_submit(user=resident, real_name="   ", id_number=WANG_FANG[1])
    assert "real_name" in refused.value.fields


def test_a_number_verified_by_another_account_is_refused(resident):
    submit(resident)
    second = unverified()

    with pytest.raises(IdentityNumberInUse):
        submit(second)

    assert outcomes(second) == ["duplicate"]
    second.refresh_from_db()
    assert second.verification_level == 0 and second.real_name == ""
    assert IdentityRecord.objects.get().user_id == resident.pk


def test_a_wrong_name_for_a_registered_number_does_not_reveal_it_is_registered(resident):
    submit(resident)
    second = unverified()
    with pytest.raises(IdentityNotConfirmed):
        submit(second, ("李雷", WANG_FANG[1]))


def test_verifying_twice_is_refused(resident):
    submit(resident)
    with pytest.raises(AlreadyVerified):
        submit(resident, LI_MING)
    assert IdentityRecord.objects.get().real_name == "王芳"


def test_at_most_five_attempts_a_day(resident):
    for _attempt in range(5):
        with pytest.raises(IdentityNotConfirmed):
            submit(resident, ("李雷", WANG_FANG[1]))

    with pytest.raises(VerificationRateLimited) as refused:
        submit(resident)  # even the right answer waits

    assert refused.value.status_code == 429
    assert len(outcomes(resident)) == 5
    # A day later the tries are back.
    VerificationAttempt.objects.filter(user=resident).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert submit(resident).user_id == resident.pk


def test_a_card_already_in_that_name_lands_at_level_two(resident):
    # An earlier verification let them bind a card, then an operator removed the record
    # (a correction) so they verify again.
    sandbox_card(holder="王芳")
    User.objects.filter(pk=resident.pk).update(verification_level=1, real_name="王芳")
    resident.refresh_from_db()
    card = bank.card_bind(
        user=resident,
        number="6222020200000000006",
        holder_name="王芳",
        expiry_month=12,
        expiry_year=timezone.localdate().year + 3,
    )
    User.objects.filter(pk=resident.pk).update(verification_level=0, real_name="")
    resident.refresh_from_db()

    record = submit(resident)

    resident.refresh_from_db()
    assert resident.verification_level == User.VerificationLevel.II
    assert record.bank_confirmed_at == card.created_at
    assert list(
        LevelChange.objects.filter(user=resident).order_by("pk").values_list("source", "to_level")
    ) == [("provider", 1), ("bank_card", 2)]


def test_a_card_in_another_name_does_not_count(resident):
    sandbox_card(holder="王芳")
    User.objects.filter(pk=resident.pk).update(verification_level=1, real_name="王芳")
    resident.refresh_from_db()
    bank.card_bind(
        user=resident,
        number="6222020200000000006",
        holder_name="王芳",
        expiry_month=12,
        expiry_year=timezone.localdate().year + 3,
    )
    User.objects.filter(pk=resident.pk).update(verification_level=0, real_name="")
    resident.refresh_from_db()

    submit(resident, LI_MING)

    resident.refresh_from_db()
    assert resident.verification_level == User.VerificationLevel.I


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accounts_racing_with_one_number_exactly_one_wins():
    from tests.community.verification.conftest import WANG_FANG as person

    sandbox.seed_identity(name=person[0], id_number=person[1])
    racers = [unverified(), unverified()]
    barrier = threading.Barrier(len(racers))
    results: dict[int, str] = {}

    def race(user: User) -> None:
        try:
            barrier.wait()
            submit(user, person)
            results[user.pk] = "verified"
        except IdentityNumberInUse:
            results[user.pk] = "duplicate"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(user,)) for user in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results.values()) == ["duplicate", "verified"]
    assert IdentityRecord.objects.count() == 1
    winner = IdentityRecord.objects.get().user_id
    assert User.objects.get(pk=winner).verification_level == 1
    loser = next(pk for pk in results if pk != winner)
    assert User.objects.get(pk=loser).verification_level == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_account_submitting_twice_at_once_gets_one_record():
    for name, number in (WANG_FANG, ZHANG_WEI):
        sandbox.seed_identity(name=name, id_number=number)
    user = unverified()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def race(person) -> None:
        try:
            barrier.wait()
            submit(User.objects.get(pk=user.pk), person)
            results.append("verified")
        except AlreadyVerified:
            results.append("already")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(p,)) for p in (WANG_FANG, ZHANG_WEI)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["already", "verified"]
    assert IdentityRecord.objects.filter(user=user).count() == 1
    assert LevelChange.objects.filter(user=user).count() == 1
