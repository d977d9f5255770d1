"""The population-registry (Dukcapil) contract, run on every ``dukcapil`` adapter.

Each adapter joins through a *harness* in :data:`HARNESSES`: a callable that
receives the residents the suite needs and returns a :class:`Harness` — the
registry holding (at least) those residents, and a way to make its next call
fail. The HTTP adapter will add one that starts a Dukcapil-style server on
127.0.0.1 seeded with the same residents and stops or breaks it on demand.

Names in requests are normalised first, as the core does before it calls a
registry (``VerificationRequest`` documents that names arrive normalised).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs
import pytest

from siapkerja_adapters import builtin
from siapkerja_adapters.dukcapil_offline import (
    OfflineRegistry,
    Resident,
    offline_registry_from_settings,
)
from siapkerja_core.names import normalize_name
from siapkerja_core.plugins import PluginHost
from siapkerja_core.ports import (
    FieldMatch,
    PopulationRegistry,
    RegistryUnavailable,
    VerificationRequest,
    VerificationResult,
)
from siapkerja_core.settings import resolve_settings
from support.people import FAUZI, GALIH, RIZKI, SUTARMI, UNKNOWN_NIK

# The fixed people of the bundled set (scripts/make_residents.py), so that a
# harness may also rely on the bundled data instead of adding them.
RESIDENTS = (GALIH, FAUZI, RIZKI, SUTARMI)


@attrs.frozen
class Harness:
    registry: PopulationRegistry
    make_unavailable: Callable[[], None]
    close: Callable[[], None] = lambda: None


def offline_harness(residents: tuple[Resident, ...]) -> Harness:
    registry = OfflineRegistry(residents, include_bundled=False)
    return Harness(registry, registry.fail_next)


def offline_bundled_harness(residents: tuple[Resident, ...]) -> Harness:
    # The adapter as connect() builds it: the settings factory and the bundled data only.
    registry = offline_registry_from_settings(resolve_settings("memory"))
    for resident in residents:
        assert registry.get(resident.nik) == resident, "the bundled set lost a fixed person"
    return Harness(registry, registry.fail_next)


def http_harness(residents: tuple[Resident, ...]) -> Harness:
    # The http adapter, built by its settings factory, against a Dukcapil-style
    # server on 127.0.0.1 (tests/support/fake_servers.py) holding the residents.
    pytest.importorskip("httpx", reason="the http adapter needs siapkerja[http]")
    from siapkerja_adapters.dukcapil_http import http_registry_from_settings
    from support.fake_servers import FakeDukcapil

    server = FakeDukcapil(residents).start()
    settings = resolve_settings(
        "memory",
        kwargs={
            "dukcapil_url": server.url,
            "dukcapil_customer_id": server.CUSTOMER_ID,
            "dukcapil_user_id": server.USER_ID,
            "dukcapil_password": server.PASSWORD,
            "dukcapil_ip_user": server.IP_USER,
            "dukcapil_timeout": 1,
            "dukcapil_retries": 1,
            "dukcapil_backoff": 0,
        },
    )
    registry = http_registry_from_settings(settings)

    def close() -> None:
        registry.close()
        server.stop()

    # Two 503s: the first attempt and its one retry.
    return Harness(registry, lambda: server.fail_next(2), close)


HARNESSES = [
    pytest.param(offline_harness, id="offline"),
    pytest.param(offline_bundled_harness, id="offline-bundled"),
    pytest.param(http_harness, id="http"),
]


def test_every_registered_dukcapil_adapter_has_a_harness() -> None:
    registered = {
        r.name
        for r in PluginHost.create(load_entrypoints=False, plugins=[builtin]).registrations(
            "dukcapil"
        )
    }
    covered = {param.id.split("-")[0] for param in HARNESSES}
    assert registered <= covered


@pytest.fixture(params=HARNESSES)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    made: Harness = request.param(RESIDENTS)
    try:
        assert isinstance(made.registry, PopulationRegistry)
        yield made
    finally:
        made.close()


@pytest.fixture
def registry(harness: Harness) -> PopulationRegistry:
    return harness.registry


def ask(
    registry: PopulationRegistry,
    nik: str,
    full_name: str,
    mother_name: str,
    threshold: int = 90,
) -> VerificationResult:
    result = registry.verify(
        VerificationRequest(
            nik=nik,
            full_name=normalize_name(full_name),
            mother_name=normalize_name(mother_name),
            threshold=threshold,
        )
    )
    assert isinstance(result, VerificationResult)
    return result


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from strings_in(item)


def assert_reveals_nothing(result: VerificationResult, resident: Resident) -> None:
    secrets = set()
    for name in (resident.full_name, resident.mother_name):
        secrets |= {name.casefold(), normalize_name(name).casefold()}
    for text in strings_in(attrs.asdict(result)):
        assert text.casefold() not in secrets
    shown = repr(result).casefold()
    assert not any(secret in shown for secret in secrets)


# --- found -------------------------------------------------------------------------------------


@pytest.mark.parametrize("resident", [GALIH, FAUZI, RIZKI], ids=lambda r: r.full_name)
def test_exact_names_match_with_score_100(registry, resident) -> None:
    result = ask(registry, resident.nik, resident.full_name, resident.mother_name)
    assert result.status == "found"
    assert result.nik.matched
    assert result.full_name == FieldMatch(True, 100)
    assert result.mother_name == FieldMatch(True, 100)


@pytest.mark.parametrize(
    ("resident", "full_name", "mother_name"),
    [
        (GALIH, "  galih   AGAN pambayun ", "SRI  wahyuni"),
        (GALIH, "H. Galih Agan Pambayun, S.Kom.", "Hj. Sri Wahyuni"),
        (GALIH, "Galih-Agan Pambayun.", "sri wahyuni"),
        (FAUZI, "Ahmad Fauzi", "Siti Maryam"),  # the record carries H./Hj., the person does not
        (FAUZI, "AHMAD FAUZI, S.E.", "hj siti maryam"),
        (RIZKI, "Muhammad Rizki Ramadhan", "Siti Aminah"),  # M. / Muhammad
        (RIZKI, "Moh. Rizki Ramadhan", "siti aminah"),
    ],
)
def test_title_case_and_spacing_noise_still_match(
    registry, resident, full_name, mother_name
) -> None:
    result = ask(registry, resident.nik, full_name, mother_name)
    assert result.status == "found"
    assert result.full_name.matched
    assert result.mother_name.matched
    assert result.full_name.score == 100
    assert result.mother_name.score == 100


def test_a_wrong_mother_name_fails_that_field_only_and_reveals_nothing(registry) -> None:
    result = ask(registry, GALIH.nik, GALIH.full_name, "Siti Aminah")
    assert result.status == "found"
    assert result.nik.matched
    assert result.full_name.matched
    assert not result.mother_name.matched
    assert result.mother_name.score is not None
    assert result.mother_name.score < 90
    assert_reveals_nothing(result, GALIH)


def test_a_wrong_full_name_fails_that_field_only_and_reveals_nothing(registry) -> None:
    result = ask(registry, FAUZI.nik, "Budi Santoso", FAUZI.mother_name)
    assert result.status == "found"
    assert not result.full_name.matched
    assert result.mother_name.matched
    assert_reveals_nothing(result, FAUZI)


def test_every_result_reveals_no_stored_name(registry) -> None:
    for resident in RESIDENTS:
        for full_name, mother_name in (("Xyz", "Abc"), ("Galih", "Sri")):
            assert_reveals_nothing(ask(registry, resident.nik, full_name, mother_name), resident)


# --- threshold ------------------------------------------------------------------------------------


def test_the_threshold_is_respected(registry) -> None:
    near_miss = "Galih Agan Pambayu"  # one letter short
    lenient = ask(registry, GALIH.nik, near_miss, GALIH.mother_name, threshold=60)
    strict = ask(registry, GALIH.nik, near_miss, GALIH.mother_name, threshold=99)
    assert lenient.full_name.matched
    assert not strict.full_name.matched
    assert lenient.full_name.score == strict.full_name.score
    assert lenient.full_name.score is not None
    assert 60 <= lenient.full_name.score < 99
    # The exact mother's name matches at any threshold, 100 included.
    assert strict.mother_name.matched
    assert ask(registry, GALIH.nik, GALIH.full_name, GALIH.mother_name, 100).full_name.matched


@pytest.mark.parametrize("threshold", [1, 50, 80, 85, 95, 100])
def test_matched_means_score_reaches_the_threshold(registry, threshold) -> None:
    for given in ("Galih Agan Pambayun", "Galih Pambayun", "Galih", "Agan Galih", "Budi"):
        result = ask(registry, GALIH.nik, given, "Sri Wahyu", threshold)
        for field in (result.full_name, result.mother_name):
            assert field.score is not None
            assert 0 <= field.score <= 100
            assert field.matched == (field.score >= threshold)


# --- not found, inactive, unavailable -------------------------------------------------------


def test_an_unknown_nik_is_not_found_with_every_field_unmatched(registry) -> None:
    result = ask(registry, UNKNOWN_NIK, GALIH.full_name, GALIH.mother_name)
    assert result.status == "not_found"
    assert not result.nik.matched
    assert not result.full_name.matched
    assert not result.mother_name.matched


def test_an_inactive_resident_is_inactive_and_names_are_not_confirmed(registry) -> None:
    result = ask(registry, SUTARMI.nik, SUTARMI.full_name, SUTARMI.mother_name)
    assert result.status == "inactive"
    assert not result.full_name.matched
    assert not result.mother_name.matched
    assert_reveals_nothing(result, SUTARMI)


def test_an_unavailable_registry_raises_registry_unavailable(harness) -> None:
    harness.make_unavailable()
    with pytest.raises(RegistryUnavailable) as caught:
        ask(harness.registry, GALIH.nik, GALIH.full_name, GALIH.mother_name)
    assert caught.value.full_code == "dukcapil.unavailable"
    assert GALIH.mother_name not in str(caught.value)


def test_quota_remaining_is_none_or_a_non_negative_count(registry) -> None:
    first = ask(registry, GALIH.nik, GALIH.full_name, GALIH.mother_name).quota_remaining
    second = ask(registry, UNKNOWN_NIK, GALIH.full_name, GALIH.mother_name).quota_remaining
    if first is None:
        assert second is None
    else:
        assert second is not None
        assert 0 <= second <= first
