"""The gate and class check-in screen for staff (``/petugas``), driven without JavaScript.

A gate signs in with its station key (refused, worded, when wrong; sealed in the
cookie when right), previews a holder's access code (photo and masked name,
nothing recorded), admits it (a check-in), and answers a second admission with
the time of the first, in the event's zone. Wrong event, an expired code and a
cancelled event are answered in words; the script's JSON endpoint answers the
same and needs the CSRF header; a class session refuses a trainee not enrolled.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.demo import FAUZI, GALIH, demo_holder
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.pages.gate import read_code
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support.clock import ManualClock

SECRET = "gate-screen-test-secret-0123456789"
FAIR = "JOBFAIR-JKT-2026"
OTHER = "TALENT-FEST"
# 02:15 UTC is 09.15 WIB: the event is in Jakarta (region 31).
START = datetime(2026, 12, 7, 2, 15, tzinfo=UTC)


class Site:
    """A memory service at ``start``: an organiser, two events with one API-key gate each, Galih."""

    def __init__(self, start: datetime = START) -> None:
        self.clock = ManualClock(start)
        self.svc: Siapkerja = connect(
            "memory", environ={}, hasher=PasswordHasher.fast_for_tests(), clock=self.clock.now
        )
        self.organiser, _ = self.svc.register_verifier("Disnaker DKI", ["disnaker"])
        self.keys: dict[str, str] = {}
        for event_id, name in ((FAIR, "Job Fair Jakarta 2026"), (OTHER, "Festival Talenta")):
            self.svc.events.create_event(
                self.organiser,
                id=event_id,
                name=name,
                kind="job_fair",
                venue="JIExpo Kemayoran",
                opens_at=start - timedelta(hours=1),
                closes_at=start + timedelta(hours=8),
                region_code="31",
                capacity=500,
            )
            _station, key = self.svc.events.add_station(
                self.organiser, event_id, name="Pintu A", station_id="gate-a"
            )
            assert key is not None
            self.keys[event_id] = key
        self.holder = demo_holder(self.svc, GALIH)

    def code(self, event_id: str = FAIR, holder: Any = None) -> str:
        account = holder or self.holder
        return self.svc.card_qr(account.id, mode="access", purpose=event_id).token


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    app = create_app(site.svc, dev=True, secret_key=SECRET)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no form with a CSRF token"
    return found.group(1)


def visible(page: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#34;", '"').split())


def sign_in(client: TestClient, event_id: str, key: str, *, typed: bool = False) -> Any:
    page = client.get("/petugas").text
    fields = {"csrf_token": csrf(page), "station_key": key}
    fields["event_id" if typed else "event"] = event_id
    return client.post("/petugas", data=fields, follow_redirects=True)


def check(client: TestClient, code: str, action: str) -> Any:
    page = client.get("/petugas/gerbang").text
    return client.post(
        "/petugas/gerbang",
        data={"csrf_token": csrf(page), "code": code, "action": action},
        follow_redirects=True,
    )


def answer_of(page: str) -> str:
    found = re.search(r'<div class="gate-answer gate-(\w+)"', page)
    assert found, "no answer on the page"
    return found.group(1)


def test_a_wrong_key_is_refused_in_words_and_the_right_one_opens_the_gate(
    site: Site, client: TestClient
) -> None:
    page = client.get("/petugas")
    assert page.status_code == 200
    # The events the service knows are offered, and the page asks for the key as a password.
    assert "Job Fair Jakarta 2026" in page.text
    assert FAIR in page.text
    assert re.search(r'<input id="f-station_key" name="station_key" type="password"', page.text)
    wrong = sign_in(client, FAIR, "sks_" + "0" * 48)
    text = visible(wrong.text)
    assert "Pos pemeriksaan ini tidak terdaftar." in text
    assert 'id="f-station_key-error"' in wrong.text  # tied to the key's field
    assert "gate" not in client.cookies.get("siapkerja_session", "")
    # A key of another event's gate is that gate's, not this one's.
    other = sign_in(client, FAIR, site.keys[OTHER])
    assert "tidak terdaftar untuk acara ini" in visible(other.text)
    assert client.get("/petugas/gerbang", follow_redirects=False).status_code == 303
    right = sign_in(client, FAIR, site.keys[FAIR])
    assert right.url.path == "/petugas/gerbang"
    text = visible(right.text)
    assert "Anda menjaga gerbang Job Fair Jakarta 2026." in text
    assert "Pos: Pintu A" in text
    assert "Di dalam: 0 dari 500 orang" in text
    # The gate page may use the camera and WebAssembly; no other page may.
    assert "camera=(self)" in right.headers["permissions-policy"]
    assert "'wasm-unsafe-eval'" in right.headers["content-security-policy"]
    assert "'unsafe-inline'" not in right.headers["content-security-policy"]
    elsewhere = client.get("/").headers
    assert "camera=()" in elsewhere["permissions-policy"]
    assert "wasm" not in elsewhere["content-security-policy"]


def test_an_event_can_be_typed_and_nothing_else_is_refused(site: Site, client: TestClient) -> None:
    page = client.get("/petugas").text
    empty = client.post("/petugas", data={"csrf_token": csrf(page), "station_key": site.keys[FAIR]})
    assert "Pilih acara dari daftar atau ketik kode acaranya." in visible(empty.text)
    unknown = sign_in(client, "NO-SUCH-EVENT", site.keys[FAIR], typed=True)
    assert "Acara tidak ditemukan." in visible(unknown.text)
    typed = sign_in(client, FAIR, site.keys[FAIR], typed=True)
    assert typed.url.path == "/petugas/gerbang"


def test_wrong_keys_are_throttled(site: Site, client: TestClient) -> None:
    for _ in range(10):
        sign_in(client, FAIR, "sks_" + "1" * 48)
    refused = sign_in(client, FAIR, site.keys[FAIR])
    text = visible(refused.text)
    # The wait is a local time, in words: 15 minutes after 09.15 WIB.
    assert "Terlalu banyak kunci yang salah dari perangkat ini. Coba lagi pukul 09.30 WIB." in text
    assert refused.url.path == "/petugas"
    # Another browser behind the same address is not locked out by this one's tries.
    other = create_app(site.svc, dev=True, secret_key=SECRET)
    with TestClient(other, base_url="http://testserver") as colleague:
        assert sign_in(colleague, FAIR, site.keys[FAIR]).url.path == "/petugas/gerbang"
    site.clock.advance(minutes=16)
    assert sign_in(client, FAIR, site.keys[FAIR]).url.path == "/petugas/gerbang"


def test_one_address_has_a_limit_of_its_own(site: Site, client: TestClient) -> None:
    for _ in range(100):
        client.cookies.clear()  # a new browser each time: only the address is the same
        sign_in(client, FAIR, "sks_" + "2" * 48)
    client.cookies.clear()
    refused = sign_in(client, FAIR, site.keys[FAIR])
    assert "Terlalu banyak kunci yang salah" in visible(refused.text)


def test_the_right_key_gives_the_device_its_tries_back(site: Site, client: TestClient) -> None:
    for _ in range(2):
        for _ in range(9):
            sign_in(client, FAIR, "sks_" + "1" * 48)
        opened = sign_in(client, FAIR, site.keys[FAIR])
        assert opened.url.path == "/petugas/gerbang"
        client.post("/petugas/keluar", data={"csrf_token": csrf(opened.text)})


def test_the_station_key_is_not_readable_in_the_cookie(site: Site, client: TestClient) -> None:
    sign_in(client, FAIR, site.keys[FAIR])
    cookie = client.cookies["siapkerja_session"]
    compressed = cookie.startswith(".")  # itsdangerous compresses long payloads
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if compressed:
        raw = zlib.decompress(raw)
    assert b'"gate"' in raw
    assert b'"JOBFAIR-JKT-2026"' in raw
    key = site.keys[FAIR]
    assert key.encode() not in raw
    assert key[4:].encode() not in raw
    assert key not in cookie
    # The sealed key opens only under this secret: another application signs the gate out.
    other = create_app(site.svc, dev=True, secret_key="another-secret-0123456789abcdef")
    with TestClient(other, base_url="http://testserver") as stranger:
        stranger.cookies.set("siapkerja_session", cookie)
        assert stranger.get("/petugas/gerbang", follow_redirects=False).status_code == 303


def test_preview_shows_the_photo_and_masked_name_and_records_nothing(
    site: Site, client: TestClient
) -> None:
    sign_in(client, FAIR, site.keys[FAIR])
    page = check(client, site.code(), "preview")
    assert answer_of(page.text) == "check"
    text = visible(page.text)
    assert "Cocokkan wajah dengan foto" in text
    assert "H. Galih A. P." in text
    assert "Galih Agan Pambayun" not in text
    assert re.search(r'<img class="gate-photo" src="data:image/(jpeg|png|webp);base64,', page.text)
    assert site.svc.events.counts(FAIR).inside == 0
    # Izinkan masuk: the code waiting in the session is admitted.
    admitted = client.post(
        "/petugas/gerbang",
        data={"csrf_token": csrf(page.text), "action": "admit"},
        follow_redirects=True,
    )
    assert answer_of(admitted.text) == "ok"
    text = visible(admitted.text)
    assert "Boleh masuk" in text
    assert "Di dalam: 1 dari 500 orang" in text
    assert site.svc.events.counts(FAIR).inside == 1
    # The session keeps no code once it is used.
    assert "gate-photo" not in client.get("/petugas/gerbang").text


def test_admit_records_and_a_second_admit_says_since_when_in_local_time(
    site: Site, client: TestClient
) -> None:
    sign_in(client, FAIR, site.keys[FAIR])
    code = site.code()
    first = check(client, code, "admit")
    assert answer_of(first.text) == "ok"
    assert "Kehadiran tercatat pukul 09.15 WIB." in visible(first.text)
    assert len(site.svc.events.check_ins(site.organiser, FAIR)) == 1
    site.clock.advance(minutes=2)
    again = check(client, site.code(), "admit")
    assert answer_of(again.text) == "warn"
    assert "Sudah di dalam sejak 09.15 WIB" in visible(again.text)
    assert len(site.svc.events.check_ins(site.organiser, FAIR)) == 1
    english = client.get("/petugas/gerbang?lang=en")
    assert "Already inside since 09.15 WIB" in visible(english.text)


def test_wrong_event_expired_and_cancelled_are_answered_in_words(
    site: Site, client: TestClient
) -> None:
    sign_in(client, FAIR, site.keys[FAIR])
    wrong = check(client, site.code(OTHER), "preview")
    assert answer_of(wrong.text) == "stop"
    assert "Acara lain" in visible(wrong.text)
    old = site.code()
    site.clock.advance(minutes=5)
    expired = check(client, old, "admit")
    assert "Kedaluwarsa — minta pemegang memuat ulang kartunya" in visible(expired.text)
    fresh = site.code()  # minted while the event stands; no code is minted for a cancelled one
    site.svc.events.cancel_event(site.organiser, FAIR)
    cancelled = check(client, fresh, "admit")
    assert "Acara dibatalkan" in visible(cancelled.text)
    assert site.svc.events.counts(FAIR).inside == 0


def test_a_scanners_whole_line_and_an_empty_code(site: Site, client: TestClient) -> None:
    code = site.code()
    assert read_code(f"  {code}\n") == code
    assert read_code(f"https://example.test/x?kode={code}&a=1") == code
    sign_in(client, FAIR, site.keys[FAIR])
    empty = check(client, "", "admit")
    assert "Pindai atau ketik kode akses dari kartu pemegang." in visible(empty.text)
    link = site.svc.card_qr(site.holder.id).url
    assert link is not None
    answered = check(client, link, "admit")
    assert "Ini QR profil, bukan kode akses" in visible(answered.text)
    garbage = check(client, "hello", "admit")
    assert "Kode tidak dikenali" in visible(garbage.text)


def test_a_retired_gate_is_signed_out(site: Site, client: TestClient) -> None:
    sign_in(client, FAIR, site.keys[FAIR])
    site.svc.events.retire_station(site.organiser, FAIR, "gate-a")
    answered = check(client, site.code(), "admit")
    assert answered.url.path == "/petugas"
    assert "Pos pemeriksaan ini sudah dinonaktifkan." in visible(answered.text)


def test_leaving_the_gate_forgets_the_key(site: Site, client: TestClient) -> None:
    page = sign_in(client, FAIR, site.keys[FAIR]).text
    left = client.post("/petugas/keluar", data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert left.url.path == "/petugas"
    assert "Anda sudah keluar dari gerbang." in visible(left.text)
    assert client.get("/petugas/gerbang", follow_redirects=False).status_code == 303


def test_forms_need_the_csrf_token(site: Site, client: TestClient) -> None:
    client.get("/petugas")
    refused = client.post("/petugas", data={"event": FAIR, "station_key": site.keys[FAIR]})
    assert refused.status_code == 403
    sign_in(client, FAIR, site.keys[FAIR])
    assert (
        client.post("/petugas/gerbang", data={"code": site.code(), "action": "admit"}).status_code
        == 403
    )
    assert site.svc.events.counts(FAIR).inside == 0


# --------------------------------------------------------------------------
# The script's JSON endpoint
# --------------------------------------------------------------------------


def ask(client: TestClient, token: str | None, **body: Any) -> Any:
    headers = {"X-CSRF-Token": token} if token is not None else {}
    return client.post("/petugas/gerbang/periksa.json", json=body, headers=headers)


def test_the_json_endpoint_answers_the_same(site: Site, client: TestClient) -> None:
    page = sign_in(client, FAIR, site.keys[FAIR]).text
    token = csrf(page)
    code = site.code()
    assert ask(client, None, code=code, action="admit").status_code == 403
    assert ask(client, "wrong" * 8, code=code, action="admit").status_code == 403
    cross = client.post(
        "/petugas/gerbang/periksa.json",
        json={"code": code, "action": "admit"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert site.svc.events.counts(FAIR).inside == 0
    preview = ask(client, token, code=code, action="preview")
    assert preview.status_code == 200
    body = preview.json()
    assert body["tone"] == "check"
    assert body["preview"] is True
    assert body["masked_name"] == "H. Galih A. P."
    assert body["photo"].startswith("data:image/")
    assert site.svc.events.counts(FAIR).inside == 0
    admitted = ask(client, token, code=code, action="admit").json()
    assert admitted["tone"] == "ok"
    assert admitted["title"] == "Boleh masuk"
    assert admitted["count"] == "Di dalam: 1 dari 500 orang"
    site.clock.advance(minutes=1)
    again = ask(client, token, code=site.code(), action="admit").json()
    assert again["tone"] == "warn"
    assert again["title"] == "Sudah di dalam sejak 09.15 WIB"
    wrong = ask(client, token, code=site.code(OTHER), action="admit").json()
    assert wrong["title"] == "Acara lain"
    assert wrong["icon"] == "✕"
    bad = ask(client, token, code="", action="admit")
    assert bad.status_code == 400
    assert bad.json()["code"] == "gate_screen.code_required"


def test_the_json_endpoint_without_a_gate(site: Site, client: TestClient) -> None:
    token = csrf(client.get("/petugas").text)
    answer = ask(client, token, code=site.code(), action="admit")
    assert answer.status_code == 401
    assert answer.json()["signin"] == "/petugas"


# --------------------------------------------------------------------------
# A class session
# --------------------------------------------------------------------------


def test_a_class_session_refuses_a_holder_not_enrolled(site: Site, client: TestClient) -> None:
    svc = site.svc
    blk, _ = svc.register_verifier("BLK Bekasi", ["blk"])
    svc.classes.create(
        blk,
        id="LAS-2026",
        name="Las listrik dasar",
        institution_kind="UPTD",
        vocation="Las",
        starts_on="2026-12-01",
        ends_on="2026-12-31",
    )
    session = svc.classes.add_session(
        blk,
        "LAS-2026",
        id="LAS-2026-S1",
        opens_at=START - timedelta(hours=1),
        closes_at=START + timedelta(hours=3),
        venue="BLK Bekasi, ruang 2",
        region_code="32",
    )
    _station, key = svc.events.add_station(blk, session.id, name="Meja kelas")
    assert key is not None
    listed = client.get("/petugas").text
    assert "LAS-2026-S1" in listed
    assert "Sesi kelas" in listed
    sign_in(client, session.id, key)
    stranger = demo_holder(svc, FAUZI)
    refused = check(client, site.code(session.id, stranger), "admit")
    assert answer_of(refused.text) == "stop"
    assert "Tidak terdaftar di kelas ini" in visible(refused.text)
    assert svc.events.counts(session.id).inside == 0


def test_already_inside_since_another_day_names_the_day(site: Site, client: TestClient) -> None:
    svc = site.svc
    svc.events.create_event(
        site.organiser,
        id="EXPO-3-HARI",
        name="Pameran Kerja Makassar",
        kind="job_fair",
        venue="Celebes Convention Center",
        opens_at=START - timedelta(hours=1),
        closes_at=START + timedelta(days=3),
        region_code="73",  # Sulawesi Selatan: WITA
    )
    _station, key = svc.events.add_station(site.organiser, "EXPO-3-HARI", name="Pintu 1")
    assert key is not None
    sign_in(client, "EXPO-3-HARI", key)
    first = check(client, site.code("EXPO-3-HARI"), "admit")
    assert "Kehadiran tercatat pukul 10.15 WITA." in visible(first.text)
    site.clock.advance(days=1)
    again = check(client, site.code("EXPO-3-HARI"), "admit")
    assert "Sudah di dalam sejak 7 Desember pukul 10.15 WITA" in visible(again.text)
    english = client.get("/petugas/gerbang?lang=en")
    assert "Already inside since 7 December, 10.15 WITA" in visible(english.text)
