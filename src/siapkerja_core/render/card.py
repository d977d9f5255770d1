"""The card: "Kartu Digital Ketenagakerjaan SIAPkerja-ID" as SVG, PNG and text.

A :class:`Card` holds what the card shows — the holder's name, the
SIAPkerja-ID number, the issue date, an optional photo — and the text its QR
code carries (a link URL or an access token, made elsewhere). It renders

* :meth:`Card.to_svg`: print-ready SVG at ID-1 size (ISO/IEC 7810:
  85.60 x 53.98 mm, corner radius 3.18 mm), coordinates in millimetres;
* :meth:`Card.to_png`: the same layout drawn with Pillow (the ``card``
  extra), 1011 x 638 pixels at 300 dpi;
* :meth:`Card.to_terminal`: name, number, date and the QR in half blocks;
* ``_repr_svg_`` / ``_repr_html_`` / ``_repr_png_``: a notebook shows the card
  (the PNG at 150 dpi, only when Pillow is installed: without it IPython uses the SVG).

Rendering is pure: every method returns ``str`` or ``bytes``; writing a file
is the caller's business. QR codes are cached per (card, QR version) in a
:class:`~siapkerja_core.render.qr.QrCache`; :meth:`Card.rotate` makes the card with
the next version and drops the old entries. Layout and sizes: ``docs/card.md``.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Hashable
from datetime import date
from typing import TYPE_CHECKING, Final

import segno
from attrs import Factory, evolve, field, frozen

from siapkerja_core.errors import CardError
from siapkerja_core.i18n import month_name
from siapkerja_core.profile.photo import MAX_PHOTO_BYTES, sniff_image_type
from siapkerja_core.render.layout import (
    _BLUE,
    _COLUMN_W,
    _FOOTER_H,
    _GREY,
    _HEADER_H,
    _LEFT,
    _MONO,
    _PHOTO,
    _QR_SIZE,
    _QR_X,
    _QR_Y,
    _SANS,
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    CORNER_RADIUS_MM,
    _clean,
    _fit,
    _header_lines,
    _Line,
    _name_lines,
    _xml,
)
from siapkerja_core.render.qr import QrCache, QrKey, make_qr, qr_png, qr_svg_path, qr_terminal
from siapkerja_core.translations import text

if TYPE_CHECKING:
    from PIL import Image as PilImage
    from PIL import ImageFont

__all__ = [
    "BULAN",  # noqa: F822 -- module __getattr__ reads it from the catalogue
    "CARD_HEIGHT_MM",
    "CARD_MAX_VERSION",
    "CARD_WIDTH_MM",
    "Card",
    "CardError",
    "CardImageError",
    "default_cache",
    "format_tanggal",
]

CARD_MAX_VERSION: Final = 10
"""The largest QR version a card accepts: denser codes scan badly on cheap phones."""


default_cache: Final = QrCache(maxsize=256)
"""The cache :class:`Card` methods use unless given another one (or ``None``)."""


NOTEBOOK_DPI: Final = 150
"""The resolution of the card's PNG in a notebook (506 x 319 pixels)."""


class CardImageError(CardError, ValueError):
    """A card field is empty or its photo is unusable (codes ``card.empty``, ``card.photo_*``,
    ``card.qr_version``; their messages live with :class:`~siapkerja_core.errors.CardError`,
    the one owner of the ``card`` domain). Also a :class:`ValueError`."""

    __slots__ = ()


def __getattr__(name: str) -> tuple[str, ...]:
    # BULAN, kept for callers of 0.1: read from the catalogue when asked for, so a
    # deployer's wording (``use_directories``) shows there as on the card.
    if name == "BULAN":
        return tuple(month_name(month, "id") for month in range(1, 13))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _default_title(card: Card) -> str:
    return text("render.card.title", card.lang)


def _terminal_rows(*rows: tuple[str, str]) -> list[str]:
    # The labels are the catalogue's: align the values on the longest one.
    width = max(len(label) for label, _ in rows) + 2
    return [f"{label.ljust(width)}{value}" for label, value in rows]


def format_tanggal(day: date, lang: str = "id") -> str:
    """``day`` the Indonesian way: ``"27 November 2026"``, ``"1 Januari 2025"``.

    In another catalogue's language with ``lang`` (``"6 December 2026"``).
    """
    return text(
        "render.card.date", lang, day=day.day, month=month_name(day.month, lang), year=day.year
    )


@frozen
class _Layout:
    lines: tuple[_Line, ...]
    photo: tuple[float, float, float, float] | None
    caption: _Line


@frozen
class Card:
    """The digital labour card of one SIAPkerja-ID holder.

    :param siapkerja_id: the number as printed, e.g. ``"SK-7KQ4-M2XD-9P7"``
        (``str()`` of a :class:`~siapkerja_core.siapkerja_id.SiapkerjaId`).
    :param holder_name: the name as on the KTP.
    :param issued_at: the issue date, printed in Indonesian.
    :param qr_text: what the QR carries: the link URL (``<base_url><token>``)
        or an access token. Encoded exactly (see :func:`~siapkerja_core.render.qr.make_qr`).
    :param qr_version: the link's version; part of the QR cache key, so a
        rotated link (a higher version) never shows an old code.
    :param photo: an optional JPEG, PNG or WebP photo (at most 2 MiB, as in the profile).
    :param photo_type: its media type; detected from the bytes if ``None``.
    :param lang: the language of the card's own words (its title, labels, date and the
        scan hint): Indonesian unless a page in another language shows it
        (:meth:`in_language`).
    :raises CardError: an empty field, a bad photo or version.
    """

    siapkerja_id: str
    holder_name: str
    issued_at: date
    qr_text: str
    qr_version: int = 1
    photo: bytes | None = field(default=None, repr=False)
    photo_type: str | None = None
    # Before ``title``, whose default is read in this language; keyword-only so the
    # positional order of the fields of 0.1 stays.
    lang: str = field(default="id", kw_only=True)
    title: str = field(default=Factory(_default_title, takes_self=True))

    def __attrs_post_init__(self) -> None:
        for name in ("siapkerja_id", "holder_name", "qr_text", "title"):
            if not _clean(getattr(self, name)):
                raise CardImageError("empty", field=name)
        if type(self.qr_version) is not int or self.qr_version < 0:
            raise CardImageError("qr_version", value=self.qr_version)
        if self.photo is not None:
            if len(self.photo) > MAX_PHOTO_BYTES:
                raise CardImageError(
                    "photo_size",
                    size=len(self.photo),
                    limit=MAX_PHOTO_BYTES,
                    max_size=MAX_PHOTO_BYTES,
                )
            detected = sniff_image_type(self.photo)
            if detected is None or self.photo_type not in (None, detected):
                raise CardImageError("photo_type", media_type=self.photo_type or detected)

    # -- QR ---------------------------------------------------------------

    @property
    def photo_media_type(self) -> str | None:
        """The photo's media type (given or detected), ``None`` without a photo."""
        if self.photo is None:
            return None
        return self.photo_type or sniff_image_type(self.photo)

    def qr_code(self, *, cache: QrCache | None = default_cache) -> segno.QRCode:
        """The card's QR code: level M, :data:`~siapkerja_core.render.qr.FIXED_MASK`, version <= 10.

        :raises ~siapkerja_core.render.qr.QrTooLarge: ``qr_text`` needs a version above 10.
        """
        if cache is None:
            return self._make_code()
        return cache.get_or_make(self._key("code"), self._make_code, text=self.qr_text)

    def _key(self, kind: Hashable) -> QrKey:
        return (self.siapkerja_id, self.qr_version, kind)

    def _make_code(self) -> segno.QRCode:
        return make_qr(self.qr_text, error="m", max_version=CARD_MAX_VERSION)

    def qr_png(
        self, *, scale: int = 10, border: int = 4, cache: QrCache | None = default_cache
    ) -> bytes:
        """Just the QR code, as PNG bytes (``scale`` pixels a module)."""

        def make() -> bytes:
            return qr_png(self.qr_code(cache=cache), scale=scale, border=border)

        if cache is None:
            return make()
        return cache.get_or_make(self._key(("png", scale, border)), make, text=self.qr_text)

    def _qr_path(self, cache: QrCache | None) -> tuple[int, str]:
        def make() -> tuple[int, str]:
            code = self.qr_code(cache=cache)
            return len(code.matrix), qr_svg_path(code, border=4)

        if cache is None:
            return make()
        return cache.get_or_make(self._key("svg-path"), make, text=self.qr_text)

    def in_language(self, lang: str) -> Card:
        """The same card worded in ``lang`` (an English page shows an English card).

        A title of the card's own (not the catalogue's) is kept as it is.
        """
        title = self.title
        if title == text("render.card.title", self.lang):
            title = text("render.card.title", lang)
        return evolve(self, lang=lang, title=title)

    def rotate(self, qr_text: str, *, cache: QrCache | None = default_cache) -> Card:
        """This card with a new link or token and the next QR version.

        Drops the card's entries from ``cache``: a rotation invalidates them.
        """
        if cache is not None:
            cache.invalidate(self.siapkerja_id)
        return evolve(self, qr_text=qr_text, qr_version=self.qr_version + 1)

    # -- layout -----------------------------------------------------------

    def _layout(self) -> _Layout:
        photo = _PHOTO if self.photo is not None else None
        x = _LEFT if photo is None else photo[0] + photo[2] + 2.5
        width = _QR_X - 2.4 - x
        title = _fit(_clean(self.title), (_LEFT, 15.1), _COLUMN_W, (2.5, 1.8), fill=_BLUE)
        number = _fit(_clean(self.siapkerja_id), (x, 33.9), width, (3.6, 2.2), mono=True)
        lines = (
            title,
            *_name_lines(_clean(self.holder_name)),
            _Line(text("render.card.number", self.lang), x, 29.4, 1.9, width, fill=_GREY),
            number,
            _Line(text("render.card.issued", self.lang), x, 38.6, 1.9, width, fill=_GREY),
            _Line(format_tanggal(self.issued_at, self.lang), x, 42.4, 2.9, width, bold=True),
        )
        caption = _Line(
            text("render.card.scan_hint", self.lang),
            _QR_X + _QR_SIZE / 2,
            45.3,
            1.75,
            _QR_SIZE,
            fill=_GREY,
        )
        return _Layout(lines, photo, caption)

    def _svg_id(self) -> str:
        digest = hashlib.blake2s(
            f"{self.siapkerja_id}\x00{self.qr_version}\x00{self.qr_text}".encode(
                "utf-8", "surrogatepass"
            ),
            digest_size=4,
        )
        return "sk" + digest.hexdigest()

    # -- SVG --------------------------------------------------------------

    def to_svg(self, *, cache: QrCache | None = default_cache) -> str:
        """The card as an SVG document at ID-1 size (85.60 x 53.98 mm, user units in mm).

        Text is escaped; long names shrink, then wrap onto two lines. No XML
        declaration, so the result can also be inlined in HTML.
        """
        modules, path = self._qr_path(cache)
        layout = self._layout()
        uid = self._svg_id()
        w, h, r = CARD_WIDTH_MM, CARD_HEIGHT_MM, CORNER_RADIUS_MM
        label = _xml(
            f"{_clean(self.title)} SIAPkerja-ID: {_clean(self.holder_name)},"
            f" {_clean(self.siapkerja_id)}"
        )
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.2f}mm" height="{h:.2f}mm"'
            f' viewBox="0 0 {w:.2f} {h:.2f}" role="img" aria-labelledby="{uid}-t">',
            f'<title id="{uid}-t">{label}</title>',
            f'<defs><clipPath id="{uid}-c"><rect width="{w:.2f}" height="{h:.2f}" rx="{r}"/>'
            "</clipPath>",
        ]
        if layout.photo is not None:
            px, py, pw, ph = layout.photo
            out.append(
                f'<clipPath id="{uid}-p"><rect x="{px}" y="{py}" width="{pw}" height="{ph}"'
                ' rx="1"/></clipPath>'
            )
        out += [
            "</defs>",
            f'<g clip-path="url(#{uid}-c)">',
            f'<rect width="{w:.2f}" height="{h:.2f}" fill="#fff"/>',
            f'<rect width="{w:.2f}" height="{_HEADER_H}" fill="{_BLUE}"/>',
            f'<rect y="{h - _FOOTER_H:.2f}" width="{w:.2f}" height="{_FOOTER_H}" fill="{_BLUE}"/>',
            "</g>",
            f'<rect x=".1" y=".1" width="{w - 0.2:.2f}" height="{h - 0.2:.2f}" rx="{r - 0.1:.2f}"'
            ' fill="none" stroke="#c5cad3" stroke-width=".2"/>',
            f'<g font-family="{_SANS}">',
        ]
        out += [_svg_text(line) for line in (*_header_lines(self.lang), *layout.lines)]
        out.append(_svg_text(layout.caption, anchor="middle"))
        out.append("</g>")
        if layout.photo is not None:
            px, py, pw, ph = layout.photo
            data = base64.b64encode(self.photo or b"").decode("ascii")
            out.append(
                f'<image x="{px}" y="{py}" width="{pw}" height="{ph}"'
                f' preserveAspectRatio="xMidYMid slice" clip-path="url(#{uid}-p)"'
                f' href="data:{self.photo_media_type};base64,{data}"/>'
            )
        size = modules + 8
        scale = _QR_SIZE / size
        out += [
            f'<g transform="translate({_QR_X:.2f} {_QR_Y}) scale({scale:.6f})">',
            f'<rect width="{size}" height="{size}" fill="#fff"/>',
            f'<path fill="none" stroke="#000" d="{path}"/>',
            "</g>",
            "</svg>",
        ]
        return "".join(out)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_html_(self) -> str:
        return f'<div class="siapkerja-card" style="display:inline-block">{self.to_svg()}</div>'

    def _repr_png_(self) -> bytes | None:
        # None tells IPython to use another representation (the SVG) when Pillow is missing.
        try:
            return self.to_png(dpi=NOTEBOOK_DPI)
        except ImportError:
            return None

    # -- PNG --------------------------------------------------------------

    def to_png(self, dpi: int = 300, *, cache: QrCache | None = default_cache) -> bytes:
        """The card as PNG bytes at ``dpi`` (300: 1011 x 638 pixels), corners transparent.

        Drawn with Pillow and its built-in scalable font; the QR gets a whole
        number of pixels a module, so it stays sharp and scannable.

        :raises ImportError: Pillow is missing (``pip install 'siapkerja[card]'``).
        """
        if not 50 <= dpi <= 1200:
            raise ValueError("dpi must be between 50 and 1200")
        try:
            from PIL import Image, ImageDraw, ImageFont
        except ImportError as exc:  # the ``card`` extra is not installed
            raise ImportError(
                "Card.to_png needs Pillow >= 10.1: pip install 'siapkerja[card]'"
            ) from exc
        k = dpi / 25.4  # pixels a millimetre
        w, h = round(CARD_WIDTH_MM * k), round(CARD_HEIGHT_MM * k)
        radius = round(CORNER_RADIUS_MM * k)
        image = Image.new("RGBA", (w, h), (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        outline = max(1, round(0.2 * k))
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius, fill="#fff")
        header = (0, 0, w - 1, round(_HEADER_H * k))
        draw.rounded_rectangle(header, radius, fill=_BLUE, corners=(True, True, False, False))
        footer = (0, round((CARD_HEIGHT_MM - _FOOTER_H) * k), w - 1, h - 1)
        draw.rounded_rectangle(footer, radius, fill=_BLUE, corners=(False, False, True, True))
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius, outline="#c5cad3", width=outline)
        fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

        def font(size_mm: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
            px = max(6, round(size_mm * k))
            if px not in fonts:
                fonts[px] = ImageFont.load_default(size=px)
            return fonts[px]

        def text(line: _Line, anchor: str = "ls") -> None:
            face = font(line.size)
            room = line.width * k
            length = draw.textlength(line.text, font=face)
            if length > room:  # the real glyphs are wider than the estimate: shrink to fit
                face = font(line.size * room / length)
            bold = int(line.size * k * 0.03) if line.bold else 0  # faux bold: a thin stroke
            draw.text(
                (line.x * k, line.y * k),
                line.text,
                font=face,
                fill=line.fill,
                anchor=anchor,
                stroke_width=bold,
                stroke_fill=line.fill,
            )

        layout = self._layout()
        for line in (*_header_lines(self.lang), *layout.lines):
            text(line)
        text(layout.caption, anchor="ms")
        if layout.photo is not None and self.photo is not None:
            _paste_photo(image, self.photo, layout.photo, k)
        _paste_qr(image, self.qr_code(cache=cache), k)
        out = io.BytesIO()
        image.save(out, format="PNG", dpi=(dpi, dpi))
        return out.getvalue()

    # -- text -------------------------------------------------------------

    def to_terminal(self, *, cache: QrCache | None = default_cache) -> str:
        """Name, number, issue date and the QR in half blocks (for a light-on-dark terminal)."""

        def make() -> str:
            return qr_terminal(self.qr_code(cache=cache))

        if cache is None:
            qr = make()
        else:
            qr = cache.get_or_make(self._key("terminal"), make, text=self.qr_text)
        rows = [
            f"{_clean(self.title)} — {text('render.card.brand', self.lang)}",
            text("render.card.ministry", self.lang),
            "",
            *_terminal_rows(
                (text("render.card.name", self.lang), _clean(self.holder_name)),
                (text("render.card.number", self.lang), _clean(self.siapkerja_id)),
                (text("render.card.issued", self.lang), format_tanggal(self.issued_at, self.lang)),
            ),
            "",
        ]
        return "\n".join(rows) + "\n" + qr


def _svg_text(line: _Line, anchor: str = "start") -> str:
    attrs = [f'x="{line.x:g}"', f'y="{line.y:g}"', f'font-size="{line.size:g}"']
    if line.bold:
        attrs.append('font-weight="700"')
    if line.mono:
        attrs.append(f'font-family="{_MONO}"')
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    attrs.append(f'fill="{line.fill}"')
    squeeze = line.squeeze if anchor == "start" else None
    if squeeze is not None:
        attrs.append(f'textLength="{squeeze:.2f}" lengthAdjust="spacingAndGlyphs"')
    return f"<text {' '.join(attrs)}>{_xml(line.text)}</text>"


def _paste_photo(
    image: PilImage.Image, photo: bytes, box: tuple[float, float, float, float], k: float
) -> None:
    """Crop the photo to the box's 3:4 shape, scale it, round its corners and paste it."""
    from PIL import Image, ImageDraw, ImageOps

    x, y, w, h = (round(v * k) for v in box)
    with Image.open(io.BytesIO(photo)) as source:
        fitted = ImageOps.fit(ImageOps.exif_transpose(source).convert("RGB"), (w, h))
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), round(k), fill=255)
    image.paste(fitted, (x, y), mask)


def _paste_qr(image: PilImage.Image, code: segno.QRCode, k: float) -> None:
    """Draw ``code`` in the QR box, a whole number of pixels a module, centred."""
    from PIL import Image

    border = 4
    modules = len(code.matrix) + 2 * border
    box = round(_QR_SIZE * k)
    pixel = max(1, box // modules)
    light_row = b"\xff" * modules
    pad = b"\xff" * border
    rows = [light_row] * border
    rows += [pad + bytes(row).translate(_QR_GREY) + pad for row in code.matrix]
    rows += [light_row] * border
    qr = Image.frombytes("L", (modules, modules), b"".join(rows))
    qr = qr.resize((modules * pixel, modules * pixel), Image.Resampling.NEAREST)
    white = Image.new("L", (box, box), 255)
    offset = (box - modules * pixel) // 2
    white.paste(qr, (offset, offset))
    image.paste(white.convert("RGBA"), (round(_QR_X * k), round(_QR_Y * k)))


_QR_GREY: Final = bytes([255, 0]) + bytes(254)  # module 0 (light) -> 255, 1 (dark) -> 0
