"""The form macros, imported once without context, render as an earlier release's import did.

Pages bind ``_forms.html``'s macros through ``form_kit``; a deployer's own
template copied from an earlier release still says ``{% import "_forms.html"
as f with context %}``. Both render the same sign-in and registration pages,
refused forms (error summary, field errors) included.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_core.passwords import PasswordHasher

TEMPLATES = Path(__file__).resolve().parents[2] / "src/siapkerja_adapters/web/templates"
KIT = "{% set f = form_kit(csrf_token, errors, t, help_url) %}"
OLD = '{% import "_forms.html" as f with context %}'
_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def _client(templates_dir: Path | None) -> TestClient:
    svc = connect("memory", environ={}, hasher=PasswordHasher.fast_for_tests())
    return TestClient(create_app(svc, secret_key="s" * 32, templates_dir=templates_dir))


def _pages(client: TestClient, lang: str) -> list[str]:
    first = client.get(f"/?lang={lang}")
    token = re.search(r'name="csrf_token" value="([^"]*)"', first.text)
    assert token is not None
    pages = [
        first.text,
        client.post("/", data={"identifier": "", "password": "", "csrf_token": token[1]}).text,
        client.get("/daftar").text,
        client.post("/daftar", data={"nik": "12", "full_name": "", "csrf_token": token[1]}).text,
    ]
    return [_TOKEN.sub('name="csrf_token" value="-"', page) for page in pages]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_old_import_with_context_renders_the_same(tmp_path: Path, lang: str) -> None:
    for name in ("login.html", "register.html"):
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        assert KIT in source
        (tmp_path / name).write_text(source.replace(KIT, OLD), encoding="utf-8")
    ours, old = _pages(_client(None), lang), _pages(_client(tmp_path), lang)
    assert ours == old
    assert 'class="error-summary"' in ours[1]
    assert 'class="field-error"' in ours[3]
