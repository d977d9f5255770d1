"""QR codes for the SIAPkerja-ID card: segments, a fixed mask, fast SVG, PNG and terminal output.

The card's QR carries either a link (``<base_url><token>``, the "URL Link"
use) or a bare access token (the "Access Code" use). Both are built by
:func:`make_qr`, which always calls :func:`segno.make_qr` — never
``segno.make``, which returns a Micro QR code for short data, and most phone
scanners (ZXing among them) cannot read Micro QR.

Choices, measured on segno 1.6 (see ``docs/card.md`` and
``benchmarks/bench_qr.py``):

* **Error correction M, no boosting.** Level M restores 15 % of the
  codewords; the EU DCC issuers moved from Q to M because dense Q codes failed
  on cheap Android phones. ``boost_error=False`` keeps the level we ask for:
  segno's default raises it whenever the version has room, which makes the
  code denser for no reason the caller chose.
* **Segments.** A plain ``str`` is one segment in one mode. Link tokens are
  Crockford base32 upper case with ``-``/``.``: QR's alphanumeric charset,
  5.5 bits a character instead of byte mode's 8. :func:`segments_for` puts
  long alphanumeric runs in alphanumeric segments and the rest in byte mode.
* **A fixed mask (4).** segno spends most of its time choosing among the eight
  data masks (apply each, score each); fixing one makes encoding several times
  faster. Over realistic links and tokens mask 4 scored closest to the best
  mask's penalty of the eight, and is segno's own most frequent pick;
  zxing-cpp decoded every code made with it at 1, 2 and 3 pixels a module, and
  near the sampling limit failed no more often than with segno's per-code best
  mask (figures in ``benchmarks/README.md``). The trade-off: a code can end up
  somewhat above the minimum penalty, i.e. slightly less balanced
  than the standard's choice; decoding is unaffected in practice, and
  ``mask=None`` restores the full evaluation.
"""

from __future__ import annotations

import io
import re
import string
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Final, TypeVar, cast

import segno
from segno import consts as _consts

from siapkerja_core.errors import SiapkerjaError

__all__ = [
    "ALPHANUMERIC_CHARSET",
    "FIXED_MASK",
    "QrCache",
    "QrError",
    "QrKey",
    "QrTooLarge",
    "make_qr",
    "qr_png",
    "qr_svg",
    "qr_svg_path",
    "qr_terminal",
    "segments_for",
]

ALPHANUMERIC_CHARSET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
"""The 45 characters of QR's alphanumeric mode (ISO/IEC 18004 table 5)."""

FIXED_MASK: Final = 4
"""The data mask :func:`make_qr` uses unless told otherwise: ``(i div 2 + j div 3) mod 2``.

Chosen by measurement; see the module docstring and ``docs/card.md``.
"""

MODE_BYTE: Final[int] = _consts.MODE_BYTE
MODE_ALPHANUMERIC: Final[int] = _consts.MODE_ALPHANUMERIC
MODE_NUMERIC: Final[int] = _consts.MODE_NUMERIC

# An alphanumeric run inside byte-mode text is worth its own segment when the
# 2.5 bits a character it saves pay for the extra segment headers. A run at
# either end adds one header (mode 4 bits + alphanumeric count <= 13 bits), a
# run in the middle two (the byte text after it needs a new header too:
# 4 + <= 16 bits). 2.5 * 7 > 17 and 2.5 * 15 > 37: with these thresholds the
# split is never longer than plain byte mode at any version.
_EDGE_RUN: Final = 7
_MIDDLE_RUN: Final = 15
_ALNUM_RUN: Final = re.compile(r"[0-9A-Z $%*+\-./:]+")
_ALNUM_ONLY: Final = re.compile(r"[0-9A-Z $%*+\-./:]*")
_SCHEME_HOST: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#@]*@)?([^/?#]*)")
_ERROR_LEVELS: Final = frozenset("lmqhLMQH")
# Upper-case ASCII letters only: "ß".upper() is "SS", which would change the host.
_ASCII_UPPER: Final = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


class QrError(SiapkerjaError, ValueError):
    """The text or the options cannot make a QR code."""

    domain = "qr"
    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "empty",
            "option",
        }
    )


class QrTooLarge(QrError):
    """The text needs a larger QR version than allowed (or than QR has: 40).

    ``params``: ``length`` (characters), ``version`` (the version it needs,
    ``">40"`` if none fits), ``max_version`` and ``error`` (the level).
    """

    codes: ClassVar[frozenset[str]] = frozenset(
        {
            "too_large",
        }
    )


def segments_for(text: str, *, uppercase_host: bool = False) -> list[tuple[str, int]]:
    """Split ``text`` into QR segments: alphanumeric runs where they pay, byte mode elsewhere.

    A token in QR's alphanumeric charset (``0-9 A-Z`` and space ``$%*+-./:``)
    is one alphanumeric segment; all digits, one numeric segment. In a URL
    such as ``https://siapkerja.kemnaker.id/L1-7KQ4...`` the token and the
    ``/`` before it form the longest alphanumeric tail; the lower-case rest is
    byte mode. Runs are split out only where that is shorter (never longer
    than one byte-mode segment). Joining the contents gives ``text`` back.

    :param uppercase_host: upper-case the scheme and the host first (both are
        case-insensitive, RFC 3986 §3.1 and §3.2.2), so that a URL like
        ``HTTPS://SIAPKERJA.KEMNAKER.ID/...`` can be alphanumeric throughout.
        The code then decodes to the upper-cased URL, not to ``text``; the
        default keeps the text exactly.
    """
    if uppercase_host:
        text = _uppercase_scheme_host(text)
    if _ALNUM_ONLY.fullmatch(text):
        if text.isdigit():
            return [(text, MODE_NUMERIC)]
        return [(text, MODE_ALPHANUMERIC)]
    end = len(text)
    cuts: list[tuple[int, int]] = []
    for run in _ALNUM_RUN.finditer(text):
        start, stop = run.span()
        edge = start == 0 or stop == end
        if stop - start >= (_EDGE_RUN if edge else _MIDDLE_RUN):
            cuts.append((start, stop))
    if not cuts:
        return [(text, MODE_BYTE)]
    segments: list[tuple[str, int]] = []
    position = 0
    for start, stop in cuts:
        if start > position:
            segments.append((text[position:start], MODE_BYTE))
        segments.append((text[start:stop], MODE_ALPHANUMERIC))
        position = stop
    if position < end:
        segments.append((text[position:], MODE_BYTE))
    return segments


def _uppercase_scheme_host(text: str) -> str:
    """``text`` with the scheme and host of a URL upper-cased (userinfo, path kept)."""
    found = _SCHEME_HOST.match(text)
    if found is None:
        return text
    scheme, userinfo, host = found.groups()
    upper = _ASCII_UPPER
    return scheme.translate(upper) + (userinfo or "") + host.translate(upper) + text[found.end() :]


def make_qr(
    text: str,
    *,
    error: str = "m",
    max_version: int | None = None,
    mask: int | None = FIXED_MASK,
    uppercase_host: bool = False,
) -> segno.QRCode:
    """Encode ``text`` as a QR code (never Micro QR) at error level ``error`` exactly.

    :param error: ``"l"``, ``"m"`` (default), ``"q"`` or ``"h"``; not boosted.
    :param max_version: raise :class:`QrTooLarge` if the code needs a larger
        version (1-40); ``None``: any version.
    :param mask: the data mask, 0-7; default :data:`FIXED_MASK`. ``None``
        lets segno evaluate all eight (ISO/IEC 18004 §7.8.3), several times slower.
    :param uppercase_host: see :func:`segments_for`.
    :raises QrError: ``empty`` text, or an invalid ``option``.
    :raises QrTooLarge: the text does not fit ``max_version`` (or version 40).

    Byte-mode text that is not ASCII is encoded as UTF-8 (without an ECI
    header, which many phone readers mishandle; they assume UTF-8).
    """
    if not text:
        raise QrError("empty")
    if error not in _ERROR_LEVELS:
        raise QrError("option", name="error", value=error, reason="l, m, q or h")
    if mask is not None and not (type(mask) is int and 0 <= mask <= 7):
        raise QrError("option", name="mask", value=mask, reason="0-7 or None")
    if max_version is not None and not (type(max_version) is int and 1 <= max_version <= 40):
        raise QrError("option", name="max_version", value=max_version, reason="1-40 or None")
    segments = [
        (content if content.isascii() else content.encode("utf-8"), mode)
        for content, mode in segments_for(text, uppercase_host=uppercase_host)
    ]
    try:
        # segno's stub types ``content`` as str/bytes/int only; its code takes
        # the list of (content, mode) tuples used here (encoder.prepare_data).
        code = segno.make_qr(
            segments,  # type: ignore[arg-type]
            error=error,
            mask=mask,
            boost_error=False,
        )
    except segno.DataOverflowError:
        raise QrTooLarge(
            "too_large",
            length=len(text),
            version=">40",
            max_version=max_version or 40,
            error=error.upper(),
        ) from None
    if max_version is not None and _version(code) > max_version:
        raise QrTooLarge(
            "too_large",
            length=len(text),
            version=code.version,
            max_version=max_version,
            error=code.error,
        )
    return code


def _version(code: segno.QRCode) -> int:
    version = code.version
    assert isinstance(version, int)  # a Micro QR version would be a str ("M4")
    return version


# Module bytes (0 light, 1 dark, 2 row separator) as text, for str.split.
_AS_TEXT: Final = bytes.maketrans(b"\x00\x01\x02", b"01|")
_TABLE_LIMIT: Final = 20_000


class _PathWords(dict[str, str]):
    """Path commands for a "word" of modules, filled on first sight, per symbol width.

    A word is a light run then a dark run (``"0011"`` -> ``"m2 0h2"``), a
    row's trailing light run (``"000"`` -> ``"m3 0"``), or a row start
    (``"|0011"`` -> ``"m{2 - width} 1h2"``: back to the row's start, one
    down). Every row's words end at its right edge, so the move to the next
    row is the same for every row. There are at most ~2 (width + 1)² words
    per width; the table is dropped past 20,000 all the same.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def __missing__(self, word: str) -> str:
        dark = len(word) - len(word.rstrip("1"))
        light = len(word) - dark
        draw = f"h{dark}" if dark else ""
        if word[0] == "|":
            command = f"m{light - 1 - self.width} 1{draw}"
        elif light:
            command = f"m{light} 0{draw}"
        else:
            command = draw
        if len(self) >= _TABLE_LIMIT:
            self.clear()
        self[word] = command
        return command


_PATH_WORDS: dict[int, _PathWords] = {}


def qr_svg_path(code: segno.QRCode, *, border: int = 4) -> str:
    """The SVG path data drawing the dark modules of ``code``, one unit per module.

    Each horizontal run of dark modules is one ``h`` stroke of width 1 along
    the middle of its row (``M4 4.5h7m1 0h3...``), as segno's writer does,
    with relative moves so the text stays short. Draw it with
    ``stroke="<dark>"`` (and no fill) in a ``viewBox`` of the symbol size plus
    twice ``border``.

    Speed: the runs are cut with C-level string operations (translate,
    replace, split) and each (light run, dark run) word maps to its commands
    through a table, so no Python code runs per module or per run — faster
    than a regex loop over the runs and than segno's writer (``benchmarks/README.md``).
    """
    rows = code.matrix
    width = len(rows[0])
    words = _PATH_WORDS.get(width)
    if words is None:
        words = _PATH_WORDS.setdefault(width, _PathWords(width))
    text = b"\x02".join(rows).translate(_AS_TEXT).decode("ascii").rstrip("0")
    # A word ends where a dark run does ("10" -> "1 0") and before each row.
    split = text.replace("10", "1 0").replace("|", " |").split()
    return f"M{border} {border}.5" + "".join(map(words.__getitem__, split))


def qr_svg(
    code: segno.QRCode,
    *,
    scale: float = 1,
    border: int = 4,
    dark: str = "#000",
    light: str | None = "#fff",
    unit: str = "",
) -> str:
    """A compact, standalone SVG document of ``code`` (no XML declaration).

    One ``<path>`` with run-length-merged horizontal runs over an optional
    background ``<rect>``; the ``viewBox`` is in modules, ``width`` and
    ``height`` are the modules times ``scale`` in ``unit`` (``""``: user
    units/pixels, or ``"mm"``). ``light=None`` leaves the background
    transparent. ``dark``/``light`` are written as given (escaped).
    """
    size = len(code.matrix) + 2 * border
    extent = f"{size * scale:g}{unit}"
    background = (
        f'<rect width="{size}" height="{size}" fill="{_attr(light)}"/>' if light is not None else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{extent}" height="{extent}"'
        f' viewBox="0 0 {size} {size}">{background}'
        f'<path stroke="{_attr(dark)}" d="{qr_svg_path(code, border=border)}"/></svg>'
    )


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def qr_png(
    code: segno.QRCode,
    *,
    scale: int = 10,
    border: int = 4,
    dark: str = "#000",
    light: str = "#fff",
) -> bytes:
    """``code`` as PNG bytes, ``scale`` pixels a module (segno's writer: no Pillow needed)."""
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=border, dark=dark, light=light)
    return out.getvalue()


# (top, bottom) -> half block, for a light-on-dark terminal: dark modules are
# blanks, light ones (and the quiet zone) are drawn, as segno's compact mode.
_HALF_BLOCKS: Final = ("\u2588", "\u2580", "\u2584", " ")


def qr_terminal(code: segno.QRCode, *, border: int = 4) -> str:
    """``code`` as text, two rows of modules a line, in Unicode half blocks.

    Like ``code.terminal(compact=True)`` but returned: dark modules are
    blanks, light modules and the quiet zone are blocks, which scans on the
    usual light-on-dark terminal. Lines end with ``"\\n"``.
    """
    width = len(code.matrix[0]) + 2 * border
    light_row = bytes(width)
    pad = bytes(border)
    rows = [light_row] * border
    rows += [pad + bytes(row) + pad for row in code.matrix]
    rows += [light_row] * border
    if len(rows) % 2:  # the last line's lower half shows the terminal itself, as in segno
        rows.append(bytes([1]) * width)
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        lines.append("".join([_HALF_BLOCKS[t * 2 + b] for t, b in zip(top, bottom, strict=True)]))
    return "\n".join(lines) + "\n"


T = TypeVar("T")
QrKey = tuple[Hashable, int, Hashable]
"""A :class:`QrCache` key: (card key, version, kind), e.g. ``("SK-7KQ4-M2XD-9P7", 2, "svg")``."""


class QrCache:
    """A small thread-safe LRU of rendered QR codes, keyed by (card key, version, kind).

    The version is part of the key, so a card whose link was rotated (new
    version) never gets the old image; :meth:`invalidate` drops every entry
    of a card at once (call it on rotation to free the old ones). An entry
    may also remember the ``text`` it was made from: asking with another
    text is a miss, even under the same version.

    In :meth:`get_or_make`, ``make`` runs outside the lock: two threads
    missing the same key at once may both render; the last one stored wins,
    and both results are equal.
    """

    def __init__(self, maxsize: int = 256) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[QrKey, tuple[str | None, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: QrKey, text: str | None = None) -> Any:
        """The cached value, or ``None``; with ``text``, only if made from that text."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (text is not None and entry[0] != text):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: QrKey, value: object, text: str | None = None) -> None:
        """Store ``value`` (made from ``text``, if given), evicting the least recently used."""
        with self._lock:
            self._entries[key] = (text, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def get_or_make(self, key: QrKey, make: Callable[[], T], *, text: str | None = None) -> T:
        """The cached value for ``key`` (and ``text``), or ``make()``'s, stored."""
        found = self.get(key, text)
        if found is not None:
            return cast("T", found)
        value = make()
        self.put(key, value, text)
        return value

    def invalidate(self, card_key: Hashable) -> int:
        """Drop every entry of ``card_key`` (all versions, all kinds); return how many."""
        with self._lock:
            stale = [key for key in self._entries if key[0] == card_key]
            for key in stale:
                del self._entries[key]
        return len(stale)

    def clear(self) -> None:
        """Drop everything and reset the counters."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries
