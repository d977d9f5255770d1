"""Service fixtures of the integration tests: the PostgreSQL server and throw-away schemas.

PostgreSQL is found at ``$SIAPKERJA_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Without it the tests
that need it are skipped with the reason; with ``SIAPKERJA_REQUIRE_SERVICES=1``
(``.ci/run``) they fail instead, so CI cannot pass by skipping them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a reachable PostgreSQL (skips, or fails in CI, when there is none)."""
    from siapkerja_adapters.sql import testing

    url = testing.postgres_test_url()
    reason = testing.postgres_unavailable(url)
    if reason is not None:
        if testing.services_required():
            pytest.fail(f"{reason} (required: SIAPKERJA_REQUIRE_SERVICES=1)")
        pytest.skip(f"{reason}; set SIAPKERJA_TEST_POSTGRES_URL or start PostgreSQL")
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema of the test database, dropped with its tables afterwards."""
    from siapkerja_adapters.sql import testing

    with testing.temporary_schema(postgres_url) as name:
        yield name
