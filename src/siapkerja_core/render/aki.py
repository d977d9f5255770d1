"""The AK/I document ("kartu kuning") as SVG and PDF, drawn from one layout.

An :class:`AkiDocument` holds what the yellow card prints (Permenaker
39/2016; ``domain.md`` §4): the job seeker's number, NIK, photo, name, place
and date of birth, sex, marital status, religion, address, education and
skills; the four report boxes with their due dates and when each was made;
the issuing Disnaker, its *pengantar kerja* (officer), the legalisation date
and the validity; and a QR code — the link to the holder's SIAPkerja-ID card
— so anyone can check the paper against the live record.

The page is A5 portrait (148 x 210 mm), coordinates in millimetres. The
layout is computed once (:meth:`AkiDocument.layout`, a list of primitives)
and drawn twice:

* :meth:`AkiDocument.to_svg`, with the card's machinery (its text width
  estimate, fitting and escaping, :mod:`~siapkerja_core.render.layout`; the QR
  path of :mod:`~siapkerja_core.render.qr`);
* :meth:`AkiDocument.to_pdf`, with **fpdf2** (pure Python; the ``pdf`` extra,
  ``docs/dependencies.md``). Its standard Helvetica needs no font file and
  measures text exactly; it covers Latin-1, which holds every name Dukcapil
  prints (A–Z, apostrophes, dots, accented vowels); any other character is
  folded to its base letter. Without fpdf2, :meth:`to_pdf` raises
  ``aki.pdf_unavailable`` naming the extra.

Text never overflows its box: a line shrinks from its size to a floor, then
wraps (address, education, skills: up to three lines, the last one ending in
an ellipsis) or is squeezed to the box's width (``textLength`` in SVG,
horizontal stretching in PDF).
"""

from __future__ import annotations

import base64
import io
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from attrs import field, frozen

from siapkerja_core.aki import (
    REPORT_COUNT,
    AkiError,
    AkiRegistration,
    AkiReport,
    AkiStatus,
    ReportState,
)
from siapkerja_core.profile import Profile
from siapkerja_core.profile.photo import sniff_image_type
from siapkerja_core.render.card import format_tanggal
from siapkerja_core.render.layout import _MONO, _SANS, _clean, _em, _floor, _Line, _xml
from siapkerja_core.render.qr import make_qr, qr_svg_path
from siapkerja_core.translations import text

if TYPE_CHECKING:
    import segno

__all__ = [
    "PAGE_HEIGHT_MM",
    "PAGE_WIDTH_MM",
    "AkiDocument",
    "dark_runs",
    "pdf_text_width",
    "render_pdf",
    "render_svg",
]

PAGE_WIDTH_MM: Final = 148.0
PAGE_HEIGHT_MM: Final = 210.0
_MARGIN: Final = 10.0
_YELLOW: Final = "#f6c400"
_INK: Final = "#111827"
_GREY: Final = "#4b5563"
_RULE: Final = "#9ca3af"
_LABEL_W: Final = 33.0
_VALUE_X: Final = _MARGIN + _LABEL_W
_PHOTO: Final = (PAGE_WIDTH_MM - _MARGIN - 30.0, 44.0, 30.0, 40.0)  # 3:4
_QR_SIZE: Final = 34.0
_QR_MAX_VERSION: Final = 10
_PT_PER_MM: Final = 72 / 25.4


@frozen
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None


@frozen
class Text:
    line: _Line
    anchor: str = "start"


@frozen
class Picture:
    x: float
    y: float
    w: float
    h: float


@frozen
class Qr:
    x: float
    y: float
    size: float


Primitive = Rect | Text | Picture | Qr


def _wrap(value: str, *, size: float, width: float, max_lines: int) -> list[str]:
    """``value`` in lines of at most ``width`` mm at ``size`` (greedy, by words).

    A word longer than a line is cut; past ``max_lines`` the last line ends in "…".
    """
    words = value.split()
    lines: list[str] = []
    current = ""
    for word in words:
        while _em(word) * size > width:  # a word wider than the line: cut it
            cut = len(word)
            while cut > 1 and _em(word[:cut] + "-") * size > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + "-")
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if _em(candidate) * size <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _em(last + " …") * size > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines or ["-"]


_PUNCTUATION: Final = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2026": "...",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)


def _fold_latin1(value: str) -> str:
    """``value`` in the PDF standard font's Latin-1: dashes, quotes and the ellipsis
    as ASCII, other letters without their accents, anything else ``?``."""
    value = unicodedata.normalize("NFC", value).translate(_PUNCTUATION)
    if all(ord(char) < 256 for char in value):
        return value
    folded = []
    for char in value:
        if ord(char) < 256:
            folded.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        folded.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(folded)


@frozen(kw_only=True)
class AkiDocument:
    """The AK/I of one holder, ready to draw (see the module docstring).

    Build it with :meth:`build` (the service's ``svc.aki.document``) or
    directly; every text is cleaned (NFC, no control characters) when drawn.
    """

    number: str
    status: AkiStatus
    holder_name: str
    nik: str
    siapkerja_id: str
    qr_text: str
    office_code: str
    office_name: str
    applied_on: date
    officer_name: str | None = None
    legalised_on: date | None = None
    valid_until: date | None = None
    birth_place: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    marital_status: str | None = None
    religion: str | None = None
    address: str | None = None
    education: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    reports: tuple[AkiReport, ...] = ()
    report_states: tuple[ReportState, ...] = ()
    photo: bytes | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        *,
        registration: AkiRegistration,
        profile: Profile,
        nik: str,
        siapkerja_id: str,
        qr_text: str,
        today: date,
    ) -> AkiDocument:
        """The document of ``registration`` with the fields of ``profile``."""
        bio = profile.biodata
        address = profile.domicile_address or profile.ktp_address
        ended = not registration.is_valid(today)
        reports = registration.reports()
        return cls(
            number=registration.number,
            status=registration.status_at(today),
            holder_name=profile.full_name,
            nik=nik,
            siapkerja_id=siapkerja_id,
            qr_text=qr_text,
            office_code=registration.office_code,
            office_name=registration.office_name,
            applied_on=registration.applied_on,
            officer_name=registration.officer_name,
            legalised_on=registration.legalised_on,
            valid_until=registration.valid_until,
            birth_place=bio.birth_place,
            birth_date=bio.birth_date,
            sex=None if bio.sex is None else bio.sex.label_id,
            marital_status=None if bio.marital_status is None else bio.marital_status.label_id,
            religion=None if bio.religion is None else bio.religion.label_id,
            address=None if address is None else address.one_line(),
            education=tuple(
                " ".join(
                    part
                    for part in (
                        e.level.value,
                        e.major or "",
                        "—",
                        e.institution,
                        f"({e.end_year})" if e.end_year else "",
                    )
                    if part
                )
                for e in profile.education
            ),
            skills=tuple(s.name for s in profile.skills),
            reports=reports,
            report_states=tuple(b.state(today, ended=ended) for b in reports),
            photo=None if profile.photo is None else profile.photo.content,
        )

    # -- layout -------------------------------------------------------------------------------

    def qr_code(self) -> segno.QRCode:
        """The QR code: the link to the holder's card, level M, version <= 10."""
        return make_qr(self.qr_text, error="m", max_version=_QR_MAX_VERSION)

    def layout(self) -> list[Primitive]:
        """What the page holds, in drawing order (millimetres, baselines for text)."""
        w = PAGE_WIDTH_MM
        inner = w - 2 * _MARGIN
        out: list[Primitive] = [
            Rect(0, 0, w, PAGE_HEIGHT_MM, fill="#ffffff"),
            Rect(0, 0, w, 24.0, fill=_YELLOW),
            Rect(_MARGIN / 2, _MARGIN / 2, w - _MARGIN, PAGE_HEIGHT_MM - _MARGIN, stroke=_RULE),
        ]
        head = _fit_line(text("render.aki.title"), _MARGIN, 10.5, inner, (4.2, 2.6), bold=True)
        out += [
            Text(head),
            Text(_Line(text("render.aki.short"), _MARGIN, 16.0, 3.4, inner, bold=True)),
            Text(_fit_line(text("render.card.ministry"), _MARGIN, 20.8, inner, (2.6, 2.0))),
        ]
        # The number, large, as the card's; then the identity rows beside the photo.
        out.append(Text(_Line(text("render.aki.number"), _MARGIN, 31.5, 2.4, inner, fill=_GREY)))
        out.append(
            Text(_fit_line(self.number, _MARGIN, 38.0, inner, (5.0, 3.0), bold=True, mono=True))
        )
        px, py, pw, ph = _PHOTO
        out.append(Rect(px, py, pw, ph, stroke=_RULE, fill="#f3f4f6"))
        if self.photo is not None:
            out.append(Picture(px, py, pw, ph))
        narrow = px - 3.0 - _VALUE_X
        wide = w - _MARGIN - _VALUE_X
        y = 48.0
        rows: list[tuple[str, str, int]] = [
            (text("render.aki.nik"), self.nik, 1),
            (text("render.aki.name"), self.holder_name, 2),
            (text("render.aki.birth"), self._birth(), 1),
            (text("render.aki.sex"), self.sex or "-", 1),
            (text("render.aki.marital"), self.marital_status or "-", 1),
            (text("render.aki.religion"), self.religion or "-", 1),
            (text("render.aki.address"), self.address or "-", 3),
            (text("render.aki.education"), "; ".join(self.education) or "-", 3),
            (text("render.aki.skills"), ", ".join(self.skills) or "-", 3),
        ]
        for label, value, max_lines in rows:
            width = narrow if y < py + ph + 4.0 else wide  # a baseline below the photo's foot
            size = 2.9
            lines = _wrap(_clean(value), size=size, width=width, max_lines=max_lines)
            out.append(Text(_Line(label, _MARGIN, y, 2.5, _LABEL_W - 2.0, fill=_GREY)))
            for index, line in enumerate(lines):
                bold = label == text("render.aki.name")
                out.append(Text(_Line(line, _VALUE_X, y + index * 3.9, size, width, bold=bold)))
            y += 3.9 * len(lines) + 2.3
        out += self._report_grid(max(y + 2.0, 118.0))
        out += self._footer()
        return out

    def _birth(self) -> str:
        place = self.birth_place or "-"
        day = "-" if self.birth_date is None else format_tanggal(self.birth_date)
        return f"{place}, {day}"

    def _report_grid(self, top: float) -> list[Primitive]:
        inner = PAGE_WIDTH_MM - 2 * _MARGIN
        out: list[Primitive] = [
            Text(_Line(text("render.aki.reports"), _MARGIN, top, 2.8, inner, bold=True))
        ]
        gap, box_w, box_h = 2.0, (inner - 3 * 2.0) / 4, 20.0
        y = top + 2.5
        reports: Sequence[AkiReport | None] = self.reports or (None,) * REPORT_COUNT
        for index, box in enumerate(reports):
            x = _MARGIN + index * (box_w + gap)
            out.append(Rect(x, y, box_w, box_h, stroke=_INK))
            label = text("render.aki.report", index=index + 1)
            out.append(Text(_Line(label, x + 1.5, y + 4.2, 2.6, box_w - 3, bold=True)))
            if box is None:
                due, made = "-", text("render.aki.not_legalised")
            else:
                due = text("render.aki.due", date=format_tanggal(box.due_on))
                state = self.report_states[index] if self.report_states else None
                if box.reported_on is not None:
                    made = text("render.aki.reported", date=format_tanggal(box.reported_on))
                elif state is ReportState.MISSED:
                    made = text("render.aki.missed")
                else:
                    made = text("render.aki.not_reported")
            out.append(Text(_fit_line(due, x + 1.5, y + 9.5, box_w - 3, (2.3, 1.7))))
            out.append(Text(_fit_line(made, x + 1.5, y + 15.0, box_w - 3, (2.3, 1.7), bold=True)))
        return out

    def _footer(self) -> list[Primitive]:
        top = 150.0
        qr_x = PAGE_WIDTH_MM - _MARGIN - _QR_SIZE
        width = qr_x - 3.0 - _VALUE_X
        rows = [
            (text("render.aki.office"), f"{self.office_name} ({self.office_code})"),
            (text("render.aki.officer"), self.officer_name or "-"),
            (
                text("render.aki.legalised"),
                text("render.aki.not_legalised")
                if self.legalised_on is None
                else format_tanggal(self.legalised_on),
            ),
            (
                text("render.aki.valid_until"),
                "-" if self.valid_until is None else format_tanggal(self.valid_until),
            ),
            (text("render.aki.status"), text(f"render.aki.status.{self.status.value}")),
            (text("render.aki.siapkerja_id"), self.siapkerja_id),
        ]
        out: list[Primitive] = []
        y = top + 3.0
        for label, value in rows:
            lines = _wrap(_clean(value), size=2.7, width=width, max_lines=2)
            out.append(Text(_Line(label, _MARGIN, y, 2.4, _LABEL_W - 2.0, fill=_GREY)))
            for index, line in enumerate(lines):
                out.append(Text(_Line(line, _VALUE_X, y + index * 3.6, 2.7, width, bold=True)))
            y += 3.6 * len(lines) + 2.0
        out.append(Qr(qr_x, top, _QR_SIZE))
        hint = _Line(
            text("render.aki.scan_hint"),
            qr_x + _QR_SIZE / 2,
            top + _QR_SIZE + 3.0,
            2.1,
            _QR_SIZE + 6.0,
            fill=_GREY,
        )
        out.append(Text(hint, anchor="middle"))
        out += self._signatures()
        return out

    def _signatures(self) -> list[Primitive]:
        """The two signature lines of the yellow card: the job seeker's and the officer's."""
        y, width = 197.0, 50.0
        out: list[Primitive] = []
        for x, label in (
            (_MARGIN, text("render.aki.signature_holder")),
            (PAGE_WIDTH_MM - _MARGIN - width, text("render.aki.signature_officer")),
        ):
            out.append(Rect(x, y - 4.5, width, 0.01, stroke=_INK))
            out.append(Text(_fit_line(label, x, y, width, (2.2, 1.7))))
        return out

    # -- SVG ----------------------------------------------------------------------------------

    def to_svg(self) -> str:
        """The document as an SVG page (A5, user units in mm; text escaped, no XML declaration)."""
        w, h = PAGE_WIDTH_MM, PAGE_HEIGHT_MM
        label = _xml(f"AK/I {_clean(self.number)}: {_clean(self.holder_name)}")
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}mm" height="{h:g}mm"'
            f' viewBox="0 0 {w:g} {h:g}" role="img" aria-labelledby="aki-t">',
            f'<title id="aki-t">{label}</title>',
            f'<g font-family="{_SANS}">',
        ]
        for item in self.layout():
            if isinstance(item, Rect):
                fill = item.fill or "none"
                stroke = f' stroke="{item.stroke}" stroke-width=".3"' if item.stroke else ""
                out.append(
                    f'<rect x="{item.x:g}" y="{item.y:g}" width="{item.w:g}" height="{item.h:g}"'
                    f' fill="{fill}"{stroke}/>'
                )
            elif isinstance(item, Text):
                out.append(_svg_text(item.line, item.anchor))
            elif isinstance(item, Picture):
                media = sniff_image_type(self.photo or b"") or "image/png"
                data = base64.b64encode(self.photo or b"").decode("ascii")
                out.append(
                    f'<image x="{item.x:g}" y="{item.y:g}" width="{item.w:g}" height="{item.h:g}"'
                    f' preserveAspectRatio="xMidYMid slice" href="data:{media};base64,{data}"/>'
                )
            else:
                code = self.qr_code()
                size = len(code.matrix) + 8
                scale = item.size / size
                out += [
                    f'<g transform="translate({item.x:g} {item.y:g}) scale({scale:.6f})">',
                    f'<rect width="{size}" height="{size}" fill="#fff"/>',
                    f'<path fill="none" stroke="#000" d="{qr_svg_path(code, border=4)}"/>',
                    "</g>",
                ]
        out += ["</g>", "</svg>"]
        return "".join(out)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    # -- PDF ----------------------------------------------------------------------------------

    def to_pdf(self) -> bytes:
        """The document as a one-page A5 PDF.

        :raises AkiError: ``pdf_unavailable`` without fpdf2 (``pip install 'siapkerja[pdf]'``).
        """
        try:
            from fpdf import FPDF  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:
            raise AkiError("pdf_unavailable", extra="pdf") from exc
        # A5 in millimetres: fpdf2 >= 2.8.5 warns on every document named "A5" (its size was fixed).
        pdf = FPDF(orientation="P", unit="mm", format=(148, 210))
        pdf.set_auto_page_break(auto=False)
        pdf.set_margins(0, 0, 0)
        pdf.set_title(_fold_latin1(f"AK/I {_clean(self.number)}"))
        pdf.set_creator("siapkerja")
        pdf.add_page()
        for item in self.layout():
            if isinstance(item, Rect):
                _pdf_rect(pdf, item)
            elif isinstance(item, Text):
                _pdf_text(pdf, item)
            elif isinstance(item, Picture):
                pdf.image(
                    io.BytesIO(self.photo or b""),
                    item.x,
                    item.y,
                    item.w,
                    item.h,
                    keep_aspect_ratio=True,
                )
            else:
                _pdf_qr(pdf, self.qr_code(), item)
        return bytes(pdf.output())

    def to_text(self) -> str:
        """Number, holder, office, validity and the four reports, for a terminal."""
        rows = [
            f"{text('render.aki.title')} ({text('render.aki.short')})",
            f"{text('render.aki.number')}: {self.number}",
            f"{text('render.aki.name')}: {_clean(self.holder_name)}",
            f"{text('render.aki.office')}: {self.office_name} ({self.office_code})",
            f"{text('render.aki.status')}: {text(f'render.aki.status.{self.status.value}')}",
            f"{text('render.aki.valid_until')}: "
            + ("-" if self.valid_until is None else format_tanggal(self.valid_until)),
        ]
        for box in self.reports:
            made = "-" if box.reported_on is None else format_tanggal(box.reported_on)
            rows.append(
                f"  {text('render.aki.report', index=box.index)}: "
                f"{format_tanggal(box.due_on)} / {made}"
            )
        return "\n".join(rows)


def render_svg(document: AkiDocument) -> str:
    """``document`` as SVG (:meth:`AkiDocument.to_svg`)."""
    return document.to_svg()


def render_pdf(document: AkiDocument) -> bytes:
    """``document`` as an A5 PDF (:meth:`AkiDocument.to_pdf`).

    :raises AkiError: ``pdf_unavailable`` without the ``pdf`` extra (fpdf2); its
        message names ``pip install 'siapkerja[pdf]'``.
    """
    return document.to_pdf()


def _fit_line(
    value: str,
    x: float,
    y: float,
    width: float,
    sizes: tuple[float, float],
    *,
    bold: bool = False,
    mono: bool = False,
) -> _Line:
    """A line at the largest size in ``sizes`` (largest, smallest) that fits ``width``."""
    largest, smallest = sizes
    cleaned = _clean(value)
    size = max(smallest, min(largest, width / max(_em(cleaned, mono), 0.01)))
    return _Line(cleaned, x, y, _floor(size), width, bold=bold, mono=mono)


def _svg_text(line: _Line, anchor: str = "start") -> str:
    attrs = [f'x="{line.x:g}"', f'y="{line.y:g}"', f'font-size="{line.size:g}"']
    if line.bold:
        attrs.append('font-weight="700"')
    if line.mono:
        attrs.append(f'font-family="{_MONO}"')
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    attrs.append(f'fill="{line.fill}"')
    if line.squeeze is not None and anchor == "start":
        attrs.append(f'textLength="{line.squeeze:.2f}" lengthAdjust="spacingAndGlyphs"')
    return f"<text {' '.join(attrs)}>{_xml(line.text)}</text>"


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _pdf_rect(pdf: Any, item: Rect) -> None:
    style = ""
    if item.fill:
        pdf.set_fill_color(*_rgb(item.fill))
        style += "F"
    if item.stroke:
        pdf.set_draw_color(*_rgb(item.stroke))
        pdf.set_line_width(0.3)
        style = "DF" if style else "D"
    pdf.rect(item.x, item.y, item.w, item.h, style=style)


def pdf_text_width(pdf: Any, line: _Line) -> float:
    """The real width in mm of ``line`` in the PDF's font (fpdf2 measures it exactly)."""
    pdf.set_font(
        "Courier" if line.mono else "Helvetica", "B" if line.bold else "", line.size * _PT_PER_MM
    )
    return float(pdf.get_string_width(_fold_latin1(line.text)))


def _pdf_text(pdf: Any, item: Text) -> None:
    line = item.line
    value = _fold_latin1(line.text)
    width = pdf_text_width(pdf, line)
    stretch = 100.0
    if width > line.width:  # squeeze to the box, as textLength does in the SVG
        stretch = _floor(100.0 * line.width / width)
        width = width * stretch / 100.0
    pdf.set_stretching(stretch)
    pdf.set_text_color(*_rgb(line.fill))
    x = line.x - width / 2 if item.anchor == "middle" else line.x
    pdf.text(x, line.y, value)
    pdf.set_stretching(100.0)


def dark_runs(code: segno.QRCode) -> list[tuple[int, int, int]]:
    """The QR's dark modules as horizontal runs ``(row, first column, length)``.

    What the PDF draws (one filled rectangle a run, not one a module).
    """
    runs: list[tuple[int, int, int]] = []
    matrix: Sequence[Sequence[int]] = code.matrix
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row_index, start, col - start))
                start = None
    return runs


def _pdf_qr(pdf: Any, code: segno.QRCode, item: Qr) -> None:
    """The QR on white, its quiet zone four modules, dark runs filled."""
    unit = item.size / (len(code.matrix) + 8)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(item.x, item.y, item.size, item.size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row, first, length in dark_runs(code):
        x, y = item.x + (first + 4) * unit, item.y + (row + 4) * unit
        pdf.rect(x, y, length * unit, unit, style="F")
