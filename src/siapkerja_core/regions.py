"""Kemendagri region codes: provinces, regencies/cities, districts and villages.

This module owns the packaged region data (``data/regions``: the 2025
Kepmendagri edition plus every code retired since 2015, from cahyadsn/wilayah,
MIT — see ``data/regions/SOURCE.md``) and the lookups over it:
:func:`lookup` and the per-level helpers, :func:`children`, :func:`path`,
:func:`search` (and :func:`find`, which also says how many matched), and how a
region is written for people: :func:`label` ("Kecamatan Pal Merah", "Provinsi
DKI Jakarta"), :func:`option_name` (a list's choice, name first: "Dago
(Kelurahan)") and :func:`line` (a village with every region above it, on one
line).

The data has no postal codes: Kemendagri's list does not carry them, and
no postal-code list with a licence fit to ship was found, so an address's
postal code is typed by the person (five digits).

Codes are the ones the Ministry of Home Affairs assigns and NIKs carry — not
the statistics bureau's (BPS), which differ. A code's parent is its prefix
(``3171`` → ``31``; ``317101`` → ``3171``; ``3171011001`` → ``317101``).

Retired codes (a regency or district that was split, moved to a new province
or renumbered) keep their last name and say so (``Region.retired``): a NIK
issued under a code never changes, so such codes stay resolvable for life.

Loading is lazy: nothing is read at import. The first lookup reads the
province/regency/district table (about 8,500 rows, a few milliseconds); the
84,000 villages are read only when a village is first asked for.
"""

from __future__ import annotations

import os
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache
from typing import Final, Literal

from attrs import frozen

__all__ = [
    "CURRENT_EDITION",
    "Found",
    "Level",
    "Region",
    "children",
    "district",
    "district_codes",
    "find",
    "label",
    "line",
    "lookup",
    "option_name",
    "path",
    "province",
    "regency",
    "search",
    "short_name",
    "village",
]

Level = Literal["province", "regency", "district", "village"]

CURRENT_EDITION: Final = 2025
"""The year of the newest Kepmendagri edition in the packaged data."""

_LEVEL_BY_LENGTH: Final[dict[int, Level]] = {
    2: "province",
    4: "regency",
    6: "district",
    10: "village",
}
_PARENT_LENGTH: Final[dict[int, int]] = {4: 2, 6: 4, 10: 6}
# A plain path beside this module: importlib.resources would add to the import
# time (benchmarks/README.md), and the package is always installed as files
# (never zipped).
_DATA: Final = os.path.join(os.path.dirname(__file__), "data", "regions")


@frozen
class Region:
    """One administrative region.

    ``last_edition`` is the year of the newest list the code appears in:
    :data:`CURRENT_EDITION` for a current code, earlier for a retired one.
    """

    code: str
    name: str
    retired: bool = False
    last_edition: int = CURRENT_EDITION

    @property
    def level(self) -> Level:
        """``province``, ``regency``, ``district`` or ``village``, from the code's length."""
        return _LEVEL_BY_LENGTH[len(self.code)]

    @property
    def parent_code(self) -> str | None:
        """The code of the enclosing region (``None`` for a province)."""
        length = _PARENT_LENGTH.get(len(self.code))
        return None if length is None else self.code[:length]

    @property
    def is_city(self) -> bool:
        """True for a *kota* (regency codes 71–99), false for a *kabupaten* and other levels."""
        return len(self.code) == 4 and self.code[2:] >= "71"


class _Table:
    """The parsed ``regions.tsv``: code -> (name, retired, last edition)."""

    __slots__ = ("by_code", "children", "current_district_codes", "district_codes")

    def __init__(self, text: str) -> None:
        by_code: dict[str, tuple[str, bool, int]] = {}
        children: dict[str, list[str]] = {}
        for line in text.splitlines():
            code, name, status, last = line.split("\t")
            by_code[code] = (name, status == "r", int(last))
            if len(code) > 2:
                children.setdefault(code[: _PARENT_LENGTH[len(code)]], []).append(code)
            else:
                children.setdefault("", []).append(code)
        self.by_code = by_code
        self.children = children
        self.district_codes: frozenset[str] = frozenset(c for c in by_code if len(c) == 6)
        self.current_district_codes: frozenset[str] = frozenset(
            c for c in self.district_codes if not by_code[c][1]
        )


@cache
def _table() -> _Table:
    with open(os.path.join(_DATA, "regions.tsv"), encoding="utf-8") as handle:
        return _Table(handle.read())


@cache
def _villages() -> tuple[dict[str, str], dict[str, list[str]]]:
    import gzip  # only villages need it: kept off the import path of the NIK parser

    with gzip.open(os.path.join(_DATA, "villages.tsv.gz"), "rt", encoding="utf-8") as handle:
        names: dict[str, str] = {}
        by_district: dict[str, list[str]] = {}
        for line in handle:
            code, name = line.rstrip("\n").split("\t")
            names[code] = name
            by_district.setdefault(code[:6], []).append(code)
    return names, by_district


def district_codes(*, include_retired: bool = True) -> frozenset[str]:
    """Every six-digit district (kecamatan) code — the first six digits of a NIK."""
    table = _table()
    return table.district_codes if include_retired else table.current_district_codes


def lookup(code: str) -> Region | None:
    """The region with this Kemendagri code at any level, or ``None``.

    Separators are ignored (``"31.71.01"`` and ``"317101"`` are the same code),
    so codes can be pasted from sources that print them dotted.
    """
    code = code.replace(".", "").strip()
    if len(code) == 10:
        name = _villages()[0].get(code)
        return None if name is None else Region(code, name)
    row = _table().by_code.get(code)
    return None if row is None else Region(code, row[0], row[1], row[2])


def _at_level(code: str, level: Level) -> Region | None:
    region = lookup(code)
    return region if region is not None and region.level == level else None


def province(code: str) -> Region | None:
    """The province (*provinsi*) with this two-digit code, or ``None``."""
    return _at_level(code, "province")


def regency(code: str) -> Region | None:
    """The regency or city (*kabupaten/kota*) with this four-digit code, or ``None``."""
    return _at_level(code, "regency")


def district(code: str) -> Region | None:
    """The district (*kecamatan*) with this six-digit code, or ``None``."""
    return _at_level(code, "district")


def village(code: str) -> Region | None:
    """The village (*desa/kelurahan*) with this ten-digit code, or ``None``."""
    return _at_level(code, "village")


def children(code: str = "", *, include_retired: bool = False) -> list[Region]:
    """The regions directly inside ``code``, in code order.

    ``children()`` lists the provinces; ``children("31")`` the regencies of
    DKI Jakarta; a district code lists its villages. Retired codes are left
    out unless ``include_retired`` is true (they have no villages).
    """
    code = code.replace(".", "").strip()
    if len(code) == 6:
        names, by_district = _villages()
        return [Region(c, names[c]) for c in by_district.get(code, ())]
    table = _table()
    found = (Region(c, *table.by_code[c]) for c in table.children.get(code, ()))
    return [r for r in found if include_retired or not r.retired]


def path(code: str) -> list[Region]:
    """The chain from the province down to ``code`` (empty if ``code`` is unknown).

    ``path("3171011001")`` gives DKI Jakarta, Kota Adm. Jakarta Pusat, Gambir
    and the village — the order an address is written in reverse.
    """
    code = code.replace(".", "").strip()
    if lookup(code) is None:
        return []
    prefixes = [code[:n] for n in (2, 4, 6, 10) if n <= len(code)]
    return [r for r in map(lookup, prefixes) if r is not None]


_PROVINCE_SHORT: Final = (
    ("Daerah Khusus Ibukota ", "DKI "),
    ("Daerah Istimewa ", "DI "),
)
_REGENCY_SHORT: Final = (
    ("Kabupaten Administrasi ", "Kab. Adm. "),
    ("Kota Administrasi ", "Kota Adm. "),
    ("Kabupaten ", "Kab. "),
)


def _shorten(name: str, table: tuple[tuple[str, str], ...]) -> str:
    for long, short in table:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def short_name(name: str, level: Level) -> str:
    """A province's or regency's name as addresses print it ("DKI Jakarta", "Kota Adm.
    Jakarta Barat", "Kab. Bogor"); a district's or village's name is unchanged."""
    if level == "province":
        return _shorten(name, _PROVINCE_SHORT)
    if level == "regency":
        return _shorten(name, _REGENCY_SHORT)
    return name


def label(region: Region, *, short: bool = False) -> str:
    """The region as written in an address: its kind, then its name.

    ``"Provinsi Jawa Barat"``, ``"Kota Administrasi Jakarta Barat"`` (a regency's
    name already says *Kabupaten* or *Kota*), ``"Kecamatan Pal Merah"``,
    ``"Kelurahan Palmerah"`` or ``"Desa Sukamaju"``: a village whose code's
    seventh digit is 1 is a *kelurahan*, any other a *desa* (Kemendagri's
    numbering). ``short`` abbreviates the long forms as addresses print them
    ("Provinsi DKI Jakarta", "Kota Adm. Jakarta Barat", "Kab. Bogor").
    """
    level = region.level
    if level == "province":
        return "Provinsi " + (short_name(region.name, level) if short else region.name)
    if level == "regency":
        return short_name(region.name, level) if short else region.name
    if level == "district":
        return "Kecamatan " + region.name
    return ("Kelurahan " if region.code[6] == "1" else "Desa ") + region.name


_REGENCY_KINDS: Final = ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota ")


def option_name(region: Region) -> str:
    """The region as a list of choices shows it: its name first, its kind after.

    ``"Dago (Kelurahan)"``, ``"Sukamaju (Desa)"``, ``"Bandung (Kabupaten)"`` and
    ``"Bandung (Kota)"``, ``"Jakarta Barat (Kota Administrasi)"``; a province or a
    district is its name alone (every choice of its list is of the same kind).
    Name first because a browser's ``<select>`` finds an option by the first
    letters typed: with "Kelurahan …" first, typing "Dago" found nothing. The kind
    stays, in brackets, because a regency and a city can share a name (Bandung,
    Bogor, Malang …) and a person must tell them apart.
    """
    level = region.level
    if level == "village":
        return f"{region.name} ({'Kelurahan' if region.code[6] == '1' else 'Desa'})"
    if level == "regency":
        for kind in _REGENCY_KINDS:
            if region.name.startswith(kind):
                return f"{region.name[len(kind) :]} ({kind.strip()})"
    return region.name


def line(code: str) -> str:
    """``code`` and every region above it on one line, the smallest first, short forms.

    ``line("3173071001")`` is ``"Kelurahan Palmerah, Kecamatan Pal Merah, Kota Adm.
    Jakarta Barat, Provinsi DKI Jakarta"``. An unknown code gives ``""``; a code
    whose own level is unknown (a village of a district since renumbered) gives
    the regions above it that are still known.
    """
    code = code.replace(".", "").strip()
    if len(code) not in _LEVEL_BY_LENGTH or not (code.isascii() and code.isdigit()):
        return ""
    prefixes = (code[:n] for n in (2, 4, 6, 10) if n <= len(code))
    known = [region for region in map(lookup, prefixes) if region is not None]
    return ", ".join(label(region, short=True) for region in reversed(known))


def _fold(text: str) -> str:
    """Fold a name for matching: NFKC, case, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


_REGENCY_PREFIXES: Final = (
    "kabupaten administrasi ",
    "kabupaten adm ",
    "kabupaten ",
    "kab ",
    "kota administrasi ",
    "kota adm ",
    "kota ",
)


def _without_regency_prefix(folded: str) -> str:
    for prefix in _REGENCY_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


@cache
def _search_index() -> tuple[tuple[str, str], ...]:
    entries = []
    for code, (name, _retired, _last) in _table().by_code.items():
        folded = _fold(name)
        entries.append((folded, code))
        if len(code) == 4 and (bare := _without_regency_prefix(folded)) != folded:
            entries.append((bare, code))
    return tuple(entries)


@frozen
class Found:
    """The first matches of a search (``regions``) and how many matched in all (``total``):
    a list cut at ten must be able to say that there are more."""

    regions: tuple[Region, ...]
    total: int


def search(
    text: str,
    *,
    level: Level | None = None,
    within: str | None = None,
    include_retired: bool = False,
    limit: int | None = 20,
) -> list[Region]:
    """Regions whose name matches ``text``, best matches first (:func:`find`'s ``regions``)."""
    found = find(text, level=level, within=within, include_retired=include_retired, limit=limit)
    return list(found.regions)


def find(
    text: str,
    *,
    level: Level | None = None,
    within: str | None = None,
    include_retired: bool = False,
    limit: int | None = 20,
) -> Found:
    """Regions whose name matches ``text``, best matches first, and how many matched.

    Matching ignores case, punctuation and spacing, and a regency's
    "Kabupaten"/"Kota" prefix: ``search("jakarta barat")`` finds
    *Kota Adm. Jakarta Barat*. Exact names rank before prefixes, prefixes
    before other substrings, then by code. ``within`` restricts the search to
    the descendants of a code (``search("pal merah", within="3173")``).
    Villages are searched only when ``level="village"`` or ``within`` is a
    district, because there are 84,000 of them. ``total`` counts every match,
    ``regions`` holds the first ``limit`` of them.
    """
    needle = _fold(text)
    if not needle:
        return Found((), 0)
    # "Kota Adm. Jakarta Barat" and "jakarta barat" find the same regency; when
    # the prefix was typed, names that carry it too rank first ("kota sorong").
    bare = _without_regency_prefix(needle) or needle
    candidates = ((0, needle), (1, bare), (2, bare.replace(" ", "")))
    within = within.replace(".", "").strip() if within else None
    scored: dict[str, int] = {}

    def consider(folded: str, code: str) -> None:
        if within and not code.startswith(within):
            return
        if level is not None and _LEVEL_BY_LENGTH[len(code)] != level:
            return
        for penalty, wanted in candidates:
            if penalty == 2:  # spacing ignored: "palmerah" finds "Pal Merah"
                folded = folded.replace(" ", "")
            if folded == wanted:
                rank = 0
            elif folded.startswith(wanted):
                rank = 2
            elif wanted in folded:
                rank = 4
            else:
                continue
            scored[code] = min(rank + penalty, scored.get(code, 9))
            return

    if level != "village":
        for folded, code in _search_index():
            consider(folded, code)
    if within is not None and len(within) >= 6:  # one district's villages: a few dozen
        for code, name in _iter_villages(within):
            consider(_fold(name), code)
    elif level == "village":
        _score_villages(candidates, within, scored)

    ordered = sorted(scored, key=lambda c: (scored[c], len(c), c))
    regions = [r for r in map(lookup, ordered) if r is not None]
    if not include_retired:
        regions = [r for r in regions if not r.retired]
    return Found(tuple(regions if limit is None else regions[:limit]), len(regions))


def _iter_villages(within: str) -> Iterator[tuple[str, str]]:
    names, by_district = _villages()
    yield from ((c, names[c]) for c in by_district.get(within[:6], ()))


class _Blob:
    """Folded names joined by newlines, where each starts, and an index of their trigrams.

    A search of three characters or more reads the names holding the search's
    rarest trigram (built once, on the first search: the picker searches as a
    person types, and a scan of all 84,000 names per keystroke cost ~0.2 ms each
    time); a shorter one scans the joined text with ``str.find``.
    """

    __slots__ = ("_trigrams", "names", "starts", "text")

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.text = "\n" + "\n".join(names) + "\n"
        # An array, not a list: 84,000 offsets in 700 kB rather than 3 MB of int objects.
        starts, offset = array("l"), 1
        for name in names:
            starts.append(offset)
            offset += len(name) + 1
        starts.append(offset)  # one past the end: the last name's end is starts[-1] - 1
        self.starts = starts
        self._trigrams: dict[str, array[int]] | None = None

    def _index(self) -> dict[str, array[int]]:
        index = self._trigrams
        if index is None:
            built: dict[str, array[int]] = {}
            for number, name in enumerate(self.names):
                for gram in {name[i : i + 3] for i in range(len(name) - 2)}:
                    postings = built.get(gram)
                    if postings is None:
                        postings = built[gram] = array("i")
                    postings.append(number)
            index = self._trigrams = built  # a racing thread builds the same: harmless
        return index

    def matches(self, wanted: str) -> Iterator[tuple[int, int]]:
        """(index, rank) of every name containing ``wanted``: 0 equal, 2 prefix, 4 inside."""
        if len(wanted) >= 3 and "\n" not in wanted:
            index = self._index()
            rarest: array[int] | None = None
            for i in range(len(wanted) - 2):
                postings = index.get(wanted[i : i + 3])
                if postings is None:
                    return  # a trigram no name has: no name holds ``wanted``
                if rarest is None or len(postings) < len(rarest):
                    rarest = postings
            names = self.names
            for number in rarest or ():
                name = names[number]
                if name == wanted:
                    yield number, 0
                elif name.startswith(wanted):
                    yield number, 2
                elif wanted in name:
                    yield number, 4
            return
        text, starts = self.text, self.starts
        position = text.find(wanted)
        while position != -1:
            number = bisect_right(starts, position) - 1
            start, end = starts[number], starts[number + 1] - 1
            if position == start:
                yield number, 0 if position + len(wanted) == end else 2
            else:
                yield number, 4
            position = text.find(wanted, end)  # the first match in a name is its best


@cache
def _village_blobs() -> tuple[tuple[str, ...], _Blob, _Blob]:
    names, _ = _villages()
    codes = tuple(names)
    folded = [_fold(names[code]) for code in codes]
    return codes, _Blob(folded), _Blob([name.replace(" ", "") for name in folded])


def _score_villages(
    candidates: tuple[tuple[int, str], ...], within: str | None, scored: dict[str, int]
) -> None:
    """:func:`search`'s scoring of every village (the first candidate that matches a
    name decides its score), over the folded blobs."""
    codes, spaced, bare = _village_blobs()
    decided: set[int] = set()
    for penalty, wanted in candidates:
        blob = bare if penalty == 2 else spaced
        for index, rank in blob.matches(wanted):
            if index in decided:
                continue
            decided.add(index)
            code = codes[index]
            if within and not code.startswith(within):
                continue
            scored[code] = min(rank + penalty, scored.get(code, 9))
