"""The typed short code (issue 14): the card page shows it, the gate screen admits with it.

When a gate's camera cannot scan, the holder reads out the card number and the
eight digits under the access-code QR; the gate types them. These tests drive
the card page and the gate screen without JavaScript, with the service's fake
clock: the code of the previous period is accepted, an older one is refused in
words, and wrong codes are capped per card.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from integration.test_web_gate import FAIR, OTHER, answer_of, check, csrf, sign_in, visible
from integration.test_web_gate import Site as GateSite
from integration.test_web_gate import client as client  # the fixture, on this module's site
from siapkerja_adapters.demo import GALIH
from siapkerja_adapters.web.api import create_api_app
from siapkerja_core.gates import GateError
from siapkerja_core.services.gates import SHORT_CODE_CARD_FAILURES, StationCredential
from siapkerja_core.tokens import format_short_code

START = datetime(2026, 12, 7, 2, 15, 5, tzinfo=UTC)  # 09.15 WIB, 5 s into a period


class Site(GateSite):
    """The gate tests' site, 5 s into an access period, with Galih's card number."""

    def __init__(self) -> None:
        super().__init__(START)
        self.number = self.svc.card(self.holder.id).siapkerja_id

    def short(self, event_id: str = FAIR) -> str:
        """What the holder reads out: the card number and the grouped digits."""
        digits = self.svc.card_qr(self.holder.id, mode="access", purpose=event_id).short_code
        assert digits is not None
        assert re.fullmatch(r"\d{8}", digits)
        return f"{self.number} {format_short_code(digits)}"

    def admit(self, code: str, event_id: str = FAIR, *, preview: bool = False) -> Any:
        credential = StationCredential(api_key=self.keys[event_id])
        return self.svc.events.admit(
            code, event_id=event_id, credential=credential, preview=preview
        )


@pytest.fixture
def site() -> Site:
    return Site()


def gate_sign_in(client: TestClient, event_id: str, key: str) -> Any:
    return sign_in(client, event_id, key, typed=True)


def test_the_card_page_shows_the_short_code_under_the_qr(site: Site, client: TestClient) -> None:
    page = client.get("/").text
    signed = client.post(
        "/",
        data={"csrf_token": csrf(page), "identifier": GALIH.nik, "password": GALIH.password},
        follow_redirects=True,
    )
    assert signed.status_code == 200
    card = client.get("/kartu", params={"acara": FAIR}).text
    text = visible(card)
    assert "Kode untuk diketik petugas" in text
    shown = re.search(r"<strong data-short-code>(\d{4} \d{4})</strong>", card)
    assert shown, "no grouped short code on the card page"
    assert site.short().endswith(shown.group(1))
    assert site.number in text
    # When it changes: the end of the period, in the holder's zone (WIB), not ISO.
    assert "Kode ini berganti pada 7 Desember 2026, 09.15 WIB" in text
    english = visible(client.get("/kartu", params={"acara": FAIR, "lang": "en"}).text)
    assert "Code for the gate staff to type" in english
    # The page's script gets the next one with the QR.
    payload = client.get("/kartu/kode-akses.json", params={"purpose": FAIR}).json()
    assert re.fullmatch(r"\d{4} \d{4}", payload["short_code"])


def test_the_gate_screen_admits_a_typed_short_code_like_a_scan(
    site: Site, client: TestClient
) -> None:
    gate_sign_in(client, FAIR, site.keys[FAIR])
    page = check(client, site.short(), "preview")
    assert answer_of(page.text) == "check"
    text = visible(page.text)
    assert "H. Galih A. P." in text
    assert re.search(r'<img class="gate-photo" src="data:image/', page.text)
    assert site.svc.events.counts(FAIR).inside == 0
    admitted = client.post(
        "/petugas/gerbang",
        data={"csrf_token": csrf(page.text), "action": "admit"},
        follow_redirects=True,
    )
    assert answer_of(admitted.text) == "ok"
    assert site.svc.events.counts(FAIR).inside == 1
    # Lower case, no dashes, no spaces: still the same code; one admission rule.
    site.clock.advance(minutes=1)
    again = check(client, site.short().lower().replace("-", "").replace(" ", ""), "admit")
    assert answer_of(again.text) == "warn"
    assert "Sudah di dalam sejak 09.15 WIB" in visible(again.text)


def test_a_wrong_short_code_is_refused_in_words(site: Site, client: TestClient) -> None:
    gate_sign_in(client, FAIR, site.keys[FAIR])
    right = site.short()
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    page = check(client, wrong, "preview")
    assert answer_of(page.text) == "stop"
    text = visible(page.text)
    assert "Kode ketik salah" in text
    assert "Minta pemegang membacakan kode yang tampil sekarang" in text
    # Another event's code is wrong here too.
    assert answer_of(check(client, site.short(OTHER), "preview").text) == "stop"
    assert site.svc.events.counts(FAIR).inside == 0


def test_wrong_short_codes_are_capped_per_card(site: Site) -> None:
    right = site.short()
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    for _ in range(SHORT_CODE_CARD_FAILURES):
        with pytest.raises(GateError) as refused:
            site.admit(wrong, preview=True)
        assert refused.value.code == "short_code_invalid"
    with pytest.raises(GateError) as locked:
        site.admit(right, preview=True)  # even the right one, until the window ends
    assert locked.value.code == "short_code_locked"
    assert locked.value.params["minutes"] == 5
    assert "Coba lagi dalam 5 menit" in locked.value.message("id")
    # A scanned QR is not capped by the typed code's failures.
    token = site.svc.card_qr(site.holder.id, mode="access", purpose=FAIR).token
    assert site.admit(token, preview=True).masked_name == "H. Galih A. P."
    site.clock.advance(minutes=5, seconds=1)
    assert site.admit(site.short()).recorded


def test_the_holders_history_says_the_gate_saw_the_number(site: Site) -> None:
    token = site.svc.card_qr(site.holder.id, mode="access", purpose=FAIR).token
    site.admit(token, preview=True)
    site.admit(site.short(), preview=True)
    scanned, typed = site.svc.access_log(site.holder.id)[-2:]
    assert "siapkerja_id" not in scanned.fields
    assert "siapkerja_id" in typed.fields
    assert "photo" in typed.fields


def test_a_right_code_gives_its_try_back(site: Site) -> None:
    """Previews and admissions by the right code never use up the cap."""
    for _ in range(SHORT_CODE_CARD_FAILURES + 2):
        assert site.admit(site.short(), preview=True).recorded is False


def test_the_previous_period_is_accepted_and_older_refused(site: Site) -> None:
    code = site.short()
    site.clock.advance(seconds=30)  # the next period: the code read just before is fine
    assert site.admit(code, preview=True).recorded is False
    site.clock.advance(seconds=30)  # two periods on: dead, like the token
    with pytest.raises(GateError) as refused:
        site.admit(code, preview=True)
    assert refused.value.code == "short_code_invalid"


def test_a_suspended_or_revoked_card_is_refused_as_for_a_scan(site: Site) -> None:
    code = site.short()
    site.svc.suspend_card(site.holder.id)
    with pytest.raises(GateError) as suspended:
        site.admit(code)
    assert suspended.value.code == "suspended"


def test_the_json_api_admits_a_short_code(site: Site) -> None:
    api = TestClient(create_api_app(site.svc))
    gate = {"X-Station-Key": site.keys[FAIR]}
    path = f"/v1/events/{FAIR}/admissions"
    response = api.post(path, json={"token": site.short(), "preview": True}, headers=gate)
    assert response.status_code in (200, 201), response.text
    right = site.short()
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    refused = api.post(path, json={"token": wrong}, headers=gate)
    assert refused.status_code == 422
    assert refused.json()["code"] == "gate.short_code_invalid"


def test_the_event_code_matches_without_case(site: Site, client: TestClient) -> None:
    typed = gate_sign_in(client, FAIR.lower(), site.keys[FAIR])
    assert typed.url.path == "/petugas/gerbang"
    assert "Job Fair Jakarta 2026" in visible(typed.text)
