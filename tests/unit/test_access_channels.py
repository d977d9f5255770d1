"""The access ledger's channels: one set, which the JSON API's answer model accepts whole.

Before, ``GET /api/v1/me/access-log`` failed (a 500) for every holder with a ledger
line of a release to a hub they signed in to with SIAPkerja (``channel="sso"``):
the answer model knew only ``link``, ``access`` and ``aki``.
"""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest

from siapkerja_adapters.web.api.models import AccessRecord as AccessRecordOut
from siapkerja_core.records import ACCESS_CHANNELS, AccessRecord


def test_the_api_model_names_every_channel_and_no_other() -> None:
    channel = AccessRecordOut.model_fields["channel"].annotation
    assert set(typing.get_args(channel)) == ACCESS_CHANNELS


@pytest.mark.parametrize("channel", sorted(ACCESS_CHANNELS))
def test_a_ledger_line_of_every_channel_is_answered(channel: str) -> None:
    record = AccessRecord(
        id="e1",
        account_id="a1",
        at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        audience="verifier",
        fields=("full_name",),
        channel=channel,
    )
    assert AccessRecordOut.from_core(record).channel == channel
