"""CurrentKeyring: a cached keyring that honours changes made through another cache.

Two caches over one memory storage stand for two worker processes; the
integration tests (``tests/integration/test_key_changes.py``) do the same on
SQLite and PostgreSQL through the facade.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from siapkerja_adapters.memory import MemoryStorage
from siapkerja_core.services.keys import CurrentKeyring

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _pair() -> tuple[MemoryStorage, CurrentKeyring, CurrentKeyring]:
    counter = itertools.count(1)

    def token_bytes(n: int) -> bytes:
        return next(counter).to_bytes(n, "big")

    storage = MemoryStorage()
    return (
        storage,
        CurrentKeyring(storage, lambda: NOW, token_bytes),
        CurrentKeyring(storage, lambda: NOW, token_bytes),
    )


def test_the_first_read_creates_and_stores_one_keyring() -> None:
    storage, first, second = _pair()
    ring = first.cached()
    assert second.cached() == ring  # found, not created again
    with storage.transaction() as tx:
        assert tx.keyring.stamp() == ring.stamp


def test_a_retirement_elsewhere_is_seen_on_the_next_check() -> None:
    storage, first, second = _pair()
    ring = first.cached()
    kid = ring.signing_link_key.kid if ring.signing_link_key else ""
    retired = second.retire(kid)
    assert first.cached() is ring  # the cache alone does not know ...
    assert first.current() == retired  # ... a check against storage does
    assert first.matching(retired.stamp) is first.cached()
    with storage.transaction() as tx:
        assert first.in_transaction(tx) == retired


def test_newer_is_none_while_nothing_changed() -> None:
    _, first, second = _pair()
    first.cached()
    assert first.newer() is None
    rotated = second.rotate()
    assert first.newer() == rotated
    assert first.newer() is None


def test_retiring_an_unknown_key_changes_nothing() -> None:
    storage, first, _ = _pair()
    ring = first.cached()
    with pytest.raises(KeyError):
        first.retire("ZZZZ")
    with storage.transaction() as tx:
        assert tx.keyring.get() == ring


@pytest.mark.parametrize("kind", ["link", "access"])
def test_retiring_a_signing_key_renews_its_kind_only(kind: str) -> None:
    # An outside tester's finding: retiring the link key also replaced the access
    # signing key, so every offline station refused new access codes until it
    # reloaded the public keys (and hubs met a new ES256 kid).
    _, first, _ = _pair()
    ring = first.cached()
    other = "access" if kind == "link" else "link"
    retiring = getattr(ring, f"signing_{kind}_key")
    kept = getattr(ring, f"signing_{other}_key")
    retired = first.retire(retiring.kid)
    renewed = getattr(retired, f"signing_{kind}_key")
    assert renewed is not None
    assert renewed.kid not in (retiring.kid, kept.kid)
    assert getattr(retired, f"signing_{other}_key") == kept  # the other kind: as it was
    assert len(getattr(retired, f"{other}_keys")) == len(getattr(ring, f"{other}_keys"))
    assert [k.kid for k in getattr(retired, f"{kind}_keys") if k.retired] == [retiring.kid]


def test_retiring_a_verifying_key_adds_no_key() -> None:
    _, first, _ = _pair()
    older = first.rotate()
    kid = older.link_keys[0].kid  # verifies, no longer signs
    retired = first.retire(kid)
    assert len(retired.link_keys) == len(older.link_keys)
    assert len(retired.access_keys) == len(older.access_keys)
    assert retired.signing_link_key == older.signing_link_key
    assert retired.signing_access_key == older.signing_access_key
