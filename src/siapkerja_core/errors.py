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

__all__ = ["ConfigurationError", "Message", "SiapkerjaError", "UnknownAdapter"]

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
        return self.message_en if lang.lower().startswith("en") else self.message_id

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
