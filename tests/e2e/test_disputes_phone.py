"""The pages of disputes and re-proofing fit a 360 px phone and pass axe-core.

The claim (refused, then filled), the new phone's code, the status; the
holder's answer page; the officers' desk (sign-in, the lists, one case).
The checks are ``test_phone_layouts``'s :class:`Looker` (no sideways
scrolling, 44 px targets, axe-core) at phone and desktop widths.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from test_phone_layouts import TIMEOUT_MS, Looker, _shots  # type: ignore[import-not-found]

from support.live_server import serve_memory_site
from support.sms import sms_code
from support.sso import PASSWORD, PEOPLE, holder

PHONE = {"width": 360, "height": 740}


def test_the_dispute_pages_fit_a_phone_and_pass_axe(browser: Any, tmp_path: Path) -> None:
    looker = Looker(_shots(tmp_path))
    with serve_memory_site() as (server, svc):
        old = holder(svc, 0, card=False)
        person = PEOPLE[0]
        _, key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry", actor="cli:root")
        context = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            page.goto(f"{server.url}/klaim-nik")
            page.get_by_role("button", name="Kirim kode").click()
            page.wait_for_selector(".field-error, .error-summary")
            looker.look(page, "50-klaim-ditolak")
            page.get_by_label("Nomor Induk Kependudukan (No. KTP)").fill(person.nik)
            page.get_by_label("Nama lengkap").fill(person.full_name)
            page.get_by_label("Nama ibu kandung").fill(person.mother_name)
            page.get_by_label("Nomor HP baru").fill("081399990001")
            page.get_by_label("Email baru").fill("klaim@example.com")
            page.get_by_label("Password baru").fill("sawah hijau di lembang")
            looker.look(page, "50-klaim")
            page.get_by_role("button", name="Kirim kode").click()
            page.wait_for_url(re.compile(r"/klaim-nik/kode$"))
            looker.look(page, "51-klaim-kode")
            page.get_by_label("Kode").fill(sms_code(svc, "081399990001"))
            page.get_by_role("button", name=re.compile("Verifikasi|Konfirmasi|Lanjut")).click()
            page.wait_for_url(re.compile(r"/klaim-nik/status$"))
            looker.look(page, "52-klaim-status")

            holder_context = browser.new_context(locale="id-ID", viewport=PHONE, bypass_csp=True)
            holder_context.set_default_timeout(TIMEOUT_MS)
            mine = holder_context.new_page()
            mine.goto(f"{server.url}/")
            mine.get_by_label(re.compile("NIK")).first.fill(person.nik)
            mine.get_by_label("Password", exact=True).fill(PASSWORD)
            mine.get_by_role("button", name="Masuk").click()
            mine.wait_for_url(re.compile(r"/profil"))
            mine.goto(f"{server.url}/akun/sengketa")
            looker.look(mine, "53-sengketa-pemegang")
            holder_context.close()

            desk = context.new_page()
            desk.goto(f"{server.url}/petugas/sengketa")
            looker.look(desk, "54-meja-masuk")
            desk.get_by_label("Kunci API administrator").fill(key)
            desk.get_by_role("button", name="Masuk").click()
            desk.wait_for_selector("table")
            looker.look(desk, "55-meja")
            [case] = svc.disputes.cases()
            desk.goto(f"{server.url}/petugas/sengketa/kasus/{case.id}")
            looker.look(desk, "56-meja-kasus")
            assert old.id == case.account_id
        finally:
            context.close()
    assert not looker.failures, "\n".join(looker.failures)
