"""Key rotation and retirement reach every running service sharing the storage.

The regression behind these tests: each service cached its keyring for the
life of its process, so after ``siapkerja keys retire`` in another process a
running web worker went on accepting tokens signed by the retired key until it
restarted. Here two services, each with its own engine and cache, share one
SQLite file or one PostgreSQL schema, as two worker processes would; a third
test retires the key with the real CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_sql_storage import (  # type: ignore[import-not-found]
    SECRET_KEY,
    STORAGE_KEY,
    close,
    complete_profile,
    connect_sql,
    register,
)

from siapkerja_core.service import Siapkerja
from siapkerja_core.tokens import TokenError
from support.gates import check_in, open_events


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Siapkerja, Siapkerja]]:
    """Two services on one database, each with its own connections and keyring cache."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}", None
    else:
        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("postgres_schema")
    first = connect_sql(url, schema)
    second = connect_sql(url, schema)
    try:
        yield first, second
    finally:
        close(first)
        close(second)


def _holder_with_card(svc: Siapkerja) -> Any:
    account = register(svc)
    complete_profile(svc, account.id)
    svc.issue_card(account.id)
    return account


EVENT = "JOBFAIR-2026"


def _access_code(svc: Siapkerja) -> tuple[Any, str]:
    """A holder with a card, the job fair open, and the holder's access code for it."""
    account = _holder_with_card(svc)
    open_events(svc, EVENT)
    return account, svc.card_qr(account.id, mode="access", purpose=EVENT).token


def _kid(token: str) -> str:
    return token[2:6]  # "L-KKKK-…" and "A-KKKK-…": the key id follows the mode


def test_a_retired_link_key_is_refused_by_the_other_service_at_once(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    first, second = pair
    account = _holder_with_card(first)
    token = first.card_qr(account.id).token
    assert first.resolve(token).siapkerja_id  # cached: the first service now holds the keyring
    assert second.resolve(token).siapkerja_id

    second.retire_key(_kid(token))

    with pytest.raises(TokenError) as refused:
        first.resolve(token)  # the very next request, no restart
    assert refused.value.code == "forged"
    fresh = first.card_qr(account.id).token  # signed with the key the retirement added
    assert _kid(fresh) != _kid(token)
    assert first.resolve(fresh).siapkerja_id
    assert second.resolve(fresh).siapkerja_id


def test_retiring_the_link_key_leaves_the_stations_keys_as_they_were(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    # An outside tester's finding: `keys retire LINK` replaced the access signing key
    # too, so offline stations refused every new access code until they reloaded.
    first, second = pair
    stations = first.station_keyring().public_jwks()
    account, code = _access_code(first)
    event = EVENT

    second.retire_key(_kid(first.card_qr(account.id).token))

    assert first.station_keyring().public_jwks() == stations
    fresh = first.card_qr(account.id, mode="access", purpose=event).token
    assert _kid(fresh) == _kid(code)  # still signed by the same access key
    assert check_in(first, code, event).card_status == "active"


def test_a_rotation_signs_new_tokens_with_the_new_key_everywhere(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    first, second = pair
    account = _holder_with_card(first)
    old = first.card_qr(account.id).token
    assert second.resolve(old).siapkerja_id

    ring = second.rotate_keys()
    new_link = ring.signing_link_key
    new_access = ring.signing_access_key
    assert new_link is not None
    assert new_access is not None

    minted = first.card_qr(account.id).token
    assert _kid(minted) == new_link.kid
    open_events(first, "JOBFAIR-2026")
    code = first.card_qr(account.id, mode="access", purpose="JOBFAIR-2026").token
    assert _kid(code) == new_access.kid
    assert first.card(account.id).qr_text.endswith(minted)
    # Old tokens keep verifying until their key is retired, in both services.
    assert first.resolve(old).siapkerja_id
    assert second.resolve(minted).siapkerja_id


def test_a_token_signed_by_a_key_rotated_in_elsewhere_is_accepted(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    first, second = pair
    account = _holder_with_card(first)
    first.resolve(first.card_qr(account.id).token)  # the first service caches the old keyring

    second.rotate_keys()
    minted_elsewhere = second.card_qr(account.id).token

    assert first.resolve(minted_elsewhere).siapkerja_id  # not "forged": it looks again


def test_a_retired_access_key_is_refused_at_the_check_in_of_the_other_service(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    first, second = pair
    account, code = _access_code(first)
    event = EVENT
    assert first.station_keyring().signing_access_key is None  # public half only

    second.retire_key(_kid(code))

    with pytest.raises(TokenError) as refused:
        check_in(first, code, event)
    assert refused.value.code == "forged"
    assert _kid(code) not in {k.kid for k in first.station_keyring().access_keys if not k.retired}
    fresh = first.card_qr(account.id, mode="access", purpose=event).token
    assert check_in(first, fresh, event).card_status == "active"


def test_keys_retire_from_the_cli_reaches_a_running_service(tmp_path: Path) -> None:
    """The documented answer to a leaked key, run as an operator would: another process."""
    url = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}"
    svc = connect_sql(url)
    try:
        account = _holder_with_card(svc)
        token = svc.card_qr(account.id).token
        assert svc.resolve(token).siapkerja_id

        environ = {
            **os.environ,
            "SIAPKERJA_STORAGE": "sql",
            "SIAPKERJA_DATABASE_URL": url,
            "SIAPKERJA_SECRET_KEY": SECRET_KEY,
            "SIAPKERJA_STORAGE_KEY": STORAGE_KEY,
            "SIAPKERJA_SMS": "memory",
            "SIAPKERJA_DUKCAPIL": "offline",
        }
        command = [sys.executable, "-m", "siapkerja_adapters.cli", "keys"]
        retired = subprocess.run(
            [*command, "retire", _kid(token), "--json"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert retired.returncode == 0, retired.stderr
        listed = subprocess.run(
            [*command, "list", "--json"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        states = {row["kid"]: row["state"] for row in json.loads(listed.stdout)}
        assert states[_kid(token)] == "retired"

        with pytest.raises(TokenError) as refused:
            svc.resolve(token)
        assert refused.value.code == "forged"
    finally:
        close(svc)


def test_a_keyring_stored_before_stamps_gets_one_on_first_read(tmp_path: Path) -> None:
    """Databases migrated from 0.1 hold a keyring without a stamp: it is written once."""
    import sqlalchemy as sa

    from siapkerja_adapters.sql import SqlStorage
    from siapkerja_adapters.sql import schema as sk

    url = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}"
    svc = connect_sql(url)
    try:
        account = _holder_with_card(svc)
        token = svc.card_qr(account.id).token
        storage = svc.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.begin() as conn:
            conn.execute(sa.update(sk.keyring).values(stamp=None))
        other = connect_sql(url)
        try:
            assert other.resolve(token).siapkerja_id
            with storage.engine.connect() as conn:
                stamp = conn.execute(sa.select(sk.keyring.c.stamp)).scalar_one()
            with other.storage.transaction() as tx:
                stored = tx.keyring.get()
            assert stored is not None
            assert stamp == stored.stamp
        finally:
            close(other)
    finally:
        close(svc)


def test_the_stamp_changes_with_every_rotation_and_retirement() -> None:
    from siapkerja_core.tokens import Keyring

    now = datetime.fromisoformat("2026-12-06T00:00:00+00:00")
    counter = iter(range(1, 10_000))

    def token_bytes(n: int) -> bytes:
        return next(counter).to_bytes(n, "big")

    ring = Keyring.generate(token_bytes, now)
    rotated = ring.rotate(token_bytes, now)
    kid = ring.signing_link_key.kid if ring.signing_link_key else ""
    retired = rotated.retire(kid, now)
    stamps = {ring.stamp, rotated.stamp, retired.stamp}
    assert len(stamps) == 3
    assert Keyring.from_dict(retired.to_dict()).stamp == retired.stamp
    assert retired.public().stamp != retired.stamp  # the public half has no link keys


def test_the_card_pages_read_signs_with_a_key_changed_elsewhere(
    pair: tuple[Siapkerja, Siapkerja],
) -> None:
    """``card_overview`` reads in a read-only unit of work: a keyring changed by another
    service is loaded again before the link is signed, as ``card_qr`` does."""
    first, second = pair
    account = _holder_with_card(first)
    old = first.card_overview(account.id).link.token  # the first service caches the keyring

    ring = second.rotate_keys()
    assert ring.signing_link_key is not None
    rotated = first.card_overview(account.id)
    assert _kid(rotated.link.token) == ring.signing_link_key.kid
    assert rotated.card.qr_text.endswith(rotated.link.token)
    assert rotated.link == first.card_qr(account.id)

    second.retire_key(_kid(rotated.link.token))
    fresh = first.card_overview(account.id)
    assert _kid(fresh.link.token) not in {_kid(old), _kid(rotated.link.token)}
    assert second.resolve(fresh.link.token).siapkerja_id == fresh.card.siapkerja_id


@pytest.mark.parametrize("read", ["card_qr", "card", "card_overview"])
def test_a_keyring_stored_before_stamps_is_stamped_by_the_card_pages_reads(
    tmp_path: Path, read: str
) -> None:
    """The card's reads are read-only units: a keyring that must be written first (no stamp
    yet, as migrated from 0.1) is loaded in a unit that may write, not refused."""
    import sqlalchemy as sa

    from siapkerja_adapters.sql import SqlStorage
    from siapkerja_adapters.sql import schema as sk

    url = f"sqlite:///{tmp_path / 'siapkerja.sqlite3'}"
    svc = connect_sql(url)
    try:
        account = _holder_with_card(svc)
        token = svc.card_qr(account.id).token
        storage = svc.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.begin() as conn:
            conn.execute(sa.update(sk.keyring).values(stamp=None))
        other = connect_sql(url)  # a service that has not read the keyring yet
        try:
            answer = getattr(other, read)(account.id)
            link = answer.qr_text if read == "card" else getattr(answer, "link", answer).url
            assert link.endswith(token)
            with storage.engine.connect() as conn:
                assert conn.execute(sa.select(sk.keyring.c.stamp)).scalar_one() is not None
        finally:
            close(other)
    finally:
        close(svc)
