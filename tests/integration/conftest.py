"""Service fixtures of the integration tests: the PostgreSQL server and throw-away schemas.

Where PostgreSQL is found, and what happens without it (skip, or fail in CI),
is :mod:`support.services`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support import services


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a reachable PostgreSQL (skips, or fails in CI, when there is none)."""
    return services.postgres_url()


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema of the test database, dropped with its tables afterwards."""
    from siapkerja_adapters.sql import testing

    with testing.temporary_schema(postgres_url) as name:
        yield name
