"""QR codes: segments, levels and versions, the fixed mask, SVG/PNG/terminal output, the cache.

Every code that matters is read back with a real decoder (zxing-cpp) and must
give back exactly the text that went in.
"""

from __future__ import annotations

import io
import random
import re
import threading
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from segno import consts
from segno import encoder as segno_encoder

from siapkerja_core.render.qr import (
    ALPHANUMERIC_CHARSET,
    FIXED_MASK,
    QrCache,
    QrError,
    QrTooLarge,
    make_qr,
    qr_png,
    qr_svg,
    qr_svg_path,
    qr_terminal,
    segments_for,
)

BASE_URL = "https://siapkerja.kemnaker.id/"  # 30 characters
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SVG = "{http://www.w3.org/2000/svg}"


def link_token(rng: random.Random, length: int = 50) -> str:
    """A link token shaped like tokens.py's: ``L1-<ref>-<4>.<signature>``, Crockford upper case."""

    def chars(n: int) -> str:
        return "".join(rng.choice(CROCKFORD) for _ in range(n))

    head = f"L1-{chars(11)}-{chars(4)}."
    return head + chars(length - len(head))


def access_token(rng: random.Random, length: int = 140) -> str:
    return "A1-" + "".join(rng.choice(CROCKFORD + "-.") for _ in range(length - 3))


def parse_svg(svg: str) -> ET.Element:
    """Parse SVG this test made (trusted input)."""
    return ET.fromstring(svg)  # noqa: S314


def decode(png: bytes | Image.Image) -> list[str]:
    image = png if isinstance(png, Image.Image) else Image.open(io.BytesIO(png))
    return [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]


RNG = random.Random(20261127)
LINKS = [BASE_URL + link_token(RNG) for _ in range(6)]
ACCESS_TOKENS = [access_token(RNG) for _ in range(3)]


def test_base_url_is_thirty_characters() -> None:
    assert len(BASE_URL) == 30
    assert all(45 <= len(link) - len(BASE_URL) <= 55 for link in LINKS)


# -- segments -------------------------------------------------------------


def test_a_token_is_one_alphanumeric_segment() -> None:
    token = "L1-7KQ4M2XD9P3-ABCD.Q2V8K3M9TZ4WQ7R1B6N0HJ5XE2"
    assert segments_for(token) == [(token, consts.MODE_ALPHANUMERIC)]


def test_digits_are_one_numeric_segment() -> None:
    assert segments_for("3173071203940042") == [("3173071203940042", consts.MODE_NUMERIC)]


def test_a_link_is_byte_head_and_alphanumeric_tail() -> None:
    token = "L1-7KQ4M2XD9P3-ABCD.Q2V8K3M9TZ4WQ7R1B6N0HJ5XE2"
    assert segments_for(BASE_URL + token) == [
        ("https://siapkerja.kemnaker.id", consts.MODE_BYTE),
        ("/" + token, consts.MODE_ALPHANUMERIC),
    ]


def test_uppercase_host_makes_the_whole_link_alphanumeric() -> None:
    token = "L1-7KQ4M2XD9P3-ABCD.Q2V8K3M9TZ4WQ7R1B6N0HJ5XE2"
    assert segments_for(BASE_URL + token, uppercase_host=True) == [
        ("HTTPS://SIAPKERJA.KEMNAKER.ID/" + token, consts.MODE_ALPHANUMERIC)
    ]


def test_uppercase_host_keeps_userinfo_path_and_query() -> None:
    url = "https://user:Pw@Siapkerja.id:8443/v/AB?q=x"
    joined = "".join(part for part, _ in segments_for(url, uppercase_host=True))
    assert joined == "HTTPS://user:Pw@SIAPKERJA.ID:8443/v/AB?q=x"


def test_text_that_is_not_a_url_is_left_alone_by_uppercase_host() -> None:
    assert segments_for("abc def", uppercase_host=True) == [("abc def", consts.MODE_BYTE)]


def test_short_alphanumeric_runs_stay_in_byte_mode() -> None:
    # "/AB12" (5) at the end, "/v/" in the middle: each split would cost more than it saves
    assert segments_for("https://x.id/v/AB12") == [("https://x.id/v/AB12", consts.MODE_BYTE)]


def test_a_long_middle_run_gets_its_own_segment() -> None:
    url = "https://x.id/p/" + "ABCDEFGHJKMNPQRS" + "?lang=id"
    assert segments_for(url) == [
        ("https://x.id/p", consts.MODE_BYTE),
        ("/ABCDEFGHJKMNPQRS", consts.MODE_ALPHANUMERIC),
        ("?lang=id", consts.MODE_BYTE),
    ]


URLISH = st.text(
    alphabet=st.sampled_from(ALPHANUMERIC_CHARSET + "abcdefxyz?=&_~#éß"), min_size=1, max_size=120
)


def _bits(segments: list[tuple[str, int]], version: int) -> int:
    prepared = segno_encoder.prepare_data(
        [
            (part.encode(), mode) if mode == consts.MODE_BYTE else (part, mode)
            for part, mode in segments
        ],
        None,
        None,
    )
    return int(prepared.bit_length_with_overhead(version, False))


@settings(max_examples=200, deadline=None)
@given(URLISH, st.booleans())
def test_segments_join_back_and_never_cost_more_than_byte_mode(text: str, upper: bool) -> None:
    segments = segments_for(text, uppercase_host=upper)
    joined = "".join(part for part, _ in segments)
    if upper:  # only the ASCII letters of the scheme and host may change
        assert joined.lower() == text.lower()
        assert len(joined) == len(text)
    else:
        assert joined == text
    assert all(part for part, _ in segments)
    for part, mode in segments:
        if mode != consts.MODE_BYTE:
            assert set(part) <= set(ALPHANUMERIC_CHARSET)
    for version in (1, 10, 27):  # the three ranges of character-count lengths
        assert _bits(segments, version) <= _bits([(joined, consts.MODE_BYTE)], version)


# -- make_qr --------------------------------------------------------------


@pytest.mark.parametrize("link", LINKS)
def test_a_link_with_a_thirty_character_base_is_version_5_or_less_at_m(link: str) -> None:
    code = make_qr(link)
    assert code.version <= 5
    assert code.error == "M"
    assert not code.is_micro
    assert code.mask == FIXED_MASK


def test_short_text_is_never_micro_qr() -> None:
    code = make_qr("A1")
    assert not code.is_micro
    assert code.version == 1


def test_the_error_level_is_not_boosted() -> None:
    # Plenty of room in version 1 for "A1": segno's default would raise it to H.
    assert make_qr("A1").error == "M"
    assert make_qr("A1", error="q").error == "Q"
    assert segno.make_qr("A1").error == "H"


def test_access_tokens_fit_version_7_at_m() -> None:
    for token in ACCESS_TOKENS:
        code = make_qr(token)
        assert code.version <= 7
        assert code.error == "M"


def test_mask_none_lets_segno_choose() -> None:
    code = make_qr(LINKS[0], mask=None)
    reference = segno.make_qr(segments_for(LINKS[0]), error="m", boost_error=False)  # type: ignore[arg-type]
    assert code.mask == reference.mask
    assert code.matrix == reference.matrix


def test_max_version_raises_qr_too_large() -> None:
    with pytest.raises(QrTooLarge) as caught:
        make_qr(LINKS[0], max_version=3)
    error = caught.value
    assert error.full_code == "qr.too_large"
    assert error.params["max_version"] == 3
    assert error.params["version"] == make_qr(LINKS[0]).version
    assert "versi" in error.message_id
    assert "version" in error.message_en
    assert isinstance(error, ValueError)


def test_text_beyond_version_40_raises_qr_too_large() -> None:
    with pytest.raises(QrTooLarge) as caught:
        make_qr("x" * 3000)
    assert caught.value.params["version"] == ">40"


def test_exactly_max_version_is_accepted() -> None:
    version = make_qr(LINKS[0]).version
    assert make_qr(LINKS[0], max_version=version).version == version


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"error": "x"}, "error"),
        ({"mask": 8}, "mask"),
        ({"mask": True}, "mask"),
        ({"max_version": 41}, "max_version"),
    ],
)
def test_bad_options_raise_qr_error(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(QrError) as caught:
        make_qr("ABC", **kwargs)  # type: ignore[arg-type]
    assert caught.value.full_code == "qr.option"
    assert caught.value.params["name"] == name


def test_empty_text_raises() -> None:
    with pytest.raises(QrError) as caught:
        make_qr("")
    assert caught.value.full_code == "qr.empty"


# -- decoding with zxing-cpp ----------------------------------------------

DECODE_CASES = [
    *LINKS[:3],
    "https://Siapkerja.Kemnaker.Go.Id/v/" + link_token(random.Random(3)),
    *ACCESS_TOKENS,
    "L1-7KQ4M2XD9P3-ABCD.Q2V8K3M9TZ4WQ7R1B6N0HJ5XE2",
    "https://contoh.id/profil/ñandú/" + link_token(random.Random(5)),
]


@pytest.mark.parametrize("text", DECODE_CASES)
@pytest.mark.parametrize("scale", [1, 2, 3, 8])
def test_png_decodes_to_exactly_the_text(text: str, scale: int) -> None:
    assert decode(qr_png(make_qr(text), scale=scale)) == [text]


@pytest.mark.parametrize("mask", range(8))
def test_every_mask_decodes(mask: int) -> None:
    assert decode(qr_png(make_qr(LINKS[1], mask=mask), scale=2)) == [LINKS[1]]


def test_uppercase_host_decodes_to_the_uppercased_url() -> None:
    code = make_qr(LINKS[0], uppercase_host=True)
    expected = "HTTPS://SIAPKERJA.KEMNAKER.ID/" + LINKS[0][len(BASE_URL) :]
    assert decode(qr_png(code, scale=3)) == [expected]
    assert code.version <= make_qr(LINKS[0]).version


# -- SVG ------------------------------------------------------------------


def _cells(path: str) -> set[tuple[int, int]]:
    """The modules a ``M x y.5 (m dx dy h n)*`` path covers (x, y with the border)."""
    cells: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            cells.update((int(x) + i, int(y)) for i in range(int(a)))
            x += float(a)
    return cells


def _dark(code: segno.QRCode | SimpleNamespace, border: int) -> set[tuple[int, int]]:
    return {
        (x + border, y + border)
        for y, row in enumerate(code.matrix)
        for x, bit in enumerate(row)
        if bit
    }


@pytest.mark.parametrize("text", [LINKS[0], ACCESS_TOKENS[0], "A1"])
@pytest.mark.parametrize("border", [0, 2, 4])
def test_svg_path_draws_exactly_the_dark_modules(text: str, border: int) -> None:
    code = make_qr(text)
    assert _cells(qr_svg_path(code, border=border)) == _dark(code, border)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(0, 1), min_size=width, max_size=width).map(bytearray),
            min_size=1,
            max_size=12,
        )
    ),
    st.integers(min_value=0, max_value=4),
)
def test_svg_path_of_any_matrix(rows: list[bytearray], border: int) -> None:
    # empty rows, full rows, a dark first or last module: every shape a run can take
    code = SimpleNamespace(matrix=tuple(rows))
    assert _cells(qr_svg_path(code, border=border)) == _dark(code, border)  # type: ignore[arg-type]


def test_svg_is_valid_with_one_path_and_its_size() -> None:
    code = make_qr(LINKS[0])
    svg = qr_svg(code, scale=4)
    root = parse_svg(svg)
    size = len(code.matrix) + 8
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == root.get("height") == str(size * 4)
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert len(root.findall(f"{SVG}path")) == 1
    assert root.find(f"{SVG}rect") is not None


def test_svg_units_colours_and_transparent_background() -> None:
    code = make_qr("A1")
    root = parse_svg(qr_svg(code, scale=0.5, unit="mm", dark='#123"<', light=None))
    assert root.get("width") == f"{(21 + 8) * 0.5:g}mm"
    assert root.find(f"{SVG}rect") is None
    assert root.find(f"{SVG}path").get("stroke") == '#123"<'  # type: ignore[union-attr]


def test_svg_draws_the_same_modules_as_segno() -> None:
    code = make_qr(LINKS[2])
    theirs = parse_svg(code.svg_inline(scale=1)).find("path")  # segno's: no namespace
    ours = parse_svg(qr_svg(code)).find(f"{SVG}path")
    assert theirs is not None
    assert ours is not None
    assert _cells(ours.get("d", "")) == _cells(theirs.get("d", ""))


def test_svg_modules_rasterised_decode() -> None:
    code = make_qr(LINKS[3])
    size = len(code.matrix) + 8
    image = Image.new("L", (size, size), 255)
    for x, y in _cells(qr_svg_path(code)):
        image.putpixel((x, y), 0)
    assert decode(image.resize((size * 3, size * 3), Image.Resampling.NEAREST)) == [LINKS[3]]


# -- terminal -------------------------------------------------------------


@pytest.mark.parametrize("text", [LINKS[0], "A1"])
def test_terminal_matches_segno_compact(text: str) -> None:
    code = make_qr(text)
    out = io.StringIO()
    code.terminal(out, compact=True)
    assert qr_terminal(code) == out.getvalue()


def test_terminal_shape() -> None:
    code = make_qr(LINKS[0])
    lines = qr_terminal(code, border=2).splitlines()
    size = len(code.matrix) + 4
    assert len(lines) == (size + 1) // 2
    assert {len(line) for line in lines} == {size}
    assert set("".join(lines)) <= set(" \u2580\u2584\u2588")


# -- cache ----------------------------------------------------------------


def test_cache_hit_version_miss_and_invalidate() -> None:
    cache = QrCache(maxsize=8)
    calls: list[str] = []

    def make(label: str) -> str:
        calls.append(label)
        return label

    assert cache.get_or_make(("SK-1", 1, "svg"), lambda: make("v1"), text="t1") == "v1"
    assert cache.get_or_make(("SK-1", 1, "svg"), lambda: make("again"), text="t1") == "v1"
    assert (cache.hits, cache.misses) == (1, 1)
    # a rotation: new version, new text -> never the old image
    assert cache.get_or_make(("SK-1", 2, "svg"), lambda: make("v2"), text="t2") == "v2"
    assert cache.get(("SK-1", 1, "svg"), "t1") == "v1"
    assert cache.get_or_make(("SK-2", 1, "svg"), lambda: make("other"), text="u1") == "other"
    assert cache.invalidate("SK-1") == 2
    assert cache.get(("SK-1", 2, "svg")) is None
    assert cache.get(("SK-2", 1, "svg"), "u1") == "other"
    assert cache.get_or_make(("SK-1", 2, "svg"), lambda: make("v2 again"), text="t2") == "v2 again"
    assert calls == ["v1", "v2", "other", "v2 again"]


def test_cache_same_version_other_text_is_a_miss() -> None:
    cache = QrCache()
    cache.get_or_make(("SK-1", 1, "svg"), lambda: "old image", text="old")
    assert cache.get_or_make(("SK-1", 1, "svg"), lambda: "new image", text="new") == "new image"
    assert cache.get(("SK-1", 1, "svg"), "old") is None
    assert cache.get(("SK-1", 1, "svg")) == "new image"  # no text: no check


def test_cache_get_and_put_with_any_card_key() -> None:
    cache = QrCache()
    key = (1234567890, 3, "link")
    assert cache.get(key) is None
    cache.put(key, ("code", "<svg/>"))
    assert cache.get(key) == ("code", "<svg/>")
    assert key in cache
    assert cache.invalidate(1234567890) == 1
    assert key not in cache


def test_cache_kinds_are_separate_and_lru_evicts_the_oldest() -> None:
    cache = QrCache(maxsize=2)
    cache.get_or_make(("SK-1", 1, "svg"), lambda: "svg")
    cache.get_or_make(("SK-1", 1, ("png", 8)), lambda: "png")
    cache.get_or_make(("SK-1", 1, "svg"), lambda: "unused")  # touch: svg is now newest
    cache.get_or_make(("SK-1", 1, "terminal"), lambda: "term")
    assert len(cache) == 2
    assert ("SK-1", 1, "svg") in cache
    assert ("SK-1", 1, ("png", 8)) not in cache
    cache.clear()
    assert len(cache) == 0
    assert cache.hits == cache.misses == 0


def test_cache_rejects_a_zero_size() -> None:
    with pytest.raises(ValueError):
        QrCache(maxsize=0)


def test_cache_is_thread_safe() -> None:
    cache = QrCache(maxsize=16)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(300):
                card_key, version = f"SK-{i % 24}", i % 3
                expected = f"{card_key}/{version}"
                value = cache.get_or_make(
                    (card_key, version, "svg"), lambda e=expected: e, text=expected
                )
                assert value == expected
                if i % 50 == worker:
                    cache.invalidate(card_key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(cache) <= 16
