"""``structure_stored_profile``: what ``unstructure`` wrote comes back equal, without validation.

Storage adapters read their own records through it (a SQL profile is
authenticated by AES-GCM); anything not in the written shape goes through
``structure_profile`` and is refused exactly as there.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import attrs
import pytest
from test_profile import galih_data  # type: ignore[import-not-found]

from siapkerja_core.converter import structure_profile, structure_stored_profile, unstructure
from siapkerja_core.profile import Profile, ProfileError, Section, YearMonth


def test_a_written_profile_comes_back_equal() -> None:
    data = galih_data()
    expected = structure_profile(data)
    stored = structure_stored_profile(json.loads(json.dumps(unstructure(expected))))
    assert stored == expected
    assert structure_stored_profile(data) == expected
    # The same types as the validating path, not the JSON ones.
    assert isinstance(stored.biodata.birth_date, date)
    assert isinstance(stored.work[0].start, YearMonth)
    assert isinstance(stored.skills, tuple)
    assert isinstance(stored.visibility.published, frozenset)
    assert all(isinstance(s, Section) for s in stored.visibility.published)
    assert stored.photo is not None
    assert isinstance(stored.photo.content, bytes)
    assert isinstance(stored.education[0].gpa, float)
    assert unstructure(stored) == unstructure(expected)


def test_left_out_attributes_take_their_defaults() -> None:
    for data in (
        {"full_name": "Galih Agan Pambayun"},
        {"full_name": "Galih", "biodata": {"headline": "IT Professional"}, "skills": []},
        {
            "full_name": "Galih",
            "education": [{"institution": "BINUS", "level": "S1", "start_year": 2016}],
        },
    ):
        assert structure_stored_profile(data) == structure_profile(data)


def test_an_int_where_a_float_is_written_is_a_float() -> None:
    data = galih_data()
    data["education"][0]["gpa"] = 3
    stored = structure_stored_profile(data)
    assert stored.education[0].gpa == 3.0
    assert isinstance(stored.education[0].gpa, float)


def _refusal(data: Any) -> ProfileError:
    with pytest.raises(ProfileError) as refused:
        structure_profile(data)
    return refused.value


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(nickname="Galih"), id="unknown key"),
        pytest.param(lambda d: d["biodata"].update(mood="ok"), id="unknown nested key"),
        pytest.param(lambda d: d.pop("full_name"), id="required key missing"),
        pytest.param(lambda d: d["biodata"].update(birth_date="12-03-1994"), id="bad date"),
        pytest.param(lambda d: d["biodata"].update(sex="X"), id="bad enum"),
        pytest.param(lambda d: d["work"][0].update(start="2021-13"), id="bad month"),
        pytest.param(lambda d: d["photo"].update(content="not base64!"), id="bad base64"),
        pytest.param(lambda d: d.update(skills="PHP"), id="list expected"),
        pytest.param(lambda d: d.update(biodata=["x"]), id="object expected"),
    ],
)
def test_what_is_not_in_the_written_shape_is_refused_as_by_structure_profile(change: Any) -> None:
    data = galih_data()
    change(data)
    expected = _refusal(data)
    with pytest.raises(ProfileError) as refused:
        structure_stored_profile(data)
    got = refused.value
    assert (got.code, str(got), got.params["field"]) == (
        expected.code,
        str(expected),
        expected.params["field"],
    )
    assert [str(e) for e in got.params["errors"]] == [str(e) for e in expected.params["errors"]]


def test_other_accepted_shapes_go_through_structure_profile() -> None:
    data = galih_data()
    data["skills"] = ["PHP", {"name": "Linux"}]  # a bare string is accepted as a skill
    assert structure_stored_profile(data) == structure_profile(data)


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(ProfileError):
        structure_stored_profile(["not", "a", "profile"])  # type: ignore[arg-type]


def test_every_profile_attribute_is_rebuilt() -> None:
    # A new attribute whose type the stored path cannot rebuild fails at import,
    # not at run time: here every attribute of a full profile is compared.
    stored = structure_stored_profile(galih_data())
    for attribute in attrs.fields(Profile):
        assert getattr(stored, attribute.name) == getattr(
            structure_profile(galih_data()), attribute.name
        ), attribute.name
