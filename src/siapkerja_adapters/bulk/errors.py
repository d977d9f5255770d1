"""The typed errors of the bulk jobs: a registry that is not ``offline``, a bad AK/I cell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from siapkerja_core.errors import ConfigurationError, Message, SiapkerjaError

if TYPE_CHECKING:
    pass


class OfflineRegistryRequired(ConfigurationError):
    """Residents can only be loaded into the ``offline`` Dukcapil registry.

    Code ``config.offline_only`` (a :class:`ConfigurationError`, so callers
    catching configuration problems catch it too).
    """

    messages: ClassVar[Mapping[str, Message]] = {
        "offline_only": (
            "Hanya registri offline yang dapat memuat data penduduk; adapter dukcapil yang"
            ' aktif adalah {name!r} (atur dukcapil = "offline").',
            "Only the offline registry loads residents; the active dukcapil adapter is"
            ' {name!r} (set dukcapil = "offline").',
        ),
    }


class BulkDataError(SiapkerjaError, ValueError):
    """An AK/I CSV, or one of its rows, cannot be used.

    File-level codes (raised, nothing more is read): ``header`` and ``file``.
    Row-level codes (recorded as a :class:`BadRow`, the import goes on):
    ``columns``, ``empty``, ``value``, ``nik_number``, ``duplicate``,
    ``photo`` and ``csv``. ``column`` names the column at fault. Params never
    carry a value read from the file (personal data), only positions and reasons.
    """

    domain = "bulk"
    messages: ClassVar[Mapping[str, Message]] = {
        "header": (
            "Baris pertama {path} bukan header AK/I yang dikenal: {problem_id}.",
            "The first line of {path} is not a known AK/I header: {problem_en}.",
        ),
        "file": (
            "Berkas {path} tidak dapat dibaca: {reason_id}.",
            "The file {path} cannot be read: {reason_en}.",
        ),
        "columns": (
            "Baris ini berisi {count} kolom, sedangkan header {expected} kolom.",
            "The row has {count} columns, the header {expected}.",
        ),
        "empty": ("Kolom {column} wajib diisi.", "Column {column} is required."),
        "value": ("Kolom {column}: {reason_id}.", "Column {column}: {reason_en}."),
        "nik_number": (
            "Kolom nik: NIK tersimpan sebagai angka oleh spreadsheet (mis. 3.17101E+15)"
            " sehingga digitnya hilang; ekspor ulang kolom NIK sebagai teks.",
            "Column nik: the NIK was stored as a number by a spreadsheet (e.g. 3.17101E+15),"
            " so its digits are lost; export the NIK column again as text.",
        ),
        "duplicate": (
            "NIK yang sama sudah diimpor dari baris {first}; satu baris untuk satu orang.",
            "The same NIK was already imported from line {first}; one row per person.",
        ),
        "photo": ("Kolom photo: {reason_id}.", "Column photo: {reason_en}."),
        "csv": (
            "Baris CSV tidak dapat diurai: {error}.",
            "The CSV row cannot be parsed: {error}.",
        ),
    }

    @property
    def column(self) -> str | None:
        """The column at fault, when there is one."""
        value = self.params.get("column")
        return None if value is None else str(value)


def _value_error(column: str, reason_id: str, reason_en: str) -> BulkDataError:
    return BulkDataError("value", column=column, reason_id=reason_id, reason_en=reason_en)
