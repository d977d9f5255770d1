"""The card's geometry and its text: sizes in millimetres, fonts, and fitting lines.

The card is ID-1 size (ISO/IEC 7810: 85.60 x 53.98 mm, corner radius 3.18 mm);
the SVG's user unit is the millimetre. Text width is estimated from font
metrics so the holder's name fits the column left of the QR code, on one
line or two. ``docs/card.md`` shows the layout.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Final

from attrs import frozen

from siapkerja_core.translations import text

CARD_WIDTH_MM: Final = 85.60
CARD_HEIGHT_MM: Final = 53.98
CORNER_RADIUS_MM: Final = 3.18

# Layout, in millimetres (the SVG's user unit). See docs/card.md.
_BLUE: Final = "#0b3d91"
_GREY: Final = "#5b6472"
_INK: Final = "#111827"
_LEFT: Final = 4.0
_HEADER_H: Final = 10.5
_FOOTER_H: Final = 2.4
_QR_SIZE: Final = 30.0  # quiet zone included: a V5 module is 0.67 mm, a V10 0.48 mm
_QR_X: Final = CARD_WIDTH_MM - 3.0 - _QR_SIZE
_QR_Y: Final = 12.4
_COLUMN_W: Final = _QR_X - 2.4 - _LEFT  # the text column left of the QR
_PHOTO: Final = (_LEFT, 26.6, 13.5, 18.0)  # x, y, w, h (3:4)
_SANS: Final = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
_MONO: Final = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"


def _clean(text: str) -> str:
    """``text`` safe for a card: NFC, whitespace runs as one space, no control characters.

    XML 1.0 cannot carry most control characters even escaped, and in a
    terminal they are escape sequences; a name never needs one.
    """
    if text.isascii() and text.isprintable():  # the common case: nothing to drop
        return " ".join(text.split())
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs", "Cn")
    )
    return " ".join(kept.split())


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# Advance widths of Helvetica Bold (Adobe AFM, per 1000 em); Arial and
# Liberation Sans share them.
_BOLD_WIDTHS: Final = {
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (722, 722, 722, 722, 667, 611, 778, 722, 278, 556,
                                               722, 611, 833, 722, 778, 667, 778, 722, 667, 611,
                                               722, 667, 944, 667, 667, 611), strict=True)),
    **dict(zip("abcdefghijklmnopqrstuvwxyz", (556, 611, 556, 611, 556, 333, 611, 611, 278, 278,
                                               556, 278, 889, 611, 611, 611, 611, 389, 556, 333,
                                               611, 556, 778, 556, 556, 500), strict=True)),
    **dict.fromkeys("0123456789", 556),
    " ": 278, ".": 278, ",": 278, "'": 238, "-": 333, "/": 278, ":": 333, "(": 333, ")": 333,
}  # fmt: skip
_DEFAULT_WIDTH: Final = 650


def _em(text: str, mono: bool = False) -> float:
    """Estimated width of ``text`` in em, sized for the widest font the SVG may get.

    Bold sans: Helvetica Bold's widths times 1.18, which covers DejaVu Sans
    Bold (the fallback on a bare Linux, ~18 % wider); monospace: 0.61 em.
    """
    if mono:
        return 0.61 * len(text)
    widths = _BOLD_WIDTHS
    return 1.18 * sum(widths.get(ch, _DEFAULT_WIDTH) for ch in text) / 1000


def _split_two(text: str) -> tuple[str, str]:
    """Two lines of about equal width: at the best space, or mid-word if there is none."""
    best: tuple[float, str, str] | None = None
    for index, ch in enumerate(text):
        if ch == " ":
            first, second = text[:index], text[index + 1 :]
            width = max(_em(first), _em(second))
            if best is None or width < best[0]:
                best = (width, first, second)
    if best is not None:
        return best[1], best[2]
    total, middle = _em(text), 0
    running = 0.0
    for index, ch in enumerate(text):
        running += _em(ch)
        if running >= total / 2:
            middle = index + 1
            break
    return text[:middle] + "-", text[middle:]


@frozen
class _Line:
    """One line of text: its estimated width decides a ``textLength`` squeeze."""

    text: str
    x: float
    y: float
    size: float
    width: float  # available width, mm
    bold: bool = False
    mono: bool = False
    fill: str = _INK

    @property
    def squeeze(self) -> float | None:
        """The ``textLength`` to force when even the smallest size overflows (else ``None``).

        Browsers then compress the glyphs to fit; a renderer that ignores
        ``textLength`` (librsvg) lets the end run under the QR's white box.
        """
        if _em(self.text, self.mono) * self.size > self.width:
            return self.width
        return None


def _fit(
    text: str,
    at: tuple[float, float],
    width: float,
    sizes: tuple[float, float],
    *,
    mono: bool = False,
    fill: str = _INK,
) -> _Line:
    """A bold line of ``text`` at the largest size in ``sizes`` (largest, smallest) that fits."""
    largest, smallest = sizes
    size = max(smallest, min(largest, width / max(_em(text, mono), 0.01)))
    return _Line(text, at[0], at[1], _floor(size), width, bold=True, mono=mono, fill=fill)


def _floor(size: float) -> float:
    """``size`` rounded down to 0.01 mm: rounding up could make a fitted line overflow."""
    return math.floor(size * 100) / 100


def _name_lines(name: str) -> list[_Line]:
    """The holder's name: one line from 3.8 down to 2.8 mm, else two lines down to 2.2 mm.

    Below that the lines keep 2.2 mm and are squeezed (``textLength``).
    """
    width = _COLUMN_W
    size = width / max(_em(name), 0.01)
    if size >= 2.8:
        return [_Line(name, _LEFT, 22.2, _floor(min(size, 3.8)), width, bold=True)]
    first, second = _split_two(name)
    size = _floor(max(2.2, min(3.2, width / max(_em(first), _em(second), 0.01))))
    top = 20.0
    return [
        _Line(first, _LEFT, top, size, width, bold=True),
        _Line(second, _LEFT, round(top + size * 1.15, 2), size, width, bold=True),
    ]


def _header_lines(lang: str = "id") -> tuple[_Line, _Line]:
    # Read when a card is drawn, not at import: a deployer's catalogues
    # (``use_directories``) may be switched on after this module is loaded.
    return (
        _Line(text("render.card.brand", lang), _LEFT, 5.7, 4.2, 60.0, bold=True, fill="#fff"),
        _Line(text("render.card.ministry", lang), _LEFT, 8.8, 2.05, 77.0, fill="#fff"),
    )
