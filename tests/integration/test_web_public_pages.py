"""Anonymous pages rendered once: every visitor gets the same bytes but their own CSRF token.

The sign-in page and the registration's first step are rendered once per
language, address and query (:meth:`~siapkerja_adapters.web.pages.site.Site.render_public`)
with a placeholder where the CSRF token goes, and each visitor gets their own
token in its place. These tests hold it to what a fresh render sends: the same
bytes and headers (a session holding anything else renders afresh, so both are
compared in one app), a token per visitor that only that visitor's session
accepts, the placeholder never sent and never taken from input, and a flash
message or a kept form still shown.
"""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.pages import site as site_module
from siapkerja_adapters.web.security import _SALT, SESSION_COOKIE, _SessionSerializer
from siapkerja_core.passwords import PasswordHasher

SECRET = "p" * 32
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
PATHS = [
    "/",
    "/?lang=en",
    "/daftar",
    "/daftar?lang=en",
    "/?next=/oauth2/authorize%3Fclient_id%3Dhub%26state%3D%3Cb%3E",
    "/?next=https://evil.example/",
]


@pytest.fixture
def client() -> TestClient:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    return TestClient(create_app(svc, secret_key=SECRET), follow_redirects=False)


def _cookie(session: dict[str, object]) -> str:
    return _SessionSerializer(SECRET, _SALT).dumps(session)


def _token_of(text: str) -> str:
    found = _TOKEN.search(text)
    assert found is not None
    return found[1]


def _counting_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages rendered by ``Site.render`` (afresh, not kept)."""
    rendered: list[str] = []
    full = site_module.Site.render
    monkeypatch.setattr(
        site_module.Site,
        "render",
        lambda self, *a, **k: rendered.append(a[1]) or full(self, *a, **k),
    )
    return rendered


@pytest.mark.parametrize("path", PATHS)
def test_a_cached_page_is_the_page_rendered_afresh(
    client: TestClient, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = _counting_renders(monkeypatch)
    token = "T" * 20 + "-_" + "a1" * 11  # the alphabet of secrets.token_urlsafe
    lang = "en" if "lang=en" in path else "id"
    cached = {"csrf": token, "lang": lang}
    # A key the cache does not serve over: the same page through Site.render.
    fresh = {"csrf": token, "lang": lang, "not_public": 1}
    answers = []
    for session in (cached, cached, fresh):  # a miss, a hit, a fresh render
        client.cookies.set(SESSION_COOKIE, _cookie(session))
        answer = client.get(path)
        assert answer.status_code == 200
        answers.append(answer)
    first, hit, reference = answers
    assert first.content == hit.content == reference.content
    assert len(rendered) == 1  # the first two through the cache, the third afresh
    assert _token_of(first.text) == token
    for header in ("content-type", "content-length", "cache-control", "content-security-policy"):
        assert first.headers.get(header) == reference.headers.get(header)
    assert site_module._HOLE not in first.text


def test_each_visitor_gets_a_token_only_their_session_accepts() -> None:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    app = create_app(svc, secret_key=SECRET)
    alice, bob = TestClient(app, follow_redirects=False), TestClient(app, follow_redirects=False)
    tokens = {}
    for name, visitor in (("alice", alice), ("bob", bob)):
        for path in ("/", "/daftar"):
            page = visitor.get(path)
            assert page.status_code == 200
            tokens.setdefault(name, set()).add(_token_of(page.text))
        assert len(tokens[name]) == 1  # one session, one token on both pages
    assert tokens["alice"] != tokens["bob"]
    form = {"identifier": "nobody@example.com", "password": "x"}
    # Bob's token in Alice's session: refused as a forgery (403), not taken as a sign-in.
    refused = alice.post("/", data={**form, "csrf_token": next(iter(tokens["bob"]))})
    assert refused.status_code in (303, 403)
    if refused.status_code == 303:  # a stale token keeps the form and goes back to its page
        assert "login.failed" not in alice.get("/").text
    accepted = alice.post("/", data={**form, "csrf_token": next(iter(tokens["alice"]))})
    assert accepted.status_code == 303
    again = alice.get("/")
    assert 'class="error-summary"' in again.text  # the refusal, shown from the kept form
    assert _token_of(again.text) == next(iter(tokens["alice"]))


def test_the_placeholder_is_never_taken_from_input(client: TestClient) -> None:
    hole = site_module._HOLE
    client.get("/")  # a cached page exists
    page = client.get(f"/?next=/{hole}")
    assert page.status_code == 200
    token = _token_of(page.text)
    assert token != hole
    # The address came back as the page's own values, as any other text would.
    other = "z" * len(hole)
    same = client.get(f"/?next=/{other}")
    assert page.text.replace(hole, other) == same.text
    assert client.get("/").text.count(hole) == 0


def test_a_flash_message_is_still_shown(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, _cookie({"flash": [["success", {"id": "Halo dunia"}]]}))
    page = client.get("/")
    assert "Halo dunia" in page.text
    assert "Halo dunia" not in client.get("/").text  # shown once


def test_one_visitors_host_is_never_kept_for_another(tmp_path) -> None:
    # A deployer's template building an absolute address from the request (its
    # Host header): the page kept for one Host must not be served to another.
    (tmp_path / "base.html").write_text(
        '{% extends "siapkerja/base.html" %}{% block head %}'
        "<link rel=\"stylesheet\" href=\"{{ url_for('static', path='portal.css') }}\">"
        "{% endblock %}",
        encoding="utf-8",
    )
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    app = create_app(svc, secret_key=SECRET, templates_dir=[tmp_path])
    seeded = TestClient(app, follow_redirects=False).get("/", headers={"host": "evil.example"})
    assert "http://evil.example/static/portal.css" in seeded.text
    page = TestClient(app, follow_redirects=False).get("/")
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert "http://testserver/static/portal.css" in page.text


def test_a_long_query_is_rendered_afresh_not_kept(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = _counting_renders(monkeypatch)
    long = "/?x=" + "a" * (site_module._MAX_KEPT_QUERY + 1)
    for _ in range(2):
        assert client.get(long).status_code == 200
    assert len(rendered) == 2  # never kept: a kept page holds its query
    for _ in range(2):
        assert client.get("/?x=short").status_code == 200
    assert len(rendered) == 2  # a short one goes through the kept pages
