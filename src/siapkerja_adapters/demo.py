"""``siapkerja demo``: the registration journey, narrated in the terminal.

This module owns the demo script. It runs on what ``connect()`` gives — the
embedded default: the offline Dukcapil registry with its bundled residents
and the console SMS sender, whose printed message is read back from the
sender's outbox exactly as a person would read it off their phone (or, with
``interactive=True``, typed in by the person at the keyboard).

It shows the happy path — registration, login, the profile of the brief's
scanned-profile page, the card with its QR in the terminal (and as an SVG
file), a scan, a check-in — and, on the way, what the library refuses: a
wrong mother's name, a wrong code, a wrong password, an incomplete profile, an
old QR after rotation, a replayed access code.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql.crypto import generate_key_setting
from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account

__all__ = [
    "DEMO_PEOPLE",
    "FAUZI",
    "GALIH",
    "RIZKI",
    "DemoPerson",
    "demo_holder",
    "demo_profile",
    "run_demo",
]

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
FAUZI = DemoPerson(
    nik="3273010411680317",
    full_name="H. Ahmad Fauzi",
    mother_name="Hj. Siti Maryam",
    email="ahmad.fauzi@example.com",
    phone="0813-2222-1968",
    password="nasi timbel sunda kelapa",  # noqa: S106 - the demo's fictional person
)
RIZKI = DemoPerson(
    nik="3507010801992301",
    full_name="M. Rizki Ramadhan",
    mother_name="Siti Aminah",
    email="rizki.ramadhan@example.com",
    phone="0857-3333-1999",
    password="bakso malang kota apel",  # noqa: S106 - the demo's fictional person
)
DEMO_PEOPLE = (GALIH, FAUZI, RIZKI)
"""Residents of the bundled offline registry, with contacts: the people of the docs' examples."""


def _code_from(svc: Siapkerja, phone: str) -> str:
    last_to = getattr(svc.sms, "last_to", None)
    if last_to is None:
        raise RuntimeError("the demo needs an SMS adapter with an outbox (console or memory)")
    svc.deliver_outbox()  # the SMS goes after the answer: wait for it as a phone would
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
    card_path: Path | None = None,
) -> Siapkerja:
    """Walk ``person`` through the journey on ``svc`` (default: ``connect()`` on a new SQLite file).

    :param ask: when given, the demo asks the user for the code (as a real
        user would type it) instead of reading it from the SMS outbox.
    :param card_path: where to write the card as SVG (nothing written if ``None``).
    :return: the service used, for inspection.
    """
    console = console or Console()
    if svc is None:
        # The embedded default (a SQLite file, console SMS, offline Dukcapil), in a
        # fresh file each run: the demo registers the same person every time.
        # Its storage key lives in memory only: a throw-away database leaves no key file.
        database = Path(tempfile.mkdtemp(prefix="siapkerja-demo-")) / "siapkerja.sqlite3"
        svc = connect(database_url=f"sqlite:///{database}", storage_key=generate_key_setting())
        console.print(f"Database: {database}")
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
    _card_part(console, svc, account, card_path)
    return svc


def _photo() -> dict[str, object]:
    """A small generated portrait: the demo ships no image file."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 150), (222, 232, 245))
    draw = ImageDraw.Draw(image)
    draw.ellipse((35, 20, 85, 75), fill=(120, 90, 70))
    draw.rectangle((25, 85, 95, 150), fill=(30, 70, 140))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return {"content": buffer.getvalue(), "media_type": "image/png"}


def demo_profile(person: DemoPerson = GALIH) -> dict[str, object]:
    """The ``update_profile`` sections of the brief's scanned profile: enough for a card.

    The birth date is ``person``'s (read from the NIK); the rest is Galih's page.
    """
    born = parse_nik(person.nik).birth_date
    village = regions.search("pal merah", level="village", within="317307")[0].code
    address = {"village_code": village, "street": "Jl. Palmerah Barat", "rt": "5", "rw": "3"}
    return {
        "biodata": {
            "birth_place": "Jakarta",
            "birth_date": born.isoformat(),
            "marital_status": "belum_menikah",
            "religion": "islam",
            "headline": "IT Professional",
        },
        "ktp_address": address,
        "domicile_address": address,
        "skills": [
            {"name": s} for s in ("PHP", "Symfony", "AngularJS", "Laravel", "Linux", "Java")
        ],
        "languages": [{"name": "English", "level": "menengah"}],
        "work": [
            {
                "title": "Backend Developer",
                "company": "Company",
                "start": "2021-06",
                "location": "Indonesia",
            }
        ],
        "education": [
            {
                "institution": "BINUS University",
                "level": "S1",
                "major": "Informatika",
                "gpa": 3.4,
                "start_year": 2016,
                "end_year": 2018,
            }
        ],
        "photo": _photo(),
    }


def demo_holder(
    svc: Siapkerja, person: DemoPerson = GALIH, *, profile: bool = True, card: bool = True
) -> Account:
    """``person``'s account, registered through the journey, with the demo profile and a card.

    For examples, notebooks and trials on a service whose SMS adapter keeps
    an outbox (``console`` or ``memory``): the code is read back from the SMS
    as a person would read it off their phone. An account that already
    exists for ``person`` is reused (signed in with the person's password).

    :param profile: fill the profile of the brief's scanned page.
    :param card: issue the SIAPkerja-ID (needs ``profile``).
    """
    try:
        account = svc.login(identifier=person.nik, password=person.password)
    except SiapkerjaError:
        reg = svc.register(
            nik=person.nik, full_name=person.full_name, mother_name=person.mother_name
        )
        reg = svc.submit_contact(
            reg.id, email=person.email, phone=person.phone, password=person.password
        )
        if reg.phone is None:  # pragma: no cover - submit_contact sets it
            raise RuntimeError("submit_contact did not record the phone") from None
        account = svc.confirm_otp(reg.id, code=_code_from(svc, reg.phone))
    if profile and svc.completeness(account.id).percent < 100:
        svc.update_profile(account.id, **demo_profile(person))
    if card and profile:
        try:
            svc.card(account.id)
        except SiapkerjaError:
            svc.issue_card(account.id)
    return account


def _card_part(console: Console, svc: Siapkerja, account: Account, card_path: Path | None) -> None:
    """Steps 5-8: the profile of the brief's scanned page, the card, a scan, a check-in."""
    account_id = account.id
    console.print("\n[bold]5. Profil[/] — lengkapi profil untuk mendapatkan SIAPkerja-ID")
    console.print(f"  kelengkapan awal: {svc.completeness(account_id).percent} %")
    _refused(console, "kartu belum bisa terbit", lambda: svc.issue_card(account_id))
    svc.update_profile(account_id, **demo_profile())
    console.print(f"  [green]✓[/] kelengkapan: {svc.completeness(account_id).percent} %")

    console.print("\n[bold]6. Kartu SIAPkerja-ID[/] — Kartu Digital Ketenagakerjaan")
    card = svc.issue_card(account_id)
    qr = svc.card_qr(account_id)
    console.print(f"  [green]✓[/] {card.siapkerja_id}  QR versi {qr.qr.version}-{qr.qr.error}")
    console.print(f"  URL: {qr.url}")
    console.print(qr.terminal(), highlight=False)
    if card_path is not None:
        card_path.write_text(card.to_svg(), encoding="utf-8")
        console.print(f"  kartu (SVG, ukuran ID-1) ditulis ke / card written to: {card_path}")

    console.print("\n[bold]7. Pindai[/] — siapa melihat apa / who sees what")
    for label, view in (
        ("anonim / anonymous", svc.resolve(qr.url)),
        ("pemilik / holder", svc.resolve(qr.token, account)),
    ):
        console.print(f"  {label}: {', '.join(view.disclosed)}")
    old_token = qr.token
    svc.rotate_card(account_id)
    _refused(
        console, "QR lama setelah rotasi / old QR after rotation", lambda: svc.resolve(old_token)
    )

    console.print("\n[bold]8. Kode akses[/] — absensi Job Fair")
    code = svc.card_qr(account_id, mode="access", purpose="jobfair-jakarta-2026")
    receipt = svc.check_in(code.token, event_id="jobfair-jakarta-2026")
    console.print(f"  [green]✓[/] hadir: {receipt.full_name} ({receipt.siapkerja_id})")
    _refused(
        console,
        "dipakai ulang / replayed",
        lambda: svc.check_in(code.token, event_id="jobfair-jakarta-2026"),
    )
    console.print(f"\n  catatan akses / access ledger: {len(svc.access_log(account_id))} entri")
