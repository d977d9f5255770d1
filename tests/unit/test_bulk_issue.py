"""``Issuance.issue_cards``: one read and one write per batch, with the same outcomes as one by one.

The batch reads its accounts, cards and profiles with ``tx.card_holders`` and
writes its cards with ``tx.cards.add_many``; a card whose random number or
reference collided is drawn again on its own. Checked on the memory adapter
and on SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siapkerja_adapters.memory import MemoryStorage
from siapkerja_core import compose_nik
from siapkerja_core.contact import InvalidEmail, normalize_email
from siapkerja_core.converter import merge_profile
from siapkerja_core.ports import Storage
from siapkerja_core.profile import Biodata, Contact, Profile
from siapkerja_core.records import AccountRecord, CardRecord
from siapkerja_core.services import CardServices, Issuance, ServiceContext

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    + bytes(120)
)


def _sqlite() -> Storage:
    from siapkerja_adapters.sql import KeyMaterial, SqlStorage

    return SqlStorage("sqlite://", key_material=KeyMaterial.generate())


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    made: Storage = MemoryStorage() if request.param == "memory" else _sqlite()
    yield made
    dispose: Callable[[], None] | None = getattr(made, "dispose", None)
    if dispose is not None:
        dispose()


class Draws:
    """Entropy whose card references come from a list (to force collisions); the rest counts.

    A new card draws its random values in one ``token_bytes`` call of 40 bytes a
    card (``Issuance.draw_cards``: id, card_ref, number, status index); the
    status index is the counter's value unless a subclass says otherwise.
    """

    def __init__(self, refs: list[int]) -> None:
        self._refs = iter(refs)
        self._count = itertools.count(1)
        self.card_draws: list[int] = []  # the cards each batched draw asked for

    def token_bytes(self, size: int) -> bytes:
        if size % 40 == 0:  # cards: id, card_ref (from the list), number, status index
            self.card_draws.append(size // 40)
            return b"".join(
                next(self._count).to_bytes(16, "big")
                + next(self._refs).to_bytes(8, "big")
                + next(self._count).to_bytes(8, "big")
                + self.status_draw().to_bytes(8, "big")
                for _ in range(size // 40)
            )
        return next(self._count).to_bytes(size, "big")

    def status_draw(self) -> int:
        """A status index less one (a draw below the list's size less one)."""
        return next(self._count)

    def randbelow(self, bound: int) -> int:
        return next(self._count) % bound


def normalize_email_or_none(text: str) -> str | None:
    """An address as an account stores it, or ``None`` for one the library refuses."""
    try:
        return normalize_email(text)
    except InvalidEmail:
        return None


def cards(storage: Storage, draws: Draws | None = None) -> Issuance:
    draws = draws or Draws(list(range(100, 200)))
    context = ServiceContext(
        storage=storage,
        clock=lambda: NOW,
        entropy=draws,
        emit=lambda _event: None,
        pepper=b"p" * 32,
    )
    return CardServices.build(context, base_url="https://skid.example/v/").issuance


def account(n: int, *, active: bool = True) -> AccountRecord:
    return AccountRecord(
        id=f"acct-{n}",
        nik=compose_nik("317307", date(1990, 1, 1), "L", n),
        full_name=f"Peserta {n}",
        email=f"peserta{n}@example.com",
        phone=f"+62812{n:08d}",
        password_hash="x",
        created_at=NOW,
        password_changed_at=NOW,
        active=active,
    )


def complete(n: int) -> Profile:
    address = {"village_code": "3173071001", "street": "Jl. Palmerah", "rt": "1", "rw": "2"}
    return merge_profile(
        Profile(full_name=f"Peserta {n}"),
        {
            "biodata": {
                "birth_place": "Jakarta",
                "birth_date": "1990-01-01",
                "sex": "L",
                "marital_status": "belum_menikah",
                "religion": "islam",
                "headline": "Backend Developer",
            },
            "contact": {"email": f"peserta{n}@example.com", "phone": f"+62812{n:08d}"},
            "ktp_address": address,
            "domicile_address": address,
            "skills": [{"name": "PHP"}],
            "education": [{"institution": "BINUS University", "level": "S1", "start_year": 2008}],
            "photo": {"content": PNG},
        },
    )


def populate(storage: Storage, complete_ids: list[int], incomplete_ids: list[int]) -> None:
    with storage.transaction() as tx:
        for n in complete_ids:
            tx.accounts.add(account(n))
            tx.profiles.put(f"acct-{n}", complete(n))
        for n in incomplete_ids:
            tx.accounts.add(account(n))


def all_cards(storage: Storage, ids: list[int]) -> list[CardRecord | None]:
    with storage.transaction() as tx:
        return [tx.cards.get(f"acct-{n}") for n in ids]


def test_a_batch_issues_to_complete_profiles_only(storage: Storage) -> None:
    populate(storage, [1, 2, 3], [4, 5])
    with storage.transaction() as tx:
        tx.accounts.add(account(6, active=False))
        tx.profiles.put("acct-6", complete(6))
    service = cards(storage)
    seen: list[int] = []
    ids = [f"acct-{n}" for n in range(1, 8)]  # acct-7 does not exist
    report = service.issue_cards(ids, batch_size=3, progress=seen.append)
    assert (report.issued, report.incomplete, report.already_issued) == (3, 2, 0)
    assert seen == [3, 3, 1]
    issued = all_cards(storage, [1, 2, 3, 4, 5, 6])
    assert [card is not None for card in issued] == [True, True, True, False, False, False]
    assert len({card.number for card in issued if card}) == 3
    again = service.issue_cards(ids)
    assert (again.issued, again.incomplete, again.already_issued) == (0, 2, 3)
    assert all_cards(storage, [1, 2, 3]) == issued[:3]


def test_an_id_given_twice_is_issued_once(storage: Storage) -> None:
    populate(storage, [1, 2], [3])
    report = cards(storage).issue_cards(
        ["acct-1", "acct-1", "acct-3", "acct-2", "acct-3"], batch_size=10
    )
    assert (report.issued, report.incomplete, report.already_issued) == (2, 2, 1)


def test_a_colliding_draw_is_drawn_again(storage: Storage) -> None:
    populate(storage, [1, 2, 3], [])
    taken = CardRecord(
        id="card-old",
        account_id="acct-9",
        number="SK-0000-0000-00X",
        card_ref=7,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
    )
    with storage.transaction() as tx:
        tx.cards.add(taken)
    # acct-1 first draws reference 7 (taken); acct-2 and acct-3 draw 8 and 9; acct-1 then 10.
    report = cards(storage, Draws([7, 8, 9, 10])).issue_cards()
    assert report.issued == 3
    refs = [card.card_ref for card in all_cards(storage, [1, 2, 3]) if card]
    assert refs == [10, 8, 9]
    with storage.transaction() as tx:
        assert tx.cards.by_ref(7) == taken


def test_issued_cards_are_the_ones_issue_card_would_make(storage: Storage) -> None:
    populate(storage, [1], [])
    service = cards(storage)
    service.issue_cards()
    (record,) = all_cards(storage, [1])
    assert record is not None
    assert 1 <= record.status_index < 2**17  # a random entry of the status list, never 0
    random_fields = {"id": "", "number": "", "card_ref": 0, "status_index": 0}
    assert attrs.asdict(record) | random_fields == {
        "id": "",
        "account_id": "acct-1",
        "number": "",
        "card_ref": 0,
        "version": 1,
        "issued_at": NOW,
        "updated_at": NOW,
        "revoked_at": None,
        "status_index": 0,
        "suspended_at": None,
    }
    card = service.card("acct-1")
    assert card.siapkerja_id == record.number
    assert card.holder_name == "Peserta 1"


@pytest.mark.parametrize("stakeholder", ["job_seeker", "worker", "trainee", "entrepreneur"])
def test_the_bulk_completeness_check_is_completeness(stakeholder: str) -> None:
    from siapkerja_core.completeness import completeness, is_complete
    from siapkerja_core.profile import SECTIONS

    full = merge_profile(
        complete(1),
        {
            "stakeholder": stakeholder,
            "work": [{"title": "Developer", "company": "PT Maju", "start": "2020-01"}],
        },
    )
    cleared = {
        section: None if section.endswith(("address", "photo")) else []
        for section in SECTIONS
        if section not in ("stakeholder", "biodata", "contact", "visibility")
    }
    variants = [full, Profile(full_name="Peserta 1")]
    variants += [merge_profile(full, {section: empty}) for section, empty in cleared.items()]
    variants += [
        merge_profile(full, {"biodata": {key: None}})
        for key in ("birth_place", "sex", "marital_status", "religion", "headline")
    ]
    variants.append(merge_profile(full, {"contact": {"phone": None}}))
    outcomes = [completeness(p).complete for p in variants]
    assert [is_complete(p) for p in variants] == outcomes
    assert outcomes[0] is True
    assert not all(outcomes)


@settings(max_examples=200)
@given(
    serial=st.integers(1, 9999),
    sex=st.sampled_from(["L", "P"]),
    name=st.sampled_from(["Galih Pratama", "Sri Wahyuni", "Ni Luh Putu Ayu", "O'Neil"]),
    email=st.one_of(st.none(), st.emails().map(normalize_email_or_none)),
    subscriber=st.one_of(st.none(), st.integers(10_000_000, 99_999_999)),
)
def test_the_initial_profile_is_the_validated_one(
    serial: int, sex: str, name: str, email: str | None, subscriber: int | None
) -> None:
    # Built without parsing the account's contact again: it must equal the
    # profile the validating constructors make from the same account.
    record = attrs.evolve(
        account(1),
        nik=compose_nik("317307", date(1994, 3, 12), sex, serial),  # type: ignore[arg-type]
        full_name=name,
        email=email,
        phone=None if subscriber is None else f"+62812{subscriber}",
    )
    built = cards(MemoryStorage()).profiles.initial_profile(record)
    assert built == Profile(
        full_name=name,
        contact=Contact(email=record.email, phone=record.phone),
        biodata=Biodata(sex=sex),  # type: ignore[arg-type]
    )


class StatusDraws(Draws):
    """As :class:`Draws`, but status-list indexes come from a list: a new card's (drawn
    with the card) and a redrawn one's (``randbelow`` below 2**17 - 1)."""

    def __init__(self, refs: list[int], indexes: list[int]) -> None:
        super().__init__(refs)
        self._indexes = iter(indexes)
        self.redraws = 0

    def status_draw(self) -> int:
        return next(self._indexes) - 1  # draw_cards adds 1 (0 is never given)

    def randbelow(self, bound: int) -> int:
        if bound == 2**17 - 1:
            self.redraws += 1
            return next(self._indexes) - 1  # draw_status_index adds 1 (0 is never given)
        return super().randbelow(bound)


@pytest.mark.parametrize("bulk", [True, False])
def test_a_taken_status_index_is_drawn_again(storage: Storage, bulk: bool) -> None:
    populate(storage, [1, 2], [])
    taken = CardRecord(
        id="card-old",
        account_id="acct-9",
        number="SK-0000-0000-00X",
        card_ref=7,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
        status_index=500,
    )
    with storage.transaction() as tx:
        tx.cards.add(taken)
    # acct-1 draws index 500 (taken), acct-2 draws 600; acct-1 draws again: 700.
    draws = StatusDraws(list(range(100, 200)), [500, 600, 700])
    service = cards(storage, draws)
    if bulk:
        assert service.issue_cards().issued == 2
    else:
        for account_id in ("acct-1", "acct-2"):
            with storage.transaction() as tx:
                service.new_card(tx, account_id, NOW)
    issued = [card for card in all_cards(storage, [1, 2]) if card]
    assert [card.status_index for card in issued] == ([700, 600] if bulk else [600, 700])
    if bulk:
        # One draw for the batch's cards; the refused card drew only a new index and
        # kept the rest of what it drew (its reference among them).
        assert draws.card_draws == [2]
        assert draws.redraws == 1
        assert [card.card_ref for card in issued] == [100, 101]
    else:  # one by one, a refused card is drawn again whole
        assert draws.card_draws == [1, 1, 1]
        assert [card.card_ref for card in issued] == [101, 102]


@pytest.mark.parametrize("bulk", [True, False])
def test_a_long_run_of_taken_status_indexes_still_issues_the_card(
    storage: Storage, bulk: bool
) -> None:
    """Near half full, a draw collides one time in two: twenty in a row still issue
    (eight draws used to stop a bulk run of 100,000 cards 15 to 61 times)."""
    populate(storage, [1], [])
    taken = CardRecord(
        id="card-old",
        account_id="acct-9",
        number="SK-0000-0000-00X",
        card_ref=7,
        version=1,
        issued_at=NOW,
        updated_at=NOW,
        status_index=500,
    )
    with storage.transaction() as tx:
        tx.cards.add(taken)
    service = cards(storage, StatusDraws(list(range(100, 200)), [500] * 20 + [700]))
    if bulk:
        assert service.issue_cards().issued == 1
    else:
        with storage.transaction() as tx:
            service.new_card(tx, "acct-1", NOW)
    assert [card.status_index for card in all_cards(storage, [1]) if card] == [700]


def test_cards_drawn_together_are_uniform_draws_of_each_value() -> None:
    """One ``token_bytes`` call for a batch's cards: every value still random, distinct
    and in range, the number a valid SIAPkerja-ID."""
    import secrets

    from siapkerja_core.siapkerja_id import parse_siapkerja_id

    context = ServiceContext(
        storage=MemoryStorage(),
        clock=lambda: NOW,
        entropy=secrets,
        emit=lambda _e: None,
        pepper=b"p" * 32,
    )
    issuance = CardServices.build(context, base_url="https://skid.example/v/").issuance
    drawn = issuance.draw_cards([f"acct-{n}" for n in range(2000)], NOW, 2**17)
    assert [card.account_id for card in drawn] == [f"acct-{n}" for n in range(2000)]
    for values in (
        [card.id for card in drawn],
        [card.number for card in drawn],
        [card.card_ref for card in drawn],
    ):
        assert len(set(values)) == len(values)
    assert all(len(card.id) == 32 and int(card.id, 16) >= 0 for card in drawn)
    assert all(str(parse_siapkerja_id(card.number)) == card.number for card in drawn)
    assert all(1 <= card.status_index < 2**17 for card in drawn)
    # 2,000 uniform draws below 2**17 - 1 spread over its whole range, not a corner of it.
    assert max(card.status_index for card in drawn) > 2**16
    assert min(card.status_index for card in drawn) < 2**15
    assert len({card.status_index for card in drawn}) > 1950


def test_a_status_draw_past_the_last_whole_range_is_drawn_again() -> None:
    """Rejection, not a modulo's bias: a 64-bit draw at or past the last whole multiple of
    the range gives way to ``randbelow``."""

    class Fixed(Draws):
        def __init__(self, status: int) -> None:
            super().__init__(list(range(100, 200)))
            self.status = status

        def status_draw(self) -> int:
            return self.status

        def randbelow(self, bound: int) -> int:
            return 6 if bound == 2**17 - 1 else super().randbelow(bound)

    last_whole = 2**64 - 2**64 % (2**17 - 1)
    for status, index in ((41, 42), (last_whole - 1, 1 + (last_whole - 1) % (2**17 - 1))):
        (card,) = cards(MemoryStorage(), Fixed(status)).draw_cards(["acct-1"], NOW, 2**17)
        assert card.status_index == index  # the draw itself
    for status in (last_whole, 2**64 - 1):
        (card,) = cards(MemoryStorage(), Fixed(status)).draw_cards(["acct-1"], NOW, 2**17)
        assert card.status_index == 7  # randbelow's draw
