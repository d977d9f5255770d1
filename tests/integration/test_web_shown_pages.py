"""A signed-in holder's profile page is rendered again only when what it shows changed.

``GET /profil`` keeps its rendered bytes (the CSRF token a hole) with what it
showed — the account and the profile's overview, compared by equality
(:meth:`~siapkerja_adapters.web.pages.site.Site.render_shown`). These tests,
in production mode (templates not reloaded, so the cache is on), hold it to: the
bytes a fresh render sends, an edit (through the facade or the page's own form)
shown on the very next load, a new photo's new address, each holder their own
page, and a signed-out session answered with the sign-in page, never a kept one.
"""

from __future__ import annotations

import re

import pytest
from starlette.templating import Jinja2Templates
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.pages.site import Site
from siapkerja_adapters.web.security import _SALT, SESSION_COOKIE, _SessionSerializer
from siapkerja_core.limits import Client
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.render.card import Card
from siapkerja_core.service import Siapkerja
from support import people

SECRET = "h" * 32
PASSWORD = "kopi tubruk di pal merah"
TOKEN = "Q" * 20 + "-_" + "b2" * 11
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _holder(svc: Siapkerja, nik: str, name: str, mother: str, email: str, phone: str) -> str:
    """A registered holder signed in: their core session token."""
    registration = svc.register(nik=nik, full_name=name, mother_name=mother)
    svc.submit_contact(registration.id, email=email, phone=phone, password=PASSWORD)
    code = _CODE.findall(svc.sms.messages[-1].text)[0]
    account = svc.confirm_otp(registration.id, code=code)
    assert account.session is not None
    return account.session.token


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


@pytest.fixture
def galih(svc: Siapkerja) -> str:
    return _holder(svc, people.NIK, people.NAME, people.MOTHER, people.EMAIL, "0812-9999-9999")


def _client(svc: Siapkerja) -> TestClient:
    return TestClient(create_app(svc, secret_key=SECRET), follow_redirects=False)


def _as(client: TestClient, session: dict[str, object]) -> None:
    client.cookies.clear()  # the cookie the app set last, if any, gives way
    client.cookies.set(SESSION_COOKIE, _SessionSerializer(SECRET, _SALT).dumps(session))


def _template_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every template rendered from now on, kept or not (its name, in order)."""
    rendered: list[str] = []
    render = Jinja2Templates.TemplateResponse
    monkeypatch.setattr(
        Jinja2Templates,
        "TemplateResponse",
        lambda self, *a, **k: rendered.append(a[1]) or render(self, *a, **k),
    )
    return rendered


def test_the_kept_page_is_the_page_rendered_afresh(
    svc: Siapkerja, galih: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh: list[str] = []
    render = Site.render
    monkeypatch.setattr(
        Site, "render", lambda self, *a, **k: fresh.append(a[1]) or render(self, *a, **k)
    )
    client = _client(svc)
    signed_in = {"auth": galih, "csrf": TOKEN, "lang": "id"}
    answers = []
    for session in (signed_in, signed_in, {**signed_in, "not_kept": 1}):
        _as(client, session)
        answer = client.get("/profil")
        assert answer.status_code == 200
        answers.append(answer)
    assert answers[0].content == answers[1].content == answers[2].content
    assert fresh == ["profile.html"]  # the first two through the cache, the third afresh
    assert _CSRF.search(answers[0].text)[1] == TOKEN  # type: ignore[index]
    for header in ("content-type", "cache-control", "content-security-policy"):
        assert answers[0].headers.get(header) == answers[2].headers.get(header)
    assert people.NAME in answers[0].text


def test_an_edit_shows_on_the_next_load(svc: Siapkerja, galih: str) -> None:
    client = _client(svc)
    _as(client, {"auth": galih, "csrf": TOKEN, "lang": "id"})
    account = svc.authenticate(galih)
    first = client.get("/profil").text
    assert client.get("/profil").text == first  # kept
    svc.update_profile(account.id, biodata={"headline": "Penjahit Kebaya"})
    assert "Penjahit Kebaya" in client.get("/profil").text
    # Through the page's own form, as a holder edits it.
    form = {"csrf_token": TOKEN, "headline": "Tukang Kayu Jati", "birth_place": "Jakarta"}
    answer = client.post("/profil/biodata", data=form)
    assert answer.status_code == 303
    page = client.get("/profil").text  # the flash of the save: rendered afresh
    assert "Tukang Kayu Jati" in page
    again = client.get("/profil").text  # and then kept, still the new headline
    assert "Tukang Kayu Jati" in again
    assert "Penjahit Kebaya" not in again


def test_a_new_photo_gets_a_new_address(svc: Siapkerja, galih: str) -> None:
    client = _client(svc)
    _as(client, {"auth": galih, "csrf": TOKEN, "lang": "id"})
    account = svc.authenticate(galih)
    svc.update_profile(account.id, photo={"content": people.png()})
    before = re.search(r"/profil/foto\?v=(\w+)", client.get("/profil").text)
    assert before is not None
    svc.update_profile(account.id, photo={"content": people.png((64, 80))})
    after = re.search(r"/profil/foto\?v=(\w+)", client.get("/profil").text)
    assert after is not None
    assert after[1] != before[1]


def test_each_holder_sees_their_own_page(svc: Siapkerja, galih: str) -> None:
    other = people.FAUZI
    fauzi = _holder(
        svc, other.nik, other.full_name, other.mother_name, "fauzi@example.com", "0813-1111-2222"
    )
    client = _client(svc)
    for token, name, not_name in (
        (galih, people.NAME, other.full_name),
        (fauzi, other.full_name, people.NAME),
    ):
        for _ in range(2):
            _as(client, {"auth": token, "csrf": TOKEN, "lang": "id"})
            page = client.get("/profil").text
            assert name in page
            assert not_name not in page


@pytest.mark.parametrize(
    "path", ["/profil", "/profil/alamat/ktp", "/riwayat", "/program", "/kartu"]
)
def test_a_signed_out_session_gets_no_kept_page(svc: Siapkerja, galih: str, path: str) -> None:
    client = _client(svc)
    _as(client, {"auth": galih, "csrf": TOKEN, "lang": "id"})
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200  # kept
    svc.logout(galih)
    _as(client, {"auth": galih, "csrf": TOKEN, "lang": "id"})
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/?next=") or answer.headers["location"] == "/"
    assert people.NAME not in answer.text
    assert "auth" not in _SessionSerializer(SECRET, _SALT).loads(
        answer.cookies.get(SESSION_COOKIE) or _SessionSerializer(SECRET, _SALT).dumps({})
    )  # the ended session is forgotten
    # Signed in again: a new session, the page shown to it.
    account = svc.login(people.EMAIL, PASSWORD, Client(address=None, device=None))
    assert account.session is not None
    _as(client, {"auth": account.session.token, "csrf": TOKEN, "lang": "id"})
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("query", ["", "?cari=palmerah", "?cari=palmerah&lang=en"])
def test_the_region_picker_is_kept_until_an_address_changes(
    svc: Siapkerja, galih: str, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = _template_renders(monkeypatch)
    client = _client(svc)
    account = svc.authenticate(galih)
    address = {"village_code": people.VILLAGE, "street": "Jl. Palmerah Barat No. 10"}
    svc.update_profile(account.id, ktp_address=address)
    lang = "en" if "lang=en" in query else "id"
    signed_in = {"auth": galih, "csrf": TOKEN, "lang": lang}
    pages = []
    for session in (signed_in, signed_in, {**signed_in, "not_kept": 1}):
        _as(client, session)
        answer = client.get("/profil/alamat/ktp" + query)
        assert answer.status_code == 200
        pages.append(answer.text)
    assert pages[0] == pages[1] == pages[2]
    assert rendered == ["profile_address.html"] * 2  # the first, and the one afresh
    if query:
        assert "Palmerah" in pages[0]
    else:
        assert "Jl. Palmerah Barat No. 10" in pages[0]
    svc.update_profile(account.id, ktp_address={**address, "street": "Jl. Kemanggisan No. 7"})
    _as(client, signed_in)
    page = client.get("/profil/alamat/ktp" + query).text
    if not query:
        assert "Jl. Kemanggisan No. 7" in page
        assert "Jl. Palmerah Barat No. 10" not in page
    assert rendered == ["profile_address.html"] * 3  # rendered again: the address changed


@pytest.mark.parametrize("path", ["/riwayat", "/program", "/kartu"])
def test_history_and_programmes_are_kept_until_what_they_show_changes(
    svc: Siapkerja, galih: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = _template_renders(monkeypatch)
    client = _client(svc)
    signed_in = {"auth": galih, "csrf": TOKEN, "lang": "id"}
    pages = []
    for session in (signed_in, signed_in, {**signed_in, "not_kept": 1}):
        _as(client, session)
        answer = client.get(path)
        assert answer.status_code == 200
        pages.append(answer.text)
    assert pages[0] == pages[1] == pages[2]
    assert len(rendered) == 2  # the first, and the one afresh
    # What the page shows changes: a card issued and opened (a line of the history), a
    # completed profile (eligibility).
    account = svc.authenticate(galih)
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    svc.resolve(svc.card_qr(account.id).token)
    _as(client, signed_in)
    changed = client.get(path).text
    _as(client, {**signed_in, "not_kept": 1})
    assert changed == client.get(path).text  # what a fresh render shows now
    if path in ("/riwayat", "/kartu"):
        assert changed != pages[0]  # the new line of the history, the card issued
        assert len(rendered) == 4


def _with_card(svc: Siapkerja, token: str) -> str:
    """The signed-in holder's profile completed and their card issued: their account id."""
    account = svc.authenticate(token)
    svc.update_profile(account.id, **people.complete_profile())
    svc.issue_card(account.id)
    return account.id


def test_a_refreshed_card_shows_its_new_qr_at_once(
    svc: Siapkerja, galih: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account_id = _with_card(svc, galih)
    rendered = _template_renders(monkeypatch)
    client = _client(svc)
    _as(client, {"auth": galih, "csrf": TOKEN, "lang": "id"})
    old = svc.card_qr(account_id)
    first = client.get("/kartu").text
    assert old.svg() in first
    assert f"<code>{old.url}</code>" in first
    assert client.get("/kartu").text == first  # kept
    assert rendered == ["card.html"]
    # The page's own button: a new link QR, the old one stops opening the profile.
    assert client.post("/kartu/rotasi", data={"csrf_token": TOKEN}).status_code == 303
    new = svc.card_qr(account_id)
    assert new.token != old.token
    for _ in range(2):  # the flash of the rotation, then the page kept again
        page = client.get("/kartu").text
        assert new.svg() in page
        assert f"<code>{new.url}</code>" in page
        assert old.token not in page
        assert old.svg() not in page
    # Rotated through the facade (another tab, the API): the next load shows it too.
    svc.rotate_card(account_id)
    newest = svc.card_qr(account_id)
    page = client.get("/kartu").text
    assert newest.svg() in page
    assert new.token not in page


def test_a_kept_card_page_does_not_draw_the_card_again(
    svc: Siapkerja, galih: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_card(svc, galih)
    drawn: list[str] = []
    to_svg = Card.to_svg
    monkeypatch.setattr(
        Card, "to_svg", lambda self, **k: drawn.append(self.lang) or to_svg(self, **k)
    )
    client = _client(svc)
    signed_in = {"auth": galih, "csrf": TOKEN, "lang": "id"}
    _as(client, signed_in)
    pages = [client.get("/kartu").text for _ in range(3)]
    assert pages[0] == pages[1] == pages[2]
    assert drawn == ["id"]  # drawn for the page rendered, not for the pages kept
    assert "<svg" in pages[0]
    _as(client, {**signed_in, "lang": "en"})
    english = client.get("/kartu").text
    assert drawn == ["id", "en"]  # another language: the card worded in it
    assert english != pages[0]


def test_each_holder_sees_their_own_card(svc: Siapkerja, galih: str) -> None:
    other = people.FAUZI
    fauzi = _holder(
        svc, other.nik, other.full_name, other.mother_name, "fauzi@example.com", "0813-1111-2222"
    )
    cards = {token: svc.card_overview(_with_card(svc, token)) for token in (galih, fauzi)}
    client = _client(svc)
    for _ in range(2):
        for token, mine in cards.items():
            theirs = cards[fauzi if token == galih else galih]
            _as(client, {"auth": token, "csrf": TOKEN, "lang": "id"})
            page = client.get("/kartu").text
            assert mine.card.siapkerja_id in page
            assert mine.link.svg() in page
            assert theirs.card.siapkerja_id not in page
            assert theirs.link.token not in page
            assert theirs.link.svg() not in page
