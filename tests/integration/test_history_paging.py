"""The holder's history, a page at a time: ``/riwayat`` and ``GET /v1/me/access-log``.

A card shown at every gate of a job fair has thousands of ledger entries; each visit
reads and renders one page of them (50 on the page, ``limit`` in the API), newest
first, with an opaque cursor to the older ones. These tests hold both to: 120 entries
shown as 50, 50 and 20 with no entry missed or repeated, the kept page (the cache is
on: production mode) answering each cursor with its own page and a new entry on the
next load, and a cursor the site never made refused with a 400 in the holder's
language, never a 500 and never someone's data.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.api import create_api_app
from siapkerja_adapters.web.security import _SALT, SESSION_COOKIE, _SessionSerializer
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.records import AccessRecord
from siapkerja_core.service import Siapkerja
from support import people

SECRET = "h" * 32
PASSWORD = "kopi tubruk di pal merah"
TOKEN = "Q" * 20 + "-_" + "b2" * 11
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_PURPOSE = re.compile(r"gerbang-(\d{3})")
_OLDER = re.compile(r'<a href="([^"]*\?sebelum=[^"]*)" rel="next">([^<]*)</a>')

# Cursors the site never made: not base64, base64 of no cursor, a time out of range,
# no id, a control character, far too long.
FORGED = [
    "xyz!!",
    base64.urlsafe_b64encode(b"hello").decode(),
    base64.urlsafe_b64encode(b"999999999999999999:abc").decode(),
    base64.urlsafe_b64encode(b"123:").decode(),
    base64.urlsafe_b64encode(b"123:a\x01b").decode(),
    "A" * 500,
    "ÿ",
]


def _holder(svc: Siapkerja) -> tuple[str, str]:
    """A registered holder signed in: (core session token, account id)."""
    registration = svc.register(nik=people.NIK, full_name=people.NAME, mother_name=people.MOTHER)
    svc.submit_contact(
        registration.id, email=people.EMAIL, phone="0812-9999-9999", password=PASSWORD
    )
    code = _CODE.findall(svc.sms.messages[-1].text)[0]
    account = svc.confirm_otp(registration.id, code=code)
    assert account.session is not None
    return account.session.token, account.id


def _scanned(svc: Siapkerja, account_id: str, n: int, *, at: datetime | None = None) -> None:
    svc.storage.log_access(
        AccessRecord(
            id=f"log-{n:04d}",
            account_id=account_id,
            # Pairs share an instant: the page breaks the tie by id, missing none.
            at=at or START + timedelta(minutes=n // 2),
            audience="anonymous",
            fields=("headline",),
            channel="link",
            purpose=f"gerbang-{n:03d}",
        )
    )


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


@pytest.fixture
def holder(svc: Siapkerja) -> tuple[str, str]:
    token, account_id = _holder(svc)
    for n in range(120):
        _scanned(svc, account_id, n)
    return token, account_id


def _page(client: TestClient, url: str) -> tuple[list[int], str | None, str | None]:
    """The entries a page shows (by number, in order), its "older" link and that link's text."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    shown = [int(n) for n in _PURPOSE.findall(answer.text)]
    older = _OLDER.search(answer.text)
    if older is None:
        return shown, None, None
    return shown, html.unescape(older[1]), older[2]


def _browser(svc: Siapkerja, token: str, lang: str = "id") -> TestClient:
    client = TestClient(create_app(svc, secret_key=SECRET), follow_redirects=False)
    session = {"auth": token, "csrf": TOKEN, "lang": lang}
    client.cookies.set(SESSION_COOKIE, _SessionSerializer(SECRET, _SALT).dumps(session))
    return client


@pytest.mark.parametrize(("lang", "older_text"), [("id", "Lebih lama"), ("en", "Older")])
def test_the_page_shows_the_newest_fifty_and_leads_on_to_the_rest(
    svc: Siapkerja, holder: tuple[str, str], lang: str, older_text: str
) -> None:
    client = _browser(svc, holder[0], lang)
    first, older, text = _page(client, "/riwayat")
    assert first == list(range(119, 69, -1))  # the newest 50, newest first
    assert older is not None
    assert older.startswith("/riwayat?sebelum=")
    assert text == older_text
    second, older_2, _ = _page(client, older)
    assert second == list(range(69, 19, -1))
    assert older_2 is not None
    third, older_3, _ = _page(client, older_2)
    assert third == list(range(19, -1, -1))
    assert older_3 is None  # the last page: no link to an empty one
    # Every entry once, across the pages.
    assert sorted(first + second + third) == list(range(120))
    # The kept pages answer each cursor with its own entries, again.
    assert _page(client, older) == (second, older_2, older_text)
    assert _page(client, "/riwayat")[0] == first


def test_a_new_entry_shows_on_the_next_load_of_the_kept_page(
    svc: Siapkerja, holder: tuple[str, str]
) -> None:
    client = _browser(svc, holder[0])
    first, older, _ = _page(client, "/riwayat")
    assert older is not None
    _scanned(svc, holder[1], 120, at=START + timedelta(days=1))
    again, _, _ = _page(client, "/riwayat")
    assert again == [120, *first[:49]]
    # The older page was positioned by its cursor: the new entry moves nothing there.
    assert _page(client, older)[0] == list(range(69, 19, -1))


def test_a_short_ledger_has_no_older_link(svc: Siapkerja) -> None:
    token, account_id = _holder(svc)
    for n in range(50):
        _scanned(svc, account_id, n)
    shown, older, _ = _page(_browser(svc, token), "/riwayat")
    assert shown == list(range(49, -1, -1))
    assert older is None


@pytest.mark.parametrize("cursor", FORGED)
@pytest.mark.parametrize(
    ("lang", "words"), [("id", "Tautan ke entri riwayat"), ("en", "This link to older entries")]
)
def test_a_forged_cursor_is_a_400_page_in_the_holders_language(
    svc: Siapkerja, holder: tuple[str, str], cursor: str, lang: str, words: str
) -> None:
    client = _browser(svc, holder[0], lang)
    answer = client.get("/riwayat", params={"sebelum": cursor})
    assert answer.status_code == 400
    assert words in answer.text
    assert not _PURPOSE.findall(answer.text)  # no entry shown


def _api(svc: Siapkerja) -> TestClient:
    return TestClient(create_api_app(svc), raise_server_exceptions=False)


def test_the_api_gives_the_ledger_a_page_at_a_time(svc: Siapkerja, holder: tuple[str, str]) -> None:
    client = _api(svc)
    auth = {"Authorization": f"Bearer {holder[0]}"}
    first = client.get("/v1/me/access-log", headers=auth)
    assert first.status_code == 200
    body = first.json()
    assert [e["purpose"] for e in body["items"]] == [f"gerbang-{n:03d}" for n in range(119, 19, -1)]
    assert body["next"]  # 100 by default, 20 more

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 50}
        if cursor is not None:
            params["before"] = cursor
        page = client.get("/v1/me/access-log", headers=auth, params=params).json()
        assert len(page["items"]) <= 50
        seen += [e["id"] for e in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [f"log-{n:04d}" for n in range(119, -1, -1)]
    assert len(page["items"]) == 20


@pytest.mark.parametrize("cursor", FORGED[:-2])
def test_the_api_refuses_a_forged_cursor(
    svc: Siapkerja, holder: tuple[str, str], cursor: str
) -> None:
    answer = _api(svc).get(
        "/v1/me/access-log",
        headers={"Authorization": f"Bearer {holder[0]}"},
        params={"before": cursor},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "disclosure.cursor_invalid"
    assert answer.json()["message_en"].startswith("This link to older entries")


@pytest.mark.parametrize("limit", ["0", "501", "x"])
def test_the_api_refuses_a_limit_out_of_range(
    svc: Siapkerja, holder: tuple[str, str], limit: str
) -> None:
    answer = _api(svc).get(
        "/v1/me/access-log",
        headers={"Authorization": f"Bearer {holder[0]}"},
        params={"limit": limit},
    )
    assert answer.status_code in (400, 422), answer.text
