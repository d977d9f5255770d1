"""The profile's errors and warnings: the ``profile`` error domain, :class:`ProfileError`
and :class:`ProfileWarning` (a difference from the NIK, never an error).
"""

from __future__ import annotations

from typing import ClassVar, cast

from attrs import frozen

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.i18n import both, is_english

__all__ = ["ProfileDomainError", "ProfileError", "ProfileWarning"]

# --------------------------------------------------------------------------
# Errors and warnings
# --------------------------------------------------------------------------


class ProfileDomainError(SiapkerjaError):
    """The ``profile`` error domain, owned here: a value refused (:class:`ProfileError`)
    or sections still missing (:class:`~siapkerja_core.completeness.ProfileIncomplete`).

    The two stay separate classes — a form shows a :class:`ProfileError` beside its
    field and an incomplete profile as a list — but share one domain and one owner.
    """

    domain = "profile"


class ProfileError(ProfileDomainError, ValueError):
    """A profile value that cannot be accepted. ``field`` names where it is.

    Codes: ``invalid_field`` (with ``reason``/``reason_id``), ``village``,
    ``date_order``, ``photo_type``, ``photo_size``, ``private_section``,
    ``unknown_section``. Built directly, ``field`` is the attribute name
    (``"gpa"``); from :func:`siapkerja_core.converter.structure_profile` it is
    the path in the document (``"education[0].gpa"``, ``"$"`` for the whole
    document) and ``errors`` holds every problem found, not just the first.
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "invalid_field",
            "village",
            "date_order",
            "photo_type",
            "photo_size",
            "private_section",
            "unknown_section",
        }
    )

    def __init__(self, code: str, **params: object) -> None:
        if "reason" in params and "reason_id" not in params:
            params["reason_id"] = params["reason"]  # a caller that gave one language
        super().__init__(code, **params)

    @property
    def field(self) -> str | None:
        """Where the problem is: an attribute name, or a document path."""
        value = self.params.get("field")
        return None if value is None else str(value)

    @property
    def errors(self) -> tuple[ProfileError, ...]:
        """Every problem found (structuring reports them all); ``(self,)`` otherwise."""
        found = self.params.get("errors")
        return cast("tuple[ProfileError, ...]", found) if isinstance(found, tuple) else (self,)


def _invalid(field_name: str, reason_id: str, reason_en: str) -> ProfileError:
    return ProfileError("invalid_field", field=field_name, reason=reason_en, reason_id=reason_id)


def _invalid_because(field_name: str, key: str, /, **params: object) -> ProfileError:
    """``invalid_field`` at ``field_name`` for the catalogue's reason ``key``."""
    reason_id, reason_en = both(key, **params)
    return _invalid(field_name, reason_id, reason_en)


@frozen(kw_only=True)
class ProfileWarning:
    """Something worth telling the holder that is not an error.

    ``code`` is stable (``birth_date_differs``, ``sex_differs``); ``field`` is
    the profile path concerned.
    """

    code: str
    field: str
    message_id: str
    message_en: str

    @classmethod
    def of(cls, code: str, field: str, /, **params: object) -> ProfileWarning:
        """The warning ``code`` worded by the catalogues (``warning.profile.<code>``)."""
        message_id, message_en = both(f"warning.profile.{code}", **params)
        return cls(code=code, field=field, message_id=message_id, message_en=message_en)

    def message(self, lang: str = "id") -> str:
        """The message in ``lang``: English for an English tag, else Indonesian."""
        return self.message_en if is_english(lang) else self.message_id


class _Reason(ValueError):
    """Why a value failed to parse, in both languages (private: becomes a ProfileError)."""

    def __init__(self, reason_id: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_id = reason_id
        self.reason_en = reason_en

    @classmethod
    def of(cls, key: str, /, **params: object) -> _Reason:
        """The reason written in the catalogues under ``key`` (``reason.date_format``)."""
        return cls(*both(key, **params))
