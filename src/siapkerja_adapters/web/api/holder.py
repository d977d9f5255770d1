"""The JSON API's operations of the signed-in holder and of scanning (``/v1/me/...``, ``/v1/scan``).

This module owns the holder's account, profile, completeness, card, QR
codes, consents and access ledger, and what a scanner does: open a link QR
(as a stranger, an account or a registered verifier) and check an access code
in. Each operation is one facade call in a worker thread.
"""

from __future__ import annotations

from typing import Annotated, Final

import attrs
from fastapi import APIRouter, Body, Path, Query, Request, Security
from starlette.responses import Response

from siapkerja_core.disclosure import Verifier
from siapkerja_core.errors import CardError
from siapkerja_core.profile import SECTIONS, ProfileError
from siapkerja_core.records import MAX_LEDGER_PAGE, LedgerCursor
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account as CoreAccount

from ..threads import WorkerThreads
from . import bodies as b
from . import models as m
from .common import (
    BEARER,
    PUBLIC_HEADERS,
    VERIFIER_KEY,
    ConsentId,
    Holder,
    JwkSetResponse,
    Purpose,
    bearer_token,
    json_response,
)
from .events import STATION_SECURITY, GateCredential, GateReceipt
from .problem_shape import problem_responses
from .profile import Profile, ProfilePatchBody, profile_json

__all__ = ["add_holder"]

ACCESS_LOG_LIMIT: Final = 100
"""How many ledger entries ``GET /v1/me/access-log`` gives when asked for no ``limit``."""


def add_holder(
    router: APIRouter, svc: Siapkerja, pool: WorkerThreads, scan_pool: WorkerThreads | None = None
) -> None:
    """Add the holder's and the scanners' operations to ``router``.

    Scans run in ``scan_pool`` (default ``pool``): ``create_app`` gives them the
    pool its scan pages use, a bulkhead against journey calls hanging on an
    outside service.
    """
    scans = scan_pool if scan_pool is not None else pool
    # --- the holder ---

    @router.get(
        "/me",
        operation_id="me",
        tags=["profile"],
        summary="The signed-in account",
        response_model=m.Account,
        response_description="The account.",
        responses=problem_responses(401, 405, 413, 500),
    )
    async def me(account: Holder) -> Response:
        return json_response(m.Account.from_core(account))

    holder_errors = problem_responses(401, 404, 405, 413, 500)

    @router.get(
        "/me/profile",
        operation_id="get_profile",
        tags=["profile"],
        summary="The holder's labour profile",
        response_model=Profile,
        response_description="The profile.",
        responses=holder_errors,
    )
    async def get_profile(account: Holder) -> Response:
        return json_response(profile_json(await pool.run(svc.profile, account.id)))

    @router.patch(
        "/me/profile",
        operation_id="update_profile",
        tags=["profile"],
        summary="Change sections of the profile",
        response_model=Profile,
        response_description="The updated profile.",
        responses=problem_responses(401, 404, 405, 413, 422, 500),
    )
    async def update_profile(
        account: Holder, sections: Annotated[ProfilePatchBody, Body()]
    ) -> Response:
        for name in sections:
            if name not in SECTIONS:  # never a keyword of update_profile itself
                raise ProfileError("unknown_section", section=name, known=", ".join(SECTIONS))
        profile = await pool.run(lambda: svc.update_profile(account.id, **sections))
        return json_response(profile_json(profile))

    @router.get(
        "/me/profile/warnings",
        operation_id="profile_warnings",
        tags=["profile"],
        summary="Differences from the NIK (birth date, sex): warnings, never errors",
        response_model=m.ProfileWarnings,
        response_description="The warnings.",
        responses=holder_errors,
    )
    async def profile_warnings(account: Holder) -> Response:
        warnings = await pool.run(svc.profile_warnings, account.id)
        return json_response(
            m.ProfileWarnings(items=[m.ProfileWarning.from_core(w) for w in warnings])
        )

    @router.get(
        "/me/completeness",
        operation_id="completeness",
        tags=["profile"],
        summary="How complete the profile is, and what is missing",
        response_model=m.Completeness,
        response_description="The completeness.",
        responses=holder_errors,
    )
    async def completeness(account: Holder) -> Response:
        return json_response(m.Completeness.from_core(await pool.run(svc.completeness, account.id)))

    @router.post(
        "/me/card",
        operation_id="issue_card",
        tags=["card"],
        summary="Issue (or re-issue) the SIAPkerja-ID card",
        status_code=201,
        response_model=m.Card,
        response_description="The card.",
        responses=problem_responses(401, 404, 405, 409, 413, 500, 503),
    )
    async def issue_card(account: Holder) -> Response:
        return json_response(m.Card.from_core(await pool.run(svc.issue_card, account.id)), 201)

    @router.get(
        "/me/card",
        operation_id="get_card",
        tags=["card"],
        summary="The holder's current card",
        response_model=m.Card,
        response_description="The card.",
        responses=problem_responses(401, 404, 405, 410, 413, 422, 500),
    )
    async def get_card(account: Holder) -> Response:
        return json_response(m.Card.from_core(await pool.run(svc.card, account.id)))

    @router.delete(
        "/me/card",
        operation_id="revoke_card",
        tags=["card"],
        summary="Revoke the card: all its tokens are refused until it is issued again",
        response_model=m.CardState,
        response_description="The revoked card.",
        responses=holder_errors,
    )
    async def revoke_card(account: Holder) -> Response:
        return json_response(m.CardState.from_core(await pool.run(svc.revoke_card, account.id)))

    @router.post(
        "/me/card/rotate",
        operation_id="rotate_card",
        tags=["card"],
        summary="Bump the card's version: every older link QR stops working at once",
        response_model=m.CardState,
        response_description="The card's new state.",
        responses=holder_errors,
    )
    async def rotate_card(account: Holder) -> Response:
        return json_response(m.CardState.from_core(await pool.run(svc.rotate_card, account.id)))

    @router.get(
        "/me/card/qr",
        operation_id="card_qr",
        tags=["card"],
        summary="The card's QR: a long-lived link, or a 30-second access code for a purpose",
        response_model=m.CardQr,
        response_description="The QR code with its token.",
        # 400: a purpose with a control or invisible character (disclosure.purpose_invalid).
        responses=problem_responses(400, 401, 404, 405, 410, 413, 422, 500),
    )
    async def card_qr(
        request: Request,
        account: Holder,
        purpose: Purpose = None,
        mode: Annotated[
            b.QrMode | None,
            Query(description="`link` (default) or `access`; anything else is `card.mode`."),
        ] = None,
    ) -> Response:
        if mode is None and "mode" in request.query_params:
            # ``?mode=`` arrives as None: an empty mode is a wrong one, not the default,
            # and is refused before the card's own state is looked at.
            raise CardError("mode", mode="")
        qr = await pool.run(lambda: svc.card_qr(account.id, mode=mode or "link", purpose=purpose))
        return json_response(m.CardQr.from_core(qr))

    @router.get(
        "/me/access-log",
        operation_id="access_log",
        tags=["consent"],
        summary="Who saw which fields of the profile, when and for what purpose",
        description=(
            "One page of the ledger, newest first: at most `limit` entries. `next` is the"
            " cursor of the page after (older entries), or null on the last page; send it"
            " back as `before`. The whole ledger is in the data download"
            " (`/v1/me/rights/export`)."
        ),
        response_model=m.AccessLog,
        response_description="A page of the ledger, newest first.",
        # 400: a cursor this endpoint did not make (disclosure.cursor_invalid).
        responses=problem_responses(400, 401, 404, 405, 413, 422, 500),
    )
    async def access_log(
        account: Holder,
        limit: Annotated[
            int, Query(ge=1, le=MAX_LEDGER_PAGE, description="At most this many, newest first.")
        ] = ACCESS_LOG_LIMIT,
        before: Annotated[
            str | None,
            Query(
                max_length=200,
                description="The `next` of the previous page: only entries older than it.",
            ),
        ] = None,
    ) -> Response:
        cursor = None if before is None else LedgerCursor.parse(before)
        page = await pool.run(lambda: svc.access_log_page(account.id, limit=limit, before=cursor))
        return json_response(
            m.AccessLog(
                items=[m.AccessRecord.from_core(r) for r in page.entries],
                next=None if page.next is None else page.next.token(),
            )
        )

    @router.get(
        "/me/consents",
        operation_id="consents",
        tags=["consent"],
        summary="The holder's consents, withdrawn ones included",
        response_model=m.ConsentList,
        response_description="The consents.",
        responses=holder_errors,
    )
    async def consents(account: Holder) -> Response:
        records = await pool.run(svc.consents, account.id)
        return json_response(m.ConsentList(items=[m.Consent.from_core(r) for r in records]))

    @router.post(
        "/me/consents",
        operation_id="grant_consent",
        tags=["consent"],
        summary="Let a verifier see its scope's fields for a purpose",
        status_code=201,
        response_model=m.Consent,
        response_description="The recorded consent.",
        responses=problem_responses(400, 401, 403, 404, 405, 413, 422, 500),
    )
    async def grant_consent(account: Holder, body: b.GrantConsent) -> Response:
        record = await pool.run(
            svc.grant_consent, account.id, body.verifier_id, body.purpose, body.fields
        )
        return json_response(m.Consent.from_core(record), 201)

    @router.delete(
        "/me/consents/{consent_id}",
        operation_id="withdraw_consent",
        tags=["consent"],
        summary="Withdraw a consent (the record stays, with its end)",
        response_model=m.Consent,
        response_description="The withdrawn consent.",
        responses=problem_responses(401, 404, 405, 413, 422, 500),
    )
    async def withdraw_consent(account: Holder, consent_id: ConsentId) -> Response:
        record = await pool.run(svc.withdraw_consent, account.id, consent_id)
        return json_response(m.Consent.from_core(record))

    # --- scanning ---

    @router.get(
        "/scan/{token}",
        operation_id="resolve",
        tags=["scan"],
        summary="Open a scanned link QR: what this viewer may see",
        response_model=m.ProfileView,
        response_description="The view for this audience; the access is logged.",
        dependencies=[Security(BEARER), Security(VERIFIER_KEY)],
        responses=problem_responses(400, 401, 403, 405, 410, 413, 422, 500),
    )
    async def resolve(
        request: Request,
        token: Annotated[
            b.CleanText,
            Path(
                description="The link token (the last part of the QR's URL).",
                min_length=1,
                max_length=b.MAX_TOKEN_LENGTH,
            ),
        ],
        purpose: Annotated[
            b.CleanText | None,
            Query(
                max_length=b.MAX_PURPOSE_LENGTH,
                description="The purpose of the access (a verifier must state one).",
            ),
        ] = None,
    ) -> Response:
        key = request.headers.get("x-verifier-key")
        viewer: CoreAccount | Verifier | None = None
        if key is not None:
            viewer = await scans.run(svc.verifier, key)
        elif "authorization" in request.headers:
            viewer = await scans.run(svc.authenticate, bearer_token(request))
        data = await scans.run(
            lambda: svc.cards.public_profile_data(svc.resolve(token, viewer, purpose=purpose))
        )
        # The core writes the view (what this audience may see); the model checks its shape.
        view = m.ProfileView.model_validate(data)
        return json_response(view, headers={"Vary": "Authorization"})

    @router.post(
        "/check-ins",
        operation_id="check_in",
        tags=["scan"],
        summary="A gate checks an access code in at an event (the gate's credential required)",
        status_code=201,
        response_model=GateReceipt,
        response_description="The recorded check-in: masked name, card status, the photo"
        " from the server.",
        dependencies=STATION_SECURITY,
        responses=problem_responses(400, 401, 403, 404, 405, 409, 410, 413, 422, 500),
    )
    async def check_in(credential: GateCredential, body: b.CheckIn) -> Response:
        # Since issue 12 only a registered gate may (POST /v1/events/{id}/admissions is
        # the same with the event in the path): an anonymous call is a 401.
        if credential.station_id is None and body.station_id and credential.signature:
            credential = attrs.evolve(credential, station_id=body.station_id)
        receipt = await pool.run(
            lambda: svc.events.admit(body.token, event_id=body.event_id, credential=credential)
        )
        return json_response(GateReceipt.from_core(receipt), 201)

    @router.get(
        "/station-keys",
        operation_id="station_keys",
        tags=["scan"],
        summary="The public keys offline scanning stations verify access codes with",
        response_model=m.Jwks,
        response_class=JwkSetResponse,
        response_description="A JWK Set (RFC 7517, Ed25519 keys per RFC 8037).",
        responses=problem_responses(500),
    )
    async def station_keys() -> Response:
        jwks = m.Jwks.model_validate(await pool.run(lambda: svc.station_keyring().public_jwks()))
        return JwkSetResponse(jwks.model_dump(mode="json"), headers=dict(PUBLIC_HEADERS))
