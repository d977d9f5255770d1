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

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from typing import ClassVar

from siapkerja_core import translations

__all__ = ["ConfigurationError", "InputError", "Message", "SiapkerjaError", "UnknownAdapter"]

Message = tuple[str, str]
"""An (Indonesian, English) pair of ``str.format`` templates."""


class _Templates(Mapping[str, Message]):
    """``code -> (Indonesian, English)`` templates of an error class, read from the catalogues."""

    __slots__ = ("_codes", "_domain", "_inline")

    def __init__(
        self, domain: str, codes: frozenset[str], inline: Mapping[str, Message] | None = None
    ) -> None:
        self._domain = domain
        self._codes = codes
        self._inline = inline or {}

    def __getitem__(self, code: str) -> Message:
        if code not in self._codes:
            raise KeyError(code)
        key = f"error.{self._domain}.{code}"
        catalogues = translations.catalogues()
        inline = self._inline.get(code)
        if inline is None:
            return catalogues.template(key, "id"), catalogues.template(key, "en")
        return catalogues.find(key, "id") or inline[0], catalogues.find(key, "en") or inline[1]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._codes))

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return repr(dict(self))


class SiapkerjaError(Exception):
    """Base class of every error the library raises on purpose.

    Subclasses set ``domain`` and ``codes``; each code's message is the
    catalogue text ``error.<domain>.<code>`` (:mod:`siapkerja_core.translations`),
    so a deployer can reword it or add a language without code. A code not in
    ``codes`` is a programming error and fails loudly. ``messages`` gives the
    (Indonesian, English) templates by code, for documentation and tests.

    A plug-in's error class may still set ``messages`` to a mapping of code
    -> (Indonesian, English) templates, as in 0.1: its codes are the mapping's
    keys, and its templates answer wherever no catalogue holds the key (a
    deployer's catalogue can still reword them).
    """

    # Slots make creating an error cheaper (no per-instance dict); a subclass
    # that is raised on a hot path declares ``__slots__ = ()`` to keep that.
    __slots__ = ("code", "params")

    domain: ClassVar[str] = "siapkerja"
    codes: ClassVar[frozenset[str]] = frozenset()
    messages: ClassVar[Mapping[str, Message]] = _Templates("siapkerja", frozenset())
    _inline: ClassVar[Mapping[str, Message]] = {}

    code: str
    params: Mapping[str, object]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("messages")
        if own is not None and not isinstance(own, _Templates):
            # Templates written in the class (a plug-in's, as in 0.1).
            cls._inline = {**cls._inline, **own}
            cls.codes = cls.codes | frozenset(own)
        if own is not None or "codes" in cls.__dict__ or "domain" in cls.__dict__:
            cls.messages = _Templates(cls.domain, cls.codes, cls._inline)

    def __init__(self, code: str, **params: object) -> None:
        if code not in self.codes:
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
        return self.message("id")

    @property
    def message_en(self) -> str:
        """The message in English."""
        return self.message("en")

    def message(
        self, lang: str = "id", *, now: datetime | None = None, zone: tzinfo | None = None
    ) -> str:
        """The message in ``lang`` (any language with a catalogue; others give Indonesian).

        A template may name ``{wait}``: the error's ``retry_after`` seconds worded
        for a person (:func:`siapkerja_core.wording.wait_text`: "dalam 5 menit",
        "besok pukul 09.15 WIB"), from ``now`` (default: the system clock) in
        ``zone`` (default WIB); "nanti" / "later" when the error carries no wait.
        A byte count param (``size``, ``max_bytes`` …) is also ``{size_text}`` ("2 MB").
        """
        key = f"error.{self.domain}.{self.code}"
        catalogues = translations.catalogues()
        if self.code in self._inline:  # a plug-in's own templates, unless a catalogue rewords
            code = catalogues.language(lang)
            template = catalogues.find(key, code)
            if template is None:
                template = self._inline[self.code][1 if code == "en" else 0]
        else:
            template = catalogues.template(key, lang)
        params = self._wording(template, lang, now, zone)
        # A catalogue's template without params is not formatted (its braces are text), as
        # translations.text does; a plug-in's own templates always were.
        if params or self.code in self._inline:
            return template.format(**params)
        return template

    def _wording(
        self, template: str, lang: str, now: datetime | None, zone: tzinfo | None
    ) -> Mapping[str, object]:
        """The params, with the words a template may name beside the numbers: ``{wait}``
        for ``retry_after`` and ``{<name>_text}`` for a byte count (``size``, ``max_bytes``)."""
        if not self.params and "{wait}" not in template:
            return self.params
        # Imported here: wording reads the catalogues through i18n, which errors must not
        # need at import time (plug-ins import errors first).
        from siapkerja_core.wording import size_text, wait_text

        params = dict(self.params)
        for name, value in self.params.items():
            if name.endswith(("size", "bytes")) and type(value) is int:
                params.setdefault(f"{name}_text", size_text(value, lang))
        if "wait" not in params and "{wait}" in template:
            seconds = self.params.get("retry_after")
            if isinstance(seconds, int | float) and not isinstance(seconds, bool):
                current = now or datetime.now(UTC)
                params["wait"] = wait_text(seconds, now=current, zone=zone, lang=lang)
            else:
                params["wait"] = translations.text("wait.later", lang)
        return params

    def __str__(self) -> str:
        return f"[{self.full_code}] {self.message_id} / {self.message_en}"

    def _render_traceback_(self) -> list[str]:
        """What IPython (a notebook) shows for this error instead of its traceback.

        The code, the message in Indonesian and in English, and the fields at
        fault — a few lines, where a profile refused deep in the converter used
        to print some 70 lines of frames first. The traceback is still there:
        ``traceback.print_exception(sys.last_value)`` prints it.
        """
        lines = [
            f"{type(self).__name__}: [{self.full_code}]",
            f"  id: {self.message_id}",
            f"  en: {self.message_en}",
        ]
        inner = self.params.get("errors")
        if isinstance(inner, tuple) and inner and inner[0] is not self:
            for error in inner:
                if isinstance(error, SiapkerjaError):
                    where = error.params.get("field")
                    # Most messages name their field already; say it only when not.
                    named = where is None or str(where) in error.message_en
                    prefix = "" if named else f"{where}: "
                    lines.append(f"  - {prefix}{error.message_id} / {error.message_en}")
        else:
            for name in ("field", "fields", "missing"):
                value = self.params.get(name)
                if value is not None and value != ():
                    shown = ", ".join(map(str, value)) if isinstance(value, tuple) else value
                    lines.append(f"  {name}: {shown}")
        lines.append("  (traceback: traceback.print_exception(sys.last_value))")
        return lines

    def __reduce__(self) -> tuple[object, ...]:
        # Keep errors picklable (multiprocessing, caches) despite keyword params.
        return (_rebuild_error, (type(self), self.code, dict(self.params)))


def _rebuild_error(
    cls: type[SiapkerjaError], code: str, params: dict[str, object]
) -> SiapkerjaError:
    return cls(code, **params)


class ConfigurationError(SiapkerjaError):
    """A setting is missing, malformed or contradicts another one.

    ``secret_required``: a command would print an API key that no other process
    could check, because no ``secret_key`` is set (``command``, ``flag``).
    ``missing_extra``: a feature needs an extra that is not installed (``what_id``,
    ``what_en``: who needs it; ``extra``: what to ``pip install 'siapkerja[…]'``;
    ``module``: the module that failed to import). The adapters raise it as
    ``siapkerja_adapters.extras.MissingExtra``; the core for pandas (``to_frame()``).
    """

    domain = "config"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid",
            "file",
            "plugin",
            "adapter_missing",
            "adapter_type",
            "secret_required",
            # Branding settings (issue 14): a colour, an address, a directory, a name.
            "bad_colour",
            "low_contrast",
            "insecure_url",
            "no_directory",
            "bad_name",
            # An extra a feature needs (pandas for to_frame(), an adapter's driver; issue 17).
            "missing_extra",
        }
    )


class UnknownAdapter(SiapkerjaError):
    """No adapter of the requested kind is registered under the requested name."""

    domain = "plugin"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "unknown_adapter",
            "duplicate_adapter",
            "unknown_kind",
        }
    )


class InputError(SiapkerjaError):
    """A form's field as a person filled it: empty, or longer than the field takes.

    ``params``: ``field`` (the form field's name), ``field_id``/``field_en`` (its
    label), ``limit`` for ``too_long``. ``several``: a form refused on several
    fields at once, ``params["errors"]`` holding each field's own error — an
    empty form is flagged field by field, not one field at a time.
    Build one with :meth:`of`.
    """

    domain = "input"
    codes: ClassVar[frozenset[str]] = frozenset({"required", "too_long", "several"})

    @classmethod
    def of(cls, code: str, field: str, label_key: str, **params: object) -> InputError:
        """``InputError(code)`` for the form field ``field`` labelled by ``label_key``."""
        return cls(
            code,
            field=field,
            field_id=translations.text(label_key, "id"),
            field_en=translations.text(label_key, "en"),
            **params,
        )

    @classmethod
    def gather(cls, errors: list[SiapkerjaError]) -> SiapkerjaError | None:
        """``None``, the one error, or ``several`` holding them all."""
        if not errors:
            return None
        return errors[0] if len(errors) == 1 else cls("several", errors=tuple(errors))


# --- the journey: registration, codes, sign-in, recovery ----------------------------


class RegistrationError(SiapkerjaError):
    """Step 1 or 2 of registration cannot go on."""

    domain = "registration"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid_name",
            "nik_not_found",
            "nik_inactive",
            "mismatch",
            "verification_locked",
            "email_checks_locked",
            "not_found",
            "expired",
            "already_confirmed",
            "wrong_step",
            "email_taken",
            "phone_taken",
            "secret_required",
        }
    )


class AlreadyRegistered(RegistrationError):
    """The NIK already has an active account: offer recovery, show contacts only masked.

    Raised only after Dukcapil confirmed the NIK, name and mother's name, so it
    tells nothing to someone who does not already know them.
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "already_registered",
        }
    )

    @property
    def email_masked(self) -> str:
        return str(self.params["email"])

    @property
    def phone_masked(self) -> str:
        return str(self.params["phone"])


class OtpError(SiapkerjaError):
    """A code was refused, or no new code may be sent yet."""

    domain = "otp"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid",
            "expired",
            "dead",
            "cooldown",
            "send_limit",
            "daily_limit",
        }
    )

    @property
    def retry_after(self) -> int | None:
        value = self.params.get("retry_after")
        return value if isinstance(value, int) else None


class LoginError(SiapkerjaError):
    """Sign-in refused. One message whatever the reason (unknown user, wrong password)."""

    domain = "login"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "failed",
            "throttled",
            "session_invalid",
        }
    )


class ResetError(SiapkerjaError):
    """A password reset was refused; one message for every cause."""

    domain = "reset"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid",
        }
    )


# --- the card ---------------------------------------------------------------------------


class CardError(SiapkerjaError):
    """A card operation that cannot be done, or a card image that cannot be drawn.

    The one owner of the ``card`` domain: the use cases raise it directly
    (``no_card``, ``revoked`` …); the image raises its subclass
    :class:`~siapkerja_core.render.card.CardImageError` (``empty``,
    ``photo_type`` …), which is also a :class:`ValueError`.
    """

    domain = "card"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "no_account",
            "no_card",
            "revoked",
            "suspended",
            "mode",
            "purpose_required",
            "unknown_purpose",
            "exhausted",
            "empty",
            "photo_type",
            "photo_size",
            "qr_version",
        }
    )
