"""Field encryption and blind indexes for the SQL storage adapter.

This module owns how personal data sits at rest:

* :class:`KeyMaterial` — the AES-256 keys from the ``storage_key`` setting.
  The setting lists one or more keys, ``"kid:base64key"`` separated by commas
  (the key id is optional: without one it is a fingerprint of the key). The
  **first** key encrypts; every listed key decrypts. Rotating means putting a
  new key first, re-encrypting (``siapkerja db reencrypt``), then dropping
  the old key.
* :class:`FieldCipher` — AES-256-GCM from ``cryptography``. A ciphertext is
  ``0x01 | len(kid) | kid | nonce(12) | ciphertext+tag``; the header and a
  *context* (table, column and row id) are authenticated as associated data,
  so a ciphertext copied into another row or column does not decrypt.
* :class:`BlindIndex` — HMAC-SHA-256 with its own 32-byte key, one domain
  per field (``nik``, ``email``, ``phone``): equal values give equal indexes,
  so the database can enforce uniqueness and answer lookups without ever
  holding the value. The index key is random, generated once per database and
  stored there wrapped (encrypted) by the storage key, so rotating the storage
  key never changes an index.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from siapkerja_core.errors import ConfigurationError
from siapkerja_core.ports import StorageError

__all__ = [
    "KEY_BYTES",
    "BlindIndex",
    "FieldCipher",
    "KeyMaterial",
    "StorageKeyError",
    "StorageKeyUnavailable",
    "generate_key_setting",
]

KEY_BYTES: Final = 32
"""AES-256 keys and the blind-index key are 32 random bytes."""

_FORMAT: Final = 1
_NONCE_BYTES: Final = 12
_KID = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
_AAD_PREFIX: Final = b"siapkerja.sql.v1\x00"
_INDEX_PREFIX: Final = b"siapkerja.blind-index.v1\x00"


class StorageKeyError(StorageError):
    """A stored ciphertext cannot be read with the configured ``storage_key``.

    ``storage.key_missing``: it was written under a key id the setting no
    longer lists (add the old key back after the new one). ``storage.tampered``:
    the data or its key does not authenticate (wrong key under the same id, or
    a modified row).
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "key_missing",
            "tampered",
        }
    )


class StorageKeyUnavailable(ConfigurationError):
    """The configured storage key cannot open the stored data: the storage refuses to start.

    ``config.storage_key_missing``: the data was written under key ``kid``,
    which the key source does not hold (a lost key file, a copied data
    directory). ``config.storage_key_wrong``: a key with id ``kid`` is there
    but does not open the data (a different key under the same id, or
    modified data). ``source`` says where the key was looked for. A
    :class:`~siapkerja_core.errors.ConfigurationError`, so callers catching
    configuration problems (``serve``, ``connect()``) catch it too; a new key
    is never generated over stored data.
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "storage_key_missing",
            "storage_key_wrong",
        }
    )


def _fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"siapkerja.storage-kid\x00" + key).hexdigest()[:8]


def _decode_key(text: str, *, name: str) -> bytes:
    cleaned = text.strip()
    try:
        padded = cleaned + "=" * (-len(cleaned) % 4)
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "invalid", name=name, reason="a key is base64 text (see `siapkerja db keygen`)"
        ) from None
    if len(raw) != KEY_BYTES:
        raise ConfigurationError(
            "invalid", name=name, reason=f"a key is {KEY_BYTES} bytes, got {len(raw)}"
        )
    return raw


class KeyMaterial:
    """The storage keys: ``current`` encrypts, every key in ``keys`` decrypts.

    Build it with :meth:`parse` from the ``storage_key`` setting, or
    :meth:`generate` for a throw-away database. Its repr shows key ids only.
    """

    __slots__ = ("current", "keys")

    def __init__(self, keys: Mapping[str, bytes], *, current: str) -> None:
        if current not in keys:
            raise ValueError(f"current key id {current!r} is not among the keys")
        for kid, key in keys.items():
            if not _KID.fullmatch(kid):
                raise ValueError(f"key id {kid!r}: 1-32 letters, digits, '.', '_' or '-'")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {kid!r} must be {KEY_BYTES} bytes")
        self.keys: Mapping[str, bytes] = dict(keys)
        self.current = current

    @classmethod
    def parse(cls, setting: str, *, name: str = "storage_key") -> KeyMaterial:
        """Read ``"[kid:]base64key, [kid:]base64key, ..."``; the first key encrypts.

        :raises ConfigurationError: ``config.invalid`` for an empty list, a key
            that is not 32 bytes of base64, a malformed or repeated key id.
        """
        keys: dict[str, bytes] = {}
        first: str | None = None
        for item in setting.split(","):
            entry = item.strip()
            if not entry:
                continue
            kid_text, sep, key_text = entry.rpartition(":")
            key = _decode_key(key_text, name=name)
            kid = kid_text.strip() if sep else _fingerprint(key)
            if not _KID.fullmatch(kid):
                raise ConfigurationError(
                    "invalid",
                    name=name,
                    reason=f"key id {kid!r}: use 1-32 letters, digits, '.', '_' or '-'",
                )
            if kid in keys:
                raise ConfigurationError("invalid", name=name, reason=f"key id {kid!r} repeats")
            keys[kid] = key
            first = first or kid
        if first is None:
            raise ConfigurationError("invalid", name=name, reason="no key given")
        return cls(keys, current=first)

    @classmethod
    def generate(cls, kid: str | None = None) -> KeyMaterial:
        """One fresh random key (``kid`` defaults to its fingerprint)."""
        key = secrets.token_bytes(KEY_BYTES)
        name = kid or _fingerprint(key)
        return cls({name: key}, current=name)

    def to_setting(self) -> str:
        """The ``storage_key`` value for these keys, current first (a secret: never log it)."""
        order = [self.current, *(k for k in self.keys if k != self.current)]
        return ",".join(
            f"{kid}:{base64.urlsafe_b64encode(self.keys[kid]).decode('ascii')}" for kid in order
        )

    def __repr__(self) -> str:
        return f"KeyMaterial(current={self.current!r}, kids={sorted(self.keys)!r})"


def generate_key_setting(kid: str | None = None) -> str:
    """A new ``storage_key`` value: ``"kid:base64"`` of 32 random bytes."""
    return KeyMaterial.generate(kid).to_setting()


class FieldCipher:
    """AES-256-GCM with a key id in each ciphertext (see the module docstring)."""

    __slots__ = ("_aeads", "_current", "_header")

    def __init__(self, material: KeyMaterial) -> None:
        self._aeads = {kid: AESGCM(key) for kid, key in material.keys.items()}
        self._current = material.current
        kid = material.current.encode("ascii")
        self._header = bytes((_FORMAT, len(kid))) + kid

    @property
    def current_kid(self) -> str:
        return self._current

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        """``plaintext`` under the current key, bound to ``context`` (table, column, row id)."""
        nonce = os.urandom(_NONCE_BYTES)
        header = self._header
        aad = _AAD_PREFIX + header + context
        sealed = self._aeads[self._current].encrypt(nonce, plaintext, aad)
        return header + nonce + sealed

    @staticmethod
    def key_id(blob: bytes) -> str:
        """The id of the key ``blob`` was encrypted with.

        :raises StorageKeyError: ``storage.tampered`` when ``blob`` is not a ciphertext.
        """
        if len(blob) < 2 or blob[0] != _FORMAT or len(blob) < 2 + blob[1] + _NONCE_BYTES + 16:
            raise StorageKeyError("tampered")
        return blob[2 : 2 + blob[1]].decode("ascii", "replace")

    def decrypt(self, blob: bytes, context: bytes) -> bytes:
        """The plaintext of ``blob``, which must have been sealed with the same ``context``.

        :raises StorageKeyError: ``storage.key_missing`` (its key id is not
            configured) or ``storage.tampered``.
        """
        kid = self.key_id(blob)
        aead = self._aeads.get(kid)
        if aead is None:
            raise StorageKeyError("key_missing", kid=kid)
        split = 2 + blob[1]
        body = split + _NONCE_BYTES
        header, nonce, sealed = blob[:split], blob[split:body], blob[body:]
        try:
            return aead.decrypt(nonce, sealed, _AAD_PREFIX + header + context)
        except InvalidTag:
            raise StorageKeyError("tampered") from None

    def encrypt_json(self, value: Any, context: bytes) -> bytes:
        """``value`` as compact UTF-8 JSON, sealed.

        orjson writes a NaN or an infinity as ``null``; the one float the
        library seals, a profile's GPA, is checked finite before it gets here.

        :raises TypeError: for what JSON cannot hold exactly — an integer
            beyond 64 bits, a key that is not a string — rather than store
            something :meth:`decrypt_json` would read back different.
        """
        try:
            plaintext = orjson.dumps(value)
        except orjson.JSONEncodeError as error:
            raise TypeError(f"not storable as JSON: {error}") from None
        return self.encrypt(plaintext, context)

    def decrypt_json(self, blob: bytes, context: bytes) -> Any:
        return _loads(self.decrypt(blob, context))

    def needs_reencryption(self, blob: bytes) -> bool:
        """True when ``blob`` was written under a key other than the current one."""
        return self.key_id(blob) != self._current


def _loads(plaintext: bytes) -> Any:
    """The JSON value :meth:`FieldCipher.encrypt_json` wrote, read by orjson.

    Every scan that misses the profile cache and every row of a bulk card
    issuance decodes an account's and a profile's JSON: orjson reads it faster
    than the standard library (``docs/dependencies.md``, ``benchmarks/README.md``). It
    reads back exactly what :meth:`FieldCipher.encrypt_json` wrote, which
    refuses an integer beyond 64 bits (orjson would read it as a float). What
    it refuses and ``json`` reads — ``NaN``, which an older ``json.dumps``
    could have written — goes to ``json``, so nothing stored is unreadable.
    """
    try:
        return orjson.loads(plaintext)
    except orjson.JSONDecodeError:
        return json.loads(plaintext.decode("utf-8"))


class BlindIndex:
    """Keyed HMAC-SHA-256 of a field's value: a lookup key that does not reveal the value.

    The key's HMAC state is made once (``hmac.new``), and for each field a state
    through the message's fixed head (the prefix, the field's name and its NUL);
    each index is computed on a copy of its field's state, hashing the value
    alone: ``hmac.digest`` hashed both padded key blocks and the head again for
    every value (an import computes three indexes a row, a sign-in one). The
    same bytes as ``hmac.digest(key, message, "sha256")``, which
    ``tests/unit/test_sql_crypto.py`` holds it to.
    """

    __slots__ = ("_fields", "_keyed")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the blind-index key must be {KEY_BYTES} bytes")
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._fields: dict[str, hmac.HMAC] = {}
        """Field → the keyed state through ``_INDEX_PREFIX``, the field and its NUL."""

    def __call__(self, field: str, value: str) -> bytes:
        head = self._fields.get(field)
        if head is None:  # a handful of fields: kept for the storage's life
            head = self._keyed.copy()
            head.update(_INDEX_PREFIX + field.encode("ascii") + b"\x00")
            self._fields[field] = head  # a whole state put in one step: threads see it whole
        keyed = head.copy()  # thread-safe: the shared states are only copied
        keyed.update(value.encode("utf-8"))
        return keyed.digest()

    def __repr__(self) -> str:
        return "BlindIndex(<key hidden>)"
