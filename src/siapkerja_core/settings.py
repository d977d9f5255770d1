"""Settings: which adapter fills each port, and the adapters' own keys.

This module owns the :class:`Settings` value object, the built-in profiles and
:func:`resolve_settings`, which merges the sources in a fixed order of
precedence:

1. keyword arguments (``connect(sms="memory")``),
2. environment variables ``SIAPKERJA_<KEY>`` (``SIAPKERJA_SMS=memory``),
3. the TOML settings file (already parsed: reading it is the adapters' job),
4. the profile's defaults (``"default"`` or ``"memory"``).

Resolution is pure: the environment and the file arrive as mappings, so the
same inputs always give the same settings and tests need no monkeypatching.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Final, overload

import attrs

from siapkerja_core.errors import ConfigurationError

__all__ = [
    "ADAPTER_KINDS",
    "CONFIG_ENV",
    "ENV_PREFIX",
    "MAX_NAME_LENGTH",
    "MIN_CONTRAST",
    "MIN_SECRET_BYTES",
    "PAGE_BACKGROUND",
    "PATH_LIST_KEYS",
    "PLUGINS_ENV",
    "PROFILES",
    "Branding",
    "Settings",
    "branding",
    "check_secret",
    "contrast_ratio",
    "contrast_with_white",
    "darker",
    "resolve_settings",
]

ADAPTER_KINDS: Final = ("storage", "sms", "dukcapil", "ratelimit", "email")
"""The ports an adapter can fill; each is also a :class:`Settings` field naming the adapter."""

ENV_PREFIX: Final = "SIAPKERJA_"
CONFIG_ENV: Final = "SIAPKERJA_CONFIG"
"""Environment variable naming the TOML settings file."""
PLUGINS_ENV: Final = "SIAPKERJA_PLUGINS"
"""Environment variable limiting which entry-point plug-ins load (comma list; empty: none)."""

PATH_LIST_KEYS: Final = frozenset({"locale_dirs", "templates_dir"})
"""Settings that take a list of paths: a TOML or Python list, or ``os.pathsep``-separated text."""

MIN_SECRET_BYTES: Final = 16
"""The shortest secret accepted for ``secret_key`` (32 random bytes recommended)."""

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})

# These variables steer loading itself; they are never settings.
_RESERVED_ENV: Final = frozenset({CONFIG_ENV, PLUGINS_ENV})

PROFILES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "default": MappingProxyType(
            {
                # A SQLite file (database_url, default ./siapkerja.sqlite3): nothing to start.
                "storage": "sql",
                "sms": "console",
                "dukcapil": "offline",
                "ratelimit": "storage",
                "email": "console",
            }
        ),
        "memory": MappingProxyType(
            {
                "storage": "memory",
                "sms": "memory",
                "dukcapil": "offline",
                "ratelimit": "memory",
                "email": "memory",
            }
        ),
    }
)
"""Each profile's adapter names. ``None`` as a profile means ``"default"``."""

_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Loose on purpose: any SQLAlchemy-style URL (``sqlite:///x.db``,
# ``postgresql+psycopg://u:p@h/db``) passes; typos such as a bare path do not.
_DATABASE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*")
_URL_PASSWORD = re.compile(r"(?<=://)([^:/@]*):[^@]*@")
_SECRET_KEY = re.compile(r"secret|password|passwd|token|key")
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def _check_adapter_name(key: str, value: str, origin: str) -> None:
    if not _NAME.fullmatch(value):
        raise ConfigurationError(
            "invalid",
            name=key,
            reason=f"an adapter name is a lowercase identifier, got {value!r} ({origin})",
        )


def _check_database_url(value: str, origin: str) -> None:
    if not _DATABASE_URL.fullmatch(value):
        raise ConfigurationError(
            "invalid",
            name="database_url",
            reason=f"expected a URL such as 'sqlite:///siapkerja.db' ({origin})",
        )


def _check_extra_key(key: str, origin: str) -> None:
    if not _NAME.fullmatch(key):
        raise ConfigurationError(
            "invalid",
            name=key,
            reason=f"a settings key is a lowercase identifier ({origin})",
        )


def _validate_adapter_name(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    _check_adapter_name(attribute.name, value, "Settings")


def _validate_database_url(
    _instance: object, _attribute: attrs.Attribute[Any], value: str | None
) -> None:
    if value is not None:
        _check_database_url(value, "Settings")


def _validate_extra(
    _instance: object, _attribute: attrs.Attribute[Any], value: Mapping[str, str]
) -> None:
    for key, item in value.items():
        _check_extra_key(key, "Settings.extra")
        if key in ADAPTER_KINDS or key == "database_url":
            raise ConfigurationError(
                "invalid", name=key, reason="a Settings field cannot also be an extra key"
            )
        if not isinstance(item, str):
            raise ConfigurationError(
                "invalid", name=key, reason=f"extra values are strings, got {type(item).__name__}"
            )


def _frozen_mapping(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _mask_url(value: str | None) -> str:
    # A database URL may carry a password; a repr ends up in logs and tracebacks.
    return repr(None if value is None else _URL_PASSWORD.sub(r"\1:***@", value))


def _mask_extra(value: Mapping[str, str]) -> str:
    shown = {k: ("***" if _SECRET_KEY.search(k) else v) for k, v in value.items()}
    return repr(shown)


@attrs.frozen
class Settings:
    """The resolved settings of one :class:`~siapkerja_core.service.Siapkerja`.

    ``storage``, ``sms``, ``dukcapil``, ``ratelimit`` and ``email`` name the adapter that
    fills each port (names, never import paths). ``extra`` holds
    adapter-specific keys (``dukcapil_residents``, ``sms_console_stream``, …)
    as strings; adapters read them with the typed accessors (:meth:`get_str`,
    :meth:`require_str`, :meth:`get_int`, :meth:`get_float`, :meth:`get_duration`,
    :meth:`get_bool`, :meth:`get_choice`, :meth:`get_secret`), which strip
    blanks, treat a blank value as unset, and raise ``config.invalid`` naming
    the key and what was expected.

    ``profile`` and ``sources`` record where each value came from
    (``"kwargs"``, ``"env"``, ``"file"`` or ``"profile"``); they do not take
    part in equality. The repr hides passwords in ``database_url`` and the
    values of extra keys that look secret.
    """

    storage: str = attrs.field(validator=_validate_adapter_name)
    sms: str = attrs.field(validator=_validate_adapter_name)
    dukcapil: str = attrs.field(validator=_validate_adapter_name)
    ratelimit: str = attrs.field(validator=_validate_adapter_name)
    email: str = attrs.field(default="console", validator=_validate_adapter_name)
    """The e-mail sender (``console``, ``memory``, ``smtp``): notices and e-mail codes."""
    database_url: str | None = attrs.field(
        default=None, validator=_validate_database_url, repr=_mask_url
    )
    extra: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_mapping, validator=_validate_extra, repr=_mask_extra
    )
    profile: str | None = attrs.field(default=None, eq=False)
    sources: Mapping[str, str] = attrs.field(
        factory=dict, converter=_frozen_mapping, eq=False, repr=False
    )

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: str | None) -> str | None: ...

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the setting ``key`` (a field or an extra key), or ``default`` if unset."""
        if key in ADAPTER_KINDS:
            return str(getattr(self, key))
        if key == "database_url":
            return default if self.database_url is None else self.database_url
        return self.extra.get(key, default)

    def adapter_name(self, kind: str) -> str:
        """Return the adapter name chosen for the port ``kind`` (one of :data:`ADAPTER_KINDS`)."""
        if kind not in ADAPTER_KINDS:
            raise ConfigurationError(
                "invalid", name=kind, reason=f"not an adapter kind ({', '.join(ADAPTER_KINDS)})"
            )
        return str(getattr(self, kind))

    def is_explicit(self, key: str) -> bool:
        """Whether ``key`` was set by the caller (kwargs, env, file) rather than a profile default.

        A value without a recorded source (``Settings`` built directly) counts as explicit.
        """
        return self.sources.get(key) != "profile"

    # --- typed accessors: one parser per kind of value, one wording per error ---

    def _text(self, key: str) -> str | None:
        value = self.get(key)
        if value is None:
            return None
        return value.strip() or None

    @overload
    def get_str(self, key: str) -> str | None: ...
    @overload
    def get_str(self, key: str, default: str) -> str: ...

    def get_str(self, key: str, default: str | None = None) -> str | None:
        """The setting ``key`` stripped of blanks; ``default`` when unset or blank."""
        text = self._text(key)
        return default if text is None else text

    def get_paths(self, key: str) -> tuple[str, ...]:
        """The setting ``key`` as a list of paths: separated by ``os.pathsep`` (``:``/``;``).

        A TOML list or a keyword-argument list is stored that way too; blank
        entries are dropped; unset gives ``()``.
        """
        text = self._text(key)
        if text is None:
            return ()
        return tuple(part.strip() for part in text.split(os.pathsep) if part.strip())

    def require_str(self, key: str, *, reason: str = "required") -> str:
        """The setting ``key`` stripped of blanks.

        :raises ConfigurationError: ``config.invalid`` with ``reason`` when unset or blank.
        """
        text = self._text(key)
        if text is None:
            raise ConfigurationError("invalid", name=key, reason=reason)
        return text

    @overload
    def get_int(
        self, key: str, default: int, *, minimum: int | None = ..., maximum: int | None = ...
    ) -> int: ...
    @overload
    def get_int(
        self, key: str, default: None, *, minimum: int | None = ..., maximum: int | None = ...
    ) -> int | None: ...

    def get_int(
        self,
        key: str,
        default: int | None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """The setting ``key`` as a whole number within ``minimum``-``maximum`` (inclusive).

        :raises ConfigurationError: ``config.invalid`` for anything else.
        """
        text = self._text(key)
        if text is None:
            return default
        try:
            value: int | None = int(text)
        except ValueError:
            value = None
        if (
            value is None
            or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)
        ):
            raise ConfigurationError(
                "invalid",
                name=key,
                reason=f"expected a whole number{_bounds(minimum, maximum)}, got {text!r}",
            )
        return value

    @overload
    def get_float(
        self, key: str, default: float, *, minimum: float | None = ..., above: float | None = ...
    ) -> float: ...
    @overload
    def get_float(
        self, key: str, default: None, *, minimum: float | None = ..., above: float | None = ...
    ) -> float | None: ...

    def get_float(
        self,
        key: str,
        default: float | None,
        *,
        minimum: float | None = None,
        above: float | None = None,
    ) -> float | None:
        """The setting ``key`` as a finite number ``>= minimum`` (and ``> above``).

        :raises ConfigurationError: ``config.invalid`` for anything else.
        """
        text = self._text(key)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if (
            not math.isfinite(value)
            or (minimum is not None and value < minimum)
            or (above is not None and value <= above)
        ):
            bound = ""
            if minimum is not None:
                bound = f" >= {minimum:g}"
            elif above is not None:
                bound = f" > {above:g}"
            raise ConfigurationError(
                "invalid", name=key, reason=f"expected a number{bound}, got {text!r}"
            )
        return value

    def get_duration(
        self, key: str, default: timedelta, *, minimum: timedelta = timedelta(0)
    ) -> timedelta:
        """The setting ``key``, in seconds (a number), as a duration of at least ``minimum``.

        :raises ConfigurationError: ``config.invalid`` for anything else.
        """
        seconds = self.get_float(key, None, minimum=minimum.total_seconds())
        return default if seconds is None else timedelta(seconds=seconds)

    def get_bool(self, key: str, default: bool) -> bool:
        """The setting ``key`` as a yes/no: ``true``/``1``/``yes``/``on`` or their opposites.

        :raises ConfigurationError: ``config.invalid`` for anything else.
        """
        text = self._text(key)
        if text is None:
            return default
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigurationError(
            "invalid", name=key, reason=f"expected true or false, got {text!r}"
        )

    def get_choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        """The setting ``key``, lower-cased, which must be one of ``choices``.

        :raises ConfigurationError: ``config.invalid`` for anything else.
        """
        text = self._text(key)
        if text is None:
            return default
        if text.lower() not in choices:
            listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
            raise ConfigurationError("invalid", name=key, reason=f"expected {listed}, got {text!r}")
        return text.lower()

    def get_secret(self, key: str) -> str | None:
        """The secret ``key`` as given (not stripped), checked by :func:`check_secret`."""
        value = self.get(key)
        return None if not value else check_secret(key, value)


def check_secret(name: str, value: str) -> str:
    """``value`` if it is long enough to be a secret (:data:`MIN_SECRET_BYTES` in UTF-8).

    The one place the rule lives: the settings' ``secret_key`` and a secret
    passed by hand (``create_app(secret_key=...)``) go through it.

    :raises ConfigurationError: ``config.invalid`` naming ``name`` when it is shorter.
    """
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            "invalid",
            name=name,
            reason=f"use at least {MIN_SECRET_BYTES} random bytes (32 recommended)",
        )
    return value


def _bounds(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" {minimum}-{maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    return "" if maximum is None else f" <= {maximum}"


def _as_setting(key: str, value: object, origin: str) -> str:
    """Turn a keyword-argument or TOML value into the string the settings keep."""
    # bool before int: bool is an int subclass, and TOML's true must read "true", not "True".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fsdecode(value)
    if (
        key in PATH_LIST_KEYS
        and isinstance(value, list | tuple)
        and all(isinstance(v, str | os.PathLike) for v in value)
    ):
        # A list of paths (``locale_dirs = ["a", "b"]``) is kept as the environment
        # spells it: joined by os.pathsep, read back with Settings.get_paths.
        return os.pathsep.join(v if isinstance(v, str) else os.fsdecode(v) for v in value)
    raise ConfigurationError(
        "invalid",
        name=key,
        reason=f"expected a string, number, boolean or path, got {type(value).__name__} ({origin})",
    )


def _normalise(key: str, value: str, origin: str) -> str:
    if key in ADAPTER_KINDS:
        # Adapter names are lowercase identifiers, so folding case is unambiguous
        # and forgives "SIAPKERJA_SMS=Console".
        name = value.strip().lower()
        _check_adapter_name(key, name, origin)
        return name
    if key == "database_url":
        url = value.strip()
        _check_database_url(url, origin)
        return url
    return value


def _layer_from_objects(values: Mapping[str, object], origin: str) -> dict[str, str]:
    layer: dict[str, str] = {}
    for raw_key, value in values.items():
        key = raw_key.strip().lower()
        _check_extra_key(key, origin)
        # None means "not given", so callers can forward optional arguments as they are.
        if value is None:
            continue
        layer[key] = _normalise(key, _as_setting(key, value, origin), origin)
    return layer


def _layer_from_environ(environ: Mapping[str, str]) -> dict[str, str]:
    layer: dict[str, str] = {}
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX) or variable in _RESERVED_ENV:
            continue
        # An empty variable counts as unset, the usual shell convention
        # (`SIAPKERJA_SMS= siapkerja demo`).
        if value == "":
            continue
        key = variable[len(ENV_PREFIX) :].lower()
        origin = f"environment variable {variable}"
        _check_extra_key(key, origin)
        layer[key] = _normalise(key, value, origin)
    return layer


def resolve_settings(
    profile: str | None = None,
    *,
    kwargs: Mapping[str, object] = _EMPTY,
    environ: Mapping[str, str] = _EMPTY,
    file_values: Mapping[str, object] = _EMPTY,
) -> Settings:
    """Merge the settings sources into one :class:`Settings`.

    Precedence, highest first: ``kwargs`` > ``environ`` (``SIAPKERJA_<KEY>``,
    except the loader's own ``SIAPKERJA_CONFIG`` and ``SIAPKERJA_PLUGINS``) >
    ``file_values`` (the parsed TOML table) > the profile's defaults. A key
    that is neither an adapter kind nor ``database_url`` lands in
    :attr:`Settings.extra`.

    :param profile: ``None`` or ``"default"`` for the embedded default,
        ``"memory"`` for everything in memory.
    :param kwargs: keyword arguments given to ``connect()``; ``None`` values are ignored.
    :param environ: the process environment (or a stand-in); empty values are ignored.
    :param file_values: the settings table read from the TOML file.
    :raises ConfigurationError: ``config.invalid`` for an unknown profile or a malformed value.
    """
    profile_name = "default" if profile is None else profile.strip().lower()
    if profile_name not in PROFILES:
        raise ConfigurationError(
            "invalid",
            name="profile",
            reason=f"unknown profile {profile!r}; known: {', '.join(sorted(PROFILES))}",
        )
    values: dict[str, str] = dict(PROFILES[profile_name])
    sources = dict.fromkeys(values, "profile")
    layers = (
        ("file", _layer_from_objects(file_values, "settings file")),
        ("env", _layer_from_environ(environ)),
        ("kwargs", _layer_from_objects(kwargs, "keyword argument")),
    )
    for source, layer in layers:
        values.update(layer)
        sources.update(dict.fromkeys(layer, source))

    adapters = {kind: values.pop(kind) for kind in ADAPTER_KINDS}
    database_url = values.pop("database_url", None)
    return Settings(
        storage=adapters["storage"],
        sms=adapters["sms"],
        dukcapil=adapters["dukcapil"],
        ratelimit=adapters["ratelimit"],
        email=adapters["email"],
        database_url=database_url,
        extra=values,
        profile=profile_name,
        sources=sources,
    )


# --- branding: what a ministry or a regional portal changes without forking ----------

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# An address a page links to or loads: absolute https (http in development), or a path
# on this site ("/media/logo.png"). A protocol-relative "//host" is refused: it hides
# the scheme from the check.
_SITE_PATH = re.compile(r"/(?!/)\S*")
_STATIC_NAME = re.compile(r"(?!/)(?!.*\.\.)[A-Za-z0-9._/-]+")
MAX_NAME_LENGTH: Final = 80
"""The longest ``operator_name``: it is read inside a sentence, on a 360 px phone too."""
MIN_CONTRAST: Final = 4.5
"""WCAG 2.1 AA's contrast for normal text: white on the primary colour, the primary on white."""
PAGE_BACKGROUND: Final = "#f5f7fa"
"""The pages' background (``--paper``): links in the primary colour are read on it, and
it is darker than white, so a primary readable on it is readable under white text too."""


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(colour: str) -> float:
    r, g, b = (_channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours (``#rrggbb``), 1-21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of ``colour`` (``#rrggbb``) against white, 1-21."""
    return contrast_ratio(colour, "#ffffff")


def darker(colour: str, factor: float = 0.75) -> str:
    """``colour`` darkened (each channel times ``factor``): the hover shade of a button."""
    return "#" + "".join(f"{round(v * factor):02x}" for v in _rgb(colour))


@attrs.frozen
class Branding:
    """The settings a deployment brands the web pages with; every one optional.

    ``brand_name`` replaces "SIAPkerja" in the header and the title,
    ``brand_tagline`` the ministry's name under it. ``logo`` and ``favicon``
    are an absolute URL, a path on the site (``/media/logo.svg``) or a file
    name under the static files (``logo.svg``, looked up in ``static_dir``
    first). ``primary_colour`` and ``accent_colour`` are ``#rgb``/``#rrggbb``.
    ``privacy_url``, ``terms_url`` and ``help_url`` turn the consent text's and
    the footer's words into links; ``operator_name`` is who those policies are
    of, named in the consent sentence (default: the catalogues' "Kemnaker RI").
    ``templates_dirs`` are searched before the package's templates,
    ``static_dir`` before its static files.
    """

    brand_name: str | None = None
    brand_tagline: str | None = None
    logo: str = "logo.svg"
    favicon: str = "favicon.svg"
    primary_colour: str | None = None
    accent_colour: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None
    help_url: str | None = None
    operator_name: str | None = None
    templates_dirs: tuple[str, ...] = ()
    static_dir: str | None = None

    @property
    def primary_dark(self) -> str | None:
        """The primary colour's hover shade."""
        return None if self.primary_colour is None else darker(self.primary_colour)

    def theme_css(self) -> str:
        """The stylesheet that sets the colours as CSS custom properties (may be empty)."""
        lines = []
        if self.primary_colour is not None:
            lines += [f"  --blue: {self.primary_colour};", f"  --blue-dark: {self.primary_dark};"]
        if self.accent_colour is not None:
            lines.append(f"  --accent: {self.accent_colour};")
        if not lines:
            return "/* siapkerja: no colours set (primary_colour, accent_colour) */\n"
        return ":root {\n" + "\n".join(lines) + "\n}\n"


def _colour(settings: Settings, key: str) -> str | None:
    text = settings.get_str(key)
    if text is None:
        return None
    if not _HEX_COLOUR.fullmatch(text):
        raise ConfigurationError("bad_colour", name=key, value=text)
    colour = text.lower()
    if len(colour) == 4:
        colour = "#" + "".join(d * 2 for d in colour[1:])
    return colour


def _name(settings: Settings, key: str) -> str | None:
    text = settings.get(key)  # not get_str: a name set blank is refused, not ignored
    if text is None:
        return None
    name = text.strip()
    # One line of plain words: the name is read inside a translated sentence.
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ConfigurationError("bad_name", name=key, value=shown, maximum=str(MAX_NAME_LENGTH))
    return name


def _address(settings: Settings, key: str, *, dev: bool) -> str | None:
    text = settings.get_str(key)
    if text is None:
        return None
    if _SITE_PATH.fullmatch(text):
        return text
    scheme, _, rest = text.partition("://")
    allowed = ("https", "http") if dev else ("https",)
    if scheme.lower() not in allowed or not rest or any(c.isspace() for c in text):
        raise ConfigurationError("insecure_url", name=key, value=text)
    return text


def _asset(settings: Settings, key: str, default: str, *, dev: bool) -> str:
    text = settings.get_str(key)
    if text is None:
        return default
    if _STATIC_NAME.fullmatch(text) and "://" not in text:
        return text  # a file name under the static files
    address = _address(settings, key, dev=dev)
    return default if address is None else address


def branding(settings: Settings, *, dev: bool = False) -> Branding:
    """The :class:`Branding` the settings describe, each value checked.

    Directories are not looked at here (the core does no I/O): the web
    binding checks that they exist.

    :param dev: development mode, where ``http://`` addresses are accepted.
    :raises ConfigurationError: ``config.bad_colour`` for a colour that is not
        ``#rgb``/``#rrggbb``; ``config.low_contrast`` for a primary colour that
        white text on it, or links in it on the pages' background, cannot be read
        at 4.5:1; ``config.insecure_url`` for an address that is not
        ``https://`` (or ``http://`` in development) nor a path on the site;
        ``config.bad_name`` for an ``operator_name`` that is empty, longer than
        :data:`MAX_NAME_LENGTH` characters or not one line of printable text.
    """
    primary = _colour(settings, "primary_colour")
    if primary is not None and contrast_ratio(primary, PAGE_BACKGROUND) < MIN_CONTRAST:
        raise ConfigurationError(
            "low_contrast",
            name="primary_colour",
            value=primary,
            ratio=f"{contrast_ratio(primary, PAGE_BACKGROUND):.1f}",
            minimum=f"{MIN_CONTRAST:g}",
        )
    return Branding(
        brand_name=settings.get_str("brand_name"),
        brand_tagline=settings.get_str("brand_tagline"),
        logo=_asset(settings, "logo", "logo.svg", dev=dev),
        favicon=_asset(settings, "favicon", "favicon.svg", dev=dev),
        primary_colour=primary,
        accent_colour=_colour(settings, "accent_colour"),
        privacy_url=_address(settings, "privacy_url", dev=dev),
        terms_url=_address(settings, "terms_url", dev=dev),
        help_url=_address(settings, "help_url", dev=dev),
        operator_name=_name(settings, "operator_name"),
        templates_dirs=settings.get_paths("templates_dir"),
        static_dir=settings.get_str("static_dir"),
    )
