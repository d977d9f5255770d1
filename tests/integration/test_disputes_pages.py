"""The pages of disputes and re-proofing, through the forms, on memory, SQLite and PostgreSQL.

The registration page links to the claim ("NIK ini sudah terdaftar — ajukan
klaim"); a claimant claims and confirms the new phone; the holder signs in
and answers "saya tidak memakainya lagi"; an officer opens the desk with an
administrator's key, records an in-person check and upholds the claim; the
claimant's status page says so and the claimant signs in with the NIK. A
holder who lost phone and e-mail re-proves through ``/verifikasi-identitas``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from test_disputes import clock, recorder, svc  # noqa: F401 - the fixtures, on every storage
from test_web_pages import Browser, _client, text  # type: ignore[import-not-found]

from siapkerja_adapters.web import create_app
from siapkerja_core.service import Siapkerja
from support.sms import sms_code
from support.sso import PASSWORD as HOLDER_PASSWORD
from support.sso import PEOPLE, holder

CLAIM_PASSWORD = "sawah hijau di lembang"
SECRET = "d" * 40


@pytest.fixture
def app(svc: Siapkerja) -> object:  # noqa: F811
    return create_app(svc, dev=True, secret_key=SECRET)


@pytest.fixture
def browser(app: object) -> Iterator[Browser]:
    with _client(app) as client:
        yield Browser(client)


def test_a_claim_through_the_pages(app: object, browser: Browser, svc: Siapkerja) -> None:  # noqa: F811
    holder(svc, 0, card=False)
    person = PEOPLE[0]
    browser.get("/daftar")
    assert 'href="/klaim-nik"' in browser.page
    browser.get("/klaim-nik")
    assert "tidak disimpan" in text(browser.page)  # the mother's name is no secret
    done = browser.submit(
        "/klaim-nik",
        {
            "nik": person.nik,
            "full_name": person.full_name,
            "mother_name": "BUKAN IBUNYA",
            "phone": "081399990001",
            "email": "klaim@example.com",
            "password": CLAIM_PASSWORD,
        },
    )
    assert done.url.path == "/klaim-nik"  # refused, with the reason on the page
    assert "ibu" in text(browser.page).lower()
    done = browser.submit(
        "/klaim-nik",
        {
            "nik": person.nik,
            "full_name": person.full_name,
            "mother_name": person.mother_name,
            "phone": "081399990001",
            "email": "klaim@example.com",
            "password": CLAIM_PASSWORD,
        },
    )
    assert done.url.path == "/klaim-nik/kode", text(browser.page)
    done = browser.submit("/klaim-nik/kode", {"code": sms_code(svc, "081399990001")})
    assert done.url.path == "/klaim-nik/status", text(browser.page)
    assert "Pemegang akun sudah diberi tahu" in text(browser.page)

    with _client(app) as other:
        old = Browser(other)
        old.get("/")
        old.submit("/", {"identifier": person.nik, "password": HOLDER_PASSWORD})
        old.get("/akun/sengketa")
        assert "klaim@example.com" not in old.page
        assert "081399990001" not in old.page
        [case_id] = re.findall(r'name="case_id" value="([0-9a-f]+)"', old.page)
        answered = old.submit("/akun/sengketa", {"case_id": case_id, "answer": "not_mine"})
        assert "Jawaban Anda tercatat" in text(answered.text)

    _, key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry", actor="cli:root")
    with _client(app) as desk_client:
        desk = Browser(desk_client)
        desk.get("/petugas/sengketa")
        wrong = desk.submit("/petugas/sengketa", {"admin_key": "not-a-key"})
        assert "admin_key" in wrong.text  # the sign-in form again, with the refusal
        desk.submit("/petugas/sengketa", {"admin_key": key})
        assert case_id[:8].upper() in desk.page
        desk.get(f"/petugas/sengketa/kasus/{case_id}")
        assert "klaim@example.com" not in desk.page  # masked even for officers
        desk.submit(
            f"/petugas/sengketa/kasus/{case_id}",
            {"action": "uphold", "reason": "KTP asli"},
        )
        assert "Keputusan untuk pengaju memerlukan bukti kuat" in text(desk.page)
        desk.submit(
            f"/petugas/sengketa/kasus/{case_id}",
            {
                "action": "check",
                "officer_id": "NIP 1980",
                "office": "Disnaker Kota Bandung",
                "documents": "KTP-el, KK",
                "party": "claimant",
                "passed": "yes",
            },
        )
        assert "Pemeriksaan tercatat" in text(desk.page)
        desk.submit(
            f"/petugas/sengketa/kasus/{case_id}",
            {"action": "uphold", "reason": "KTP-el asli diperiksa"},
        )
        assert "Keputusan tercatat" in text(desk.page)
        assert "account.freeze" in desk.page

    browser.get("/klaim-nik/status")
    assert "Klaim diterima" in text(browser.page)
    assert svc.login(person.nik, CLAIM_PASSWORD).id != ""


def test_a_reproofing_through_the_pages(browser: Browser, svc: Siapkerja) -> None:  # noqa: F811
    account = holder(svc, 1, card=False)
    person = PEOPLE[1]
    browser.get("/pemulihan")
    assert 'href="/verifikasi-identitas"' in browser.page
    browser.get("/verifikasi-identitas")
    done = browser.submit(
        "/verifikasi-identitas",
        {
            "nik": person.nik,
            "full_name": person.full_name,
            "mother_name": person.mother_name,
            "phone": "081377770001",
            "email": "",
            "password": "",
        },
    )
    assert done.url.path == "/klaim-nik/kode", text(browser.page)
    browser.submit("/klaim-nik/kode", {"code": sms_code(svc, "081377770001")})
    assert "pemeriksaan di kantor Disnaker" in text(browser.page)
    [case] = svc.disputes.cases(kind="reproofing")
    svc.disputes.record_check(
        case.id,
        officer_id="NIP 1990",
        office="Disnaker Kota Bekasi",
        documents=["KTP-el"],
        actor="cli:petugas",
    )
    browser.get("/klaim-nik/status")
    assert "Identitas terverifikasi" in text(browser.page)
    assert svc.login("081377770001", HOLDER_PASSWORD).id == account.id


def test_one_sign_in_opens_every_officers_desk_and_one_sign_out_closes_them(
    browser: Browser,
    svc: Siapkerja,  # noqa: F811
) -> None:
    _, key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry", actor="cli:root")
    browser.get("/petugas/hak")
    browser.submit("/petugas/hak", {"admin_key": key})
    assert "Kemnaker" in browser.page  # the rights desk
    browser.get("/petugas/sengketa")
    assert 'name="admin_key"' not in browser.page  # the disputes desk: already signed in
    browser.submit("/petugas/sengketa", {"action": "signout"})
    browser.get("/petugas/hak")
    assert 'name="admin_key"' in browser.page  # signed out of both
