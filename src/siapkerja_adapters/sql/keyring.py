"""The token keyring in the ``sql`` storage: one encrypted row, read under an advisory lock
on PostgreSQL so two processes creating the first keyring queue, with its stamp in
plaintext beside it so running services notice a change with one small read.
"""

from __future__ import annotations

from typing import ClassVar, Final

from sqlalchemy import select, text

from siapkerja_adapters.sql import schema as sk
from siapkerja_adapters.sql.base import _context, _Repository
from siapkerja_core.tokens import Keyring

KEYRING_NAME: Final = "current"
"""The keyring's row (one row: the storage holds one keyring)."""
_KEYRING_LOCK: Final = 0x5349_4150_4B52_4E47  # "SIAPKRNG": advisory lock of the keyring row


class _Keyrings(_Repository):
    __slots__ = ()
    _GET: ClassVar = select(sk.keyring.c.data).where(sk.keyring.c.name == KEYRING_NAME)
    _STAMP: ClassVar = select(sk.keyring.c.stamp).where(sk.keyring.c.name == KEYRING_NAME)
    _LOCK: ClassVar = text("SELECT pg_advisory_xact_lock(:key)")

    def get(self) -> Keyring | None:
        if self._storage.dialect == "postgresql" and not self._tx.read_only:
            # No row to lock before the first keyring: two processes creating it at
            # once must queue, or each would sign with a keyring the other lost. A
            # read-only unit creates nothing: it reads what was committed.
            self._tx.run(self._LOCK, {"key": _KEYRING_LOCK})
        row = self._tx.fetch(self._GET, {}).first()
        if row is None:
            return None
        data = self._storage.cipher.decrypt_json(
            row.data, _context(sk.keyring, "data", KEYRING_NAME)
        )
        return Keyring.from_dict(data)

    def put(self, keyring: Keyring) -> None:
        data = self._storage.cipher.encrypt_json(
            keyring.to_dict(), _context(sk.keyring, "data", KEYRING_NAME)
        )
        self._tx.run(
            self._storage.upserts["keyring"],
            {"name": KEYRING_NAME, "data": data, "stamp": keyring.stamp},
        )

    def stamp(self) -> str | None:
        # The plaintext stamp column: no decryption on the per-request check.
        row = self._tx.fetch(self._STAMP, {}).first()
        stamp: str | None = None if row is None else row[0]
        return stamp
