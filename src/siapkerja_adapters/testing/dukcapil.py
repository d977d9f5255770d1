"""The population-registry contract (the ``dukcapil`` port), for any adapter.

Subclass :class:`PopulationRegistryContract` and give it a ``harness``
fixture: a :class:`RegistryHarness` holding the registry under test — which
must know (at least) :data:`CONTRACT_RESIDENTS` — and a way to make its next
call fail. A real client (``dukcapil_http``, a provincial gateway) runs
against a stand-in service on 127.0.0.1 seeded with these residents; its
``make_unavailable`` makes that service answer errors.

The checks are those of :class:`~siapkerja_core.ports.PopulationRegistry`:
exact names score 100; titles, case and spacing are noise; a wrong name fails
that field only; the threshold decides ``matched``; an unknown NIK is
``not_found``, an inactive resident ``inactive``; an outage raises
``dukcapil.unavailable``; and no stored name ever leaves the registry.

Names in requests are normalised first, as the core does before it calls a
registry (``VerificationRequest`` documents that names arrive normalised).
The residents are fictional rows of the bundled set (``data/residents.csv``),
so the ``offline`` adapter's bundled data holds them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import ClassVar, Final

import attrs
import pytest

from siapkerja_adapters.residents import Resident
from siapkerja_adapters.testing.contract import AdapterContract
from siapkerja_core.names import normalize_name
from siapkerja_core.ports import (
    FieldMatch,
    PopulationRegistry,
    RegistryUnavailable,
    VerificationRequest,
    VerificationResult,
)

__all__ = [
    "CONTRACT_RESIDENTS",
    "FAUZI",
    "GALIH",
    "RIZKI",
    "SUTARMI",
    "UNKNOWN_NIK",
    "PopulationRegistryContract",
    "RegistryHarness",
]

GALIH: Final = Resident(
    nik="3173071203940042",
    full_name="Galih Agan Pambayun",
    mother_name="Sri Wahyuni",
    birth_place="Jakarta",
    birth_date=date(1994, 3, 12),
    sex="L",
)
FAUZI: Final = Resident(
    nik="3273010411680317",
    full_name="H. Ahmad Fauzi",
    mother_name="Hj. Siti Maryam",
    birth_place="Bandung",
    birth_date=date(1968, 11, 4),
    sex="L",
)
RIZKI: Final = Resident(
    nik="3507010801992301",
    full_name="M. Rizki Ramadhan",
    mother_name="Siti Aminah",
    birth_place="Malang",
    birth_date=date(1999, 1, 8),
    sex="L",
)
SUTARMI: Final = Resident(  # inactive: Dukcapil's response code 14
    nik="3310017112500006",
    full_name="Sutarmi",
    mother_name="Painem",
    birth_place="Klaten",
    birth_date=date(1950, 12, 31),
    sex="P",
    active=False,
)
UNKNOWN_NIK: Final = "3173071203940043"
"""A valid NIK that no registry of the contract holds."""

CONTRACT_RESIDENTS: Final = (GALIH, FAUZI, RIZKI, SUTARMI)
"""The residents the registry under test must know (three active, one inactive)."""


def _nothing() -> None:
    return None


@attrs.frozen
class RegistryHarness:
    """The registry under test and how to make it fail.

    :param registry: the adapter, holding at least :data:`CONTRACT_RESIDENTS`.
    :param make_unavailable: makes the next ``verify`` fail as an outage does
        (for a client: the service answers 503 to every attempt and retry).
    :param close: releases the registry and its stand-in service.
    """

    registry: PopulationRegistry
    make_unavailable: Callable[[], None]
    close: Callable[[], None] = _nothing


def ask(
    registry: PopulationRegistry,
    nik: str,
    full_name: str,
    mother_name: str,
    threshold: int = 90,
) -> VerificationResult:
    """Verify with normalised names, as the core asks, and check the result's type."""
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


def _strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings_in(item)


def assert_reveals_nothing(result: VerificationResult, resident: Resident) -> None:
    """No stored name of ``resident`` (as stored or normalised) shows in ``result``."""
    secrets = set()
    for name in (resident.full_name, resident.mother_name):
        secrets |= {name.casefold(), normalize_name(name).casefold()}
    for text in _strings_in(attrs.asdict(result)):
        assert text.casefold() not in secrets
    shown = repr(result).casefold()
    assert not any(secret in shown for secret in secrets)


class PopulationRegistryContract(AdapterContract):
    """The contract of the ``dukcapil`` port; provide the ``harness`` fixture.

    ``harness`` returns (or yields, closing it afterwards) a
    :class:`RegistryHarness`; the ``residents`` fixture gives the residents it
    must hold.
    """

    kind: ClassVar[str] = "dukcapil"
    port: ClassVar[type] = PopulationRegistry

    @pytest.fixture
    def residents(self) -> tuple[Resident, ...]:
        """The residents the registry under test must know."""
        return CONTRACT_RESIDENTS

    @pytest.fixture
    def registry(self, harness: RegistryHarness) -> PopulationRegistry:
        return harness.registry

    @pytest.fixture
    def adapter_under_test(self, registry: PopulationRegistry) -> PopulationRegistry:
        return registry

    # --- found ---

    @pytest.mark.parametrize("resident", [GALIH, FAUZI, RIZKI], ids=lambda r: r.full_name)
    def test_exact_names_match_with_score_100(
        self, registry: PopulationRegistry, resident: Resident
    ) -> None:
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
            (FAUZI, "Ahmad Fauzi", "Siti Maryam"),  # the record carries H./Hj., the person not
            (FAUZI, "AHMAD FAUZI, S.E.", "hj siti maryam"),
            (RIZKI, "Muhammad Rizki Ramadhan", "Siti Aminah"),  # M. / Muhammad
            (RIZKI, "Moh. Rizki Ramadhan", "siti aminah"),
        ],
    )
    def test_title_case_and_spacing_noise_still_match(
        self, registry: PopulationRegistry, resident: Resident, full_name: str, mother_name: str
    ) -> None:
        result = ask(registry, resident.nik, full_name, mother_name)
        assert result.status == "found"
        assert result.full_name.matched
        assert result.mother_name.matched
        assert result.full_name.score == 100
        assert result.mother_name.score == 100

    def test_a_wrong_mother_name_fails_that_field_only_and_reveals_nothing(
        self, registry: PopulationRegistry
    ) -> None:
        result = ask(registry, GALIH.nik, GALIH.full_name, "Siti Aminah")
        assert result.status == "found"
        assert result.nik.matched
        assert result.full_name.matched
        assert not result.mother_name.matched
        assert result.mother_name.score is not None
        assert result.mother_name.score < 90
        assert_reveals_nothing(result, GALIH)

    def test_a_wrong_full_name_fails_that_field_only_and_reveals_nothing(
        self, registry: PopulationRegistry
    ) -> None:
        result = ask(registry, FAUZI.nik, "Budi Santoso", FAUZI.mother_name)
        assert result.status == "found"
        assert not result.full_name.matched
        assert result.mother_name.matched
        assert_reveals_nothing(result, FAUZI)

    def test_every_result_reveals_no_stored_name(self, registry: PopulationRegistry) -> None:
        for resident in CONTRACT_RESIDENTS:
            for full_name, mother_name in (("Xyz", "Abc"), ("Galih", "Sri")):
                result = ask(registry, resident.nik, full_name, mother_name)
                assert_reveals_nothing(result, resident)

    # --- threshold ---

    def test_the_threshold_is_respected(self, registry: PopulationRegistry) -> None:
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
        exact = ask(registry, GALIH.nik, GALIH.full_name, GALIH.mother_name, 100)
        assert exact.full_name.matched

    @pytest.mark.parametrize("threshold", [1, 50, 80, 85, 95, 100])
    def test_matched_means_score_reaches_the_threshold(
        self, registry: PopulationRegistry, threshold: int
    ) -> None:
        for given in ("Galih Agan Pambayun", "Galih Pambayun", "Galih", "Agan Galih", "Budi"):
            result = ask(registry, GALIH.nik, given, "Sri Wahyu", threshold)
            for field in (result.full_name, result.mother_name):
                assert field.score is not None
                assert 0 <= field.score <= 100
                assert field.matched == (field.score >= threshold)

    # --- not found, inactive, unavailable ---

    def test_an_unknown_nik_is_not_found_with_every_field_unmatched(
        self, registry: PopulationRegistry
    ) -> None:
        result = ask(registry, UNKNOWN_NIK, GALIH.full_name, GALIH.mother_name)
        assert result.status == "not_found"
        assert not result.nik.matched
        assert not result.full_name.matched
        assert not result.mother_name.matched

    def test_an_inactive_resident_is_inactive_and_names_are_not_confirmed(
        self, registry: PopulationRegistry
    ) -> None:
        result = ask(registry, SUTARMI.nik, SUTARMI.full_name, SUTARMI.mother_name)
        assert result.status == "inactive"
        assert not result.full_name.matched
        assert not result.mother_name.matched
        assert_reveals_nothing(result, SUTARMI)

    def test_an_unavailable_registry_raises_registry_unavailable(
        self, harness: RegistryHarness
    ) -> None:
        harness.make_unavailable()
        with pytest.raises(RegistryUnavailable) as caught:
            ask(harness.registry, GALIH.nik, GALIH.full_name, GALIH.mother_name)
        assert caught.value.full_code == "dukcapil.unavailable"
        assert GALIH.mother_name not in str(caught.value)

    def test_quota_remaining_is_none_or_a_non_negative_count(
        self, registry: PopulationRegistry
    ) -> None:
        first = ask(registry, GALIH.nik, GALIH.full_name, GALIH.mother_name).quota_remaining
        second = ask(registry, UNKNOWN_NIK, GALIH.full_name, GALIH.mother_name).quota_remaining
        if first is None:
            assert second is None
        else:
            assert second is not None
            assert 0 <= second <= first
