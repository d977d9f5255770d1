"""The AK/I document drawn: SVG well-formed, PDF a real one-page A5, nothing overflows."""

from __future__ import annotations

import io
import sys
import warnings
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from siapkerja_core.aki import AkiError, AkiRegistration, AkiStatus
from siapkerja_core.render.aki import (
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    AkiDocument,
    Text,
    dark_runs,
    pdf_text_width,
    render_pdf,
    render_svg,
)
from siapkerja_core.render.layout import _em

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
LONG_NAME = (
    "Ni Luh Putu Ayu Kadek Sri Wahyuningsih Dewi Anak Agung Istri Mas Ratu Kencana"
    " Wungu Cokorda Gede Raka Sukawati Mahendradatta"
)
SVG = "{http://www.w3.org/2000/svg}"


def png() -> bytes:
    pil = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    pil.new("RGB", (30, 40), (200, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def document(**changes: object) -> AkiDocument:
    record = AkiRegistration(
        id="r1",
        account_id="a1",
        number="AK1-3273-2026-4820571-2",
        office_code="3273",
        office_name="Dinas Tenaga Kerja Kota Bandung",
        status=AkiStatus.APPLIED,
        applied_at=NOW,
        updated_at=NOW,
    ).legalised(date(2026, 12, 6), officer_id="v", officer_name="Siti Rahma", now=NOW)
    values: dict[str, object] = {
        "number": record.number,
        "status": record.status,
        "holder_name": "Galih Agan Pambayun",
        "nik": "3173071203940042",
        "siapkerja_id": "SK-7KQ4-M2XD-9P7",
        "qr_text": "https://siapkerja.kemnaker.go.id/v/L1.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "office_code": record.office_code,
        "office_name": record.office_name,
        "applied_on": date(2026, 12, 6),
        "officer_name": record.officer_name,
        "legalised_on": record.legalised_on,
        "valid_until": record.valid_until,
        "birth_place": "Jakarta",
        "birth_date": date(1994, 3, 12),
        "sex": "Laki-laki",
        "marital_status": "Belum Menikah",
        "religion": "Islam",
        "address": "Jl. Palmerah Barat, RT 005/RW 003, Palmerah, Kota Adm. Jakarta Barat",
        "education": ("S1 Informatika — BINUS University (2018)",),
        "skills": ("PHP", "Laravel", "Linux"),
        "reports": record.reports(),
        "photo": None,
    }
    values.update(changes)
    return AkiDocument(**values)  # type: ignore[arg-type]


def test_the_svg_is_well_formed_a5_and_holds_the_card() -> None:
    svg = document(photo=png()).to_svg()
    root = ET.fromstring(svg)  # noqa: S314 - the library's own output
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("148mm", "210mm")
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for shown in ("AK1-3273-2026-4820571-2", "3173071203940042", "Galih Agan Pambayun"):
        assert shown in texts
    assert "Laporan 4" in texts
    assert "6 Desember 2028" in texts  # valid until
    assert [i.get("href", "")[:22] for i in root.iter(f"{SVG}image")] == ["data:image/png;base64,"]
    assert len(list(root.iter(f"{SVG}path"))) == 1  # the QR


def test_markup_in_a_name_is_text() -> None:
    svg = document(holder_name='<script>alert("x")</script> & Co').to_svg()
    root = ET.fromstring(svg)  # noqa: S314 - the library's own output
    assert not list(root.iter(f"{SVG}script"))
    assert any("<script>" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_the_pdf_is_a_real_one_page_a5() -> None:
    pypdf = pytest.importorskip("pypdf")
    data = document(photo=png()).to_pdf()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        148,
        210,
    )
    text = reader.pages[0].extract_text()
    for shown in ("AK1-3273-2026-4820571-2", "3173071203940042", "Siti Rahma", "Laporan 1"):
        assert shown in text
    assert reader.pages[0].images  # the photo


def test_the_pdf_raises_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # fpdf2 2.8.5+ warns "Dimensions for page format A5 were fixed" whenever a page
    # format is named: the size is given in millimetres instead. The installed fpdf2
    # may be older (no warning either way), so the format passed is checked too.
    fpdf = pytest.importorskip("fpdf")
    formats: list[object] = []

    class Spy(fpdf.FPDF):  # type: ignore[misc,name-defined]
        def __init__(self, *args: object, **kwargs: object) -> None:
            formats.append(kwargs.get("format"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(fpdf, "FPDF", Spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = document(photo=png()).to_pdf()
    assert data.startswith(b"%PDF-")
    assert formats == [(148, 210)]


def test_indonesian_and_other_letters_reach_the_pdf() -> None:
    pypdf = pytest.importorskip("pypdf")
    name = "Ma'ruf Amin Nasution-Siregar, S.Pd., Mélati Ṣalīḥ 李"
    text = pypdf.PdfReader(io.BytesIO(document(holder_name=name).to_pdf())).pages[0].extract_text()
    # Wrapped on two lines; Latin-1 kept, other accents dropped, other scripts "?".
    assert "Ma'ruf Amin Nasution-Siregar, S.Pd., Mélati Salih ?" in " ".join(text.split())


def _fpdf() -> object:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF(unit="mm", format=(148, 210))  # A5 in mm: fpdf2 >= 2.8.5 warns on "A5"
    pdf.add_page()
    return pdf


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"holder_name": LONG_NAME},
        {"holder_name": "W" * 90},  # one word wider than the column
        {
            "address": "Jl. " + "Raya Cibaduyut Blok " * 12,
            "skills": tuple(f"Skill {i}" for i in range(40)),
        },
        {"office_name": "Dinas Tenaga Kerja dan Transmigrasi " * 4, "officer_name": LONG_NAME},
        {
            "education": tuple(
                f"S{i} Teknik Mesin — Universitas Negeri Sebelas Maret" for i in range(6)
            )
        },
    ],
)
def test_no_text_leaves_its_box_or_the_page(changes: dict[str, object]) -> None:
    doc = document(**changes)
    pdf = _fpdf()
    lines = [item.line for item in doc.layout() if isinstance(item, Text)]
    for line in lines:
        estimated = _em(line.text, line.mono) * line.size
        # Shrunk or wrapped to fit, never squeezed: the estimate fits the box...
        assert line.squeeze is None, line
        assert estimated <= line.width + 1e-6, line
        # ... and is conservative: the PDF's real Helvetica never outgrows it.
        assert pdf_text_width(pdf, line) <= line.width + 1e-6, line
        if line.x < PAGE_WIDTH_MM / 2:  # left-aligned text stays inside the frame
            assert line.x + estimated <= PAGE_WIDTH_MM - 5 + 1e-6, line
        assert 0 < line.y < PAGE_HEIGHT_MM - 5
    name_lines = [line.text for line in lines if line.bold and line.y < 70 and line.x > 40]
    assert "…" not in name_lines[0]
    if changes.get("holder_name") == LONG_NAME:
        assert len([t for t in name_lines if t.startswith(("Ni Luh", "Wungu", "Istri"))]) >= 1
    doc.to_pdf()  # and it draws


def test_long_text_wraps_to_at_most_three_lines_with_an_ellipsis() -> None:
    doc = document(skills=tuple(f"Keterampilan nomor {i}" for i in range(60)))
    skills = [
        item.line.text
        for item in doc.layout()
        if isinstance(item, Text) and "Keterampilan nomor" in item.line.text
    ]
    assert len(skills) == 3
    assert skills[-1].endswith("…")


def test_an_unlegalised_document_says_so() -> None:
    doc = document(status=AkiStatus.APPLIED, legalised_on=None, valid_until=None, reports=())
    texts = [item.line.text for item in doc.layout() if isinstance(item, Text)]
    assert texts.count("Belum dilegalisasi") == 5  # four empty boxes and the date
    assert "Diajukan" in texts


def test_without_fpdf2_the_pdf_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fpdf", None)  # the import fails as if not installed
    with pytest.raises(AkiError) as missing:
        render_pdf(document())
    assert missing.value.code == "pdf_unavailable"
    assert "siapkerja[pdf]" in missing.value.message_en
    assert render_svg(document()).startswith("<svg")  # SVG needs nothing more


def test_the_qr_drawn_in_runs_scans_to_the_card_link() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    doc = document()
    code = doc.qr_code()
    scale, size = 8, len(code.matrix) + 8
    image = image_module.new("L", (size * scale, size * scale), 255)
    pixels = image.load()
    for row, first, length in dark_runs(code):  # exactly what the PDF fills
        for col in range(first, first + length):
            for dy in range(scale):
                for dx in range(scale):
                    pixels[(col + 4) * scale + dx, (row + 4) * scale + dy] = 0
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [doc.qr_text]
