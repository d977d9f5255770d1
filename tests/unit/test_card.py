"""The card: ID-1 SVG, PNG at 300 dpi, terminal text, notebook reprs, QR caching per version.

The QR on the card PNG is read back with zxing-cpp (whole card and the QR
region alone) and must give exactly the card's link or token.
"""

from __future__ import annotations

import base64
import io
import random
import re
import sys
import xml.etree.ElementTree as ET
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from siapkerja_core.render.card import (
    BULAN,
    CARD_MAX_VERSION,
    Card,
    CardError,
    default_cache,
    format_tanggal,
)
from siapkerja_core.render.layout import _em
from siapkerja_core.render.qr import QrCache, QrTooLarge, make_qr

SVG = "{http://www.w3.org/2000/svg}"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER = "SK-7KQ4-M2XD-9P7"
LINK = "https://siapkerja.kemnaker.id/L1-7KQ4M2XD9P3-ABCD.Q2V8K3M9TZ4WQ7R1B6N0HJ5XE2"
LONG_NAME = "Raden Mas Muhammad Abdurrahman Wahyu Kusumaningrat Prawirodi"  # 60 characters
QR_BOX = (52.6, 12.4, 30.0)  # x, y, size in mm: see card.py


def parse_svg(svg: str) -> ET.Element:
    """Parse SVG the card made (trusted input)."""
    return ET.fromstring(svg)  # noqa: S314


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def decode(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


def on_white(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    white = Image.new("RGB", image.size, "white")
    white.paste(image, mask=image.getchannel("A"))
    return white


def qr_region(image: Image.Image, dpi: int) -> Image.Image:
    k = dpi / 25.4
    x, y, size = QR_BOX
    return image.crop((round(x * k), round(y * k), round((x + size) * k), round((y + size) * k)))


def photo_bytes(kind: str = "JPEG") -> bytes:
    image = Image.new("RGB", (60, 80), (180, 120, 90))
    out = io.BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


def card(**changes: object) -> Card:
    fields: dict[str, object] = {
        "siapkerja_id": NUMBER,
        "holder_name": "Galih Agan Pambayun",
        "issued_at": date(2026, 11, 27),
        "qr_text": LINK,
    }
    fields.update(changes)
    return Card(**fields)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    default_cache.clear()


# -- dates ----------------------------------------------------------------


def test_issue_date_in_indonesian() -> None:
    assert format_tanggal(date(2026, 11, 27)) == "27 November 2026"
    assert format_tanggal(date(2025, 1, 1)) == "1 Januari 2025"
    assert [format_tanggal(date(2026, m, 2)).split()[1] for m in range(1, 13)] == list(BULAN)
    assert BULAN[4] == "Mei"
    assert BULAN[7] == "Agustus"


# -- SVG ------------------------------------------------------------------


def test_svg_is_id1_size_in_mm_with_rounded_corners() -> None:
    svg = card().to_svg()
    assert svg.startswith("<svg")
    root = parse_svg(svg)
    assert root.get("width") == "85.60mm"
    assert root.get("height") == "53.98mm"
    assert root.get("viewBox") == "0 0 85.60 53.98"
    clip = root.find(f"{SVG}defs/{SVG}clipPath/{SVG}rect")
    assert clip is not None
    assert clip.get("rx") == "3.18"


def test_svg_shows_header_name_number_and_date() -> None:
    shown = texts(parse_svg(card().to_svg()))
    for expected in (
        "SIAPkerja-ID",
        "Kementerian Ketenagakerjaan Republik Indonesia",
        "Kartu Digital Ketenagakerjaan",
        "Galih Agan Pambayun",
        NUMBER,
        "Diterbitkan",
        "27 November 2026",
    ):
        assert expected in shown


def test_svg_escapes_the_name() -> None:
    name = '<script>alert("x")</script> & Co'
    svg = card(holder_name=name).to_svg()
    root = parse_svg(svg)
    assert " ".join(texts(root)[3:5]) == name  # wrapped onto two lines
    title = root.find(f"{SVG}title")
    assert title is not None
    assert name in (title.text or "")
    assert not any(element.tag.endswith("script") for element in root.iter())
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_control_characters_are_dropped() -> None:
    name = "Galih\x1b[2J\x00 Agan\u200b\tPambayun"
    some = card(holder_name=name)
    assert "Galih[2J Agan\u200b Pambayun" in texts(parse_svg(some.to_svg()))
    assert "\x1b" not in some.to_terminal()


def test_a_60_character_name_wraps_onto_two_lines_that_fit() -> None:
    assert len(LONG_NAME) == 60
    root = parse_svg(card(holder_name=LONG_NAME).to_svg())
    lines = [
        element
        for element in root.iter(f"{SVG}text")
        if element.text and element.text in LONG_NAME and element.text != "SIAPkerja-ID"
    ]
    assert len(lines) == 2
    assert " ".join(line.text or "" for line in lines) == LONG_NAME
    for line in lines:
        size = float(line.get("font-size", "0"))
        assert size >= 2.2
        # the estimate is sized for the widest fallback font (DejaVu Sans Bold)
        right = float(line.get("x", "0")) + _em(line.text or "") * size
        assert right <= QR_BOX[0]


def test_a_very_long_single_word_name_is_split_and_squeezed() -> None:
    name = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschafers"
    root = parse_svg(card(holder_name=name).to_svg())
    lines = [e for e in root.iter(f"{SVG}text") if e.text and e.text.rstrip("-") in name]
    assert len(lines) == 2
    first, second = (line.text or "" for line in lines)
    assert first.endswith("-")
    assert first[:-1] + second == name
    assert all(float(line.get("textLength", "99")) <= QR_BOX[0] - 4 for line in lines)


def test_short_names_stay_on_one_line() -> None:
    root = parse_svg(card(holder_name="Siti").to_svg())
    (line,) = (e for e in root.iter(f"{SVG}text") if e.text == "Siti")
    assert float(line.get("font-size", "0")) == 3.8


def _qr_group(root: ET.Element) -> tuple[ET.Element, float, float, float]:
    for group in root.iter(f"{SVG}g"):
        found = re.fullmatch(
            r"translate\(([\d.]+) ([\d.]+)\) scale\(([\d.]+)\)", group.get("transform", "")
        )
        if found:
            return group, *(float(v) for v in found.groups())  # type: ignore[return-value]
    raise AssertionError("no QR group")


def test_svg_qr_is_printable_and_exactly_the_code() -> None:
    some = card()
    group, x, y, scale = _qr_group(parse_svg(some.to_svg()))
    code = make_qr(LINK)
    modules = len(code.matrix) + 8
    assert modules * scale >= 20.0  # mm, quiet zone included
    assert x + modules * scale <= 85.60
    assert y + modules * scale <= 53.98
    path = group.find(f"{SVG}path")
    assert path is not None
    cells: set[tuple[int, int]] = set()
    cx = cy = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d", "")):
        if command == "M":
            cx, cy = float(a), float(b)
        elif command == "m":
            cx, cy = cx + float(a), cy + float(b)
        else:
            cells.update((int(cx) + i, int(cy)) for i in range(int(a)))
            cx += float(a)
    dark = {(c + 4, r + 4) for r, row in enumerate(code.matrix) for c, bit in enumerate(row) if bit}
    assert cells == dark


def test_photo_is_embedded_as_a_data_uri() -> None:
    jpeg = photo_bytes("JPEG")
    root = parse_svg(card(photo=jpeg).to_svg())
    (image,) = root.iter(f"{SVG}image")
    href = image.get("href", "")
    assert href.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(href.split(",", 1)[1]) == jpeg


def test_photo_type_is_detected_and_checked() -> None:
    assert card(photo=photo_bytes("PNG")).photo_media_type == "image/png"
    assert card(photo=photo_bytes("WEBP")).photo_media_type == "image/webp"
    assert card().photo_media_type is None
    with pytest.raises(CardError) as caught:
        card(photo=photo_bytes("PNG"), photo_type="image/jpeg")
    assert caught.value.full_code == "card.photo_type"
    with pytest.raises(CardError):
        card(photo=b"<svg onload=alert(1)>")
    with pytest.raises(CardError) as too_big:
        card(photo=b"\xff\xd8\xff" + bytes(2 << 20))
    assert too_big.value.code == "photo_size"


@pytest.mark.parametrize("name", ["siapkerja_id", "holder_name", "qr_text", "title"])
def test_empty_fields_are_refused(name: str) -> None:
    with pytest.raises(CardError) as caught:
        card(**{name: " \t"})
    assert caught.value.full_code == "card.empty"
    assert caught.value.params == {"field": name}


def test_qr_version_must_be_a_natural_number() -> None:
    with pytest.raises(CardError):
        card(qr_version=-1)


def test_qr_text_too_large_for_a_card() -> None:
    too_long = "https://x.id/" + "a" * 400
    some = card(qr_text=too_long)
    with pytest.raises(QrTooLarge) as caught:
        some.to_svg()
    assert caught.value.params["max_version"] == CARD_MAX_VERSION


def test_notebook_reprs() -> None:
    some = card()
    assert some._repr_svg_() == some.to_svg()
    html = some._repr_html_()
    assert html.startswith("<div")
    assert some.to_svg() in html


# -- PNG ------------------------------------------------------------------

RNG = random.Random(7)
ACCESS_TOKEN = "A1-" + "".join(RNG.choice(CROCKFORD + "-.") for _ in range(137))
LOWERCASE_LINK = "https://siapkerja.kemnaker.go.id/v/L1-" + "".join(
    RNG.choice(CROCKFORD) for _ in range(47)
)


def test_png_is_id1_at_300_dpi() -> None:
    image = Image.open(io.BytesIO(card().to_png()))
    assert abs(image.width - 1011) <= 1
    assert abs(image.height - 638) <= 1
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]  # rounded corner: transparent
    assert round(image.info["dpi"][0]) == 300


def test_png_at_600_dpi() -> None:
    image = Image.open(io.BytesIO(card().to_png(dpi=600)))
    assert abs(image.width - 2022) <= 1
    assert abs(image.height - 1275) <= 1


@pytest.mark.parametrize("text", [LINK, LOWERCASE_LINK, ACCESS_TOKEN])
@pytest.mark.parametrize("dpi", [96, 150, 300])
def test_card_png_qr_decodes_exactly(text: str, dpi: int) -> None:
    image = on_white(card(qr_text=text).to_png(dpi=dpi))
    assert decode(image) == [text]
    assert decode(qr_region(image, dpi)) == [text]


def test_card_png_with_a_photo_and_a_long_name_still_decodes() -> None:
    image = on_white(card(holder_name=LONG_NAME, photo=photo_bytes("PNG")).to_png())
    assert decode(qr_region(image, 300)) == [LINK]


def test_card_qr_png_decodes() -> None:
    assert decode(Image.open(io.BytesIO(card().qr_png(scale=4)))) == [LINK]


def test_bad_dpi() -> None:
    with pytest.raises(ValueError):
        card().to_png(dpi=10)


def test_png_without_pillow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"siapkerja\[card\]"):
        card().to_png()


# -- terminal -------------------------------------------------------------


def test_terminal_shows_name_number_date_and_qr() -> None:
    text = card().to_terminal()
    assert NUMBER in text
    assert "Galih Agan Pambayun" in text
    assert "27 November 2026" in text
    assert "\u2584" in text
    assert "\u2580" in text


# -- caching and rotation -------------------------------------------------


def test_qr_is_cached_per_card_and_version() -> None:
    cache = QrCache()
    some = card()
    first = some.to_svg(cache=cache)
    misses = cache.misses
    assert some.to_svg(cache=cache) == first
    assert cache.misses == misses
    assert cache.hits >= 1
    assert some.qr_code(cache=cache) is some.qr_code(cache=cache)


def test_rotation_invalidates_and_never_serves_the_old_code() -> None:
    cache = QrCache()
    old = card()
    old_svg = old.to_svg(cache=cache)
    old.to_terminal(cache=cache)
    assert len(cache) >= 2
    new_link = LINK.replace("ABCD", "EFGH")
    new = old.rotate(new_link, cache=cache)
    assert new.qr_version == old.qr_version + 1
    assert new.qr_text == new_link
    assert len(cache) == 0  # the old card's entries are gone
    new_svg = new.to_svg(cache=cache)
    assert new_svg != old_svg
    assert decode(Image.open(io.BytesIO(new.qr_png(cache=cache, scale=3)))) == [new_link]


def test_same_version_but_other_text_is_not_served_stale() -> None:
    cache = QrCache()
    card().to_svg(cache=cache)
    other = card(qr_text=LINK.replace("ABCD", "WXYZ"))  # forgot to bump the version
    assert decode(Image.open(io.BytesIO(other.qr_png(cache=cache, scale=3)))) == [other.qr_text]
    assert other.qr_code(cache=cache).matrix == make_qr(other.qr_text).matrix


def test_uncached_rendering_is_the_same() -> None:
    some = card()
    assert some.to_svg(cache=None) == some.to_svg()
    assert some.to_terminal(cache=None) == some.to_terminal()
    assert some.qr_png(cache=None) == some.qr_png()


def test_default_cache_is_used() -> None:
    card().to_svg()
    assert len(default_cache) >= 1


def test_a_card_in_english_has_english_words_everywhere() -> None:
    """An English page shows an English card (issue 14): title, labels, date, scan hint."""
    english = card(issued_at=date(2026, 12, 6)).in_language("en")
    svg = english.to_svg(cache=None)
    for words in ("Digital Manpower Card", "Issued", "6 December 2026", "Scan to see the profile"):
        assert words in svg
    for words in ("Kartu Digital", "Diterbitkan", "Desember", "Pindai"):
        assert words not in svg
    assert "Issued" in english.to_terminal(cache=None)
    indonesian = card(issued_at=date(2026, 12, 6))
    assert "Diterbitkan" in indonesian.to_svg(cache=None)
    assert "6 Desember 2026" in indonesian.to_svg(cache=None)
    assert english.in_language("id").to_svg(cache=None) == indonesian.to_svg(cache=None)


def test_a_cards_own_title_is_kept_in_another_language() -> None:
    own = card(title="Kartu Pencari Kerja").in_language("en")
    assert own.title == "Kartu Pencari Kerja"
    assert own.lang == "en"
