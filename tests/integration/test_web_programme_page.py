"""The holder's programmes page (``/program``) and the employment status in the profile form.

Through the web binding as a browser uses it (the helpers of
``test_web_pages.py``): the holder reads, for every public programme, whether
they are eligible and why for each requirement, sets the employment status a
rule asks for in the biodata form, and sees the answer change.
"""

from __future__ import annotations

import pytest
from test_web_pages import (  # type: ignore[import-not-found]
    Browser,
    browser,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    complete_profile,
    confirm,
    register,
    svc,  # noqa: F401 - fixture
    text,
)

from siapkerja_core.service import Siapkerja
from siapkerja_core.services.programmes import bundled_programme


@pytest.fixture
def holder(browser: Browser) -> Browser:  # noqa: F811
    register(browser)
    confirm(browser)
    complete_profile(browser)
    return browser


def test_the_page_answers_for_every_public_programme(
    svc: Siapkerja,  # noqa: F811
    holder: Browser,
) -> None:
    svc.programmes.define(bundled_programme("prakerja"))
    svc.programmes.define(bundled_programme("jkp"))
    svc.programmes.define(
        {"id": "tertutup", "name": "Program Tertutup", "public": False, "requirements": []}
    )
    page = holder.get("/program")
    assert page.status_code == 200
    shown = text(holder.page)
    assert "Kartu Prakerja" in shown
    assert "Jaminan Kehilangan Pekerjaan" in shown
    assert "Program Tertutup" not in shown
    assert "Anda belum memenuhi syarat." in shown
    assert "Status pekerjaan belum diisi di biodata" in shown
    assert "Diperiksa penyelenggara" in shown

    holder.get("/profil")
    assert 'name="employment_status"' in holder.page
    form = {
        "stakeholder": "job_seeker",
        "birth_place": "Jakarta",
        "birth_date": "1994-03-12",
        "sex": "L",
        "marital_status": "belum_menikah",
        "religion": "islam",
        "headline": "IT Professional",
        "employment_status": "phk",
    }
    saved = holder.submit("/profil/biodata", form)
    assert saved.status_code == 200, text(holder.page)
    assert '<option value="phk" selected' in holder.page

    english = holder.get("/program?lang=en")
    assert english.status_code == 200
    shown = text(holder.page)
    assert "You are eligible." in shown  # JKP: laid off, the rest is JKP's to check
    assert "The employment status (Laid off) meets the requirement." in shown


def test_the_page_needs_a_signed_in_holder(browser: Browser) -> None:  # noqa: F811
    response = browser.client.get("/program", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/"  # the sign-in page
