"""``GET /v1/status-lists/cards``: the signed status list over HTTP, as a station fetches it.

The station verifies the list with the JWK Set of ``/v1/station-keys`` only,
and sees a revocation made through the service in the next list it fetches.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from siapkerja_adapters.connect import connect
from siapkerja_adapters.demo import demo_holder
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.api import create_api_app, openapi_document
from siapkerja_core.service import Siapkerja
from siapkerja_core.station import OfflineStation
from siapkerja_core.tokens import Keyring, TokenError
from siapkerja_core.tokens.status_list import STATUS_INVALID, verify_status_list
from support.clock import ManualClock as Clock
from support.gates import open_events

EVENT = "JOBFAIR-2026"


@pytest.fixture
def clock() -> Clock:
    return Clock.from_now()


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    service = connect("memory", environ={}, clock=clock.now, status_list_max_age="600")
    open_events(service, EVENT)  # codes are minted only for an event that exists
    return service


@pytest.fixture
def client(svc: Siapkerja) -> Iterator[TestClient]:
    with TestClient(create_api_app(svc), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_list_is_a_public_cacheable_statuslist_jwt(
    client: TestClient, svc: Siapkerja, clock: Clock
) -> None:
    holder = demo_holder(svc)
    response = client.get("/v1/status-lists/cards")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    assert response.headers["cache-control"] == "public, max-age=300"  # half the ttl
    jwks = client.get("/v1/station-keys").json()
    token = verify_status_list(Keyring.from_jwks(jwks), response.text, clock.now())
    assert token.ttl == 600
    assert token.sub == "http://127.0.0.1:8000/api/v1/status-lists/cards"
    clock.advance(seconds=100)
    again = client.get("/v1/status-lists/cards")
    assert again.text == response.text  # the same signed list, from the cache
    assert again.headers["cache-control"] == "public, max-age=200"
    svc.revoke_card(holder.id)
    revoked = client.get("/v1/status-lists/cards")
    assert revoked.text != response.text  # re-signed at once after the change
    listed = verify_status_list(Keyring.from_jwks(jwks), revoked.text, clock.now())
    with svc.storage.transaction() as tx:
        card = tx.cards.get(holder.id)
    assert card is not None
    assert card.status_index is not None
    assert listed.status_list.status(card.status_index) == STATUS_INVALID


def test_a_station_fed_over_http_refuses_the_revoked_card(
    client: TestClient, svc: Siapkerja, clock: Clock
) -> None:
    holder = demo_holder(svc)
    code = svc.card_qr(holder.id, mode="access", purpose=EVENT).token
    keys = Keyring.from_jwks(client.get("/v1/station-keys").json())
    gate = OfflineStation(keys, EVENT, "GATE-1", clock.now, require_status_list=True)
    with pytest.raises(TokenError) as missing:
        gate.scan(code)
    assert missing.value.code == "status_stale"
    svc.revoke_card(holder.id)
    gate.update_status_list(client.get("/v1/status-lists/cards").text)
    with pytest.raises(TokenError) as info:
        gate.scan(code)
    assert info.value.code == "revoked"


def test_the_operation_is_in_the_openapi_document() -> None:
    operation = openapi_document()["paths"]["/v1/status-lists/cards"]["get"]
    assert operation["operationId"] == "card_status_list"
    assert "application/statuslist+jwt" in operation["responses"]["200"]["content"]


def test_the_whole_web_app_serves_it_under_api(svc: Siapkerja) -> None:
    with TestClient(create_app(svc, dev=True)) as web:
        response = web.get("/api/v1/status-lists/cards")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    assert response.headers["cache-control"].startswith("public, max-age=")
