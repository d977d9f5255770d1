"""A deployer rewords the pages and adds a language with catalogues alone (``locale_dirs``).

Also: every key the pages, templates and adapters name is in the packaged
catalogues, in Indonesian and English (what ``scripts/catalogues.py check`` runs).
"""

from __future__ import annotations

import importlib.util
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from siapkerja_adapters import connect
from siapkerja_adapters.web import create_app
from siapkerja_adapters.web.i18n import Translator, read_language
from siapkerja_adapters.web.problems import negotiate_language
from siapkerja_core import translations
from siapkerja_core.errors import ConfigurationError
from siapkerja_core.passwords import PasswordHasher
from siapkerja_core.settings import resolve_settings

ROOT = Path(__file__).resolve().parents[2]

OVERRIDE_ID = """
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "login.submit"
msgstr "Masuk ke SIAPkerja"
"""

JAVANESE = """
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "language.name"
msgstr "Basa Jawa"

msgid "login.title"
msgstr "Mlebu"

msgid "login.submit"
msgstr "Mlebu saiki"
"""


def _compile(directory: Path, lang: str, po_text: str) -> None:
    """What ``pybabel compile`` does with a deployer's ``.po``."""
    folder = directory / lang / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "siapkerja.po").write_text(po_text, encoding="utf-8")
    catalog = read_po(io.StringIO(po_text), locale=lang, domain="siapkerja")
    with (folder / "siapkerja.mo").open("wb") as handle:
        write_mo(handle, catalog)


@pytest.fixture
def locale_dir(tmp_path: Path) -> Iterator[Path]:
    _compile(tmp_path, "id", OVERRIDE_ID)
    _compile(tmp_path, "jv", JAVANESE)
    yield tmp_path
    translations.use_directories([])  # the catalogues are process-wide: leave them packaged


@pytest.fixture
def client(locale_dir: Path) -> Iterator[TestClient]:
    environ = {"SIAPKERJA_LOCALE_DIRS": os.pathsep.join([str(locale_dir), str(locale_dir)])}
    svc = connect("memory", environ=environ, hasher=PasswordHasher.fast_for_tests())
    with TestClient(create_app(svc, dev=True)) as test_client:
        yield test_client


def test_a_deployer_rewords_a_label(client: TestClient) -> None:
    page = client.get("/").text
    assert '<html lang="id">' in page
    assert "Masuk ke SIAPkerja" in page  # login.submit, from the deployer's catalogue
    assert "Belum punya akun?" in page  # every other text: the packaged one
    # The switch still toggles to English, and now offers Javanese too, by its own name.
    assert 'href="/?lang=en" lang="en" hreflang="en">English</a>' in page
    assert 'href="/?lang=jv" lang="jv" hreflang="jv">Basa Jawa</a>' in page


def test_a_deployer_adds_a_language_that_pages_select_and_keep(client: TestClient) -> None:
    page = client.get("/?lang=jv").text
    assert '<html lang="jv">' in page
    assert "Mlebu saiki" in page
    assert "Belum punya akun?" in page  # what the Javanese catalogue lacks: Indonesian
    assert 'href="/?lang=en" lang="en" hreflang="en">English</a>' in page
    assert 'href="/?lang=id" lang="id" hreflang="id">Bahasa Indonesia</a>' in page
    assert '<html lang="jv">' in client.get("/daftar").text  # kept in the session
    assert '<html lang="jv">' in client.get("/?lang=fr").text  # no catalogue: choice kept
    assert "Sign in" in client.get("/?lang=en").text


def test_the_api_answers_in_an_added_language(locale_dir: Path) -> None:
    translations.use_directories([locale_dir])
    assert negotiate_language("jv, en;q=0.5") == "jv"
    assert negotiate_language("fr, en;q=0.5") == "en"
    assert read_language("jv-ID") == "jv"
    assert Translator("jv")("login.submit") == "Mlebu saiki"


def test_locale_dirs_in_every_spelling(tmp_path: Path, locale_dir: Path) -> None:
    listed = resolve_settings(file_values={"locale_dirs": [str(locale_dir), str(tmp_path)]})
    assert listed.get_paths("locale_dirs") == (str(locale_dir), str(tmp_path))
    joined = resolve_settings(kwargs={"locale_dirs": f" {locale_dir}{os.pathsep}{os.pathsep}"})
    assert joined.get_paths("locale_dirs") == (str(locale_dir),)
    assert resolve_settings().get_paths("locale_dirs") == ()
    with pytest.raises(ConfigurationError) as caught:
        connect("memory", environ={}, locale_dirs=[tmp_path / "missing"])
    assert caught.value.full_code == "config.invalid"
    assert caught.value.params["name"] == "locale_dirs"


def test_without_locale_dirs_the_switch_toggles_id_and_en_only() -> None:
    assert Translator("id").other == "en"
    assert Translator("en").other == "id"
    assert Translator("id").more == ()
    assert read_language("fr") is None
    assert read_language("EN-us") == "en"
    with pytest.raises(KeyError):
        Translator("id")("no.such.key")


def test_every_key_the_code_names_is_in_both_packaged_catalogues() -> None:
    spec = importlib.util.spec_from_file_location("catalogues", ROOT / "scripts" / "catalogues.py")
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    named = script.extract()
    assert "login.submit" in named
    assert "history.access" in named
    assert script.problems(required=named) == []
