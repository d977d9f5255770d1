"""The composition root: ``connect()`` builds a ready :class:`~siapkerja_core.service.Siapkerja`.

This module owns everything that happens once, at start-up, and touches the
outside world to do it: reading the TOML settings file and the environment,
loading plug-ins from entry points, and running the adapter factories. The
core stays pure because all of that happens here (as in cosmicpython's
``bootstrap()``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Final

from siapkerja_core import translations
from siapkerja_core.errors import ConfigurationError

if TYPE_CHECKING:
    from siapkerja_core.limits import JourneyPolicy
    from siapkerja_core.passwords import PasswordHasher
    from siapkerja_core.service import Siapkerja
    from siapkerja_core.settings import Settings

# The settings, the plug-in host (pluggy), the events, logging and tomllib load
# when connect() or resolved_settings() runs, not when this module is imported:
# the package's __init__ imports it, so every `siapkerja` command (`nik check`
# too) would pay.

__all__ = ["connect", "read_config_file", "resolved_settings"]

_LOGGER: Final = "siapkerja.connect"

_TABLE: Final = "siapkerja"


def read_config_file(path: str | os.PathLike[str]) -> dict[str, object]:
    """Read the settings table of a TOML file.

    Settings sit at the top level, or under a ``[siapkerja]`` table (so the
    file can be shared with other tools, whose tables are then ignored).
    Scalar keys at the top level beside a ``[siapkerja]`` table are refused
    as ambiguous.

    :raises ConfigurationError: ``config.file`` when the file is missing,
        unreadable, not TOML, or ambiguous.
    """
    import tomllib  # here, not at the top: most processes never read a settings file

    shown = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError("file", path=shown, reason="no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError("file", path=shown, reason=f"not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError("file", path=shown, reason=str(exc)) from exc

    table = document.get(_TABLE)
    if table is None:
        return document
    if not isinstance(table, dict):
        raise ConfigurationError("file", path=shown, reason=f"{_TABLE!r} must be a table")
    stray = sorted(key for key, value in document.items() if not isinstance(value, dict))
    if stray:
        raise ConfigurationError(
            "file",
            path=shown,
            reason=f"keys {', '.join(stray)} are outside the [{_TABLE}] table",
        )
    return dict(table)


def use_locale_dirs(settings: Settings) -> None:
    """Search the ``locale_dirs`` catalogues before the packaged ones (process-wide).

    Each directory holds ``<lang>/LC_MESSAGES/siapkerja.mo`` files with only
    the texts a deployer rewords, or a whole new language. Unset leaves the
    catalogues in use alone. A relative path is relative to the current directory.

    :raises ConfigurationError: ``config.invalid`` for a directory that does not exist.
    """
    directories = settings.get_paths("locale_dirs")
    if not directories:
        return
    for directory in directories:
        if not os.path.isdir(directory):
            raise ConfigurationError(
                "invalid",
                name="locale_dirs",
                reason=f"no such directory: {os.path.abspath(directory)}",
            )
    translations.use_directories(directories)


SHARED_COUNTERS: Final = "storage"
"""The ``ratelimit`` name meaning "the counters of the storage adapter in use"."""


def _counters_of(storage: object, settings: Settings) -> object:
    """The counters a storage adapter keeps beside its records (``ratelimit = "storage"``).

    One store to run, shared as widely as the records are: across processes
    for SQL, within the process for memory.
    """
    counters = getattr(storage, "counters", None)
    if counters is None:
        raise ConfigurationError(
            "invalid",
            name="ratelimit",
            reason=f"storage {settings.storage!r} keeps no counters; choose a ratelimit adapter",
        )
    return counters


def resolved_settings(
    config: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    **settings: object,
) -> Settings:
    """The settings :func:`connect` would use, read without building anything.

    Highest first: ``settings``, the environment, the TOML file (``config`` or
    ``$SIAPKERJA_CONFIG``), the profile's defaults (no plug-in hooks run).
    """
    from siapkerja_core.settings import CONFIG_ENV, resolve_settings

    env: Mapping[str, str] = os.environ if environ is None else environ
    config_path = config if config is not None else (env.get(CONFIG_ENV) or None)
    file_values = read_config_file(config_path) if config_path is not None else {}
    return resolve_settings(profile, kwargs=settings, environ=env, file_values=file_values)


def connect(
    profile: str | None = None,
    /,
    *,
    config: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    load_entrypoints: bool = True,
    plugins: Iterable[object] = (),
    policy: JourneyPolicy | None = None,
    clock: Callable[[], datetime] | None = None,
    hasher: PasswordHasher | None = None,
    **settings: object,
) -> Siapkerja:
    """Build the service from settings: the one place adapters are chosen.

    Settings come from, highest first: ``settings`` keyword arguments, the
    environment (``SIAPKERJA_<KEY>``), the TOML file (``config`` or
    ``$SIAPKERJA_CONFIG``) and the profile's defaults. Plug-ins are the
    built-in one, then ``plugins``, then the ``siapkerja`` entry points
    (limited by ``$SIAPKERJA_PLUGINS``: a comma list, empty for none).

    A port whose adapter name comes from the profile and is not registered yet
    is left empty (the facade says so when it is used); a name you asked for
    that nobody registered fails at once with the known names.

    :param profile: ``None``/``"default"`` (embedded default) or ``"memory"``.
    :param config: a TOML settings file; overrides ``$SIAPKERJA_CONFIG``.
    :param environ: the environment to read (default: ``os.environ``).
    :param load_entrypoints: load third-party plug-ins from entry points.
    :param plugins: extra plug-in objects or modules to register.
    :param policy: the journey's limits (default: :class:`JourneyPolicy` defaults).
    :param clock: the current aware time (tests, simulations).
    :param hasher: the password hasher (default: Argon2id with OWASP parameters).
    :param settings: settings by key (``sms="memory"``, ``dukcapil_residents=...``,
        ``locale_dirs=["locale"]``: catalogues searched before the packaged ones,
        for the whole process; see :func:`use_locale_dirs`).
    :raises ConfigurationError: a bad file, value, profile or plug-in.
    :raises UnknownAdapter: a requested adapter that is not registered.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    resolved = resolved_settings(config, profile, environ=env, **settings)
    use_locale_dirs(resolved)

    # Imported here, not at the top: the built-in adapters bring SQLAlchemy, httpx and
    # the service layer, and merely importing this package (``siapkerja nik check``)
    # should not pay for them.
    import logging

    from siapkerja_adapters import builtin
    from siapkerja_adapters.dispatch import install_dispatcher
    from siapkerja_core.events import AdapterBuilt
    from siapkerja_core.plugins import ADAPTER_KINDS, PluginHost, plugin_filter
    from siapkerja_core.service import Siapkerja

    host = PluginHost.create(
        load_entrypoints=load_entrypoints,
        plugins=[builtin, *plugins],
        only=plugin_filter(env),
    )
    host.configure(resolved)
    # A KMS or Vault plug-in gives the storage key where no setting does.
    resolved = host.with_storage_key(resolved)

    adapters: dict[str, object] = {}
    for kind in ADAPTER_KINDS:
        name = resolved.adapter_name(kind)
        if kind == "ratelimit" and name == SHARED_COUNTERS:
            adapters[kind] = _counters_of(adapters.get("storage"), resolved)
            continue
        if name not in host.known(kind) and not resolved.is_explicit(kind):
            logging.getLogger(_LOGGER).debug(
                "no %s adapter %r registered yet; the %s port stays empty", kind, name, kind
            )
            continue
        # host.adapter raises UnknownAdapter, listing the known names, for an explicit miss.
        adapters[kind] = host.adapter(kind, name).factory(resolved)
    service = Siapkerja(
        settings=resolved,
        plugins=host,
        adapters=adapters,
        policy=policy,
        clock=clock,
        hasher=hasher,
    )
    for kind in adapters:
        service.emit(
            AdapterBuilt(kind=kind, adapter=resolved.adapter_name(kind), occurred_at=service.now())
        )
    install_dispatcher(service)  # sms_dispatch: who sends the outbox's messages
    return service
