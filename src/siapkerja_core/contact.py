"""Contact normalisation: Indonesian mobile numbers and email addresses.

This module owns the *canonical form* of the two contact channels the
SIAPkerja-ID journey uses, and the way they are shown back to people:

* :func:`normalize_phone` turns whatever a person typed (``0812-3456-7890``,
  ``+62 812…``, ``62812…``, ``+62 0812…``, full-width digits, …) into the E.164
  form ``+628…`` — or refuses it with an :class:`InvalidPhone` whose ``code``
  says why. Validity, length and number type come from Google's
  libphonenumber metadata (the ``phonenumbers`` package), never from a
  hand-written pattern.
* :func:`normalize_email` turns an address into its normalised form with
  ``email-validator`` (syntax only: DNS deliverability checks are **off**) and
  lower-cases the local part, or refuses it with an :class:`InvalidEmail`.
* :func:`mask_phone` and :func:`mask_email` render a stored contact for
  someone who may not own it (e.g. "we sent a code to +6281******890").

Everything here is pure: no network, no files, no clock. ``phonenumbers`` and
``email_validator`` are imported lazily inside the functions so that importing
the core stays cheap.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, ClassVar

from siapkerja_core.errors import SiapkerjaError

if TYPE_CHECKING:  # keeps both libraries out of import time
    from email_validator import ValidatedEmail
    from phonenumbers import PhoneNumber

__all__ = [
    "InvalidEmail",
    "InvalidPhone",
    "mask_email",
    "mask_phone",
    "normalize_email",
    "normalize_phone",
]

# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class InvalidPhone(SiapkerjaError):
    """A phone number that is not an acceptable Indonesian mobile number.

    Codes: ``empty``, ``format``, ``international_prefix``, ``too_short``,
    ``too_long``, ``not_mobile``, ``country``, ``invalid``. Params never carry
    the number itself (only ``country_code`` for ``country``).
    """

    domain = "phone"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "empty",
            "format",
            "international_prefix",
            "too_short",
            "too_long",
            "not_mobile",
            "country",
            "invalid",
        }
    )


class InvalidEmail(SiapkerjaError):
    """An email address that cannot be accepted.

    Codes: ``empty``, ``syntax``, ``too_long``, ``domain``. Params are empty but
    for ``too_long``'s limits (``max``: :data:`MAX_EMAIL_LENGTH`, ``local_max``:
    :data:`MAX_EMAIL_LOCAL_LENGTH`), which its message states; never the input. The
    underlying ``email_validator`` error is kept as ``__cause__``.
    """

    domain = "email"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "empty",
            "syntax",
            "too_long",
            "domain",
        }
    )


# --------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------

_ID_COUNTRY_CODE = 62
_ID_REGION = "ID"

#: Inputs longer than this (after stripping surrounding whitespace) are refused
#: as ``too_long`` before any parsing: no real spelling of a mobile number comes
#: close, and it bounds the work done on hostile input.
MAX_PHONE_INPUT = 64

_PLUS_SIGNS = frozenset("+\uff0b")  # ASCII plus, full-width plus
_SEPARATORS = frozenset(
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"  # hyphen/dash/minus variants
    ".\uff0e"  # full stop, full-width full stop
    "()\uff08\uff09"  # parentheses, full-width parentheses
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, BOM (from copy-paste)
)


def _compact_phone(text: str) -> str:
    """Screen the characters of ``text`` and return ``[+]digits`` in ASCII.

    Accepts any Unicode decimal digit (full-width ``０``-``９`` included),
    whitespace, the separators above and one leading plus sign. Anything else
    (letters, ``#``, ``*``, ``;``, a ``+`` in the middle, …) is ``format``:
    phonenumbers would otherwise read letters as keypad digits or drop trailing
    garbage silently.
    """
    out: list[str] = []
    seen_digit = False
    for ch in text:
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
            seen_digit = True
        elif ch in _PLUS_SIGNS and not out:
            out.append("+")
        elif ch.isspace() or ch in _SEPARATORS:
            continue
        else:
            raise InvalidPhone("format")
    if not seen_digit:
        raise InvalidPhone("format")
    return "".join(out)


def normalize_phone(text: str) -> str:
    """Return the Indonesian mobile number in ``text`` as E.164 (``+628…``).

    Accepted spellings include ``081234567890``, ``0812-3456-7890``,
    ``(0812) 3456.7890``, ``+62 812-3456-7890``, ``6281234567890``,
    ``+62 0812…``/``62 0812…`` (kept trunk zero), ``812 3456 7890`` and
    full-width digits. The number is parsed with ``phonenumbers`` for region
    ``"ID"`` and must be a valid ``MOBILE`` (or ``FIXED_LINE_OR_MOBILE``) number.
    When ``62…`` without ``+`` reads nationally as a non-mobile number, the
    ``+62…`` reading is used if it is a valid mobile.

    Raises :class:`InvalidPhone` with code ``empty``, ``format``,
    ``international_prefix``, ``too_short``, ``too_long``, ``not_mobile``,
    ``country`` or ``invalid``.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidPhone("empty")
    if len(stripped) > MAX_PHONE_INPUT:
        raise InvalidPhone("too_long")
    compact = _compact_phone(stripped)
    if compact.startswith(("0062", "+0062")):
        # Indonesia's international call prefixes are 00[89]; "0062" is a common
        # mistake that phonenumbers would read as a national number.
        raise InvalidPhone("international_prefix")

    import phonenumbers

    number = _parse_phone(compact)
    if compact.startswith("62") and not _is_id_mobile(number):
        # "62…" without "+": phonenumbers prefers a national reading (a fixed line
        # in an 06xx area, e.g. "62811000000") whenever that is valid. A person
        # who types 62 in front of a mobile number means +62, so we take the
        # international reading when — and only when — it is a valid mobile.
        try:
            alternative = phonenumbers.parse("+" + compact, _ID_REGION)
        except phonenumbers.NumberParseException:
            pass
        else:
            if _is_id_mobile(alternative):
                number = alternative

    if number.country_code != _ID_COUNTRY_CODE:
        if phonenumbers.is_valid_number(number):
            raise InvalidPhone("country", country_code=number.country_code)
        raise InvalidPhone("invalid")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_length_code(number))
    if not _is_id_mobile(number):
        raise InvalidPhone("not_mobile")

    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164


def _parse_phone(compact: str) -> PhoneNumber:
    """``phonenumbers.parse`` for region ID, its failures mapped to :class:`InvalidPhone`."""
    import phonenumbers

    try:
        return phonenumbers.parse(compact, _ID_REGION)
    except phonenumbers.NumberParseException as exc:
        reason = exc.error_type
        if reason in (
            phonenumbers.NumberParseException.TOO_SHORT_NSN,
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
        ):
            raise InvalidPhone("too_short") from exc
        if reason == phonenumbers.NumberParseException.TOO_LONG:
            raise InvalidPhone("too_long") from exc
        raise InvalidPhone("format") from exc


def _is_id_mobile(number: PhoneNumber) -> bool:
    """Whether ``number`` is a valid Indonesian number of a type that receives SMS."""
    import phonenumbers

    return (
        number.country_code == _ID_COUNTRY_CODE
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number)
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    )


def _length_code(number: PhoneNumber) -> str:
    """Tell ``too_short``/``too_long`` apart from ``invalid`` for an invalid +62 number.

    The general check (:func:`phonenumbers.is_possible_number_with_reason`)
    uses the union of all Indonesian lengths (fixed lines are longer than
    mobiles), so it is followed by the same check against the lengths of the
    ``MOBILE`` type, the only type we accept.
    """
    import phonenumbers

    result = phonenumbers.ValidationResult
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == result.IS_POSSIBLE:
        reason = phonenumbers.is_possible_number_for_type_with_reason(
            number, phonenumbers.PhoneNumberType.MOBILE
        )
    if reason == result.TOO_SHORT:
        return "too_short"
    if reason == result.TOO_LONG:
        return "too_long"
    return "invalid"


#: Subscriber digits (after the country code) that :func:`mask_phone` keeps.
_PHONE_KEEP_HEAD = 2
_PHONE_KEEP_TAIL = 3
_PHONE_PREFIX = "+62"


def mask_phone(e164: str) -> str:
    """Mask an E.164 Indonesian number for display to someone who may not own it.

    Rule: keep ``+62``, the first 2 and the last 3 digits of the national
    number, and replace every other digit with ``*`` (one star per digit, so
    the length stays visible). At most 5 national digits are revealed, and the
    first of them is always the ``8`` every mobile number starts with::

        >>> mask_phone("+6281234567890")
        '+6281******890'

    ``e164`` must be ``+62`` followed by at least 8 ASCII digits (anything
    :func:`normalize_phone` returns qualifies); otherwise :class:`InvalidPhone`
    ``format`` is raised rather than risk revealing a short number in full.
    """
    national = e164[len(_PHONE_PREFIX) :]
    if (
        not e164.startswith(_PHONE_PREFIX)
        or not (national.isascii() and national.isdigit())
        or len(national) < 8
    ):
        raise InvalidPhone("format")
    hidden = len(national) - _PHONE_KEEP_HEAD - _PHONE_KEEP_TAIL
    return (
        _PHONE_PREFIX
        + national[:_PHONE_KEEP_HEAD]
        + "*" * hidden
        + national[len(national) - _PHONE_KEEP_TAIL :]
    )


# --------------------------------------------------------------------------
# Email addresses
# --------------------------------------------------------------------------

#: Inputs longer than this are refused as ``too_long`` before parsing (no valid
#: address exceeds 254 characters; this bounds the work on hostile input).
MAX_EMAIL_INPUT = 512

#: The longest address (RFC 5321's path limit less its angle brackets) and the longest
#: part before the "@" (RFC 5321 §4.5.3.1.1), as ``email_validator`` checks them: what
#: a ``too_long`` refusal tells the person.
MAX_EMAIL_LENGTH = 254
MAX_EMAIL_LOCAL_LENGTH = 64


def _email_too_long() -> InvalidEmail:
    return InvalidEmail("too_long", max=MAX_EMAIL_LENGTH, local_max=MAX_EMAIL_LOCAL_LENGTH)


def normalize_email(text: str) -> str:
    """Return the normalised form of the email address in ``text``.

    Surrounding whitespace is stripped, then the address is checked and
    normalised by ``email_validator.validate_email`` with
    ``check_deliverability=False`` (no DNS: the core is pure) and every option
    pinned explicitly (no quoted local parts, no ``[IP]`` literals, no display
    names, globally deliverable domains only, ``strict`` length checks), so
    code elsewhere changing ``email_validator``'s global defaults cannot change
    our behaviour. The domain comes back lower-cased and in Unicode form
    (``xn--`` labels are decoded), and the address is Unicode NFC-normalised.

    The local part is lower-cased as well (``str.lower``). RFC 5321 lets a
    mailbox be case-sensitive, but the providers people in Indonesia actually
    use (Gmail, Yahoo, Outlook and the usual hosted ``.co.id``/``.go.id`` mail)
    treat it case-insensitively, and an account's address must stay unique
    however it was typed: ``Galih@…`` and ``galih@…`` are one person.

    Raises :class:`InvalidEmail` with code ``empty``, ``syntax``, ``too_long``
    or ``domain``.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidEmail("empty")
    if len(stripped) > MAX_EMAIL_INPUT:
        raise _email_too_long()
    first = _validate_email(stripped)
    # Re-validate after lower-casing: lower() can change the length or the
    # normalisation of non-ASCII characters, and the result must be valid too.
    second = _validate_email(first.local_part.lower() + "@" + first.domain)
    normalized: str = second.normalized
    return normalized


def _validate_email(address: str) -> ValidatedEmail:
    from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email

    try:
        return validate_email(
            address,
            check_deliverability=False,
            allow_smtputf8=True,
            allow_empty_local=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            globally_deliverable=True,
            test_environment=False,
            strict=True,  # also enforces the 64-character local-part limit
        )
    except EmailUndeliverableError as exc:  # not raised without DNS; kept for safety
        raise InvalidEmail("domain") from exc
    except EmailNotValidError as exc:
        code = _email_error_code(str(exc))
        raise (_email_too_long() if code == "too_long" else InvalidEmail(code)) from exc


# Fragments of email_validator 2.x messages, mapped to our codes. Anything not
# listed is ``syntax``. Pinned by tests so a wording change upstream is noticed.
_EMAIL_MESSAGE_CODES: tuple[tuple[str, str], ...] = (
    ("too long", "too_long"),
    ("cannot be separated by so many characters", "too_long"),  # a DNS label > 63
    ("should have a period", "domain"),
    ("not within a valid top-level domain", "domain"),
    ("special-use or reserved name", "domain"),
)


def _email_error_code(message: str) -> str:
    for fragment, code in _EMAIL_MESSAGE_CODES:
        if fragment in message:
            return code
    return "syntax"


_EMAIL_KEEP_HEAD = 2


def mask_email(email: str) -> str:
    """Mask an email address for display to someone who may not own it.

    Rule: keep the domain, keep ``min(2, len(local) // 2)`` leading characters
    of the local part and replace each other character with ``*``. So at most
    2 characters are revealed, and never more than half of a short local part::

        >>> mask_email("galih.pambayun@gmail.com")
        'ga************@gmail.com'
        >>> mask_email("ab@x.id")
        'a*@x.id'

    Raises :class:`InvalidEmail` ``syntax`` when there is no ``@`` or nothing
    before it.
    """
    local, at, domain = email.rpartition("@")
    if not at or not local:
        raise InvalidEmail("syntax")
    keep = min(_EMAIL_KEEP_HEAD, len(local) // 2)
    return local[:keep] + "*" * (len(local) - keep) + "@" + domain
