"""Hostile input against the web binding: each refusal is a clean 4xx, never a 500 or a leak.

Bodies too deep, too big or mislabelled, odd paths below ``/api``, a forged
``Host`` header: each goes through the real ASGI application (Starlette's
``TestClient``), and where the issue is the real server's (chunked bodies,
raw paths, ``Host``) through a real uvicorn server on loopback with raw
sockets. Issue 11, "Hostile input".
"""

from __future__ import annotations

import json
import logging
import re
import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from test_web_api import (
    JSON,
    PASSWORD,
    SECRET_HEADER,
    TestClient,
    bearer,
    build,
    card_holder,
    email_of,
    is_problem,
    last_code,
    phone_of,
    residents,
    sign_up,
)

from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.api import CLEAN_TEXT_PATTERN, create_api_app, openapi_document
from siapkerja_adapters.web.api.bodies import (
    MAX_JSON_DEPTH,
    MAX_JSON_ITEMS,
    MAX_JSON_KEY,
    MAX_JSON_TEXT,
)
from siapkerja_adapters.web.problems import PROBLEM_MEDIA_TYPE
from siapkerja_adapters.web.security import MAX_BODY_BYTES, host_is_trusted, parse_trusted_hosts
from siapkerja_core.nik import InvalidNik, normalize_nik
from siapkerja_core.service import Siapkerja
from support.live_server import LiveServer, live_server, memory_service, serve_memory_site


def nested(depth: int) -> Any:
    """``depth`` levels of lists: ``[[[...]]]``."""
    return json.loads("[" * depth + "]" * depth)


@pytest.fixture
def svc() -> Siapkerja:
    return build()


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[LiveServer, Siapkerja]]:
    with serve_memory_site() as started:
        yield started


def raw_request(server: LiveServer, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (a request with no body) as is; (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return parse_response(data)


def parse_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def get(path: bytes, host: bytes = b"127.0.0.1") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"


# --------------------------------------------------------------------------
# 1. Depth and size limits before structuring
# --------------------------------------------------------------------------


def test_a_profile_nested_400_levels_deep_is_422_not_500(
    client: TestClient, svc: Siapkerja, caplog: pytest.LogCaptureFixture
) -> None:
    member = sign_up(client, svc)
    caplog.set_level(logging.DEBUG)
    for body in (
        {"biodata": {"birth_place": nested(400)}},  # was a RecursionError in cattrs: 500
        {"skills": nested(400)},
        {"work": [json.loads('{"a":' * 400 + "1" + "}" * 400)]},
    ):
        response = client.patch(
            "/v1/me/profile", content=json.dumps(body), headers={**bearer(member.token), **JSON}
        )
        problem = is_problem(response, 422, "request.invalid_body")
        assert f"at most {MAX_JSON_DEPTH} levels" in problem["message_en"]
        assert len(response.content) < 2048
    # Nothing logged as an error, and nothing like the 194 KB traceback of 0.2.
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert sum(len(record.getMessage()) for record in caplog.records) < 10_000


def test_depth_just_inside_the_limit_reaches_the_rules(client: TestClient, svc: Siapkerja) -> None:
    member = sign_up(client, svc)
    # {"biodata": {"birth_place": [[...]]}}: the object, biodata, then the lists.
    body = {"biodata": {"birth_place": nested(MAX_JSON_DEPTH - 2)}}
    response = client.patch("/v1/me/profile", json=body, headers=bearer(member.token))
    is_problem(response, 422, "profile.invalid_field")  # the core's refusal: not a string


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"identifier": "x", "password": "y", "extra": list(range(MAX_JSON_ITEMS + 1))},
         "extra", f"must have at most {MAX_JSON_ITEMS} items"),
        ({"identifier": "x", "password": "y", "k" * (MAX_JSON_KEY + 1): 1},
         "$", f"field name that is too long: at most {MAX_JSON_KEY}"),
        ({"identifier": "x" * (MAX_JSON_TEXT + 1), "password": "y"},
         "identifier", f"must be at most {MAX_JSON_TEXT} characters"),
        ({"identifier": "x", "password": nested(MAX_JSON_DEPTH + 5)},
         "password" + "[0]" * (MAX_JSON_DEPTH - 1), f"at most {MAX_JSON_DEPTH} levels"),
    ],
)  # fmt: skip
def test_every_json_body_has_the_limits_of_shape(
    client: TestClient, body: dict[str, Any], field: str, reason: str
) -> None:
    response = client.post("/v1/sessions", json=body, headers={"Accept-Language": "en"})
    problem = is_problem(response, 422, "request.invalid_body", lang="en")
    assert problem["params"]["field"] == field
    assert reason in problem["message_en"]


def test_a_hostile_body_gets_a_bounded_answer(client: TestClient) -> None:
    """Thousands of bad strings are not thousands of listed errors."""
    body = {"identifier": "x", "password": "y", "extra": ["\u0000"] * MAX_JSON_ITEMS}
    response = client.post("/v1/sessions", json=body)
    problem = is_problem(response, 422, "request.invalid_body")
    assert len(problem["params"]["errors"]) <= 50


@pytest.mark.parametrize(
    "fields",
    [
        {"nik": "1" * 60_000, "full_name": "x" * 60_000, "mother_name": "y"},  # was echoed: 123 KB
        {f"f{i}": "x" for i in range(300)},
        {"a[b][c]" * 100: "x"},
    ],
)
def test_a_hostile_form_gets_a_small_refusal(svc: Siapkerja, fields: dict[str, str]) -> None:
    """Forms are flat: at most 200 fields, none longer than the longest text a page takes."""
    with TestClient(create_app(svc, dev=True), raise_server_exceptions=False) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/daftar").text)
        assert token is not None
        response = browser.post("/daftar", data={**fields, "csrf_token": token[1]})
    if response.history:  # refused at its fields: post/redirect/get, the form shown again
        assert response.history[0].status_code == 303
        assert response.status_code == 200
    else:  # not a form any page has (over 200 fields)
        assert response.status_code == 400
    assert len(response.content) < 16_000
    assert "x" * 101 not in response.text  # at most a field's own length is shown back


# --------------------------------------------------------------------------
# 2. A chunked body over the limit
# --------------------------------------------------------------------------


def send_chunked(server: LiveServer, path: bytes, content_type: bytes, total: int) -> bytes:
    """POST ``total`` bytes as 1 MiB chunks, stopping once the server answers."""
    size = 1 << 20
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type
            + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )  # fmt: skip
        sent = 0
        try:
            while sent < total and not select.select([sock], [], [], 0.2)[0]:
                sock.sendall(b"%x\r\n" % size + b"x" * size + b"\r\n")
                sent += size
            if sent >= total:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):  # it answered and closed meanwhile
            pass
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:  # the server closes on the body it did not read
            pass
    return data


def test_a_chunked_body_over_the_limit_is_413_on_a_real_server(
    site: tuple[LiveServer, Siapkerja], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = site
    caplog.set_level(logging.ERROR)
    data = send_chunked(
        server, b"/api/v1/registrations", b"application/json", MAX_BODY_BYTES + 2**20
    )
    status, headers, body = parse_response(data)
    assert status == 413  # was a 500: the limit's exception escaped the API's route
    assert headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert json.loads(body)["code"] == "request.too_large"
    assert not caplog.records


# --------------------------------------------------------------------------
# 3. Every path under /api answers problem+json
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        b"/api/v1/me%0A",
        b"/api/v1/%0a/x",
        b"/api/v1/%0Ax",
        b"/api/%0D%0A",
        b"/api/v1/registrations/x%0A",
        b"/api/v1/registrations/x%0A/contact",
        b"/api/v1/%FF%FE",
        b"/api/v1/%00",
        b"/api/v1/%2e%2e/%2e%2e/etc/passwd",
        b"/api/v1/scan/%0A",
    ],
)
def test_every_api_path_answers_problem_json(
    site: tuple[LiveServer, Siapkerja], path: bytes
) -> None:
    server, _ = site
    status, headers, body = raw_request(server, get(path))
    # Was the pages' HTML 404 for a newline: the API's own answer, whichever it is
    # (an unknown path, an unknown registration id, a GET where only POST is, a
    # malformed token).
    assert 400 <= status < 500
    assert headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), body[:200]
    assert json.loads(body)["status"] == status


def test_a_final_newline_is_not_the_path_without_it(client: TestClient) -> None:
    """Starlette's ``$`` matched ``/v1/me\\n`` as ``/v1/me``."""
    is_problem(client.get("/v1/me%0A"), 404, "request.not_found")


# --------------------------------------------------------------------------
# 4. Host headers
# --------------------------------------------------------------------------


def test_a_redirect_never_reflects_the_host_header(site: tuple[LiveServer, Siapkerja]) -> None:
    server, _ = site
    for path in (b"/api", b"/kartu/"):
        status, headers, _ = raw_request(server, get(path, host=b"evil.example"))
        assert 300 <= status < 400, path
        assert "evil" not in headers["location"]  # was http://evil.example/api/
        assert headers["location"].startswith("/")
    # A path that would read as a network-path reference keeps one slash.
    status, headers, _ = raw_request(server, get(b"//evil.example/kartu/", host=b"evil.example"))
    if 300 <= status < 400:
        assert not headers["location"].startswith("//")


def test_an_untrusted_host_is_refused_when_trusted_hosts_is_set() -> None:
    def make_app(base_url: str) -> Any:
        return create_app(
            memory_service(base_url), dev=True, trusted_hosts="127.0.0.1, *.kemnaker.go.id"
        )

    with live_server(make_app) as server:
        status, headers, body = raw_request(server, get(b"/api/v1/me", host=b"evil.example"))
        assert status == 400
        assert headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
        assert json.loads(body)["code"] == "request.untrusted_host"
        status, headers, body = raw_request(server, get(b"/kartu/", host=b"evil.example"))
        assert status == 400
        assert headers["content-type"].startswith("text/html")
        assert b"evil" not in body
        for host in (b"127.0.0.1", f"127.0.0.1:{server.port}".encode(), b"skid.kemnaker.go.id"):
            status, _, _ = raw_request(server, get(b"/api/v1/openapi.json", host=host))
            assert status == 200, host


def test_trusted_hosts_from_the_settings() -> None:
    svc = memory_service("http://127.0.0.1")
    with TestClient(create_app(svc, dev=True, trusted_hosts=["siapkerja.example"])) as client:
        assert client.get("/").status_code == 400  # TestClient says Host: testserver
        ok = client.get("/", headers={"Host": "siapkerja.example"})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("host", "trusted"),
    [
        ("siapkerja.example", True),
        ("SIAPKERJA.example:8443", True),
        ("siapkerja.example.", True),
        ("a.kemnaker.go.id", True),
        ("kemnaker.go.id", False),  # *.x is the subdomains, not x itself
        ("evilkemnaker.go.id", False),
        ("siapkerja.example.evil", False),
        ("[::1]:8000", True),
        ("", False),
    ],
)
def test_host_patterns(host: str, trusted: bool) -> None:
    patterns = parse_trusted_hosts("siapkerja.example, *.kemnaker.go.id [::1]")
    assert host_is_trusted(host, patterns) is trusted


# --------------------------------------------------------------------------
# 5. JSON only with a JSON content type
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", "application/jsonp", "text/json"],
)  # fmt: skip
def test_json_sent_as_another_type_is_415(client: TestClient, content_type: str) -> None:
    """A cross-site "simple" request (no CORS preflight) cannot reach an operation."""
    body = json.dumps({"identifier": phone_of(0), "password": PASSWORD}).encode()
    response = client.post("/v1/sessions", content=body, headers={"Content-Type": content_type})
    is_problem(response, 415, "request.unsupported_media_type")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON",
     "application/merge-patch+json"],
)  # fmt: skip
def test_json_media_types_are_accepted(
    client: TestClient, svc: Siapkerja, content_type: str
) -> None:
    sign_up(client, svc)
    body = json.dumps({"identifier": email_of(0), "password": PASSWORD}).encode()
    response = client.post("/v1/sessions", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text


def test_a_body_without_a_type_is_415_and_none_at_all_is_missing(client: TestClient) -> None:
    nik, name, mother = residents(build())[0]
    body = json.dumps({"nik": nik, "full_name": name, "mother_name": mother}).encode()
    is_problem(
        client.post("/v1/registrations", content=body), 415, "request.unsupported_media_type"
    )
    is_problem(client.post("/v1/registrations"), 422, "request.invalid_body")


def test_the_document_declares_415_for_every_body() -> None:
    for item in openapi_document(None)["paths"].values():
        for operation in item.values():
            assert ("415" in operation["responses"]) is ("requestBody" in operation)


# --------------------------------------------------------------------------
# 6. A registration id alone reads and continues nothing
# --------------------------------------------------------------------------


def start(client: TestClient, svc: Siapkerja, n: int = 0) -> tuple[str, dict[str, str]]:
    """Step 1 through the API: (registration id, its secret as a header)."""
    nik, name, mother = residents(svc)[n]
    response = client.post(
        "/v1/registrations", json={"nik": nik, "full_name": name, "mother_name": mother}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["secret"]) >= 32
    return body["id"], {SECRET_HEADER: body["secret"]}


def test_a_registration_id_alone_reads_and_continues_nothing(
    client: TestClient, svc: Siapkerja
) -> None:
    registration_id, secret = start(client, svc, 0)
    other_id, other_secret = start(client, svc, 1)
    _, name, _ = residents(svc)[0]
    base = f"/v1/registrations/{registration_id}"
    contact = {"email": email_of(0), "phone": phone_of(0), "password": PASSWORD}
    refusals = [
        client.get(base),  # was 200 with the name
        client.get(base, headers={SECRET_HEADER: "0" * 64}),
        client.get(base, headers=other_secret),  # another registration's secret
        client.get(base, headers={SECRET_HEADER: secret[SECRET_HEADER].upper()}),
        client.post(base + "/contact", json=contact),
        client.post(base + "/otp/resend"),
        client.post(base + "/phone", json={"phone": phone_of(5)}),
        client.post(base + "/otp/confirm", json={"code": "123456"}),
    ]
    for response in refusals:
        is_problem(response, 401, "registration.secret_required")
        assert name not in response.text
    # No oracle: an unknown id answers exactly as a known one does.
    unknown = client.get("/v1/registrations/" + "f" * 32)
    assert unknown.content == refusals[0].content
    assert svc.registration(registration_id).status.value == "verified"  # nothing moved
    assert not svc.sms.messages  # type: ignore[attr-defined]

    # The one who started it goes on, and after confirming the registration no
    # longer shows the name or the account (the account's own session does).
    assert client.get(base, headers=secret).json()["full_name"] == name
    assert client.post(base + "/contact", json=contact, headers=secret).status_code == 200
    code = last_code(svc)
    confirmed = client.post(base + "/otp/confirm", json={"code": code}, headers=secret)
    assert confirmed.status_code == 201, confirmed.text
    account_id = confirmed.json()["account"]["id"]
    after = client.get(base, headers=secret)
    assert after.status_code == 200
    assert after.json()["status"] == "confirmed"
    assert after.json()["full_name"] is None
    assert after.json()["account_id"] is None
    assert name not in after.text
    assert account_id not in after.text
    is_problem(client.get(base), 401, "registration.secret_required")
    assert client.get(f"/v1/registrations/{other_id}", headers=other_secret).status_code == 200


def test_the_secret_is_not_stored(client: TestClient, svc: Siapkerja) -> None:
    """Derived from the id under the server's pepper: no copy in storage to steal."""
    registration_id, secret = start(client, svc)
    assert secret[SECRET_HEADER] not in repr(svc.storage.dump())  # type: ignore[attr-defined]
    assert registration_id in repr(svc.storage.dump())  # type: ignore[attr-defined]


def test_the_pages_keep_a_registration_in_its_own_session(svc: Siapkerja) -> None:
    """The pages never take a registration id from the request: only the signed cookie."""
    app = create_app(svc, dev=True)
    nik, name, mother = residents(svc)[0]
    with TestClient(app) as first, TestClient(app) as second:
        page = first.get("/daftar").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        started = first.post(
            "/daftar",
            data={"nik": nik, "full_name": name, "mother_name": mother, "csrf_token": token[1]},
        )
        assert started.url.path == "/daftar/kontak"
        for path in ("/daftar/kontak", "/verifikasi", "/verifikasi/ubah-hp"):
            response = second.get(path)
            assert response.url.path == "/daftar", path  # sent back to step 1
            assert name not in response.text


# --------------------------------------------------------------------------
# 8. The document states the real rules (what test_web_schemathesis.py fuzzes)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shape_ok"),
    [
        ("3173071203940042", True),
        ("3173 0712 0394 0042", True),
        ("3173.0712.0394.0042", True),
        ("3173-0712-0394-0042/", True),
        ("31730712", False),
        ("317307120394004x", False),
        ("31730712039400421", False),
        ("", False),
    ],
)
def test_the_documented_nik_pattern_is_the_cores_shape(typed: str, shape_ok: bool) -> None:
    schema = openapi_document(None)["components"]["schemas"]["Register"]["properties"]["nik"]
    matches = re.fullmatch(schema["pattern"], typed) is not None
    assert matches is shape_ok
    try:
        normalize_nik(typed)
    except InvalidNik:
        assert not shape_ok
    else:
        assert shape_ok


def test_every_documented_string_refuses_nul() -> None:
    document = openapi_document(None)
    schemas = document["components"]["schemas"]
    assert schemas["Register"]["properties"]["full_name"]["pattern"] == CLEAN_TEXT_PATTERN
    assert schemas["SubmitContact"]["properties"]["password"]["pattern"] == CLEAN_TEXT_PATTERN
    assert re.fullmatch(CLEAN_TEXT_PATTERN, "Galih Agan Pambayun")
    assert not re.fullmatch(CLEAN_TEXT_PATTERN, "Galih\u0000")
    # Strings with a pattern, a format or fixed values of their own keep them.
    assert schemas["Register"]["properties"]["nik"]["pattern"] != CLEAN_TEXT_PATTERN


def test_an_unknown_qr_mode_is_refused_before_the_cards_state(
    client: TestClient, svc: Siapkerja
) -> None:
    """A schema-violating mode is the request's fault whatever the card's state (was 410)."""
    member = card_holder(client, svc)
    assert client.delete("/v1/me/card", headers=bearer(member.token)).status_code == 200
    response = client.get("/v1/me/card/qr", params={"mode": "banner"}, headers=bearer(member.token))
    is_problem(response, 422, "card.mode")
    response = client.get("/v1/me/card/qr", headers=bearer(member.token))
    is_problem(response, 410, "card.revoked")
