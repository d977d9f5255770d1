"""``svc.sso``: relying parties, the holder's consent and tokens, on the memory storage.

The protocol (PKCE, client assertions, JWTs) is the web binding's and is
tested over HTTP; here, the rules the core owns: what a client may ask, what
the consent screen offers, that a grant releases exactly the consented
claims (the NIK only as a string, only within the hub's scope), that every
release is a ledger line, that withdrawing consent ends the grant at its
next use, that replayed codes and refresh tokens end the whole grant, and
that each administrative action is audited.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from journey_support import Clock, Recorder
from test_cards_support import build, holder

from siapkerja_core.errors import SiapkerjaError
from siapkerja_core.prefill.schema import prefill_schema
from siapkerja_core.service import Siapkerja
from siapkerja_core.sso import (
    ACCESS_TOKEN_TTL,
    AUTHORIZATION_CODE_TTL,
    IdTokenAlg,
    SsoClient,
    requested_fields,
)
from siapkerja_core.views import Account
from support.sms import sms_code

REDIRECT = "https://karirhub.example/callback"
PURPOSE = "Melamar lowongan di Karirhub"


def fails(code: str, action) -> SiapkerjaError:  # type: ignore[no-untyped-def]
    with pytest.raises(SiapkerjaError) as caught:
        action()
    assert caught.value.full_code == code, caught.value
    return caught.value


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


@pytest.fixture
def galih(svc: Siapkerja) -> Account:
    return holder(svc, 0)[0]


@pytest.fixture
def karirhub(svc: Siapkerja) -> tuple[SsoClient, str]:
    client, secret = svc.sso.add_client(
        name="Karirhub",
        scopes=["karirhub"],
        redirect_uris=[REDIRECT],
        purpose=PURPOSE,
        fields=["contact", "work", "skills", "nik_masked", "photo", "headline"],
        essential=["contact"],
        actor="cli:admin",
    )
    assert secret is not None
    return client, secret


def sign_in(
    svc: Siapkerja, client: SsoClient, account: Account, scope: str, chosen=None
) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    plan = svc.sso.plan(client, account.id, scope)
    consent = svc.sso.approve(client, account.id, plan, chosen)
    code = svc.sso.issue_code(
        client,
        account.id,
        consent_id=consent.id,
        fields=consent.fields or plan.fields,
        scope=scope,
        redirect_uri=REDIRECT,
        nonce="n-1",
        code_challenge="x" * 43,
        code_challenge_method="S256",
        auth_time=svc.now(),
        amr=["pwd"],
    )
    return code, consent


def test_a_client_registers_with_a_new_hub_and_its_secret_is_shown_once(
    svc: Siapkerja, karirhub: tuple[SsoClient, str]
) -> None:
    client, secret = karirhub
    assert client.purpose == "melamar lowongan di karirhub"
    assert svc.sso.check_client_secret(client, secret)
    assert not svc.sso.check_client_secret(client, secret + "x")
    hub = svc.verifiers.get(client.verifier_id)
    assert hub.name == "Karirhub"
    assert hub.scopes == {"karirhub"}
    actions = [r.action for r in svc.verifiers.audit()]
    assert "sso_client.add" in actions
    assert "verifier.add" in actions
    # The hub's new verifier has no usable API key: its key hash matches nothing.
    assert svc.sso.usable_client(client.id) == client


def test_a_client_cannot_ask_for_fields_outside_its_hubs_scope(svc: Siapkerja) -> None:
    fails(
        "sso.invalid_fields",
        lambda: svc.sso.add_client(
            name="Karirhub",
            scopes=["karirhub"],
            redirect_uris=[REDIRECT],
            purpose=PURPOSE,
            fields=["nik"],
        ),
    )
    fails(
        "sso.invalid_redirect_uri",
        lambda: svc.sso.add_client(
            name="Karirhub",
            scopes=["karirhub"],
            redirect_uris=["http://karirhub.example/cb"],
            purpose=PURPOSE,
        ),
    )
    fails(
        "sso.invalid_auth_method",
        lambda: svc.sso.add_client(
            name="BNSP",
            scopes=["bnsp"],
            redirect_uris=[REDIRECT],
            purpose=PURPOSE,
            high_assurance=True,
        ),
    )


def test_scopes_become_fields_within_the_registration(
    karirhub: tuple[SsoClient, str],
) -> None:
    client, _ = karirhub
    assert requested_fields("openid profile email", client) == {"headline", "photo", "contact"}
    assert requested_fields("openid work", client) == {"work"}
    fails("sso.invalid_scope", lambda: requested_fields("profile", client))  # openid missing
    fails("sso.invalid_scope", lambda: requested_fields("openid nik", client))  # not registered
    fails("sso.invalid_scope", lambda: requested_fields("openid bogus", client))


def test_the_holder_consents_unticks_a_voluntary_field_and_receives_exactly_that(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    scope = "openid email work skills nik_masked"
    plan = svc.sso.plan(client, galih.id, scope)
    assert plan.essential == {"contact"}
    assert plan.voluntary == {"work", "skills", "nik_masked"}
    assert plan.remembered is None
    assert not plan.step_up
    fails("sso.essential_refused", lambda: svc.sso.approve(client, galih.id, plan, ["work"]))

    code, _consent = sign_in(svc, client, galih, scope, ["contact", "work", "nik_masked"])
    grant = svc.sso.redeem_code(client, code)
    tokens = svc.sso.issue_tokens(client, grant)
    info = svc.sso.userinfo(tokens.access_token)
    assert set(info) == {
        "sub",
        "siapkerja_id",
        "name",
        "email",
        "phone_number",
        "work",
        "nik_masked",
    }
    assert "skills" not in info
    assert "nik" not in info
    assert isinstance(info["nik_masked"], str)
    # Every release is a line of the holder's ledger, naming the hub and the purpose.
    sso_lines = [r for r in svc.access_log(galih.id) if r.channel == "sso"]
    # One line for the sign-in (the base claims), one for the userinfo answer.
    assert sorted(line.fields for line in sso_lines) == [(), ("contact", "nik_masked", "work")]
    assert {line.verifier_name for line in sso_lines} == {"Karirhub"}
    assert {line.purpose for line in sso_lines} == {client.purpose}
    # The claims follow the prefill schema's member names.
    members = set(prefill_schema()["properties"])
    assert set(info) - {"sub"} <= members


def test_consent_is_remembered_per_hub_and_purpose_until_more_is_asked(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    sign_in(svc, client, galih, "openid email work")
    assert svc.sso.plan(client, galih.id, "openid email").remembered is not None
    assert svc.sso.plan(client, galih.id, "openid email", prompt="consent").remembered is None
    assert svc.sso.plan(client, galih.id, "openid email skills").remembered is None
    # A new consent replaces the old one: one active consent per hub and purpose.
    sign_in(svc, client, galih, "openid email skills")
    active = [c for c in svc.consents(galih.id) if c.active]
    assert len(active) == 1
    assert active[0].fields == {"contact", "skills"}


def test_withdrawing_consent_ends_the_grant_at_its_next_use(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, consent = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    assert svc.sso.introspect(client, tokens.access_token)["active"] is True
    svc.withdraw_consent(galih.id, consent.id)  # type: ignore[attr-defined]
    fails("sso.consent_withdrawn", lambda: svc.sso.userinfo(tokens.access_token))
    assert svc.sso.introspect(client, tokens.access_token) == {"active": False}
    assert tokens.refresh_token is not None
    fails("sso.invalid_grant", lambda: svc.sso.refresh(client, tokens.refresh_token))


def test_a_replayed_code_ends_every_token_of_its_grant(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    fails("sso.invalid_grant", lambda: svc.sso.redeem_code(client, code))
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))


def test_codes_and_access_tokens_expire(
    svc: Siapkerja, clock: Clock, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    clock.advance(seconds=AUTHORIZATION_CODE_TTL.total_seconds())
    fails("sso.invalid_grant", lambda: svc.sso.redeem_code(client, code))
    code, _ = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    clock.advance(seconds=ACCESS_TOKEN_TTL.total_seconds())
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))
    assert tokens.refresh_token is not None
    assert svc.sso.refresh(client, tokens.refresh_token).access_token


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_grant(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    first = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    assert first.refresh_token is not None
    second = svc.sso.refresh(client, first.refresh_token)
    assert second.refresh_token not in (None, first.refresh_token)
    assert svc.sso.userinfo(second.access_token)["email"] == galih.email
    fails("sso.invalid_grant", lambda: svc.sso.refresh(client, first.refresh_token))
    # The reuse was a theft signal: the newest tokens die too.
    fails("sso.invalid_token", lambda: svc.sso.userinfo(second.access_token))
    assert second.refresh_token is not None
    fails("sso.invalid_grant", lambda: svc.sso.refresh(client, second.refresh_token))


def test_another_clients_code_or_token_is_refused(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    other, _ = svc.sso.add_client(
        name="Portal Jabar", scopes=["karirhub"], redirect_uris=[REDIRECT], purpose=PURPOSE
    )
    code, _ = sign_in(svc, client, galih, "openid email")
    fails("sso.invalid_grant", lambda: svc.sso.redeem_code(other, code))
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    assert svc.sso.introspect(other, tokens.access_token) == {"active": False}
    svc.sso.revoke(other, tokens.access_token)  # not its token: nothing happens
    assert svc.sso.userinfo(tokens.access_token)
    svc.sso.revoke(client, tokens.access_token)
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))


def test_two_hubs_see_different_subjects_for_one_holder_and_no_nik(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    second_client_same_hub, _ = svc.sso.add_client(
        verifier_id=client.verifier_id, redirect_uris=[REDIRECT], purpose="Pelatihan"
    )
    other_hub, _ = svc.sso.add_client(
        name="Portal Jabar", scopes=["karirhub"], redirect_uris=[REDIRECT], purpose=PURPOSE
    )
    sub = svc.sso.subject(client, galih.id)
    assert sub == svc.sso.subject(second_client_same_hub, galih.id)
    assert sub != svc.sso.subject(other_hub, galih.id)
    assert galih.nik not in sub
    assert galih.id not in sub
    assert len(sub) == 43


def test_the_nik_is_a_string_claim_and_needs_a_step_up(svc: Siapkerja, galih: Account) -> None:
    client, _ = svc.sso.add_client(
        name="BNSP",
        scopes=["bnsp"],
        redirect_uris=[REDIRECT],
        purpose="Sertifikasi",
        essential=["nik"],
    )
    plan = svc.sso.plan(client, galih.id, "openid nik")
    assert plan.step_up
    assert plan.essential == {"nik"}
    code, _ = sign_in(svc, client, galih, "openid nik")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    info = svc.sso.userinfo(tokens.access_token)
    assert info["nik"] == galih.nik
    assert isinstance(info["nik"], str)


def test_the_step_up_code_goes_to_the_holders_phone_and_is_spent_once(
    svc: Siapkerja, galih: Account
) -> None:
    state = svc.sso.send_step_up_code(galih.id)
    assert galih.phone[-3:] in state.masked_phone
    assert galih.phone not in state.masked_phone
    svc.deliver_outbox()
    code = sms_code(svc, galih.phone)
    fails(
        "otp.invalid",
        lambda: svc.sso.check_step_up_code(galih.id, "000000" if code != "000000" else "111111"),
    )
    svc.sso.check_step_up_code(galih.id, code)
    fails("otp.expired", lambda: svc.sso.check_step_up_code(galih.id, code))


def test_states_and_assertions_are_spent_once_and_pushed_requests_read_once(
    svc: Siapkerja, clock: Clock, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    assert svc.sso.spend_state(client, "abc")
    assert not svc.sso.spend_state(client, "abc")
    assert svc.sso.spend_assertion(client, "jti-1", svc.now() + timedelta(minutes=1))
    assert not svc.sso.spend_assertion(client, "jti-1", svc.now() + timedelta(minutes=1))
    uri, expires_in = svc.sso.push_request(client, {"scope": "openid", "state": "s"})
    assert uri.startswith("urn:ietf:params:oauth:request_uri:")
    assert expires_in == 60
    fails("sso.invalid_grant", lambda: svc.sso.pushed_request("other", uri))
    assert svc.sso.pushed_request(client.id, uri) == {"scope": "openid", "state": "s"}
    fails("sso.invalid_grant", lambda: svc.sso.pushed_request(client.id, uri))
    uri, _ = svc.sso.push_request(client, {"scope": "openid"})
    clock.advance(seconds=61)
    fails("sso.invalid_grant", lambda: svc.sso.pushed_request(client.id, uri))


def test_the_administrator_suspends_resumes_rotates_and_removes_with_an_audit(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, secret = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    svc.sso.suspend_client(client.id, reason="Kebocoran sedang diperiksa", actor="cli:admin")
    fails("sso.client_suspended", lambda: svc.sso.usable_client(client.id))
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))
    fails("sso.wrong_status", lambda: svc.sso.suspend_client(client.id, reason="lagi"))
    svc.sso.resume_client(client.id, actor="cli:admin")
    # The suspension ended every sign-in: the holder signs in again.
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))
    code, _ = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    assert svc.sso.userinfo(tokens.access_token)
    new_secret = svc.sso.rotate_client_secret(client.id, actor="cli:admin")
    assert not svc.sso.check_client_secret(client, secret)
    assert svc.sso.check_client_secret(client, new_secret)
    changed = svc.sso.update_client(client.id, rate_limit=5, actor="cli:admin")
    assert changed.rate_limit == 5
    svc.sso.remove_client(client.id, reason="Kerja sama berakhir", actor="cli:admin")
    fails("sso.unknown_client", lambda: svc.sso.usable_client(client.id))
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))
    assert not svc.sso.check_client_secret(client, new_secret)
    actions = [r.action for r in svc.verifiers.audit(target=client.id)]
    assert actions == [
        "sso_client.remove",
        "sso_client.update",
        "sso_client.rotate_secret",
        "sso_client.resume",
        "sso_client.suspend",
        "sso_client.add",
    ]
    assert {r.actor for r in svc.verifiers.audit(target=client.id)} == {"cli:admin"}


def test_a_suspended_hub_suspends_its_clients(
    svc: Siapkerja, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    svc.verifiers.suspend(client.verifier_id, reason="Perjanjian ditinjau")
    fails("sso.client_suspended", lambda: svc.sso.usable_client(client.id))


def test_the_rate_limit_counts_per_client_per_minute(
    svc: Siapkerja, clock: Clock, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    client = svc.sso.update_client(client.id, rate_limit=3)
    for _ in range(3):
        svc.sso.hit_rate_limit(client)
    error = fails("sso.rate_limited", lambda: svc.sso.hit_rate_limit(client))
    assert 1 <= error.params["retry_after"] <= 60
    clock.advance(seconds=61)
    svc.sso.hit_rate_limit(client)


def test_id_token_claims_carry_the_pairwise_subject_and_the_sign_in(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    grant = svc.sso.redeem_code(client, code)
    claims = svc.sso.id_token_claims(client, grant)
    assert claims["sub"] == svc.sso.subject(client, galih.id)
    assert claims["nonce"] == "n-1"
    assert claims["amr"] == ["pwd"]
    assert claims["name"]
    assert claims["siapkerja_id"]
    assert "email" not in claims
    assert "nik" not in claims
    keys = svc.sso.jwks()["keys"]
    kid, private = svc.sso.signing_key()
    assert kid in {k["kid"] for k in keys}
    assert len(private) == 32


def test_expired_tokens_are_purged(
    svc: Siapkerja, clock: Clock, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    assert svc.sso.purge() == 0  # nothing expired a day ago yet
    clock.advance(days=32)
    assert svc.sso.purge() == 3  # the code, the access and the refresh token


def test_sign_ins_and_releases_are_events_without_personal_data(clock: Clock) -> None:
    recorder = Recorder()
    svc = build(clock, recorder)
    galih = holder(svc, 0)[0]
    client, _ = svc.sso.add_client(
        name="Karirhub", scopes=["karirhub"], redirect_uris=[REDIRECT], purpose=PURPOSE
    )
    code, _ = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    svc.sso.userinfo(tokens.access_token)
    events = [e for e in recorder.events if e.name.startswith("sso.")]
    assert [(e.name, e.fields) for e in events] == [  # type: ignore[attr-defined]
        ("sso.client_granted", ("contact",)),  # a new hub: the holder gets a notice
        ("sso.signed_in", ("contact",)),
        ("sso.released", ("contact",)),
    ]
    assert {e.client_id for e in events} == {client.id}  # type: ignore[attr-defined]
    for event in events:
        assert galih.email not in repr(event)
        assert galih.nik not in repr(event)


def test_signing_out_of_a_hub_kills_a_code_in_flight(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    assert svc.sso.sign_out(galih.id, client=client) == 1
    fails("sso.invalid_grant", lambda: svc.sso.redeem_code(client, code))


def test_a_disnaker_hubs_client_gets_every_profile_field_but_not_the_aki_status(
    svc: Siapkerja,
) -> None:
    client, _ = svc.sso.add_client(
        name="Disnaker Kota Bandung",
        scopes=["disnaker"],
        kind="disnaker",
        redirect_uris=[REDIRECT],
        purpose="Layanan AK/I",
    )
    assert "aki" not in client.fields
    assert {"nik", "ktp_address", "work"} <= client.fields


def test_a_client_names_exactly_one_hub(svc: Siapkerja) -> None:
    fails(
        "sso.invalid_hub",
        lambda: svc.sso.add_client(redirect_uris=[REDIRECT], purpose=PURPOSE),
    )
    fails(
        "institution.unknown",
        lambda: svc.sso.add_client(verifier_id="nope", redirect_uris=[REDIRECT], purpose=PURPOSE),
    )


def test_a_client_chooses_how_its_id_tokens_are_signed(
    svc: Siapkerja, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    assert client.id_token_alg is IdTokenAlg.EDDSA  # the default
    strict, _ = svc.sso.add_client(
        verifier_id=client.verifier_id,
        redirect_uris=[REDIRECT],
        purpose=PURPOSE,
        id_token_alg="ES256",
    )
    assert strict.id_token_alg is IdTokenAlg.ES256
    assert svc.sso.client(strict.id).id_token_alg == "ES256"
    for wrong in ("RS256", "none", "es256", "HS256", ""):
        error = fails(
            "sso.invalid_id_token_alg",
            lambda wrong=wrong: svc.sso.add_client(  # type: ignore[misc]
                verifier_id=client.verifier_id,
                redirect_uris=[REDIRECT],
                purpose=PURPOSE,
                id_token_alg=wrong,
            ),
        )
        assert "EdDSA, ES256" in error.message("en")
        assert "EdDSA, ES256" in error.message("id")
        assert error.message("id") != error.message("en")
    fails(
        "sso.invalid_id_token_alg",
        lambda: svc.sso.update_client(client.id, id_token_alg="RS256"),
    )
    assert svc.sso.client(client.id).id_token_alg is IdTokenAlg.EDDSA  # unchanged
    changed = svc.sso.update_client(client.id, id_token_alg="ES256", actor="cli:admin")
    assert changed.id_token_alg is IdTokenAlg.ES256
    assert svc.sso.client(client.id).id_token_alg is IdTokenAlg.ES256
    assert svc.sso.update_client(client.id, rate_limit=9).id_token_alg is IdTokenAlg.ES256
    update = svc.verifiers.audit(target=client.id)[1]
    assert update.action == "sso_client.update"
    assert update.details["id_token_alg"] == "ES256"


def test_id_tokens_are_signed_with_the_keyrings_key_or_the_p256_key_derived_from_it(
    svc: Siapkerja,
) -> None:
    kid, seed = svc.sso.signing_key()
    assert svc.sso.signing_key("EdDSA") == (kid, seed)
    ec_kid, scalar = svc.sso.signing_key("ES256")
    assert ec_kid != kid
    assert len(scalar) == 32
    keys = {k["kid"]: k for k in svc.sso.jwks()["keys"]}
    assert keys[kid]["kty"] == "OKP"
    assert keys[ec_kid]["kty"] == "EC"
    assert keys[ec_kid]["alg"] == "ES256"
    public = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1()).public_key()
    x = public.public_numbers().x.to_bytes(32, "big")
    assert keys[ec_kid]["x"] == base64.urlsafe_b64encode(x).decode().rstrip("=")
    assert all("d" not in k for k in keys.values())
    fails("sso.invalid_id_token_alg", lambda: svc.sso.signing_key("RS256"))
    # Rotation gives both algorithms a new key; retiring the old access key takes both away.
    svc.rotate_keys()
    new_kid, _ = svc.sso.signing_key()
    new_ec_kid, _ = svc.sso.signing_key("ES256")
    assert new_kid != kid
    assert new_ec_kid != ec_kid
    assert {kid, ec_kid, new_kid, new_ec_kid} <= {k["kid"] for k in svc.sso.jwks()["keys"]}
    svc.retire_key(kid)
    left = {k["kid"] for k in svc.sso.jwks()["keys"]}
    assert kid not in left
    assert ec_kid not in left
    assert {new_kid, new_ec_kid} <= left


def test_a_hub_whose_consent_was_withdrawn_is_no_longer_listed_as_connected(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, consent = sign_in(svc, client, galih, "openid email")
    svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    assert [c.id for c in svc.sso.signed_in(galih.id)] == [client.id]
    svc.withdraw_consent(galih.id, consent.id)  # type: ignore[attr-defined]
    assert svc.sso.signed_in(galih.id) == []


def test_the_consent_screen_reads_the_purpose_as_written_and_consents_match_the_canonical(
    svc: Siapkerja, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    assert client.purpose_label == "Melamar lowongan di Karirhub"
    assert client.purpose == "melamar lowongan di karirhub"
    assert svc.sso.client(client.id).purpose_label == client.purpose_label


def test_a_state_is_stored_only_when_a_code_is_issued_for_it(
    svc: Siapkerja, clock: Clock, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    assert not svc.sso.state_used(client, "s-1")  # a read: nothing is stored
    assert not svc.sso.state_used(client, "s-1")
    assert svc.sso.spend_state(client, "s-1")
    assert svc.sso.state_used(client, "s-1")
    assert not svc.sso.spend_state(client, "s-1")
    clock.advance(hours=24, seconds=1)
    assert not svc.sso.state_used(client, "s-1")  # remembered 24 hours, not purged yet
    assert svc.sso.spend_state(client, "s-1")


def test_suspending_a_client_ends_every_sign_in_of_it(
    svc: Siapkerja, galih: Account, karirhub: tuple[SsoClient, str]
) -> None:
    client, _ = karirhub
    code, _ = sign_in(svc, client, galih, "openid email")
    tokens = svc.sso.issue_tokens(client, svc.sso.redeem_code(client, code))
    svc.sso.suspend_client(client.id, reason="Rahasia bocor")
    svc.sso.resume_client(client.id)
    fails("sso.invalid_token", lambda: svc.sso.userinfo(tokens.access_token))
    assert tokens.refresh_token is not None
    fails("sso.invalid_grant", lambda: svc.sso.refresh(client, tokens.refresh_token))


def test_a_second_step_up_soon_after_the_first_sends_a_new_code_without_a_wait(
    svc: Siapkerja, clock: Clock, galih: Account
) -> None:
    first = svc.sso.send_step_up_code(galih.id)
    again = svc.sso.send_step_up_code(galih.id)  # another tab: the same code stands
    assert again.expires_at == first.expires_at
    svc.deliver_outbox()
    svc.sso.check_step_up_code(galih.id, sms_code(svc, galih.phone))
    clock.advance(seconds=5)
    second = svc.sso.send_step_up_code(galih.id)  # the next hub's sign-in: no cooldown
    assert second.expires_at > first.expires_at
    # An unused code sent seconds ago: asking for another one waits out the cooldown.
    fails("otp.cooldown", lambda: svc.sso.resend_step_up_code(galih.id))


def test_a_replaced_consent_is_announced_as_ended(clock: Clock) -> None:
    recorder = Recorder()
    svc = build(clock, recorder)
    galih = holder(svc, 0)[0]
    client, _ = svc.sso.add_client(
        name="Karirhub", scopes=["karirhub"], redirect_uris=[REDIRECT], purpose=PURPOSE
    )
    _, first = sign_in(svc, client, galih, "openid email")
    _, second = sign_in(svc, client, galih, "openid email work")
    changes = [
        (e.consent_id, e.granted)  # type: ignore[attr-defined]
        for e in recorder.events
        if e.name == "consent.changed"
    ]
    assert changes == [(first.id, True), (first.id, False), (second.id, True)]  # type: ignore[attr-defined]
