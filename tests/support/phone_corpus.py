"""A corpus of phone numbers, and what the core makes of each: phonenumbers vs phonenumberslite.

The base install depends on ``phonenumberslite`` (the metadata-only build of
``phonenumbers``: same module name, no geocoder, carrier or time-zone data)
because, for everything siapkerja asks of it, its answers are those of the
full package. This module is how that is shown: :func:`answers` runs
:func:`~siapkerja_core.contact.normalize_phone` and the number-type lookup the
bulk import uses over :func:`corpus`, and ``tests/integration/test_install.py``
compares the answers of a clean venv with ``phonenumberslite`` to those of the
development venv's full ``phonenumbers`` (the same version).

The corpus: every phone-like string the repository's tests, data and docs
spell, plus generated Indonesian numbers — every ``08xx`` prefix and every
fixed-line area code, at every length from too short to too long, in each way
people write them (``0…``, ``+62…``, ``62…``, with separators) — plus foreign
numbers and malformed input.

Run as a script, it prints the answers as JSON (one ``[input, answer]`` pair a
line) for whichever ``phonenumbers`` distribution is importable.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Strings in quotes or CSV cells that look like a phone number: 0…, 62…, +62….
_SPELLED = re.compile(r"""(?<![\w+])(?:\+62|62|0)8[0-9 .()-]{6,16}[0-9](?![\w])""")
_SCANNED = ("tests", "docs", "examples", "src/siapkerja_adapters/data")
_SUFFIXES = frozenset({".py", ".md", ".csv", ".json", ".toml"})


def spelled_in_repository(root: Path = ROOT) -> set[str]:
    """Every phone-like string the tests, docs, examples and bundled data contain."""
    found: set[str] = set()
    for folder in _SCANNED:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in _SUFFIXES or not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            found.update(match.group(0) for match in _SPELLED.finditer(text))
    return found


def _national_numbers() -> Iterator[str]:
    """National significant numbers (no trunk 0): every mobile prefix and area code, all lengths."""
    for prefix in range(800, 900):  # 8xx: every mobile (and non-mobile 8xx) prefix
        for length in range(7, 15):  # total digits of the national number
            for filler in ("1234567890123", "0000000000000", "9876543210987"):
                yield str(prefix) + filler[: length - 3]
    for area in range(21, 100):  # two- and three-digit area codes: 21 (Jakarta) … 99x
        if str(area).startswith("8"):
            continue
        for length in range(7, 13):
            yield str(area) + "5551234567"[: length - 2]
            yield str(area) + "1" + "7654321098"[: length - 3]
    yield from ("1500123", "8001234567", "80912345678")  # toll-free and premium ranges


def corpus(root: Path = ROOT) -> list[str]:
    """The inputs, sorted: spelled in the repository, generated, foreign and malformed."""
    inputs = set(spelled_in_repository(root))
    for national in _national_numbers():
        inputs.add("0" + national)
        inputs.add("+62" + national)
        inputs.add("62" + national)
        inputs.add("+62 0" + national)
        spaced = f"0{national[:3]}-{national[3:7]}-{national[7:]}".rstrip("-")
        inputs.add(spaced)
    inputs.update(
        {
            "",
            " ",
            "+1 650 253 0000",
            "+44 20 7946 0958",
            "+60 12-345 6789",
            "+65 8123 4567",
            "+61 412 345 678",
            "0062 812 3456 7890",
            "+0062 812 3456 7890",
            "081234567890;",
            "0812 3456 78ab",
            "+",
            "++6281234567890",
            "０８１２３４５６７８９０",
            "＋６２ ８１２ ３４５６ ７８９０",
            "(0812) 3456.7890",
            "0" * 20,
            "8" * 30,
        }
    )
    return sorted(inputs)


def answers(inputs: list[str]) -> list[list[str]]:
    """``[input, answer]`` for each input.

    The answer is ``normalize_phone``'s E.164 or ``!<error code>``, then ``|``
    and the ``phonenumbers`` number type of the ``+62`` reading of the digits
    (what the bulk import's fast path looks up), or ``-`` when there is none.
    """
    import phonenumbers

    from siapkerja_core.contact import InvalidPhone, normalize_phone

    out: list[list[str]] = []
    for text in inputs:
        try:
            answer = normalize_phone(text)
        except InvalidPhone as error:
            answer = "!" + error.code
        digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit()).lstrip("0")
        if digits.startswith("62"):
            digits = digits[2:]
        kind = "-"
        if 0 < len(digits) <= 17:
            number = phonenumbers.PhoneNumber(country_code=62, national_number=int(digits))
            kind = str(phonenumbers.number_type(number))
        out.append([text, f"{answer}|{kind}"])
    return out


def main() -> None:
    """Print the answers of the importable ``phonenumbers`` as JSON lines (first: its version)."""
    import phonenumbers

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    print(json.dumps({"phonenumbers": phonenumbers.__version__}))
    for pair in answers(corpus(root)):
        print(json.dumps(pair, ensure_ascii=False))


if __name__ == "__main__":
    main()
