"""No lost work (issue 14): refused forms are post/redirect/get, and what was typed is kept.

Through the web binding as a browser without JavaScript uses it (the helpers
of ``test_web_pages.py``): every form of the pages answers a refusal with a
303 to its GET page (so Back and Reload never send it again), which shows the
error once, in the language chosen, with the values typed — sealed in the
session cookie, never in clear, and within the cookie's size. A form sent
after the session ended keeps its values through the sign-in; a field too
long is refused at that field; an e-mail another account uses is refused
before any SMS, and can be changed on the verification page.
"""

from __future__ import annotations

import base64
import json
import os
import re
import zlib
from datetime import timedelta
from typing import Any

import pytest
from starlette.routing import BaseRoute
from starlette.templating import Jinja2Templates
from starlette.testclient import TestClient
from test_web_pages import (  # type: ignore[import-not-found]
    EMAIL,
    MOTHER,
    NAME,
    NIK,
    PASSWORD,
    Browser,
    _client,
    browser,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    confirm,
    csrf,
    refused,
    register,
    signed_in,  # noqa: F401 - fixture
    svc,  # noqa: F401 - fixture
    text,
)

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.pages import Pages
from siapkerja_adapters.web.pages.site import COOKIE_BUDGET, FormRoute, PageRoute
from siapkerja_adapters.web.security import SESSION_COOKIE, FormSealer
from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.nik import parse_nik
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from support import people
from support.clock import ManualClock as Clock

SECRET = "form-stash-test-secret-0123456789"
OTHER_PHONE = "0813 1111 2222"
OTHER_EMAIL = "lain.sekali@example.com"


def session_of(client: TestClient) -> dict[str, Any]:
    """The session cookie's JSON, as anyone who sees the cookie can read it (signed only)."""
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    value = value.strip('"')
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)  # type: ignore[no-any-return]


@pytest.fixture
def keyed(svc: Siapkerja) -> Browser:  # noqa: F811
    """A browser on an application whose session secret the test knows."""
    client = _client(create_app(svc, dev=True, secret_key=SECRET))
    return Browser(client)


def other_resident(svc: Siapkerja) -> tuple[str, str, str]:  # noqa: F811
    for record in svc.dukcapil:  # type: ignore[attr-defined]
        if record.active and record.nik != NIK:
            return record.nik, record.full_name, record.mother_name
    raise AssertionError("the offline registry has one resident only")


# --------------------------------------------------------------------------
# The stash
# --------------------------------------------------------------------------


def test_a_refusal_is_a_303_and_the_stash_is_sealed(keyed: Browser) -> None:
    keyed.get("/daftar")
    data = {"csrf_token": csrf(keyed.page), "nik": NIK, "full_name": NAME, "mother_name": "Sri"}
    answer = keyed.client.post("/daftar", data=data, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/daftar"
    session = session_of(keyed.client)
    clear = json.dumps(session)
    assert NIK not in clear  # personal data never in clear
    assert NAME not in clear
    assert "Sri" not in clear
    opened = FormSealer(SECRET).open(session["form"]["s"])
    assert opened is not None
    assert opened["v"] == {"nik": NIK, "full_name": NAME}  # the mother's name is never kept
    assert FormSealer("another-secret-0123456789abcdef").open(session["form"]["s"]) is None
    page = keyed.get("/daftar")
    assert page.status_code == 200
    assert f'value="{NIK}"' in page.text
    assert 'id="f-mother_name-error"' in page.text


def test_the_stash_is_read_once_and_a_language_switch_shows_it_in_english(
    browser: Browser,  # noqa: F811
) -> None:
    browser.get("/daftar")
    response = browser.submit("/daftar", {"nik": "12345", "full_name": NAME, "mother_name": MOTHER})
    refused(response, "/daftar")
    with pytest.raises(SiapkerjaError) as caught:
        parse_nik("12345")
    assert caught.value.message("id") in text(browser.page)
    english = browser.get("/daftar?lang=en")  # the page's own language link
    assert caught.value.message("en") in text(english.text)
    assert 'id="f-nik-error"' in english.text
    assert 'value="12345"' in english.text
    again = browser.get("/daftar")  # any other visit: the refusal is over
    assert 'role="alert"' not in again.text
    assert 'value="12345"' not in again.text


def test_the_cookie_stays_within_its_budget_and_the_error_still_shows(
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil")
    noise = {  # incompressible values, as long as the form takes them
        name: base64.b32encode(os.urandom(1200)).decode()[:1900]
        for name in ("birth_place", "headline")
    }
    data = {"csrf_token": csrf(signed_in.page), "birth_date": "1994-02-31", **noise}
    answer = signed_in.client.post("/profil/biodata", data=data, follow_redirects=False)
    assert answer.status_code == 303
    cookie = next(h for h in answer.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    assert len(cookie) < 4096
    assert len(signed_in.client.cookies.get(SESSION_COOKIE) or "") <= COOKIE_BUDGET
    page = signed_in.get(answer.headers["location"])
    assert 'role="alert"' in page.text
    assert 'id="f-birth_date-error"' in page.text


def test_a_birth_date_after_today_is_shown_beside_its_field_and_not_saved(
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil")
    data = {"csrf_token": csrf(signed_in.page), "birth_date": "2999-01-01"}
    answer = signed_in.client.post("/profil/biodata", data=data, follow_redirects=False)
    assert answer.status_code == 303
    page = signed_in.get(answer.headers["location"])
    assert 'id="f-birth_date-error"' in page.text
    assert "Tanggal lahir: tidak boleh setelah hari ini." in page.text  # its label, not a path
    assert "biodata.birth_date" not in page.text
    assert "2999" not in signed_in.get("/profil").text


# --------------------------------------------------------------------------
# Every form of the pages
# --------------------------------------------------------------------------


def _pages_routes() -> list[BaseRoute]:
    service = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    return Pages(service, Jinja2Templates(directory=os.path.dirname(__file__))).routes()


_ROUTES = _pages_routes()
_FORMS = sorted(r.name for r in _ROUTES if isinstance(r, FormRoute))


_PARAMS = {"slug": "pekerjaan", "n:int": "1", "kind": "ktp"}  # as the state below has them


def _concrete(path: str, params: dict[str, str] | None = None) -> str:
    known = {**_PARAMS, **(params or {})}
    return re.sub(r"\{([^}]+)\}", lambda m: known.get(m.group(1), "x"), path)


_CASE_PARAMS: dict[int, dict[str, str]] = {}  # a browser's own path parameters (a case's id)


def _state(svc: Siapkerja, name: str) -> Browser:  # noqa: F811
    """A browser where the form ``name`` is shown: anonymous, mid-registration, signed in."""
    app = create_app(svc, dev=True)
    # The gate screen's policy allows WebAssembly (its camera scanner): its own headers.
    visitor = Browser(TestClient(app) if name.startswith("gate_") else _client(app))
    if name in ("register_contact_submit",):
        visitor.get("/daftar")
        visitor.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    elif name.startswith("verify_"):
        register(visitor)
    elif name == "gate_check":  # a gate signed in with its station key
        organiser, _ = svc.register_verifier("Disnaker DKI", ["disnaker"])
        svc.events.create_event(
            organiser,
            id="JOBFAIR-JKT-2026",
            name="Job Fair Jakarta 2026",
            kind="job_fair",
            venue="JIExpo Kemayoran",
            opens_at=svc.now() - timedelta(hours=1),
            closes_at=svc.now() + timedelta(hours=8),
            region_code="31",
        )
        _, key = svc.events.add_station(organiser, "JOBFAIR-JKT-2026", name="Pintu A")
        visitor.get("/petugas")
        fields = {"station_key": key or "", "event": "JOBFAIR-JKT-2026"}
        assert visitor.submit("/petugas", fields).url.path == "/petugas/gerbang"
    elif name.startswith("gate_"):
        pass  # the gate's sign-in page needs nobody signed in
    elif name in ("recovery_reset_submit", "recovery_factor_submit"):
        visitor.get("/pemulihan")
        visitor.submit("/pemulihan", {"identifier": NIK})
    elif name.startswith("login_factor"):  # a sign-in waiting for its second factor
        import pyotp

        register(visitor)
        confirm(visitor)
        account_id = svc.factors.account_id_for(NIK) or ""
        enrolment = svc.factors.start_totp(account_id)
        code = pyotp.TOTP(enrolment.secret).at(svc.now())
        svc.factors.confirm_totp(account_id, enrolment.factor_id, code)
        visitor.submit("/keluar")
        visitor.get("/")
        answer = visitor.submit("/", {"identifier": EMAIL, "password": PASSWORD})
        assert answer.url.path == "/masuk/faktor"
    elif name == "dispute_desk_act":  # an officer signed in at the desk, on an open case
        register(visitor)  # the stale account
        confirm(visitor)
        visitor.submit("/keluar")
        case = svc.disputes.open_claim(
            NIK, NAME, people.MOTHER, email=OTHER_EMAIL, phone=OTHER_PHONE, password=PASSWORD
        )
        _, key = svc.verifiers.add("Kemnaker", ["admin"], kind="ministry", actor="cli:root")
        visitor.get("/petugas/sengketa")
        visitor.submit("/petugas/sengketa", {"admin_key": key})
        _CASE_PARAMS[id(visitor)] = {"case_id": case.id}
    elif name == "dispute_code_submit":  # a claim on a NIK another account holds, waiting
        register(visitor)  # the stale account
        confirm(visitor)
        visitor.submit("/keluar")
        visitor.get("/klaim-nik")
        claim = {
            "nik": NIK,
            "full_name": NAME,
            "mother_name": people.MOTHER,
            "email": OTHER_EMAIL,
            "phone": OTHER_PHONE,
            "password": PASSWORD,
        }
        assert visitor.submit("/klaim-nik", claim).url.path == "/klaim-nik/kode"
    elif name == "recovery_second_reset_submit":  # recovery with the second contact
        visitor.get("/pemulihan/kontak-kedua")
        visitor.submit("/pemulihan/kontak-kedua", {"identifier": NIK})
    elif name not in (
        "login_submit",
        "register_submit",
        "recovery_submit",
        "recovery_second_submit",
    ):
        register(visitor)
        confirm(visitor)
        visitor.get("/profil/pekerjaan/baru")  # one work entry: /profil/pekerjaan/1
        job = {
            "work_title": "Juru masak",
            "work_company": "Warung",
            "work_start": "2020-01",
            "work_current": "1",
        }
        assert visitor.submit("/profil/pekerjaan/baru", job).url.path == "/profil"
    return visitor


def test_every_form_of_the_pages_has_a_get_page() -> None:
    assert len(_FORMS) >= 15  # the enumeration found the forms
    pages = {r.name for r in _ROUTES if isinstance(r, PageRoute)}
    for route in _ROUTES:
        if isinstance(route, FormRoute):
            assert route.page in pages, f"{route.name} has no GET page to go back to"


@pytest.mark.parametrize("name", _FORMS)
def test_every_form_answers_a_refusal_with_303_to_its_page(
    svc: Siapkerja,  # noqa: F811
    name: str,
) -> None:
    form = next(r for r in _ROUTES if isinstance(r, FormRoute) and r.name == name)
    page = next(r for r in _ROUTES if isinstance(r, PageRoute) and r.name == form.page)
    visitor = _state(svc, name)
    params = _CASE_PARAMS.pop(id(visitor), None)
    shown = visitor.get(_concrete(page.path, params))
    token = csrf(shown.text) if "csrf_token" in shown.text else csrf(visitor.get("/profil").text)
    # A field over the part limit: refused before the page's own code runs, for any form.
    data = {"csrf_token": token, "catatan": "kata " * 4000}
    answer = visitor.client.post(_concrete(form.path, params), data=data, follow_redirects=False)
    assert answer.status_code == 303, name
    assert answer.headers["location"] == _concrete(page.path, params), name
    back = visitor.get(answer.headers["location"])
    assert back.request.method == "GET"
    assert "terlalu panjang" in text(back.text), f"{name}: the error is not on {page.path}"
    assert text(back.text).count("terlalu panjang") == 1, f"{name}: shown twice"


# --------------------------------------------------------------------------
# Sessions that ended, tokens that went stale
# --------------------------------------------------------------------------


def test_a_form_sent_after_the_session_ended_is_kept_through_the_sign_in(
    svc: Siapkerja,  # noqa: F811
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil")
    token = csrf(signed_in.page)
    signed_in.client.cookies.delete(SESSION_COOKIE)  # the session ended (the cookie expired)
    data = {"csrf_token": token, "birth_place": "Kota Bogor", "headline": "Kepala gudang"}
    answer = signed_in.client.post("/profil/biodata", data=data)
    assert answer.url.path == "/"
    assert answer.url.params.get("next") == "/profil"
    assert "Sesi Anda berakhir. Masuk lagi; isian Anda kami simpan." in text(answer.text)
    signed_in.page = answer.text
    after = signed_in.submit(
        "/", {"identifier": EMAIL, "password": PASSWORD, "next": answer.url.params["next"]}
    )
    assert after.url.path == "/profil"
    assert 'value="Kepala gudang"' in after.text
    assert 'value="Kota Bogor"' in after.text
    assert "periksa, lalu kirim lagi" in text(after.text)
    # Shown again, never sent: the profile has not changed.
    with svc.storage.transaction() as tx:
        (account_id,) = list(tx.accounts.ids(limit=10))
    assert svc.profile(account_id).biodata.headline != "Kepala gudang"


def test_a_form_sent_after_the_sign_in_expired_is_kept_too(
    svc: Siapkerja,  # noqa: F811
    clock: Clock,  # noqa: F811
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil")
    clock.advance(seconds=int(svc.policy.session_ttl.total_seconds()) + 60)  # the core's session
    answer = signed_in.submit("/profil/biodata", {"headline": "Operator forklift"})
    assert answer.url.path == "/"
    assert "isian Anda kami simpan" in text(answer.text)
    signed_in.page = answer.text
    after = signed_in.submit(
        "/", {"identifier": EMAIL, "password": PASSWORD, "next": answer.url.params["next"]}
    )
    assert after.url.path == "/profil"
    assert 'value="Operator forklift"' in after.text


def test_a_form_from_a_tab_older_than_the_sign_in_is_shown_again_not_sent(
    svc: Siapkerja,  # noqa: F811
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil")
    old = csrf(signed_in.page)  # this tab stays open ...
    signed_in.submit("/keluar")
    signed_in.get("/")
    signed_in.submit("/", {"identifier": EMAIL, "password": PASSWORD})  # ... another signs in
    data = {"csrf_token": old, "headline": "Juru masak"}
    answer = signed_in.client.post("/profil/biodata", data=data)
    refused(answer, "/profil")  # still signed in: straight back to the form
    assert 'value="Juru masak"' in answer.text
    assert "periksa, lalu kirim lagi" in text(answer.text)
    with svc.storage.transaction() as tx:
        (account_id,) = list(tx.accounts.ids(limit=10))
    assert svc.profile(account_id).biodata.headline != "Juru masak"


def test_a_stale_registration_form_comes_back_with_a_fresh_token(
    browser: Browser,  # noqa: F811
) -> None:
    browser.get("/daftar")
    old = csrf(browser.page)
    browser.client.cookies.delete(SESSION_COOKIE)
    data = {"csrf_token": old, "nik": NIK, "full_name": NAME, "mother_name": MOTHER}
    answer = browser.client.post("/daftar", data=data)
    refused(answer, "/daftar")
    assert f'value="{NIK}"' in answer.text
    assert f'value="{NAME}"' in answer.text
    assert MOTHER not in answer.text
    assert "periksa, lalu kirim lagi" in text(answer.text)
    assert csrf(answer.text) != old
    browser.page = answer.text
    sent = browser.submit("/daftar", {"nik": NIK, "full_name": NAME, "mother_name": MOTHER})
    assert sent.url.path == "/daftar/kontak"


def test_a_refused_or_stale_sign_in_keeps_where_it_was_going(
    browser: Browser,  # noqa: F811
) -> None:
    browser.get("/?next=/kartu")
    response = browser.submit("/", {"identifier": NIK, "password": "salah", "next": "/kartu"})
    refused(response, "/")
    assert response.url.params.get("next") == "/kartu"
    assert 'name="next" value="/kartu"' in response.text
    old = csrf(browser.page)
    browser.client.cookies.delete(SESSION_COOKIE)
    data = {"csrf_token": old, "identifier": NIK, "password": "x", "next": "/kartu"}
    response = browser.client.post("/", data=data)
    refused(response, "/")
    assert response.url.params.get("next") == "/kartu"
    assert f'value="{NIK}"' in response.text


def test_a_cross_site_post_is_still_refused_outright(browser: Browser) -> None:  # noqa: F811
    browser.get("/daftar")
    data = {"csrf_token": "stale" * 9, "nik": NIK, "full_name": NAME, "mother_name": MOTHER}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = browser.client.post("/daftar", data=data, headers=headers)
        assert answer.status_code == 403
        assert NIK not in answer.text


# --------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------


def test_a_200_kb_name_is_refused_at_its_field_and_the_rest_kept(
    browser: Browser,  # noqa: F811
) -> None:
    browser.get("/daftar")
    huge = "Galih" * 40_000
    response = browser.submit("/daftar", {"nik": NIK, "full_name": huge, "mother_name": MOTHER})
    refused(response, "/daftar")
    error = re.search(
        r'<p class="field-error" id="f-full_name-error">(.*?)</p>', browser.page, re.S
    )
    assert error, "the refusal is not at the name"
    assert "terlalu panjang" in error.group(1)
    assert "100 karakter" in error.group(1)
    assert f'value="{NIK}"' in browser.page
    assert f'value="{huge[:100]}"' in browser.page
    assert "Permintaan tidak valid" not in browser.page


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_long_name_cut_inside_a_character_comes_back_whole(
    browser: Browser,  # noqa: F811
    encoding: str,
) -> None:
    """Cut at a byte limit, a long Unicode value keeps whole characters (no Latin-1 mojibake)."""
    browser.get("/daftar")
    fields = {
        "csrf_token": csrf(browser.page),
        "nik": NIK,
        "full_name": "x" + "Ñ" * 9000,
    }  # cut mid-character
    if encoding == "urlencoded":
        response = browser.client.post("/daftar", data=fields)
    else:
        boundary = "siapkerja-test-boundary"
        body = (
            "".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                for name, value in fields.items()
            )
            + f"--{boundary}--\r\n"
        )
        response = browser.client.post(
            "/daftar",
            content=body.encode("utf-8"),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
    refused(response, "/daftar")
    assert f'value="x{"Ñ" * 99}"' in response.text
    assert "Ã" not in response.text
    assert 'id="f-full_name-error"' in response.text


def test_the_sealer_opens_only_its_own_untouched_values() -> None:
    sealer = FormSealer(SECRET)
    sealed = sealer.seal({"v": {"nik": NIK}})
    assert NIK not in sealed
    assert sealer.open(sealed) == {"v": {"nik": NIK}}
    assert sealer.seal({"v": {"nik": NIK}}) != sealed  # a fresh nonce each time
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (tampered, "", "!!!", sealed[:20], None, 42):
        assert sealer.open(bad) is None


def test_a_long_text_part_of_an_upload_form_is_refused_at_its_field(
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil")
    response = signed_in.client.post(
        "/profil/foto",
        data={"csrf_token": csrf(signed_in.page), "keterangan": "é" * 100_000},
        files={"photo": ("me.png", b"\x89PNG" + b"0" * 100, "image/png")},
    )
    refused(response, "/profil")
    assert "terlalu panjang" in text(response.text)


def test_a_body_over_the_limit_is_a_worded_page(browser: Browser) -> None:  # noqa: F811
    browser.get("/daftar")
    response = browser.client.post(
        "/daftar",
        content=b"full_name=" + b"x" * (5 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    words = text(response.text)
    assert "terlalu besar" in words
    assert "tidak ada isian yang tersimpan" in words
    assert "MiB" not in words
    assert "bita" not in words


# --------------------------------------------------------------------------
# An e-mail another account uses
# --------------------------------------------------------------------------


def test_an_email_taken_is_refused_at_the_contact_step_before_any_sms(
    svc: Siapkerja,  # noqa: F811
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.submit("/keluar")
    nik, name, mother = other_resident(svc)
    svc.deliver_outbox()
    sent_before = len(svc.sms.messages)  # type: ignore[attr-defined]
    signed_in.get("/daftar")
    signed_in.submit("/daftar", {"nik": nik, "full_name": name, "mother_name": mother})
    response = signed_in.submit(
        "/daftar/kontak", {"email": EMAIL.upper(), "phone": OTHER_PHONE, "password": PASSWORD}
    )
    refused(response, "/daftar/kontak")
    assert 'id="f-email-error"' in signed_in.page
    assert f'value="{EMAIL.upper()}"' in signed_in.page
    assert PASSWORD not in signed_in.page
    svc.deliver_outbox()  # whatever was enqueued is sent now: nothing was
    assert len(svc.sms.messages) == sent_before  # type: ignore[attr-defined]
    assert svc.sms.last_to("+6281311112222") is None  # type: ignore[attr-defined]
    response = signed_in.submit(
        "/daftar/kontak", {"email": OTHER_EMAIL, "phone": OTHER_PHONE, "password": PASSWORD}
    )
    assert response.url.path == "/verifikasi"


def test_ubah_email_fixes_an_email_taken_at_confirmation(svc: Siapkerja) -> None:  # noqa: F811
    app = create_app(svc, dev=True)
    first, second = Browser(_client(app)), Browser(_client(app))
    register(first)  # Galih, waiting for his code
    galih = {f"d{i}": d for i, d in enumerate(first.otp(), start=1)}
    nik, name, mother = other_resident(svc)
    second.get("/daftar")
    second.submit("/daftar", {"nik": nik, "full_name": name, "mother_name": mother})
    second.submit("/daftar/kontak", {"email": EMAIL, "phone": OTHER_PHONE, "password": PASSWORD})
    second.get("/verifikasi")
    digits = {f"d{i}": d for i, d in enumerate(second.otp(), start=1)}
    # Galih's account takes the e-mail first (both passed the contact step before).
    assert first.submit("/verifikasi", galih).url.path == "/profil"
    response = second.submit("/verifikasi", digits)
    refused(response, "/verifikasi")
    assert 'href="/verifikasi/ubah-email"' in second.page
    assert "Ubah e-mail" in text(second.page)
    second.get("/verifikasi/ubah-email")
    assert f'value="{EMAIL}"' in second.page
    response = second.submit("/verifikasi/ubah-email", {"email": EMAIL})
    refused(response, "/verifikasi/ubah-email")
    assert 'id="f-email-error"' in second.page
    response = second.submit("/verifikasi/ubah-email", {"email": OTHER_EMAIL})
    assert response.url.path == "/verifikasi"
    assert "Alamat e-mail sudah diubah." in text(second.page)
    response = second.submit("/verifikasi", digits)  # the same code: no new SMS needed
    assert response.url.path == "/profil", text(second.page)


def test_a_session_too_full_for_the_stash_keeps_nothing_and_says_so(
    svc: Siapkerja,  # noqa: F811
) -> None:
    from starlette.requests import Request

    from siapkerja_adapters.web.pages.site import STASH_KEY, Site
    from siapkerja_adapters.web.security import SEALER_SCOPE_KEY

    site = Site(svc, Jinja2Templates(directory=os.path.dirname(__file__)))
    errors = [("nik", {"id": "NIK salah.", "en": "Wrong NIK."})]

    def request(session: dict[str, Any]) -> Request:
        scope = {"type": "http", "method": "POST", "path": "/daftar", "headers": []}
        return Request({**scope, "session": session, SEALER_SCOPE_KEY: FormSealer(SECRET)})

    full = {"sso": {"r": "x" * 3000}}  # single sign-on requests waiting fill the cookie
    assert site.stash(request(full), "/daftar", errors, {"nik": NIK}) is False
    assert STASH_KEY not in full
    roomy: dict[str, Any] = {"sso": {"r": "x" * 1000}}
    assert (
        site.stash(
            request(roomy),
            "/daftar",
            errors,
            {"nik": NIK, "x": base64.b64encode(os.urandom(2400)).decode()},
        )
        is True
    )
    opened = FormSealer(SECRET).open(roomy[STASH_KEY]["s"])
    assert opened is not None
    assert opened["v"] == {"nik": NIK}  # the largest value went first; the error stayed
    assert opened["e"] == [["nik", {"id": "NIK salah.", "en": "Wrong NIK."}]]


def test_secrets_are_never_kept_even_from_a_stale_form(keyed: Browser) -> None:
    keyed.get("/petugas")
    old = csrf(keyed.page)
    keyed.client.cookies.delete(SESSION_COOKIE)
    data = {"csrf_token": old, "station_key": "kunci-rahasia-pos", "event": "JOBFAIR-JKT-2026"}
    answer = keyed.client.post("/petugas", data=data, follow_redirects=False)
    assert answer.status_code == 303
    opened = FormSealer(SECRET).open(session_of(keyed.client)["form"]["s"])
    assert opened is not None
    assert opened["v"] == {"event": "JOBFAIR-JKT-2026"}  # the station key is not kept


# --------------------------------------------------------------------------
# A field over the part limit is named by its label (issue 14)
# --------------------------------------------------------------------------


def test_a_name_over_the_part_limit_is_named_by_its_label(browser: Browser) -> None:  # noqa: F811
    browser.get("/daftar")
    shown = browser.submit(
        "/daftar", {"nik": NIK, "full_name": "A" * 200_000, "mother_name": MOTHER}
    )
    assert shown.url.path == "/daftar"
    message = text(shown.text)
    assert "Nama lengkap terlalu panjang: paling banyak 100 karakter." in message
    assert "Isian ini" not in message
    browser.get("/daftar?lang=en")
    shown = browser.submit(
        "/daftar", {"nik": NIK, "full_name": "A" * 200_000, "mother_name": MOTHER}
    )
    assert "Full name is too long: at most 100 characters." in text(shown.text)


def test_an_entry_description_over_the_part_limit_names_field_and_section(
    signed_in: Browser,  # noqa: F811
) -> None:
    signed_in.get("/profil/pekerjaan/baru")
    job = {"work_title": "Juru masak", "work_company": "Warung", "work_start": "2020-01"}
    shown = signed_in.submit("/profil/pekerjaan/baru", {**job, "work_description": "x" * 3_000_000})
    assert shown.url.path == "/profil/pekerjaan/baru"
    assert (
        "Deskripsi pekerjaan (Pengalaman kerja) terlalu panjang: paling banyak 2000 karakter."
        in text(shown.text)
    )
    signed_in.get("/profil/pekerjaan/baru?lang=en")
    shown = signed_in.submit("/profil/pekerjaan/baru", {**job, "work_description": "x" * 3_000_000})
    assert "Job description (Work experience) is too long: at most 2000 characters." in text(
        shown.text
    )


def test_a_field_no_form_shows_keeps_the_generic_too_long_text(browser: Browser) -> None:  # noqa: F811
    browser.get("/daftar")
    shown = browser.submit("/daftar", {"nik": NIK, "catatan": "kata " * 4000})
    assert "Isian ini terlalu panjang" in text(shown.text)
