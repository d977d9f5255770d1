"""The session cookie's serializer reads and writes what itsdangerous' stock one does.

:class:`~siapkerja_adapters.web.security.SessionMiddleware` signs with keys
derived once and leaves a small payload uncompressed: a cookie of the stock
serializer (compressed or not) still loads, its cookies load in the stock one,
another secret or salt is still refused, and a large session is still compressed.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer

from siapkerja_adapters.web.i18n import Translator
from siapkerja_adapters.web.security import _SALT, _SessionSerializer
from support.load import run_on_own_loop

SECRET = "s" * 32
SMALL = {"csrf": "x" * 43, "lang": "id", "token": "t" * 43}
LARGE = {"flash": [["info", {"id": "Profil disimpan. " * 30, "en": "Profile saved. " * 30}]]}


@pytest.mark.parametrize("data", [SMALL, LARGE])
def test_cookies_load_both_ways(data: dict[str, object]) -> None:
    ours = _SessionSerializer(SECRET, _SALT)
    stock = URLSafeTimedSerializer(SECRET, salt=_SALT)
    assert ours.loads(stock.dumps(data)) == data
    assert stock.loads(ours.dumps(data)) == data
    assert ours.loads(ours.dumps(data)) == data
    assert ours.dumps(data).startswith(".") is (data is LARGE)  # only the large one compressed


def test_another_secret_or_salt_is_refused() -> None:
    ours = _SessionSerializer(SECRET, _SALT)
    for other in (
        URLSafeTimedSerializer("z" * 32, salt=_SALT),
        URLSafeTimedSerializer(SECRET, salt="another"),
    ):
        with pytest.raises(BadSignature):
            ours.loads(other.dumps(SMALL))
    signed = ours.dumps(SMALL)
    with pytest.raises(BadSignature):
        ours.loads(signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"))


def test_texts_are_the_same_looked_up_again() -> None:
    for lang in ("id", "en"):
        first, second = Translator(lang), Translator(lang)
        assert first("register.help") == second("register.help")
        assert first("register.step", n=2) == second("register.step", n=2)
        with pytest.raises(KeyError):
            second("no.such.key")
    assert Translator("id")("register.help") != Translator("en")("register.help")


def test_the_keyed_signer_is_the_one_signing() -> None:
    """The serializer's own signer is the keyed one (a ``signer`` class attribute was
    shadowed by the stock ``TimestampSigner`` the serializer sets up), and its one-shot
    HMAC signs as the stock signer does."""
    from itsdangerous import TimestampSigner

    from siapkerja_adapters.web.security import _KeyedSigner, _OneShotSha1

    ours = _SessionSerializer(SECRET, _SALT)
    signer = ours.make_signer()
    assert isinstance(signer, _KeyedSigner)
    assert isinstance(signer.algorithm, _OneShotSha1)
    stock = TimestampSigner(SECRET, salt=_SALT)
    assert signer.get_signature(b"value") == stock.get_signature(b"value")


def test_a_verified_cookie_is_read_from_memory_but_only_as_it_was_signed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """:meth:`SessionMiddleware._load` keeps cookies it verified: the same value loads
    without a second signature check, as a fresh copy (a page's changes to its session
    never reach the next request's); an altered value is checked (and refused); a kept
    one past its age is not used."""
    from siapkerja_adapters.web import security

    middleware = security.SessionMiddleware(lambda *_: None, secret_key=SECRET, max_age=60)
    checks = 0
    loads = middleware.serializer.loads

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal checks
        checks += 1
        return loads(*args, **kwargs)

    monkeypatch.setattr(middleware.serializer, "loads", counted)
    cookie = middleware.serializer.dumps(SMALL)
    first, signed_at, text = middleware._load(cookie)
    assert first == SMALL
    assert checks == 1
    first["token"] = "changed by a page"
    second, again_at, again_text = middleware._load(cookie)
    assert second == SMALL  # a fresh copy of what was signed
    assert (again_at, again_text) == (signed_at, text)
    assert checks == 1  # from memory
    altered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    assert middleware._load(altered)[0] == {}
    assert checks == 2
    assert signed_at is not None
    now = signed_at + 61  # past max_age: the kept entry is not used, and the cookie refused
    monkeypatch.setattr(security.time, "time", lambda: now)
    assert middleware._load(cookie)[0] == {}
    assert checks == 3


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"csrf": "A-_z" * 11},
        SMALL,
        {"lang": "id", "note": "Selamat datang — ünï ☃", "n": 1, "f": 1.5, "l": [True, None]},
        {"pad": "x" * 490},  # about the compression threshold
        LARGE,
    ],
)
def test_a_session_is_signed_byte_for_byte_as_the_stock_serializer_signs_it(
    data: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-function signing of :meth:`_SessionSerializer.dumps` writes the very text
    itsdangerous' own path writes (JSON, base64, timestamp, HMAC-SHA1 under the same
    derived key), in the same second and in the next one (the timestamp's base64 is
    kept for a second only)."""
    import time

    from itsdangerous import TimestampSigner

    ours = _SessionSerializer(SECRET, _SALT)
    stock = TimestampSigner(SECRET, salt=_SALT)  # itsdangerous' own signer, stock throughout
    for now in (1_800_000_000.2, 1_800_000_000.9, 1_800_000_001.1, 1_900_000_000.0):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        assert ours.dumps(data) == stock.sign(ours.dump_payload(data)).decode("utf-8")
        assert ours.dumps(data) == super(_SessionSerializer, ours).dumps(data)
        assert URLSafeTimedSerializer(SECRET, salt=_SALT).loads(ours.dumps(data)) == data
    # Another salt goes the stock way, and is not valid as a session.
    other = ours.dumps(SMALL, salt="another")
    assert URLSafeTimedSerializer(SECRET, salt="another").loads(other) == SMALL
    with pytest.raises(BadSignature):
        ours.loads(other)


def test_a_first_visit_gets_a_signed_session_with_its_own_token_and_the_same_flags() -> None:
    """A fresh visitor (no cookie) of the sign-in page gets one ``Set-Cookie``: the
    session signed as itsdangerous reads it, holding the CSRF token the page shows,
    ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, the session's lifetime, and ``Secure``
    over https only; two visitors never share a token, and a session is not signed
    again while it does not change."""
    import re

    from starlette.testclient import TestClient

    from siapkerja_adapters import connect
    from siapkerja_adapters.web import create_app
    from siapkerja_adapters.web.security import SESSION_COOKIE
    from siapkerja_core.passwords import PasswordHasher

    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    app = create_app(svc, secret_key=SECRET)
    lifetime = int(svc.policy.session_ttl.total_seconds())
    stock = URLSafeTimedSerializer(SECRET, salt=_SALT)
    tokens = set()
    for base in ("http://testserver", "https://testserver", "http://testserver"):
        client = TestClient(app, base_url=base, follow_redirects=False)
        page = client.get("/")
        assert page.status_code == 200
        set_cookies = page.headers.get_list("set-cookie")
        assert len(set_cookies) == 1
        name_value, *flags = [part.strip() for part in set_cookies[0].split(";")]
        name, value = name_value.split("=", 1)
        assert name == SESSION_COOKIE
        expected = ["Path=/", f"Max-Age={lifetime}", "HttpOnly", "SameSite=Lax"]
        assert flags == expected + (["Secure"] if base.startswith("https") else [])
        shown = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert shown is not None
        assert stock.loads(value) == {"csrf": shown[1]}
        tokens.add(shown[1])
        again = client.get("/")  # the same session, unchanged: no new cookie
        assert "set-cookie" not in again.headers
        assert shown[1] in again.text
    assert len(tokens) == 3


@pytest.mark.parametrize(
    ("session", "change", "signed_again"),
    [
        ({"csrf": "c" * 43, "lang": "id", "auth_at": 1}, lambda s: None, False),
        ({"csrf": "c" * 43, "lang": "id", "auth_at": 1}, lambda s: s.update(lang="en"), True),
        ({"csrf": "c" * 43, "auth_at": 1}, lambda s: s.update(auth_at=True), True),  # 1 == True
        ({"csrf": "c" * 43, "auth_at": 1}, lambda s: s.update(auth_at=1.0), True),
        ({"csrf": "c" * 43, "lang": "id"}, lambda s: s.pop("lang"), True),
        ({"csrf": "c" * 43, "lang": "id"}, lambda s: s.update(lang=None), True),
        ({"csrf": "c" * 43}, lambda s: s.update(flash=[]), True),
        ({"csrf": "c" * 43, "flash": [["ok", {"id": "a"}]]}, lambda s: None, False),
        ({"csrf": "c" * 43, "flash": [["ok", {"id": "a"}]]}, lambda s: s["flash"].pop(), True),
        ({"csrf": "c" * 43, "f": 0.5}, lambda s: s.update(f=0.5), False),
        ({"csrf": "c" * 43, "f": 0.5}, lambda s: s.update(f=1), True),
    ],
)
def test_a_session_is_signed_again_exactly_when_its_json_changes(
    session: dict[str, Any], change: Any, signed_again: bool
) -> None:
    """A session loaded from a cookie is signed again at the answer when, and only when,
    the page changed what its JSON says — a value, a key, a type (``1`` → ``True``), a
    nested list changed in place — whether it was loaded from the cookie or from memory
    (a cookie verified before), with a flat session compared without its JSON."""
    from siapkerja_adapters.web import security

    async def page(scope: Any, receive: Any, send: Any) -> None:
        change(scope["session"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = security.SessionMiddleware(page, secret_key=SECRET, max_age=600)
    cookie = middleware.serializer.dumps(session)
    for _ in range(2):  # verified, then from memory
        sent: list[Any] = []

        async def send(message: Any, sent: list[Any] = sent) -> None:
            sent.append(message)

        scope = {"type": "http", "headers": [(b"cookie", f"siapkerja_session={cookie}".encode())]}
        run_on_own_loop(lambda scope=scope, send=send: middleware(scope, None, send))
        headers = dict(sent[0]["headers"])
        assert (b"set-cookie" in headers) is signed_again
        if signed_again:
            value = headers[b"set-cookie"].decode().split(";")[0].split("=", 1)[1]
            expected = copy.deepcopy(session)
            change(expected)
            assert URLSafeTimedSerializer(SECRET, salt=_SALT).loads(value) == expected
