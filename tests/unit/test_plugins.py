"""The plug-in host: registration, lookup, loading control, event broadcast, connect()."""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import types
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from siapkerja_adapters import builtin, connect
from siapkerja_adapters.sms import MemorySender
from siapkerja_core.errors import ConfigurationError, UnknownAdapter
from siapkerja_core.events import AdapterBuilt, DomainEvent, event_names
from siapkerja_core.hookspecs import hookimpl
from siapkerja_core.plugins import ADAPTER_KINDS, AdapterRegistration, PluginHost, plugin_filter
from siapkerja_core.service import Siapkerja
from siapkerja_core.settings import resolve_settings

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class AcmeSender(MemorySender):
    """A third-party SMS adapter (a MemorySender is a valid MessageSender)."""


class AcmePlugin:
    """A third-party plug-in written as a class, registered as an instance."""

    def __init__(self) -> None:
        self.built_with: list[object] = []

    @hookimpl
    def siapkerja_adapters(self):
        def factory(settings):
            self.built_with.append(settings)
            return AcmeSender()

        return [AdapterRegistration(kind="sms", name="acme", factory=factory, description="ACME")]


class Recorder:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    @hookimpl
    def siapkerja_event(self, event):
        self.events.append(event)


class Exploding:
    @hookimpl
    def siapkerja_event(self, event):
        raise RuntimeError("webhook down")


def host(*plugins: object, **kwargs) -> PluginHost:
    return PluginHost.create(load_entrypoints=False, plugins=[builtin, *plugins], **kwargs)


# --- registrations -------------------------------------------------------------------


def test_builtin_registers_its_adapters() -> None:
    plugins = host()
    assert plugins.known("sms") == ["console", "http", "memory"]
    assert plugins.plugin_names() == ["builtin"]
    assert plugins.known("storage") == ["memory", "sql"]
    assert plugins.known("dukcapil") == ["http", "offline"]
    # "storage" is not a registered ratelimit adapter: connect() resolves it to the
    # storage adapter's own counters.
    assert plugins.known("ratelimit") == ["memory", "redis"]


def test_third_party_plugin_adds_an_adapter_connect_can_pick() -> None:
    acme = AcmePlugin()
    svc = connect(environ={}, load_entrypoints=False, plugins=[acme], sms="acme")
    assert isinstance(svc.sms, AcmeSender)
    assert acme.built_with == [svc.settings]
    assert svc.plugins.provider("sms", "acme") == f"{__name__}.AcmePlugin"
    assert svc.plugins.known("sms") == ["acme", "console", "http", "memory"]


def test_unknown_adapter_lists_the_known_names() -> None:
    with pytest.raises(UnknownAdapter) as info:
        connect(environ={}, load_entrypoints=False, sms="gateway")
    err = info.value
    assert err.full_code == "plugin.unknown_adapter"
    assert err.params == {"kind": "sms", "name": "gateway", "known": "console, http, memory"}
    assert "Known: console, http, memory." in err.message_en


def test_every_port_is_built_and_an_explicit_unknown_name_fails() -> None:
    svc = connect("memory", environ={}, load_entrypoints=False)
    assert set(svc.adapters) == {"sms", "storage", "dukcapil", "ratelimit", "email"}
    with pytest.raises(UnknownAdapter) as info:
        connect("memory", environ={}, load_entrypoints=False, storage="mongodb")
    assert info.value.params["known"] == "memory, sql"
    with pytest.raises(UnknownAdapter):
        connect(environ={"SIAPKERJA_DUKCAPIL": "soap"}, load_entrypoints=False)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownAdapter) as info:
        host().known("fax")
    assert info.value.code == "unknown_kind"
    assert info.value.params["known"] == ", ".join(ADAPTER_KINDS)


def test_duplicate_registration_from_two_plugins_is_refused() -> None:
    class Impostor:
        @hookimpl
        def siapkerja_adapters(self):
            yield AdapterRegistration(kind="sms", name="memory", factory=lambda s: MemorySender())

    with pytest.raises(UnknownAdapter) as info:
        host(Impostor()).known("sms")
    assert info.value.code == "duplicate_adapter"
    assert {info.value.params["first"], info.value.params["second"]} == {
        "builtin",
        f"{__name__}.{Impostor.__qualname__}",
    }


def test_duplicate_registration_within_one_plugin_is_refused() -> None:
    class Stutter:
        @hookimpl
        def siapkerja_adapters(self):
            for _ in range(2):
                yield AdapterRegistration(kind="sms", name="twice", factory=lambda s: None)

    with pytest.raises(UnknownAdapter, match="twice"):
        host(Stutter()).registrations("sms")


def test_registrations_are_cached_and_refreshed_by_register() -> None:
    calls: list[int] = []

    class Counting:
        @hookimpl
        def siapkerja_adapters(self):
            calls.append(1)
            return

    plugins = host(Counting())
    plugins.known("sms")
    plugins.registrations("sms")
    plugins.adapter("sms", "memory")
    assert len(calls) == 1
    name = plugins.register(AcmePlugin())
    assert name == f"{__name__}.AcmePlugin"
    assert "acme" in plugins.known("sms")
    assert len(calls) == 2


def test_registrations_keep_their_records() -> None:
    regs = host().registrations("sms")
    assert [r.name for r in regs] == ["console", "memory", "http"]
    assert all(r.kind == "sms" and r.description for r in regs)


def test_a_non_registration_result_is_refused() -> None:
    class Sloppy:
        @hookimpl
        def siapkerja_adapters(self):
            return [("sms", "sloppy")]

    with pytest.raises(ConfigurationError) as info:
        host(Sloppy()).known("sms")
    assert info.value.code == "plugin"


# --- validation of plug-ins ------------------------------------------------------------


def test_check_pending_catches_a_misspelt_hookimpl() -> None:
    class Misspelt:
        @hookimpl
        def siapkerja_adaptors(self):
            return []

    with pytest.raises(ConfigurationError) as info:
        host(Misspelt())
    assert info.value.code == "plugin"
    assert "siapkerja_adaptors" in str(info.value)


def test_register_later_also_checks_pending() -> None:
    plugins = host()

    class Misspelt:
        @hookimpl
        def siapkerja_evnet(self, event):
            pass

    with pytest.raises(ConfigurationError, match="siapkerja_evnet"):
        plugins.register(Misspelt())


def test_an_argument_the_spec_lacks_is_refused() -> None:
    class WrongArgs:
        @hookimpl
        def siapkerja_event(self, evnt):
            pass

    with pytest.raises(ConfigurationError) as info:
        host(WrongArgs())
    assert info.value.code == "plugin"


def test_a_wrapper_on_a_broadcast_hook_is_refused() -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def siapkerja_event(self, event):
            return (yield)

    with pytest.raises(ConfigurationError, match="wrapper"):
        host(Wrapper())


def test_registering_the_same_plugin_twice_is_refused() -> None:
    acme = AcmePlugin()
    plugins = host(acme)
    with pytest.raises(ConfigurationError) as info:
        plugins.register(acme, name="again")
    assert info.value.code == "plugin"


@pytest.mark.parametrize(
    ("kind", "name", "factory", "error"),
    [
        ("fax", "acme", lambda s: None, ValueError),
        ("SMS", "acme", lambda s: None, ValueError),
        ("sms", "Acme", lambda s: None, ValueError),
        ("sms", "1acme", lambda s: None, ValueError),
        ("sms", "ac-me", lambda s: None, ValueError),
        ("sms", "", lambda s: None, ValueError),
        ("sms", "acme", "not callable", TypeError),
    ],
)
def test_registration_validators(kind, name, factory, error) -> None:
    with pytest.raises(error):
        AdapterRegistration(kind=kind, name=name, factory=factory)


def test_registration_accepts_lowercase_identifiers() -> None:
    reg = AdapterRegistration(kind="ratelimit", name="redis_2", factory=dict)
    assert (reg.kind, reg.name, reg.description) == ("ratelimit", "redis_2", "")


# --- configure ----------------------------------------------------------------------------


def test_configure_runs_once_before_factories_and_can_stop_connect() -> None:
    order: list[str] = []

    class Watcher:
        @hookimpl
        def siapkerja_configure(self, settings):
            order.append(f"configure:{settings.sms}")

        @hookimpl
        def siapkerja_adapters(self):
            yield AdapterRegistration(
                kind="sms",
                name="watched",
                factory=lambda s: order.append("build") or MemorySender(),
            )

    connect(environ={}, load_entrypoints=False, plugins=[Watcher()], sms="watched")
    assert order == ["configure:watched", "build"]

    class Refuser:
        @hookimpl
        def siapkerja_configure(self, settings):
            raise ConfigurationError("invalid", name="acme_key", reason="missing")

    with pytest.raises(ConfigurationError, match="acme_key"):
        connect(environ={}, load_entrypoints=False, plugins=[Refuser()])


def test_builtin_configure_checks_the_console_stream() -> None:
    with pytest.raises(ConfigurationError) as info:
        connect(environ={}, load_entrypoints=False, sms_console_stream="printer")
    assert info.value.params["name"] == "sms_console_stream"
    # Irrelevant when the console adapter is not chosen.
    connect("memory", environ={}, load_entrypoints=False, sms_console_stream="printer")


# --- events -------------------------------------------------------------------------------


def test_a_raising_event_impl_does_not_break_emit(caplog) -> None:
    before, after = Recorder(), Recorder()
    # pluggy calls the last registered first, so Exploding runs between the two.
    plugins = host(before, Exploding(), after)
    event = AdapterBuilt(kind="sms", adapter="memory", occurred_at=WHEN)
    with caplog.at_level(logging.ERROR, logger="siapkerja.plugins"):
        plugins.emit(event)
    assert before.events == [event]
    assert after.events == [event]
    assert "test_plugins.Recorder#2" in plugins.plugin_names()
    [record] = caplog.records
    assert record.name == "siapkerja.plugins"
    assert "Exploding" in record.getMessage()
    assert record.exc_info is not None


def test_an_event_impl_may_take_no_arguments() -> None:
    seen: list[int] = []

    class Bare:
        @hookimpl
        def siapkerja_event(self):
            seen.append(1)

    host(Bare()).emit(AdapterBuilt(kind="sms", adapter="memory", occurred_at=WHEN))
    assert seen == [1]


def test_connect_emits_adapter_built_for_each_built_adapter() -> None:
    recorder = Recorder()
    svc = connect("memory", environ={}, load_entrypoints=False, plugins=[recorder])
    assert [(e.name, e.kind, e.adapter) for e in recorder.events] == [
        ("adapter.built", "storage", "memory"),
        ("adapter.built", "sms", "memory"),
        ("adapter.built", "dukcapil", "offline"),
        ("adapter.built", "ratelimit", "memory"),
        ("adapter.built", "email", "memory"),
    ]
    occurred = recorder.events[0].occurred_at
    assert occurred.tzinfo is UTC
    assert abs(occurred - svc.now()) < timedelta(minutes=1)


def test_events_are_utc_and_refuse_naive_times() -> None:
    jakarta = timezone(timedelta(hours=7))
    event = AdapterBuilt(
        kind="sms", adapter="x", occurred_at=datetime(2025, 1, 1, 7, tzinfo=jakarta)
    )
    assert event.occurred_at == datetime(2025, 1, 1, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError):
        AdapterBuilt(kind="sms", adapter="x", occurred_at=datetime(2025, 1, 1))
    with pytest.raises(TypeError):
        AdapterBuilt("sms", "x", WHEN)  # kw_only


def test_event_names_lists_subclasses() -> None:
    @attrs.frozen(kw_only=True)
    class CardIssued(DomainEvent):
        name = "card.issued_test"
        card_id: str

    assert "adapter.built" in event_names()
    assert "card.issued_test" in event_names()
    assert event_names() == sorted(set(event_names()))


# --- facade ---------------------------------------------------------------------------


def test_facade_sms_missing_is_a_clear_configuration_error() -> None:
    settings = resolve_settings("memory")
    svc = Siapkerja(settings=settings, plugins=host(), adapters={})
    with pytest.raises(ConfigurationError) as info:
        _ = svc.sms
    assert info.value.code == "adapter_missing"
    assert info.value.params == {"kind": "sms", "name": "memory", "known": "console, http, memory"}


def test_facade_refuses_an_adapter_that_does_not_fit_its_port() -> None:
    with pytest.raises(ConfigurationError) as info:
        Siapkerja(settings=resolve_settings(), plugins=host(), adapters={"sms": object()})
    assert info.value.code == "adapter_type"
    with pytest.raises(UnknownAdapter):
        Siapkerja(settings=resolve_settings(), plugins=host(), adapters={"fax": object()})


def test_facade_clock_repr_and_emit() -> None:
    recorder = Recorder()
    sender = MemorySender()
    svc = Siapkerja(
        settings=resolve_settings("memory"),
        plugins=host(recorder),
        adapters={"sms": sender},
        clock=lambda: WHEN,
    )
    assert svc.sms is sender
    assert svc.now() == WHEN
    assert repr(svc) == "Siapkerja(sms='memory')"
    svc.emit(AdapterBuilt(kind="sms", adapter="memory", occurred_at=svc.now()))
    assert len(recorder.events) == 1
    naive = Siapkerja(
        settings=resolve_settings("memory"), plugins=host(), adapters={}, clock=datetime.now
    )
    with pytest.raises(ConfigurationError):
        naive.now()


# --- entry points ---------------------------------------------------------------------


class FakeDistribution:
    """Just what pluggy's loader reads from an importlib.metadata distribution."""

    def __init__(self, *entry_points: importlib.metadata.EntryPoint) -> None:
        self.entry_points = list(entry_points)


def _plugin_module(name: str, adapter: str) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def siapkerja_adapters():
        yield AdapterRegistration(kind="sms", name=adapter, factory=lambda s: MemorySender())

    module.siapkerja_adapters = siapkerja_adapters  # type: ignore[attr-defined]
    return module


@pytest.fixture
def installed(monkeypatch):
    """Pretend two third-party plug-ins and siapkerja itself are installed."""
    for module_name, adapter in (("fake_alpha", "alpha"), ("fake_beta", "beta")):
        monkeypatch.setitem(sys.modules, module_name, _plugin_module(module_name, adapter))
    group = "siapkerja"
    dist = FakeDistribution(
        importlib.metadata.EntryPoint("alpha", "fake_alpha", group),
        importlib.metadata.EntryPoint("beta", "fake_beta", group),
        importlib.metadata.EntryPoint("builtin", "siapkerja_adapters.builtin", group),
        importlib.metadata.EntryPoint("other", "fake_alpha", "not_siapkerja"),
    )
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [dist])


@pytest.mark.usefixtures("installed")
def test_entry_points_load_and_the_builtin_is_not_loaded_twice() -> None:
    plugins = PluginHost.create(plugins=[builtin])
    assert plugins.plugin_names() == ["alpha", "beta", "builtin"]
    assert plugins.known("sms") == ["alpha", "beta", "console", "http", "memory"]
    assert plugins.provider("sms", "alpha") == "alpha"


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"only": ["beta"]}, ["beta", "builtin"]),
        ({"only": []}, ["builtin"]),
        ({"blocked": ["alpha"]}, ["beta", "builtin"]),
        ({"only": ["alpha", "beta"], "blocked": ["beta"]}, ["alpha", "builtin"]),
        ({"blocked": ["builtin"]}, ["alpha", "beta"]),
        ({"load_entrypoints": False}, ["builtin"]),
    ],
)
def test_only_and_blocked(kwargs, expected) -> None:
    plugins = PluginHost.create(plugins=[builtin], **kwargs)
    assert plugins.plugin_names() == expected


@pytest.mark.usefixtures("installed")
def test_only_warns_about_a_name_that_is_not_installed(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="siapkerja.plugins"):
        PluginHost.create(plugins=[builtin], only=["gamma", "builtin"])
    assert [r.getMessage() for r in caplog.records] == [
        "SIAPKERJA_PLUGINS names plug-in 'gamma' but no such entry point is installed"
    ]


@pytest.mark.usefixtures("installed")
def test_connect_reads_siapkerja_plugins_from_the_environment() -> None:
    svc = connect(environ={"SIAPKERJA_PLUGINS": "beta"}, sms="beta")
    assert svc.plugins.plugin_names() == ["beta", "builtin"]
    with pytest.raises(UnknownAdapter, match="beta, console, http, memory"):
        connect(environ={"SIAPKERJA_PLUGINS": " beta , "}, sms="alpha")
    assert connect(environ={"SIAPKERJA_PLUGINS": ""}).plugins.plugin_names() == ["builtin"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"SIAPKERJA_PLUGINS": ""}, []),
        ({"SIAPKERJA_PLUGINS": "a"}, ["a"]),
        ({"SIAPKERJA_PLUGINS": " a, b ,,"}, ["a", "b"]),
    ],
)
def test_plugin_filter(environ, expected) -> None:
    assert plugin_filter(environ) == expected
