"""Event entry through the JSON API (the ASGI app behind Starlette's TestClient).

Issue 12's "Done when", over HTTP: a self-check-in without a gate's
credential is refused; a code minted for one event is refused at every
other; the gate shows the server-held photo for a relayed code. And the
organiser's operations, the signed gate, the live counts, the offline sync.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters.connect import connect
from siapkerja_adapters.demo import FAUZI, GALIH, demo_holder
from siapkerja_adapters.web.api import create_api_app
from siapkerja_core.gates import StationKeyPair, StationRequest
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.service import Siapkerja
from siapkerja_core.station import OfflineStation

FAIR = "JOBFAIR-JKT-2026"


@pytest.fixture
def svc() -> Siapkerja:
    return connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc), base_url="http://testserver") as client:
        yield client


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


class Organiser:
    def __init__(self, svc: Siapkerja, client: TestClient, name: str = "Disnaker DKI") -> None:
        self.verifier, key = svc.register_verifier(name, ["disnaker"])
        self.headers = {"X-Verifier-Key": key}
        self.client = client

    def create(self, event_id: str = FAIR, **changes: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = {
            "id": event_id,
            "name": "Job Fair Jakarta 2026",
            "kind": "job_fair",
            "venue": "JIExpo Kemayoran",
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(hours=8)).isoformat(),
            "region_code": "31",
            **changes,
        }
        response = self.client.post("/v1/events", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def gate(self, event_id: str = FAIR, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/v1/events/{event_id}/stations",
            json={"name": "Pintu A", **body},
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


def holder_code(svc: Siapkerja, client: TestClient, person: Any, purpose: str) -> str:
    account = demo_holder(svc, person)
    session = client.post(
        "/v1/sessions", json={"identifier": person.nik, "password": person.password}
    ).json()["session"]["token"]
    response = client.get(
        "/v1/me/card/qr",
        params={"mode": "access", "purpose": purpose},
        headers={"Authorization": f"Bearer {session}"},
    )
    assert response.status_code == 200, response.text
    assert account.id
    return response.json()["token"]  # type: ignore[no-any-return]


def test_a_self_check_in_without_a_gate_credential_is_refused(
    svc: Siapkerja, client: TestClient
) -> None:
    organiser = Organiser(svc, client)
    organiser.create()
    key = organiser.gate()["api_key"]
    account = demo_holder(svc, GALIH)
    session = svc.login(GALIH.nik, GALIH.password).session
    assert session is not None
    own = {"Authorization": f"Bearer {session.token}"}
    token = holder_code(svc, client, GALIH, FAIR)
    for path, body in (
        ("/v1/check-ins", {"token": token, "event_id": FAIR}),
        (f"/v1/events/{FAIR}/admissions", {"token": token}),
    ):
        problem(client.post(path, json=body), 401, "gate.station_credential_required")
        problem(client.post(path, json=body, headers=own), 401, "gate.station_credential_required")
        problem(
            client.post(path, json=body, headers={"X-Station-Key": "sks_" + "0" * 48}),
            401,
            "gate.unknown_station",
        )
        # A holder's session is no gate, nor is the organiser's verifier key.
        problem(
            client.post(path, json=body, headers=organiser.headers),
            401,
            "gate.station_credential_required",
        )
    assert svc.events.counts(FAIR).inside == 0
    assert svc.access_log(account.id) == []
    admitted = client.post(
        f"/v1/events/{FAIR}/admissions", json={"token": token}, headers={"X-Station-Key": key}
    )
    assert admitted.status_code == 201, admitted.text


def test_a_code_minted_for_one_event_is_refused_at_every_other(
    svc: Siapkerja, client: TestClient
) -> None:
    organiser = Organiser(svc, client)
    other_organiser = Organiser(svc, client, "LPK Maju")
    organiser.create()
    organiser.create("PELATIHAN-BEKASI", kind="training_opening")
    other_organiser.create("TALENT-FEST", kind="talent_festival")
    keys = {
        FAIR: organiser.gate()["api_key"],
        "PELATIHAN-BEKASI": organiser.gate("PELATIHAN-BEKASI")["api_key"],
        "TALENT-FEST": other_organiser.gate("TALENT-FEST")["api_key"],
    }
    problem(
        client.get(
            "/v1/me/card/qr",
            params={"mode": "access", "purpose": "PRAKERJA-GEL-70"},
            headers={"Authorization": "Bearer x"},
        ),
        401,
        "login.session_invalid",
    )
    token = holder_code(svc, client, GALIH, FAIR)
    for event_id in ("PELATIHAN-BEKASI", "TALENT-FEST"):
        for gate_event, key in keys.items():
            response = client.post(
                f"/v1/events/{event_id}/admissions",
                json={"token": token},
                headers={"X-Station-Key": key},
            )
            if gate_event == event_id:  # the event's own gate: the code is the wrong one
                problem(response, 422, "gate.wrong_event")
            else:  # a gate of another event: the gate is wrong, whatever the code
                body = problem(response, 403, "gate.station_not_for_event")
                assert "pos pemeriksaan ini tidak terdaftar" in body["detail"].lower()
    for event_id in keys:
        assert svc.events.counts(event_id).inside == 0
    fine = client.post(
        f"/v1/events/{FAIR}/admissions",
        json={"token": token},
        headers={"X-Station-Key": keys[FAIR]},
    )
    assert fine.status_code == 201


def test_a_gate_of_another_event_is_blamed_not_the_holders_code(
    svc: Siapkerja, client: TestClient
) -> None:
    organiser = Organiser(svc, client)
    organiser.create()
    organiser.create("PEMBUKAAN-BLK", kind="training_opening")
    other_gate = organiser.gate("PEMBUKAAN-BLK")["api_key"]
    token = holder_code(svc, client, GALIH, FAIR)  # the right code for FAIR
    response = client.post(
        f"/v1/events/{FAIR}/admissions",
        json={"token": token},
        headers={"X-Station-Key": other_gate, "Accept-Language": "en"},
    )
    body = problem(response, 403, "gate.station_not_for_event")
    assert "gate is not registered for this event" in body["detail"]
    assert "holder" not in body["detail"]
    assert svc.events.counts(FAIR).inside == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/v1/events/{FAIR}"),
        ("POST", "/v1/events"),
        ("GET", "/v1/classes"),
        ("GET", "/v1/programmes/x/enrolments"),
        ("GET", "/v1/aki/applications"),
        ("POST", "/v1/consent-requests"),
        ("GET", "/v1/admin/verifiers"),
    ],
)
def test_an_institution_operation_without_its_key_names_the_header(
    client: TestClient, method: str, path: str
) -> None:
    for lang in ("id", "en"):
        response = client.request(method, path, json={}, headers={"Accept-Language": lang})
        body = problem(response, 401, "request.verifier_key_required")
        assert "X-Verifier-Key" in body["detail"]
        assert "Bearer" not in body["detail"]
        assert response.headers["www-authenticate"].startswith("X-Verifier-Key")


def test_the_holder_cannot_mint_for_an_event_that_does_not_exist(
    svc: Siapkerja, client: TestClient
) -> None:
    demo_holder(svc, GALIH)
    session = client.post(
        "/v1/sessions", json={"identifier": GALIH.nik, "password": GALIH.password}
    ).json()["session"]["token"]
    response = client.get(
        "/v1/me/card/qr",
        params={"mode": "access", "purpose": "PRAKERJA-GEL-70"},
        headers={"Authorization": f"Bearer {session}"},
    )
    problem(response, 422, "card.unknown_purpose")
    organiser = Organiser(svc, client)
    organiser.create(capacity=100)
    listed = client.get("/v1/events")
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == FAIR
    assert "capacity" not in item  # public fields only
    assert "organiser_id" not in item


def test_the_gate_shows_the_server_held_photo_for_a_relayed_code(
    svc: Siapkerja, client: TestClient
) -> None:
    organiser = Organiser(svc, client)
    organiser.create()
    key = organiser.gate()["api_key"]
    galih = demo_holder(svc, GALIH)
    relayed = holder_code(svc, client, GALIH, FAIR)  # photographed and shown by someone else
    preview = client.post(
        f"/v1/events/{FAIR}/admissions",
        json={"token": relayed, "preview": True},
        headers={"X-Station-Key": key},
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    photo = svc.profile(galih.id).photo
    assert photo is not None
    assert body["photo"] == {
        "media_type": photo.media_type,
        "data": base64.b64encode(photo.content).decode("ascii"),
    }
    assert body["masked_name"] == "H. Galih A. P."
    assert body["recorded"] is False
    assert GALIH.full_name not in preview.text
    card = svc.card(galih.id)
    assert card.siapkerja_id not in preview.text
    # The face does not match: the operator lets no one in, and Galih's entry is intact.
    assert svc.events.counts(FAIR).inside == 0
    own = holder_code(svc, client, GALIH, FAIR)
    assert (
        client.post(
            f"/v1/events/{FAIR}/admissions", json={"token": own}, headers={"X-Station-Key": key}
        ).status_code
        == 201
    )


def test_a_signed_gate_over_http(svc: Siapkerja, client: TestClient) -> None:
    organiser = Organiser(svc, client)
    organiser.create(capacity=1)
    keys = StationKeyPair.generate()
    made = organiser.gate(station_id="pintu-b", public_key=keys.public_key)
    assert made["api_key"] is None
    assert made["station"]["credential"] == "ed25519"
    token = holder_code(svc, client, GALIH, FAIR)
    stamp = int(time.time())
    signature = keys.sign_request(StationRequest(FAIR, "pintu-b", stamp, token))
    headers = {
        "X-Station-Id": "pintu-b",
        "X-Station-Signature": signature,
        "X-Station-Timestamp": str(stamp),
    }
    bad = {**headers, "X-Station-Timestamp": str(stamp + 1)}
    problem(
        client.post(f"/v1/events/{FAIR}/admissions", json={"token": token}, headers=bad),
        401,
        "gate.bad_station_signature",
    )
    first = client.post(f"/v1/events/{FAIR}/admissions", json={"token": token}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["check_in"]["station_id"] == "pintu-b"
    problem(
        client.post(f"/v1/events/{FAIR}/admissions", json={"token": token}, headers=headers),
        401,
        "gate.replayed_request",
    )
    # The legacy path takes the same signature (event in the body).
    other = holder_code(svc, client, FAUZI, FAIR)
    stamp = int(time.time())
    signature = keys.sign_request(StationRequest(FAIR, "pintu-b", stamp, other))
    full = client.post(
        "/v1/check-ins",
        json={"token": other, "event_id": FAIR},
        headers={**headers, "X-Station-Signature": signature, "X-Station-Timestamp": str(stamp)},
    )
    body = problem(full, 409, "gate.full")
    assert body["params"]["capacity"] == 1


def test_the_organiser_manages_events_gates_and_reads_counts(
    svc: Siapkerja, client: TestClient
) -> None:
    organiser = Organiser(svc, client)
    stranger = Organiser(svc, client, "Karirhub")
    created = organiser.create(capacity=10)
    assert created["status"] == "scheduled"
    assert created["organiser_id"] == organiser.verifier.id
    problem(
        client.post(
            "/v1/events",
            json={
                "id": FAIR,
                "name": "x",
                "kind": "job_fair",
                "venue": "x",
                "opens_at": created["opens_at"],
                "closes_at": created["closes_at"],
            },
            headers=organiser.headers,
        ),
        409,
        "gate.event_exists",
    )
    problem(client.post("/v1/events", json={}), 401, "request.verifier_key_required")
    gate = organiser.gate(station_id="pintu-a")
    key = gate["api_key"]
    assert key.startswith("sks_")
    listed = client.get(f"/v1/events/{FAIR}/stations", headers=organiser.headers).json()
    assert [s["id"] for s in listed["items"]] == ["pintu-a"]
    assert "key_hash" not in str(listed)
    assert key not in str(listed)
    for path in (f"/v1/events/{FAIR}", f"/v1/events/{FAIR}/counts", f"/v1/events/{FAIR}/stations"):
        problem(client.get(path, headers=stranger.headers), 403, "gate.not_organiser")
    mine = client.get("/v1/organiser/events", headers=organiser.headers).json()["items"]
    assert [e["id"] for e in mine] == [FAIR]
    token = holder_code(svc, client, GALIH, FAIR)
    client.post(
        f"/v1/events/{FAIR}/admissions", json={"token": token}, headers={"X-Station-Key": key}
    )
    counts = client.get(f"/v1/events/{FAIR}/counts", headers=organiser.headers).json()
    assert counts == {
        "event_id": FAIR,
        "inside": 1,
        "capacity": 10,
        "remaining": 9,
        "per_station": {"pintu-a": 1},
        "double_entries": [],
    }
    check_ins = client.get(f"/v1/events/{FAIR}/check-ins", headers=organiser.headers).json()
    assert [c["station_id"] for c in check_ins["items"]] == ["pintu-a"]
    retired = client.post(
        f"/v1/events/{FAIR}/stations/pintu-a/retire", headers=organiser.headers
    ).json()
    assert retired["status"] == "retired"
    other = holder_code(svc, client, FAUZI, FAIR)
    problem(
        client.post(
            f"/v1/events/{FAIR}/admissions", json={"token": other}, headers={"X-Station-Key": key}
        ),
        401,
        "gate.station_retired",
    )
    cancelled = client.post(f"/v1/events/{FAIR}/cancel", headers=organiser.headers).json()
    assert cancelled["status"] == "cancelled"
    assert client.get("/v1/events").json()["items"] == []


def test_an_offline_gate_syncs_its_signed_export(svc: Siapkerja, client: TestClient) -> None:
    organiser = Organiser(svc, client)
    organiser.create()
    online = organiser.gate(station_id="pintu-a")["api_key"]
    keys = StationKeyPair.generate()
    organiser.gate(station_id="pintu-c", public_key=keys.public_key)
    gate = OfflineStation(svc.station_keyring(), FAIR, "pintu-c", svc.now, signing_key=keys)
    gate.scan(holder_code(svc, client, GALIH, FAIR))
    client.post(
        f"/v1/events/{FAIR}/admissions",
        json={"token": holder_code(svc, client, GALIH, FAIR)},
        headers={"X-Station-Key": online},
    )
    signed = gate.signed_export()
    body = {"station_id": "pintu-c", "signature": signed.signature, "check_ins": signed.body}
    tampered = {**body, "check_ins": signed.body.replace("pintu-c", "pintu-x")}
    problem(
        client.post(f"/v1/events/{FAIR}/sync", json=tampered), 401, "gate.bad_station_signature"
    )
    problem(
        client.post(f"/v1/events/{FAIR}/sync", json={**body, "signature": ""}),
        401,
        "gate.bad_station_signature",
    )
    report = client.post(f"/v1/events/{FAIR}/sync", json=body)
    assert report.status_code == 200, report.text
    data = report.json()
    assert (data["received"], data["added"]) == (1, 1)  # earlier than the online entry
    (double,) = data["double_entries"]
    assert (double["first_station_id"], double["station_id"]) == ("pintu-c", "pintu-a")
    counts = client.get(f"/v1/events/{FAIR}/counts", headers=organiser.headers).json()
    assert counts["inside"] == 1
    assert len(counts["double_entries"]) == 1
    gate.mark_synced(data["synced_ids"])
    assert gate.pending() == ()
