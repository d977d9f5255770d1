"""The write side of an AK/I import: rows checked one by one, stored a batch at a time.

This module owns what :func:`~siapkerja_adapters.bulk.import_akl` does with
the rows it has checked (NIK, cells, profile sections, name, e-mail, phone):

* :func:`fast_email` and :func:`fast_phone` — the core's ``normalize_email``
  and ``normalize_phone`` with their results for the common spellings
  reached without re-parsing what a register repeats (an e-mail's domain is
  checked once per domain; an ``08…``/``+628…`` number is checked against
  the mobile metadata directly). Anything else goes through the core's
  functions, so what they refuse is refused here with the same code;
* :class:`Ready` — a checked row, its profile sections validated;
* :func:`store_batch` — one unit of work per batch: the batch's accounts
  looked up at once (by NIK, e-mail and phone), the rules of
  ``import_account`` applied row by row in file order (same NIK and contacts:
  the existing account; same NIK, other contacts: ``already_registered``;
  another NIK's e-mail or phone: ``email_taken`` / ``phone_taken``), and the
  new accounts with their profiles written together — one multi-row insert on
  SQLite, ``COPY`` on PostgreSQL (``SqlStorage.bulk_insert_accounts``), the
  port's ``accounts.add`` / ``profiles.put`` on any other storage. The batch
  commits whole or not at all.

A writer in another process that takes a NIK, e-mail or phone between the
look-up and the insert makes the database refuse the batch; the transaction
rolls back and :func:`store_batch` raises :class:`BatchRace` so the caller
stores that batch row by row through the facade, which decides each row
under the database's own rules.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from siapkerja_adapters.bulk.checked import NotChecked, SectionChecks, copy_profile
from siapkerja_core.contact import mask_email, mask_phone, normalize_email, normalize_phone
from siapkerja_core.converter import (
    converter,
    merge_profile,
    structure_stored_contact,
    structure_stored_profile,
    unstructure,
)
from siapkerja_core.errors import AlreadyRegistered, RegistrationError, SiapkerjaError
from siapkerja_core.nik import Nik
from siapkerja_core.ports import AccountConflict, Transaction
from siapkerja_core.profile import Profile
from siapkerja_core.records import AccountRecord
from siapkerja_core.services.registration import NO_PASSWORD

if TYPE_CHECKING:
    from datetime import datetime

    from siapkerja_adapters.sql.storage import SqlStorage

__all__ = [
    "BatchRace",
    "Outcome",
    "Ready",
    "fast_email",
    "fast_phone",
    "new_account_profile",
    "store_batch",
]

_ATEXT: Final = r"a-z0-9!#$%&'*+/=?^_`{|}~-"
_LOCAL: Final = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_MAX_LOCAL: Final = 64
_MAX_EMAIL: Final = 254
_PHONE: Final = re.compile(r"(?:\+62|0)(8\d{7,12})")
_PHONE_SEPARATORS: Final = str.maketrans("", "", " -.")
_MERGED_BY_KEY: Final = frozenset({"biodata", "ktp_address", "domicile_address"})


@functools.lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    """The normalised domain as ``normalize_email`` returns it, or ``None`` if refused."""
    try:
        return normalize_email("a@" + domain).rpartition("@")[2]
    except SiapkerjaError:
        return None


def fast_email(text: str) -> str:
    """``normalize_email(text)``, faster for an ASCII dot-atom address.

    Such a local part is returned by ``email_validator`` as given (and we
    lower-case it); the domain is what ``normalize_email`` makes of it,
    checked once per domain. Every other input, and every refusal, is the
    core's own answer.

    :raises InvalidEmail: as :func:`~siapkerja_core.contact.normalize_email`.
    """
    stripped = text.strip()
    local, at, domain = stripped.rpartition("@")
    if at and stripped.isascii():
        local = local.lower()
        if len(local) <= _MAX_LOCAL and _LOCAL.fullmatch(local):
            normalised = _email_domain(domain)
            if normalised is not None and len(local) + 1 + len(normalised) <= _MAX_EMAIL:
                return f"{local}@{normalised}"
    return normalize_email(text)


def fast_phone(text: str) -> str:
    """``normalize_phone(text)``, faster for ``08…`` and ``+628…`` spellings.

    The national number is checked against the Indonesian mobile metadata as
    ``normalize_phone`` checks a parsed one (valid, and mobile or
    fixed-line-or-mobile); anything else, and every refusal, is the core's
    own answer.

    :raises InvalidPhone: as :func:`~siapkerja_core.contact.normalize_phone`.
    """
    compact = text.strip().translate(_PHONE_SEPARATORS)
    match = _PHONE.fullmatch(compact) if compact.isascii() else None
    if match is not None:
        national = match[1]
        if _is_mobile(national):
            return "+62" + national
    return normalize_phone(text)


_Desc = tuple[frozenset[int], Callable[[str], object]] | None


@functools.cache
def _mobile_rule() -> Callable[[str], bool]:
    """Whether an Indonesian national number is of a mobile type, decided as
    ``phonenumbers.number_type`` decides it (``_number_type_helper``: the general
    pattern, then the special types in its order, then fixed line and mobile) from
    the same metadata, with each pattern compiled once — ``number_type`` compiled
    (looked up) each pattern and built a ``PhoneNumber`` for every row.
    ``tests/unit/test_bulk_batch.py`` holds it equal to ``number_type``.
    """
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region("ID")
    if metadata is None:  # pragma: no cover - phonenumbers always has Indonesia
        raise RuntimeError("phonenumbers has no metadata for Indonesia")

    def desc(number_desc: Any) -> _Desc:
        if number_desc is None or not number_desc.national_number_pattern:
            return None
        pattern = re.compile(number_desc.national_number_pattern)
        return frozenset(number_desc.possible_length), pattern.fullmatch

    def matches(number: str, found: _Desc) -> bool:
        if found is None:
            return False
        lengths, fullmatch = found
        if lengths and len(number) not in lengths:
            return False
        return fullmatch(number) is not None

    general = desc(metadata.general_desc)
    special = [
        desc(getattr(metadata, name))
        for name in (
            "premium_rate",
            "toll_free",
            "shared_cost",
            "voip",
            "personal_number",
            "pager",
            "uan",
            "voicemail",
        )
    ]
    special = [found for found in special if found is not None]
    fixed_line = desc(metadata.fixed_line)
    mobile = desc(metadata.mobile)
    same = bool(metadata.same_mobile_and_fixed_line_pattern)

    def is_mobile(national: str) -> bool:
        if not matches(national, general):
            return False  # UNKNOWN
        for found in special:
            if matches(national, found):
                return False  # premium rate, toll free, ...
        if matches(national, fixed_line):
            return same or matches(national, mobile)  # FIXED_LINE_OR_MOBILE, or FIXED_LINE
        return not same and matches(national, mobile)  # MOBILE, or UNKNOWN

    return is_mobile


def _is_mobile(national: str) -> bool:
    # number_type is UNKNOWN for an invalid number, so a mobile type implies
    # is_valid_number (which would match the same patterns a second time).
    return _mobile_rule()(national)


@attrs.define(slots=True)
class Ready:
    """A row that passed every check that needs no storage.

    ``scratch`` is the row's sections validated on an empty profile holding the
    NIK's sex (``None`` when the row fills none): with the account's name and
    contact, the profile of a new account (:func:`new_account_profile`);
    ``sections`` the cells as the sections they fill.
    """

    line: int
    nik: Nik
    full_name: str
    email: str
    phone: str
    sections: dict[str, Any]
    scratch: Profile | None


@attrs.define(slots=True)
class Outcome:
    """What :func:`store_batch` did with each row, once its transaction committed.

    ``created`` and ``updated`` hold ``(row, account, profile)``; ``unchanged``
    the rows; ``bad`` ``(line, error)``. ``updated`` rows are written after
    the batch, through the facade (their account may hold a card whose cached
    view must be dropped).
    """

    created: list[tuple[Ready, AccountRecord, Profile | None]] = attrs.Factory(list)
    updated: list[tuple[Ready, AccountRecord, Profile]] = attrs.Factory(list)
    unchanged: list[Ready] = attrs.Factory(list)
    bad: list[tuple[int, SiapkerjaError]] = attrs.Factory(list)


class BatchRace(Exception):
    """Another writer took an identifier of the batch meanwhile: it was rolled back."""


def apply_sections(current: Profile, ready: Ready) -> Profile:
    """``merge_profile(current, ready.sections)`` from the validated ``ready.scratch``.

    Profile sections are validated on their own (no rule spans two
    sections), so the row's validated values are put in place of the
    current ones — the given keys of biodata and addresses, the whole of the
    other sections — without validating the row again, nor the contact the
    current profile holds. ``tests/unit/test_bulk_batch.py`` checks it equals
    ``merge_profile``.
    """
    scratch = ready.scratch
    if scratch is None:
        return current
    changes: dict[str, Any] = {}
    for section, given in ready.sections.items():
        value = getattr(scratch, section)
        base = getattr(current, section)
        if section in _MERGED_BY_KEY and base is not None and isinstance(given, Mapping):
            value = attrs.evolve(base, **{key: getattr(value, key) for key in given})
        changes[section] = value
    return attrs.evolve(current, **changes)


def initial_profile(account: AccountRecord, nik: Nik) -> Profile:
    """The profile an account has before one is saved (``Profiles.initial_profile``)."""
    return structure_stored_profile(
        {
            "full_name": account.full_name,
            "contact": {"email": account.email, "phone": account.phone},
            "biodata": {"sex": nik.sex},
        }
    )


def normalise_name(full_name: str) -> str:
    """The account's name as ``import_account`` stores it."""
    return " ".join(unicodedata.normalize("NFKC", full_name).split())


class _PortStore:
    """The batch through the storage port (the memory storage, or any other)."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx

    def find(self, rows: Sequence[Ready]) -> list[AccountRecord]:
        found: dict[str, AccountRecord] = {}
        for row in rows:
            for record in (
                self.tx.accounts.find(nik=row.nik.value),
                self.tx.accounts.find(email=row.email),
                self.tx.accounts.find(phone=row.phone),
            ):
                if record is not None:
                    found[record.id] = record
        return list(found.values())

    def profiles(self, account_ids: Sequence[str]) -> dict[str, Profile]:
        stored = {account_id: self.tx.profiles.get(account_id) for account_id in account_ids}
        return {key: value for key, value in stored.items() if value is not None}

    def insert(
        self, accounts: Sequence[AccountRecord], profiles: Sequence[tuple[str, Profile]]
    ) -> None:
        for record in accounts:
            self.tx.accounts.add(record)
        for account_id, profile in profiles:
            self.tx.profiles.put(account_id, profile)


class _SqlStore:
    """The batch through ``SqlStorage.bulk_*``: three look-ups and one write.

    The blind indexes computed for the look-ups are kept for the insert.
    """

    def __init__(
        self, storage: SqlStorage, tx: Any, documents: Callable[[Profile], dict[str, Any]]
    ) -> None:
        self.storage = storage
        self.tx = tx
        self.documents = documents
        self.indexes: dict[tuple[str, str], bytes] = {}

    def index(self, field: str, value: str) -> bytes:
        key = (field, value)
        found = self.indexes.get(key)
        if found is None:
            found = self.indexes[key] = self.storage.blind_index(field, value)
        return found

    def find(self, rows: Sequence[Ready]) -> list[AccountRecord]:
        return self.storage.bulk_find_accounts(
            self.tx,
            niks=[row.nik.value for row in rows],
            emails=[row.email for row in rows],
            phones=[row.phone for row in rows],
            index=self.index,
        )

    def profiles(self, account_ids: Sequence[str]) -> dict[str, Profile]:
        return self.storage.bulk_get_profiles(self.tx, account_ids)

    def insert(
        self, accounts: Sequence[AccountRecord], profiles: Sequence[tuple[str, Profile]]
    ) -> None:
        self.storage.bulk_insert_accounts(
            self.tx, accounts, profiles, index=self.index, document=self.documents
        )


def store_batch(
    storage: Any,
    rows: Sequence[Ready],
    *,
    now: datetime,
    new_id: Callable[[], str],
    documents: Callable[[Profile], dict[str, Any]] | None = None,
) -> Outcome:
    """Store a batch of checked rows in one unit of work (see the module docstring).

    ``documents`` makes the stored document of a new profile on the SQL storage
    (default ``unstructure``; an import passes its run's ``ProfileDocuments``).

    :raises BatchRace: another writer took one of the batch's identifiers
        meanwhile; nothing of the batch was written.
    :raises StorageError: the storage failed; nothing of the batch was written.
    """
    from siapkerja_adapters.sql.storage import SqlStorage

    outcome = Outcome()
    try:
        with storage.transaction() as tx:
            store: _PortStore | _SqlStore = (
                _SqlStore(storage, tx, documents or unstructure)
                if isinstance(storage, SqlStorage)
                else _PortStore(tx)
            )
            found = store.find(rows)
            by_nik = {record.nik: record for record in found}
            emails = {record.email for record in found}
            phones = {record.phone for record in found}
            existing = [by_nik[row.nik.value].id for row in rows if row.nik.value in by_nik]
            stored = store.profiles(existing) if existing else {}
            accounts: list[AccountRecord] = []
            profiles: list[tuple[str, Profile]] = []
            for row in rows:
                account = by_nik.get(row.nik.value)
                if account is not None:
                    if (account.email, account.phone) != (row.email, row.phone):
                        error = AlreadyRegistered(
                            "already_registered",
                            email=mask_email(account.email),
                            phone=mask_phone(account.phone),
                        )
                        outcome.bad.append((row.line, error))
                        continue
                    current = stored.get(account.id) or initial_profile(account, row.nik)
                    changed = apply_sections(current, row)
                    if changed != current:
                        outcome.updated.append((row, account, changed))
                    else:
                        outcome.unchanged.append(row)
                    continue
                if row.email in emails:
                    outcome.bad.append((row.line, RegistrationError("email_taken")))
                    continue
                if row.phone in phones:
                    outcome.bad.append((row.line, RegistrationError("phone_taken")))
                    continue
                account = AccountRecord(
                    id=new_id(),
                    nik=row.nik.value,
                    full_name=row.full_name,
                    email=row.email,
                    phone=row.phone,
                    password_hash=NO_PASSWORD,
                    created_at=now,
                    password_changed_at=now,
                )
                by_nik[account.nik] = account
                emails.add(account.email)
                phones.add(account.phone)
                profile = None
                if row.scratch is not None:
                    profile = new_account_profile(row.scratch, account)
                    profiles.append((account.id, profile))
                accounts.append(account)
                outcome.created.append((row, account, profile))
            store.insert(accounts, profiles)
    except AccountConflict:
        raise BatchRace from None
    return outcome


@functools.cache
def _section_types() -> dict[str, Any]:
    return {field.name: field.type for field in attrs.fields(Profile)}


_PLAINS: Final[dict[int, tuple[Any, dict[str, Any]]]] = {}


def _plain(section: Any) -> dict[str, Any]:
    """A by-key section of a scratch profile as ``merge_profile`` merges into it (kept
    by identity, a few at most: the importer's scratches differ only in the NIK's sex,
    and hashing the section on every row cost more than the rest of the look-up)."""
    found = _PLAINS.get(id(section))
    if found is not None and found[0] is section:
        return found[1]
    plain: dict[str, Any] = converter.unstructure(section)
    if len(_PLAINS) < 64:
        _PLAINS[id(section)] = (section, plain)
    return plain


def validate_sections(
    sections: Mapping[str, Any], scratch: Profile, checks: SectionChecks | None = None
) -> Profile | None:
    """``merge_profile(scratch, sections)`` (``None`` when there are no sections).

    Each section is structured on its own — a mapping for biodata or an
    address merged by key into the scratch's, as ``merge_profile`` merges it —
    and put into ``scratch``, its fields converted and checked as the
    profile's ``__init__`` does, without unstructuring and structuring every
    other section of the profile again. ``checks`` (one per import run)
    structures the sections field by field, checking each distinct value of
    a field once (:mod:`~siapkerja_adapters.bulk.checked`); without it, the
    core's converter does. Whatever this refuses goes through
    ``merge_profile``, which raises the error it always raised (with its
    path); ``tests/unit/test_bulk_batch.py`` and ``test_bulk_checked.py``
    check both agree.
    """
    if not sections:
        return None
    types = _section_types()
    try:
        validated: dict[str, Any] = {}
        for name, value in sections.items():
            base = getattr(scratch, name) if name in _MERGED_BY_KEY else None
            if base is not None and isinstance(value, Mapping):
                value = {**_plain(base), **value}
            if checks is not None:
                try:
                    validated[name] = checks.section(name, value)
                    continue
                except NotChecked:
                    pass
            validated[name] = converter.structure(value, types[name])
        if checks is not None:
            return checks.profile(scratch, validated)
        return attrs.evolve(scratch, **validated)
    except Exception:  # the slow path decides, and names the error
        return merge_profile(scratch, sections)


_FULL_NAME: Final[attrs.Attribute[Any]] = attrs.fields(Profile).full_name
_CLEAN_NAME: Final = cast("Callable[[str], str]", _FULL_NAME.converter)
_CHECK_NAME: Final = cast("Callable[[Any, attrs.Attribute[Any], str], None]", _FULL_NAME.validator)


def new_account_profile(scratch: Profile, account: AccountRecord) -> Profile:
    """The profile a new account's row gives it: ``scratch`` — the row's sections
    validated on the NIK's sex (``validate_sections``) — with the account's name and
    contact.

    Equal to ``apply_sections(initial_profile(account, nik), row)`` (a test holds
    them equal) at a fraction of the cost: the name goes through the profile's own
    converter and validator, the contact is the account's as ``initial_profile``
    takes it (checked and normalised when the account was), and every other field
    is the scratch's, which its ``__init__`` validated (each field's check is its
    own: none looks at another), so it is not checked again.

    :raises ProfileError: the name is not one a profile holds.
    """
    full_name = _CLEAN_NAME(account.full_name)
    _CHECK_NAME(None, _FULL_NAME, full_name)
    profile = copy_profile(scratch)
    put = object.__setattr__  # frozen: as attrs' own __init__ sets them
    put(profile, "full_name", full_name)
    put(
        profile,
        "contact",
        structure_stored_contact({"email": account.email, "phone": account.phone}),
    )
    return profile
