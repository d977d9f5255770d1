"""``siapkerja demo``: the registration journey, narrated in the terminal.

This module owns the demo script and where its data goes. It runs on the
embedded default — the offline Dukcapil registry with its bundled residents
and the console SMS sender, whose printed message is read back from the
sender's outbox exactly as a person would read it off their phone (or, with
``ask``, typed in by the person at the keyboard).

It shows the happy path — registration, login, the profile of the brief's
scanned-profile page, the card with its QR in the terminal (and as an SVG
file), a scan, a check-in — and, on the way, what the library refuses: a
wrong mother's name, a wrong code, a wrong password, an incomplete profile, an
old QR after rotation, a replayed access code.

Every line is a sentence from the catalogues (``demo.*``), Indonesian by
default or English, with times in the holder's zone (WIB, WITA or WIT from
the NIK's province) and no microseconds; :class:`Narrator` prints them with
rich, or keeps them for ``--json``. :class:`DemoPlace` is where the data
goes: a temporary directory removed at the end, or a directory the user
keeps, with a settings file that ``siapkerja serve --dev --config …`` opens
so that the card's QR works in a browser.
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar, Final

from attrs import define, field
from rich.console import Console
from rich.markup import escape

from siapkerja_adapters.connect import connect
from siapkerja_adapters.sql.crypto import KeyMaterial, generate_key_setting
from siapkerja_adapters.sql.keys import write_key_file
from siapkerja_core import regions
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.gates import local_zone
from siapkerja_core.i18n import citizen_date
from siapkerja_core.nik import parse_nik
from siapkerja_core.service import Siapkerja
from siapkerja_core.translations import catalogues, text
from siapkerja_core.views import Account, mask_nik

__all__ = [
    "DEFAULT_PORT",
    "DEMO_PEOPLE",
    "FAUZI",
    "GALIH",
    "RIZKI",
    "DemoError",
    "DemoLine",
    "DemoPerson",
    "DemoPlace",
    "Narrator",
    "demo_holder",
    "demo_profile",
    "run_demo",
]

_CODE = re.compile(r"\b(\d{6,10})\b")
DEFAULT_PORT: Final = 8000
"""The port of the ``siapkerja serve`` command the demo prints (and its card's QR opens on)."""
_DATABASE: Final = "siapkerja.sqlite3"
_SETTINGS: Final = "siapkerja.toml"
_KEY: Final = "storage.key"


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


# --- errors, lines, the narrator -------------------------------------------------------


class DemoError(SiapkerjaError):
    """The demo cannot keep its data where it was told.

    ``dir_used``: ``path`` already holds a demo's data or settings (the demo
    registers the same person every run, and would not open another run's
    data without its key). ``environment_database``: ``variable`` names another
    database than ``--database`` in the environment, which outranks the demo's
    settings file: the demo would write there, and ``serve`` would open it.
    """

    domain = "demo"
    codes: ClassVar[frozenset[str]] = frozenset({"dir_used", "environment_database"})


@define(frozen=True)
class DemoLine:
    """One line of the narration: what ``--json`` prints, what the terminal shows.

    ``kind`` is ``heading`` (a numbered step), ``ok``, ``refused`` (a refusal
    the demo shows on purpose, with its error ``code``) or ``info``. ``key``
    is the catalogue key of ``text``; ``params`` its values, for machines.
    """

    kind: str
    key: str
    text: str
    step: int | None = None
    code: str | None = None
    params: dict[str, object] = field(factory=dict)

    def to_json(self) -> dict[str, object]:
        """The line as JSON (``None`` members left out)."""
        data: dict[str, object] = {"kind": self.kind, "key": self.key, "text": self.text}
        if self.step is not None:
            data["step"] = self.step
        if self.code is not None:
            data["code"] = self.code
        if self.params:
            data["params"] = self.params
        return data


class Narrator:
    """Says each step in ``lang`` (Indonesian unless ``en``) and keeps the lines said.

    With ``quiet`` (``--json``) nothing is printed: the caller prints
    :attr:`lines` at the end.
    """

    def __init__(
        self, console: Console | None = None, *, lang: str = "id", quiet: bool = False
    ) -> None:
        self.console = console or Console(highlight=False)
        self.lang = "en" if lang.lower().startswith("en") else "id"
        self.quiet = quiet
        self.lines: list[DemoLine] = []
        self._step = 0

    def t(self, key: str, **params: object) -> str:
        """The catalogue text of ``key`` in the narrator's language."""
        return text(key, self.lang, **params)

    def _say(self, line: DemoLine, markup: str) -> DemoLine:
        self.lines.append(line)
        if not self.quiet:
            # A line naming an address, a path or a command is not wrapped by rich:
            # it must copy and paste whole (the terminal still folds it on screen).
            # Nor is any line when the output is not a terminal (piped, to a file, a
            # test's capture): rich would break sentences at its 80 columns there.
            whole = not self.console.is_terminal or any(
                str(value).startswith(("http", "/", "siapkerja")) for value in line.params.values()
            )
            self.console.print(markup, highlight=False, soft_wrap=whole)
        return line

    def end(self) -> None:
        """The journey is over: what follows (where the data went, what next) is not a step."""
        self._step = 0
        if not self.quiet:
            self.console.print()

    def heading(self, key: str) -> None:
        """A new numbered step."""
        self._step += 1
        said = self.t(key)
        line = DemoLine("heading", key, f"{self._step}. {said}", step=self._step)
        self._say(line, f"\n[bold]{self._step}. {escape(said)}[/]")

    def ok(self, key: str, **params: object) -> None:
        """Something that worked."""
        said = self.t(key, **params)
        line = DemoLine("ok", key, said, step=self._step, params=_plain(params))
        self._say(line, f"  [green]✓[/] {escape(said)}")

    def info(self, key: str, **params: object) -> None:
        """A remark (where the data is, how to go on)."""
        said = self.t(key, **params)
        line = DemoLine("info", key, said, step=self._step or None, params=_plain(params))
        self._say(line, f"  {escape(said)}" if self._step else escape(said))

    def command(self, command: str) -> None:
        """A command to copy, on a line of its own."""
        line = DemoLine("command", "demo.command", command, params={"command": command})
        self._say(line, f"\n    [bold cyan]{escape(command)}[/]\n")

    def refused(self, key: str, action: Callable[[], object]) -> SiapkerjaError:
        """Run ``action``, which must be refused; say what was refused and why."""
        try:
            action()
        except SiapkerjaError as error:
            what = self.t(key)
            said = f"{what}: {error.message(self.lang)}"
            line = DemoLine("refused", key, said, step=self._step, code=error.full_code)
            self._say(line, f"  [yellow]✗[/] {escape(said)} [dim]({error.full_code})[/]")
            return error
        raise RuntimeError(f"expected a refusal: {key}")  # pragma: no cover - a demo bug

    def show(self, renderable: object) -> None:
        """Something only a terminal shows (the QR code drawn in characters)."""
        if not self.quiet:
            self.console.print(renderable, highlight=False)

    def clock(self, moment: datetime, zone: tzinfo) -> str:
        """``moment`` as a clock reading in ``zone``: ``"14.05 WIB"`` (no seconds)."""
        local = moment.astimezone(zone)
        return f"{local:%H.%M} {local.tzname()}"

    def moment(self, moment: datetime, zone: tzinfo) -> str:
        """``moment`` as a date and time in ``zone``: ``"6 Desember 2026 pukul 14.05 WIB"``."""
        local = moment.astimezone(zone)
        day = citizen_date(local.date(), self.lang)
        return self.t("demo.moment", day=day, clock=self.clock(moment, zone))

    def sections(self, names: tuple[str, ...]) -> str:
        """Profile sections by their names on the pages (``"Keahlian, Foto"``)."""
        found = catalogues()
        labels = [found.find(f"label.section.{name}", self.lang) for name in names]
        return ", ".join(
            label if label is not None else _PROPER_NAMES.get(name, name)
            for name, label in zip(names, labels, strict=True)
        )


# Sections named the same in both languages, with no label of their own in the catalogues.
_PROPER_NAMES: Final = {"nik": "NIK", "aki": "AK/I"}


def _plain(params: dict[str, object]) -> dict[str, object]:
    return {k: v if isinstance(v, int | float | bool) else str(v) for k, v in params.items()}


# --- where the data goes -------------------------------------------------------------


class DemoPlace:
    """Where a demo keeps its data, and the ``siapkerja serve`` command that opens it.

    :meth:`temporary` (the default): a SQLite file in a new temporary
    directory, its storage key in memory only; :meth:`remove` deletes it.
    :meth:`kept`: a directory the user names, with the database (or
    ``database_url``), a storage key file and a settings file
    (``siapkerja.toml``: the database, the key file, a ``secret_key`` and
    ``card_base_url``) — what ``siapkerja serve --dev --config`` needs to
    open the same accounts and the card's QR.
    """

    def __init__(
        self,
        directory: Path,
        *,
        kept: bool,
        port: int,
        settings: dict[str, str],
        config: Path | None = None,
        cleanup: tempfile.TemporaryDirectory[str] | None = None,
        written: tuple[Path, ...] = (),
    ) -> None:
        self.directory = directory
        self.kept = kept
        self.port = port
        self.settings = settings
        self.config = config
        self._cleanup = cleanup
        self._written = written  # a kept place's own files (and its folder, if made)

    @property
    def site_url(self) -> str:
        """The address ``siapkerja serve`` answers at (loopback, :attr:`port`)."""
        return f"http://127.0.0.1:{self.port}/"

    @classmethod
    def temporary(cls, *, port: int = DEFAULT_PORT) -> DemoPlace:
        """A new temporary directory, removed by :meth:`remove`."""
        holder = tempfile.TemporaryDirectory(prefix="siapkerja-demo-")
        directory = Path(holder.name)
        settings: dict[str, str] = {
            "database_url": f"sqlite:///{directory / _DATABASE}",
            # In memory only: a throw-away database leaves no key file anywhere.
            "storage_key": generate_key_setting(),
            "card_base_url": f"http://127.0.0.1:{port}/v/",
        }
        return cls(directory, kept=False, port=port, settings=settings, cleanup=holder)

    @classmethod
    def kept_in(
        cls,
        directory: Path,
        *,
        database_url: str | None = None,
        port: int = DEFAULT_PORT,
        key_from: str | None = None,
        schema: str | None = None,
    ) -> DemoPlace:
        """``directory`` (made if missing) with a settings file for ``siapkerja serve``.

        :param key_from: the environment variable that already names the storage
            key (``SIAPKERJA_STORAGE_KEY``): it outranks the settings file, so the
            demo writes no key file of its own — one that ``serve`` would ignore,
            and that would not open the data once the variable is unset.
        :param schema: the PostgreSQL schema the data goes in (the environment's
            ``SIAPKERJA_DATABASE_SCHEMA``, which outranks the file): written down,
            so that the settings file alone opens the data.
        :raises DemoError: ``demo.dir_used`` when it already holds a demo's files.
        """
        directory = directory.expanduser().resolve()
        used = [directory / name for name in (_DATABASE, _SETTINGS, _KEY)]
        if any(path.exists() for path in used):
            raise DemoError("dir_used", path=str(directory))
        made = () if directory.exists() else (directory,)
        directory.mkdir(parents=True, exist_ok=True)
        settings: dict[str, str] = {
            "database_url": database_url or f"sqlite:///{directory / _DATABASE}"
        }
        if schema:
            settings["database_schema"] = schema
        written: tuple[Path, ...] = ()
        if key_from is None:
            key_file = directory / _KEY
            write_key_file(key_file, KeyMaterial.parse(generate_key_setting()))
            settings["storage_key_file"] = str(key_file)
            written = (key_file,)
        # Sessions, codes and look-ups are keyed by it: serve must use the same one.
        settings["secret_key"] = secrets.token_urlsafe(32)
        settings["card_base_url"] = f"http://127.0.0.1:{port}/v/"
        config = directory / _SETTINGS
        lines = [
            "# Written by 'siapkerja demo': what 'siapkerja serve --dev' opens this demo with.",
            "# A demonstration only: the storage key sits beside the data, and the SMS codes",
            "# are printed (console) and the residents are the bundled test ones (offline).",
        ]
        if key_from is not None:
            lines[1:] = [
                f"# The storage key is the one in ${key_from}: serve needs it set too.",
                "# A demonstration only: the SMS codes are printed (console) and the residents",
                "# are the bundled test ones (offline).",
            ]
        lines += [f"{name} = {_toml_string(value)}" for name, value in settings.items()]
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        config.chmod(0o600)  # it holds the secret key
        return cls(
            directory,
            kept=True,
            port=port,
            settings=settings,
            config=config,
            written=(config, *written, *made),
        )

    def service(self, **extra: Any) -> Siapkerja:
        """The service over this place (``connect()``, as ``siapkerja serve`` would build it)."""
        if self.config is not None:
            return connect(config=self.config, **extra)
        settings: dict[str, Any] = {**self.settings, **extra}
        return connect(**settings)

    def serve_command(self, program: str | None = None) -> str | None:
        """The exact command that serves what the demo built (``None``: nothing is kept)."""
        if self.config is None:
            return None
        return shlex.join(
            [
                program or _program(),
                "serve",
                "--dev",
                "--port",
                str(self.port),
                "--config",
                str(self.config),
            ]
        )

    def remove(self) -> None:
        """Delete a temporary directory (a kept one stays)."""
        if self._cleanup is not None:
            self._cleanup.cleanup()
            self._cleanup = None

    def forget(self) -> None:
        """Delete what :meth:`kept_in` wrote — the settings file, the key file, the folder
        if it made it and nothing else is in it — when the data could not be opened, so
        that the same command works once the cause is fixed (``demo.dir_used`` otherwise:
        an outside tester's finding, a PostgreSQL schema not yet migrated). A temporary
        place is removed as by :meth:`remove`."""
        for path in self._written:
            with contextlib.suppress(OSError):  # gone already, or a folder not empty
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink(missing_ok=True)
        self._written = ()
        self.remove()


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _program() -> str:
    """How the user started ``siapkerja`` (``.venv/bin/siapkerja``), so the command pastes."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 if Path(argv0).name == "siapkerja" else "siapkerja"


# --- the journey ---------------------------------------------------------------------


def run_demo(
    console: Console | None = None,
    *,
    svc: Siapkerja | None = None,
    person: DemoPerson = GALIH,
    ask: Callable[[str], str] | None = None,
    card_path: Path | None = None,
    lang: str = "id",
    narrator: Narrator | None = None,
    place: DemoPlace | None = None,
) -> Siapkerja:
    """Walk ``person`` through the journey on ``svc``, narrated by ``narrator``.

    Without ``svc`` the demo runs on ``place`` (default: a new temporary
    directory, removed at the end), and ends by saying how to serve what it
    built (or how to keep it).

    :param ask: when given, the demo asks the user for the code (as a real
        user would type it) instead of reading it from the SMS outbox.
    :param card_path: where to write the card as SVG (nothing written if ``None``).
    :param lang: ``"id"`` (default) or ``"en"``.
    :return: the service used, for inspection (its storage closed when ``place`` was used).
    """
    say = narrator or Narrator(console, lang=lang)
    say.show(f"[bold]{escape(say.t('demo.title'))}[/]")
    if svc is not None:
        _journey(say, svc, person, ask, card_path)
        return svc
    place = place or DemoPlace.temporary()
    try:
        if place.kept:
            say.info("demo.where.kept", path=place.directory, config=place.config)
        else:
            say.info("demo.where.temporary", path=place.directory)
        # Inline: each SMS is printed right after its step, and no outbox thread outlives
        # the storage closed below (serve, over the same settings, uses its thread).
        try:
            used = place.service(sms_dispatch="inline")
        except BaseException:
            place.forget()  # nothing was stored: leave nothing that blocks the next try
            raise
        try:
            link = _journey(say, used, person, ask, card_path)
        except SiapkerjaError as error:
            # A database without the tables (PostgreSQL before `siapkerja db upgrade`)
            # stored nothing: after the upgrade, the same command must work.
            if error.full_code == "storage.not_migrated":
                place.forget()
            raise
        finally:
            _close(used)
    finally:
        place.remove()
    say.end()
    say.info("demo.done")
    command = place.serve_command()
    if command is None:
        say.info("demo.removed", path=place.directory)
        say.command(f"{_program()} demo --dir siapkerja-demo")
    else:
        say.info("demo.serve")
        say.command(command)
        say.info("demo.serve_then", url=link, site=place.site_url, nik=person.nik)
        say.info("demo.sign_in", nik=person.nik, password=person.password)
    return used


def _close(svc: Siapkerja) -> None:
    """Close the storage's connections (a SQL pool), so the directory can go."""
    dispose = getattr(svc.storage, "dispose", None)
    if callable(dispose):
        dispose()


def _journey(
    say: Narrator,
    svc: Siapkerja,
    person: DemoPerson,
    ask: Callable[[str], str] | None,
    card_path: Path | None,
) -> str:
    """Steps 1-8; the card's link (its QR's URL) as it stands at the end."""
    settings = svc.settings
    say.info(
        "demo.adapters",
        dukcapil=settings.adapter_name("dukcapil"),
        sms=settings.adapter_name("sms"),
        storage=settings.adapter_name("storage"),
    )
    # The holder's zone: WIB, WITA or WIT from the province of the NIK (the KTP's region).
    zone = local_zone(person.nik[:2])

    say.heading("demo.step.register")
    say.refused(
        "demo.refused.mother",
        lambda: svc.register(nik=person.nik, full_name=person.full_name, mother_name="Siti"),
    )
    reg = svc.register(nik=person.nik, full_name=person.full_name, mother_name=person.mother_name)
    say.ok(
        "demo.registered",
        nik=mask_nik(person.nik),
        registry=settings.adapter_name("dukcapil"),
        name=person.full_name,
    )

    say.heading("demo.step.contact")
    reg = svc.submit_contact(
        reg.id, email=person.email, phone=person.phone, password=person.password
    )
    if reg.phone is None or reg.otp is None:  # pragma: no cover - submit_contact sets both
        raise RuntimeError("submit_contact did not record the phone")
    say.ok(
        "demo.code_sent",
        phone=reg.phone_masked,
        until=say.clock(reg.otp.expires_at, zone),
        attempts=reg.otp.attempts_left,
    )

    say.heading("demo.step.verify")
    say.refused("demo.refused.code", lambda: svc.confirm_otp(reg.id, code="000000"))
    if ask is not None:
        code = ask(say.t("demo.ask_code") + ": ")
    else:
        code = _code_from(svc, reg.phone)
        say.ok("demo.code_read", code=code)
    account = svc.confirm_otp(reg.id, code=code)
    say.ok("demo.active", name=account.full_name, email=account.email_masked)

    say.heading("demo.step.login")
    say.refused(
        "demo.refused.password",
        lambda: svc.login(identifier=person.nik, password="bukan password"),  # noqa: S106
    )
    international = "+62 " + person.phone.removeprefix("0").replace("-", " ")
    for identifier in (person.nik, person.email.upper(), international):
        signed_in = svc.login(identifier=identifier, password=person.password)
        say.ok("demo.signed_in", identifier=identifier, name=signed_in.full_name)
    return _card_part(say, svc, account, card_path)


def _card_part(say: Narrator, svc: Siapkerja, account: Account, card_path: Path | None) -> str:
    """Steps 5-8: the profile of the brief's scanned page, the card, a scan, a check-in."""
    account_id = account.id
    say.heading("demo.step.profile")
    say.info("demo.completeness", percent=svc.completeness(account_id).percent)
    say.refused("demo.refused.card", lambda: svc.issue_card(account_id))
    svc.update_profile(account_id, **demo_profile())
    say.ok("demo.profile_done", percent=svc.completeness(account_id).percent)

    say.heading("demo.step.card")
    card = svc.issue_card(account_id)
    qr = svc.card_qr(account_id)
    if qr.url is None:  # pragma: no cover - a link QR always has its URL
        raise RuntimeError("the link QR has no URL")
    day = citizen_date(card.issued_at, say.lang)
    say.ok("demo.card_issued", number=card.siapkerja_id, day=day)
    say.info("demo.card_qr", version=qr.qr.version, level=qr.qr.error, url=qr.url)
    say.show(qr.terminal())
    if card_path is not None:
        card_path.write_text(card.in_language(say.lang).to_svg(), encoding="utf-8")
        say.ok("demo.card_svg", path=card_path)

    say.heading("demo.step.scan")
    say.info("demo.sees.anonymous", sections=say.sections(svc.resolve(qr.url).disclosed))
    say.info("demo.sees.holder", sections=say.sections(svc.resolve(qr.token, account).disclosed))
    old_token = qr.token
    svc.rotate_card(account_id)
    say.refused("demo.refused.rotated", lambda: svc.resolve(old_token))
    link = svc.card_qr(account_id).url
    if link is None:  # pragma: no cover - a link QR always has its URL
        raise RuntimeError("the link QR has no URL")
    say.ok("demo.rotated", url=link)

    say.heading("demo.step.gate")
    # The organiser (a registered institution) schedules the fair and registers a gate:
    # only that gate, with its own key, can check a holder in.
    organiser, _key = svc.register_verifier("Disnaker Provinsi DKI Jakarta", ["disnaker"])
    now = svc.now()
    fair = svc.events.create_event(
        organiser,
        id="jobfair-jakarta-2026",
        name="Job Fair Jakarta 2026",
        kind="job_fair",
        venue="JIExpo Kemayoran",
        region_code="31",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=8),
        capacity=5000,
    )
    say.info(
        "demo.event",
        organiser=organiser.name,
        event=fair.name,
        venue=fair.venue,
        closes=say.moment(fair.closes_at, fair.zone),
    )
    gate, gate_key = svc.events.add_station(organiser, fair.id, name="Pintu A")
    say.refused(
        "demo.refused.unknown_event",
        lambda: svc.card_qr(account_id, mode="access", purpose="PRAKERJA-GEL-70"),
    )
    code = svc.card_qr(account_id, mode="access", purpose=fair.id)
    say.refused("demo.refused.no_station_key", lambda: svc.check_in(code.token, event_id=fair.id))
    receipt = svc.check_in(code.token, event_id=fair.id, station_key=gate_key)
    photo = "demo.photo.server" if receipt.photo is not None else "demo.photo.none"
    say.ok(
        "demo.checked_in",
        gate=gate.name,
        at=say.clock(svc.now(), fair.zone),
        name=receipt.masked_name,
        photo=say.t(photo),
        inside=receipt.inside,
        capacity=receipt.capacity,
    )
    say.refused(
        "demo.refused.replayed",
        lambda: svc.check_in(code.token, event_id=fair.id, station_key=gate_key),
    )
    say.info("demo.ledger", count=len(svc.access_log(account_id)))
    return link
