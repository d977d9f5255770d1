"""Typed errors with stable codes and messages in Indonesian and English.

Every failure the library reports on purpose is a :class:`SiapkerjaError`. An
error has

* a ``domain`` (class-level, e.g. ``"nik"``) and a ``code`` (instance-level,
  e.g. ``"region"``) — together the stable, documented ``full_code``
  (``"nik.region"``) that callers, logs and HTTP problem documents rely on;
* a message in Indonesian (``message_id``) and in English (``message_en``),
  rendered from a per-class catalogue so that wording stays in one place;
* ``params``: the values the message was rendered with. Params never carry a
  secret or a value read from a registry — only what the caller supplied or
  what is safe to show back to them.

``str(error)`` gives ``"[nik.region] <Indonesian> / <English>"`` so a log line
or a notebook traceback is readable in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from siapkerja_core.i18n import pick

__all__ = [
    "AlreadyRegistered",
    "CardError",
    "ConfigurationError",
    "LoginError",
    "Message",
    "OtpError",
    "RegistrationError",
    "ResetError",
    "SiapkerjaError",
    "UnknownAdapter",
]

Message = tuple[str, str]
"""An (Indonesian, English) pair of ``str.format`` templates."""


class SiapkerjaError(Exception):
    """Base class of every error the library raises on purpose.

    Subclasses set ``domain`` and ``messages`` (code -> (id, en) templates).
    A code missing from ``messages`` is a programming error and fails loudly.
    """

    # Slots make creating an error cheaper (no per-instance dict); a subclass
    # that is raised on a hot path declares ``__slots__ = ()`` to keep that.
    __slots__ = ("code", "params")

    domain: ClassVar[str] = "siapkerja"
    messages: ClassVar[Mapping[str, Message]] = {}

    code: str
    params: Mapping[str, object]

    def __init__(self, code: str, **params: object) -> None:
        if code not in self.messages:
            raise KeyError(f"{type(self).__name__} has no message for code {code!r}")
        self.code = code
        self.params = params
        # BaseException.__new__ already set ``args = (code,)``; messages are
        # rendered on demand (str(), message_id/_en). Both keep raising cheap on
        # hot paths such as parse_nik over a bulk import.

    @property
    def full_code(self) -> str:
        """The stable, namespaced code, e.g. ``"nik.region"``."""
        return f"{self.domain}.{self.code}"

    @property
    def message_id(self) -> str:
        """The message in Indonesian (Bahasa Indonesia)."""
        return self.messages[self.code][0].format(**self.params)

    @property
    def message_en(self) -> str:
        """The message in English."""
        return self.messages[self.code][1].format(**self.params)

    def message(self, lang: str = "id") -> str:
        """The message in ``lang`` (``"id"`` or ``"en"``; anything else gives Indonesian)."""
        return pick(lang, self.message_id, self.message_en)

    def __str__(self) -> str:
        return f"[{self.full_code}] {self.message_id} / {self.message_en}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keep errors picklable (multiprocessing, caches) despite keyword params.
        return (_rebuild_error, (type(self), self.code, dict(self.params)))


def _rebuild_error(
    cls: type[SiapkerjaError], code: str, params: dict[str, object]
) -> SiapkerjaError:
    return cls(code, **params)


class ConfigurationError(SiapkerjaError):
    """A setting is missing, malformed or contradicts another one."""

    domain = "config"
    messages: ClassVar[Mapping[str, Message]] = {
        "invalid": (
            "Pengaturan {name!r} tidak valid: {reason}",
            "Setting {name!r} is invalid: {reason}",
        ),
        "file": (
            "Berkas pengaturan {path!r} tidak dapat dibaca: {reason}",
            "Settings file {path!r} cannot be read: {reason}",
        ),
        "plugin": (
            "Plug-in {plugin!r} tidak valid: {reason}",
            "Plug-in {plugin!r} is invalid: {reason}",
        ),
        "adapter_missing": (
            "Tidak ada adapter {kind} yang aktif: {kind} = {name!r} belum terdaftar."
            " Yang tersedia: {known}.",
            "No {kind} adapter is active: {kind} = {name!r} is not registered. Known: {known}.",
        ),
        "adapter_type": (
            "Adapter {kind} bernama {name!r} tidak memenuhi port {port}.",
            "The {kind} adapter {name!r} does not implement the {port} port.",
        ),
    }


class UnknownAdapter(SiapkerjaError):
    """No adapter of the requested kind is registered under the requested name."""

    domain = "plugin"
    messages: ClassVar[Mapping[str, Message]] = {
        "unknown_adapter": (
            "Adapter {kind} bernama {name!r} tidak dikenal. Yang tersedia: {known}.",
            "Unknown {kind} adapter {name!r}. Known: {known}.",
        ),
        "duplicate_adapter": (
            "Adapter {kind} bernama {name!r} didaftarkan dua kali ({first} dan {second}).",
            "The {kind} adapter {name!r} is registered twice ({first} and {second}).",
        ),
        "unknown_kind": (
            "Jenis adapter {kind!r} tidak dikenal. Yang tersedia: {known}.",
            "Unknown adapter kind {kind!r}. Known: {known}.",
        ),
    }


# --- the journey: registration, codes, sign-in, recovery ----------------------------


class RegistrationError(SiapkerjaError):
    """Step 1 or 2 of registration cannot go on."""

    domain = "registration"
    messages: ClassVar[Mapping[str, Message]] = {
        "invalid_name": (
            "{field_id} wajib diisi (paling banyak 100 huruf).",
            "{field_en} is required (at most 100 characters).",
        ),
        "nik_not_found": (
            "NIK tidak ditemukan di Dukcapil. Periksa kembali NIK Anda atau hubungi Dinas"
            " Dukcapil setempat.",
            "The NIK was not found at Dukcapil. Check it, or contact your local Dukcapil office.",
        ),
        "nik_inactive": (
            "Data NIK ditemukan tetapi berstatus tidak aktif. Silakan hubungi Dinas Dukcapil.",
            "The NIK was found but is inactive. Please contact the Dukcapil office.",
        ),
        "mismatch": (
            "Data tidak sesuai dengan Dukcapil: {fields_id}.",
            "The details do not match Dukcapil's record: {fields_en}.",
        ),
        "verification_locked": (
            "Terlalu banyak percobaan verifikasi untuk NIK ini. Coba lagi dalam {retry_after}"
            " detik.",
            "Too many verification attempts for this NIK. Try again in {retry_after} seconds.",
        ),
        "not_found": (
            "Pendaftaran tidak ditemukan.",
            "Registration not found.",
        ),
        "expired": (
            "Pendaftaran sudah kedaluwarsa. Silakan daftar ulang.",
            "The registration has expired. Please register again.",
        ),
        "already_confirmed": (
            "Pendaftaran ini sudah dikonfirmasi. Silakan masuk.",
            "This registration is already confirmed. Please sign in.",
        ),
        "wrong_step": (
            "Langkah ini tidak tersedia pada status pendaftaran saat ini ({status}).",
            "This step is not available in the registration's current state ({status}).",
        ),
        "email_taken": (
            "Alamat email sudah dipakai akun lain. Gunakan email lain atau pulihkan akun Anda.",
            "The e-mail address belongs to another account. Use another, or recover your account.",
        ),
        "phone_taken": (
            "Nomor handphone sudah dipakai akun lain. Ubah nomor handphone Anda.",
            "The phone number belongs to another account. Change the number.",
        ),
    }


class AlreadyRegistered(RegistrationError):
    """The NIK already has an active account: offer recovery, show contacts only masked.

    Raised only after Dukcapil confirmed the NIK, name and mother's name, so it
    tells nothing to someone who does not already know them.
    """

    messages: ClassVar[Mapping[str, Message]] = {
        "already_registered": (
            "NIK ini sudah terdaftar (email {email}, handphone {phone}). Gunakan 'Kendala Masuk"
            " ke Akun?' untuk memulihkan akun.",
            "This NIK is already registered (e-mail {email}, phone {phone}). Use 'Trouble"
            " signing in?' to recover the account.",
        ),
    }

    @property
    def email_masked(self) -> str:
        return str(self.params["email"])

    @property
    def phone_masked(self) -> str:
        return str(self.params["phone"])


class OtpError(SiapkerjaError):
    """A code was refused, or no new code may be sent yet."""

    domain = "otp"
    messages: ClassVar[Mapping[str, Message]] = {
        "invalid": (
            "Kode OTP salah. Sisa percobaan: {attempts_left}.",
            "Wrong code. Attempts left: {attempts_left}.",
        ),
        "expired": (
            "Kode OTP sudah kedaluwarsa. Tekan 'Kirim Ulang' untuk kode baru.",
            "The code has expired. Press 'Kirim Ulang' (resend) for a new one.",
        ),
        "dead": (
            "Kode OTP diblokir karena terlalu banyak percobaan salah. Minta kode baru.",
            "The code is blocked after too many wrong tries. Ask for a new one.",
        ),
        "cooldown": (
            "Tunggu {retry_after} detik sebelum meminta kode baru.",
            "Wait {retry_after} seconds before asking for a new code.",
        ),
        "send_limit": (
            "Batas pengiriman kode tercapai. Coba lagi dalam {retry_after} detik.",
            "The sending limit is reached. Try again in {retry_after} seconds.",
        ),
        "daily_limit": (
            "Batas harian pengiriman kode tercapai. Coba lagi besok.",
            "The daily sending limit is reached. Try again tomorrow.",
        ),
    }

    @property
    def retry_after(self) -> int | None:
        value = self.params.get("retry_after")
        return value if isinstance(value, int) else None


class LoginError(SiapkerjaError):
    """Sign-in refused. One message whatever the reason (unknown user, wrong password)."""

    domain = "login"
    messages: ClassVar[Mapping[str, Message]] = {
        "failed": (
            "NIK/email/nomor handphone atau password salah.",
            "Wrong NIK/e-mail/phone number or password.",
        ),
        "throttled": (
            "Terlalu banyak percobaan masuk. Coba lagi dalam {retry_after} detik.",
            "Too many sign-in attempts. Try again in {retry_after} seconds.",
        ),
        "session_invalid": (
            "Sesi tidak valid atau sudah berakhir. Silakan masuk kembali.",
            "The session is invalid or has ended. Please sign in again.",
        ),
    }


class ResetError(SiapkerjaError):
    """A password reset was refused; one message for every cause."""

    domain = "reset"
    messages: ClassVar[Mapping[str, Message]] = {
        "invalid": (
            "Kode verifikasi salah atau sudah kedaluwarsa. Minta kode baru.",
            "The verification code is wrong or has expired. Ask for a new one.",
        ),
    }


# --- the card ---------------------------------------------------------------------------


class CardError(SiapkerjaError):
    """A card operation that cannot be done, or a card image that cannot be drawn.

    The one owner of the ``card`` domain: the use cases raise it directly
    (``no_card``, ``revoked`` …); the image raises its subclass
    :class:`~siapkerja_core.render.card.CardImageError` (``empty``,
    ``photo_type`` …), which is also a :class:`ValueError`.
    """

    domain = "card"
    messages: ClassVar[Mapping[str, Message]] = {
        "no_account": (
            "Akun tidak ditemukan atau tidak aktif.",
            "The account does not exist or is not active.",
        ),
        "no_card": (
            "Akun ini belum memiliki kartu SIAPkerja-ID. Lengkapi profil lalu terbitkan kartu.",
            "This account has no SIAPkerja-ID card yet. Complete the profile, then issue one.",
        ),
        "revoked": (
            "Kartu SIAPkerja-ID ini telah dicabut. Terbitkan ulang untuk memakainya lagi.",
            "This SIAPkerja-ID card was revoked. Issue it again to use it.",
        ),
        "mode": (
            "Mode QR {mode!r} tidak dikenal: gunakan 'link' atau 'access'.",
            "Unknown QR mode {mode!r}: use 'link' or 'access'.",
        ),
        "purpose_required": (
            "Kode akses harus terikat pada sebuah acara, kelas atau program (purpose).",
            "An access code must be bound to an event, a class or a programme (purpose).",
        ),
        "exhausted": (
            "Nomor kartu tidak dapat dibuat; coba lagi.",
            "No card number could be drawn; try again.",
        ),
        # The card image (siapkerja_core.render.card):
        "empty": (
            "Kolom kartu {field} kosong.",
            "The card field {field} is empty.",
        ),
        "photo_type": (
            "Foto harus JPEG, PNG atau WebP (jenis {media_type!r} tidak cocok dengan isinya).",
            "The photo must be JPEG, PNG or WebP (type {media_type!r} does not match its content).",
        ),
        "photo_size": (
            "Foto terlalu besar: {size} bita, paling banyak {limit}.",
            "The photo is too large: {size} bytes, at most {limit}.",
        ),
        "qr_version": (
            "Versi QR kartu harus bilangan bulat >= 0, bukan {value!r}.",
            "The card's QR version must be an integer >= 0, not {value!r}.",
        ),
    }
