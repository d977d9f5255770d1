"""Properties of the disclosure policy over generated profiles, visibility and consents.

Whatever the holder publishes and whatever their profile holds, a scan by
anyone but the holder or a consented verifier never shows a private section,
the NIK (not even masked), the e-mail, the phone, a street or the birth data.
A consented verifier sees exactly its scopes' fields within the consent.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from journey_support import Clock
from test_cards_support import address, build, holder

from siapkerja_core.disclosure import (
    AKI_STATUS,
    IDENTITY_NIK,
    IDENTITY_NIK_MASKED,
    SCOPES,
    Audience,
    scope_fields,
)
from siapkerja_core.profile import NEVER_PUBLISHED, MaritalStatus, Religion, Section
from siapkerja_core.service import Siapkerja
from siapkerja_core.views import Account, mask_nik

relaxed = settings(deadline=None, max_examples=60)
PRIVATE = {s.value for s in NEVER_PUBLISHED}
PUBLISHABLE = sorted(s.value for s in Section if s not in NEVER_PUBLISHED)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@cache
def world() -> tuple[Siapkerja, tuple[Account, ...], tuple[str, ...], Account]:
    """One service for every example: three card holders (and their tokens), one stranger."""
    svc = build(Clock())
    holders = tuple(holder(svc, n)[0] for n in range(3))
    tokens = tuple(svc.card_qr(a.id).token for a in holders)
    stranger = holder(svc, 3)[0]
    return svc, holders, tokens, stranger


words = st.text(alphabet=LETTERS, min_size=1, max_size=12)
profiles = st.fixed_dictionaries(
    {
        "published": st.sets(st.sampled_from(PUBLISHABLE)),
        "headline": words,
        "skills": st.lists(words, max_size=4, unique_by=str.casefold),
        "street": st.integers(1, 9999).map(lambda n: f"Jl. Rahasia No. {n}"),
        "domicile": st.integers(1, 9999).map(lambda n: f"Gg. Sunyi {n} Blok C"),
        "email": st.from_regex(r"[a-z]{3,10}[0-9]{1,3}", fullmatch=True).map(
            lambda s: s + "@contoh.co.id"
        ),
        "phone": st.integers(10**7, 10**8 - 1).map(lambda n: f"0813{n}"),
        "birth_date": st.dates(date(1950, 1, 1), date(2006, 12, 31)),
        "birth_place": st.integers(1, 999).map(lambda n: f"Desa Lahir {n}"),
        "religion": st.sampled_from([r.value for r in Religion]),
        "marital_status": st.sampled_from([m.value for m in MaritalStatus]),
    }
)


def apply(svc: Siapkerja, account: Account, data: dict[str, Any]) -> None:
    svc.update_profile(
        account.id,
        visibility={"published": sorted(data["published"])},
        biodata={
            "headline": data["headline"],
            "birth_date": data["birth_date"].isoformat(),
            "birth_place": data["birth_place"],
            "religion": data["religion"],
            "marital_status": data["marital_status"],
        },
        skills=[{"name": s} for s in data["skills"]],
        ktp_address=address(data["street"]),
        domicile_address=address(data["domicile"]),
        contact={"email": data["email"], "phone": data["phone"]},
    )


@relaxed
@given(
    data=profiles,
    index=st.integers(0, 2),
    viewer=st.sampled_from(["anonymous", "account", "verifier"]),
)
def test_no_public_view_ever_shows_private_data(
    data: dict[str, Any], index: int, viewer: str
) -> None:
    svc, holders, tokens, stranger = world()
    account, token = holders[index], tokens[index]
    svc.resolve(token)  # warm the public-view cache with the previous contents
    apply(svc, account, data)
    if viewer == "anonymous":
        view = svc.resolve(token)
        assert view.audience is Audience.ANONYMOUS
    elif viewer == "account":
        view = svc.resolve(token, stranger)
        assert view.audience is Audience.ACCOUNT
    else:
        verifier, _ = svc.register_verifier("Disnaker", ["disnaker"])  # no consent given
        view = svc.resolve(token, verifier, purpose="pendataan")
        assert view.consent_required

    expected = tuple(s.value for s in Section if s.value in data["published"])
    assert view.disclosed == expected
    assert set(view.data) == set(expected)
    assert not set(view.disclosed) & (PRIVATE | {IDENTITY_NIK, IDENTITY_NIK_MASKED})
    assert view.nik is None
    text = repr(view)
    forbidden = [
        account.nik,
        mask_nik(account.nik),
        data["email"],
        data["phone"],
        "+62" + data["phone"][1:],
        data["phone"][1:],
        data["street"],
        data["domicile"],
        data["birth_place"],
        data["birth_date"].isoformat(),
    ]
    for value in forbidden:
        assert value not in text, value
    if "headline" in expected:
        assert view.data["headline"] == data["headline"]
    if "skills" in expected:
        assert [s["name"] for s in view.data["skills"]] == data["skills"]


@relaxed
@given(data=profiles, index=st.integers(0, 2))
def test_the_holder_always_sees_everything(data: dict[str, Any], index: int) -> None:
    svc, holders, tokens, _ = world()
    account = holders[index]
    apply(svc, account, data)
    view = svc.resolve(tokens[index], account)
    assert view.nik == account.nik
    assert set(view.disclosed) == {IDENTITY_NIK, AKI_STATUS, *(s.value for s in Section)}
    assert view.data["contact"]["phone"] == "+62" + data["phone"][1:]
    assert view.data["ktp_address"]["street"] == data["street"]
    assert view.data["birth"]["birth_date"] == data["birth_date"].isoformat()


@relaxed
@given(
    scopes=st.sets(st.sampled_from(sorted(SCOPES)), min_size=1, max_size=3),
    chosen=st.none() | st.sets(st.sampled_from([*PUBLISHABLE, *PRIVATE, "nik", "nik_masked"])),
    published=st.sets(st.sampled_from(PUBLISHABLE)),
    index=st.integers(0, 2),
)
def test_a_consented_verifier_sees_exactly_scope_and_consent(
    scopes: set[str], chosen: set[str] | None, published: set[str], index: int
) -> None:
    svc, holders, tokens, _ = world()
    account, token = holders[index], tokens[index]
    svc.update_profile(account.id, visibility={"published": sorted(published)})
    verifier, _ = svc.register_verifier("Instansi", scopes)
    consent = svc.grant_consent(account.id, verifier.id, "tujuan", fields=chosen)
    allowed = set(scope_fields(frozenset(scopes)))
    if chosen is not None:
        allowed &= chosen
    view = svc.resolve(token, verifier, purpose="tujuan")
    assert view.audience is Audience.VERIFIER
    assert not view.consent_required
    shown = set(view.disclosed)
    if IDENTITY_NIK in allowed:
        assert view.nik == account.nik
        assert shown == allowed - {IDENTITY_NIK_MASKED}
    elif IDENTITY_NIK_MASKED in allowed:
        assert view.nik == mask_nik(account.nik)
        assert account.nik not in repr(view)
        assert shown == allowed
    else:
        assert view.nik is None
        assert account.nik not in repr(view)
        assert mask_nik(account.nik) not in repr(view)
        assert shown == allowed
    assert set(view.data) == shown - {IDENTITY_NIK, IDENTITY_NIK_MASKED, AKI_STATUS}
    # The AK/I status only where the scope (disnaker) and the consent allow it.
    assert (view.aki is not None) == (AKI_STATUS in shown)
    logged = [e for e in svc.access_log(account.id) if e.verifier_id == verifier.id]
    assert [e.fields for e in logged] == [view.disclosed]
    svc.withdraw_consent(account.id, consent.id)
    closed = svc.resolve(token, verifier, purpose="tujuan")
    assert closed.consent_required
    assert closed.nik is None
