"""How many units of work each step of the journey opens (issue 15: fewer transactions).

Counted on the memory storage, whose ``transaction()`` every adapter mirrors:
step 2 reads the registration and the e-mail's account in one transaction and
writes in a second (it took four), and its answer is the state just committed
unless the code was delivered inline. The caps are still taken outside any
transaction (``tests/integration/test_exact_limits.py`` holds their exactness).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from journey_support import GALIH_MOTHER, GALIH_NAME, GALIH_NIK, PHONE, STRONG_PASSWORD

from siapkerja_adapters.connect import connect
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support.sms import sms_code

EMAIL = "galih.transaksi@example.com"


def _counting(svc: Siapkerja) -> list[int]:
    opened = [0]
    storage: Any = svc.storage
    original: Callable[..., AbstractContextManager[Any]] = storage.transaction

    def transaction(**options: Any) -> AbstractContextManager[Any]:
        opened[0] += 1
        return original(**options)

    storage.transaction = transaction
    return opened


def _service(**settings: object) -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests(), **settings)


def _steps(svc: Siapkerja) -> Iterator[tuple[str, int]]:
    opened = _counting(svc)
    reg = svc.register(nik=GALIH_NIK, full_name=GALIH_NAME, mother_name=GALIH_MOTHER)
    yield "register", opened[0]
    opened[0] = 0
    reg = svc.submit_contact(reg.id, email=EMAIL, phone=PHONE, password=STRONG_PASSWORD)
    yield "submit_contact", opened[0]
    svc.deliver_outbox()
    code = sms_code(svc, PHONE)
    opened[0] = 0
    svc.confirm_otp(reg.id, code=code)
    yield "confirm_otp", opened[0]
    opened[0] = 0
    svc.login(identifier=GALIH_NIK, password=STRONG_PASSWORD)
    yield "login", opened[0]


def test_each_step_opens_the_fewest_transactions_with_a_dispatcher() -> None:
    svc = _service(sms_dispatch="worker")
    assert dict(_steps(svc)) == {
        "register": 1,
        "submit_contact": 2,  # read (registration, e-mail) + write (code, SMS, contacts)
        # memory's counters are not in a unit: read, the try's slot, then the write
        "confirm_otp": 2,
        # the sign-in's read, then its session with the record of processing's line
        # (issue 16: sign-ins readable by the holder) in one unit
        "login": 2,
    }


def test_an_inline_delivery_reads_the_state_again_for_the_answer() -> None:
    svc = _service()  # memory: delivered inline, in the request
    opened = _counting(svc)
    reg = svc.register(nik=GALIH_NIK, full_name=GALIH_NAME, mother_name=GALIH_MOTHER)
    opened[0] = 0
    reg = svc.submit_contact(reg.id, email=EMAIL, phone=PHONE, password=STRONG_PASSWORD)
    assert reg.otp is not None
    assert reg.otp.delivered is True
    assert opened[0] > 2  # the delivery's own, and the read of the delivered state


def test_the_answer_without_an_inline_delivery_is_the_committed_state() -> None:
    svc = _service(sms_dispatch="worker")
    reg = svc.register(nik=GALIH_NIK, full_name=GALIH_NAME, mother_name=GALIH_MOTHER)
    answered = svc.submit_contact(reg.id, email=EMAIL, phone=PHONE, password=STRONG_PASSWORD)
    stored = svc.registration(reg.id)
    assert answered.otp is not None
    assert (answered.status, answered.email, answered.phone, answered.otp) == (
        stored.status,
        stored.email,
        stored.phone,
        stored.otp,
    )
