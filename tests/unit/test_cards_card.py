"""The SIAPkerja-ID card: a random, valid number; re-issue, rotation, revocation; the QR cache."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from journey_support import Clock
from PIL import Image
from test_cards_support import (
    BASE_URL,
    EVENT,
    build,
    card_record,
    holder,
    open_account,
    photo_png,
)

from siapkerja_core.disclosure import DisclosureError
from siapkerja_core.errors import CardError
from siapkerja_core.service import Siapkerja
from siapkerja_core.services.scanning import CardQr
from siapkerja_core.siapkerja_id import is_valid_siapkerja_id


@pytest.fixture
def svc(clock: Clock) -> Siapkerja:
    return build(clock)


def decode(qr: CardQr) -> list[str]:
    image = Image.open(io.BytesIO(qr.png()))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def nik_runs(nik: str, length: int = 4) -> set[str]:
    return {nik[i : i + length] for i in range(len(nik) - length + 1)}


def test_the_card_number_is_valid_random_and_not_from_the_nik(svc: Siapkerja) -> None:
    first, first_card = holder(svc, 0)
    second, second_card = holder(svc, 1)
    for account, card in ((first, first_card), (second, second_card)):
        assert is_valid_siapkerja_id(card.siapkerja_id)
        assert card.holder_name == account.full_name
        digits = re.sub(r"\D", "", card.siapkerja_id)
        runs = {digits[i : i + 4] for i in range(len(digits) - 3)}
        assert not runs & nik_runs(account.nik), (card.siapkerja_id, account.nik)
        assert account.nik not in card.siapkerja_id
    assert first_card.siapkerja_id != second_card.siapkerja_id


def test_the_same_person_gets_different_numbers_from_two_services(clock: Clock) -> None:
    numbers = set()
    for _ in range(3):
        _, card = holder(build(clock), 0)  # same NIK, name, birth date every time
        numbers.add(card.siapkerja_id)
    assert len(numbers) == 3  # nothing derived from the person


def test_the_card_carries_name_photo_and_the_link(svc: Siapkerja, clock: Clock) -> None:
    account, card = holder(svc)
    assert card.photo == photo_png()
    assert card.photo_type == "image/png"
    assert card.issued_at == clock.now().date()
    assert card.qr_text == svc.card_qr(account.id).url
    assert svc.card(account.id) == card


def test_reissue_keeps_the_number_and_bumps_the_version(svc: Siapkerja, clock: Clock) -> None:
    account, card = holder(svc)
    record = card_record(svc, account.id)
    assert record.version == 1
    assert record.number == card.siapkerja_id
    clock.advance(days=2)
    again = svc.issue_card(account.id)
    assert again.siapkerja_id == card.siapkerja_id
    assert card_record(svc, account.id).version == 2
    assert card_record(svc, account.id).card_ref == record.card_ref
    assert again.qr_text != card.qr_text
    assert again.issued_at == clock.now().date()


def test_a_reissued_card_reports_its_new_qr_version(svc: Siapkerja) -> None:
    # Card.qr_version is documented as "the link's version" (card.py), part of the
    # card's own QR cache key; the re-issued card is at version 2.
    account, card = holder(svc)
    assert card.qr_version == 1
    again = svc.issue_card(account.id)
    assert card_record(svc, account.id).version == 2
    assert again.qr_version == 2


def test_rotate_keeps_the_number_and_bumps_the_version(svc: Siapkerja) -> None:
    account, card = holder(svc)
    record = svc.rotate_card(account.id)
    assert record.version == 2
    assert record.number == card.siapkerja_id
    assert svc.rotate_card(account.id).version == 3


def test_no_card_before_issue(svc: Siapkerja) -> None:
    account = open_account(svc)
    for call in (
        lambda: svc.card(account.id),
        lambda: svc.card_qr(account.id),
        lambda: svc.rotate_card(account.id),
        lambda: svc.revoke_card(account.id),
    ):
        with pytest.raises(CardError) as info:
            call()
        assert info.value.full_code == "card.no_card"


def test_a_revoked_card_gives_no_qr_until_issued_again(svc: Siapkerja) -> None:
    account, card = holder(svc)
    record = svc.revoke_card(account.id)
    assert not record.active
    for call in (
        lambda: svc.card(account.id),
        lambda: svc.card_qr(account.id),
        lambda: svc.card_qr(account.id, mode="access", purpose=EVENT),
    ):
        with pytest.raises(CardError) as info:
            call()
        assert info.value.full_code == "card.revoked"
    again = svc.issue_card(account.id)
    assert again.siapkerja_id == card.siapkerja_id
    assert card_record(svc, account.id).active
    assert svc.card_qr(account.id).url == again.qr_text


def test_an_unknown_qr_mode_is_refused(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    with pytest.raises(CardError) as info:
        svc.card_qr(account.id, mode="barcode")
    assert info.value.full_code == "card.mode"


# --- the QR image and its cache ----------------------------------------------------------


def test_the_qr_image_is_cached_per_card_and_version(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    first = svc.card_qr(account.id)
    second = svc.card_qr(account.id)
    assert first.svg() is second.svg()  # the same cached SVG text
    assert first.qr is second.qr
    assert first.svg().lstrip().startswith(("<svg", "<?xml"))
    svc.rotate_card(account.id)
    third = svc.card_qr(account.id)
    assert third.version == 2
    assert third.url != first.url
    assert third.svg() != first.svg()
    assert svc.card_qr(account.id).svg() is third.svg()
    svc.issue_card(account.id)
    fourth = svc.card_qr(account.id)
    assert fourth.version == 3
    assert fourth.svg() not in (first.svg(), third.svg())


def test_the_png_decodes_to_exactly_the_url(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    qr = svc.card_qr(account.id)
    assert qr.url is not None
    assert decode(qr) == [qr.url]
    svc.rotate_card(account.id)
    rotated = svc.card_qr(account.id)
    assert decode(rotated) == [rotated.url]
    assert rotated.url != qr.url


def test_a_30_character_base_url_fits_version_5_at_level_m(svc: Siapkerja) -> None:
    account, _ = holder(svc)
    qr = svc.card_qr(account.id)
    assert qr.url is not None
    assert qr.url.startswith(BASE_URL)
    assert qr.qr.error == "M"
    assert isinstance(qr.qr.version, int)
    assert qr.qr.version <= 5


def test_the_qr_image_follows_a_key_rotation(svc: Siapkerja) -> None:
    # After rotate_keys the link token is signed by the new key; the image
    # must carry that token, not a cached one of the old key.
    account, _ = holder(svc)
    before = svc.card_qr(account.id)
    svc.rotate_keys()
    after = svc.card_qr(account.id)
    assert after.token != before.token
    assert decode(after) == [after.url]


def test_an_invalid_purpose_is_the_requests_fault_before_the_cards_state(svc: Siapkerja) -> None:
    # Found by schemathesis: a QR asked of a revoked card with a control character in
    # its purpose answered card.revoked (410) where the request itself was invalid.
    account, _card = holder(svc)
    svc.revoke_card(account.id)
    with pytest.raises(DisclosureError) as info:
        svc.card_qr(account.id, mode="access", purpose="job fair\x04")
    assert info.value.full_code == "disclosure.purpose_invalid"
