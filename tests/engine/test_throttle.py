"""Login and sign-up rate limits, kept in the database so that every web worker shares them.

The limits (``engine.services.throttle.DEFAULT_POLICY``): 5 failed logins per
login name and 30 per client address in any 15 minutes; 10 sign-ups per
address in any hour. While a limit holds even the right password is refused.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Conflict, Engine, NotFound, TooManyAttempts
from engine.services.throttle import DEFAULT_POLICY, Limit, Policy
from engine.store.models import LoginAttempt

from ..conftest import minutes, password_of

ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.20"


def fail(engine: Engine, login: str = "ptsp", address: str = ADDRESS) -> None:
    assert engine.log_in(login, "bukan-kata-sandinya", address=address) is None


def rows(engine: Engine) -> int:
    with engine.db.reader() as session:
        return session.execute(select(func.count()).select_from(LoginAttempt)).scalar_one()


def test_the_documented_limits() -> None:
    assert DEFAULT_POLICY.per_login == Limit(5, timedelta(minutes=15))
    assert DEFAULT_POLICY.per_address == Limit(30, timedelta(minutes=15))
    assert DEFAULT_POLICY.signups_per_address == Limit(10, timedelta(hours=1))


def test_five_failures_then_even_the_right_password_is_refused(engine: Engine) -> None:
    for _ in range(5):
        fail(engine)
    with pytest.raises(TooManyAttempts) as refused:
        # from another address too: the login name itself is limited
        engine.log_in("ptsp", password_of("ptsp"), address=OTHER_ADDRESS)
    assert refused.value.retry_after == 15 * 60
    assert refused.value.code == "too_many_attempts"
    # another user from the same address is not limited by ptsp's failures
    assert engine.log_in("kasi", password_of("kasi"), address=ADDRESS).login == "kasi"


def test_four_failures_leave_the_right_password_working(engine: Engine) -> None:
    for _ in range(4):
        fail(engine)
    assert engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS).login == "ptsp"


def test_the_window_slides(engine: Engine, clock) -> None:
    for _ in range(5):  # failures at minutes 0, 2, 4, 6, 8
        fail(engine)
        clock.shift(minutes(2))
    with pytest.raises(TooManyAttempts) as refused:  # at minute 10
        engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS)
    assert refused.value.retry_after == 5 * 60  # when the failure of minute 0 is 15 minutes old
    clock.shift(minutes(5))  # minute 15: four failures remain in the window
    fail(engine)
    with pytest.raises(TooManyAttempts) as refused:
        engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS)
    assert refused.value.retry_after == 2 * 60  # the failure of minute 2 leaves next
    clock.shift(minutes(2))
    assert engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS).login == "ptsp"


def test_a_refused_attempt_does_not_extend_the_limit(engine: Engine, clock) -> None:
    for _ in range(5):
        fail(engine)
    for _ in range(10):  # someone keeps trying while limited
        clock.shift(minutes(1))
        with pytest.raises(TooManyAttempts):
            fail(engine)
    clock.shift(minutes(5))  # 15 minutes after the five failures
    assert engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS).login == "ptsp"


def test_a_success_clears_the_logins_failures(engine: Engine) -> None:
    for _ in range(4):
        fail(engine)
    assert engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS) is not None
    for _ in range(4):
        fail(engine)
    assert engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS) is not None
    assert rows(engine) == 0  # the address's failures were this login's, and went with them


def test_thirty_failures_from_one_address_limit_it_for_everyone(engine: Engine) -> None:
    for n in range(30):
        fail(engine, f"tamu{n}")
    with pytest.raises(TooManyAttempts) as refused:
        engine.log_in("kasi", password_of("kasi"), address=ADDRESS)
    assert refused.value.retry_after == 15 * 60
    assert engine.log_in("kasi", password_of("kasi"), address=OTHER_ADDRESS).login == "kasi"


def test_malformed_logins_and_addresses_count_against_the_address(engine: Engine) -> None:
    """A NUL byte would be refused by PostgreSQL: such names are never stored, the address still counts."""
    for n in range(30):
        assert engine.log_in(f"A\x00b{n}", "x", address=ADDRESS) is None
    with pytest.raises(TooManyAttempts):
        engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS)
    odd = "fe80::1%eth0\x00" + "9" * 200
    assert engine.log_in("ptsp", "salah", address=odd) is None
    assert engine.log_in("ptsp", password_of("ptsp"), address=odd).login == "ptsp"


def test_old_rows_are_pruned(engine: Engine, clock) -> None:
    for n in range(3):
        fail(engine, f"tamu{n}")
    assert rows(engine) == 3
    clock.shift(timedelta(days=1, minutes=1))
    fail(engine, "tamu9")
    assert rows(engine) == 1


def test_the_limits_are_shared_by_engines_on_one_database(engine: Engine, db_url: str) -> None:
    """Two engines stand for two web workers: nothing is kept in a process."""
    other = Engine(db_url)
    try:
        for _ in range(3):
            fail(engine)
        for _ in range(2):
            fail(other)
        with pytest.raises(TooManyAttempts):
            engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS)
        with pytest.raises(TooManyAttempts):
            other.log_in("ptsp", password_of("ptsp"), address=ADDRESS)
    finally:
        other.close()


def test_concurrent_attempts_get_no_more_than_the_limit(engine: Engine, db_url: str) -> None:
    """Twelve simultaneous wrong passwords on two engines: five are checked, seven refused."""
    other = Engine(db_url)
    results: list[str] = []
    barrier = threading.Barrier(12)

    def attempt(eng: Engine) -> None:
        barrier.wait()
        try:
            results.append("wrong" if eng.log_in("ptsp", "salah-sandi", address=ADDRESS) is None else "in")
        except TooManyAttempts:
            results.append("refused")

    threads = [threading.Thread(target=attempt, args=(engine if n % 2 else other,)) for n in range(12)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert sorted(results) == ["refused"] * 7 + ["wrong"] * 5


def test_sign_ups_per_address(engine: Engine, clock) -> None:
    for n in range(9):
        engine.sign_up(f"pemohon{n}", "kata-sandi-baru", name=f"Pemohon {n}", address=ADDRESS)
    with pytest.raises(Conflict):  # refused sign-ups count too
        engine.sign_up("pemohon0", "kata-sandi-baru", name="Pemohon Lagi", address=ADDRESS)
    with pytest.raises(TooManyAttempts) as refused:
        engine.sign_up("pemohon10", "kata-sandi-baru", name="Pemohon 10", address=ADDRESS)
    assert refused.value.retry_after == 60 * 60
    with pytest.raises(NotFound):
        engine.user("pemohon10")
    assert engine.sign_up("pemohon11", "kata-sandi-baru", name="Lain", address=OTHER_ADDRESS).lanes == ("Pemohon",)
    clock.shift(timedelta(hours=1))
    assert engine.sign_up("pemohon10", "kata-sandi-baru", name="Pemohon 10", address=ADDRESS).login == "pemohon10"


def test_a_stricter_policy(engine: Engine) -> None:
    strict = Policy(per_login=Limit(2, timedelta(minutes=1)))
    for _ in range(2):
        assert engine.log_in("ptsp", "salah", address=ADDRESS, policy=strict) is None
    with pytest.raises(TooManyAttempts) as refused:
        engine.log_in("ptsp", password_of("ptsp"), address=ADDRESS, policy=strict)
    assert refused.value.retry_after == 60


@pytest.mark.parametrize(
    "make",
    [
        lambda: Limit(0, timedelta(minutes=1)),
        lambda: Limit(5, timedelta(0)),
        lambda: Policy(keep=timedelta(minutes=30)),  # shorter than the sign-up window
    ],
    ids=["no attempts", "no window", "kept too briefly"],
)
def test_a_policy_that_cannot_work_is_refused(make) -> None:
    with pytest.raises(ValueError):
        make()
