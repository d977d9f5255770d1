"""Registration journey throughput in memory, with Argon2 excluded; Argon2's own cost.

Run: ``python benchmarks/bench_journey.py`` (``nox -s bench`` runs it too).

Two numbers, measured in the same process:

1. **Journeys per second** through the facade on ``connect("memory")``:
   ``register`` (offline Dukcapil, name normalisation and scoring) →
   ``submit_contact`` (e-mail and phone normalisation, password policy, OTP
   issue, HMAC, SMS to the memory sender) → ``confirm_otp`` (constant-time
   check, account creation under the uniqueness rule, session) → ``login``.
   Password hashing is swapped for a keyed SHA-256 stand-in so the number
   shows the library's own cost, not Argon2's, which is deliberate and is
   reported separately.
2. **Argon2id cost per hash and per verification** with the production
   parameters (OWASP: m = 19 MiB, t = 2, p = 1).

The people registered are synthetic: distinct valid NIKs, all loaded into
the offline registry before timing starts.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
# The made-up residents the load test uses too (tests/support/people.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from siapkerja_adapters import connect
from siapkerja_core.passwords import OWASP_ARGON2ID, PasswordHasher
from support import people

_CODE = re.compile(r"\b(\d{6})\b")


class KeyedSha256Hasher(PasswordHasher):
    """A stand-in with PasswordHasher's interface, so Argon2 stays out of the timing.

    Never for real passwords: SHA-256 is fast, which is exactly what a
    password hash must not be.
    """

    _KEY = b"benchmark-only"

    def hash(self, password: str) -> str:
        return "bench$" + hmac.new(self._KEY, password.encode(), hashlib.sha256).hexdigest()

    def verify(self, stored_hash: str, password: str) -> bool:
        return hmac.compare_digest(stored_hash, self.hash(password))

    def needs_rehash(self, stored_hash: str) -> bool:
        return False

    def dummy_verify(self) -> None:
        self.verify("bench$", "x")


def run_journeys(count: int, seed: int) -> dict[str, float]:
    svc = connect("memory", environ={}, hasher=KeyedSha256Hasher())
    residents = people.synthetic(count, seed)
    for resident in residents:
        svc.dukcapil.add(resident)  # type: ignore[attr-defined]
    start = time.perf_counter()
    for n, person in enumerate(residents):
        reg = svc.register(
            nik=person.nik, full_name=person.full_name.upper(), mother_name=person.mother_name
        )
        phone = f"0812{n:08d}"
        reg = svc.submit_contact(
            reg.id, email=f"peserta{n}@example.com", phone=phone, password="kopi tubruk pagi"
        )
        message = svc.sms.last_to(reg.phone)  # type: ignore[attr-defined]
        svc.confirm_otp(reg.id, code=_CODE.search(message.text).group(1))
        svc.login(identifier=person.nik, password="kopi tubruk pagi")
    elapsed = time.perf_counter() - start
    return {"journeys": count, "seconds": elapsed, "journeys_per_second": count / elapsed}


def argon2_cost(repeat: int) -> dict[str, float]:
    hasher = PasswordHasher()
    hashes, verifies = [], []
    stored = hasher.hash("kopi tubruk pagi")
    for _ in range(repeat):
        t0 = time.perf_counter()
        hasher.hash("kopi tubruk pagi")
        t1 = time.perf_counter()
        hasher.verify(stored, "kopi tubruk pagi")
        t2 = time.perf_counter()
        hashes.append(t1 - t0)
        verifies.append(t2 - t1)
    return {
        "memory_kib": OWASP_ARGON2ID.memory_kib,
        "time_cost": OWASP_ARGON2ID.time_cost,
        "parallelism": OWASP_ARGON2ID.parallelism,
        "hash_ms_median": statistics.median(hashes) * 1e3,
        "verify_ms_median": statistics.median(verifies) * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=2000)
    parser.add_argument("--argon2-repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)

    journeys = run_journeys(args.journeys, args.seed)
    argon = argon2_cost(args.argon2_repeat)
    print("registration journey in memory (Argon2 excluded):")
    print(
        f"  {journeys['journeys']:,} journeys (register → submit_contact → confirm_otp → login)"
        f" in {journeys['seconds']:.2f} s = {journeys['journeys_per_second']:,.0f} journeys/s"
        f" ({1e3 / journeys['journeys_per_second']:.2f} ms each)"
    )
    print(
        f"Argon2id m={argon['memory_kib']} KiB t={argon['time_cost']} p={argon['parallelism']}"
        f" (OWASP): hash {argon['hash_ms_median']:.1f} ms, verify"
        f" {argon['verify_ms_median']:.1f} ms (median of {args.argon2_repeat});"
        f" a full journey adds about {argon['hash_ms_median'] + argon['verify_ms_median']:.0f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps({"journey": journeys, "argon2": argon}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
