"""Sign-in and session benchmark: equal work for known and unknown names, the cost of the
server-side session look-up every request makes, and parallel guesses against the limit.

Prints, on a SQLite file (and with ``--postgres`` on a throw-away PostgreSQL server too):

- the time of a wrong-password sign-in for an existing and for an unknown name (min, median,
  max): they should be alike, since an unknown name is checked against a dummy Argon2 hash;
- the time of one session look-up (what every signed-in request does), beside the old look-up
  of a user by id that it replaced;
- how many of ``--guesses`` parallel wrong guesses at one account had their password checked
  (the limit is 5 free failures).

    .venv/bin/python bench/bench_sign_in.py [--rounds 10] [--lookups 2000] [--postgres]
    .venv/bin/python bench/bench_sign_in.py --smoke      # a few rounds, SQLite only
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from sqlalchemy import delete, select

from papertally.model.recount import Role
from papertally.store.engine import writing
from papertally.store.pgserver import TemporaryPostgres
from papertally.store.recount_schema import SignInThrottleRow, UserRow
from papertally.store.users import ThrottlePolicy
from papertally.web.security import hash_password, token_digest
from papertally.web.service import Services, SignInRefused

PASSWORD = "bench password of some length"


def _ms(seconds: list[float]) -> str:
    values = [s * 1000 for s in seconds]
    middle = statistics.median(values)
    return f"min {min(values):7.1f}  median {middle:7.1f}  max {max(values):7.1f} ms"


def _wrong_sign_in(services: Services, name: str, address: str) -> float:
    started = time.perf_counter()
    try:
        services.sign_in(name, "not the password", address=address)
    except SignInRefused as refused:
        assert refused.status == 401, refused
    elapsed = time.perf_counter() - started
    with writing(services.engine) as connection:
        connection.execute(delete(SignInThrottleRow))
    return elapsed


def _timed(action: Callable[[], object], times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        action()
    return (time.perf_counter() - started) / times


def run(url: str, label: str, rounds: int, lookups: int, guesses: int) -> None:
    """Print the figures for the store at ``url``."""
    services = Services(url)
    services.store.migrate()
    services.users.add_user(
        "admin", hash_password(PASSWORD), Role.ADMINISTRATOR, None, actor="bench"
    )
    known, unknown = [], []
    for n in range(rounds):
        known.append(_wrong_sign_in(services, "admin", f"10.0.0.{n}"))
        unknown.append(_wrong_sign_in(services, f"nobody-{n}", f"10.0.1.{n}"))
    print(f"[{label}] wrong password, existing name: {_ms(known)}")
    print(f"[{label}] wrong password, unknown name:  {_ms(unknown)}")

    signed = services.sign_in("admin", PASSWORD, address="10.0.9.9")
    digest = token_digest(signed.token)
    user_id = signed.user.id

    def old_lookup() -> object:
        with services.engine.connect() as connection:
            query = select(UserRow.username, UserRow.role, UserRow.county)
            return connection.execute(query.where(UserRow.id == user_id)).first()

    per_session = _timed(lambda: services.users.session(digest, services.sessions), lookups)
    per_user = _timed(old_lookup, lookups)
    print(
        f"[{label}] session look-up per request: {per_session * 1000:.2f} ms "
        f"(old user-by-id look-up {per_user * 1000:.2f} ms), {lookups} each"
    )

    checked: list[int] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> Literal[True]:
        checked.append(1)
        return real(self, hash, password)

    PasswordHasher.verify = counting  # type: ignore[method-assign]
    try:
        limited = Services(url, throttle=ThrottlePolicy(first_delay=timedelta(minutes=10)))
        barrier = threading.Barrier(guesses)

        def guess(n: int) -> None:
            barrier.wait()
            with contextlib.suppress(SignInRefused):
                limited.sign_in("admin", f"guess {n}", address=f"10.0.2.{n % 250}")

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        PasswordHasher.verify = real  # type: ignore[method-assign]
    print(f"[{label}] {guesses} parallel wrong guesses at one account: {len(checked)} checked")
    services.store.close()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--guesses", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--smoke", action="store_true", help="a few rounds, SQLite only")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.lookups, args.guesses, args.postgres = 2, 50, 8, False
    with tempfile.TemporaryDirectory(prefix="papertally-bench-") as folder:
        run(
            f"sqlite:///{Path(folder) / 'store.db'}",
            "sqlite",
            args.rounds,
            args.lookups,
            args.guesses,
        )
    if args.postgres:
        with TemporaryPostgres("sign-in") as server:
            run(server.url, "postgresql", args.rounds, args.lookups, args.guesses)


if __name__ == "__main__":
    main()
