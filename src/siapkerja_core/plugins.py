"""The plug-in host: a typed facade over pluggy and the adapter registry.

This module owns :class:`AdapterRegistration` (the record a plug-in offers for
one adapter), :class:`PluginHost` (one typed method per hook, so ``mypy
--strict`` checks every call site instead of pluggy's untyped ``pm.hook``),
and the rules of the registry: kinds are fixed, names are lowercase
identifiers, a ``(kind, name)`` pair belongs to one plug-in, and an unknown
name fails with the list of known ones.

The built-in adapters arrive through the same path as a third-party plug-in:
the caller passes ``siapkerja_adapters.builtin`` in ``plugins=``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, Final

import attrs
import pluggy

from siapkerja_core import hookspecs
from siapkerja_core.errors import ConfigurationError, UnknownAdapter
from siapkerja_core.events import DomainEvent
from siapkerja_core.settings import ADAPTER_KINDS, PLUGINS_ENV, Settings

__all__ = [
    "ADAPTER_KINDS",
    "AdapterRegistration",
    "PluginHost",
    "plugin_filter",
]

logger = logging.getLogger("siapkerja.plugins")

_ADAPTER_NAME: Final = r"[a-z][a-z0-9_]*"
# Hooks the host calls one implementation at a time (to name the plug-in in an
# error, or to keep going after one fails); a wrapper has no meaning there.
_BROADCAST_HOOKS: Final = ("siapkerja_adapters", "siapkerja_event")


@attrs.frozen
class AdapterRegistration:
    """One adapter a plug-in offers: its port, its name and how to build it.

    ``factory`` receives the resolved :class:`~siapkerja_core.settings.Settings`
    and returns the adapter; it should import optional dependencies itself, so
    registering stays cheap. ``description`` is a one-line summary shown in
    listings.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(ADAPTER_KINDS))
    name: str = attrs.field(validator=attrs.validators.matches_re(_ADAPTER_NAME))
    factory: Callable[[Settings], object] = attrs.field(validator=attrs.validators.is_callable())
    description: str = attrs.field(default="", validator=attrs.validators.instance_of(str))


def plugin_filter(environ: Mapping[str, str]) -> list[str] | None:
    """Read ``SIAPKERJA_PLUGINS``: which entry-point plug-ins to load.

    Unset gives ``None`` (load all); an empty value gives ``[]`` (load none);
    ``"a, b"`` gives ``["a", "b"]``.
    """
    value = environ.get(PLUGINS_ENV)
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def _plugin_name(plugin: object) -> str:
    # A plug-in may fix its own name (the built-in uses its entry-point name,
    # so an installed copy is not loaded a second time); otherwise a module is
    # known by its dotted name and an object by its class, never by id().
    explicit = getattr(plugin, "PLUGIN_NAME", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _call(impl: pluggy.HookImpl, kwargs: Mapping[str, object]) -> object:
    # The same argument passing as pluggy's own loop: an implementation takes
    # only the arguments it names.
    args = [kwargs[name] for name in impl.argnames]
    extra = {name: kwargs[name] for name in impl.kwargnames if name in kwargs}
    return impl.function(*args, **extra)


class PluginHost:
    """The registered plug-ins and what they offer.

    Build one with :meth:`create`. Collected registrations are cached; they are
    collected again after :meth:`register` adds a plug-in.
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        """Wrap ``manager``, which must already carry the siapkerja hookspecs.

        Prefer :meth:`create`, which also loads and validates the plug-ins.
        """
        self._manager = manager
        self._registry: dict[str, dict[str, tuple[str, AdapterRegistration]]] | None = None
        self._listening: bool | None = None

    @classmethod
    def create(
        cls,
        *,
        load_entrypoints: bool = True,
        plugins: Iterable[object] = (),
        only: Iterable[str] | None = None,
        blocked: Iterable[str] = (),
    ) -> PluginHost:
        """Build a host: register ``plugins``, then load entry-point plug-ins.

        :param load_entrypoints: load the ``siapkerja`` entry-point group.
        :param plugins: plug-in objects or modules registered first, in order.
        :param only: if given, the only entry-point names to load (``[]``: none).
        :param blocked: names never to register, entry point or not (blocking
            ``"builtin"`` removes the built-in adapters).
        :raises ConfigurationError: ``config.plugin`` when a plug-in implements
            an unknown hook, has a bad signature, uses a wrapper on a broadcast
            hook, or is registered twice.
        """
        manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        for name in blocked:
            manager.set_blocked(name)
        host = cls(manager)
        for plugin in plugins:
            host._register(plugin, None)
        if load_entrypoints:
            if only is None:
                manager.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
            else:
                for name in only:
                    manager.load_setuptools_entrypoints(hookspecs.PROJECT_NAME, name=name)
                    if not manager.has_plugin(name) and not manager.is_blocked(name):
                        logger.warning(
                            "%s names plug-in %r but no such entry point is installed",
                            PLUGINS_ENV,
                            name,
                        )
        host._validate()
        return host

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register one more plug-in and return the name it is registered under.

        :raises ConfigurationError: ``config.plugin`` as in :meth:`create`.
        """
        registered = self._register(plugin, name)
        self._validate()
        return registered

    def _register(self, plugin: object, name: str | None) -> str:
        plugin_name = name or _plugin_name(plugin)
        if name is None and not isinstance(plugin, ModuleType | type):
            # Several instances of one plug-in class (two webhooks, say) are
            # legitimate: number the later ones instead of refusing them.
            base, number = plugin_name, 1
            while self._manager.get_plugin(plugin_name) not in (None, plugin):
                number += 1
                plugin_name = f"{base}#{number}"
        try:
            registered = self._manager.register(plugin, name=plugin_name)
        except pluggy.PluginValidationError as exc:
            raise ConfigurationError("plugin", plugin=plugin_name, reason=str(exc)) from exc
        except ValueError as exc:
            raise ConfigurationError(
                "plugin", plugin=plugin_name, reason="it is already registered"
            ) from exc
        self._registry = None
        self._listening = None
        # pluggy returns None for a blocked name: the plug-in is deliberately absent.
        return registered or plugin_name

    def _validate(self) -> None:
        try:
            self._manager.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin_name = self._manager.get_name(exc.plugin) or repr(exc.plugin)
            raise ConfigurationError("plugin", plugin=plugin_name, reason=str(exc)) from exc
        for hook_name in _BROADCAST_HOOKS:
            for impl in getattr(self._manager.hook, hook_name).get_hookimpls():
                if impl.wrapper or impl.hookwrapper:
                    raise ConfigurationError(
                        "plugin",
                        plugin=impl.plugin_name,
                        reason=f"{hook_name} is a broadcast hook and cannot be a wrapper",
                    )

    def _implementations(self, hook_name: str) -> list[pluggy.HookImpl]:
        caller: pluggy.HookCaller = getattr(self._manager.hook, hook_name)
        # pluggy runs the last registered first (tryfirst/trylast aside); keep its order.
        return list(reversed(caller.get_hookimpls()))

    def plugin_names(self) -> list[str]:
        """Return the names of the registered plug-ins, sorted."""
        return sorted(
            name for name, plugin in self._manager.list_name_plugin() if plugin is not None
        )

    def _collect(self) -> dict[str, dict[str, tuple[str, AdapterRegistration]]]:
        if self._registry is not None:
            return self._registry
        registry: dict[str, dict[str, tuple[str, AdapterRegistration]]] = {
            kind: {} for kind in ADAPTER_KINDS
        }
        for impl in self._implementations("siapkerja_adapters"):
            offered = _call(impl, {})
            if offered is None:
                continue
            if not isinstance(offered, Iterable):
                raise ConfigurationError(
                    "plugin",
                    plugin=impl.plugin_name,
                    reason="siapkerja_adapters must return an iterable of AdapterRegistration",
                )
            for registration in offered:
                if not isinstance(registration, AdapterRegistration):
                    raise ConfigurationError(
                        "plugin",
                        plugin=impl.plugin_name,
                        reason=f"siapkerja_adapters gave {registration!r},"
                        " not an AdapterRegistration",
                    )
                by_name = registry[registration.kind]
                if registration.name in by_name:
                    raise UnknownAdapter(
                        "duplicate_adapter",
                        kind=registration.kind,
                        name=registration.name,
                        first=by_name[registration.name][0],
                        second=impl.plugin_name,
                    )
                by_name[registration.name] = (impl.plugin_name, registration)
        self._registry = registry
        return registry

    def _kind(self, kind: str) -> dict[str, tuple[str, AdapterRegistration]]:
        if kind not in ADAPTER_KINDS:
            raise UnknownAdapter("unknown_kind", kind=kind, known=", ".join(ADAPTER_KINDS))
        return self._collect()[kind]

    def registrations(self, kind: str) -> list[AdapterRegistration]:
        """Return every registration of the port ``kind``, in plug-in call order.

        :raises UnknownAdapter: ``plugin.unknown_kind`` for a kind outside
            :data:`ADAPTER_KINDS`; ``plugin.duplicate_adapter`` when two
            registrations share a kind and name.
        """
        return [registration for _, registration in self._kind(kind).values()]

    def known(self, kind: str) -> list[str]:
        """Return the sorted names of the adapters registered for ``kind``."""
        return sorted(self._kind(kind))

    def adapter(self, kind: str, name: str) -> AdapterRegistration:
        """Return the registration of adapter ``name`` for the port ``kind``.

        :raises UnknownAdapter: ``plugin.unknown_adapter`` (its message lists the
            known names) or ``plugin.unknown_kind``.
        """
        by_name = self._kind(kind)
        if name not in by_name:
            raise UnknownAdapter(
                "unknown_adapter",
                kind=kind,
                name=name,
                known=", ".join(sorted(by_name)) or "(none)",
            )
        return by_name[name][1]

    def provider(self, kind: str, name: str) -> str:
        """Return the name of the plug-in that registered adapter ``name`` of ``kind``."""
        self.adapter(kind, name)
        return self._kind(kind)[name][0]

    def configure(self, settings: Settings) -> None:
        """Call ``siapkerja_configure`` on every plug-in; an exception propagates."""
        self._manager.hook.siapkerja_configure(settings=settings)

    def storage_key(self, settings: Settings) -> str | None:
        """The ``storage_key`` a plug-in's ``siapkerja_storage_key`` hook gives (first wins).

        :raises ConfigurationError: ``config.plugin`` when the value is not a string.
        """
        for impl in self._implementations("siapkerja_storage_key"):
            value = _call(impl, {"settings": settings})
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(
                    "plugin",
                    plugin=impl.plugin_name,
                    reason="siapkerja_storage_key must return a non-empty string or None",
                )
            return value
        return None

    def with_storage_key(self, settings: Settings) -> Settings:
        """``settings`` with ``storage_key`` from :meth:`storage_key` when it is unset."""
        if settings.get_str("storage_key") is not None:
            return settings
        value = self.storage_key(settings)
        if value is None:
            return settings
        return attrs.evolve(
            settings,
            extra={**settings.extra, "storage_key": value},
            sources={**settings.sources, "storage_key": "plugin"},
        )

    @property
    def listening(self) -> bool:
        """Whether any plug-in implements ``siapkerja_event``.

        Hot paths (a QR scan) ask first and skip building an event nobody receives.
        """
        if self._listening is None:  # reset when a plug-in is registered
            self._listening = bool(self._manager.hook.siapkerja_event.get_hookimpls())
        return self._listening

    def emit(self, event: DomainEvent) -> None:
        """Call ``siapkerja_event`` on every plug-in; a failing one is logged and skipped."""
        kwargs: dict[str, Any] = {"event": event}
        for impl in self._implementations("siapkerja_event"):
            try:
                _call(impl, kwargs)
            except Exception:
                # Announcing a fact must not undo it: an audit or webhook plug-in
                # that fails is an operational problem, reported, not a user error.
                logger.exception(
                    "plug-in %r failed in siapkerja_event for %s", impl.plugin_name, event.name
                )

    def __repr__(self) -> str:
        return f"PluginHost(plugins={self.plugin_names()!r})"
