"""Reading back what the ``memory`` SMS sender delivered: the one-time code a test types in.

The outbox is drained first (:meth:`~siapkerja_core.service.Siapkerja.deliver_outbox`),
so the code is there whichever dispatcher the service runs.
"""

from __future__ import annotations

import re

from siapkerja_core.service import Siapkerja


def e164(phone: str) -> str:
    """The E.164 form of the numbers the tests use (``08…`` → ``+628…``; ``+62…`` stays)."""
    digits = re.sub(r"\D", "", phone)
    return "+62" + digits[1:] if digits.startswith("0") else "+" + digits


def sms_code(svc: Siapkerja, phone: str | None = None, length: int | None = None) -> str:
    """The one-time code in the last SMS (the last to ``phone``, national or E.164, if given).

    The message must hold exactly one run of ``length`` digits (default: the
    policy's ``otp_length``), so a text that grew a second number fails here
    rather than confirming with the wrong one.
    """
    length = svc.policy.otp_length if length is None else length
    # Messages are sent after the answer (the durable outbox): wait for the ones
    # already enqueued, as a person waits for the SMS to arrive.
    svc.deliver_outbox()
    if phone is None:
        messages = svc.sms.messages  # type: ignore[attr-defined]
        assert messages, "no SMS was sent"
        message = messages[-1]
    else:
        message = svc.sms.last_to(e164(phone))  # type: ignore[attr-defined]
        assert message is not None, f"no SMS to {phone}"
    found = re.findall(rf"(?<!\d)\d{{{length}}}(?!\d)", message.text)
    assert len(found) == 1, f"expected one {length}-digit code in {message.text!r}"
    return str(found[0])
