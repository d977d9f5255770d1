"""Gate staff check holders in through the web, in Debian's chromium, on a phone and a desktop.

The staff member signs in to the gate of an event with its station key, types
(or a hand-held scanner types) a holder's access code, checks the photo and the
masked name, lets the holder in and reads "Boleh masuk" in large text; the same
holder again reads "Sudah di dalam sejak HH.MM WIB". Once with the page's
script (answers drawn in place) and once without (forms post and redirect).
And once with the device camera: chromium's fake camera plays a video of the
holder's QR code, and the page's scanner reads it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image

from siapkerja_adapters.demo import GALIH, demo_holder
from siapkerja_core.gates import local_zone
from siapkerja_core.service import Siapkerja
from support.live_server import serve_memory_site

FAIR = "JOBFAIR-JKT-2026"
TIMEOUT_MS = 20_000
SHOTS = Path(os.environ.get("SIAPKERJA_SHOTS", "/work/tmp/shots-gate"))
# The browser fixture's chromium and flags (tests/e2e/conftest.py), launched a second time
# with a fake camera.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


def open_fair(svc: Siapkerja) -> str:
    """The job fair, open for the next hours, with one gate ("Pintu A"): its station key."""
    organiser, _ = svc.register_verifier("Disnaker DKI Jakarta", ["disnaker"])
    now = svc.now()
    svc.events.create_event(
        organiser,
        id=FAIR,
        name="Job Fair Jakarta 2026",
        kind="job_fair",
        venue="JIExpo Kemayoran",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(hours=8),
        region_code="31",
        capacity=500,
    )
    _station, key = svc.events.add_station(organiser, FAIR, name="Pintu A")
    assert key is not None
    return key


class Gate:
    """An event with one gate and a holder with a card, on the live server's service."""

    def __init__(self, url: str, svc: Siapkerja) -> None:
        self.url = url
        self.svc = svc
        self.key = open_fair(svc)
        self.holder = demo_holder(svc, GALIH)

    def code(self) -> str:
        """A fresh access code, as the holder's card page shows it in its QR."""
        return self.svc.card_qr(self.holder.id, mode="access", purpose=FAIR).token


@pytest.fixture
def gate() -> Iterator[Gate]:
    with serve_memory_site() as (server, svc):
        yield Gate(server.url, svc)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, gate: Any) -> None:
    """Staff sign in to the fair's gate: ``gate`` has the site's ``url`` and the station ``key``."""
    page.goto(f"{gate.url}/petugas")
    page.get_by_label("Job Fair Jakarta 2026").check()
    page.get_by_label("Kunci pos pemeriksaan").fill(gate.key)
    page.get_by_role("button", name="Masuk ke gerbang").click()
    page.get_by_role("heading", name="Gerbang masuk").wait_for(timeout=TIMEOUT_MS)


def refusals_of(page: Any) -> list[str]:
    """The page's script errors and Content-Security-Policy refusals, as they come (not a
    refused form's 400 nor the absent favicon's 404, which the console reports too)."""
    seen: list[str] = []

    def console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Permissions policy" in text:
            seen.append(text)

    page.on("console", console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def verdict(page: Any) -> Any:
    return page.locator("[data-gate-answer] .gate-verdict")


def assert_large(locator: Any) -> None:
    size = locator.evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    assert size >= 28, f"the answer is {size}px, not large"


def since_now() -> str:
    local = datetime.now(UTC).astimezone(local_zone("31"))
    return f"{local:%H.%M} WIB"


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_gate_staff_check_a_holder_in_by_typing_the_code(
    browser: Any, gate: Gate, screen: str
) -> None:
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="id-ID")
    page = context.new_page()
    errors = refusals_of(page)
    try:
        page.goto(f"{gate.url}/petugas")
        shot(page, f"gate-signin-{screen}")
        # A wrong key is refused in words, at the key's field.
        page.get_by_label("Job Fair Jakarta 2026").check()
        page.get_by_label("Kunci pos pemeriksaan").fill("sks_" + "0" * 48)
        page.get_by_role("button", name="Masuk ke gerbang").click()
        page.locator("#f-station_key-error").wait_for(timeout=TIMEOUT_MS)
        assert (
            "Pos pemeriksaan ini tidak terdaftar."
            in page.locator("#f-station_key-error").inner_text()
        )
        shot(page, f"gate-signin-refused-{screen}")
        sign_in(page, gate)
        assert "Di dalam: 0 dari 500 orang" in page.locator("[data-gate-count]").inner_text()
        shot(page, f"gate-screen-{screen}")

        page.get_by_role("textbox", name="Kode akses").fill(gate.code())
        page.get_by_role("button", name="Periksa", exact=True).click()
        verdict(page).get_by_text("Cocokkan wajah dengan foto").wait_for(timeout=TIMEOUT_MS)
        photo = page.locator("[data-gate-answer] img.gate-photo")
        assert photo.get_attribute("src").startswith("data:image/")
        assert photo.evaluate("img => img.naturalWidth") > 0
        assert page.locator("[data-gate-answer] .gate-name").inner_text() == "H. Galih A. P."
        assert gate.svc.events.counts(FAIR).inside == 0
        shot(page, f"gate-preview-{screen}")

        page.get_by_role("button", name="Izinkan masuk", exact=True).click()
        verdict(page).get_by_text("Boleh masuk").wait_for(timeout=TIMEOUT_MS)
        assert_large(verdict(page))
        assert "✓" in verdict(page).inner_text()  # an icon too, not colour alone
        assert "Di dalam: 1 dari 500 orang" in page.locator("[data-gate-count]").inner_text()
        assert gate.svc.events.counts(FAIR).inside == 1
        shot(page, f"gate-admitted-{screen}")

        page.get_by_role("textbox", name="Kode akses").fill(gate.code())
        page.get_by_role("button", name="Izinkan masuk langsung").click()
        verdict(page).get_by_text("Sudah di dalam sejak").wait_for(timeout=TIMEOUT_MS)
        text = verdict(page).inner_text()
        assert since_now() in text or "WIB" in text, text
        assert_large(verdict(page))
        assert gate.svc.events.counts(FAIR).inside == 1
        shot(page, f"gate-already-inside-{screen}")
        assert errors == []
    finally:
        context.close()


def test_gate_staff_check_a_holder_in_without_javascript(browser: Any, gate: Gate) -> None:
    context = browser.new_context(
        viewport=VIEWPORTS["phone"], java_script_enabled=False, locale="id-ID"
    )
    page = context.new_page()
    try:
        sign_in(page, gate)
        assert page.locator("[data-gate-camera]").is_hidden()  # the camera needs the script
        page.get_by_role("textbox", name="Kode akses").fill(gate.code())
        page.get_by_role("button", name="Periksa", exact=True).click()
        verdict(page).get_by_text("Cocokkan wajah dengan foto").wait_for(timeout=TIMEOUT_MS)
        assert page.locator("img.gate-photo").evaluate("img => img.naturalWidth") > 0
        shot(page, "gate-preview-nojs-phone")
        page.get_by_role("button", name="Izinkan masuk", exact=True).click()
        verdict(page).get_by_text("Boleh masuk").wait_for(timeout=TIMEOUT_MS)
        assert_large(verdict(page))
        shot(page, "gate-admitted-nojs-phone")
        page.get_by_role("textbox", name="Kode akses").fill(gate.code())
        page.get_by_role("button", name="Izinkan masuk langsung").click()
        verdict(page).get_by_text("Sudah di dalam sejak").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Keluar dari gerbang").click()
        page.get_by_role("heading", name="Masuk sebagai petugas gerbang").wait_for()
        assert gate.svc.events.counts(FAIR).inside == 1
    finally:
        context.close()


# --------------------------------------------------------------------------
# The camera: chromium's fake device plays a video of the QR code
# --------------------------------------------------------------------------


def qr_video(
    text: str, path: Path, *, frames: int = 10, size: tuple[int, int] = (640, 480)
) -> Path:
    """A short Y4M video (YUV 4:2:0) showing ``text`` as a QR code on white."""
    buffer = io.BytesIO()
    segno.make(text, error="l").save(buffer, kind="png", scale=3, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    width, height = size
    frame = Image.new("L", size, 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))  # grey: no colour
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def test_gate_staff_scan_a_holder_with_the_camera(browser: Any, gate: Gate, tmp_path: Path) -> None:
    video = qr_video(gate.code(), tmp_path / "qr.y4m")
    # The session's browser (or its skip) first; then one of the same type with a camera.
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID")
        context.grant_permissions(["camera"], origin=gate.url)
        page = context.new_page()
        errors = refusals_of(page)
        sign_in(page, gate)
        page.get_by_label("Langsung izinkan masuk setelah dipindai").check()
        page.get_by_role("button", name="Pindai dengan kamera").click()
        verdict(page).get_by_text("Boleh masuk").wait_for(timeout=45_000)
        decoder = page.locator("[data-gate]").get_attribute("data-gate-decoder")
        assert decoder in ("native", "zxing-wasm")
        print(f"camera scan decoded by: {decoder}")
        assert gate.svc.events.counts(FAIR).inside == 1
        shot(page, "gate-camera-admitted-phone")
        # The WebAssembly reader ran under the gate page's own policy, refused nothing.
        assert errors == []
        page.get_by_role("button", name="Matikan kamera").click()
        context.close()
    finally:
        camera_browser.close()


def test_gate_staff_type_the_short_code_the_holder_reads_out(browser: Any, gate: Gate) -> None:
    """No camera: the holder's card page shows the card number and 8 digits under the QR;
    the staff type them on a phone and the holder is let in as with a scan."""
    holder = browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID")
    staff = browser.new_context(viewport=VIEWPORTS["phone"], locale="id-ID")
    try:
        card = holder.new_page()
        errors = refusals_of(card)
        card.goto(f"{gate.url}/")
        card.locator("input[name=identifier]").fill(GALIH.nik)
        card.locator("input[name=password]").fill(GALIH.password)
        card.locator("input[name=password]").press("Enter")
        card.wait_for_url("**/profil**", timeout=TIMEOUT_MS)
        card.goto(f"{gate.url}/kartu?acara={FAIR}#access")
        shown = card.locator(".short-code-value")
        shown.wait_for(timeout=TIMEOUT_MS)
        shown.scroll_into_view_if_needed()
        assert "Kode untuk diketik petugas" in card.locator(".short-code").inner_text()
        typed = shown.inner_text()  # "SK-XXXX-XXXX-XXX 1234 5678", as read out
        digits = card.locator("[data-short-code]")
        assert digits.evaluate("n => parseFloat(getComputedStyle(n).fontSize)") >= 28
        box = shown.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 360  # fits the phone
        card.screenshot(path=str(SHOTS / "card-short-code-phone.png"))
        assert errors == []

        page = staff.new_page()
        sign_in(page, gate)
        page.get_by_role("textbox", name="Kode akses").fill(typed.lower())
        page.get_by_role("button", name="Periksa", exact=True).click()
        verdict(page).get_by_text("Cocokkan wajah dengan foto").wait_for(timeout=TIMEOUT_MS)
        assert (
            page.locator("[data-gate-answer] img.gate-photo").evaluate("img => img.naturalWidth")
            > 0
        )
        assert page.locator("[data-gate-answer] .gate-name").inner_text() == "H. Galih A. P."
        page.get_by_role("button", name="Izinkan masuk", exact=True).click()
        verdict(page).get_by_text("Boleh masuk").wait_for(timeout=TIMEOUT_MS)
        assert gate.svc.events.counts(FAIR).inside == 1
        shot(page, "gate-short-code-admitted-phone")
    finally:
        holder.close()
        staff.close()
