"""The anonymous scan's short route answers exactly as the full stack would.

A phone opening a card's link (``GET /v/<token>``, no cookie, no query string)
is routed to :class:`~siapkerja_adapters.web.fast_scan.AnonymousScanRoute`,
ahead of the session layer. Each test compares it with the full
stack — reached by the same request carrying a session cookie that does not
verify, which the session layer drops, so the visitor is just as anonymous —
at the root, below a base path and mounted in a host application; and checks
that the short path is the one taken, that every scan is still resolved and
logged, and that its failures end as the full stack's do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app, security
from siapkerja_adapters.web.fast_scan import AnonymousScanRoute
from siapkerja_adapters.web.pages.scan import AnonymousScan, PublicPages
from siapkerja_core.disclosure import Audience, ProfileView
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.ports import StorageError
from siapkerja_core.service import Siapkerja
from support import people as galih

NAME = galih.NAME
NIK = galih.NIK
SECRET = "s" * 32
# A cookie of the right name whose signature does not verify: the session layer
# reads it, drops it and goes on with an empty session.
NOT_A_SESSION = {"cookie": "siapkerja_session=not.a.signed.session"}


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


@pytest.fixture
def holder(svc: Siapkerja) -> str:
    """The id of an account with a complete profile and an issued card."""
    account, _ = svc.import_account(
        nik=NIK, full_name=NAME, email="galih@example.com", phone="081299999999"
    )
    svc.update_profile(account.id, **galih.complete_profile())
    svc.issue_card(account.id)
    return account.id


@pytest.fixture
def token(svc: Siapkerja, holder: str) -> str:
    return svc.card_qr(holder).token


@pytest.fixture
def sessions_seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths that went through the session layer."""
    seen: list[str] = []
    through = security.SessionMiddleware.__call__

    async def counting(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await through(self, scope, receive, send)

    monkeypatch.setattr(security.SessionMiddleware, "__call__", counting)
    return seen


def _comparable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("date", "server"))
    return response.status_code, response.content, headers


LAYOUTS = {
    "root": ({}, ""),
    "base path": ({"base_path": "/siapkerja"}, "/siapkerja"),
    "mounted": ({}, "/host"),
}


@pytest.fixture(params=list(LAYOUTS))
def site(request: pytest.FixtureRequest, svc: Siapkerja) -> Iterator[tuple[TestClient, str]]:
    """A client for the app in one layout, and the prefix its scan paths start with."""
    options, prefix = LAYOUTS[request.param]
    app: Any = create_app(svc, secret_key=SECRET, **options)
    if request.param == "mounted":
        app = Starlette(routes=[Mount("/host", app=app)])
    with TestClient(app) as client:
        yield client, prefix


def test_the_short_path_answers_as_the_full_stack(
    svc: Siapkerja,
    holder: str,
    token: str,
    site: tuple[TestClient, str],
    sessions_seen: list[str],
) -> None:
    client, prefix = site
    path = f"{prefix}/v/{token}"
    short = client.get(path)
    assert sessions_seen == []  # answered before the session layer
    full = client.get(path, headers=NOT_A_SESSION)
    assert sessions_seen == [path]
    assert _comparable(short) == _comparable(full)
    assert short.status_code == 200
    assert NAME in short.text
    assert NIK not in short.text
    assert "set-cookie" not in short.headers
    assert short.headers["referrer-policy"] == "no-referrer"
    assert short.headers["content-security-policy"] == security.CONTENT_SECURITY_POLICY
    assert short.headers["cache-control"] == "no-store"
    assert short.headers["x-robots-tag"] == "noindex, nofollow"
    assert short.headers["content-length"] == str(len(short.content))
    assert len(svc.access_log(holder)) == 2  # each scan resolved and logged, once


@pytest.mark.parametrize("kind", ["forged", "revoked", "not a token"])
def test_a_refused_token_gets_the_full_stacks_page(
    svc: Siapkerja,
    holder: str,
    token: str,
    site: tuple[TestClient, str],
    sessions_seen: list[str],
    kind: str,
) -> None:
    client, prefix = site
    if kind == "revoked":
        svc.rotate_card(holder)
    elif kind == "forged":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    else:
        token = "not-a-token"
    path = f"{prefix}/v/{token}"
    short = client.get(path)
    assert sessions_seen == []
    full = client.get(path, headers=NOT_A_SESSION)
    assert short.status_code == full.status_code == (410 if kind == "revoked" else 404)
    # The full stack's page starts a session (its CSRF token); the short one does not.
    assert "set-cookie" not in short.headers
    assert _comparable(short)[:2] == _comparable(full)[:2]
    assert short.headers["referrer-policy"] == "no-referrer"
    assert short.headers["x-robots-tag"] == "noindex, nofollow"
    assert svc.access_log(holder) == []


@pytest.mark.parametrize(
    ("suffix", "headers"),
    [
        ("?lang=en", {}),  # the language is kept in a session
        ("", {"cookie": "siapkerja_session=x; other=1"}),
        ("/", {}),  # not the route's one segment
    ],
)
def test_other_scans_take_the_full_stack(
    token: str, site: tuple[TestClient, str], sessions_seen: list[str], suffix: str, headers: Any
) -> None:
    client, prefix = site
    path = f"{prefix}/v/{token}{suffix}"
    response = client.get(path, headers=headers)
    assert sessions_seen == [path.split("?")[0]]
    if suffix == "?lang=en":
        assert response.status_code == 200
        assert "Public view" in response.text
        assert "set-cookie" in response.headers


def test_a_head_request_takes_the_full_stack(
    token: str, site: tuple[TestClient, str], sessions_seen: list[str]
) -> None:
    client, prefix = site
    response = client.head(f"{prefix}/v/{token}")
    assert sessions_seen == [f"{prefix}/v/{token}"]
    assert response.status_code in (200, 405)


def test_an_unexpected_failure_is_the_last_resort_page(
    svc: Siapkerja, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("a bug, not a refusal")

    monkeypatch.setattr(svc, "resolve", broken)
    with TestClient(create_app(svc, secret_key=SECRET), raise_server_exceptions=False) as client:
        response = client.get(f"/v/{token}")
    assert response.status_code == 500
    assert response.headers["content-security-policy"] == security.CONTENT_SECURITY_POLICY
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "a bug" not in response.text


@pytest.mark.parametrize(
    ("suffix", "unavailable", "invalid"),
    [
        ("", "Layanan sedang tidak tersedia untuk sementara", "QR Code tidak berlaku"),
        ("?lang=en", "The service is temporarily unavailable", "The QR code is not valid"),
    ],
)
def test_a_storage_failure_is_headed_unavailable_not_invalid(
    svc: Siapkerja,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    unavailable: str,
    invalid: str,
) -> None:
    # A gate officer reads the heading: "not valid" would turn away a valid holder.
    def down(*_args: object, **_kwargs: object) -> None:
        raise StorageError("unavailable")

    monkeypatch.setattr(svc, "resolve", down)
    with TestClient(create_app(svc, secret_key=SECRET)) as client:
        response = client.get(f"/v/{token}{suffix}")
    assert response.status_code == 503
    assert "retry-after" in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert f"<title>{unavailable}" in response.text
    assert f"<h1>{unavailable}</h1>" in response.text
    assert invalid not in response.text


def test_a_stored_spoofing_name_and_free_text_render_isolated(
    svc: Siapkerja, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Names refuse bidi overrides now; one stored before (simulated by lifting the
    # check for the import) must not spoof the page, and must not crash it.
    import siapkerja_core.services.registration as registration

    monkeypatch.setattr(registration, "name_refusal", lambda *_args: None)
    account, _ = svc.import_account(
        nik=NIK, full_name="Budi \u202eosotnaS Wijaya", email="b@example.com", phone="081299999999"
    )
    monkeypatch.undo()
    profile = galih.complete_profile()
    profile["biodata"]["headline"] = "Staf \u202eludaG Gudang"  # free text keeps what it holds
    profile["skills"] = ["PHP \u202eLQS"]
    profile["certificates"] = [
        {"name": "JLPT", "issuer": "abc\u202eXYZ", "score": "8\u202e4", "valid_from": "2020-01"}
    ]
    svc.update_profile(account.id, **profile)
    svc.issue_card(account.id)
    with TestClient(create_app(svc, secret_key=SECRET)) as client:
        page = client.get(f"/v/{svc.card_qr(account.id).token}")
    assert page.status_code == 200
    assert '<h1 id="profile-name" dir="auto"><bdi>Budi osotnaS Wijaya</bdi></h1>' in page.text
    assert "<title>Budi osotnaS Wijaya" in page.text
    assert '<p class="headline" dir="auto"><bdi>Staf \u202eludaG Gudang</bdi></p>' in page.text
    assert "<li><bdi>PHP \u202eLQS</bdi></li>" in page.text
    # An issuer and a score share a line with the app's "Skor": each isolated in it.
    assert "<bdi><bdi>abc\u202eXYZ</bdi> • Skor <bdi>8\u202e4</bdi></bdi>" in page.text
    # Every override left on the page is inside a <bdi>, which ends it.
    for piece in page.text.split("\u202e")[1:]:
        assert piece.find("<") == piece.find("</bdi>")


def test_anonymous_scans_are_cached_but_each_is_resolved_and_logged(
    svc: Siapkerja, holder: str, token: str
) -> None:
    with TestClient(create_app(svc, secret_key=SECRET)) as client:
        first = client.get(f"/v/{token}")
        second = client.get(f"/v/{token}")
        assert first.status_code == second.status_code == 200
        assert first.text == second.text
        assert len(svc.access_log(holder)) == 2
        svc.update_profile(holder, biodata={"headline": "Backend Developer"})
        changed = client.get(f"/v/{token}")
        assert "Backend Developer" in changed.text  # a changed profile: a new page
        svc.rotate_card(holder)
        assert client.get(f"/v/{token}").status_code == 410
    assert len(svc.access_log(holder)) == 3


def test_one_handler_answers_every_anonymous_scan(
    token: str, site: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The short route and the scan route behind the session layer call the same handler."""
    client, prefix = site
    handled: list[str] = []
    through = AnonymousScan.__call__

    async def counting(self: Any, scope: Any, receive: Any, send: Any) -> None:
        handled.append(scope["path"])
        await through(self, scope, receive, send)

    monkeypatch.setattr(AnonymousScan, "__call__", counting)
    path = f"{prefix}/v/{token}"
    client.get(path)
    client.get(path, headers=NOT_A_SESSION)
    client.get(f"{path}?lang=en")
    assert handled == [path, path, path]


def test_the_front_layer_answers_the_anonymous_scan_without_the_router(
    token: str, site: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone's scan skips the exception layer and the router: the front layer answers it."""
    client, prefix = site
    routed: list[str] = []
    handle = AnonymousScanRoute.handle

    async def counting(self: Any, scope: Any, receive: Any, send: Any) -> None:
        routed.append(scope["path"])
        await handle(self, scope, receive, send)

    monkeypatch.setattr(AnonymousScanRoute, "handle", counting)
    answer = client.get(f"{prefix}/v/{token}")
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"]  # still stamped by the front layer
    assert answer.headers["x-robots-tag"] == "noindex, nofollow"
    assert routed == []


def test_the_short_route_is_the_first_route(svc: Siapkerja) -> None:
    app = create_app(svc, secret_key=SECRET, base_path="/siapkerja")
    first = app.router.routes[0]
    assert isinstance(first, AnonymousScanRoute)
    assert first.path == "/siapkerja/v/{token}"


def _view(name: str, headline: str = "IT Professional") -> ProfileView:
    return ProfileView(
        siapkerja_id="SK-1",
        full_name=name,
        card_active=True,
        audience=Audience.ANONYMOUS,
        disclosed=("headline",),
        data={"headline": headline},
    )


def test_public_pages_are_kept_per_view_content_not_identity() -> None:
    pages = PublicPages(capacity=2)
    key = ("SK-1", "id", "", "/v/T", b"")
    pages.put(key, _view(NAME), b"page one")
    assert pages.get(key, _view(NAME)) == b"page one"  # an equal view: the same page
    assert pages.get(key, _view(NAME, headline="Backend Developer")) is None  # changed
    assert pages.get(("SK-1", "en", "", "/v/T", b""), _view(NAME)) is None  # other language


def test_public_pages_are_bounded_oldest_dropped_first() -> None:
    pages = PublicPages(capacity=2)
    view = _view(NAME)
    for number in range(3):
        pages.put((f"SK-{number}", "id", "", f"/v/T{number}", b""), view, b"%d" % number)
    assert len(pages) == 2
    assert pages.get(("SK-0", "id", "", "/v/T0", b""), view) is None
    assert pages.get(("SK-2", "id", "", "/v/T2", b""), view) == b"2"
