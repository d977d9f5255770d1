"""Person names: normalisation and similarity for comparing with Dukcapil's record.

Dukcapil's verification service answers the full-name element (``NAMA_LGKP``)
with ``"Sesuai (<score>)"`` and compares the score with the institution's
threshold (research/domain.md §2.2). Its matching rules are not published, so
this module makes its own, documented choice: both names are first brought
to a canonical form by :func:`normalize_name`, then scored 0–100 by
:func:`name_similarity`; :func:`names_match` compares the score with a
threshold the caller keeps configurable.

Normalisation (in this order):

1. Unicode NFKC (full-width ``ＧＡＬＩＨ`` → ``GALIH``, ligatures split), then
   ``casefold()`` and upper case. Accented letters are *kept* (``É`` stays).
2. Everything that is not a letter, a combining mark or a digit separates
   tokens: ``.``, ``,``, apostrophes, hyphens, brackets, … become spaces and
   whitespace is collapsed. Commas are remembered: what follows a comma is the
   degree zone (Indonesian spelling rules put degrees after the name, set off
   by a comma: ``Galih Agan Pambayun, S.Kom., M.T.``).
3. Titles are removed as whole tokens or token sequences (a dotted
   abbreviation such as ``S.Kom.`` becomes the two tokens ``S KOM``):

   * multi-letter prefix titles (:data:`RELIGIOUS_TITLES`,
     :data:`ACADEMIC_TITLES`, :data:`HONORIFIC_TITLES`: ``HJ``, ``DR``,
     ``PROF``, …) wherever they stand;
   * any prefix title, including the single letters ``H`` (Haji) and
     ``K H`` (Kyai Haji), at the start of the name or after a comma;
   * degrees (:data:`DEGREES`) after a comma, or at the very end of the name
     (but never the first token: ``M. Kn`` is a name, not the degree M.Kn.).
     A lone ``S`` or ``M`` is never a degree: in the middle of a name it is
     an initial.

4. Spellings of Muhammad (:data:`MUHAMMAD_VARIANTS`) become ``MUHAMMAD``; a
   lone ``M`` becomes ``MUHAMMAD`` only as the first token and only when
   another token follows (``M. Rizki``).

The steps are repeated until nothing changes, so the result is a fixed point:
``normalize_name(normalize_name(x)) == normalize_name(x)``. Nothing is
refused: if stripping would leave nothing (a "name" such as ``"Hj."``), the
upper-cased, punctuation-free tokens are returned unchanged.

Because *both* sides of a comparison go through the same normalisation, a
token wrongly taken for a title (a person really named ``H``) disappears from
both and rarely changes the outcome of a match. Normalisation is for
comparison only: never store or display its result instead of what the person
typed.

:func:`invisible_in_name` finds a character no name may hold (format,
control, private-use or unassigned: a bidi override would make a card page
show a name other than the one registered); registration refuses such a
name, and :func:`without_invisible` drops them from a name stored before.

Everything here is pure and uses the standard library only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from typing import Final

__all__ = [
    "ACADEMIC_TITLES",
    "DEGREES",
    "HONORIFIC_TITLES",
    "MUHAMMAD_VARIANTS",
    "RELIGIOUS_TITLES",
    "invisible_in_name",
    "isolated",
    "name_similarity",
    "names_match",
    "normalize_name",
    "without_invisible",
]

# --------------------------------------------------------------------------
# Title lists
#
# Written in their customary spelling; each entry is tokenised by the same
# rules as a name (so "K.H." is the token sequence ("K", "H") and "S.Kom" is
# ("S", "KOM")). Only titles that are well attested in Indonesian usage and
# are NOT part of legal names are listed. Deliberately absent, because they
# are often registered as part of the name itself (on the KTP and in the
# family card): nobility and ethnic name elements such as Raden (R., R.A.),
# Teuku, Tengku/Teungku (Tgk. is ambiguous between the Acehnese religious
# title and the Malay nobility title), Andi, Gusti, Ida Bagus, Anak Agung, the
# Balinese I/Ni, and honorifics that are also given names (Habib, Gus, Syekh,
# Buya, Ning).
# --------------------------------------------------------------------------

RELIGIOUS_TITLES: Final[tuple[str, ...]] = (
    "H.",  # Haji — only at the start of the name or after a comma (an initial elsewhere)
    "Hj.",  # Hajjah
    "Haji",
    "Hajah",
    "Hajjah",
    "K.H.",  # Kyai Haji
    "KH",
    "Kyai",
    "Kiai",
    "Ust.",  # Ustadz / Ustadzah (Islamic teacher)
    "Ustad",
    "Ustadz",
    "Ustaz",
    "Ustadzah",
    "Ustazah",
    "Pdt.",  # Pendeta (Protestant minister)
)
"""Religious titles written before a name (Islamic pilgrimage and teaching
titles, the Protestant *Pendeta*)."""

ACADEMIC_TITLES: Final[tuple[str, ...]] = (
    "Dr.",  # doktor (doctorate) and dr. (physician): the same token after case folding
    "Drs.",  # doktorandus (pre-1993 sarjana, male)
    "Dra.",  # doktoranda (female)
    "drg.",  # dokter gigi (dentist)
    "drh.",  # dokter hewan (veterinarian)
    "Ir.",  # insinyur (engineer)
    "Prof.",  # profesor
    "Dr. (H.C.)",  # doktor honoris causa
    "HC",  # "(HC)"; the dotted "H.C." only counts right after Dr. (elsewhere: H + initial C)
)
"""Academic and professional titles written before a name."""

HONORIFIC_TITLES: Final[tuple[str, ...]] = (
    "Bpk.",  # Bapak
    "Bapak",
    "Ibu",
    "Tn.",  # Tuan
    "Ny.",  # Nyonya
    "Nn.",  # Nona
    "Sdr.",  # Saudara
    "Sdri.",  # Saudari
)
"""Forms of address that people sometimes type in front of a name."""

DEGREES: Final[tuple[str, ...]] = (
    # Sarjana (bachelor), Indonesian abbreviations (Permenristekdikti 59/2018
    # and the older customary ones still printed on many KTPs).
    "S.Ag.",
    "S.Ak.",
    "S.Ars.",
    "S.Ds.",
    "S.E.",
    "S.E.I.",
    "S.Farm.",
    "S.Fil.",
    "S.Gz.",
    "S.H.",
    "S.H.I.",
    "S.Hum.",
    "S.Hut.",
    "S.I.Kom.",
    "S.IP.",
    "S.Kep.",
    "S.Keb.",
    "S.Ked.",
    "S.KG.",
    "S.KM.",
    "S.Kom.",
    "S.Mat.",
    "S.P.",
    "S.Pd.",
    "S.Pd.I.",
    "S.Pd.SD.",
    "S.Pi.",
    "S.Psi.",
    "S.Pt.",
    "S.S.",
    "S.Si.",
    "S.Sn.",
    "S.Sos.",
    "S.Sos.I.",
    "S.ST.",
    "S.Stat.",
    "S.STP.",
    "S.T.",
    "S.Th.",
    "S.Th.I.",
    "S.TP.",
    "S.Tr.",
    "S.Tr.Kom.",
    "S.Tr.Kes.",
    "S.Tr.Keb.",
    "S.Sy.",
    # Diploma (vocational): Ahli Madya, Ahli Muda, Ahli Pratama.
    "A.Ma.",
    "A.Md.",
    "A.Md.Ak.",
    "A.Md.Farm.",
    "A.Md.Keb.",
    "A.Md.Kep.",
    "A.Md.Kes.",
    "A.Md.Kom.",
    "A.Md.T.",
    "A.P.",
    # Magister (master).
    "M.A.",
    "M.Ag.",
    "M.Ak.",
    "M.AP.",
    "M.E.",
    "M.Eng.",
    "M.Farm.",
    "M.H.",
    "M.Hum.",
    "M.Kes.",
    "M.Kn.",
    "M.Kom.",
    "M.M.",
    "M.Pd.",
    "M.Pd.I.",
    "M.Psi.",
    "M.Sc.",
    "M.Si.",
    "M.Sn.",
    "M.Sos.",
    "M.T.",
    "MBA",
    "MPH",
    # Doctorate written after the name, foreign degrees.
    "Ph.D.",
    "B.A.",
    "B.Sc.",
    "Lc.",  # Licence (Al-Azhar and other Middle Eastern universities)
    "LL.M.",
    # Professions: apoteker, ners, akuntan, medical specialists (Sp. + field).
    "Apt.",
    "Ns.",
    "Ak.",
    "Sp.A.",
    "Sp.An.",
    "Sp.B.",
    "Sp.BS.",
    "Sp.JP.",
    "Sp.KJ.",
    "Sp.KK.",
    "Sp.M.",
    "Sp.N.",
    "Sp.OG.",
    "Sp.OT.",
    "Sp.P.",
    "Sp.PA.",
    "Sp.PD.",
    "Sp.PK.",
    "Sp.Rad.",
    "Sp.S.",
    "Sp.THT.",
    "Sp.THT-KL.",
    "Sp.U.",
)
"""Degrees written after a name. Each also matches its undotted, squashed
spelling (``S.Kom.`` → ``SKOM``, ``S.E.`` → ``SE``)."""

MUHAMMAD_VARIANTS: Final[frozenset[str]] = frozenset(
    {
        "MUHAMMAD",
        "MUHAMAD",
        "MUHAMMED",
        "MUHAMED",
        "MOHAMMAD",
        "MOHAMAD",
        "MOHAMMED",
        "MOHAMED",
        "MOCHAMMAD",
        "MOCHAMAD",
        "MUCHAMMAD",
        "MUCHAMAD",
        "MOKHAMMAD",
        "MOKHAMAD",
        "MUKHAMMAD",
        "MUKHAMAD",
        "MOH",
        "MOHD",
        "MOCH",
        "MUH",
        "MUHD",
        "MHD",
    }
)
"""Spellings and abbreviations of Muhammad that become ``MUHAMMAD`` anywhere.
A lone ``M`` is also read as Muhammad, but only as the first of several tokens."""

_MUHAMMAD: Final = "MUHAMMAD"

# Characters that separate segments (a comma starts the degree zone). NFKC
# already maps the full-width and small commas to ",".
_COMMAS: Final = frozenset({",", "\u060c", "\u3001"})  # , ، 、

Tokens = tuple[str, ...]


def _fold(text: str) -> str:
    """NFKC, casefold, upper case — repeated until stable (a few exotic letters need two rounds)."""
    for _ in range(4):
        folded = unicodedata.normalize(
            "NFKC", unicodedata.normalize("NFKC", text).casefold().upper()
        )
        if folded == text:
            break
        text = folded
    return text


def _segments(text: str) -> list[list[str]]:
    """Split folded text into comma-separated segments of tokens.

    A token is a run of letters, combining marks and digits; a combining mark
    that does not follow a letter or digit (e.g. what NFKC leaves of a lone
    acute accent) is dropped.
    """
    segments: list[list[str]] = [[]]
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            segments[-1].append("".join(buffer))
            buffer.clear()

    for char in text:
        category = unicodedata.category(char)[0]
        if char in _COMMAS:
            flush()
            segments.append([])
        elif category in "LN" or (category == "M" and buffer):
            buffer.append(char)
        else:
            flush()
    flush()
    return segments


def _compile(spellings: Iterable[str], *, squash: bool) -> frozenset[Tokens]:
    sequences: set[Tokens] = set()
    for spelling in spellings:
        tokens = tuple(token for segment in _segments(_fold(spelling)) for token in segment)
        sequences.add(tokens)
        if squash:
            sequences.add(("".join(tokens),))
    return frozenset(sequences)


_PREFIX_SEQUENCES: Final = _compile(
    (*RELIGIOUS_TITLES, *ACADEMIC_TITLES, *HONORIFIC_TITLES), squash=False
)
# Single-token titles of two or more letters are removed wherever they stand;
# single letters (H) and sequences (K H) only in a title position.
_ANYWHERE_TITLES: Final = frozenset(
    seq[0] for seq in _PREFIX_SEQUENCES if len(seq) == 1 and len(seq[0]) > 1
)
_DEGREE_SEQUENCES: Final = _compile(DEGREES, squash=True)
_TITLE_OR_DEGREE: Final = _PREFIX_SEQUENCES | _DEGREE_SEQUENCES
_LONGEST: Final = max(len(seq) for seq in _TITLE_OR_DEGREE)


def _match_at(tokens: Sequence[str], start: int, table: frozenset[Tokens]) -> int:
    """Length of the longest sequence of ``table`` starting at ``start`` (0 if none)."""
    for length in range(min(_LONGEST, len(tokens) - start), 0, -1):
        if tuple(tokens[start : start + length]) in table:
            return length
    return 0


def _match_before(tokens: Sequence[str], end: int, table: frozenset[Tokens]) -> int:
    """Length of the longest sequence of ``table`` ending just before ``end`` (0 if none).

    The first token is never part of the match: a degree follows a name.
    """
    for length in range(min(_LONGEST, end - 1), 0, -1):
        if tuple(tokens[end - length : end]) in table:
            return length
    return 0


def _strip_zone(tokens: list[str]) -> list[str]:
    """Drop every title and degree sequence from a post-comma segment."""
    kept: list[str] = []
    index = 0
    while index < len(tokens):
        length = _match_at(tokens, index, _TITLE_OR_DEGREE)
        if length:
            index += length
        else:
            kept.append(tokens[index])
            index += 1
    return kept


def _strip_leading(tokens: list[str]) -> list[str]:
    """Drop the run of prefix titles at the start of the name."""
    while (length := _match_at(tokens, 0, _PREFIX_SEQUENCES)) > 0:
        tokens = tokens[length:]
    return tokens


def _strip(segments: list[list[str]]) -> list[str]:
    """One round of title removal and Muhammad canonicalisation."""
    head = _strip_leading(segments[0])
    head = _strip_leading([token for token in head if token not in _ANYWHERE_TITLES])
    tokens = head + [token for segment in segments[1:] for token in _strip_zone(segment)]
    while (length := _match_before(tokens, len(tokens), _DEGREE_SEQUENCES)) > 0:
        tokens = tokens[: len(tokens) - length]
    tokens = [_MUHAMMAD if token in MUHAMMAD_VARIANTS else token for token in tokens]
    if len(tokens) > 1 and tokens[0] == "M":
        tokens[0] = _MUHAMMAD
    return tokens


def _normal_tokens(text: str) -> list[str]:
    segments = _segments(_fold(text))
    tokens = _strip(segments)
    # Repeat on the comma-free result until it is a fixed point (idempotence).
    while tokens and (again := _strip([tokens])) != tokens:
        tokens = again
    if tokens:
        return tokens
    # Stripping ate everything: try once more without the comma zones, and
    # failing that, keep every token (refuse nothing).
    flat = [token for segment in segments for token in segment]
    tokens = flat
    while tokens and (again := _strip([tokens])) != tokens:
        tokens = again
    return tokens or flat


def normalize_name(text: str) -> str:
    """The canonical form of a person's name, for comparison only.

    >>> normalize_name("H. Galih Agan Pambayun, S.Kom.")
    'GALIH AGAN PAMBAYUN'
    >>> normalize_name("Moh. Rizki")
    'MUHAMMAD RIZKI'
    >>> normalize_name("Dr. Ir. Bambang Susilo, M.T.")
    'BAMBANG SUSILO'

    See the module documentation for the rules. Never raises; an empty or
    punctuation-only input gives ``""``.
    """
    return " ".join(_normal_tokens(text))


def _ratio(a: str, b: str) -> tuple[int, int]:
    """``difflib`` ratio as an exact fraction (2·matches, total length), symmetric."""
    first, second = sorted((a, b))
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    matches = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matches, len(a) + len(b)


def name_similarity(a: str, b: str) -> int:
    """A 0–100 similarity of two names, in the spirit of Dukcapil's ``Sesuai (score)``.

    Both names are normalised with :func:`normalize_name`. Then:

    * equal normalised names score **100**; if either is empty the score is
      **0** (an empty name matches nothing, not even another empty one);
    * otherwise the score is ``floor(100 · r)``, capped at **99**, where ``r``
      is the best :class:`difflib.SequenceMatcher` ratio (``2·M / T``: ``M``
      matched characters, ``T`` total characters) over three views of the
      pair: the names as written, their tokens sorted alphabetically (so word
      order does not matter: ``PAMBAYUN GALIH AGAN`` ~ ``GALIH AGAN
      PAMBAYUN``) and the names with spaces removed (so ``NUR AINI`` ~
      ``NURAINI``).

    The pair is put in a fixed order before matching, so the score is
    symmetric; 100 means exactly "the normalised names are equal".
    """
    tokens_a, tokens_b = _normal_tokens(a), _normal_tokens(b)
    if not tokens_a or not tokens_b:
        return 0
    if tokens_a == tokens_b:
        return 100
    views = (
        (" ".join(tokens_a), " ".join(tokens_b)),
        (" ".join(sorted(tokens_a)), " ".join(sorted(tokens_b))),
        ("".join(tokens_a), "".join(tokens_b)),
    )
    best = 0
    for left, right in views:
        doubled_matches, total = _ratio(left, right)
        best = max(best, 100 * doubled_matches // total)
    return min(best, 99)


def names_match(a: str, b: str, threshold: int) -> bool:
    """Whether :func:`name_similarity` of ``a`` and ``b`` reaches ``threshold`` (0–100).

    Thresholds seen in Dukcapil clients are 80, 85 and 95 (research/domain.md
    §2.2). Raises :class:`ValueError` for a threshold outside 0–100.
    """
    if isinstance(threshold, bool) or not 0 <= threshold <= 100:
        raise ValueError(f"threshold must be between 0 and 100, got {threshold!r}")
    return name_similarity(a, b) >= threshold


def invisible_in_name(name: str) -> str | None:
    """The first character of ``name`` (or of its NFKC form) that no name may hold —
    Unicode category ``C*`` other than the whitespace that :meth:`str.split` collapses —
    or ``None``.

    That is every format character (``Cf``: the bidi embeddings, overrides and
    isolates U+202A–202E and U+2066–2069, zero-width spaces and joiners, LRM/RLM,
    the soft hyphen, U+061C, U+FEFF, the tags U+E0000–E007F), as well as controls
    (``Cc``), surrogates (``Cs``), private-use (``Co``) and unassigned (``Cn``) code
    points. A right-to-left override in ``"Budi \\u202eosotnaS Wijaya"`` makes a card
    page show "Budi ayajiW Santoso": a name a gate officer reads must look like
    what it is. KTP names are written in Latin letters, which never need a joiner,
    so all of ``Cf`` is refused here — unlike free-text profile fields, where
    scripts that need ZWJ/ZWNJ keep them.
    """
    for text in (name, unicodedata.normalize("NFKC", name)):
        if text.isprintable():  # every C* character is not: the usual name, at C speed
            continue
        for char in text:
            if _hidden(char):
                return char
    return None


def without_invisible(name: str) -> str:
    """``name`` without the characters :func:`invisible_in_name` finds, for display.

    A name stored before these were refused must not spoof a page that shows it
    (a ``<title>`` cannot isolate text); a name accepted now comes back unchanged.
    """
    if name.isprintable():  # no C* character: the gate's every admission, at C speed
        return name
    return "".join(char for char in name if not _hidden(char))


def isolated(text: str) -> str:
    """``text`` between U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE.

    The plain-text ``<bdi>``: for a holder's value inside the app's own words where
    markup cannot go — a ``confirm()`` dialog, an ``aria-label``, one line that joins
    an issuer and "Skor 8". The isolate takes its direction from the value's first
    strong letter, and its closing mark ends any override left open inside it, so
    "abc\u202eXYZ" cannot reverse the words after it.
    """
    return f"\u2068{text}\u2069"


def _hidden(char: str) -> bool:
    return unicodedata.category(char)[0] == "C" and not char.isspace()
