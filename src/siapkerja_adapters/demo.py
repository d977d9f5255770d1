"""``siapkerja demo``: the registration journey, narrated in the terminal.

This module owns the demo script. It runs on what ``connect()`` gives — the
embedded default: the offline Dukcapil registry with its bundled residents
and the console SMS sender, whose printed message is read back from the
sender's outbox exactly as a person would read it off their phone (or, with
``interactive=True``, typed in by the person at the keyboard).

It shows the happy path and, on the way, what the library refuses: a wrong
mother's name, a wrong code, a login with the wrong password.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from siapkerja_adapters.connect import connect
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.service import Siapkerja

__all__ = ["GALIH", "DemoPerson", "run_demo"]

_CODE = re.compile(r"\b(\d{6,10})\b")


class DemoPerson:
    """The person the demo registers: the brief's sample profile, in the bundled registry."""

    def __init__(
        self, nik: str, full_name: str, mother_name: str, email: str, phone: str, password: str
    ) -> None:
        self.nik = nik
        self.full_name = full_name
        self.mother_name = mother_name
        self.email = email
        self.phone = phone
        self.password = password


GALIH = DemoPerson(
    nik="3173071203940042",
    full_name="H. Galih Agan Pambayun, S.Kom.",
    mother_name="Sri Wahyuni",
    email="galih.pambayun@example.com",
    phone="0812-9999-9999",
    password="kopi tubruk di pal merah",  # noqa: S106 - the demo's fictional person
)


def _code_from(svc: Siapkerja, phone: str) -> str:
    last_to = getattr(svc.sms, "last_to", None)
    if last_to is None:
        raise RuntimeError("the demo needs an SMS adapter with an outbox (console or memory)")
    message = last_to(phone)
    if message is None:
        raise RuntimeError(f"no SMS was recorded for {phone}")
    found = _CODE.search(message.text)
    if found is None:
        raise RuntimeError("the last SMS carries no code")
    return found.group(1)


def _refused(console: Console, what: str, action: Callable[[], object]) -> None:
    try:
        action()
    except SiapkerjaError as error:
        console.print(f"  [yellow]✗ {what}:[/] [bold]{error.full_code}[/] — {error.message_id}")
        console.print(f"    [dim]{error.message_en}[/]")
    else:  # pragma: no cover - the demo shows refusals; reaching here is a bug
        raise RuntimeError(f"expected a refusal: {what}")


def run_demo(
    console: Console | None = None,
    *,
    svc: Siapkerja | None = None,
    person: DemoPerson = GALIH,
    ask: Callable[[str], str] | None = None,
) -> Siapkerja:
    """Walk ``person`` through the journey on ``svc`` (default: ``connect()``).

    :param ask: when given, the demo asks the user for the code (as a real
        user would type it) instead of reading it from the SMS outbox.
    :return: the service used, for inspection.
    """
    console = console or Console()
    svc = svc or connect()
    console.print(Panel.fit("[bold]SIAPkerja-ID[/] — demo pendaftaran akun / registration demo"))
    console.print(f"Adapters: {svc!r}\n")

    console.print("[bold]1. Daftar[/] — NIK, nama lengkap, nama ibu kandung → verifikasi Dukcapil")
    _refused(
        console,
        "nama ibu kandung salah / wrong mother's name",
        lambda: svc.register(nik=person.nik, full_name=person.full_name, mother_name="Siti"),
    )
    reg = svc.register(nik=person.nik, full_name=person.full_name, mother_name=person.mother_name)
    console.print(f"  [green]✓[/] Dukcapil: sesuai. {reg!r}\n")

    console.print("[bold]2. Kontak[/] — alamat email, nomor handphone, password → SMS OTP")
    reg = svc.submit_contact(
        reg.id, email=person.email, phone=person.phone, password=person.password
    )
    if reg.phone is None or reg.otp is None:  # pragma: no cover - submit_contact sets both
        raise RuntimeError("submit_contact did not record the phone")
    console.print(
        f"  [green]✓[/] kode dikirim ke {reg.phone_masked}; berlaku sampai "
        f"{reg.otp.expires_at:%H:%M:%S} UTC, {reg.otp.attempts_left} percobaan\n"
    )

    console.print("[bold]3. Verifikasi[/] — kode OTP dari SMS")
    _refused(console, "kode salah / wrong code", lambda: svc.confirm_otp(reg.id, code="000000"))
    code = ask("Kode OTP: ") if ask is not None else _code_from(svc, reg.phone)
    account = svc.confirm_otp(reg.id, code=code)
    console.print(f"  [green]✓[/] akun aktif / account active: {account!r}\n")

    console.print("[bold]4. Masuk[/] — dengan NIK, email atau nomor handphone")
    _refused(
        console,
        "password salah / wrong password",
        lambda: svc.login(identifier=person.nik, password="bukan password"),  # noqa: S106
    )
    table = Table("identifier", "result")
    for identifier in (person.nik, person.email.upper(), "+62 812 9999 9999"):
        signed_in = svc.login(identifier=identifier, password=person.password)
        table.add_row(identifier, f"✓ {signed_in.full_name} ({signed_in.nik_masked})")
    console.print(table)
    console.print(
        "\nProfil, kartu SIAPkerja-ID dan QR-nya menyusul di rilis berikutnya "
        "/ profile, card and QR follow in the next release."
    )
    return svc
