"""The SQL schema of the storage adapter (SQLAlchemy Core tables).

This module owns the tables and their indexes. Alembic revisions in
``migrations/versions`` create and change them; :data:`SCHEMA_REVISION` names
the revision this code expects (a test keeps it equal to Alembic's head, and
another keeps the migrated database equal to :data:`metadata`).

Every table name starts with ``sk_`` so the schema can share a database with
the application that embeds the library; the Alembic version table is
``sk_alembic_version`` for the same reason.

Personal data never sits in a column in the clear (see :mod:`.crypto`):
``pii``, ``phone``, ``data`` and ``value`` columns (and the outbox's
``payload``, a pushed SSO request's ``params``) hold AES-GCM ciphertexts,
``*_index`` columns hold keyed HMACs (blind indexes) used for lookups and for
the uniqueness of an active account's NIK, e-mail and phone. Secrets and
tokens given out (API keys, client secrets, SSO codes and tokens) are kept
only as HMACs (``key_hash``, ``secret_hash``, ``token_hash``).

Every lookup a repository makes has an index:

=====================  =================================================
lookup                 index
=====================  =================================================
account by NIK/e-mail/ ``uq_sk_accounts_{nik,email,phone}_active``
phone (active only)    (partial unique: ``WHERE active``)
card by account/ref/   ``uq_sk_cards_account_id``, ``uq_sk_cards_card_ref``,
number                 ``uq_sk_cards_number``
sessions of an account ``ix_sk_sessions_account_id``
consents of an account ``ix_sk_consents_account_id_granted_at``
ledger of an account   ``ix_sk_access_log_account_id_at``
ledger of a verifier   ``ix_sk_access_log_verifier_id_at``
                       (partial: ``WHERE verifier_id IS NOT NULL``)
audit by target/actor/ ``ix_sk_audit_target_id_at``, ``ix_sk_audit_actor_at``,
time                   ``ix_sk_audit_at``
check-ins of an event  ``ix_sk_check_ins_event_id_checked_in_at``
verifier by key HMAC   ``uq_sk_verifiers_key_hash``
station by key HMAC    ``uq_sk_stations_key_hash``
events of an organiser ``ix_sk_events_organiser_id_opens_at``
upcoming events        ``ix_sk_events_closes_at``
AK/I by number         ``uq_sk_aki_registrations_number``
active AK/I of an      ``uq_sk_aki_registrations_account_active``
account                (partial unique: ``WHERE active``)
AK/I of an office      ``ix_sk_aki_registrations_office_code_applied_at``
AK/I of an account     ``ix_sk_aki_registrations_account_id_applied_at``
due outbox messages    ``ix_sk_outbox_available_at``
pending consent        ``ix_sk_consent_requests_account_id_status_created_at``
requests of a holder
classes of an          ``ix_sk_classes_institution_id_starts_on``
institution
enrolments of a class  the primary key (class_id, account_id)
enrolments of a holder ``ix_sk_class_enrolments_account_id``,
                       ``ix_sk_programme_enrolments_account_id``
SSO tokens of a grant  ``ix_sk_sso_tokens_grant_id``
SSO tokens of a holder ``ix_sk_sso_tokens_account_id_client_id``
(of one client)
expired SSO tokens     ``ix_sk_sso_tokens_expires_at``
factors of an account  ``ix_sk_factors_account_id``
rights requests of a   ``ix_sk_rights_requests_account_id_received_at``
holder
open rights requests   ``ix_sk_rights_requests_status_due_at``
by deadline
erasures to purge      ``ix_sk_rights_requests_purge_after``
sign-ins of a holder   ``ix_sk_rights_log_account_id_at``
registrations, resets  ``ix_sk_registrations_account_id``,
of an account (erase)  ``ix_sk_password_resets_account_id``
cases of an account    ``ix_sk_disputes_account_id_created_at``
overdue cases          ``ix_sk_disputes_due_at``
cases by status        ``ix_sk_disputes_status_created_at``
everything else        the primary key
=====================  =================================================
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.engine import processors
from sqlalchemy.types import TypeDecorator

__all__ = [
    "SCHEMA_REVISION",
    "TABLE_PREFIX",
    "VERSION_TABLE",
    "UInt64",
    "UtcDateTime",
    "access_log",
    "accounts",
    "aki_officers",
    "aki_registrations",
    "audit",
    "cards",
    "challenges",
    "check_ins",
    "class_enrolments",
    "classes",
    "consent_requests",
    "consents",
    "counters",
    "disputes",
    "double_entries",
    "events",
    "factors",
    "keyring",
    "meta",
    "metadata",
    "outbox",
    "profiles",
    "programme_enrolments",
    "programmes",
    "registrations",
    "resets",
    "rights_log",
    "rights_requests",
    "rights_restrictions",
    "second_contacts",
    "sessions",
    "sso_clients",
    "sso_tokens",
    "stations",
    "status_lists",
    "verifiers",
]

SCHEMA_REVISION: Final = "0016_ledger_indexes"
"""The Alembic revision this code runs against (the head of ``migrations/versions``)."""
TABLE_PREFIX: Final = "sk_"
VERSION_TABLE: Final = "sk_alembic_version"

_2_63: Final = 2**63
_2_64: Final = 2**64


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC, read back aware in UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite as ISO text without the
    offset (always UTC), so text order is time order. A naive datetime is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("storage keeps aware datetimes only (e.g. datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # The text SQLite's DATETIME is written as ("YYYY-MM-DD HH:MM:SS.ffffff", UTC),
        # made in one step: the generic chain (this class, then the dialect's
        # formatting) cost several times more, on every timestamp of every write.
        # The last datetime formatted is remembered (one tuple, swapped whole, so
        # threads never see half of it): a bulk write binds the same "now" to
        # every row of its batch.
        last: list[tuple[datetime | None, str | None]] = [(None, None)]

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            seen, text = last[0]
            if seen is value:
                return text
            if value.tzinfo is UTC:
                # The library's own times (``datetime.now(UTC)``): already in UTC, so the
                # text is the ISO form without its "+00:00" (the year is always four
                # digits: 26 characters), half the cost of converting first.
                text = value.isoformat(" ", "microseconds")[:26]
            else:
                if value.tzinfo is None or value.utcoffset() is None:
                    raise ValueError("storage keeps aware datetimes only (e.g. datetime.now(UTC))")
                text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # The dialect's text parsing and :meth:`process_result_value` in one function:
        # the generic chain (TypeDecorator's wrapper, then this class's method) cost as
        # much as the parsing, on every timestamp of every row read.
        parse = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        # The library's own text (26 characters, no offset) read with its zone in one C call:
        # ``fromisoformat`` of the text plus "+00:00" gives the same moment as the dialect's
        # parse (``fromisoformat`` too) and then ``replace(tzinfo=UTC)``, whose keyword call
        # cost several times the parse — about 1 µs on each of ~18 times a journey reads.
        # ``timezone.utc`` is ``UTC``. Any other text (or one this refuses) goes the long way.
        iso = datetime.fromisoformat if parse is processors.str_to_datetime else None

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if iso is not None and value.__class__ is str and len(value) == 26:
                try:
                    return iso(value + "+00:00")
                except ValueError:
                    pass  # not the library's form after all: the dialect decides
            moment: datetime | None = parse(value) if parse is not None else value
            if moment is None:
                return None
            if moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)

        return process


class UInt64(TypeDecorator[int]):
    """An unsigned 64-bit integer (a card reference) in a signed BIGINT column."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not 0 <= value < _2_64:
            raise ValueError("an unsigned 64-bit integer is in 0..2**64-1")
        return value - _2_64 if value >= _2_63 else value

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return value + _2_64 if value < 0 else value


metadata: Final = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)
"""Every table of the adapter."""

_ACTIVE_SQLITE: Final = text("active = 1")  # matches the planner's `active = 1` in queries

registrations: Final = Table(
    "sk_registrations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("pii", LargeBinary, nullable=False, comment="AES-GCM: nik, full_name, email, phone"),
    Column("password_hash", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("account_id", Text),
)

challenges: Final = Table(
    "sk_otp_challenges",
    metadata,
    Column("subject_id", Text, primary_key=True),
    Column("purpose", Text, nullable=False),
    Column("phone", LargeBinary, nullable=False, comment="AES-GCM"),
    Column("code_hash", Text, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used", Boolean, nullable=False),
    Column("resends", Integer, nullable=False),
    Column("sent_at", Text, nullable=False, comment="JSON list of ISO 8601 times"),
    Column("delivered", Boolean, nullable=False),
    Column("last_failure", Text),
)

_ORDERED_ID: Final = Text().with_variant(Text(collation="C"), "postgresql")
"""Ids that are paged through in order: byte order on PostgreSQL too, as in Python and SQLite."""

accounts: Final = Table(
    "sk_accounts",
    metadata,
    Column("id", _ORDERED_ID, primary_key=True),
    Column("nik_index", LargeBinary, nullable=False, comment="HMAC-SHA-256 blind index"),
    Column("email_index", LargeBinary, nullable=False, comment="HMAC-SHA-256 blind index"),
    Column("phone_index", LargeBinary, nullable=False, comment="HMAC-SHA-256 blind index"),
    Column("pii", LargeBinary, nullable=False, comment="AES-GCM: nik, full_name, email, phone"),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
)
for _field in ("nik", "email", "phone"):
    Index(
        f"uq_sk_accounts_{_field}_active",
        accounts.c[f"{_field}_index"],
        unique=True,
        sqlite_where=_ACTIVE_SQLITE,
        postgresql_where=accounts.c.active,
    )

sessions: Final = Table(
    "sk_sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

resets: Final = Table(
    "sk_password_resets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text),
    Column("generation", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used", Boolean, nullable=False),
)

profiles: Final = Table(
    "sk_profiles",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False, comment="AES-GCM: the profile as JSON"),
    Column("complete", Text, comment="completeness_stamp: complete under which rules"),
)

cards: Final = Table(
    "sk_cards",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False, unique=True),
    Column("number", Text, nullable=False, unique=True),
    Column("card_ref", UInt64, nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("status_index", Integer, comment="entry in the published status list (random)"),
    Column("suspended_at", UtcDateTime),
    Index(None, "status_index", unique=True),
)

verifiers: Final = Table(
    "sk_verifiers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("scopes", Text, nullable=False, comment="JSON list"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("key_hash", Text, nullable=False, unique=True),
)

consents: Final = Table(
    "sk_consents",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("verifier_id", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("fields", Text, comment="JSON list, or NULL for the verifier's whole scope"),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("withdrawn_at", UtcDateTime),
    Index(None, "account_id", "granted_at"),
)

access_log: Final = Table(
    "sk_access_log",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("audience", Text, nullable=False),
    Column("fields", Text, nullable=False, comment="JSON list"),
    Column("channel", Text, nullable=False),
    Column("purpose", Text),
    Column("verifier_id", Text),
    Column("verifier_name", Text),
    Column("viewer_account_id", Text),
    Index(None, "account_id", "at"),
)

check_ins: Final = Table(
    "sk_check_ins",
    metadata,
    Column("card_ref", UInt64, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("station_id", Text, nullable=False),
    Column("checked_in_at", UtcDateTime, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("kid", Text, nullable=False),
    PrimaryKeyConstraint("card_ref", "event_id"),
    Index(None, "event_id", "checked_in_at"),
)

keyring: Final = Table(
    "sk_keyring",
    metadata,
    Column("name", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False, comment="AES-GCM: the keyring as JSON"),
    Column("stamp", Text, nullable=True, comment="Keyring.stamp: which keys exist, none secret"),
)

counters: Final = Table(
    "sk_counters",
    metadata,
    Column("key", Text, primary_key=True),
    Column("window_index", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
)

outbox: Final = Table(
    "sk_outbox",
    metadata,
    Column("id", Text, primary_key=True, comment="also the idempotency key of the send"),
    Column("payload", LargeBinary, nullable=False, comment="AES-GCM: to, text"),
    Column("subject_id", Text),
    Column("generation", Integer),
    Column("purpose", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Column("last_failure", Text),
    Column("claimed_until", UtcDateTime),
    Index(None, "available_at"),
)
"""The durable SMS outbox (:class:`~siapkerja_core.records.OutboxMessage`)."""

# --- institutions (0004_institutions) ------------------------------------------------------
# The register's new fields, appended to the verifiers table here so that this revision's
# additions stay in one place. ``active`` stays, written as ``status == "active"``.
verifiers.append_column(
    Column("kind", Text, nullable=False, server_default="other", comment="VerifierKind")
)
verifiers.append_column(Column("region_code", Text, comment="Kemendagri code"))
verifiers.append_column(Column("contact", Text, comment="e-mail address or URL"))
verifiers.append_column(
    Column("status", Text, nullable=False, server_default="active", comment="VerifierStatus")
)
verifiers.append_column(Column("key_rotated_at", UtcDateTime))
# Partial (0016_ledger_indexes): an anonymous scan — nearly every scan — has no verifier and
# is never looked up by one, so its ledger row writes no page of this index. A lookup by
# ``verifier_id = :x`` implies the predicate, so both databases still use it.
Index(
    "ix_sk_access_log_verifier_id_at",
    access_log.c.verifier_id,
    access_log.c.at,
    sqlite_where=access_log.c.verifier_id.is_not(None),
    postgresql_where=access_log.c.verifier_id.is_not(None),
)

audit: Final = Table(
    "sk_audit",
    metadata,
    Column("id", Text, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target_kind", Text, nullable=False),
    Column("target_id", Text, nullable=False),
    Column("data", LargeBinary, nullable=False, comment="AES-GCM: reason, details"),
    Index(None, "target_id", "at"),
    Index(None, "actor", "at"),
    Index(None, "at"),
)
"""The audit of administrative actions (:class:`~siapkerja_core.institutions.AuditRecord`),
append-only; the reason and details may name people, so they are encrypted."""

meta: Final = Table(
    "sk_meta",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", LargeBinary, nullable=False, comment="AES-GCM wrapped secrets"),
)
"""Adapter secrets kept in the database, wrapped by the storage key (the blind-index key)."""

ENCRYPTED_COLUMNS: Final = (
    (registrations, "id", "pii"),
    (challenges, "subject_id", "phone"),
    (accounts, "id", "pii"),
    (profiles, "account_id", "data"),
    (keyring, "name", "data"),
    (outbox, "id", "payload"),
    (meta, "name", "value"),
    (audit, "id", "data"),
)
"""(table, key column, ciphertext column): what ``reencrypt`` walks."""

consent_requests: Final = Table(
    "sk_consent_requests",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("verifier_id", Text, nullable=False),
    Column("verifier_name", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("fields", Text, comment="JSON list, or NULL for the verifier's whole scope"),
    Column("essential", Text, nullable=False, comment="JSON list"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", Text, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("consent_id", Text),
    Column("granted_fields", Text, comment="JSON list, or NULL"),
    Index(None, "account_id", "status", "created_at"),
)
"""Institutions' requests for a holder's consent (``siapkerja_core.prefill.ConsentRequest``)."""
status_lists: Final = Table(
    "sk_status_lists",
    metadata,
    Column("name", Text, primary_key=True),
    Column("size", BigInteger, nullable=False, comment="entries: a power of two, only grows"),
    Column("allocated", BigInteger, nullable=False, comment="indexes handed out"),
    Column("revision", BigInteger, nullable=False, comment="bumped by every status change"),
)
"""The card status list's state (:class:`~siapkerja_core.ports.StatusListState`); the
statuses themselves are the cards' ``revoked_at`` / ``suspended_at`` at ``status_index``."""
# --- event entry (siapkerja_core.gates) ------------------------------------------------
# No personal data: events and stations are the organiser's; a double entry holds a
# card reference, as sk_check_ins does.

events: Final = Table(
    "sk_events",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("venue", Text, nullable=False),
    Column("region_code", Text),
    Column("opens_at", UtcDateTime, nullable=False),
    Column("closes_at", UtcDateTime, nullable=False),
    Column("capacity", Integer),
    Column("organiser_id", Text, nullable=False),
    Column("class_id", Text),
    Column("programme_id", Text),
    Column("status", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "organiser_id", "opens_at"),
    Index(None, "closes_at"),
)
"""Events gates admit to (:class:`~siapkerja_core.gates.Event`)."""

stations: Final = Table(
    "sk_stations",
    metadata,
    Column("event_id", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("credential", Text, nullable=False),
    Column("public_key", Text, comment="Ed25519, base64url: public, no secret"),
    Column("key_hash", Text, unique=True, comment="HMAC of the API key"),
    Column("status", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("retired_at", UtcDateTime),
    PrimaryKeyConstraint("event_id", "id"),
)
"""The gates of each event and their credentials (:class:`~siapkerja_core.gates.Station`)."""

double_entries: Final = Table(
    "sk_double_entries",
    metadata,
    Column("event_id", Text, nullable=False),
    Column("card_ref", UInt64, nullable=False),
    Column("station_id", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("first_station_id", Text, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("event_id", "card_ref", "station_id"),
)
"""Cards seen at two stations of an event, found at sync
(:class:`~siapkerja_core.gates.DoubleEntry`)."""

# --- training classes and labour programmes (docs/uses/class-attendance.md, programmes.md) ---

classes: Final = Table(
    "sk_classes",
    metadata,
    Column("id", Text, primary_key=True),
    Column("institution_id", Text, nullable=False),
    Column("institution_kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("vocation", Text, nullable=False),
    Column("kbji_code", Text),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("min_attendance", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "institution_id", "starts_on"),
)
"""Training classes (:class:`~siapkerja_core.classes.TrainingClass`): no personal data."""

class_enrolments: Final = Table(
    "sk_class_enrolments",
    metadata,
    Column("class_id", Text, nullable=False),
    Column("account_id", Text, nullable=False, index=True),
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("withdrawn_at", UtcDateTime),
    PrimaryKeyConstraint("class_id", "account_id"),
)
"""Who is enrolled in which class: account ids, as consents and check-ins keep them."""

programmes: Final = Table(
    "sk_programmes",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("definition", Text, nullable=False, comment="JSON: Programme.as_data()"),
    Column("owner_id", Text),
    Column("public", Boolean, nullable=False),
    Column("created_at", UtcDateTime),
)
"""Programme definitions (:class:`~siapkerja_core.programmes.Programme`): rules as data."""

programme_enrolments: Final = Table(
    "sk_programme_enrolments",
    metadata,
    Column("programme_id", Text, nullable=False),
    Column("account_id", Text, nullable=False, index=True),
    Column("exclusion_group", Text),
    Column("enrolled_at", UtcDateTime, nullable=False),
    Column("event_id", Text),
    PrimaryKeyConstraint("programme_id", "account_id"),
)
"""Who was admitted to which programme (one row per holder and programme)."""

# --- use 1: the AK/I (kartu kuning) ---------------------------------------------------------

aki_registrations: Final = Table(
    "sk_aki_registrations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("number", Text, nullable=False, unique=True),
    Column("office_code", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("active", Boolean, nullable=False, comment="status applied or legalised"),
    Column("applied_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("legalised_on", Date),
    Column("officer_id", Text),
    Column(
        "data",
        LargeBinary,
        nullable=False,
        comment="AES-GCM: office and officer names, reports, placement, removal",
    ),
    Index(None, "office_code", "applied_at"),
    Index(None, "account_id", "applied_at"),
)
"""AK/I registrations (:class:`~siapkerja_core.aki.AkiRegistration`)."""
Index(
    "uq_sk_aki_registrations_account_active",
    aki_registrations.c.account_id,
    unique=True,
    sqlite_where=_ACTIVE_SQLITE,
    postgresql_where=aki_registrations.c.active,
)

aki_officers: Final = Table(
    "sk_aki_officers",
    metadata,
    Column("verifier_id", Text, primary_key=True),
    Column("office_code", Text, nullable=False),
    Column("office_name", Text, nullable=False),
    Column("appointed_at", UtcDateTime, nullable=False),
)
"""Which Disnaker (kabupaten/kota) each officer (a ``disnaker`` verifier) works for."""

ENCRYPTED_COLUMNS = (*ENCRYPTED_COLUMNS, (aki_registrations, "id", "data"))  # type: ignore[misc]

# --- single sign-on (siapkerja_core.sso, 0010_sso) ----------------------------------------------
# No personal data in the clear: a client is an institution's registration; a token row holds
# the HMAC of the token (never the token), ids, field names, OAuth values (nonce, PKCE
# challenge, redirect URI, scope). A pushed request's parameters may carry a ``login_hint``
# (an e-mail or phone) or an ``id_token_hint`` (a name): encrypted.

sso_clients: Final = Table(
    "sk_sso_clients",
    metadata,
    Column("id", Text, primary_key=True),
    Column("verifier_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("purpose", Text, nullable=False, comment="canonical: what consents match on"),
    Column("purpose_label", Text, nullable=False, comment="as typed: what holders read"),
    Column("fields", Text, nullable=False, comment="JSON list"),
    Column("essential", Text, nullable=False, comment="JSON list"),
    Column("redirect_uris", Text, nullable=False, comment="JSON list, in order"),
    Column("post_logout_redirect_uris", Text, nullable=False, comment="JSON list, in order"),
    Column("auth_method", Text, nullable=False),
    Column("jwks", Text, comment="JSON JWK Set: public keys only"),
    Column("id_token_alg", Text, nullable=False, server_default="EdDSA", comment="IdTokenAlg"),
    Column("high_assurance", Boolean, nullable=False),
    Column("step_up", Boolean, nullable=False),
    Column("rate_limit", Integer, nullable=False, comment="calls per minute"),
    Column("status", Text, nullable=False, comment="VerifierStatus"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("secret_rotated_at", UtcDateTime),
    Column("secret_hash", Text, comment="HMAC of the client secret; NULL: private_key_jwt"),
)
"""Relying parties (:class:`~siapkerja_core.sso.SsoClient`) and the HMAC of each one's secret."""

sso_tokens: Final = Table(
    "sk_sso_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True, comment="HMAC of the token, never the token"),
    Column("kind", Text, nullable=False, comment="TokenKind"),
    Column("client_id", Text, nullable=False),
    Column("grant_id", Text, nullable=False),
    Column("account_id", Text),
    Column("consent_id", Text),
    Column("fields", Text, nullable=False, comment="JSON list"),
    Column("scope", Text, nullable=False),
    Column("redirect_uri", Text),
    Column("nonce", Text),
    Column("code_challenge", Text),
    Column("code_challenge_method", Text),
    Column("auth_time", UtcDateTime),
    Column("amr", Text, nullable=False, comment="JSON list, in order"),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("params", LargeBinary, comment="AES-GCM: a pushed request's parameters (JSON)"),
    Index(None, "grant_id"),
    Index(None, "account_id", "client_id"),
    Index(None, "client_id"),
    Index(None, "expires_at"),
)
"""Codes, access and refresh tokens, pushed requests, spent states and assertion ids
(:class:`~siapkerja_core.sso.SsoToken`), by the HMAC of the token."""

ENCRYPTED_COLUMNS = (*ENCRYPTED_COLUMNS, (sso_tokens, "token_hash", "params"))  # type: ignore[misc,assignment]

# --- second factors (siapkerja_core.factors, 0011_factors) -------------------------------------
# A TOTP secret (or a WebAuthn ceremony's challenge) is encrypted; recovery codes are kept only
# as keyed hashes; a passkey's public key and credential id are public values.

factors: Final = Table(
    "sk_factors",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("kind", Text, nullable=False, comment="FactorKind"),
    Column("status", Text, nullable=False, comment="FactorStatus"),
    Column("label", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("secret", LargeBinary, comment="AES-GCM: the TOTP secret or a ceremony's challenge"),
    Column("last_step", BigInteger, comment="TOTP step of the last code accepted"),
    Column("code_hashes", Text, nullable=False, comment="JSON list of HMACs of recovery codes"),
    Column("credential_id", Text, comment="WebAuthn credential id, base64url"),
    Column("public_key", Text, comment="WebAuthn COSE public key, base64url: no secret"),
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", Text, nullable=False, comment="JSON list"),
    Index(None, "account_id"),
)
"""Second factors of accounts (:class:`~siapkerja_core.factors.FactorRecord`)."""

ENCRYPTED_COLUMNS = (*ENCRYPTED_COLUMNS, (factors, "id", "secret"))  # type: ignore[misc,assignment]
# --- the holder's rights (siapkerja_core.rights, 0012_rights) -----------------------------------
# Ids, kinds, times and an officer's actor; the holder's own words (an objection) are encrypted.

rights_requests: Final = Table(
    "sk_rights_requests",
    metadata,
    Column("id", Text, primary_key=True),
    Column("receipt", Text, nullable=False, unique=True),
    Column("account_id", Text, nullable=False),
    Column("kind", Text, nullable=False, comment="RightKind"),
    Column("status", Text, nullable=False, comment="RequestStatus"),
    Column("received_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False, comment="received_at + 3x24 h (UU 27/2022)"),
    Column("completed_at", UtcDateTime),
    Column("handled_by", Text),
    Column("note", LargeBinary, comment="AES-GCM: the holder's words"),
    Column("purge_after", UtcDateTime),
    Column("purged_at", UtcDateTime),
    Index(None, "account_id", "received_at"),
    Index(None, "status", "due_at"),
    Index(None, "purge_after"),
)
"""The holder's recorded rights requests (:class:`~siapkerja_core.rights.RightsRequest`)."""

rights_log: Final = Table(
    "sk_rights_log",
    metadata,
    Column("id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", Text, nullable=False),
    Column("detail", Text),
    Index(None, "account_id", "at"),
)
"""The record of processing no other table keeps: sign-ins
(:class:`~siapkerja_core.rights.ProcessingEntry`), append-only, erased with the account."""

rights_restrictions: Final = Table(
    "sk_rights_restrictions",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("restricted_at", UtcDateTime, nullable=False),
)
"""Accounts whose holder restricted processing (UU 27/2022 Pasal 11)."""

# An erasure finds the holder's registrations and password resets by account.
Index("ix_sk_registrations_account_id", registrations.c.account_id)
Index("ix_sk_password_resets_account_id", resets.c.account_id)

ENCRYPTED_COLUMNS = (*ENCRYPTED_COLUMNS, (rights_requests, "id", "note"))  # type: ignore[misc,assignment]
# --- disputes and re-proofing (siapkerja_core.disputes, 0013_disputes) ---------------------------
# A case names a person (NIK, name, new contacts, a password hash): all of it is one AES-GCM
# JSON document; only ids, kind, status and times are in the clear, for the officers' lists.

disputes: Final = Table(
    "sk_disputes",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False, comment="CaseKind"),
    Column("status", Text, nullable=False, comment="CaseStatus"),
    Column("account_id", Text, nullable=False, comment="the account the case is about"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, comment="the deadline of the current step"),
    Column("data", LargeBinary, nullable=False, comment="AES-GCM: the whole case as JSON"),
    Index(None, "account_id", "created_at"),
    Index(None, "due_at"),
    Index(None, "status", "created_at"),
)
"""Disputes over a NIK and identity re-proofings (:class:`~siapkerja_core.disputes.CaseRecord`)."""

ENCRYPTED_COLUMNS = (*ENCRYPTED_COLUMNS, (disputes, "id", "data"))  # type: ignore[misc,assignment]
# --- contacts and notices (siapkerja_core.second_contact, 0014_contacts) -------------------------
# The outbox carries e-mail too: ``channel`` says which sender a message goes to. A holder's
# verified second contact (a phone or an e-mail, for recovery) is personal data: encrypted.

outbox.append_column(
    Column("channel", Text, nullable=False, server_default="sms", comment="sms or email")
)

second_contacts: Final = Table(
    "sk_second_contacts",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("kind", Text, nullable=False, comment="ContactKind: phone or email"),
    Column("value", LargeBinary, nullable=False, comment="AES-GCM: the contact"),
    Column("verified_at", UtcDateTime, nullable=False),
)
"""Each holder's verified second contact (:class:`~siapkerja_core.second_contact.SecondContact`)."""

ENCRYPTED_COLUMNS = (*ENCRYPTED_COLUMNS, (second_contacts, "account_id", "value"))  # type: ignore[misc,assignment]
