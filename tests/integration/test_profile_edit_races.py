"""Edits of one holder's profile from several tabs at once, on memory, a SQLite file and PostgreSQL.

The web pages add, move and remove an entry of a list section by computing
the new list from the stored one (:meth:`Siapkerja.edit_profile`). The edit
runs inside the write, on the profile read there, so racing edits queue: none
starts from a version another is replacing. Each edit sleeps a little inside
(``SLOW``) so that, were the read outside the write, the racers would all
read the same list and all but one entry would be lost. No assertion is timed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from integration.test_exact_limits import make_svc, sign_up, together
from siapkerja_core.profile import Profile, ProfileError

__all__ = ["make_svc"]  # the parametrised storage fixture, shared with the limits' races

RACERS = 12
SLOW = 0.01


def certificate(n: int) -> dict[str, Any]:
    return {"name": f"Sertifikat {n}", "issuer": "LSP", "valid_from": "2020-01"}


def test_racing_additions_keep_every_entry(make_svc: Any) -> None:
    svc = make_svc()
    account_id = sign_up(svc)

    def add(n: int) -> Any:
        def edit(current: Profile) -> dict[str, Any]:
            time.sleep(SLOW)  # a slow page: the others arrive meanwhile
            return {"certificates": [*current.certificates, certificate(n)]}

        return lambda: svc.edit_profile(account_id, edit)

    outcomes = together([add(n) for n in range(RACERS)])
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    names = sorted(c.name for c in svc.profile(account_id).certificates)
    assert names == sorted(f"Sertifikat {n}" for n in range(RACERS))


def test_an_edit_that_refuses_writes_nothing(make_svc: Any) -> None:
    svc = make_svc()
    account_id = sign_up(svc)
    svc.update_profile(account_id, certificates=[certificate(1)])

    class Stale(Exception):
        pass

    def edit(current: Profile) -> dict[str, Any]:
        raise Stale

    with pytest.raises(Stale):
        svc.edit_profile(account_id, edit)
    with pytest.raises(ProfileError):  # the core's own refusal of what the edit asked
        svc.edit_profile(account_id, lambda current: {"certificates": [{"name": ""}]})
    assert [c.name for c in svc.profile(account_id).certificates] == ["Sertifikat 1"]
